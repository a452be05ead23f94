"""Stores image details (manifest and configuration, as wharf keeps them once read from the
registry) for every digest a seeded wharf database has noted, so the image page can be timed
against a full catalog without a registry holding fake digests. Each is a three-layer OCI image
with labels, environment and a five-step history: what a typical build gives.

Usage: store_details.py SQLITE_DB | postgres://…   (wharf may be running: one transaction;
PostgreSQL through `psql` and COPY, so no Python driver is needed)
Prints the number of digests given details."""
import csv
import hashlib
import io
import json
import sqlite3
import subprocess
import sys

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def sha(text):
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def details(digest):
    layers = [{"mediaType": LAYER, "digest": sha(f"{digest} layer {i}"), "size": 1_000_000 * (i + 1)} for i in range(3)]
    config = json.dumps({
        "created": "2026-11-30T12:00:00Z",
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Env": ["PATH=/usr/local/bin:/usr/bin", "APP_MODE=production"],
            "Entrypoint": ["/usr/local/bin/app"],
            "Cmd": ["--serve"],
            "ExposedPorts": {"8080/tcp": {}},
            "User": "1000:1000",
            "WorkingDir": "/srv",
            "Labels": {"org.opencontainers.image.source": "https://git.example.com/app",
                       "org.opencontainers.image.revision": digest[7:19]},
        },
        "rootfs": {"type": "layers", "diff_ids": [sha(f"{digest} diff {i}") for i in range(3)]},
        "history": [
            {"created": "2026-11-30T11:59:00Z", "created_by": "/bin/sh -c #(nop) ADD file:rootfs in /"},
            {"created": "2026-11-30T11:59:10Z", "created_by": "ENV APP_MODE=production", "empty_layer": True},
            {"created": "2026-11-30T11:59:20Z", "created_by": "COPY app /usr/local/bin/ # buildkit"},
            {"created": "2026-11-30T11:59:30Z", "created_by": "EXPOSE map[8080/tcp:{}]", "empty_layer": True},
            {"created": "2026-11-30T12:00:00Z", "created_by": "COPY conf /srv/ # buildkit"},
        ],
    }, separators=(",", ":"))
    body = json.dumps({
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": {"mediaType": CONFIG, "digest": sha(config), "size": len(config)},
        "layers": layers,
    }, separators=(",", ":"))
    total = len(body) + len(config) + sum(layer["size"] for layer in layers)
    return body, config, total


MISSING = ("SELECT DISTINCT rm.digest FROM repository_manifests rm LEFT JOIN manifests m ON m.digest = rm.digest "
           "WHERE m.digest IS NULL")
COLUMNS = "digest, media_type, size, body, config, total_size, subject, artifact_type, fetched_at"


def store_postgres(url):
    digests = subprocess.run(["psql", "-At", url, "-c", MISSING], check=True, capture_output=True,
                             text=True).stdout.split()
    out = io.StringIO()
    rows = csv.writer(out)
    for d in digests:
        body, config, total = details(d)
        # Empty unquoted fields are NULL in COPY's CSV format.
        rows.writerow([d, MANIFEST, len(body), body, config, total, None, None, "2026-12-01 00:00:00+00"])
    subprocess.run(["psql", "-q", url, "-c", f"\\copy manifests ({COLUMNS}) FROM pstdin WITH (FORMAT csv)"],
                   input=out.getvalue(), check=True, text=True)
    print(len(digests))


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    if sys.argv[1].startswith("postgres"):
        return store_postgres(sys.argv[1])
    db = sqlite3.connect(sys.argv[1], timeout=60)
    digests = [d for (d,) in db.execute(
        "SELECT DISTINCT rm.digest FROM repository_manifests rm LEFT JOIN manifests m ON m.digest = rm.digest "
        "WHERE m.digest IS NULL")]
    rows = []
    for d in digests:
        body, config, total = details(d)
        rows.append((d, MANIFEST, len(body), body, config, total, None, None, "2026-12-01 00:00:00+00:00"))
    with db:
        db.executemany(
            "INSERT INTO manifests (digest, media_type, size, body, config, total_size, subject, artifact_type, fetched_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    print(len(rows))


if __name__ == "__main__":
    main()
