#!/usr/bin/env python3
"""Writes a tiny OCI image layout that `skopeo copy oci:OUTDIR:TAG docker://...` can push.

usage: make-oci-image.py OUTDIR TAG [SEED]

The image has one gzip tar layer holding `hello.txt`, whose content depends on SEED (default:
TAG), so different seeds give different layer, config and manifest digests, and the same seed
always gives the same ones. When OUTDIR already holds a layout, the image is added to it
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


def make_image(outdir: str, tag: str, seed: str) -> str:
    os.makedirs(os.path.join(outdir, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(outdir, "oci-layout"), "wb") as f:
        f.write(dumps({"imageLayoutVersion": "1.0.0"}))

    tar_bytes = layer_tar(f"hello from a wharf test image, seed {seed}\n".encode())
    # mtime=0 keeps the gzip stream (and so every digest) reproducible.
    layer = gzip.compress(tar_bytes, mtime=0)
    layer_digest = write_blob(outdir, layer)

    config = dumps(
        {
            "architecture": "amd64",
            "os": "linux",
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
    manifest_digest = write_blob(outdir, manifest)

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
            "mediaType": MANIFEST_TYPE,
            "digest": manifest_digest,
            "size": len(manifest),
            "annotations": {REF_NAME: tag},
        }
    )
    tmp = index_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests}))
    os.replace(tmp, index_path)
    return manifest_digest


def main(argv) -> int:
    if len(argv) not in (3, 4) or not argv[2]:
        print("usage: make-oci-image.py OUTDIR TAG [SEED]", file=sys.stderr)
        return 2
    outdir, tag = argv[1], argv[2]
    seed = argv[3] if len(argv) == 4 else tag
    print(make_image(outdir, tag, seed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
