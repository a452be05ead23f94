#!/usr/bin/env bash
# The release build of wharf with its console: the site (wasm, css, assets; gzip and brotli
# copies) is built first, then the `wharf` binary that embeds it (server/src/http/assets.rs).
# `--precompress` is what makes cargo-leptos build the two in that order.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
exec cargo leptos build --release --precompress "$@"
