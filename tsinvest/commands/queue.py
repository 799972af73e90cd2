"""``tsinvest queue DATA_DIR [--as-of T] [--out FILE.csv|.xlsx] [--top N]``: the escalation queue.

Opens the data folder as a DuckDB workspace, ranks the tickets open at
``--as-of`` (:func:`tsinvest.escalations.triage_queue`), prints the top of the
queue and, with ``--out``, writes the whole queue through the formula-safe
CSV or Excel writer. Without ``--as-of`` the queue is taken at the latest time
recorded in the escalations table (opened, due or resolved), never at the
wall clock; the time used is printed.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tsinvest.commands._options import add_input_options, load_options

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["NAME", "HELP", "configure", "run", "PRINTED_COLUMNS"]

NAME = "queue"
HELP = "Rank the open escalation tickets by priority at a time; print the top, write CSV/Excel."

#: Columns printed on the console (the file gets every queue column).
PRINTED_COLUMNS = ("rank", "ticket_id", "channel", "severity", "policy", "hours_left", "priority_score", "summary")


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``queue`` arguments."""
    parser.add_argument("data_dir", metavar="DATA_DIR", help="folder with escalations.csv (and enforcements)")
    parser.add_argument("--as-of", metavar="TIME",
                        help="time the queue is looked at, ISO 8601 (UTC without an offset), e.g. 2026-03-30T00:00:00Z "
                             "(default: the latest time in the escalations table)")
    parser.add_argument("--out", metavar="FILE", help="write the whole queue to FILE.csv or FILE.xlsx (atomically)")
    parser.add_argument("--top", type=int, default=10, metavar="N", help="rows printed (default: 10; 0 for none)")
    add_input_options(parser)


def _cell(value: object, width: int) -> str:
    import pandas as pd

    from tsinvest.reporting.safe_html import cell_text

    text = f"{value:.1f}" if isinstance(value, float) and not pd.isna(value) else cell_text(value, max_chars=width)
    text = " ".join(text.split())  # newlines and tabs in summaries must not break the table
    return text[:width] + ("…" if len(text) > width else "")


def format_table(frame: pd.DataFrame) -> str:
    """Plain-text table of the printed columns; hidden characters shown as markers."""
    widths = {"rank": 4, "ticket_id": 20, "channel": 9, "severity": 8, "policy": 19, "hours_left": 10,
              "priority_score": 14, "summary": 60}
    lines = ["  ".join(name.ljust(widths[name]) for name in PRINTED_COLUMNS)]
    for row in frame[list(PRINTED_COLUMNS)].itertuples(index=False):
        cells = zip(PRINTED_COLUMNS, row, strict=True)
        lines.append("  ".join(_cell(value, widths[name]).ljust(widths[name]) for name, value in cells))
    return "\n".join(line.rstrip() for line in lines)


def run(args: argparse.Namespace) -> int:
    """Rank, print the top rows, write the file, print a one-line summary."""
    from pathlib import Path

    from tsinvest.escalations import latest_ticket_time, triage_queue
    from tsinvest.exceptions import ParameterError
    from tsinvest.loading.timestamps import utc_bound
    from tsinvest.reporting.safe_export import to_safe_csv, to_safe_excel
    from tsinvest.workspace import Workspace

    if args.top < 0:
        raise ParameterError("--top must be 0 or more")
    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() not in (".csv", ".xlsx"):
        raise ParameterError("--out must end in .csv or .xlsx")
    folder = Path(args.data_dir)
    if not folder.is_dir():
        raise ParameterError("DATA_DIR is not a folder; give the folder holding escalations.csv")
    with Workspace(folder, **load_options(args)) as workspace:
        if "escalations" not in workspace.tables():
            raise ParameterError("DATA_DIR has no escalations table; expected escalations.csv (or .parquet, .jsonl)")
        as_of = args.as_of
        if as_of is None:
            as_of = latest_ticket_time(workspace)
            if as_of is None:
                raise ParameterError("the escalations table is empty; nothing to rank")
        queue = triage_queue(workspace, as_of=as_of)
    stamp = utc_bound(as_of, name="as_of", required=True)
    if args.top:
        print(format_table(queue.head(args.top)))
    if out is not None:
        if out.suffix.lower() == ".xlsx":
            to_safe_excel({"queue": queue}, out)
        else:
            to_safe_csv(queue, out)
    overdue = int(queue["overdue"].sum())
    written = f"; wrote {out}" if out is not None else ""
    print(f"tsinvest queue: {len(queue)} open ticket(s) at {stamp.strftime('%Y-%m-%dT%H:%M:%SZ')}, "
          f"{overdue} overdue{written}")
    return 0
