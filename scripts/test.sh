#!/usr/bin/env bash
# Runs every check wharf has: formatting, lints (server and browser builds), unit tests,
# integration tests against real docker-registry/skopeo/podman on SQLite and PostgreSQL,
# the browser tests in Debian's Chromium, and the deployment bundle started for real.
# Needs PostgreSQL on 127.0.0.1:5432 (trust auth) — see README.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

bash scripts/install-tools.sh --test
# The integration tests run registry 3.1.1 from here (cached after the first build).
REGISTRY3_BIN=$(bash scripts/registry3.sh)
export REGISTRY3_BIN

step "cargo fmt --check"
cargo fmt --all -- --check
step "unused dependencies (cargo machete)"
cargo machete

step "dependency policy (cargo deny: licences, bans, sources, advisories; deny.toml)"
# Offline: the advisory database is a local checkout, and `cargo fetch` first brings every
# crate the lock file names (for all platforms) so cargo metadata needs no network either.
cargo fetch -q
if [ -d /var/tmp/wharf-tools/advisory-dbs/advisory-db-3157b0e258782691/.git ]; then
  cargo deny --offline check
else
  echo "advisories: SKIPPED - no local advisory database (set WHARF_ADVISORY_MIRROR to a clone of rustsec/advisory-db and rerun scripts/install-tools.sh --test)"
  cargo deny --offline check licenses bans sources
fi

step "clippy (server side, all targets)"
cargo clippy -p wharf-server -p wharf-app -p wharf-migration --all-targets --features wharf-app/ssr -- -D warnings
step "clippy (browser build, wasm32: proves no server crate reaches the browser)"
cargo clippy -p wharf-frontend --target wasm32-unknown-unknown -- -D warnings

step "unit tests (app: domain, policy, auth, config)"
cargo test -p wharf-app --features ssr
step "server tests (unit + integration with real registry, skopeo, podman; SQLite and PostgreSQL)"
cargo test -p wharf-server
step "benchmarks kept runnable (retention plan at 100,000 tags, a run against registry 3.1.1; figures in docs/BENCHMARKS.md)"
cargo test -p wharf-server --test integration -- --ignored --nocapture retention_plan_at_100k_tags retention_run_against_registry_3

step "browser tests (Playwright + Debian Chromium against a release build)"
bash scripts/build.sh
export E2E_PORT
E2E_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd end2end && npx playwright test)

step "deployment bundle running (deploy/compose.yaml on a real Docker engine, then the Kubernetes manifest under podman kube play)"
# The wharf image packages the binary just built (--target prebuilt); STACK_TEST_WHARF_IMAGE=full
# builds it with the whole Dockerfile instead (about 20 min more on 2 cores when cold).
STACK_TEST_WHARF_IMAGE=${STACK_TEST_WHARF_IMAGE:-prebuilt} \
  WHARF_BIN="${CARGO_TARGET_DIR:-target}/release/wharf" bash scripts/stack-test.sh
