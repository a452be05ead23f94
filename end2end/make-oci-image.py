#!/usr/bin/env python3
"""Writes a tiny OCI image layout that `skopeo copy oci:OUTDIR:TAG docker://...` can push.

usage: make-oci-image.py OUTDIR TAG [SEED [PLATFORMS]]

The image has one gzip tar layer holding `hello.txt`, whose content depends on SEED (default:
TAG), so different seeds give different layer, config and manifest digests, and the same seed
always gives the same ones. With PLATFORMS (`linux/amd64,linux/arm64`), TAG is an OCI index of
one such image per platform (push it with `skopeo copy --all`). When OUTDIR already holds a layout, the image is added to it
(replacing an earlier image of the same TAG). Prints the manifest digest on stdout.
Standard library only.
"""

import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
REF_NAME = "org.opencontainers.image.ref.name"


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def write_blob(outdir: str, data: bytes) -> str:
    d = digest(data)
    path = os.path.join(outdir, "blobs", "sha256", d.split(":", 1)[1])
    with open(path, "wb") as f:
        f.write(data)
    return d


def layer_tar(content: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = len(content)
        info.mode = 0o644
        info.mtime = 0
        info.uname = info.gname = "root"
        tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def dumps(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def make_manifest(outdir: str, seed: str, os_name: str = "linux", arch: str = "amd64") -> tuple[str, int]:
    """Writes one image's blobs; returns its manifest's digest and size."""
    tar_bytes = layer_tar(f"hello from a wharf test image, seed {seed}\n".encode())
    # mtime=0 keeps the gzip stream (and so every digest) reproducible.
    layer = gzip.compress(tar_bytes, mtime=0)
    layer_digest = write_blob(outdir, layer)

    config = dumps(
        {
            "architecture": arch,
            "os": os_name,
            "config": {"Labels": {"wharf.test.seed": seed}},
            "rootfs": {"type": "layers", "diff_ids": [digest(tar_bytes)]},
            "history": [{"created_by": "end2end/make-oci-image.py"}],
        }
    )
    config_digest = write_blob(outdir, config)

    manifest = dumps(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": {"mediaType": CONFIG_TYPE, "digest": config_digest, "size": len(config)},
            "layers": [{"mediaType": LAYER_TYPE, "digest": layer_digest, "size": len(layer)}],
        }
    )
    return write_blob(outdir, manifest), len(manifest)


def make_image(outdir: str, tag: str, seed: str, platforms: str = "") -> str:
    os.makedirs(os.path.join(outdir, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(outdir, "oci-layout"), "wb") as f:
        f.write(dumps({"imageLayoutVersion": "1.0.0"}))
    if platforms:
        children = []
        for platform in platforms.split(","):
            os_name, arch = platform.split("/", 1)
            child, size = make_manifest(outdir, f"{seed} {platform}", os_name, arch)
            children.append(
                {
                    "mediaType": MANIFEST_TYPE,
                    "digest": child,
                    "size": size,
                    "platform": {"os": os_name, "architecture": arch},
                }
            )
        body = dumps({"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": children})
        media_type, manifest_digest, manifest_len = INDEX_TYPE, write_blob(outdir, body), len(body)
    else:
        manifest_digest, manifest_len = make_manifest(outdir, seed)
        media_type = MANIFEST_TYPE

    index_path = os.path.join(outdir, "index.json")
    manifests = []
    if os.path.exists(index_path):
        with open(index_path, encoding="utf-8") as f:
            old = json.load(f)
        manifests = [
            m for m in old.get("manifests", []) if m.get("annotations", {}).get(REF_NAME) != tag
        ]
    manifests.append(
        {
            "mediaType": media_type,
            "digest": manifest_digest,
            "size": manifest_len,
            "annotations": {REF_NAME: tag},
        }
    )
    tmp = index_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(dumps({"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": manifests}))
    os.replace(tmp, index_path)
    return manifest_digest


def main(argv) -> int:
    if len(argv) not in (3, 4, 5) or not argv[2]:
        print("usage: make-oci-image.py OUTDIR TAG [SEED [PLATFORMS]]", file=sys.stderr)
        return 2
    outdir, tag = argv[1], argv[2]
    seed = argv[3] if len(argv) >= 4 else tag
    platforms = argv[4] if len(argv) == 5 else ""
    print(make_image(outdir, tag, seed, platforms))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
