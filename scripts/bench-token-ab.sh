#!/usr/bin/env bash
# Token issuance (P1, warm: cached credentials) of two wharf binaries on the same machine in
# alternating rounds, so a change can be shown not to slow the hot path:
#   scripts/bench-token-ab.sh BEFORE_BINARY AFTER_BINARY    (DURATION, ROUNDS, CONNS to tune)
# Each binary serves its own SQLite data dir with the same user.
set -euo pipefail
cd "$(dirname "$0")/.."
before=${1:?usage: $0 BEFORE_BINARY AFTER_BINARY}
after=${2:?usage: $0 BEFORE_BINARY AFTER_BINARY}
. scripts/bench/token-rounds.sh

before_port=$(start_token_server before "$before")
after_port=$(start_token_server after "$after")
alternate_rounds before "$before_port" after "$after_port"
