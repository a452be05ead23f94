#!/usr/bin/env python3
"""Groups a flat `perf report --no-children --sort dso,sym --stdio` (on stdin) into the stages
of a token request, so two profiles (wharf and the sign-only baseline) can be compared.

Each sample's symbol is matched against STAGES in order; the first match names its stage.
Prints a Markdown table: stage, share of samples, and the top symbols of the stage.
"""
import re
import sys
from collections import defaultdict

# (stage, pattern on "dso symbol"): first match wins, so specific patterns come first.
STAGES = [
    # axum clones the state for every handler and every middleware that takes it: a deep
    # clone shows up as many small clones and drops of the state's parts.
    ("shared state cloned and dropped per request",
     r"AppState|LeptosOptions|BaseCache<K,V,S> as core::clone|drop_in_place<(wharf_app|moka|leptos)"
     r"|crossbeam_channel::channel::(Sender|Receiver)<T> as core::ops::drop"),
    ("ES256 signature (ring)", r"ring|ecp_nistz256|p256_|bn_|LIMBS_|sha256_block_data_order"),
    ("credential-cache key (HMAC-SHA256)", r"sha2::|hmac::|digest::"),
    ("random ids (uuid, getrandom)", r"uuid::|getrandom|rand::|rand_core|chacha"),
    ("caches (moka)", r"moka::|crossbeam|quanta::|tagptr|triomphe"),
    ("throttle (governor)", r"governor::|dashmap"),
    ("metrics (prometheus-client)", r"prometheus_client"),
    ("logging spans (tracing)", r"tracing|sharded_slab"),
    ("middleware (tower-http, axum middleware)", r"tower_http::|tower::|axum::middleware"),
    ("JSON (serde_json)", r"serde_json|serde::"),
    ("base64", r"base64::"),
    ("time formatting", r"\btime::|chrono::"),
    ("routing (axum, matchit)", r"axum::|matchit::"),
    ("HTTP parsing and writing (hyper, http)", r"hyper::|httparse|http::|h2::|bytes::"),
    ("async runtime (tokio)", r"tokio::|mio::"),
    ("wharf: credentials, scopes, policy", r"wharf_app::|wharf_server::|wharf_"),
    ("allocator (malloc/free)", r"malloc|free|_int_|cfree|realloc|memcpy|memmove|memset|tcache"),
    ("kernel (syscalls, TCP, scheduling)", r"\[kernel|\[k\]"),
    ("libc, other", r"libc|ld-linux|vdso"),
]

line_re = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)$")


def main() -> None:
    totals = defaultdict(float)
    tops = defaultdict(list)
    for line in sys.stdin:
        m = line_re.match(line)
        if not m:
            continue
        share, dso, kind, sym = float(m.group(1)), m.group(2), m.group(3), m.group(4).strip()
        key = f"{dso} {sym}" if kind != "k" else f"[kernel] {sym}"
        stage = next((name for name, pat in STAGES if re.search(pat, key)), "other")
        totals[stage] += share
        tops[stage].append((share, sym))
    print("| stage | share of CPU samples | largest symbols |")
    print("|---|---|---|")
    for stage, share in sorted(totals.items(), key=lambda kv: -kv[1]):
        top = ", ".join(f"`{s[:60]}` {p:.1f}%" for p, s in sorted(tops[stage], reverse=True)[:3])
        print(f"| {stage} | {share:.1f} % | {top} |")


if __name__ == "__main__":
    main()
