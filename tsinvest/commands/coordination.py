"""``tsinvest coordination``: co-action edges (accounts acting on the same targets within seconds)."""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tsinvest.commands._options import (
    add_input_options,
    add_progress_option,
    input_options_given,
    load_input_table,
    show_progress,
)
from tsinvest.exceptions import ParameterError

if TYPE_CHECKING:
    import pandas as pd

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
        help="leave out targets with more distinct accounts than this inside one window (viral content; "
        "500 is a good value); default: keep every target (the exact definition)",
    )
    parser.add_argument(
        "--max-windowed-pairs",
        type=int,
        default=2_000_000_000,
        help="refuse before the sweep when more windowed event pairs than this would be formed (default 2e9, "
        "about 32 GB of spill); use --max-actors-per-window to leave out hot targets instead",
    )
    parser.add_argument("--out", required=True, metavar="EDGES.csv", help="edge table to write (CSV or .parquet)")
    add_input_options(parser)
    add_progress_option(parser)
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


def _write(edges: pd.DataFrame, out: Path) -> None:
    """Formula-safe CSV (ids as text, times as every written table has them; 0600, atomic), or Parquet
    with microsecond times."""
    from tsinvest.files import atomic_write
    from tsinvest.loading.readers import file_format
    from tsinvest.reporting import to_safe_csv

    form, _ = file_format(out)
    if form is not None and form.kind == "parquet":
        with atomic_write(out) as temporary:
            frame = edges.assign(first_ts=edges["first_ts"].dt.as_unit("us"), last_ts=edges["last_ts"].dt.as_unit("us"))
            frame.to_parquet(temporary, index=False)
        return
    to_safe_csv(edges, out, id_columns=["account_a", "account_b"])


def _edge_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options both engines share."""
    return {"actor": args.actor, "target": args.target, "time": args.time, "action": args.action,
            "action_column": args.action_column, "window": args.window, "min_weight": args.min_weight,
            "signal": args.signal}


def _run_spark(args: argparse.Namespace) -> int:
    from tsinvest.linking.coordination import DEFAULT_MAX_ACTORS_PER_WINDOW, HotTargetWarning
    from tsinvest.spark import coordination_edges, local_session

    if input_options_given(args):
        raise ParameterError("--mapping, --timezone, --epoch-unit and --on-error apply to the local engine; "
                             "give Spark a table that is already canonical, or drop --engine spark")
    spark = local_session(args.spark_master, app_name="tsinvest-coordination")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotTargetWarning)
        edges = coordination_edges(
            args.table_path,
            spark=spark,
            max_actors_per_window=args.max_actors_per_window or DEFAULT_MAX_ACTORS_PER_WINDOW,
            **_edge_options(args),
        ).to_pandas()
    _write(edges, Path(args.out))
    stats = edges.attrs["stats"]
    # The Spark engine always caps hot windows (default 500 accounts), reported here.
    print(
        f"wrote {args.out} (spark {args.spark_master}): {stats['edges']} edges (weight >= {args.min_weight}, "
        f"window {args.window:g} s), {stats['excluded_targets']} hot targets excluded"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    if args.engine == "spark":
        return _run_spark(args)
    from tsinvest.linking.coordination import HotTargetWarning, coordination_edges

    with warnings.catch_warnings():
        # The summary line below reports exclusions; no need for the warning text too.
        warnings.simplefilter("ignore", HotTargetWarning)
        # With input options the file is read (and validated) by the loader as its canonical table.
        source = load_input_table(args.table_path, None, args) if input_options_given(args) else args.table_path
        edges = coordination_edges(
            source,
            max_actors_per_window=args.max_actors_per_window,
            max_windowed_pairs=args.max_windowed_pairs,
            progress=show_progress(args),
            **_edge_options(args),
        )
    _write(edges, Path(args.out))
    stats = edges.attrs["stats"]
    print(
        f"wrote {args.out}: {stats['events']} events, {stats['windowed_pairs']} windowed pairs, "
        f"{stats['edges']} edges (weight >= {args.min_weight}, window {args.window:g} s), "
        + (f"{stats['excluded_targets']} hot targets left out (more than {args.max_actors_per_window} accounts in "
           "one window)" if args.max_actors_per_window else "every target kept (exact)")
    )
    return 0
