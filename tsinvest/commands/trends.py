"""``tsinvest trends TABLE_PATH --out SPIKES.csv``: volume spikes per group and period.

The table is read with :func:`tsinvest.loading.load_table` (its name is the file
stem, or ``--table``), counted per period and group in DuckDB, and every
period is scored against a seasonal (or, for short series, rolling) baseline.
The CSV has one row per group and period, sorted by key then period.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tsinvest.commands._options import add_input_options, load_input_table
from tsinvest.schemas import TABLE_NAMES

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["NAME", "HELP", "configure", "run", "OUTPUT_COLUMNS"]

NAME = "trends"
HELP = "Find volume spikes per policy/country/action over time (hour, day or week)."

#: Columns of the written CSV.
OUTPUT_COLUMNS = ("key", "period_start", "count", "expected", "score", "flagged", "baseline")


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``trends`` arguments."""
    parser.add_argument("table_path", metavar="TABLE_PATH", help="a canonical table file, e.g. reports.csv")
    parser.add_argument("--out", required=True, metavar="SPIKES.csv", help="CSV to write (atomically)")
    parser.add_argument("--by", nargs="+", default=[], metavar="COL", help="group columns, e.g. --by policy country")
    parser.add_argument("--freq", choices=("H", "D", "W"), default="D", help="period length (default: D)")
    parser.add_argument("--time", metavar="COL", help="time column (default: ts, or the table's first time column)")
    parser.add_argument("--table", choices=TABLE_NAMES, help="canonical table of a file whose name is not the table")
    parser.add_argument("--start", help="first period (default: first period in the data)")
    parser.add_argument("--end", help="end of the last period, exclusive (default: from the data)")
    parser.add_argument("--threshold", type=float, default=4.0, help="score that flags a period (default: 4)")
    parser.add_argument("--min-count", type=int, default=5, help="never flag a period with fewer rows (default: 5)")
    parser.add_argument("--flagged-only", action="store_true", help="write only the flagged periods")
    add_input_options(parser)


def _time_column(frame: pd.DataFrame, requested: str | None, table: str) -> str:
    from tsinvest.schemas import TABLES

    if requested:
        return requested
    if "ts" in frame.columns:
        return "ts"
    return TABLES[table].time_columns[0]


def run(args: argparse.Namespace) -> int:
    """Load, count, score, write; print a one-line summary."""
    from pathlib import Path

    from tsinvest.reporting.safe_export import to_safe_csv
    from tsinvest.trends import detect_spikes, time_series

    frame = load_input_table(args.table_path, args.table, args)
    table = args.table or Path(args.table_path).stem
    series = time_series(
        frame, time=_time_column(frame, args.time, table), freq=args.freq, by=args.by, start=args.start, end=args.end
    )
    spikes = detect_spikes(series, by=args.by, freq=args.freq, threshold=args.threshold, min_count=args.min_count)
    if args.flagged_only:
        spikes = spikes[spikes["flagged"]]
    output = spikes[list(OUTPUT_COLUMNS)].round({"expected": 3, "score": 3})
    to_safe_csv(output, args.out)
    flagged = int(spikes["flagged"].sum())
    methods = ", ".join(sorted(set(spikes["baseline"].dropna())))
    print(f"tsinvest trends: {flagged} flagged period(s) of {len(spikes)}; baseline: {methods or 'none'}; "
          f"wrote {args.out}")
    return 0
