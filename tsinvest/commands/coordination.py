"""``tsinvest coordination``: co-action edges (accounts acting on the same targets within seconds)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from pathlib import Path

__all__ = ["NAME", "HELP", "configure", "run"]

NAME = "coordination"
HELP = "Build a co-action edge table (pairs of accounts repeatedly acting on the same targets within a window)."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("table_path", metavar="TABLE_PATH", help="Parquet or CSV action table (e.g. events.csv)")
    parser.add_argument("--actor", default="account_id", help="column of the acting account (default account_id)")
    parser.add_argument("--target", default="target_id", help="column of the acted-on thing (default target_id)")
    parser.add_argument("--time", default="ts", help="column of the action time (default ts)")
    parser.add_argument("--action", default=None, help="keep only rows whose action column equals this (e.g. share)")
    parser.add_argument("--action-column", default="action", help="column holding the action name (default action)")
    parser.add_argument("--window", type=float, default=60, help="seconds between linked actions (default 60)")
    parser.add_argument("--min-weight", type=int, default=2, help="minimum distinct shared targets (default 2)")
    parser.add_argument("--signal", default=None, help="signal label (default co_<action> or co_action)")
    parser.add_argument(
        "--max-actors-per-window",
        type=int,
        default=None,
        help="exclude targets with more distinct accounts than this inside one window (default 500)",
    )
    parser.add_argument("--out", required=True, metavar="EDGES.csv", help="edge table to write (CSV or .parquet)")
    parser.add_argument("--no-progress", action="store_true", help="do not show a progress bar")
    parser.add_argument(
        "--engine",
        choices=("local", "spark"),
        default="local",
        help="local (DuckDB + compiled sweep, default) or spark (pip install 'tsinvest[spark]'; same edges)",
    )
    parser.add_argument(
        "--spark-master",
        default="local[2]",
        help="Spark master URL with --engine spark (default local[2]); TABLE_PATH may then name a catalogue table",
    )


def _write_atomically(edges, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(handle)
    try:
        if out.suffix.lower() in (".parquet", ".pq"):
            edges.to_parquet(temp, index=False, coerce_timestamps="us")  # Spark rejects TIMESTAMP(NANOS)
        else:
            edges.to_csv(temp, index=False, date_format="%Y-%m-%dT%H:%M:%S.%fZ")
        os.replace(temp, out)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _run_spark(args: argparse.Namespace) -> int:
    from tsinvest.linking.coordination import DEFAULT_MAX_ACTORS_PER_WINDOW, HotTargetWarning
    from tsinvest.spark import coordination_edges, local_session

    spark = local_session(args.spark_master, app_name="tsinvest-coordination")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotTargetWarning)
        edges = coordination_edges(
            args.table_path,
            spark=spark,
            actor=args.actor,
            target=args.target,
            time=args.time,
            action=args.action,
            action_column=args.action_column,
            window=args.window,
            min_weight=args.min_weight,
            signal=args.signal,
            max_actors_per_window=args.max_actors_per_window or DEFAULT_MAX_ACTORS_PER_WINDOW,
        ).to_pandas()
    _write_atomically(edges, Path(args.out))
    stats = edges.attrs["stats"]
    print(
        f"wrote {args.out} (spark {args.spark_master}): {stats['edges']} edges (weight >= {args.min_weight}, "
        f"window {args.window:g} s), {stats['excluded_targets']} hot targets excluded"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    if getattr(args, "engine", "local") == "spark":
        return _run_spark(args)
    from tsinvest.linking.coordination import DEFAULT_MAX_ACTORS_PER_WINDOW, HotTargetWarning, coordination_edges

    with warnings.catch_warnings():
        # The summary line below reports exclusions; no need for the warning text too.
        warnings.simplefilter("ignore", HotTargetWarning)
        edges = coordination_edges(
            args.table_path,
            actor=args.actor,
            target=args.target,
            time=args.time,
            action=args.action,
            action_column=args.action_column,
            window=args.window,
            min_weight=args.min_weight,
            signal=args.signal,
            max_actors_per_window=args.max_actors_per_window or DEFAULT_MAX_ACTORS_PER_WINDOW,
            progress=not args.no_progress and sys.stderr.isatty(),
        )
    _write_atomically(edges, Path(args.out))
    stats = edges.attrs["stats"]
    print(
        f"wrote {args.out}: {stats['events']} events, {stats['windowed_pairs']} windowed pairs, "
        f"{stats['edges']} edges (weight >= {args.min_weight}, window {args.window:g} s), "
        f"{stats['excluded_targets']} hot targets excluded"
    )
    return 0
