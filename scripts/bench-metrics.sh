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
DURATION=${DURATION:-10} ROUNDS=${ROUNDS:-3}
. scripts/bench/token-rounds.sh

on=$(start_token_server on "$wharf" WHARF_METRICS=true)
off=$(start_token_server off "$wharf" WHARF_METRICS=false)
curl -fs "http://127.0.0.1:$on/metrics" | grep -q wharf_token_requests_total || { echo "metrics not served" >&2; exit 1; }
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$off/metrics")" = 404 ] || { echo "metrics not off" >&2; exit 1; }

# B - A with A = metrics off: the overhead of metrics shows as a negative difference.
alternate_rounds off "$off" on "$on"
echo
curl -fs "http://127.0.0.1:$on/metrics" | grep -E '^wharf_token_request(s_total|_duration_seconds_(count|sum))'
