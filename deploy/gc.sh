#!/bin/sh
# Frees the disk space of deleted images (retention runs, `wharf tag delete`, the console):
# deleting a manifest only unlinks it; its layers stay on disk until the registry's garbage
# collection runs, and that must run while no replica accepts pushes. So:
#   1. both replicas restart read-only (config/registry-read-only.yml, printed by
#      `wharf registry-config --template --read-only`): pulls keep working, pushes are
#      refused (405 Method Not Allowed);
#   2. `registry garbage-collect` runs once against the shared storage;
#   3. both replicas restart as usual.
# Run it from deploy/ of a running stack: ./gc.sh   (COMPOSE="docker-compose -p NAME" to use
# another compose command). scripts/stack-test.sh runs it and measures what it frees.
set -eu
cd "$(dirname "$0")"
compose=${COMPOSE:-docker compose}
replicas=${REPLICAS:-registry1 registry2}
lb=${LB:-lb}

wait_replica() { # SERVICE: its /debug/health answers (at most 90 s)
  i=0
  until $compose exec -T "$1" wget -q -O /dev/null http://127.0.0.1:5001/debug/health 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -le 90 ] || { echo "gc: $1 did not come back" >&2; return 1; }
    sleep 1
  done
}

restart_replicas() { # TEMPLATE FILE under config/
  # shellcheck disable=SC2086
  REGISTRY_TEMPLATE_FILE=$1 $compose up -d --no-deps --force-recreate $replicas
  for r in $replicas; do wait_replica "$r"; done
  # Recreated containers may have new addresses: nginx resolves them again on reload.
  [ -z "$lb" ] || $compose exec -T "$lb" nginx -s reload
}

echo "gc: replicas read-only"
restart_replicas registry-read-only.yml
first=${replicas%% *}
echo "gc: garbage collection"
$compose exec -T "$first" sh -c 'exec "${REGISTRY_BIN:-registry}" garbage-collect /tmp/registry-config.yml'
echo "gc: replicas back to normal"
restart_replicas registry.yml
echo "gc: done"
