#!/usr/bin/env bash
# Benchmarks of issues 3 and 15: notification ingest (SQLite and PostgreSQL, 20% duplicates;
# registry 2.8's v1 envelope and registry 3's v2 envelope) and sync of a real registry (2.8.2
# and 3.1.1 on the same storage) holding REPOS x TAGS tags, against a read-only pass over it.
# Usage: scripts/bench-registry.sh   (PARTS=ingest: the ingest part only; needs `cargo leptos build --release`, wrk, docker-registry,
# scripts/registry3.sh, PostgreSQL on 127.0.0.1:5432). Prints a Markdown report;
# docs/BENCHMARKS.md records it.
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
wharf="${BENCH_WHARF_BIN:-$target_dir/release/wharf}"
[ -x "$wharf" ] || { echo "build first: cargo leptos build --release" >&2; exit 1; }

registry3=$(bash scripts/registry3.sh)
registry_bin() { if [ "$1" = 3 ]; then echo "$registry3"; else echo docker-registry; fi; }
DURATION=${DURATION:-10}
REPOS=${REPOS:-2000}
TAGS=${TAGS:-5}
CONCURRENCY=${CONCURRENCY:-8}
work=$(mktemp -d)
pids=()
pg_db="wharf_bench_$$"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  # Sections run in subshells: whatever they started names $work on its command line.
  pkill -f -- "$work" 2>/dev/null || true
  wait 2>/dev/null || true
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" postgres >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }
summarise() { awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF} END {printf "%s|%s|%s|%s", rps, p50, p99, (bad==""?0:bad)}'; }

start_wharf() { # name port env...
  local name=$1 port=$2; shift 2
  mkdir -p "$work/$name"
  env WHARF_DATA_DIR="$work/$name" WHARF_PUBLIC_URL="http://127.0.0.1:$port" WHARF_LOG=warn \
    WHARF_SYNC_INTERVAL_SECS=0 "$@" "$wharf" --data-dir "$work/$name" serve --listen "127.0.0.1:$port" >"$work/$name.log" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$port/health/live"
}

# --- event ingest ----------------------------------------------------------------------------
ingest() { # name env...
  local name=$1; shift
  local port; port=$(free_port)
  start_wharf "$name" "$port" WHARF_NOTIFICATION_SECRET=bench-notification-secret-0123 "$@"
  echo bench-password-123 | env WHARF_DATA_DIR="$work/$name" "$@" "$wharf" user add bench --password-stdin >/dev/null
  # A 3 s warm-up, then three runs against the same (growing) database; the median run is
  # reported, with the range.
  BENCH_RUN=0 BENCH_SECRET=bench-notification-secret-0123 wrk -t2 -c8 -d3s -s scripts/bench/events.lua \
    "http://127.0.0.1:$port" >/dev/null
  for i in 1 2 3; do
    BENCH_RUN=$i BENCH_SECRET=bench-notification-secret-0123 wrk -t2 -c8 -d"${DURATION}s" --latency -s scripts/bench/events.lua \
      "http://127.0.0.1:$port" >"$work/$name.$i.wrk"
    summarise <"$work/$name.$i.wrk"; echo
  done | sort -t'|' -k1,1 -g | awk -F'|' '{r[NR]=$0; v[NR]=$1} END {printf "%s|%s–%s", r[2], v[1], v[3]}'
  kill "${pids[-1]}" 2>/dev/null || true
}
declare -A ingested
for envelope in ${ENVELOPES:-v1 v2}; do
  export BENCH_ENVELOPE=$envelope
  ingested[sqlite-$envelope]=$(ingest "ingest-sqlite-$envelope")
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" postgres
  psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $pg_db" postgres
  ingested[pg-$envelope]=$(ingest "ingest-pg-$envelope" WHARF_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$pg_db")
done

# --- sync of a real registry (skipped with PARTS=ingest) --------------------------------------
PARTS=${PARTS:-ingest sync}
declare -A synced
if [[ " $PARTS " == *" sync "* ]]; then
storage="$work/storage"
fill_port=$(free_port)
cat >"$work/fill.yml" <<YML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $storage}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$fill_port, secret: fill}
YML
docker-registry serve "$work/fill.yml" >"$work/fill.log" 2>&1 &
fill_pid=$!; pids+=($fill_pid)
wait_http "http://127.0.0.1:$fill_port/v2/"
t0=$(now); python3 scripts/bench/fill_registry.py "http://127.0.0.1:$fill_port" "$REPOS" "$TAGS" >/dev/null; t1=$(now)
fill_time=$(secs "$t0" "$t1")
kill "$fill_pid"

sync_bench() { # name registry-version env...
  local name=$1 version=$2; shift 2
  local port reg_port
  port=$(free_port); reg_port=$(free_port)
  start_wharf "$name" "$port" "$@"
  local wharf_pid=${pids[-1]}
  local cli=(env WHARF_DATA_DIR="$work/$name" WHARF_PUBLIC_URL="http://127.0.0.1:$port" WHARF_LOG=warn
    WHARF_SYNC_CONCURRENCY="$CONCURRENCY" "$@" "$wharf")
  # Without notifications: every manifest HEAD would queue a pull event that the registry
  # delivers long after the pass that caused it, blurring the next measurement.
  "${cli[@]}" registry-config --registry-version "$version" --listen "127.0.0.1:$reg_port" --storage "$storage" |
    sed '/^notifications:/,$d' >"$work/$name-reg.yml"
  "$(registry_bin "$version")" serve "$work/$name-reg.yml" >"$work/$name-reg.log" 2>&1 &
  local reg_pid=$!
  pids+=($reg_pid)
  wait_http "http://127.0.0.1:$reg_port/v2/"
  local a b c d e f g h
  a=$(now); "${cli[@]}" sync --read-only >/dev/null; b=$(now)
  c=$(now); "${cli[@]}" sync --json >"$work/$name-sync1.json"; d=$(now)
  e=$(now); "${cli[@]}" sync --json >"$work/$name-sync2.json"; f=$(now)
  g=$(now); "${cli[@]}" sync --read-only >/dev/null; h=$(now)
  local added
  added=$(python3 -c "import json; r=json.load(open('$work/$name-sync1.json')); print(r['tags_added'], r['status'])")
  # Stop this section's processes so they cannot disturb the next one.
  kill "$reg_pid" "$wharf_pid" 2>/dev/null || true
  wait "$reg_pid" "$wharf_pid" 2>/dev/null || true
  echo "$(secs "$a" "$b")|$(secs "$c" "$d")|$(secs "$e" "$f")|$(secs "$g" "$h")|$added"
}
for version in 2 3; do
  synced[sqlite-$version]=$(sync_bench "sync-sqlite-$version" "$version")
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" postgres
  psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $pg_db" postgres
  synced[pg-$version]=$(sync_bench "sync-pg-$version" "$version" WHARF_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$pg_db")
done
fi

# --- report ----------------------------------------------------------------------------------
row_ingest() { IFS='|' read -r rps p50 p99 bad range <<<"$2"; echo "| $1 | **$rps events/s** ($range) | $p50 | $p99 | $bad |"; }
row_sync() {
  IFS='|' read -r raw full again raw2 added <<<"$2"
  ratio=$(python3 -c "print(f'{$full / (($raw + $raw2) / 2):.2f}')")
  echo "| $1 | $raw s / $raw2 s | $full s (**${ratio}×**; $added) | $again s |"
}
cat <<MD
Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(date -u +%Y-%m-%d).
Command: \`scripts/bench-registry.sh\` (DURATION=$DURATION, REPOS=$REPOS, TAGS=$TAGS, CONCURRENCY=$CONCURRENCY).

Event ingest (\`wrk -t2 -c8\` on the same 2 cores, one push event per POST, every 5th a
duplicate id; after a 3 s warm-up, median of 3 runs of ${DURATION} s, range in brackets):

| database, envelope | rate (range) | p50 | p99 | non-2xx |
|---|---|---|---|---|
$(row_ingest "SQLite, v1 (registry 2.8)" "${ingested[sqlite-v1]}")
$(row_ingest "SQLite, v2 (registry 3)" "${ingested[sqlite-v2]}")
$(row_ingest "PostgreSQL, v1 (registry 2.8)" "${ingested[pg-v1]}")
$(row_ingest "PostgreSQL, v2 (registry 3)" "${ingested[pg-v2]}")
MD
[[ " $PARTS " == *" sync "* ]] || exit 0
cat <<MD

Sync of a registry holding $REPOS repositories × $TAGS tags (filled in $fill_time s; registry
notifications off during this part, each database's processes stopped before the next):

| database, registry | read-only pass (before / after) | first sync (ratio to read-only; tags added) | no-change re-sync |
|---|---|---|---|
$(row_sync "SQLite, 2.8.2" "${synced[sqlite-2]}")
$(row_sync "SQLite, 3.1.1" "${synced[sqlite-3]}")
$(row_sync "PostgreSQL, 2.8.2" "${synced[pg-2]}")
$(row_sync "PostgreSQL, 3.1.1" "${synced[pg-3]}")
MD
