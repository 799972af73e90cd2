"""Benchmark: co-action edges from a raw Parquet file of N events, with planted rings.

Usage::

    .venv/bin/python bench/bench_coordination.py --events 1000000
    .venv/bin/python bench/bench_coordination.py --events 5000000 --toolkit
    .venv/bin/python bench/bench_coordination.py --events 50000000 --no-toolkit
    .venv/bin/python bench/bench_coordination.py --events 5000000 --no-toolkit --duckdb-join --repeat 3

The synthetic week has N events, N/20 accounts and N/10 targets; targets and
account activity follow Zipf laws (exponent ``--zipf``), and 20 planted groups
of 8-30 accounts each act together (within 30 s) on 12-40 long-tail targets.
The Parquet file is written once under ``bench/out/`` and reused.

``coordination_edges`` (window 60 s, min weight 2) is timed in a fresh child
process, from the raw Parquet file to the edge table; peak memory is that
process's ``resource.getrusage(RUSAGE_SELF).ru_maxrss``, so it covers loading
and computing and nothing of the data generation.

With ``--toolkit`` (default when the ``coordination_network_toolkit`` package is
installed and N <= 5M), the PyPI Coordination Network Toolkit computes its
co-retweet network (same window, min edge weight 2, 2 processes) on the same
events: its CSV ingest into SQLite is done once and cached, and only its
compute step is timed, as the ratio's denominator.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out"
WEEK_SECONDS = 7 * 24 * 3600
START_NS = 1_772_409_600 * 10**9  # 2026-03-02T00:00:00Z
GROUPS = 20


def zipf_probabilities(count: int, exponent: float) -> np.ndarray:
    weights = np.arange(1, count + 1, dtype=np.float64) ** -exponent
    return weights / weights.sum()


def generate(events: int, *, zipf: float, seed: int) -> tuple[Path, Path]:
    """Write the events Parquet file and the planted-groups JSON once; return both paths."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    OUT.mkdir(parents=True, exist_ok=True)
    stem = f"events_{events}_z{zipf:g}_s{seed}_us"
    path, truth_path = OUT / f"{stem}.parquet", OUT / f"{stem}.groups.json"
    if path.exists() and truth_path.exists():
        return path, truth_path
    rng = np.random.default_rng(seed)
    n_accounts, n_targets = max(events // 20, 100), max(events // 10, 100)

    # Planted groups first, so their size is known and the background fills up to N.
    group_accounts, planted = [], []
    account_pool = rng.permutation(n_accounts)
    used = 0
    for _ in range(GROUPS):
        size = int(rng.integers(8, 31))
        members = account_pool[used : used + size]
        used += size
        # Long-tail targets: rank in the last half, so popularity does not explain the link.
        targets = rng.integers(n_targets // 2, n_targets, size=int(rng.integers(12, 41)))
        starts = rng.integers(0, WEEK_SECONDS - 60, size=len(targets))
        for target, start in zip(targets, starts):
            acting = members[rng.random(len(members)) < 0.8]
            planted.append(
                (acting, np.full(len(acting), target), start + rng.uniform(0, 30, size=len(acting)))
            )
        group_accounts.append(members)
    planted_actor = np.concatenate([p[0] for p in planted])
    planted_target = np.concatenate([p[1] for p in planted])
    planted_seconds = np.concatenate([p[2] for p in planted])

    background = events - len(planted_actor)
    # Account activity and target popularity are Zipf; ranks are shuffled onto ids.
    actor = rng.permutation(n_accounts)[rng.choice(n_accounts, size=background, p=zipf_probabilities(n_accounts, zipf))]
    target = rng.permutation(n_targets)[rng.choice(n_targets, size=background, p=zipf_probabilities(n_targets, zipf))]
    seconds = rng.uniform(0, WEEK_SECONDS, size=background)

    actor = np.concatenate([actor, planted_actor])
    target = np.concatenate([target, planted_target])
    # Whole microseconds: the portable precision (Spark rejects TIMESTAMP(NANOS)).
    ns = START_NS + (np.concatenate([seconds, planted_seconds]) * 1e6).astype(np.int64) * 1000
    order = np.argsort(ns, kind="stable")  # a log is written in time order

    account_ids = np.array([f"{x:019d}" for x in rng.integers(10**17, 10**19, size=n_accounts, dtype=np.uint64)])
    target_ids = np.array([f"v{x:012d}" for x in range(n_targets)])
    actions = np.array(["share", "like", "comment"])
    table = pa.table(
        {
            "account_id": pa.array(account_ids[actor[order]], type=pa.string()),
            "action": pa.array(actions[rng.integers(0, 3, size=events)], type=pa.string()),
            "target_id": pa.array(target_ids[target[order]], type=pa.string()),
            "ts": pa.array(ns[order] // 1000, type=pa.timestamp("us", tz="UTC")),
        }
    )
    temp = path.with_suffix(".tmp")
    pq.write_table(table, temp, row_group_size=1_000_000)
    os.replace(temp, path)
    groups = [sorted(account_ids[m].tolist()) for m in group_accounts]
    truth_path.write_text(json.dumps({"groups": groups}))
    return path, truth_path


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process, all threads (a busy machine inflates wall time, not this)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_ours(path: Path, window: float, min_weight: int) -> dict:
    """Run in a child process: time raw Parquet -> edges, report peak RSS."""
    import resource

    import duckdb  # imported before the clock starts, as in the DuckDB join's process

    from tsinvest.linking.coordination import coordination_edges

    started, cpu_started = time.perf_counter(), _cpu_seconds()
    edges = coordination_edges(path, window=window, min_weight=min_weight)
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    edges[["account_a", "account_b"]].to_parquet(path.with_suffix(".edges.parquet"))
    with duckdb.connect() as con:
        con.register("ours", edges[["account_a", "account_b", "weight"]])
        digest = con.execute("SELECT sum(hash(account_a || '|' || account_b || '|' || CAST(weight AS BIGINT))) FROM ours").fetchone()[0]
    return {
        "digest": int(digest or 0),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        **edges.attrs["stats"],
    }


def measure_duckdb_join(path: Path, window: float, min_weight: int) -> dict:
    """Run in a child process: the same definition as one bucketed DuckDB equi-join (no self-join on target alone).

    Events are keyed by (target, floor(t / window)); each bucket is joined
    with itself and the next one (the right side is listed under its bucket
    and the one before), filtered on ``|dt| <= window`` and two different
    accounts, then aggregated to distinct targets per pair.
    """
    import resource

    import duckdb

    window_ns = int(round(window * 1e9))
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        count, digest = con.execute(
            f"""
            WITH e AS (
                SELECT DISTINCT CAST(account_id AS VARCHAR) AS a, CAST(target_id AS VARCHAR) AS t,
                       epoch_ns(CAST(ts AS TIMESTAMPTZ)) AS ns
                FROM read_parquet(?)
            ),
            keyed AS (SELECT a, t, ns, ns // {window_ns} AS bucket FROM e),
            shifted AS (SELECT a, t, ns, bucket AS key FROM keyed UNION ALL SELECT a, t, ns, bucket - 1 FROM keyed),
            linked AS (
                SELECT DISTINCT least(x.a, y.a) AS a1, greatest(x.a, y.a) AS a2, x.t
                FROM keyed x JOIN shifted y ON x.t = y.t AND x.bucket = y.key
                WHERE x.a <> y.a AND abs(x.ns - y.ns) <= {window_ns}
            ),
            edges AS (SELECT a1, a2, count(*) AS weight FROM linked GROUP BY a1, a2 HAVING count(*) >= ?)
            SELECT count(*), sum(hash(a1 || '|' || a2 || '|' || weight)) FROM edges
            """,
            [str(path), int(min_weight)],
        ).fetchone()
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    return {"seconds": seconds, "cpu_seconds": cpu, "edges": int(count), "digest": int(digest or 0),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def toolkit_db(path: Path) -> Path:
    """Ingest the events into the toolkit's SQLite format once (not timed)."""
    import duckdb
    from coordination_network_toolkit.preprocess import preprocess_csv_files

    db = path.with_suffix(".toolkit.db")
    if db.exists():
        return db
    csv = path.with_suffix(".toolkit.csv")
    with duckdb.connect() as con:
        literal = "'" + str(path).replace("'", "''") + "'"
        con.execute(
            f"""COPY (SELECT row_number() OVER () AS message_id, account_id AS user_id, account_id AS username,
                       target_id AS repost_id, '' AS reply_id, '' AS message,
                       epoch_ns(ts) / 1e9 AS timestamp, '' AS urls
                FROM read_parquet({literal})) TO '{csv}' (HEADER, DELIMITER ',')"""
        ).fetchall()
    temp = db.with_suffix(".tmp")
    temp.unlink(missing_ok=True)
    preprocess_csv_files(str(temp), [str(csv)])
    os.replace(temp, db)
    csv.unlink()
    return db


def measure_toolkit(path: Path, window: float, min_weight: int) -> dict:
    import sqlite3

    from coordination_network_toolkit.compute_networks import compute_co_retweet_parallel

    db = toolkit_db(path)
    started = time.perf_counter()
    compute_co_retweet_parallel(str(db), window, n_threads=2, min_edge_weight=min_weight)
    seconds = time.perf_counter() - started
    with sqlite3.connect(db) as con:
        edges = con.execute("SELECT count(*) FROM co_retweet_network WHERE user_1 < user_2").fetchone()[0]
    return {"seconds": seconds, "edges": edges}


def child(kind: str, path: Path, window: float, min_weight: int) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--path", str(path), "--window", str(window),
         "--min-weight", str(min_weight)],
        check=True, stdout=subprocess.PIPE, text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def planted_recall(path: Path, truth_path: Path) -> tuple[int, float]:
    """Groups whose pairs mostly appear as edges, and the overall pair recall."""
    import pandas as pd

    edges = pd.read_parquet(path.with_suffix(".edges.parquet"))
    found = set(zip(edges["account_a"], edges["account_b"]))
    groups = json.loads(truth_path.read_text())["groups"]
    hits = total = groups_found = 0
    for members in groups:
        pairs = [(a, b) for i, a in enumerate(members) for b in members[i + 1 :]]
        inside = sum(pair in found for pair in pairs)
        hits, total = hits + inside, total + len(pairs)
        groups_found += inside >= 0.9 * len(pairs)
    return groups_found, hits / total


def _compare_with_duckdb(path: Path, args: argparse.Namespace, ours: dict) -> None:
    """Time the bucketed DuckDB join, paired with tsinvest: ``--repeat`` rounds of (tsinvest, join), interleaved."""
    ratios, cpu_ratios = [], []
    for round_number in range(args.repeat):
        if round_number:
            ours = child("ours", path, args.window, args.min_weight)
        joined = child("duckdb", path, args.window, args.min_weight)
        same = joined["edges"] == ours["edges"] and joined["digest"] == ours["digest"]
        ratios.append(ours["seconds"] / joined["seconds"])
        cpu_ratios.append(ours["cpu_seconds"] / joined["cpu_seconds"])
        print(
            f"round {round_number + 1}: tsinvest {ours['seconds']:.2f} s (CPU {ours['cpu_seconds']:.2f} s, "
            f"{ours['peak_rss_mb']:,.0f} MiB); bucketed DuckDB join, same definition: {joined['seconds']:.2f} s "
            f"(CPU {joined['cpu_seconds']:.2f} s, {joined['peak_rss_mb']:,.0f} MiB), {joined['edges']:,} edges "
            f"({'identical edge table' if same else 'DIFFERENT edge table'}); tsinvest takes {ratios[-1]:.2f}x its "
            f"time ({cpu_ratios[-1]:.2f}x its CPU); load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    if args.repeat > 1:
        print(f"ratio over {args.repeat} rounds: wall {min(ratios):.2f}-{max(ratios):.2f}x "
              f"(median {sorted(ratios)[len(ratios) // 2]:.2f}x), CPU {min(cpu_ratios):.2f}-{max(cpu_ratios):.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--zipf", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--window", type=float, default=60)
    parser.add_argument("--min-weight", type=int, default=2)
    toolkit = parser.add_mutually_exclusive_group()
    toolkit.add_argument("--toolkit", dest="toolkit", action="store_true", default=None)
    toolkit.add_argument("--no-toolkit", dest="toolkit", action="store_false")
    parser.add_argument("--duckdb-join", action="store_true",
                        help="also time a bucketed DuckDB join of the same definition, in its own process")
    parser.add_argument("--repeat", type=int, default=1,
                        help="with --duckdb-join: run the pair (tsinvest, then the join) this many times, interleaved")
    parser.add_argument("--child", choices=["ours", "toolkit", "duckdb"], help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        measure = {"ours": measure_ours, "toolkit": measure_toolkit, "duckdb": measure_duckdb_join}[args.child]
        print(json.dumps(measure(args.path, args.window, args.min_weight)))
        return 0

    started = time.perf_counter()
    path, truth_path = generate(args.events, zipf=args.zipf, seed=args.seed)
    print(f"data: {path.name} ({path.stat().st_size / 2**20:.0f} MiB, ready in {time.perf_counter() - started:.1f} s)")

    # Other jobs share this machine: the load average says how much the figures can be trusted.
    print("load average before (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    ours = child("ours", path, args.window, args.min_weight)
    groups_found, recall = planted_recall(path, truth_path)
    print(
        f"tsinvest coordination_edges: {ours['seconds']:.2f} s for {ours['events']:,} events "
        f"({ours['events'] / ours['seconds']:,.0f} events/s), {ours['windowed_pairs']:,} windowed event pairs, "
        f"{ours['edges']:,} edges (weight >= {args.min_weight}), "
        f"{ours['excluded_targets']} hot targets excluded, {ours.get('spilled_pairs', 0):,} pairs spilled to disk; "
        f"peak RSS {ours['peak_rss_mb']:,.0f} MiB (ru_maxrss)"
    )
    print(f"planted groups found (>= 90% of their pairs): {groups_found}/{GROUPS}; planted pair recall {recall:.3f}")

    if args.duckdb_join:
        _compare_with_duckdb(path, args, ours)

    run_toolkit = args.toolkit
    if run_toolkit is None:
        try:
            import coordination_network_toolkit  # noqa: F401

            run_toolkit = args.events <= 5_000_000
        except ImportError:
            run_toolkit = False
    if run_toolkit:
        theirs = child("toolkit", path, args.window, args.min_weight)
        print(
            f"coordination_network_toolkit co_retweet compute: {theirs['seconds']:.2f} s, {theirs['edges']:,} edges; "
            f"tsinvest is {theirs['seconds'] / ours['seconds']:.1f}x faster (raw Parquet to edges vs its compute step)"
        )
    print("load average after (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
