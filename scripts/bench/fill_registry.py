"""Fills an unauthenticated registry with REPOS repositories x TAGS tags quickly: one layer and
one config blob uploaded once, mounted into every other repository, and a distinct small
manifest per tag (an annotation differs), so every tag has its own digest."""
import hashlib, json, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor

base, repos, tags = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
MT = "application/vnd.oci.image.manifest.v1+json"


def req(method, path, data=None, headers=None, ok=(200, 201, 202, 204)):
    r = urllib.request.Request(base + path, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(r) as resp:
        if resp.status not in ok:
            raise SystemExit(f"{method} {path}: {resp.status}")
        return resp


def upload(repo, blob):
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    loc = req("POST", f"/v2/{repo}/blobs/uploads/").headers["Location"]
    sep = "&" if "?" in loc else "?"
    path = loc.replace(base, "") + f"{sep}digest={digest}"
    req("PUT", path, blob, {"Content-Type": "application/octet-stream"})
    return digest, len(blob)


layer = b"wharf sync benchmark layer\n" * 64
config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
first = "bench/r0000"
layer_d, layer_n = upload(first, layer)
config_d, config_n = upload(first, config)


def fill(i):
    repo = f"bench/r{i:04d}"
    if repo != first:
        for d in (layer_d, config_d):
            req("POST", f"/v2/{repo}/blobs/uploads/?mount={d}&from={first}")
    for t in range(tags):
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": MT,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_d, "size": config_n},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_d, "size": layer_n}],
            "annotations": {"bench": f"{repo}:{t}"},
        }).encode()
        req("PUT", f"/v2/{repo}/manifests/t{t}", manifest, {"Content-Type": MT})


with ThreadPoolExecutor(8) as pool:
    list(pool.map(fill, range(repos)))
print(f"filled {repos} repositories x {tags} tags")
