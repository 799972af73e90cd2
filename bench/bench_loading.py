"""Print how long the validated loaders take on a large synthetic events file.

    python bench/bench_loading.py --rows 1000000

Writes events.csv / events.jsonl / events.parquet to a temporary folder, loads
each with tsinvest.loading.load_events and prints rows/second and peak RSS.
Then an adversarial shape: one row ``--wide-columns`` columns wide (issue 13:
100,000 columns took 259 s, 2.5 ms per column; extra columns are now checked
in one vectorised pass), printed as seconds and microseconds per column.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from tsinvest.loading import load_events


def make_events(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = rng.integers(10**17, 10**19 - 1, size=rows, dtype=np.uint64).astype(str)
    start = pd.Timestamp("2026-03-02T00:00:00Z").value // 10**9
    seconds = start + rng.integers(0, 28 * 86400, size=rows)
    return pd.DataFrame({
        "account_id": np.char.zfill(ids, 19),
        "action": rng.choice(["like", "comment", "share", "follow"], size=rows),
        "target_id": np.char.zfill(ids[::-1].copy(), 19),
        "ts": pd.to_datetime(seconds, unit="s", utc=True).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "text": rng.choice(["nice", "wow, great", "", "check my profile"], size=rows),
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--wide-columns", type=int, default=100_000, help="width of the one-row adversarial file")
    args = parser.parse_args()
    frame = make_events(args.rows, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        paths = {
            "csv": Path(folder) / "events.csv",
            "jsonl": Path(folder) / "events.jsonl",
            "parquet": Path(folder) / "events.parquet",
        }
        frame.to_csv(paths["csv"], index=False)
        frame.to_json(paths["jsonl"], orient="records", lines=True)
        frame.to_parquet(paths["parquet"], index=False, coerce_timestamps="us")
        for kind, path in paths.items():
            began = time.perf_counter()
            loaded = load_events(path)
            elapsed = time.perf_counter() - began
            assert len(loaded) == args.rows
            size = path.stat().st_size / 2**20
            print(f"{kind:8s} {args.rows:>10,d} rows  {size:8.1f} MiB  {elapsed:6.2f} s  {args.rows / elapsed:>12,.0f} rows/s")
        wide = Path(folder) / "wide" / "events.csv"
        wide.parent.mkdir()
        extra = [f"extra_{i}" for i in range(args.wide_columns)]
        wide.write_text(
            ",".join(["account_id", "action", "target_id", "ts", *extra]) + "\n"
            + ",".join(["1", "share", "v1", "2026-03-02T10:00:00Z", *(["x"] * len(extra))]) + "\n",
            encoding="utf-8",
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the notice that extras stay plain text
            began = time.perf_counter()
            loaded = load_events(wide)
            elapsed = time.perf_counter() - began
        assert loaded.shape == (1, args.wide_columns + 4)
        per_column = elapsed / max(args.wide_columns, 1) * 1e6
        print(f"wide row {args.wide_columns:>10,d} columns  {elapsed:6.2f} s  {per_column:8.1f} us/column")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
