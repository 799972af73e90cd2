"""Time :func:`tsinvest.detect.detect` on a generated sample; print events/s and peak memory.

Usage::

    python bench/bench_detect.py [--events 200000] [--seed 7] [--adaptive] [--permutations 199]

The sample comes from :func:`tsinvest.synthetic.generate_sample` (``--events``
is passed as its scale). Peak memory is the process's maximum resident set
size (``resource.getrusage``), which includes the loaded tables.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--adaptive", action="store_true")
    parser.add_argument("--permutations", type=int, default=199)
    args = parser.parse_args(argv)

    from tsinvest.detect import detect
    from tsinvest.synthetic import generate_sample

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sample"
        generate_sample(folder, seed=args.seed, scale=args.events, adaptive=args.adaptive, progress=False)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        result = detect(folder, seed=0, n_permutations=args.permutations, progress=True)
        elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result.write(Path(tmp) / "out")
    events = args.events
    print(f"events          {events:,}")
    print(f"detect seconds  {elapsed:.1f}")
    print(f"events/s        {events / elapsed:,.0f}")
    print(f"peak RSS        {peak / 1024:,.0f} MiB (before detect {before / 1024:,.0f} MiB)")
    print(f"clusters        {len(result.clusters)} ({int(result.clusters['flagged'].sum())} flagged)")
    print(f"edges           {len(result.edges):,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
