#!/usr/bin/env bash
# Token issuance (P1, warm: cached credentials) of two wharf binaries on the same machine in
# alternating rounds, so a change can be shown not to slow the hot path:
#   scripts/bench-token-ab.sh BEFORE_BINARY AFTER_BINARY    (DURATION, ROUNDS, CONNS to tune)
# Each binary serves its own SQLite data dir with the same user; wrk sends Basic credentials
# and one push+pull scope on every request, as docker does.
set -euo pipefail
cd "$(dirname "$0")/.."
before=${1:?usage: $0 BEFORE_BINARY AFTER_BINARY}
after=${2:?usage: $0 BEFORE_BINARY AFTER_BINARY}
command -v wrk >/dev/null || { echo "apt-get install wrk" >&2; exit 1; }

DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-6}
CONNS=${CONNS:-32}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 100); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

PW=bench-password-123
auth="Authorization: Basic $(printf 'bench:%s' "$PW" | base64)"
scope="service=wharf-registry&scope=repository:bench/app:pull,push"

start() { # name binary -> port
  local dir="$work/$1" port
  port=$(free_port)
  mkdir -p "$dir"
  echo "$PW" | WHARF_DATA_DIR="$dir" "$2" user add bench --password-stdin >/dev/null
  # The per-address limits are off: the load comes from one address on purpose.
  WHARF_DATA_DIR="$dir" WHARF_PUBLIC_URL="http://127.0.0.1:$port" WHARF_LOG=warn \
    WHARF_IP_REQUESTS_PER_SECOND=0 WHARF_IP_FAILURES_PER_MINUTE=0 \
    "$2" serve --listen "127.0.0.1:$port" >"$dir.log" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$port/health/live"
  curl -fs -H "$auth" "http://127.0.0.1:$port/v2/token?$scope" >/dev/null
  echo "$port"
}

before_port=$(start before "$before")
after_port=$(start after "$after")

summarise() { awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF} END {printf "%s %s %s %s\n", rps, p50, p99, (bad==""?0:bad)}'; }

echo "| round | binary | tokens/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
for r in $(seq "$ROUNDS"); do
  for side in before after; do
    port_var="${side}_port"
    read -r rps p50 p99 bad < <(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -H "$auth" \
      "http://127.0.0.1:${!port_var}/v2/token?$scope" | summarise)
    echo "| $r | $side | $rps | $p50 | $p99 | $bad |"
    echo "$side $rps" >>"$work/rates"
  done
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
b=$(awk '$1=="before" {print $2}' "$work/rates" | median)
a=$(awk '$1=="after" {print $2}' "$work/rates" | median)
echo
echo "median tokens/s: before $b, after $a ($(python3 -c "print(f'{($a-$b)/$b*100:+.1f} %')"))"
