#!/usr/bin/env bash
# Installs what building and testing wharf needs, skipping whatever is already there.
# Offline-friendly: everything comes from Debian, crates.io or npm, never GitHub downloads.
#   scripts/install-tools.sh          build tools only (wasm target, cargo-leptos, wasm-bindgen, npm)
#   scripts/install-tools.sh --test   also the real pieces the tests drive (registry 2.8 and 3,
#                                     skopeo, podman, …)
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.11
# Must equal the wasm-bindgen crate version pinned in Cargo.toml / Cargo.lock.
WASM_BINDGEN_VERSION=0.2.130
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

apt_pkgs=()
need_pkg() { dpkg -s "$1" >/dev/null 2>&1 || apt_pkgs+=("$1"); }
need_pkg pkg-config
need_pkg libssl-dev
if [ "$want_test" = 1 ]; then
  for p in docker-registry skopeo podman nginx chromium wrk openssl keepalived iproute2 curl docker.io docker-compose mmdebstrap slapd ldap-utils; do need_pkg "$p"; done
fi
if [ "${#apt_pkgs[@]}" -gt 0 ]; then
  log "apt-get install ${apt_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_pkgs[@]}" >/dev/null
fi

# Kubernetes object schemas for checking deploy/kubernetes (PyPI; it carries the schemas).
if [ "$want_test" = 1 ] && ! command -v kubernetes-validate >/dev/null 2>&1; then
  log "pip install kubernetes-validate"
  python3 -m pip install -q --disable-pip-version-check kubernetes-validate==1.37.0
  command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
fi

# distribution 3.1.1 (`registry:3`), built once from the released source in the shared vendor/
# and cached under /var/tmp/wharf-tools; the tests run it beside Debian's 2.8.2.
if [ "$want_test" = 1 ]; then
  registry3=$(bash scripts/registry3.sh)
  log "registry 3: $registry3"
fi

if ! rustup target list --installed | grep -q wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# cargo install --locked of these versions fails on rustc 1.95 because of two transitive
# crates; install from the unpacked crate source with those two pinned one patch back.
install_from_source() { # crate version bin pin-crate pin-version
  local crate=$1 version=$2 bin=$3 pin=$4 pin_version=$5
  local src work
  cargo info "$crate@$version" >/dev/null 2>&1 || true
  src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"$crate-$version" | head -n1)
  work=$(mktemp -d)
  cp -r "$src" "$work/src"
  rm -f "$work/src/rust-toolchain.toml" "$work/src/rust-toolchain"
  (cd "$work/src" && cargo update -q -p "$pin" --precise "$pin_version" &&
    CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install -q --path . --locked --bin "$bin" ${EXTRA_FEATURES:-})
  rm -rf "$work"
}

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  log "installing cargo-leptos $CARGO_LEPTOS_VERSION from source (about 14 min on 2 cores)"
  EXTRA_FEATURES="--features no_downloads" install_from_source cargo-leptos "$CARGO_LEPTOS_VERSION" cargo-leptos cargo-util-schemas 0.14.1
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION from source (about 6 min)"
  install_from_source wasm-bindgen-cli "$WASM_BINDGEN_VERSION" wasm-bindgen webpki-roots 1.0.10
fi

if [ -f package.json ] && [ ! -x node_modules/.bin/tailwindcss ]; then
  log "npm ci (tailwindcss, binaryen)"
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ "$want_test" = 1 ] && [ -f end2end/package.json ] && [ ! -d end2end/node_modules/@playwright ]; then
  log "npm ci in end2end (playwright, uses Debian's chromium)"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
# The unused-dependency check of scripts/test.sh (reads the sources; builds nothing).
CARGO_MACHETE_VERSION=0.9.2
if [ "$want_test" = 1 ] && ! cargo machete --version 2>/dev/null | grep -q "$CARGO_MACHETE_VERSION"; then
  log "installing cargo-machete $CARGO_MACHETE_VERSION"
  cargo install -q --locked cargo-machete --version "$CARGO_MACHETE_VERSION"
fi
# The dependency policy check of scripts/test.sh (deny.toml): licences, bans, sources, and
# advisories from a local clone of the RustSec database (no GitHub access here). The clone is
# made from WHARF_ADVISORY_MIRROR (a git repository of rustsec/advisory-db) when one exists;
# without it the advisory part is reported as skipped, never silently passed.
CARGO_DENY_VERSION=0.20.2
if [ "$want_test" = 1 ] && ! cargo deny --version 2>/dev/null | grep -q "$CARGO_DENY_VERSION"; then
  log "installing cargo-deny $CARGO_DENY_VERSION (about 10 min)"
  cargo install -q --locked cargo-deny --version "$CARGO_DENY_VERSION"
fi
advisory_mirror=${WHARF_ADVISORY_MIRROR:-/work/.mirror/rustsec+advisory-db/repo}
# cargo-deny's own name for a checkout of https://github.com/rustsec/advisory-db in db-path.
advisory_db=/var/tmp/wharf-tools/advisory-dbs/advisory-db-3157b0e258782691
if [ "$want_test" = 1 ] && [ -d "$advisory_mirror" ]; then
  if [ -d "$advisory_db/.git" ]; then
    git -C "$advisory_db" pull -q --ff-only "$advisory_mirror" || true
  else
    log "advisory database: cloning $advisory_mirror"
    mkdir -p "$(dirname "$advisory_db")"
    git clone -q "$advisory_mirror" "$advisory_db"
  fi
fi
log "tools ready"
