#!/usr/bin/env bash
# Benchmarks of the console with a large catalog: seeds NAMESPACES team namespaces x REPOS
# repositories x TAGS tags through the notification endpoint, then times the console's server
# functions (as an administrator and as a user who is a viewer of every other team), the
# dashboard's time to interactive in headless Chromium, and the size of the wasm and css.
# Usage: scripts/bench-console.sh   (needs `cargo leptos build --release` and
# `scripts/install-tools.sh --test` for Playwright and Chromium). Prints a Markdown report;
# docs/BENCHMARKS.md records it. Progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
# BENCH_WHARF_BIN: another build to time (a "before" binary kept aside, say).
wharf="${BENCH_WHARF_BIN:-$target_dir/release/wharf}"
[ -x "$wharf" ] || { echo "build first: cargo leptos build --release (no $wharf)" >&2; exit 1; }
# cargo-leptos writes the site to `site-root` ([workspace.metadata.leptos]: target/site) under the
# workspace root whatever CARGO_TARGET_DIR says; LEPTOS_SITE_ROOT overrides, as for run.sh.
site=$(cd "${LEPTOS_SITE_ROOT:-$root/target/site}" 2>/dev/null && pwd) ||
  { echo "build first: cargo leptos build --release (no site at ${LEPTOS_SITE_ROOT:-$root/target/site})" >&2; exit 1; }
[ -f "$site/pkg/wharf.js" ] || { echo "build first: cargo leptos build --release (no $site/pkg/wharf.js)" >&2; exit 1; }
[ -d end2end/node_modules/@playwright/test ] || { echo "install Playwright first: scripts/install-tools.sh --test" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "install Chromium first: scripts/install-tools.sh --test" >&2; exit 1; }
command -v node >/dev/null || { echo "node is needed (Node 20)" >&2; exit 1; }

NAMESPACES=${NAMESPACES:-100}
REPOS=${REPOS:-100}
TAGS=${TAGS:-5}
BATCH=${BATCH:-1000}
SEED_CONCURRENCY=${SEED_CONCURRENCY:-4}
REQUESTS=${REQUESTS:-300}
WARMUP=${WARMUP:-30}
TTI_RUNS=${TTI_RUNS:-5}
TTI_PATH=${TTI_PATH:-/}
TTI_SELECTOR=${TTI_SELECTOR:-'[data-testid="recent"]'}
BIG_TAGS=${BIG_TAGS:-1000}
# DB=postgres: a database of its own on PG_URL's server (created here, dropped at the end).
DB=${DB:-sqlite}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
[ "$DB" = sqlite ] || [ "$DB" = postgres ] || { echo "DB must be sqlite or postgres" >&2; exit 1; }
[ "$NAMESPACES" -ge 2 ] && [ "$NAMESPACES" -le 1000 ] || { echo "NAMESPACES must be 2..1000" >&2; exit 1; }
[ "$REPOS" -ge 1 ] && [ "$REPOS" -le 1000 ] || { echo "REPOS must be 1..1000" >&2; exit 1; }
[ "$TAGS" -ge 1 ] || { echo "TAGS must be at least 1" >&2; exit 1; }
# The repository page timed: in an even team (the user's) near the middle of the catalog.
bench_repo=$(printf 'team%03d/app%03d' $(((NAMESPACES / 2) & ~1)) $((REPOS / 6)))

SECRET=bench-console-notification-secret-0123
ADMIN=benchadmin ADMIN_PW=bench-admin-password-123
OWNER=benchowner OWNER_PW=bench-owner-password-123
USER_NAME=benchuser USER_PW=bench-user-password-123

work=$(mktemp -d)
# BENCH_STATE=DIR keeps the seeded catalog (the data directory, and the name of its PostgreSQL
# database) in DIR: a later run with the same DIR and sizes times another build against the same
# rows, without creating and seeding them again (10 minutes at a million tags). Remove DIR (and
# drop the database it names) by hand when done.
state=${BENCH_STATE:-}
reuse=0
if [ -n "$state" ]; then
  mkdir -p "$state"
  state=$(cd "$state" && pwd)
  [ -f "$state/seeded" ] && reuse=1
  data="$state/data"
else
  data="$work/data"
fi
mkdir -p "$data"
server_pid=""
child_pid=""
pg_db=""
if [ "$DB" = postgres ]; then
  if [ -n "$state" ] && [ -f "$state/pg_db" ]; then
    pg_db=$(cat "$state/pg_db")
  else
    pg_db="wharf_bench_console_$$"
    psql -q "$PG_URL/postgres" -c "CREATE DATABASE $pg_db" >/dev/null
    [ -z "$state" ] || echo "$pg_db" >"$state/pg_db"
  fi
  export WHARF_DATABASE_URL="$PG_URL/$pg_db"
  database_label="PostgreSQL $(psql -At "$PG_URL/postgres" -c 'SHOW server_version' | cut -d' ' -f1) on 127.0.0.1"
else
  database_label="SQLite (embedded)"
fi
cleanup() {
  trap - EXIT INT TERM
  # The foreground helper (and, for the browser part, the Chromium it started), then wharf.
  for p in $child_pid $server_pid; do
    pkill -TERM -P "$p" 2>/dev/null || true
    kill "$p" 2>/dev/null || true
  done
  for p in $child_pid $server_pid; do wait "$p" 2>/dev/null || true; done
  [ -z "$pg_db" ] || [ -n "$state" ] || psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { printf '==> %s\n' "$*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.1f}')"; }
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
# Runs a helper in the background (so the EXIT trap can stop it) and waits for it; its stdout
# goes to the file named first.
run() { # outfile cmd...
  local out=$1; shift
  "$@" >"$out" &
  child_pid=$!
  local rc=0
  wait "$child_pid" || rc=$?
  child_pid=""
  return "$rc"
}

port=$(free_port)
base="http://127.0.0.1:$port"
cli=(env WHARF_DATA_DIR="$data" WHARF_PUBLIC_URL="$base" WHARF_LOG=warn "$wharf" --data-dir "$data")

big_repo=team000/big
events=$((NAMESPACES * REPOS * TAGS))
if [ "$reuse" = 1 ]; then
  # What the seeding run measured, for the report.
  # shellcheck disable=SC1091
  . "$state/seeded"
  [ "$seeded_sizes" = "$NAMESPACES $REPOS $TAGS $BIG_TAGS $DB" ] ||
    { echo "$state holds a catalog of other sizes ($seeded_sizes)" >&2; exit 1; }
  log "reusing the catalog seeded in $state"
else
# --- users, teams, namespaces (before the server starts: nothing else writes) ---------------
log "creating users, $NAMESPACES teams and namespaces"
t0=$(now)
echo "$ADMIN_PW" | "${cli[@]}" user add "$ADMIN" --admin --password-stdin >/dev/null
echo "$OWNER_PW" | "${cli[@]}" user add "$OWNER" --password-stdin >/dev/null
echo "$USER_PW" | "${cli[@]}" user add "$USER_NAME" --password-stdin >/dev/null
member_teams=0
for ((i = 0; i < NAMESPACES; i++)); do
  team=$(printf 'team%03d' "$i")
  "${cli[@]}" team add "$team" --owner "$OWNER" >/dev/null
  "${cli[@]}" namespace add "$team" --team "$team" --visibility private >/dev/null
  if ((i % 2 == 0)); then
    "${cli[@]}" team member add "$team" "$USER_NAME" --role viewer >/dev/null
    member_teams=$((member_teams + 1))
  fi
done
t1=$(now)
setup_time=$(secs "$t0" "$t1")
fi

# --- server ---------------------------------------------------------------------------------
log "starting wharf on $base"
env WHARF_DATA_DIR="$data" WHARF_PUBLIC_URL="$base" WHARF_LOG=warn WHARF_SYNC_INTERVAL_SECS=0 \
  WHARF_NOTIFICATION_SECRET="$SECRET" LEPTOS_SITE_ROOT="$site" \
  "$wharf" --data-dir "$data" serve --listen "127.0.0.1:$port" >"$work/wharf.log" 2>&1 &
server_pid=$!
wait_http "$base/health/live" || { tail -n 20 "$work/wharf.log" >&2; exit 1; }
idle_rss=$(rss_mib "$server_pid")

# --- seeding through notifications ----------------------------------------------------------
if [ "$reuse" = 0 ]; then
log "seeding $((NAMESPACES * REPOS)) repositories, $events tags ($BATCH events per POST, $SEED_CONCURRENCY connections)"
run "$work/seed.json" python3 scripts/bench/seed_catalog.py "$base" "$SECRET" "$NAMESPACES" "$REPOS" "$TAGS" \
  "$BATCH" "$SEED_CONCURRENCY" || { tail -n 20 "$work/wharf.log" >&2; exit 1; }
read -r seed_secs seed_envelopes < <(python3 -c "import json; r=json.load(open('$work/seed.json')); print(r['seconds'], r['envelopes'])")
seed_rate=$(python3 -c "print(f'{$events / $seed_secs:,.0f}')")
# One repository with BIG_TAGS tags (in a team the user is a viewer of), pushed after the rest.
log "seeding $big_repo with $BIG_TAGS tags"
run "$work/seed-big.json" env SEED_REPO_FORMAT="$big_repo" SEED_TIME_OFFSET="$events" python3 scripts/bench/seed_catalog.py \
  "$base" "$SECRET" 1 1 "$BIG_TAGS" "$BATCH" 1 || { tail -n 20 "$work/wharf.log" >&2; exit 1; }
# Image details for every digest, as if read from the registry (there is none here).
log "storing image details for every digest"
details=$(python3 scripts/bench/store_details.py "${WHARF_DATABASE_URL:-$data/wharf.db}")
[ -z "$state" ] || printf 'seeded_sizes="%s"\nsetup_time=%s\nseed_secs=%s\nseed_envelopes=%s\nseed_rate="%s"\nmember_teams=%s\ndetails=%s\n' \
  "$NAMESPACES $REPOS $TAGS $BIG_TAGS $DB" "$setup_time" "$seed_secs" "$seed_envelopes" "$seed_rate" "$member_teams" "$details" >"$state/seeded"
fi
seeded_rss=$(rss_mib "$server_pid")
if [ "$DB" = postgres ]; then
  db_size=$(psql -At "$WHARF_DATABASE_URL" -c "SELECT pg_database_size(current_database()) / 1048576")
else
  db_size=$(du -sm "$data" | awk '{print $1}')
fi
# wharf gathers SQLite's planner statistics within 10 s of a table doubling, and connections
# pick them up within a minute (planner_statistics); PostgreSQL's autovacuum analyses by itself.
# Timing starts once that has happened, as it would have on a server that has been running.
[ "$reuse" = 1 ] && settle_default=5 || settle_default=75
sleep "${SETTLE_SECS:-$settle_default}"

# --- server functions -----------------------------------------------------------------------
log "timing server functions ($WARMUP warm-up + $REQUESTS requests per case and user)"
run "$work/requests.md" env BENCH_COOKIES="$work/cookies.json" BENCH_BIG_REPO="$big_repo" BENCH_IMAGE="$bench_repo:v1" \
  python3 scripts/bench/console_requests.py \
  "$base" "$REQUESTS" "$WARMUP" "$bench_repo" "$ADMIN:$ADMIN_PW" "$USER_NAME:$USER_PW" ||
  { tail -n 20 "$work/wharf.log" >&2; exit 1; }
loaded_rss=$(rss_mib "$server_pid")

# --- time to interactive --------------------------------------------------------------------
if [ "$TTI_RUNS" -gt 0 ]; then
  log "time to interactive of $TTI_PATH in Chromium ($TTI_RUNS runs per user)"
  run "$work/tti.md" node scripts/bench/console_tti.js "$base" "$TTI_PATH" "$TTI_RUNS" "$TTI_SELECTOR" \
    "$work/cookies.json" "$ADMIN:$ADMIN_PW" "$USER_NAME:$USER_PW" ||
    { tail -n 20 "$work/wharf.log" >&2; exit 1; }
else
  echo "(not measured: TTI_RUNS=0)" >"$work/tti.md"
fi

# --- sizes ----------------------------------------------------------------------------------
size_row() { # label file...: one row for the files together (raw, gzip -9 of each, brotli copies)
  local label=$1; shift
  local raw=0 gz=0 br=0 f
  for f in "$@"; do
    [ -f "$f" ] || continue
    raw=$((raw + $(stat -c %s "$f")))
    gz=$((gz + $(gzip -9 -c "$f" | wc -c)))
    [ -f "$f.br" ] && br=$((br + $(stat -c %s "$f.br")))
  done
  [ "$raw" -gt 0 ] || return 0
  printf '| %s | %s | %s | %s | %s |\n' "$label" \
    "$(python3 -c "print(f'{$raw:,} B ({$raw/1024:.0f} KiB)')")" \
    "$(python3 -c "print(f'{$gz:,} B ({$gz/1024:.0f} KiB)')")" \
    "$(python3 -c "print(f'{$gz/$raw:.2f}')")" \
    "$(python3 -c "print(f'{$br:,} B ({$br/1024:.0f} KiB)' if $br else '—')")"
}
# The main module loads on every page; a lazy route's chunks only when that page is visited.
chunks=("$site"/pkg/split_*.wasm "$site"/pkg/chunk_*.wasm)
largest_split=$(ls -S "$site"/pkg/split_*.wasm 2>/dev/null | head -n1 || true)
sizes=$(
  size_row '`pkg/wharf.wasm` (main module, every page)' "$site/pkg/wharf.wasm"
  size_row "lazy route chunks, all ${#chunks[@]} files together" "${chunks[@]}"
  [ -n "$largest_split" ] && size_row "largest route chunk \`${largest_split##*/}\`" "$largest_split"
  size_row "main module + every chunk" "$site/pkg/wharf.wasm" "${chunks[@]}"
  for f in "$site"/pkg/*.js "$site"/pkg/*.css; do size_row "\`${f#"$site/"}\`" "$f"; done
)
# What one page loads: the main module plus its route's chunks (wasm-split's manifest).
per_page=$(cd "$site/pkg" && [ -f __wasm_split_manifest.json ] && python3 - <<'PY'
import gzip, json
main = len(gzip.compress(open("wharf.wasm", "rb").read(), 9))
pages = json.load(open("__wasm_split_manifest.json"))
rows = sorted(
    ((sum(len(gzip.compress(open(f + ".wasm", "rb").read(), 9)) for f in files), name) for name, files in pages.items()),
    reverse=True,
)
print("| lazy route | its chunks, gzip -9 | main module + its chunks, gzip -9 |")
print("|---|---|---|")
print(f"| (eager pages: dashboard, login, repositories, repository) | — | {main:,} B |")
for size, name in rows:
    route = name.strip("_").rsplit("_", 1)[0]
    print(f"| `{route}` | {size:,} B | {main + size:,} B |")
PY
) || per_page=""
# wharf serves the precompressed FILE.br / FILE.gz embedded next to FILE when the browser accepts it.
precompressed=$(cd "$site/pkg" && ls -- *.gz *.br 2>/dev/null | wc -l || true)
[ "${precompressed:-0}" -gt 0 ] && precompressed="$precompressed precompressed .gz/.br copies, served when the browser accepts them" || precompressed=
precompressed=${precompressed:-"no precompressed .gz/.br variants: served uncompressed (build with scripts/build.sh)"}

kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
server_pid=""

# --- report ---------------------------------------------------------------------------------
build="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' + local changes')"
cat <<MD
Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(date -u +%Y-%m-%d).
Build: \`scripts/build.sh\` of $build (binary built $(date -u -r "$wharf" '+%Y-%m-%d %H:%M UTC')).
Command: \`scripts/bench-console.sh\` (NAMESPACES=$NAMESPACES, REPOS=$REPOS, TAGS=$TAGS, BATCH=$BATCH,
SEED_CONCURRENCY=$SEED_CONCURRENCY, REQUESTS=$REQUESTS, WARMUP=$WARMUP, TTI_RUNS=$TTI_RUNS, DB=$DB); $database_label.

Catalog: $((NAMESPACES * REPOS)) repositories and $events tags in $NAMESPACES private team namespaces
(\`teamNNN/appNNN\`, tags \`v1\`…, the last one \`latest\` on the same digest as the one before),
seeded as $seed_envelopes notification envelopes of up to $BATCH push events over $SEED_CONCURRENCY
connections in **$seed_secs s** ($seed_rate events/s); users, teams and namespaces created with the
CLI beforehand in $setup_time s. \`$USER_NAME\` is a viewer of $member_teams of the teams (the even
ones); \`$ADMIN\` is an administrator and member of none. Then \`$big_repo\` with $BIG_TAGS tags, and
image details (manifest and configuration of a three-layer image) stored for all $details digests. wharf RSS: $idle_rss MiB idle, $seeded_rss MiB
after seeding, $loaded_rss MiB after the requests; database $db_size MiB.
$([ "$reuse" = 1 ] && echo "The catalog was reused from an earlier run (BENCH_STATE): its setup and seeding figures are that run's, and *after seeding* means after starting on it.")

Server functions (\`POST /api/…\`, form-encoded, session cookie; one keep-alive connection,
strictly sequential, $WARMUP untimed then $REQUESTS timed requests per row and user; round trip
on loopback, client on the same 2 cores):

$(cat "$work/requests.md")

Dashboard (\`$TTI_PATH\`) in headless Chromium (Playwright, Debian's \`/usr/bin/chromium\`), median of
$TTI_RUNS runs after one untimed visit, in ms from navigation start; *cold*: a fresh browser
context (empty cache, only the session cookie), *warm*: the same page loaded again right after.
*content*: \`$TTI_SELECTOR\` first in the document; *hydrated*: the first task after the wasm
module was instantiated (wasm-bindgen init and Leptos \`hydrate()\` run in that promise chain);
**TTI** = max(hydrated, end of the last network response), the page hydrated and its network
quiet; *networkidle (wall)* is Playwright's, which waits 500 ms of quiet on top.

$(cat "$work/tti.md")

Console assets (\`$site/pkg\`; $precompressed):

| file | raw | gzip -9 | ratio | brotli (sent to browsers) |
|---|---|---|---|---|
$sizes

What each page loads (the main module, plus the chunks of its route when it is lazy):

$per_page

Reproduce: \`scripts/build.sh\`, \`scripts/install-tools.sh --test\` (Playwright,
Chromium), \`scripts/bench-console.sh\` (set NAMESPACES, REPOS, TAGS, REQUESTS, TTI_RUNS to
change the sizes).
MD
