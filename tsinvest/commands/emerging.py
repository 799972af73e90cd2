"""``tsinvest emerging TABLE_PATH --target S/E --reference S/E --out TERMS.csv``: terms taking off.

Hashtags (or words, or the values of a column such as a sound id) used in the
target window are compared with the reference window by the log-odds ratio
with an informative Dirichlet prior (see :func:`tsinvest.trends.emerging_terms`).
"""

from __future__ import annotations

import argparse

from tsinvest.commands._options import add_input_options, load_input_table
from tsinvest.schemas import TABLE_NAMES

__all__ = ["NAME", "HELP", "configure", "run"]

NAME = "emerging"
HELP = "Rank hashtags, words or sounds newly taking off in a target window against a reference window."


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``emerging`` arguments."""
    parser.add_argument("table_path", metavar="TABLE_PATH", help="a table with text, e.g. events.csv")
    parser.add_argument("--target", required=True, metavar="START/END", help="window under suspicion, end exclusive")
    parser.add_argument("--reference", required=True, metavar="START/END", help="window that defines normal")
    parser.add_argument("--out", required=True, metavar="TERMS.csv", help="CSV to write (atomically)")
    parser.add_argument("--text-col", default="text", metavar="COL", help="column parsed for terms (default: text)")
    parser.add_argument("--term-col", metavar="COL", help="take terms verbatim from this column (e.g. a sound id)")
    parser.add_argument("--kind", choices=("hashtags", "words"), default="hashtags",
                        help="what to parse (default: hashtags)")
    parser.add_argument("--time", default="ts", metavar="COL", help="time column (default: ts)")
    parser.add_argument("--actor", default="account_id", metavar="COL", help="account column (default: account_id)")
    parser.add_argument("--min-count", type=int, default=5, help="minimum uses in the target window (default: 5)")
    parser.add_argument("--min-accounts", type=int, default=3, help="minimum distinct accounts (default: 3)")
    parser.add_argument("--table", choices=TABLE_NAMES, help="canonical table of a file whose name is not the table")
    add_input_options(parser)


def run(args: argparse.Namespace) -> int:
    """Load, compare windows, write the ranked terms."""
    from tsinvest.reporting.safe_export import to_safe_csv
    from tsinvest.trends import emerging_terms

    frame = load_input_table(args.table_path, args.table, args)
    terms = emerging_terms(
        frame,
        target=args.target,
        reference=args.reference,
        text=args.text_col,
        term=args.term_col,
        kind=args.kind,
        time=args.time,
        actor=args.actor,
        min_count=args.min_count,
        min_accounts=args.min_accounts,
    )
    to_safe_csv(terms.round({"target_per_10k": 3, "reference_per_10k": 3, "log_odds": 4, "z": 3}), args.out)
    print(f"tsinvest emerging: {len(terms)} term(s), {int(terms['is_new'].sum())} new; wrote {args.out}")
    return 0
