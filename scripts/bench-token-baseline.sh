#!/usr/bin/env bash
# Token issuance (P1, warm) against a server that only signs (issue 20): wharf's /v2/token and
# wharf-token-baseline (server/src/bin/token_baseline.rs: same signer, key, header and claims,
# same tokio/axum stack; no credentials, policy, middleware or metrics) under the same wrk load,
# in alternating rounds.
#   scripts/bench-token-baseline.sh [WHARF_BINARY [BASELINE_BINARY]]
# Both default to the release builds in the target dir: bash scripts/build.sh, then
#   cargo leptos build --release --split --server-only --bin-cargo-args=--bin=wharf-token-baseline
# DURATION, ROUNDS, CONNS tune the rounds. PROFILE=1 then samples each server with `perf` during
# one more run apiece and prints where the CPU time goes, grouped by stage
# (scripts/bench/profile_stages.py).
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
wharf=${1:-$target_dir/release/wharf}
baseline=${2:-$target_dir/release/wharf-token-baseline}
for b in "$wharf" "$baseline"; do
  [ -x "$b" ] || { echo "$b is missing: see the build commands at the top of $0" >&2; exit 1; }
done
. scripts/bench/token-rounds.sh

wharf_port=$(start_token_server wharf "$wharf")
mkdir -p "$work/baseline"
baseline_port=$(free_port)
WHARF_DATA_DIR="$work/baseline" "$baseline" "127.0.0.1:$baseline_port" >"$work/baseline.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$baseline_port/health/live"
# Both answer the same request with a token of the same shape and size.
for port in "$baseline_port" "$wharf_port"; do
  curl -fs -H "$auth" "http://127.0.0.1:$port/v2/token?$scope" | python3 -c '
import base64, json, sys
t = json.load(sys.stdin)["token"]
claims = json.loads(base64.urlsafe_b64decode(t.split(".")[1] + "=="))
assert claims["access"] == [{"type": "repository", "name": "bench/app", "actions": ["pull", "push"]}], claims
print(f"token of {len(t)} bytes for", claims["sub"], claims["access"])'
done

# B - A with A = the baseline: wharf's own work shows as a negative difference.
alternate_rounds baseline "$baseline_port" wharf "$wharf_port"

if [ "${PROFILE:-0}" = 1 ]; then
  command -v perf >/dev/null || { echo "PROFILE=1 needs perf (apt-get install linux-perf)" >&2; exit 1; }
  for label in baseline wharf; do
    port=$baseline_port pid=$(pgrep -f "wharf-token-baseline 127.0.0.1:$baseline_port" | head -1)
    if [ "$label" = wharf ]; then
      port=$wharf_port pid=$(pgrep -f "serve --listen 127.0.0.1:$wharf_port" | head -1)
    fi
    wrk -t2 -c"$CONNS" -d"$((DURATION + 2))s" -H "$auth" "http://127.0.0.1:$port/v2/token?$scope" \
      >"$work/$label.wrk" &
    wrk_pid=$!
    sleep 1
    perf record -q -F 2999 -p "$pid" -o "$work/$label.perf" -- sleep "$DURATION" 2>/dev/null
    wait "$wrk_pid"
    echo
    echo "### $label: $(summarise <"$work/$label.wrk" | cut -d' ' -f1) tokens/s while sampled"
    perf report -i "$work/$label.perf" --no-children --sort dso,sym --stdio 2>/dev/null \
      | python3 scripts/bench/profile_stages.py
  done
fi
