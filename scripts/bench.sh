#!/usr/bin/env bash
# Reproducible load test of /v2/token and of skopeo push/pull through wharf.
# Usage: scripts/bench.sh            (needs a release build: cargo leptos build --release)
# Prints a Markdown report to stdout; docs/BENCHMARKS.md records the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
wharf="$target_dir/release/wharf"
[ -x "$wharf" ] || { echo "build first: cargo leptos build --release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "apt-get install wrk" >&2; exit 1; }

DURATION=${DURATION:-10}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
wait_http() { for _ in $(seq 100); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

PW=bench-password-123
start_wharf() { # data-dir port extra-env...
  local dir=$1 port=$2; shift 2
  env WHARF_DATA_DIR="$dir" WHARF_PUBLIC_URL="http://127.0.0.1:$port" WHARF_LOG=warn "$@" \
    "$wharf" serve --listen "127.0.0.1:$port" >"$dir.log" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$port/health/live"
  echo $!
}

seed() { # data-dir
  export WHARF_DATA_DIR=$1
  echo "$PW" | "$wharf" user add bench --password-stdin >/dev/null
  unset WHARF_DATA_DIR
}

wrk_run() { # url connections [header]
  local url=$1 conns=$2; shift 2
  wrk -t2 -c"$conns" -d"${DURATION}s" --latency "$@" "$url"
}
summarise() { # wrk output on stdin -> "req/s p50 p99"
  awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF} END {printf "%s|%s|%s|%s", rps, p50, p99, (bad==""?0:bad)}'
}

auth="Authorization: Basic $(printf 'bench:%s' "$PW" | base64)"
scope="service=wharf-registry&scope=repository:bench/app:pull,push"

# --- warm: cached credentials -------------------------------------------------------------
mkdir -p "$work/warm"; seed "$work/warm"
port=$(free_port)
pid=$(start_wharf "$work/warm" "$port")
idle_rss=$(rss_kb "$pid")
curl -fs -H "$auth" "http://127.0.0.1:$port/v2/token?$scope" >/dev/null
wrk_run "http://127.0.0.1:$port/v2/token?$scope" 32 -H "$auth" >"$work/warm.txt" &
wrk_pid=$!
sleep $((DURATION / 2)); loaded_rss=$(rss_kb "$pid"); wait $wrk_pid
warm=$(summarise <"$work/warm.txt")
wrk_run "http://127.0.0.1:$port/health/live" 32 >"$work/hello.txt"
hello=$(summarise <"$work/hello.txt")
kill "$pid"

# --- cold: every request verifies the password with argon2id -------------------------------
mkdir -p "$work/cold"; seed "$work/cold"
port=$(free_port)
pid=$(start_wharf "$work/cold" "$port" WHARF_CREDENTIAL_CACHE_TTL_SECS=0)
wrk_run "http://127.0.0.1:$port/v2/token?$scope" 8 -H "$auth" >"$work/cold.txt"
cold=$(summarise <"$work/cold.txt")
kill "$pid"

# --- skopeo push/pull through wharf vs. the same registry without auth ----------------------
ROUNDS=${ROUNDS:-10}
img="$work/img"; mkdir -p "$img/blobs/sha256"
python3 - "$img" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
d = sys.argv[1]
def blob(b):
    h = hashlib.sha256(b).hexdigest(); open(f"{d}/blobs/sha256/{h}", "wb").write(b); return "sha256:" + h
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w") as t:
    data = os.urandom(4 * 1024 * 1024)  # 4 MiB of incompressible data: a realistic small layer
    info = tarfile.TarInfo("data.bin"); info.size = len(data); t.addfile(info, io.BytesIO(data))
tar = raw.getvalue(); layer = gzip.compress(tar, 1)
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {}, "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]}}).encode()
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(cfg), "size": len(cfg)},
  "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": blob(layer), "size": len(layer)}]}).encode()
idx = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": blob(man), "size": len(man), "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}
open(f"{d}/index.json", "w").write(json.dumps(idx)); open(f"{d}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
PY

registry_run() { # name config-with-auth(yes/no) -> prints "push_ms pull_ms"
  local name=$1 with_auth=$2 rport dport
  rport=$(free_port); dport=$(free_port)
  local dir="$work/$name"; mkdir -p "$dir"
  local creds=()
  if [ "$with_auth" = yes ]; then
    mkdir -p "$dir/wharf"; seed "$dir/wharf"
    local wport; wport=$(free_port)
    start_wharf "$dir/wharf" "$wport" >/dev/null
    WHARF_DATA_DIR="$dir/wharf" WHARF_PUBLIC_URL="http://127.0.0.1:$wport" "$wharf" registry-config \
      --listen "127.0.0.1:$rport" --storage "$dir/storage" --debug-addr "127.0.0.1:$dport" >"$dir/config.yml"
    creds=(--dest-creds "bench:$PW"); pcreds=(--src-creds "bench:$PW")
  else
    printf 'version: 0.1\nlog: {level: warn}\nstorage: {filesystem: {rootdirectory: %s}, delete: {enabled: true}, cache: {blobdescriptor: inmemory}}\nhttp: {addr: "127.0.0.1:%s", secret: x, debug: {addr: "127.0.0.1:%s"}}\n' \
      "$dir/storage" "$rport" "$dport" >"$dir/config.yml"
    creds=(); pcreds=(--src-no-creds)
  fi
  docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$rport/v2/" && break; sleep 0.1; done
  # One untimed push and pull first, on both sides: the steady state is what is compared
  # (the first password check of a run costs one argon2id verification, ~30 ms, once).
  REGISTRY_AUTH_FILE="$dir/none.json" skopeo copy -q --dest-tls-verify=false "${creds[@]}" \
    "oci:$img:v1" "docker://127.0.0.1:$rport/bench/warmup:v1" >/dev/null
  REGISTRY_AUTH_FILE="$dir/none.json" skopeo copy -q --src-tls-verify=false "${pcreds[@]}" \
    "docker://127.0.0.1:$rport/bench/warmup:v1" "oci:$dir/warm:v1" >/dev/null
  local t0 t1 t2
  t0=$(date +%s%N)
  for i in $(seq "$ROUNDS"); do
    REGISTRY_AUTH_FILE="$dir/none.json" skopeo copy -q --dest-tls-verify=false "${creds[@]}" \
      "oci:$img:v1" "docker://127.0.0.1:$rport/bench/app$i:v1" >/dev/null
  done
  t1=$(date +%s%N)
  for i in $(seq "$ROUNDS"); do
    rm -rf "$dir/out"
    REGISTRY_AUTH_FILE="$dir/none.json" skopeo copy -q --src-tls-verify=false "${pcreds[@]}" \
      "docker://127.0.0.1:$rport/bench/app$i:v1" "oci:$dir/out:v1" >/dev/null
  done
  t2=$(date +%s%N)
  echo "$(( (t1 - t0) / 1000000 / ROUNDS )) $(( (t2 - t1) / 1000000 / ROUNDS ))"
}
read -r plain_push plain_pull < <(registry_run plain no)
read -r auth_push auth_pull < <(registry_run auth yes)

IFS='|' read -r w_rps w_p50 w_p99 w_bad <<<"$warm"
IFS='|' read -r h_rps h_p50 h_p99 h_bad <<<"$hello"
IFS='|' read -r c_rps c_p50 c_p99 c_bad <<<"$cold"
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }

cat <<MD
Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(date -u +%Y-%m-%d)
Command: \`scripts/bench.sh\` (DURATION=${DURATION}s per wrk run, wrk -t2, ROUNDS=$ROUNDS skopeo copies of a 4 MiB image)

| measurement | result |
|---|---|
| /v2/token warm (cached credentials, 1 scope, 32 connections) | **$w_rps tokens/s**, p50 $w_p50, p99 $w_p99, non-2xx $w_bad |
| axum hello-world (wharf's /health/live, same process, same run) | $h_rps req/s, p50 $h_p50, p99 $h_p99 |
| token rate / hello-world rate | $(ratio "$w_rps" "$h_rps") |
| /v2/token cold (argon2id on every request, 8 connections) | $c_rps tokens/s, p50 $c_p50, p99 $c_p99, non-2xx $c_bad |
| RSS idle / under warm load | $((idle_rss / 1024)) MiB / $((loaded_rss / 1024)) MiB |
| skopeo push, no auth / through wharf | $plain_push ms / $auth_push ms per push (ratio $(ratio "$auth_push" "$plain_push")) |
| skopeo pull, no auth / through wharf | $plain_pull ms / $auth_pull ms per pull (ratio $(ratio "$auth_pull" "$plain_pull")) |
MD
