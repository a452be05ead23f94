#!/usr/bin/env bash
# Starts wharf for the browser tests: a fresh SQLite data dir without users, and a
# real registry (distribution 3.1.1, `REGISTRY3_BIN` or scripts/registry3.sh) on free loopback ports that trusts this wharf's tokens
# and sends it notifications.
#
#   bash serve-for-test.sh PORT
#
# For the tests (see tests/registry.ts) it writes, under $E2E_STATE_DIR (default end2end/.state):
#   registry       the registry's address, 127.0.0.1:PORT (written once the registry is healthy)
#   registry.log   the registry's log (token rejections are only explained there)
# wharf stays in the foreground (its log goes to this script's stderr). On exit, SIGTERM or
# SIGINT the registry and wharf are stopped and the data dir is removed; on SIGKILL of the process
# group (Playwright's fallback) the children die with the group.
set -euo pipefail
port=$1
root="$(cd "$(dirname "$0")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
wharf="$target_dir/release/wharf"
state="${E2E_STATE_DIR:-$root/end2end/.state}"
mkdir -p "$state"
state="$(cd "$state" && pwd)"
rm -f "$state/registry"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
regport=$(free_port)
dbgport=$(free_port)
while [ "$regport" = "$dbgport" ] || [ "$regport" = "$port" ] || [ "$dbgport" = "$port" ]; do
  dbgport=$(free_port)
done
registry_addr="127.0.0.1:$regport"

data=$(mktemp -d)
registry_pid=""
wharf_pid=""
cleanup() {
  trap - EXIT INT TERM HUP
  for pid in $wharf_pid $registry_pid; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -f "$state/registry" "$state/setup-token"
  rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

export WHARF_DATA_DIR="$data" WHARF_PUBLIC_URL="http://127.0.0.1:$port" WHARF_LOG=warn
export WHARF_REGISTRY_HOST="$registry_addr"
# An empty site dir: the release binary must serve the console it embeds, nothing from disk.
mkdir -p "$data/no-site"
export LEPTOS_SITE_ROOT="$data/no-site"
# No users: the tests sign up the first administrator in the browser, with the one-time setup
# token wharf writes to its data dir (copied to $state/setup-token for them).
# Replica probes every second, so the registries page shows live health quickly.
export WHARF_PROBE_INTERVAL_SECS=1
# The webhook test's receiver listens on loopback, which webhooks may reach only when allowed.
export WHARF_WEBHOOK_ALLOW='["127.0.0.0/8"]' WHARF_WEBHOOK_BACKOFF_MS=500

# Also records the replica (registry "default", public host $WHARF_REGISTRY_HOST) in wharf.
registry_bin=${REGISTRY3_BIN:-$(bash "$root/scripts/registry3.sh")}
"$wharf" registry-config --registry-version 3 --listen "$registry_addr" --debug-addr "127.0.0.1:$dbgport" \
  --storage "$data/registry" >"$data/registry.yml"
"$registry_bin" serve "$data/registry.yml" >"$state/registry.log" 2>&1 &
registry_pid=$!

# Wait (up to 15 s) until the registry answers its health check.
healthy=0
for _ in $(seq 1 150); do
  if ! kill -0 "$registry_pid" 2>/dev/null; then
    break
  fi
  if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
    "http://127.0.0.1:$dbgport/debug/health" 2>/dev/null; then
    healthy=1
    break
  fi
  sleep 0.1
done
if [ "$healthy" != 1 ]; then
  echo "serve-for-test: the registry did not become healthy on $registry_addr; its log:" >&2
  tail -n 30 "$state/registry.log" >&2 || true
  exit 1
fi
echo "$registry_addr" >"$state/registry.tmp"
mv "$state/registry.tmp" "$state/registry"
echo "serve-for-test: registry 3.1.1 on $registry_addr (log: $state/registry.log)" >&2

rm -f "$state/setup-token"
"$wharf" serve --listen "127.0.0.1:$port" &
wharf_pid=$!
for _ in $(seq 1 100); do
  [ -f "$data/setup-token" ] && break
  sleep 0.1
done
cp "$data/setup-token" "$state/setup-token"

# Stay in the foreground until either process ends; the EXIT trap stops the other one.
status=0
wait -n "$wharf_pid" "$registry_pid" || status=$?
if ! kill -0 "$registry_pid" 2>/dev/null; then
  echo "serve-for-test: docker-registry exited; last lines of its log:" >&2
  tail -n 30 "$state/registry.log" >&2 || true
  [ "$status" = 0 ] && status=1
fi
exit "$status"
