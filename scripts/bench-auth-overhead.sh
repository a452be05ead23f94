#!/usr/bin/env bash
# What auth costs each push and pull (issue 20): `skopeo copy` of a tiny image (one small
# layer) through a registry that trusts wharf, beside the same registry without auth, for
# registry 2.8 (Debian's docker-registry) and 3.1.1, and for each way tokens can name their key.
#   scripts/bench-auth-overhead.sh [WHARF_BINARY]     (ROUNDS=20 copies each way per setup)
# SETUPS="r3-plain r3-kid …" runs only those (keep the -plain ones: the added time is against
# them). BEFORE=OTHER_WHARF_BINARY adds r2-libtrust-before and r3-kid-before, the same setups
# served by that build, to compare two builds of wharf in one run.
# Setups take turns copy by copy, so all share the machine's drift. Then, per setup with auth,
# where the added time goes: the token request (a new connection with Basic credentials, as
# skopeo makes), the registry's check of the token on each request (wrk, one connection), and
# how many requests one copy makes (skopeo --debug).
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
wharf=${1:-$target_dir/release/wharf}
[ -x "$wharf" ] || { echo "build first: bash scripts/build.sh" >&2; exit 1; }
registry3=${REGISTRY3_BIN:-$(bash scripts/registry3.sh)}
for tool in skopeo docker-registry wrk curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool (bash scripts/install-tools.sh --test)" >&2; exit 1; }
done
ROUNDS=${ROUNDS:-20}
. scripts/bench/common.sh
PW=bench-password-123
# skopeo keeps no login between copies (each copy asks wharf for a token, as a fresh client
# would). Set only for skopeo: the registry reads REGISTRY_* variables as its configuration.
skopeo() { REGISTRY_AUTH_FILE="$work/no-auth.json" command skopeo "$@"; }

# The image: a config and one layer holding a 1-byte file; ~800 bytes in all.
img="$work/img"
mkdir -p "$img/blobs/sha256"
python3 - "$img" <<'PY'
import gzip, hashlib, io, json, sys, tarfile
d = sys.argv[1]
def blob(b):
    h = hashlib.sha256(b).hexdigest(); open(f"{d}/blobs/sha256/{h}", "wb").write(b); return "sha256:" + h
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as t:
    info = tarfile.TarInfo("hello"); info.size = 1; t.addfile(info, io.BytesIO(b"x"))
tar = raw.getvalue(); layer = gzip.compress(tar, 9, mtime=0)
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {}, "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]}}).encode()
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(cfg), "size": len(cfg)},
  "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": blob(layer), "size": len(layer)}]}).encode()
open(f"{d}/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": blob(man), "size": len(man), "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}))
open(f"{d}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
print(f"image: {len(cfg) + len(layer) + len(man)} bytes (config {len(cfg)}, layer {len(layer)}, manifest {len(man)})", file=sys.stderr)
PY

declare -A reg_port reg_pid wharf_port wharf_pid creds_push creds_pull wharf_for
want() { [ -z "${SETUPS:-}" ] || [[ " $SETUPS " == *" $1 "* ]]; }
# setup NAME REGISTRY_BINARY VERSION(2|3) HEADER(none|x5c|kid|libtrust-kid) [ALGORITHM(ES256|RS256)
#   [NOTIFY(yes|no|blobs)]]. Every registry logs at info, as the file wharf writes does; NOTIFY=no
# cuts the notifications to wharf from that file, to tell their cost from auth's; NOTIFY=blobs
# keeps them but cuts their `ignore` block, so blob events are sent too (as before wharf
# wrote that block for registry 2.8).
setup() {
  local name=$1 binary=$2 version=$3 header=$4 algorithm=${5:-ES256} notify=${6:-yes} dir="$work/$1" rport dport
  want "$name" || return 0
  local wharf=${wharf_for[$name]:-$wharf}
  rport=$(free_port) dport=$(free_port)
  mkdir -p "$dir"
  if [ "$header" = none ]; then
    printf 'version: 0.1\nlog: {level: info}\nstorage: {filesystem: {rootdirectory: %s}, delete: {enabled: true}, cache: {blobdescriptor: inmemory}}\nhttp: {addr: "127.0.0.1:%s", secret: x, debug: {addr: "127.0.0.1:%s"}}\n' \
      "$dir/storage" "$rport" "$dport" >"$dir/config.yml"
    creds_push[$name]="" creds_pull[$name]="--src-no-creds"
  else
    local wport
    wport=$(free_port)
    export WHARF_DATA_DIR="$dir/wharf" WHARF_PUBLIC_URL="http://127.0.0.1:$wport" WHARF_TOKEN_HEADER=$header \
      WHARF_SIGNING_ALGORITHM=$algorithm
    mkdir -p "$WHARF_DATA_DIR"
    echo "$PW" | "$wharf" user add bench --password-stdin >/dev/null
    WHARF_LOG=warn "$wharf" serve --listen "127.0.0.1:$wport" >"$dir/wharf.log" 2>&1 &
    pids+=($!)
    wharf_pid[$name]=$!
    wait_http "http://127.0.0.1:$wport/health/live"
    "$wharf" registry-config --listen "127.0.0.1:$rport" --storage "$dir/storage" \
      --debug-addr "127.0.0.1:$dport" --registry-version "$version" >"$dir/config.yml"
    case $notify in
      no) sed -i '/^notifications:/,$d' "$dir/config.yml" ;;
      blobs) sed -i '/^      ignore:/,$d' "$dir/config.yml" ;;
    esac
    unset WHARF_DATA_DIR WHARF_PUBLIC_URL WHARF_TOKEN_HEADER WHARF_SIGNING_ALGORITHM
    wharf_port[$name]=$wport
    creds_push[$name]="--dest-creds=bench:$PW" creds_pull[$name]="--src-creds=bench:$PW"
  fi
  "$binary" serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  pids+=($!)
  reg_pid[$name]=$!
  wait_http "http://127.0.0.1:$rport/v2/" || { echo "registry of $name:" >&2; cat "$dir/registry.log" >&2; exit 1; }
  reg_port[$name]=$rport
}
setups=(r2-plain r2-x5c r2-x5c-blobs r2-libtrust r2-libtrust-rsa r2-libtrust-quiet r3-plain r3-x5c r3-kid r3-libtrust
  r3-kid-rsa r3-kid-quiet)
setup r2-plain docker-registry 2 none
setup r2-x5c docker-registry 2 x5c
setup r2-x5c-blobs docker-registry 2 x5c ES256 blobs
setup r2-libtrust docker-registry 2 libtrust-kid
setup r2-libtrust-rsa docker-registry 2 libtrust-kid RS256
setup r2-libtrust-quiet docker-registry 2 libtrust-kid ES256 no
setup r3-plain "$registry3" 3 none
setup r3-x5c "$registry3" 3 x5c
setup r3-kid "$registry3" 3 kid
setup r3-libtrust "$registry3" 3 libtrust-kid
setup r3-kid-rsa "$registry3" 3 kid RS256
setup r3-kid-quiet "$registry3" 3 kid ES256 no
if [ -n "${BEFORE:-}" ]; then
  [ -x "$BEFORE" ] || { echo "BEFORE=$BEFORE is not a wharf binary" >&2; exit 1; }
  wharf_for[r2-libtrust-before]=$BEFORE wharf_for[r3-kid-before]=$BEFORE
  setups+=(r2-libtrust-before r3-kid-before)
  setup r2-libtrust-before docker-registry 2 libtrust-kid
  setup r3-kid-before "$registry3" 3 kid
fi
chosen=()
for s in "${setups[@]}"; do want "$s" && chosen+=("$s"); done
setups=("${chosen[@]}")

push() { # setup repo -> ms
  local t0 t1
  t0=$(date +%s%N)
  skopeo copy -q --dest-tls-verify=false ${creds_push[$1]} "oci:$img:v1" "docker://127.0.0.1:${reg_port[$1]}/bench/$2:v1" >/dev/null
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000))
}
pull() { # setup repo -> ms
  local t0 t1
  rm -rf "$work/out-$1"
  t0=$(date +%s%N)
  skopeo copy -q --src-tls-verify=false ${creds_pull[$1]} "docker://127.0.0.1:${reg_port[$1]}/bench/$2:v1" "oci:$work/out-$1:v1" >/dev/null
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000))
}
# Untimed first copies: wharf's first password check (argon2id) and cold caches stay out.
for s in "${setups[@]}"; do push "$s" warmup >/dev/null; pull "$s" warmup >/dev/null; done
for i in $(seq "$ROUNDS"); do
  for s in "${setups[@]}"; do echo "$s push $(push "$s" "app$i")" >>"$work/times"; done
done
for i in $(seq "$ROUNDS"); do
  for s in "${setups[@]}"; do echo "$s pull $(pull "$s" "app$i")" >>"$work/times"; done
done

# Where it goes, per setup with auth.
ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for s in "${setups[@]}"; do
  [ -n "${wharf_port[$s]:-}" ] || continue
  # The token request as skopeo makes it: a new connection, Basic credentials, push+pull scope.
  for _ in $(seq 20); do
    curl -s -o /dev/null -w '%{time_total}\n' -u "bench:$PW" \
      "http://127.0.0.1:${wharf_port[$s]}/v2/token?service=wharf-registry&scope=repository:bench/app1:pull,push"
  done | sort -n | awk -v s="$s" '{v[NR]=$1} END {print s, "token", v[int((NR+1)/2)] * 1000000}' >>"$work/parts"
  token=$(curl -s -u "bench:$PW" "http://127.0.0.1:${wharf_port[$s]}/v2/token?service=wharf-registry&scope=repository:bench/app1:pull" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  echo "$s token_bytes ${#token}" >>"$work/parts"
  # Notification events wharf has received, once the registry's queue has drained.
  events() { curl -s "http://127.0.0.1:${wharf_port[$s]}/metrics" | awk '/^wharf_registry_events_total/ {n += $2} END {print n + 0}'; }
  settled_events() {
    local last now
    last=$(events)
    for _ in $(seq 60); do
      sleep 0.5
      now=$(events)
      [ "$now" = "$last" ] && break
      last=$now
    done
    echo "$last"
  }
  plain=${s%%-*}-plain
  for target in "$s" "$plain"; do
    hdr=()
    [ "$target" = "$s" ] && hdr=(-H "Authorization: Bearer $token")
    settled_events >/dev/null
    cpu0=$(cpu_ticks "${reg_pid[$target]}") wcpu0=$(cpu_ticks "${wharf_pid[$s]}")
    wrk -t1 -c1 -d3s "${hdr[@]}" "http://127.0.0.1:${reg_port[$target]}/v2/bench/app1/manifests/v1" >"$work/wrk.out"
    awk -v s="$s" -v t="$target" '/Requests\/sec/ {print s, (t == s ? "request_auth" : "request_plain"), 1000000 / $2}' \
      "$work/wrk.out" >>"$work/parts"
    # CPU per request of the registry and of wharf, the notifications sent by then included.
    settled_events >/dev/null
    requests=$(awk '/requests in/ {print $1}' "$work/wrk.out")
    what=plain
    [ "$target" = "$s" ] && what=auth
    echo "$s cpu_registry_$what $((($(cpu_ticks "${reg_pid[$target]}") - cpu0) * 1000000 / ticks / requests))" >>"$work/parts"
    echo "$s cpu_wharf_$what $((($(cpu_ticks "${wharf_pid[$s]}") - wcpu0) * 1000000 / ticks / requests))" >>"$work/parts"
  done
  for way in push pull; do
    before=$(settled_events)
    if [ "$way" = push ]; then
      n=$(skopeo --debug copy --dest-tls-verify=false ${creds_push[$s]} "oci:$img:v1" "docker://127.0.0.1:${reg_port[$s]}/bench/counted:v1" 2>&1 \
        | grep -cE 'msg="(GET|HEAD|POST|PUT|PATCH|DELETE) http' || true)
    else
      rm -rf "$work/counted"
      n=$(skopeo --debug copy --src-tls-verify=false ${creds_pull[$s]} "docker://127.0.0.1:${reg_port[$s]}/bench/counted:v1" "oci:$work/counted:v1" 2>&1 \
        | grep -cE 'msg="(GET|HEAD|POST|PUT|PATCH|DELETE) http' || true)
    fi
    echo "$s requests_$way $n" >>"$work/parts"
    echo "$s events_$way $(($(settled_events) - before))" >>"$work/parts"
  done
done

python3 - "$work/times" "$work/parts" "$ROUNDS" "${setups[@]}" <<'PY'
import statistics, sys
from collections import defaultdict
times, parts, rounds, order = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
t = defaultdict(list)
for line in open(times):
    s, way, us = line.split(); t[(s, way)].append(int(us) / 1000)
p = {}
for line in open(parts):
    s, k, v = line.split(); p[(s, k)] = float(v)
med = {k: statistics.median(v) for k, v in t.items()}
print(f"\nmedian of {rounds} copies each, setups taking turns (ms)\n")
print("| setup | push | added by auth | pull | added by auth |")
print("|---|---|---|---|---|")
for s in order:
    plain = s.split("-")[0] + "-plain"
    row = [s]
    for way in ("push", "pull"):
        row.append(f"{med[(s, way)]:.1f}")
        row.append("—" if s == plain else f"{med[(s, way)] - med[(plain, way)]:+.1f}")
    print("| " + " | ".join(row) + " |")
print("\nwhere the added time goes (token: median of 20 new-connection requests; per request: wrk -c1, 3 s)\n")
print("| setup | token request | token size | registry request with token / without | registry CPU per request with token / without | wharf CPU per request | requests per push / pull | events per push / pull |")
print("|---|---|---|---|---|---|---|---|")
for s in [s for s in order if (s, "token") in p]:
    print(f"| {s} | {p[(s, 'token')] / 1000:.2f} ms | {int(p[(s, 'token_bytes')])} B | "
          f"{p[(s, 'request_auth')]:.0f} µs / {p[(s, 'request_plain')]:.0f} µs | "
          f"{p[(s, 'cpu_registry_auth')]:.0f} µs / {p[(s, 'cpu_registry_plain')]:.0f} µs | {p[(s, 'cpu_wharf_auth')]:.0f} µs | "
          f"{int(p[(s, 'requests_push')])} / {int(p[(s, 'requests_pull')])} | "
          f"{int(p[(s, 'events_push')])} / {int(p[(s, 'events_pull')])} |")
PY
