#!/usr/bin/env bash
# The release build of wharf with its console, in two steps so the binary can embed the site:
#  1. the site: wasm split into a main module and lazily loaded route chunks (`--split`, the
#     `#[lazy_route]` pages), css, assets, with brotli and gzip copies; the gzip copies are
#     then redone at level 9 (cargo-leptos compresses faster and larger);
#  2. the `wharf` binary, which embeds target/site (server/src/http/assets.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cargo leptos build --release --precompress --split --frontend-only "$@"
find target/site -type f -name '*.gz' | while read -r gz; do
  gzip -9 -n -c "${gz%.gz}" > "$gz"
done
cargo leptos build --release --split --server-only "$@"
