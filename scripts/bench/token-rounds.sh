# Shared by bench-metrics.sh and bench-token-ab.sh (sourced, not run): two wharf servers with
# the same user, and wrk's warm token load (Basic credentials + one push+pull scope on every
# request, as docker sends) against each in alternating rounds, so both share the machine's
# drift. Tune with DURATION, ROUNDS, CONNS.
command -v wrk >/dev/null || { echo "apt-get install wrk" >&2; exit 1; }
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-6}
CONNS=${CONNS:-32}
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PW=bench-password-123
auth="Authorization: Basic $(printf 'bench:%s' "$PW" | base64)"
scope="service=wharf-registry&scope=repository:bench/app:pull,push"

# start_token_server NAME BINARY [VAR=value...] -> prints the port, caches warm.
start_token_server() {
  local dir="$work/$1" binary=$2 port
  shift 2
  port=$(free_port)
  mkdir -p "$dir"
  echo "$PW" | WHARF_DATA_DIR="$dir" "$binary" user add bench --password-stdin >/dev/null
  # The per-address limits are off: the load comes from one address on purpose.
  env WHARF_DATA_DIR="$dir" WHARF_PUBLIC_URL="http://127.0.0.1:$port" WHARF_LOG=warn \
    WHARF_IP_REQUESTS_PER_SECOND=0 WHARF_IP_FAILURES_PER_MINUTE=0 "$@" \
    "$binary" serve --listen "127.0.0.1:$port" >"$dir.log" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$port/health/live"
  curl -fs -H "$auth" "http://127.0.0.1:$port/v2/token?$scope" >/dev/null
  echo "$port"
}

summarise() { awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF} END {printf "%s %s %s %s\n", rps, p50, p99, (bad==""?0:bad)}'; }

# alternate_rounds LABEL_A PORT_A LABEL_B PORT_B: a Markdown table of every round, then the
# median rate of each side and the paired difference (B - A) / A per round.
alternate_rounds() {
  local label_a=$1 port_a=$2 label_b=$3 port_b=$4 r label port rps p50 p99 bad
  echo "| round | server | tokens/s | p50 | p99 | non-2xx |"
  echo "|---|---|---|---|---|---|"
  for r in $(seq "$ROUNDS"); do
    for label in "$label_a" "$label_b"; do
      port=$port_a
      [ "$label" = "$label_b" ] && port=$port_b
      read -r rps p50 p99 bad < <(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -H "$auth" \
        "http://127.0.0.1:$port/v2/token?$scope" | summarise)
      echo "| $r | $label | $rps | $p50 | $p99 | $bad |"
      echo "$label $rps" >>"$work/rates"
    done
  done
  python3 - "$work/rates" "$label_a" "$label_b" <<'PY'
import statistics, sys
path, a_label, b_label = sys.argv[1:]
rates = {a_label: [], b_label: []}
for line in open(path):
    label, rps = line.split()
    rates[label].append(float(rps))
a, b = statistics.median(rates[a_label]), statistics.median(rates[b_label])
# Rounds are paired (A, then B, back to back): the paired ratio cancels most machine drift.
paired = sorted(100 * (y - x) / x for x, y in zip(rates[a_label], rates[b_label]))
print(f"\nmedian tokens/s: {a_label} {a:,.0f}, {b_label} {b:,.0f} ({100 * (b - a) / a:+.1f} %)")
print(f"paired difference per round ({b_label} - {a_label}) / {a_label}: " + ", ".join(f"{p:+.1f} %" for p in paired))
print(f"median paired difference: {statistics.median(paired):+.1f} %")
PY
}
