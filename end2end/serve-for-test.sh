#!/usr/bin/env bash
# Starts wharf for the browser tests: a fresh SQLite data dir, a few users and namespaces.
set -euo pipefail
port=$1
root="$(cd "$(dirname "$0")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
wharf="$target_dir/release/wharf"
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
export WHARF_DATA_DIR="$data" WHARF_PUBLIC_URL="http://127.0.0.1:$port" WHARF_LOG=warn
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$root/target/site}"
echo "e2e-admin-password" | "$wharf" user add admin --admin --password-stdin
echo "e2e-alice-password" | "$wharf" user add alice --password-stdin
"$wharf" team add devs --owner alice
"$wharf" namespace add devs --team devs --visibility private
"$wharf" namespace add secret-team --team devs --visibility private
echo "e2e-bob-password" | "$wharf" user add bob --password-stdin
"$wharf" serve --listen "127.0.0.1:$port"
