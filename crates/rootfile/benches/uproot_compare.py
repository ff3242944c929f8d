"""uproot timings for the same operations as `examples/bench.rs`, for a side-by-side comparison.

Usage: pip install uproot && python3 crates/rootfile/benches/uproot_compare.py [root_10k.root]
"""
import sys
import time

import uproot

PATH = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/root-conformance/perf/root_10k.root"
HIST = "DQMData/Run 1/Subsys3/Run summary/Folder7/h42"


def best_and_mean(label, n, fn):
    best, start = float("inf"), time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    mean = (time.perf_counter() - start) / n
    print(f"uproot {label}: mean {mean * 1e6:.1f} µs, best {best * 1e6:.1f} µs ({n} iterations)")


def listing():
    with uproot.open(PATH) as f:
        return len(f.keys(recursive=True, cycle=True))


print(f"{PATH}: {listing()} keys")
best_and_mean("open + recursive listing", 20, listing)
with uproot.open(PATH, object_cache=None, array_cache=None) as f:
    key = f.key(HIST)
    best_and_mean("read + decode one TH1F (known key)", 2000, lambda: key.get())
