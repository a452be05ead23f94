"""Times the console's server functions, one signed-in user at a time, on one keep-alive
connection: each case gets WARMUP untimed requests, then REQUESTS timed ones, strictly
sequential (round trip on loopback: send the request, read the whole JSON answer).

Usage: console_requests.py URL REQUESTS WARMUP REPO USER:PASSWORD [USER:PASSWORD ...]
  REPO   the repository whose page is timed (e.g. team042/app017); every user must see it.
Prints a Markdown table (p50 / p99 / mean in ms per user, and what each answer held), then a
line per user with the sanity checks, and writes each user's session cookie to the file named
by BENCH_COOKIES (JSON {user: cookie}) when set, for the browser part."""
import hashlib
import http.client
import json
import math
import os
import socket
import statistics
import sys
import time
import urllib.parse

FORM = "application/x-www-form-urlencoded"


def connect(host, port, timeout):
    """A connection with Nagle off, so no request waits on a delayed ACK."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


class Client:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        if u.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("loopback URLs only")
        self.host, self.port = u.hostname, u.port
        self.origin = f"{u.scheme}://{u.netloc}"
        self.cookie = None
        self.conn = None
        self.reconnects = 0

    def post(self, path, fields):
        body = urllib.parse.urlencode(fields)
        headers = {"Content-Type": FORM, "Accept": "application/json", "Origin": self.origin}
        if self.cookie:
            headers["Cookie"] = f"wharf_session={self.cookie}"
        for attempt in range(2):
            if self.conn is None:
                self.conn = connect(self.host, self.port, 60)
            try:
                self.conn.request("POST", path, body, headers)
                resp = self.conn.getresponse()
                data = resp.read()
            except (ConnectionError, http.client.HTTPException):
                # The server closed an idle keep-alive connection: once more on a new one
                # (counted, and reported, so a benchmark full of reconnects is visible).
                self.conn.close()
                self.conn = None
                self.reconnects += 1
                if attempt == 1:
                    raise
                continue
            return resp, data

    def login(self, user, password):
        resp, data = self.post("/api/login", {"username": user, "password": password})
        if resp.status != 200:
            raise SystemExit(f"sign-in of {user}: {resp.status} {data[:300]!r}")
        for k, v in resp.getheaders():
            if k.lower() == "set-cookie" and v.startswith("wharf_session="):
                self.cookie = v.split(";", 1)[0].split("=", 1)[1]
        if not self.cookie:
            raise SystemExit(f"sign-in of {user}: no wharf_session cookie in {resp.getheaders()}")
        return json.loads(data)


def digest_prefix(image):
    """The first 12 hex digits of the digest seed_catalog.py gave `repo:v1` (its image 0)."""
    repo, _, tag = image.partition(":")
    assert tag == "v1", "BENCH_IMAGE names a v1 tag"
    return hashlib.sha256(f"{repo}@0".encode()).hexdigest()[:12]


def cases(repo):
    """(label, endpoint, form fields, summary of one answer). BENCH_BIG_REPO adds a repository
    page with many tags, BENCH_IMAGE (`repo:tag`) an image page."""
    big, image = os.environ.get("BENCH_BIG_REPO"), os.environ.get("BENCH_IMAGE")
    images = lambda d: f"{len(d['images']['items'])} of {d['images']['total']} images, {d['tag_count']} tags"  # noqa: E731
    total = lambda d: f"{d['total']} repositories"  # noqa: E731
    found = lambda d: f"{len(d['namespaces'])} ns / {len(d['repositories'])} repos / {len(d['tags'])} tags"  # noqa: E731
    return [
        ("repository list, page 1 (by name, 25)", "/api/list_repositories", {}, total),
        ("repository list, page 150 of 25", "/api/list_repositories", {"page": 150, "per_page": 25},
         lambda d: f"{len(d['items'])} items of {d['total']}"),
        ("repository list, page 1000 of 25", "/api/list_repositories", {"page": 1000, "per_page": 25},
         lambda d: f"{len(d['items'])} items of {d['total']}"),
        ("repository list, sorted by updated", "/api/list_repositories", {"sort": "updated"}, total),
        ("repository list, `q=app01`", "/api/list_repositories", {"q": "app01"}, total),
        (f"repository page `{repo}`", "/api/get_repository", {"name": repo}, images),
        *([(f"repository page `{big}` (page 1 of its images)", "/api/get_repository", {"name": big}, images)] if big else []),
        *([(f"image page `{image}`", "/api/get_image", {"reference": image},
            lambda d: f"{d['media_type'].rsplit('.', 2)[-2]}, {len(d['layers'])} layers, {len(d['accessories'])} accessories")]
          if image else []),
        ("search `q=app01`", "/api/search", {"q": "app01"}, found),
        ("search `q=v3`", "/api/search", {"q": "v3"}, found),
        *([("search by digest prefix (12 hex digits of the image's)", "/api/search", {"q": digest_prefix(image)}, found)]
          if image else []),
        ("activity log, page 1 (50)", "/api/list_activities", {},
         lambda d: f"{len(d['items'])} of {d['total']}{'+' if d.get('total_capped') else ''} entries"),
        ("activity kinds (the log's filter)", "/api/activity_kinds", {}, lambda d: f"{len(d)} kinds"),
        ("dashboard", "/api/dashboard", {},
         lambda d: f"{len(d['namespaces'])} ns / {len(d['recent'])} recent / {len(d['activity'])} activity"),
    ]


def percentile(sorted_ms, p):
    """Nearest rank."""
    return sorted_ms[max(0, math.ceil(p / 100 * len(sorted_ms)) - 1)]


def measure(client, path, fields, requests, warmup):
    first = None
    for i in range(warmup + requests):
        t0 = time.perf_counter_ns()
        resp, data = client.post(path, fields)
        t1 = time.perf_counter_ns()
        if resp.status != 200:
            raise SystemExit(f"POST {path} {fields}: {resp.status} {data[:300]!r}")
        if first is None:
            first = data
        if i >= warmup:
            yield (t1 - t0) / 1e6, len(data), first


def main():
    if len(sys.argv) < 6:
        raise SystemExit(__doc__)
    url, requests, warmup, repo = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    users = [a.split(":", 1) for a in sys.argv[5:]]
    table = {}  # label -> [cell per user]
    notes = []
    cookies = {}
    for user, password in users:
        c = Client(url)
        me = c.login(user, password)
        cookies[user] = c.cookie
        for label, path, fields, summary in cases(repo):
            samples = list(measure(c, path, fields, requests, warmup))
            ms = sorted(s[0] for s in samples)
            answer = json.loads(samples[0][2])
            cell = (f"{statistics.median(ms):.2f} / {percentile(ms, 99):.2f} / {statistics.fmean(ms):.2f}",
                    f"{summary(answer)}, {samples[0][1]:,} B")
            table.setdefault(label, []).append(cell)
        # Sanity: what this user may see.
        _, d = c.post("/api/list_repositories", {"per_page": 1})
        visible = json.loads(d)["total"]
        hidden = "team001/app000"
        resp, _ = c.post("/api/get_repository", {"name": hidden})
        notes.append(f"{user}{' (admin)' if me.get('admin') else ''}: sees {visible} repositories; "
                     f"`{hidden}` answers {resp.status}; {c.reconnects} reconnects")
    head = " | ".join(f"{u} p50 / p99 / mean (ms) | {u}: answer" for u, _ in users)
    print(f"| request | {head} |")
    print("|---" * (1 + 2 * len(users)) + "|")
    for label, cells in table.items():
        print(f"| {label} | " + " | ".join(f"{a} | {b}" for a, b in cells) + " |")
    print()
    for n in notes:
        print(f"- {n}")
    if os.environ.get("BENCH_COOKIES"):
        with open(os.environ["BENCH_COOKIES"], "w") as f:
            json.dump(cookies, f)


if __name__ == "__main__":
    main()
