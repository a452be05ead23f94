"""Seeds a wharf with a large catalog through its notification endpoint, as a registry would:
NAMESPACES x REPOS repositories (`teamNNN/appNNN`), TAGS tags each (`v1`, `v2`, …, the last one
`latest` on the same digest as the tag before it), POSTed as envelopes of up to BATCH events to
`/v2/webhooks/events` over CONCURRENCY keep-alive connections.

Usage: seed_catalog.py URL SECRET NAMESPACES REPOS TAGS [BATCH] [CONCURRENCY]
SEED_REPO_FORMAT (default `team{ns:03d}/app{r:03d}`) names the repositories, SEED_TIME_OFFSET
(seconds, default 0) moves every push time later (for a second seeding after the first).
Prints one JSON line: events, envelopes, applied, duplicates, ignored, stale, seconds.
Every event id is unique and every push time distinct (one second apart, in catalog order), so
"sorted by updated" has a total order. Exits non-zero if any envelope is refused or not every
event is applied."""
import hashlib
import http.client
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
EVENTS_TYPE = "application/vnd.docker.distribution.events.v1+json"
MAX_BATCH = 1000  # MAX_EVENTS_PER_ENVELOPE in app/src/backend/events/envelope.rs
MAX_BODY = 1024 * 1024  # MAX_BODY_BYTES in server/src/router.rs
BASE_TIME = datetime(2026, 1, 1, tzinfo=timezone.utc)


def tag_names(tags):
    """v1 … v(TAGS-1), then `latest` (sharing the digest of the tag before it)."""
    if tags == 1:
        return ["latest"]
    return [f"v{i}" for i in range(1, tags)] + ["latest"]


def events(namespaces, repos, tags):
    """Every push event of the catalog, in order (one per tag)."""
    names = tag_names(tags)
    form = os.environ.get("SEED_REPO_FORMAT", "team{ns:03d}/app{r:03d}")
    n = int(os.environ.get("SEED_TIME_OFFSET", "0"))
    for ns in range(namespaces):
        for r in range(repos):
            repo = form.format(ns=ns, r=r)
            for t, tag in enumerate(names):
                # `latest` points at the same image as the previous tag.
                image = t - 1 if (tag == "latest" and t > 0) else t
                digest = "sha256:" + hashlib.sha256(f"{repo}@{image}".encode()).hexdigest()
                layer = 1000 + int(digest[7:13], 16) % 50_000_000  # sizes vary for `sort=size`
                at = BASE_TIME + timedelta(seconds=n)
                yield {
                    "id": f"seed-{repo}-{t}",
                    "timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
                    "action": "push",
                    "target": {
                        "mediaType": MEDIA_TYPE,
                        "size": 500,
                        "digest": digest,
                        "repository": repo,
                        "tag": tag,
                        "references": [{"size": 300}, {"size": layer}],
                    },
                    "request": {"method": "PUT", "addr": "127.0.0.1:1"},
                    "actor": {"name": "benchowner"},
                    "source": {"addr": "r1:5000", "instanceID": "bench-seed"},
                }
                n += 1


def envelopes(namespaces, repos, tags, batch):
    chunk = []
    for e in events(namespaces, repos, tags):
        chunk.append(e)
        if len(chunk) == batch:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def body_of(chunk):
    body = json.dumps({"events": chunk}, separators=(",", ":")).encode()
    if len(body) > MAX_BODY:
        raise SystemExit(f"an envelope of {len(chunk)} events is {len(body)} bytes, over wharf's {MAX_BODY}")
    return body


def main():
    if len(sys.argv) < 6:
        raise SystemExit(__doc__)
    url, secret = sys.argv[1], sys.argv[2]
    namespaces, repos, tags = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    batch = int(sys.argv[6]) if len(sys.argv) > 6 else MAX_BATCH
    concurrency = int(sys.argv[7]) if len(sys.argv) > 7 else 4
    if not 1 <= batch <= MAX_BATCH:
        raise SystemExit(f"BATCH must be 1..{MAX_BATCH}")
    u = urllib.parse.urlsplit(url)
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("loopback URLs only")
    local = threading.local()
    headers = {"Content-Type": EVENTS_TYPE, "Authorization": f"Bearer {secret}"}

    def post(body):
        for attempt in range(3):  # a dropped keep-alive connection is retried on a new one
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=300)
                conn.connect()
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                conn.request("POST", "/v2/webhooks/events", body, headers)
                resp = conn.getresponse()
                data = resp.read()
            except (ConnectionError, http.client.HTTPException):
                conn.close()
                local.conn = None
                if attempt == 2:
                    raise
                continue
            if resp.status != 200:
                raise SystemExit(f"POST /v2/webhooks/events: {resp.status} {data[:300]!r}")
            return json.loads(data)

    totals = {"applied": 0, "duplicates": 0, "ignored": 0, "stale": 0}
    count = {"events": 0, "envelopes": 0}
    # Bodies are built in this thread while the pool posts: at most 2*CONCURRENCY in flight.
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        pending = []
        for chunk in envelopes(namespaces, repos, tags, batch):
            count["events"] += len(chunk)
            count["envelopes"] += 1
            pending.append(pool.submit(post, body_of(chunk)))
            if len(pending) >= 2 * concurrency:
                for k, v in pending.pop(0).result().items():
                    totals[k] = totals.get(k, 0) + v
        for f in pending:
            for k, v in f.result().items():
                totals[k] = totals.get(k, 0) + v
    seconds = time.perf_counter() - start
    print(json.dumps({**count, **totals, "seconds": round(seconds, 2)}))
    if totals["applied"] != count["events"]:
        raise SystemExit(f"only {totals['applied']} of {count['events']} events applied: {totals}")


if __name__ == "__main__":
    main()
