#!/usr/bin/env bash
# Builds wharf (console included) and runs it on embedded SQLite under ./wharf-data.
# First run: installs missing build tools (a while), creates an `admin` user and prints
# its password. Any `wharf serve` flag can be appended, e.g. scripts/run.sh --listen 0.0.0.0:8080
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

bash scripts/install-tools.sh
bash scripts/build.sh

export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
export WHARF_DATA_DIR="${WHARF_DATA_DIR:-wharf-data}"
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
wharf="$target_dir/release/wharf"

"$wharf" migrate >/dev/null
password_file="$WHARF_DATA_DIR/initial-admin-password"
if [ ! -f "$password_file" ]; then
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  if printf '%s' "$password" | "$wharf" user add admin --admin --password-stdin >/dev/null 2>&1; then
    umask 077 && printf '%s\n' "$password" > "$password_file"
  fi
fi

listen="${WHARF_LISTEN:-127.0.0.1:8080}"
echo
echo "  wharf console:  http://$listen/"
if [ -f "$password_file" ]; then
  echo "  sign in as:     admin / $(cat "$password_file")   (saved in $password_file)"
fi
echo "  registry config for a replica:  $wharf registry-config --listen 127.0.0.1:5001 --storage /srv/registry"
echo
exec "$wharf" serve "$@"
