"""``tsinvest validate PATH``: check input files against the canonical tables.

PATH is a file (the table is its file stem, or ``--table``) or a directory
(every ``<table>.<ext>`` present is checked; every other file is listed as
``skip NAME: reason``). Exit 0 with one line per table when everything is
valid; exit 1 with every problem listed otherwise. Values the loader changed
without rejecting rows (control characters made visible) are listed as
``note`` lines. Listings name files, columns, rows and reasons, never cell
values. A ``.sql`` or ``.duckdb`` file is data: it is read in a sandbox (one
SELECT, no file or network access; see :mod:`tsinvest.loading.sql`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tsinvest.commands._options import add_input_options, load_options
from tsinvest.exceptions import ParameterError, SchemaValidationError
from tsinvest.schemas import TABLE_NAMES

__all__ = ["NAME", "HELP", "configure", "run"]

NAME = "validate"
HELP = "Check data files against the canonical tables and list every problem."


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``validate`` arguments."""
    parser.add_argument("path", metavar="PATH", help="a table file (e.g. events.csv) or a folder of them")
    parser.add_argument("--table", choices=TABLE_NAMES, help="canonical table of a file whose name is not the table")
    add_input_options(parser)


def _targets(path: Path, table: str | None) -> list[tuple[str, Path]]:
    from tsinvest.loading import scan_table_files, table_for_file

    if path.is_dir():
        scanned = scan_table_files(path)
        for item in scanned.skipped:
            print(f"skip {item.name}: {item.reason}")
        files = scanned.found
        if table is not None:
            files = {name: file for name, file in files.items() if name == table}
        if not files:
            wanted = f"no '{table}' file" if table else "no table files"
            raise ParameterError(
                f"'{path}' holds {wanted}; expected names like events.csv (tables: {', '.join(TABLE_NAMES)})"
            )
        return list(files.items())
    if not path.exists():
        raise ParameterError(f"'{path}' does not exist")
    return [(table_for_file(path, table), path)]


def run(args: argparse.Namespace) -> int:
    """Validate every target; print a summary line or the problem listing for each."""
    from tsinvest.loading import load_report, load_table

    failures = 0
    for table, path in _targets(Path(args.path), args.table):
        try:
            frame = load_table(path, table, **load_options(args))
        except SchemaValidationError as error:
            failures += 1
            print(f"FAIL {error}")
            continue
        print(f"ok   {path}: '{table}' valid, {len(frame)} rows, {frame.shape[1]} columns")
        for notice in load_report(frame).notices:
            print(f"note {path}: {notice}")
    if failures:
        print(f"{failures} table(s) failed validation")
    return 1 if failures else 0
