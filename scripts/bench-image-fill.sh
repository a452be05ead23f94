#!/usr/bin/env bash
# How long wharf takes to read the manifests and image configurations of many new digests
# from a real registry (the details behind the image pages): a registry 3.1.1 holding
# REPOS x TAGS tags (each its own manifest digest), `wharf sync` to learn them, then the
# running server's background reader until every digest is stored. SQLite; PG_TOO=1 repeats
# it on PostgreSQL. Prints a Markdown report; docs/BENCHMARKS.md records it.
# Usage: scripts/bench-image-fill.sh   (needs the release build and scripts/install-tools.sh --test)
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
wharf="${BENCH_WHARF_BIN:-$target_dir/release/wharf}"
[ -x "$wharf" ] || { echo "build first: scripts/build.sh (no $wharf)" >&2; exit 1; }
registry3=$(bash scripts/registry3.sh)
REPOS=${REPOS:-100}
TAGS=${TAGS:-100}
PROBE_SECS=${PROBE_SECS:-2}
PG_TOO=${PG_TOO:-0}

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
log() { printf '==> %s\n' "$*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.1f}')"; }

# --- a registry full of distinct manifests ---------------------------------------------------
storage="$work/storage"
fill_port=$(free_port)
cat >"$work/fill.yml" <<YML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $storage}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$fill_port, secret: fill}
YML
"$registry3" serve "$work/fill.yml" >"$work/fill.log" 2>&1 &
fill_pid=$!
wait_http "http://127.0.0.1:$fill_port/v2/"
log "filling the registry with $REPOS x $TAGS tags"
t0=$(now); python3 scripts/bench/fill_registry.py "http://127.0.0.1:$fill_port" "$REPOS" "$TAGS" >/dev/null; t1=$(now)
fill_time=$(secs "$t0" "$t1")
kill "$fill_pid"; wait "$fill_pid" 2>/dev/null || true

# Digests noted but not yet stored, as the database says.
pending_sql="SELECT COUNT(*) FROM repository_manifests rm LEFT JOIN manifests m ON m.digest = rm.digest WHERE m.digest IS NULL"
count() { # name env... -> "noted pending failed"
  local name=$1; shift
  local url
  url=$(env "$@" python3 -c 'import os; print(os.environ.get("WHARF_DATABASE_URL", ""))')
  if [ -z "$url" ]; then
    python3 - "$work/$name/wharf.db" "$pending_sql" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=30)
noted = db.execute("SELECT COUNT(*) FROM repository_manifests").fetchone()[0]
pending = db.execute(sys.argv[2]).fetchone()[0]
failed = db.execute("SELECT COUNT(*) FROM repository_manifests WHERE last_error IS NOT NULL").fetchone()[0]
print(noted, pending, failed)
PY
  else
    local db=${url##*/}
    psql -qtA -h 127.0.0.1 -U postgres "$db" -F ' ' -c \
      "SELECT (SELECT COUNT(*) FROM repository_manifests), ($pending_sql), (SELECT COUNT(*) FROM repository_manifests WHERE last_error IS NOT NULL)"
  fi
}

fill_bench() { # name env... -> "sync_secs|fill_secs|stored|failed|rss_mib"
  local name=$1; shift
  local port reg_port
  port=$(free_port); reg_port=$(free_port)
  mkdir -p "$work/$name"
  local cli=(env WHARF_DATA_DIR="$work/$name" WHARF_PUBLIC_URL="http://127.0.0.1:$port" WHARF_LOG=warn "$@" "$wharf")
  # Notifications off: the reads would come back as pull events, work beside the measurement.
  "${cli[@]}" registry-config --registry-version 3 --listen "127.0.0.1:$reg_port" --storage "$storage" |
    sed '/^notifications:/,$d' >"$work/$name-reg.yml"
  "$registry3" serve "$work/$name-reg.yml" >"$work/$name-reg.log" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$reg_port/v2/"
  env WHARF_DATA_DIR="$work/$name" WHARF_PUBLIC_URL="http://127.0.0.1:$port" WHARF_LOG=warn \
    WHARF_SYNC_INTERVAL_SECS=0 WHARF_PROBE_INTERVAL_SECS="$PROBE_SECS" "$@" \
    "$wharf" --data-dir "$work/$name" serve --listen "127.0.0.1:$port" >"$work/$name.log" 2>&1 &
  local wharf_pid=$!
  pids+=($wharf_pid)
  wait_http "http://127.0.0.1:$port/health/live"
  local a b c
  a=$(now); "${cli[@]}" sync --json >"$work/$name-sync.json"; b=$(now)
  local noted pending failed
  while read -r noted pending failed < <(count "$name" "$@"); [ "$pending" -gt "$failed" ]; do sleep 0.5; done
  c=$(now)
  local rss
  rss=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$wharf_pid/status")
  kill "$wharf_pid" 2>/dev/null || true
  echo "$(secs "$a" "$b")|$(secs "$b" "$c")|$((noted - pending))|$failed|$rss"
}

log "SQLite"
sqlite=$(fill_bench fill-sqlite)
pg=""
if [ "$PG_TOO" = 1 ]; then
  log "PostgreSQL"
  pg_db="wharf_bench_fill_$$"
  psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $pg_db" postgres
  pg=$(fill_bench fill-pg WHARF_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$pg_db")
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" postgres
fi

row() {
  IFS='|' read -r sync fill stored failed rss <<<"$2"
  rate=$(python3 -c "print(f'{$stored / $fill:,.0f}' if $fill > 0 else '-')")
  echo "| $1 | $sync s | **$fill s** ($rate digests/s) | $stored | $failed | $rss MiB |"
}
cat <<MD
Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(date -u +%Y-%m-%d).
Command: \`scripts/bench-image-fill.sh\` (REPOS=$REPOS, TAGS=$TAGS, PROBE_SECS=$PROBE_SECS); registry 3.1.1,
filesystem storage, filled in $fill_time s; wharf $(git rev-parse --short HEAD) release build.

| database | \`wharf sync\` (learns the digests) | details of every digest stored (from the end of the sync) | stored | failed | wharf RSS after |
|---|---|---|---|---|---|
$(row SQLite "$sqlite")
$([ -n "$pg" ] && row PostgreSQL "$pg")
MD
