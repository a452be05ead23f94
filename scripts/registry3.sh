#!/usr/bin/env bash
# Prints the path of distribution 3.1.1 (`registry:3`), building it the first time with the
# workplace's shared tool (tools/registry3.sh: the released source in vendor/, Go from PyPI;
# cached under /var/tmp/wharf-tools). The shared folder is found wherever this clone lives:
# $WHARF_SHARED_DIR, else ../shared beside the clone, else /work/shared.
set -euo pipefail
cd "$(dirname "$0")/.."
for dir in "${WHARF_SHARED_DIR:-}" ../shared /work/shared; do
  if [ -n "$dir" ] && [ -f "$dir/tools/registry3.sh" ]; then
    exec bash "$dir/tools/registry3.sh"
  fi
done
echo "registry 3: no shared tools folder (set WHARF_SHARED_DIR to the folder holding tools/registry3.sh)" >&2
exit 1
