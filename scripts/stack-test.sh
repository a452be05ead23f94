#!/usr/bin/env bash
# deploy/compose.yaml, really running: the whole stack on a real Docker engine with
# docker-compose, driven from the host with the clients users have.
#
#   scripts/stack-test.sh            # WHARF_BIN=PATH (default $CARGO_TARGET_DIR/release/wharf)
#
# No image registry is needed: every image is built here from a Debian base made with
# mmdebstrap (cached under /var/tmp/wharf-tools) and deploy/images/*, and the wharf image from a
# binary built on this host by scripts/build.sh (deploy/Dockerfile --target prebuilt).
# Unless a Docker engine is already reachable, it starts dockerd on a socket of its own, with
# its data under /var/tmp/wharf-docker (image layers are kept for the next run) and stops it
# at the end. The stack runs in a copy of deploy/ on a free loopback port. Checked:
# every health check; the first administrator; docker login/push/pull and skopeo (TLS verified
# against the test CA) through nginx; console sign-in and the REST API; wharf sees the pushes;
# a registry replica killed, then a push; wharf restarted; the stack down and up again with its
# volumes. Every step is timed. Needs: docker.io, docker-compose, mmdebstrap, skopeo, curl,
# openssl, python3 (scripts/install-tools.sh --test).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
t_start=$EPOCHREALTIME

WHARF_BIN=${WHARF_BIN:-${CARGO_TARGET_DIR:-$repo/target}/release/wharf}
tools=/var/tmp/wharf-tools
docker_dir=${WHARF_DOCKER_DIR:-/var/tmp/wharf-docker}
max_seconds=${STACK_TEST_TIMEOUT:-1800}
export DOCKER_BUILDKIT=0 # the classic builder: no buildx here
services=(postgres redis wharf registry1 registry2 lb)

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------------------------------------
# Teardown (always), failure reporting, and a watchdog bounding the whole run.
work=""
project=""
certs_d=""
own_dockerd=""

compose() { (cd "$work/deploy" && timeout 300 docker-compose -p "$project" "$@"); }

teardown() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  [ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null
  if [ -n "$project" ] && [ -d "$work/deploy" ]; then
    log "teardown: docker-compose down -v"
    compose down -v --remove-orphans >/dev/null 2>&1
  fi
  [ -n "$certs_d" ] && rm -rf "$certs_d"
  [ -n "$work" ] && rm -rf "$work"
  if [ -n "$own_dockerd" ]; then
    kill "$own_dockerd" 2>/dev/null
    for _ in $(seq 30); do kill -0 "$own_dockerd" 2>/dev/null || break; sleep 1; done
    # dockerd sets the FORWARD policy to DROP and leaves it: put back what we found.
    [ "${forward_policy:-}" = ACCEPT ] && iptables -w -P FORWARD ACCEPT
  fi
  if [ "$rc" = 0 ]; then
    log "stack test passed in $(elapsed "$t_start") s"
  else
    printf '\033[1;31mstack test FAILED (exit %s) after %s s\033[0m\n' "$rc" "$(elapsed "$t_start")" >&2
  fi
  exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Stops the run when it overruns: children first (a foreground command would delay the trap).
( sleep "$max_seconds"
  echo "stack test: over ${max_seconds} s (STACK_TEST_TIMEOUT), stopping" >&2
  pkill -TERM -P $$ 2>/dev/null; kill -TERM $$ 2>/dev/null ) &
watchdog=$!

fail() {
  printf '\033[1;31mFAILED: %s\033[0m\n' "$*" >&2
  if [ -n "$project" ] && [ -d "$work/deploy" ]; then
    # The services the step named (suspects) and every one that is not healthy.
    local s
    for s in "${services[@]}"; do
      [ "$(health "$s")" = healthy ] || echo "$s" >>"$work/suspects"
    done
    for s in $(awk 'NF && !seen[$0]++' "$work/suspects"); do
      echo "--- docker-compose logs --tail=50 $s ($(health "$s")) ---" >&2
      compose logs --no-color --tail=50 "$s" >&2 || true
    done
  fi
  exit 1
}

# step NAME FUNCTION [ARGS]: runs it in a subshell with `set -e` (so any failing command
# fails the step; variables it sets stay there), prints its time, fails the run with its name.
declare -A took
step() {
  local name=$1 t0=$EPOCHREALTIME rc
  shift
  printf 'step %-20s … ' "$name"
  set +e
  (set -e; "$@") >"$work/step.out" 2>&1
  rc=$?
  set -e
  took[$name]=$(elapsed "$t0")
  if [ "$rc" != 0 ]; then
    echo "failed after ${took[$name]} s"
    tail -n 40 "$work/step.out" >&2
    fail "step $name"
  fi
  printf '%s s\n' "${took[$name]}"
  [ -z "${STACK_TEST_VERBOSE:-}" ] || cat "$work/step.out"
}
suspect() { echo "$1" >>"$work/suspects"; }

# Polls COMMAND until it succeeds, for at most SECONDS.
eventually() {
  local what=$1 seconds=$2 deadline
  shift 2
  deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "$what: not after ${seconds} s"
      "$@" || true
      return 1
    fi
    sleep 1
  done
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---------------------------------------------------------------------------------------------
# The engine and the images.
# Runs in the script's own shell (not a step): it sets DOCKER_HOST and own_dockerd.
start_engine() {
  if timeout 10 docker info >/dev/null 2>&1; then
    echo "using the engine at ${DOCKER_HOST:-the default socket}"
    return
  fi
  export DOCKER_HOST=unix://$docker_dir/docker.sock
  if timeout 10 docker info >/dev/null 2>&1; then
    echo "using the engine already running at $DOCKER_HOST"
    return
  fi
  command -v dockerd >/dev/null || fail "no dockerd: apt-get install docker.io"
  forward_policy=$(iptables -w -S FORWARD 2>/dev/null | awk '$1 == "-P" { print $3 }')
  mkdir -p "$docker_dir"
  # cgroupfs and lowered ulimits: what this kind of machine's kernel sandbox accepts.
  dockerd --data-root "$docker_dir/root" --exec-root "$docker_dir/exec" \
    -H "$DOCKER_HOST" --pidfile "$docker_dir/docker.pid" \
    --exec-opt native.cgroupdriver=cgroupfs \
    --default-ulimit nofile=20000:20000 --default-ulimit nproc=4096:4096 \
    >"$docker_dir/dockerd.log" 2>&1 &
  own_dockerd=$!
  echo "started dockerd (pid $own_dockerd, log $docker_dir/dockerd.log) on $DOCKER_HOST"
}

# Stacks left by an earlier run that was killed (their script is gone): they hold the
# compose file's fixed subnet.
clean_stale_stacks() {
  local p pid
  for p in $(docker ps -a --format '{{.Label "com.docker.compose.project"}}' | sort -u | grep '^wharfstack' || true); do
    pid=${p#wharfstack}
    kill -0 "$pid" 2>/dev/null && continue
    echo "removing stale stack $p"
    docker ps -aq --filter "label=com.docker.compose.project=$p" | xargs -r docker rm -f >/dev/null
    docker volume ls -q --filter "label=com.docker.compose.project=$p" | xargs -r docker volume rm >/dev/null
    docker network ls -q --filter "label=com.docker.compose.project=$p" | xargs -r docker network rm >/dev/null
  done
}

base_image=wharf-local/debian:bookworm
base_image() {
  local tar=$tools/debian-bookworm.tar
  if [ ! -s "$tar" ]; then
    command -v mmdebstrap >/dev/null || { echo "no mmdebstrap: apt-get install mmdebstrap"; return 1; }
    mkdir -p "$tools"
    # The host's apt sources; about a minute.
    mmdebstrap --variant=apt --format=tar bookworm "$tar.part"
    mv "$tar.part" "$tar"
  fi
  docker image inspect "$base_image" >/dev/null 2>&1 ||
    docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      "$tar" "$base_image"
}

build() { # TAG CONTEXT [docker build args]
  local tag=$1 context=$2
  shift 2
  timeout 900 docker build -q --build-arg BASE_IMAGE="$base_image" -t "$tag" "$@" "$context"
}

service_images() {
  build wharf-local/postgres:15 deploy/images/postgres
  build wharf-local/redis:7.0 deploy/images/redis
  build wharf-local/nginx:1.22 deploy/images/nginx
  local registry ctx
  registry=$(bash scripts/registry3.sh)
  ctx=$work/registry-context
  mkdir -p "$ctx"
  cp "$registry" "$ctx/registry"
  build wharf-local/registry:3.1.1 "$ctx" -f deploy/images/registry/Dockerfile
}

# The wharf image. By default deploy/Dockerfile's full build (its builder stage compiles the
# console and the binary), with podman: the classic Docker builder has no build-time volumes,
# and no Rust toolchain can be downloaded inside a container here, so the host's is mounted
# (deploy/images/build), with Node 20 from the host (deploy/images/node) and compiled crates
# cached in $image_target between runs; the image then moves to the Docker engine.
# STACK_TEST_WHARF_IMAGE=prebuilt packages WHARF_BIN instead (--target prebuilt; seconds).
image_target=${WHARF_IMAGE_TARGET:-/var/tmp/wharf-image-target}
podman_conf() { export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/scripts/podman-containers.conf}; }
podman_build() { # TAG CONTEXT [podman build args]
  local tag=$1 context=$2
  shift 2
  # --format docker: an OCI image would drop the HEALTHCHECK.
  timeout 3000 podman build -q --format docker --build-arg BASE_IMAGE="localhost/$base_image" -t "localhost/$tag" "$@" "$context"
}
wharf_image_full() {
  podman_conf
  podman image exists "localhost/$base_image" ||
    podman import -q --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      "$tools/debian-bookworm.tar" "localhost/$base_image" >/dev/null
  # The build image trusts what the host trusts beyond Debian's CAs (a proxy's, say).
  local build_ctx=$work/build-context
  cp -r deploy/images/build "$build_ctx"
  cp /usr/local/share/ca-certificates/*.crt "$build_ctx/extra-ca/" 2>/dev/null || true
  podman_build wharf-local/build:bookworm "$build_ctx"
  local node_ctx=$work/node-context node
  node=$(command -v node)
  mkdir -p "$node_ctx"
  cp "$node" "$node_ctx/node"
  cp -r "$(dirname "$(readlink -f "$node")")/../lib/node_modules/npm" "$node_ctx/npm"
  "$node_ctx/node" --version | grep -q '^v2[0-9]\.' || { echo "Node 20 or later needed, have $("$node_ctx/node" --version)"; return 1; }
  podman_build wharf-local/node:20 "$node_ctx" -f deploy/images/node/Dockerfile
  mkdir -p "$image_target"
  podman_build wharf-local/wharf:stack-test . -f deploy/Dockerfile \
    --build-arg BUILD_IMAGE=localhost/wharf-local/build:bookworm \
    --build-arg NODE_IMAGE=localhost/wharf-local/node:20 \
    --build-arg CARGO_TARGET_DIR=/cache/target \
    -v "$image_target:/cache/target" \
    -v "${RUSTUP_HOME:-$HOME/.rustup}:/root/.rustup:ro" -v "${CARGO_HOME:-$HOME/.cargo}:/root/.cargo"
  podman save localhost/wharf-local/wharf:stack-test | docker load -q
  docker tag localhost/wharf-local/wharf:stack-test wharf-local/wharf:stack-test
}
wharf_image() {
  if [ "${STACK_TEST_WHARF_IMAGE:-full}" = prebuilt ]; then
    [ -x "$WHARF_BIN" ] || { echo "no wharf binary at $WHARF_BIN: run scripts/build.sh or set WHARF_BIN"; return 1; }
    local ctx=$work/wharf-context
    mkdir -p "$ctx"
    cp "$WHARF_BIN" "$ctx/wharf"
    build wharf-local/wharf:stack-test "$ctx" -f deploy/Dockerfile --target prebuilt --build-arg WHARF_BIN=wharf
  else
    wharf_image_full
  fi
  docker run --rm wharf-local/wharf:stack-test --version
  # Not root, and the console's assets are in the binary (checked again through nginx below).
  [ "$(docker run --rm --entrypoint id wharf-local/wharf:stack-test -u)" = 10001 ]
}

# ---------------------------------------------------------------------------------------------
# The deployment: a copy of deploy/ configured the way README.md tells users to.
prepare() {
  cp -r deploy "$work/deploy"
  rm -rf "$work/deploy/secrets" "$work/deploy/tls" "$work/deploy/.env"
  cat >"$work/deploy/.env" <<EOF
WHARF_HOST=$host
WHARF_PUBLISH=$host
REGISTRY_IMAGE=wharf-local/registry:3.1.1
POSTGRES_IMAGE=wharf-local/postgres:15
REDIS_IMAGE=wharf-local/redis:7.0
NGINX_IMAGE=wharf-local/nginx:1.22
WHARF_IMAGE=wharf-local/wharf:stack-test
EOF
  "$work/deploy/make-secrets.sh"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$work/deploy/tls/tls.key" -out "$work/deploy/tls/tls.crt" 2>/dev/null
  # The CA for the clients: docker (certs.d) and skopeo (--cert-dir).
  mkdir -p "$work/certs"
  cp "$work/deploy/tls/tls.crt" "$work/certs/ca.crt"
  mkdir -p "$certs_d"
  cp "$work/deploy/tls/tls.crt" "$certs_d/ca.crt"
  compose config -q
}

health() { # SERVICE -> healthy | starting | unhealthy | exited | missing
  local id
  id=$(compose ps -q "$1" 2>/dev/null || true)
  [ -n "$id" ] || { echo missing; return; }
  docker inspect -f '{{if and .State.Running .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id" 2>/dev/null || echo missing
}

all_healthy() {
  local s bad=()
  for s in "${services[@]}"; do
    [ "$(health "$s")" = healthy ] || bad+=("$s=$(health "$s")")
  done
  [ ${#bad[@]} = 0 ] && return 0
  echo "not healthy: ${bad[*]}"
  return 1
}

wait_healthy() {
  local deadline=$((SECONDS + ${1:-180}))
  until all_healthy >/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      all_healthy
      return 1
    fi
    sleep 1
  done
}

up() { compose up -d --no-build; }

# ---------------------------------------------------------------------------------------------
# The checks, from the host, through nginx at https://$host.
add_admin() {
  printf '%s\n' "$admin_password" | compose exec -T wharf wharf user add admin --admin --password-stdin
}

make_image() { # REF CONTENT: a one-file image made with `docker import`
  local dir=$work/rootfs-$RANDOM
  mkdir -p "$dir/root"
  printf '%s\n' "$2" >"$dir/root/hello.txt"
  tar -C "$dir/root" -cf "$dir/rootfs.tar" .
  docker import "$dir/rootfs.tar" "$1"
}

docker_login() {
  printf '%s' "$admin_password" | timeout 60 docker login "$host" -u admin --password-stdin
}

docker_push() { # REF
  timeout 120 docker push "$1"
}

docker_roundtrip() { # REF: rmi, pull, same image id
  local want got
  want=$(docker image inspect -f '{{.Id}}' "$1")
  docker rmi "$1"
  timeout 120 docker pull "$1"
  got=$(docker image inspect -f '{{.Id}}' "$1")
  [ "$want" = "$got" ] || { echo "pulled $got, pushed $want"; return 1; }
}

curl_tls() { curl -sS --max-time 20 --cacert "$work/certs/ca.crt" "$@"; }

# POST /api/login (the console's sign-in server function), then pages that need the session.
console_sign_in() {
  local jar=$work/cookies status
  rm -f "$jar"
  status=$(curl_tls -o "$work/login.out" -w '%{http_code}' -c "$jar" -H "Origin: https://$host" \
    --data-urlencode username=admin --data-urlencode "password=$admin_password" \
    "https://$host/api/login")
  [ "$status" = 200 ] || { echo "POST /api/login: $status $(cat "$work/login.out")"; return 1; }
  grep -q '__Host-wharf_session' "$jar" || { echo "no __Host-wharf_session cookie"; cat "$jar"; return 1; }
  # The REST API with the session: who am I.
  curl_tls -f -b "$jar" "https://$host/api/v1/user" >"$work/user.json"
  python3 - "$work/user.json" <<'EOF'
import json, sys
u = json.load(open(sys.argv[1]))
assert u["name"] == "admin" and u["admin"] is True, u
EOF
  # A console page rendered for the signed-in administrator (signed out, it sends to sign-in).
  curl_tls -f -b "$jar" "https://$host/account" >"$work/account.html"
  grep -q 'data-testid="current-user"[^>]*>admin<' "$work/account.html" ||
    { echo "/account does not show the signed-in admin"; head -c 2000 "$work/account.html"; return 1; }
  # ... and without the session the API refuses.
  status=$(curl_tls -o /dev/null -w '%{http_code}' "https://$host/api/v1/user")
  [ "$status" = 401 ] || { echo "GET /api/v1/user signed out: $status"; return 1; }
}

skopeo_auth() { echo "$work/skopeo-auth.json"; }
skopeo_login() {
  printf '%s' "$admin_password" | timeout 60 skopeo login --authfile "$(skopeo_auth)" \
    --cert-dir "$work/certs" -u admin --password-stdin "$host"
  # TLS is really verified: without the CA the same registry is refused. (An empty --cert-dir:
  # by default skopeo also reads /etc/docker/certs.d, where the docker CLI's copy of it is.)
  mkdir -p "$work/no-certs"
  if timeout 60 skopeo inspect --authfile "$(skopeo_auth)" --cert-dir "$work/no-certs" \
    "docker://$host/admin/hello:1" >"$work/noca.out" 2>&1; then
    echo "skopeo trusted the test certificate without its CA"
    return 1
  fi
  grep -q 'x509\|certificate' "$work/noca.out" || { cat "$work/noca.out"; return 1; }
}

skopeo_copy() {
  local a=(--authfile "$(skopeo_auth)")
  # Push: from the docker engine's copy of the image (docker-daemon:) to a new repository.
  timeout 120 skopeo copy "${a[@]}" --dest-cert-dir "$work/certs" \
    --src-daemon-host "${DOCKER_HOST:-unix:///var/run/docker.sock}" "docker-daemon:$host/admin/hello:1" "docker://$host/admin/copied:1"
  # Pull it back into an OCI layout and find the file in its layer.
  rm -rf "$work/oci"
  timeout 120 skopeo copy "${a[@]}" --src-cert-dir "$work/certs" \
    "docker://$host/admin/copied:1" "oci:$work/oci:copied"
  local layer
  layer=$(python3 - "$work/oci" <<'EOF'
import json, sys
d = sys.argv[1]
idx = json.load(open(f"{d}/index.json"))
m = json.load(open(f"{d}/blobs/" + idx["manifests"][0]["digest"].replace(":", "/")))
print(f"{d}/blobs/" + m["layers"][0]["digest"].replace(":", "/"))
EOF
)
  tar -xOf "$layer" ./hello.txt | grep -qx 'hello from stack-test 1'
}

# REST API: the repository's tags as wharf knows them (from the registry's notifications).
has_tags() { # REPO TAG... (all present)
  local name=$1
  shift
  curl_tls -f -b "$work/cookies" "https://$host/api/v1/repositories/${name/\//%2F}/tags?per_page=100" >"$work/tags.json" || return 1
  python3 - "$work/tags.json" "$@" <<'EOF'
import json, sys
have = {t["row"]["tag"] for t in json.load(open(sys.argv[1]))["items"]}
missing = set(sys.argv[2:]) - have
assert not missing, f"missing {sorted(missing)}, have {sorted(have)}"
EOF
}
wharf_sees_pushes() { eventually "wharf lists the pushed tags" 60 has_tags "$@"; }

# The replica nginx pins this client to (ip_hash), judged by which one served the pushes.
pinned_replica() {
  local r n best="" most=-1
  for r in registry1 registry2; do
    n=$(compose logs --no-color "$r" 2>/dev/null | grep -c 'method=PUT' || true)
    if [ "$n" -gt "$most" ]; then most=$n; best=$r; fi
  done
  echo "$best"
}

kill_replica_and_push() {
  local victim
  victim=$(pinned_replica)
  echo "killing $victim (the replica serving this client)"
  suspect "$victim"
  suspect lb
  docker kill "$(compose ps -q "$victim")"
  make_image "$host/admin/hello:2" 'hello from stack-test 2'
  docker_push "$host/admin/hello:2"
  wharf_sees_pushes admin/hello 1 2
  docker start "$(compose ps -q "$victim")"
  wait_healthy 120
}

restart_wharf() {
  suspect wharf
  compose restart wharf
  wait_healthy 120
}

nothing_lost() {
  console_sign_in
  has_tags admin/hello 1 2
  has_tags admin/copied 1
  docker_login
}

make_big_image() { # REF: an image whose layer is 2 MiB that does not compress
  local dir=$work/rootfs-$RANDOM
  mkdir -p "$dir/root"
  head -c 2097152 /dev/urandom >"$dir/root/noise.bin"
  tar -C "$dir/root" -cf "$dir/rootfs.tar" .
  docker import "$dir/rootfs.tar" "$1"
}

storage_kib() { compose exec -T registry1 du -sk /var/lib/registry | awk '{ print $1 }'; }

# deploy/gc.sh after a delete: the disk space comes back, kept images still pull, pushes work.
garbage_collection() {
  make_big_image "$host/admin/big:1"
  docker_push "$host/admin/big:1"
  wharf_sees_pushes admin/big 1
  compose exec -T wharf wharf tag delete admin/big:1 --yes
  local before after
  before=$(storage_kib)
  (cd "$work/deploy" && COMPOSE="timeout 300 docker-compose -p $project" sh ./gc.sh)
  after=$(storage_kib)
  echo "garbage collection freed $((before - after)) KiB ($before KiB -> $after KiB)"
  [ $((before - after)) -ge 2000 ] || { echo "expected at least 2000 KiB freed"; return 1; }
  wait_healthy 120
  pull_again
  make_image "$host/admin/hello:3" 'hello after garbage collection'
  docker_push "$host/admin/hello:3"
}

pull_again() {
  docker rmi "$host/admin/hello:2"
  timeout 120 docker pull "$host/admin/hello:2"
}

# ---------------------------------------------------------------------------------------------
log "images and engine"
work=$(mktemp -d /tmp/wharf-stack.XXXXXX)
: >"$work/suspects"
export DOCKER_CONFIG=$work/docker-config
start_engine
step engine eventually "docker engine at ${DOCKER_HOST:-the default socket}" 60 docker info
step clean-stale-stacks clean_stale_stacks
step base-image base_image
step service-images service_images
step wharf-image wharf_image

log "stack"
port=$(free_port)
host=127.0.0.1:$port
project=wharfstack$$
certs_d=/etc/docker/certs.d/$host
admin_password=$(openssl rand -hex 12)
step prepare prepare
step up-cold up
step healthy-cold wait_healthy 180
echo "stack at https://$host (project $project)"

log "checks"
step admin add_admin
step docker-login docker_login
step image make_image "$host/admin/hello:1" 'hello from stack-test 1'
step docker-push docker_push "$host/admin/hello:1"
step docker-pull docker_roundtrip "$host/admin/hello:1"
step console-sign-in console_sign_in
step wharf-sees-push wharf_sees_pushes admin/hello 1
step skopeo-login skopeo_login
step skopeo-copy skopeo_copy
step wharf-sees-copy wharf_sees_pushes admin/copied 1
step kill-replica-push kill_replica_and_push
step restart-wharf restart_wharf
step after-restart nothing_lost

# deploy/kubernetes/wharf.yaml under `podman kube play`, against this stack's PostgreSQL (a
# database of its own) and registry1, by their container addresses.
container_ip() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$(compose ps -q "$1")"; }
kube_play() {
  suspect postgres
  compose exec -T postgres psql -v ON_ERROR_STOP=1 -U wharf -d wharf -c 'CREATE DATABASE wharf_kube' >/dev/null
  local pg registry
  pg=$(container_ip postgres)
  registry=$(container_ip registry1)
  WHARF_IMAGE=wharf-local/wharf:stack-test \
    DATABASE_URL="postgres://wharf:$(cat "$work/deploy/secrets/postgres_password")@$pg:5432/wharf_kube" \
    REPLICA_URL="http://$registry:5000" REPLICA_DEBUG_URL="http://$registry:5001" \
    bash scripts/kube-play-test.sh
}
if [ "${STACK_TEST_KUBE:-1}" = 1 ]; then
  log "Kubernetes manifest (podman kube play)"
  step kube-play kube_play
fi

log "down and up again (volumes kept)"
step down compose down
step up-warm up
step healthy-warm wait_healthy 180
step after-up nothing_lost
step pull-after-up pull_again
step garbage-collection garbage_collection

log "timings"
printf '  images (base, services, wharf)  %s s\n' \
  "$(awk -v a="${took[base-image]}" -v b="${took[service-images]}" -v c="${took[wharf-image]}" 'BEGIN { printf "%.1f", a + b + c }')"
printf '  first start (fresh volumes)      %s s (up %s + healthy %s)\n' \
  "$(awk -v a="${took[up-cold]}" -v b="${took[healthy-cold]}" 'BEGIN { printf "%.1f", a + b }')" "${took[up-cold]}" "${took[healthy-cold]}"
printf '  second start (volumes kept)      %s s (up %s + healthy %s)\n' \
  "$(awk -v a="${took[up-warm]}" -v b="${took[healthy-warm]}" 'BEGIN { printf "%.1f", a + b }')" "${took[up-warm]}" "${took[healthy-warm]}"
