#!/usr/bin/env bash
# Runs deploy/kubernetes/wharf.yaml (the wharf Deployment with its ConfigMap and Secrets) with
# `podman kube play`, against a PostgreSQL and a registry replica the caller provides (the
# compose stack's, from scripts/stack-test.sh), and waits for the pod to answer /health/ready.
#
# What podman 4.3 cannot run the way a cluster does is replaced in a copy, and only that:
#   - `secret:` volumes make podman 4.3.1 panic, and it mounts a ConfigMap's `subPath` as a
#     directory: the same files are mounted as hostPath;
#   - no cluster network: the pod uses the host's network (hostNetwork) on a free loopback
#     port, and reaches the database and the registry by their container addresses;
#   - the ConfigMap's registry replicas (registry-0.registry, …) become the given replica;
#   - one pod instead of two, and the image name is the local one.
# Everything else (environment, mounts, read-only root, non-root user, emptyDir, probes) is the
# committed manifest's.
#
# Needs: WHARF_IMAGE (an image in podman's store, or in Docker's: it is copied over),
# DATABASE_URL (postgres://… reachable from this host), REPLICA_URL and REPLICA_DEBUG_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${WHARF_IMAGE:?}" "${DATABASE_URL:?}" "${REPLICA_URL:?}" "${REPLICA_DEBUG_URL:?}"

work=$(mktemp -d /tmp/wharf-kube.XXXXXX)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$(pwd)/scripts/podman-containers.conf}

cleanup() {
  podman kube down "$work/play.yaml" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

started=$(date +%s.%N)
elapsed() { python3 -c "import time; print(f'{time.time() - $started:.1f} s')"; }

# The image: podman's own, or copied from Docker's store.
local_image="localhost/wharf-kube-test:latest"
if ! podman image exists "$local_image" || [ "${KUBE_PLAY_RELOAD_IMAGE:-1}" = 1 ]; then
  docker save "$WHARF_IMAGE" | podman load -q >/dev/null
  podman tag "$WHARF_IMAGE" "$local_image" 2>/dev/null || podman tag "localhost/$WHARF_IMAGE" "$local_image"
fi

# The Secrets' files, as make-secrets.sh and `wharf key rotate` make them for kustomize.
mkdir -p "$work/k8s"
bash deploy/make-secrets.sh "$work/k8s" >/dev/null
printf '%s\n' "$DATABASE_URL" > "$work/k8s/secrets/database_url"
docker run --rm --entrypoint wharf -v "$work/k8s:/out" -u 0 "$WHARF_IMAGE" key rotate --data-dir /out/keys >/dev/null
chmod a+rx "$work" "$work/k8s"
chmod -R a+rX "$work/k8s/secrets" "$work/k8s/keys"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 - "$work" "$port" "$local_image" "$REPLICA_URL" "$REPLICA_DEBUG_URL" <<'EOF'
import json, sys, yaml
work, port, image, replica, debug = sys.argv[1:]
docs = list(yaml.safe_load_all(open("deploy/kubernetes/wharf.yaml")))
deployment = next(d for d in docs if d["kind"] == "Deployment")
deployment["metadata"]["namespace"] = "wharf"
deployment["spec"]["replicas"] = 1
pod = deployment["spec"]["template"]["spec"]
pod["hostNetwork"] = True
container = pod["containers"][0]
container["image"] = image
container["imagePullPolicy"] = "Never"
for e in container["env"]:
    if e["name"] == "WHARF_LISTEN":
        e["value"] = f"127.0.0.1:{port}"
# HTTP probes follow the listen address.
for probe in ("livenessProbe", "readinessProbe"):
    container[probe]["httpGet"]["port"] = int(port)
# With the host's network podman refuses port mappings (there is nothing to map).
container.pop("ports", None)
# secret: volumes -> hostPath of the same files (podman 4.3.1 panics on secret volumes).
for v in pod["volumes"]:
    secret = v.pop("secret", None)
    if secret is None:
        continue
    src = {"wharf-secrets": f"{work}/k8s/secrets", "wharf-signing-key": f"{work}/k8s/keys"}[secret["secretName"]]
    v["hostPath"] = {"path": src, "type": "Directory"}
    # items select files of the Secret; the directory holds exactly those (and no more is read).
# The committed wharf.toml (the ConfigMap's), its replicas replaced by the given one.
toml = open("deploy/kubernetes/config/wharf.toml").read()
start = toml.index("replicas = [")
toml = toml[:start] + (
    f'replicas = [\n  {{ name = "registry-0", url = "{replica}", debug_url = "{debug}", registry_version = "3" }},\n]\n'
)
# podman 4.3.1 mounts a ConfigMap's `subPath` as a directory: the file itself, as hostPath.
with open(f"{work}/k8s/wharf.toml", "w") as f:
    f.write(toml)
for v in pod["volumes"]:
    if v.get("configMap", {}).get("name") == "wharf-config":
        del v["configMap"]
        v["hostPath"] = {"path": f"{work}/k8s/wharf.toml", "type": "File"}
for m in container["volumeMounts"]:
    if m.get("subPath") == "wharf.toml":
        del m["subPath"]
with open(f"{work}/play.yaml", "w") as f:
    yaml.safe_dump_all([deployment], f, sort_keys=False)
EOF

echo "kube play: pod on 127.0.0.1:$port"
podman kube play "$work/play.yaml" >/dev/null
container=$(podman ps --format '{{.Names}}' | grep -m1 '^wharf-pod-0-wharf$' || true)
for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then
    echo "kube play: /health/ready answered after $(elapsed)"
    curl -fsS "http://127.0.0.1:$port/health/ready"
    echo
    # Nothing was written into the read-only Secret mounts, and the setup token went to the
    # pod's own emptyDir.
    podman exec "${container:-wharf-pod-0-wharf}" sh -c 'test ! -e /etc/wharf/keys/token-previous.crt && test -s /var/lib/wharf/setup-token' \
      || { echo "kube play: the pod wrote where it should not, or no setup token" >&2; exit 1; }
    exit 0
  fi
  if [ -n "$container" ] && [ "$(podman inspect -f '{{.State.Running}}' "$container" 2>/dev/null)" = false ]; then
    break
  fi
  sleep 1
done
echo "kube play: the pod did not become ready" >&2
podman ps -a >&2 || true
podman logs "${container:-wharf-pod-0-wharf}" 2>&1 | tail -40 >&2 || true
exit 1
