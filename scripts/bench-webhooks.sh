#!/usr/bin/env bash
# Webhook delivery throughput: how many deliveries per second wharf gets out to a local
# receiver (nginx answering 204), from registry notifications through the queue to the
# receiver's access log, on SQLite and on PostgreSQL (one process, then two sharing it).
# Usage: scripts/bench-webhooks.sh   (needs a release build; EVENTS, CONCURRENCY to tune)
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
wharf="$target_dir/release/wharf"
[ -x "$wharf" ] || { echo "build first: bash scripts/build.sh" >&2; exit 1; }
command -v nginx >/dev/null || { echo "apt-get install nginx" >&2; exit 1; }

EVENTS=${EVENTS:-3000}
CONCURRENCY=${CONCURRENCY:-8}
PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}
work=$(mktemp -d)
pids=()
pg_db=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "$pg_db" ] && psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 100); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

# The receiver: nginx answering every POST with 204 and logging it.
rx_port=$(free_port)
mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes 1;
error_log $work/nginx/logs/error.log warn;
pid $work/nginx/nginx.pid;
events { worker_connections 1024; }
http {
  access_log $work/nginx/logs/access.log;
  client_body_temp_path $work/nginx;
  server { listen 127.0.0.1:$rx_port; location / { return 204; } }
}
NGINX
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' &
pids+=($!)
sleep 0.5

# The notifications: EVENTS pushes of distinct tags, 100 per envelope.
python3 - "$work/envelopes" "$EVENTS" <<'PY'
import json, os, sys
out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out)
for start in range(0, n, 100):
    events = [{
        "id": f"bench-{i}", "timestamp": f"2026-12-01T{i // 3600 % 24:02}:{i // 60 % 60:02}:{i % 60:02}Z",
        "action": "push",
        "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 400,
                   "digest": f"sha256:{i:064x}", "repository": "bench/app", "tag": f"t{i}"},
        "actor": {"name": "bench"}, "request": {"method": "PUT"},
    } for i in range(start, min(n, start + 100))]
    with open(f"{out}/{start:08}.json", "w") as f:
        json.dump({"events": events}, f)
PY

run() { # label database_url processes
  local label=$1 db=$2 procs=$3 dir="$work/$1" ports=() token secret t0 t1 t2 seen backlog
  mkdir -p "$dir"
  : >"$work/nginx/logs/access.log"
  kill -USR1 "$(cat "$work/nginx/nginx.pid")"
  echo "bench-password-123" | WHARF_DATA_DIR="$dir" WHARF_DATABASE_URL="$db" "$wharf" user add bench --admin --password-stdin >/dev/null
  token=$(WHARF_DATA_DIR="$dir" WHARF_DATABASE_URL="$db" "$wharf" token add bench ci)
  for _ in $(seq "$procs"); do
    local port
    port=$(free_port)
    WHARF_DATA_DIR="$dir" WHARF_DATABASE_URL="$db" WHARF_PUBLIC_URL="http://127.0.0.1:$port" WHARF_LOG=warn \
      WHARF_WEBHOOK_ALLOW='["127.0.0.0/8"]' WHARF_WEBHOOK_CONCURRENCY="$CONCURRENCY" \
      "$wharf" serve --listen "127.0.0.1:$port" >>"$dir.log" 2>&1 &
    pids+=($!)
    wait_http "http://127.0.0.1:$port/health/live"
    ports+=("$port")
  done
  local api="http://127.0.0.1:${ports[0]}/api/v1" h=(-H "Authorization: Bearer $token" -H "Content-Type: application/json")
  # The events are pushes to bench/app: the bench user's personal namespace.
  curl -fs "${h[@]}" -d "{\"url\":\"http://127.0.0.1:$rx_port/hook\",\"events\":[\"push\"],\"secret\":\"bench-secret-123\"}" \
    "$api/namespaces/bench/webhooks" >/dev/null
  secret=$(cat "$dir/notification-secret")
  t0=$(date +%s.%N)
  local i=0
  for f in "$work"/envelopes/*.json; do
    local port=${ports[$((i % procs))]}
    i=$((i + 1))
    curl -fs -o /dev/null -H "Authorization: Bearer $secret" \
      -H "Content-Type: application/vnd.docker.distribution.events.v1+json" \
      --data-binary "@$f" "http://127.0.0.1:$port/v2/webhooks/events"
  done
  t1=$(date +%s.%N)
  # What was still queued when the last notification was accepted drains at the worker's pace.
  backlog=$((EVENTS - $(wc -l <"$work/nginx/logs/access.log")))
  seen=0
  for _ in $(seq 1200); do
    seen=$(wc -l <"$work/nginx/logs/access.log")
    [ "$seen" -ge "$EVENTS" ] && break
    sleep 0.05
  done
  t2=$(date +%s.%N)
  [ "$seen" -eq "$EVENTS" ] || { echo "$label: receiver got $seen of $EVENTS" >&2; exit 1; }
  python3 - "$label" "$procs" "$EVENTS" "$backlog" "$t0" "$t1" "$t2" <<'PY'
import sys
label, procs, n, backlog = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
t0, t1, t2 = map(float, sys.argv[5:])
drain = f"{backlog / (t2 - t1):,.0f}" if backlog >= 100 and t2 > t1 else "(no backlog)"
print(f"| {label} | {procs} | {n} | {t1 - t0:.2f} | {t2 - t0:.2f} | {n / (t2 - t0):,.0f} | {backlog} | {drain} |")
PY
  for p in "${pids[@]:1}"; do kill "$p" 2>/dev/null || true; done
  pids=("${pids[0]}")
}

echo "| database | wharf processes | deliveries | notifications accepted in (s) | all delivered in (s) | end-to-end deliveries/s | queued when the last notification was accepted | backlog drained, deliveries/s |"
echo "|---|---|---|---|---|---|---|---|"
run sqlite "sqlite://$work/sqlite/wharf.db?mode=rwc" 1
for procs in 1 2; do
  pg_db="wharf_bench_$$_$procs"
  psql -q "$PG_ADMIN" -c "CREATE DATABASE $pg_db" >/dev/null
  run "postgres-$procs" "postgres://postgres@127.0.0.1:5432/$pg_db" "$procs"
  psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null
  pg_db=""
done
