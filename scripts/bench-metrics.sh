#!/usr/bin/env bash
# What /metrics costs on the token hot path (P1): two wharf processes from the same release
# binary, one with metrics on (default) and one with metrics = false, same user, same scope,
# same wrk load, measured in alternating rounds so both see the same machine.
# Usage: scripts/bench-metrics.sh   (needs a release build; DURATION, ROUNDS, CONNS to tune)
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
wharf="$target_dir/release/wharf"
[ -x "$wharf" ] || { echo "build first: bash scripts/build.sh" >&2; exit 1; }
command -v wrk >/dev/null || { echo "apt-get install wrk" >&2; exit 1; }

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
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

start() { # name metrics(true|false) -> port
  local dir="$work/$1" port
  port=$(free_port)
  mkdir -p "$dir"
  echo "$PW" | WHARF_DATA_DIR="$dir" "$wharf" user add bench --password-stdin >/dev/null
  # The per-address request limit is off: the load comes from one address on purpose.
  WHARF_DATA_DIR="$dir" WHARF_PUBLIC_URL="http://127.0.0.1:$port" WHARF_LOG=warn \
    WHARF_METRICS="$2" WHARF_IP_REQUESTS_PER_SECOND=0 \
    "$wharf" serve --listen "127.0.0.1:$port" >"$dir.log" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$port/health/live"
  curl -fs -H "$auth" "http://127.0.0.1:$port/v2/token?$scope" >/dev/null
  echo "$port"
}

on=$(start on true)
off=$(start off false)
curl -fs "http://127.0.0.1:$on/metrics" | grep -q wharf_token_requests_total || { echo "metrics not served" >&2; exit 1; }
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$off/metrics")" = 404 ] || { echo "metrics not off" >&2; exit 1; }

summarise() { awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF} END {printf "%s %s %s %s\n", rps, p50, p99, (bad==""?0:bad)}'; }

echo "| round | metrics | tokens/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
for r in $(seq "$ROUNDS"); do
  for side in on off; do
    port=${!side}
    read -r rps p50 p99 bad < <(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -H "$auth" \
      "http://127.0.0.1:$port/v2/token?$scope" | summarise)
    echo "| $r | $side | $rps | $p50 | $p99 | $bad |"
    echo "$side $rps" >>"$work/rates"
  done
done
python3 - "$work/rates" <<'PY'
import statistics, sys
rates = {"on": [], "off": []}
for line in open(sys.argv[1]):
    side, rps = line.split()
    rates[side].append(float(rps))
on, off = statistics.median(rates["on"]), statistics.median(rates["off"])
# Rounds are paired (on, then off, back to back): the paired ratio cancels most machine drift.
paired = sorted(100 * (b - a) / b for a, b in zip(rates["on"], rates["off"]))
print(f"\nmedian tokens/s: metrics on {on:,.0f}, off {off:,.0f}")
print(f"paired overhead per round (off - on) / off: " + ", ".join(f"{p:+.1f} %" for p in paired))
print(f"median paired overhead: {statistics.median(paired):+.1f} %")
PY
echo
curl -fs "http://127.0.0.1:$on/metrics" | grep -E '^wharf_token_request(s_total|_duration_seconds_(count|sum))'
