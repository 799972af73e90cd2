"""Options shared by the sub-commands, defined once so that every command reads its input the same way.

Every command that loads tables takes the same four input options
(:func:`add_input_options`) and every command that can show progress the same
flag (:func:`add_progress_option`). What a command reports (summary lines,
tables asked for) goes to stdout; errors and progress go to stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "INPUT_OPTIONS",
    "add_input_options",
    "load_options",
    "input_options_given",
    "load_input_table",
    "add_progress_option",
    "show_progress",
]

#: The input options every table-loading command takes (their argparse ``dest`` names).
INPUT_OPTIONS = ("mapping", "timezone", "epoch_unit", "on_error")


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--mapping``, ``--timezone``, ``--epoch-unit`` and ``--on-error`` (see :func:`tsinvest.loading.load_table`).

    Examples
    --------
    >>> parser = argparse.ArgumentParser()
    >>> add_input_options(parser)
    >>> load_options(parser.parse_args(["--timezone", "Europe/Berlin"]))
    {'mapping': None, 'timezone': 'Europe/Berlin', 'epoch_unit': None, 'on_error': 'raise'}
    """
    group = parser.add_argument_group("input options (how the tables are read)")
    group.add_argument("--mapping", metavar="FILE", help="YAML file mapping export column names to canonical names")
    group.add_argument("--timezone", metavar="TZ", help="IANA zone of timestamps without offset, e.g. Europe/Berlin")
    group.add_argument("--epoch-unit", choices=("s", "ms", "excel"),
                       help="unit of numeric timestamps (excel: serial days, needs --timezone)")
    group.add_argument("--on-error", choices=("raise", "quarantine"), default="raise",
                       help="bad rows: stop with the list of problems (default), or set them aside and go on "
                            "with the clean rows (in <file>.rejected.csv; `tsinvest run`: OUT_DIR/rejected/ "
                            "unless --redact, counts in run.json)")


def load_options(args: argparse.Namespace) -> dict[str, Any]:
    """The input options as keyword arguments of the loaders (``mapping=``, ``timezone=``, ...)."""
    return {name: getattr(args, name) for name in INPUT_OPTIONS}


def input_options_given(args: argparse.Namespace) -> bool:
    """Whether any input option differs from its default (the table must then be read by the loader).

    Examples
    --------
    >>> input_options_given(argparse.Namespace(mapping=None, timezone=None, epoch_unit=None, on_error="raise"))
    False
    >>> input_options_given(argparse.Namespace(mapping=None, timezone=None, epoch_unit="ms", on_error="raise"))
    True
    """
    options = load_options(args)
    return options.pop("on_error") != "raise" or any(value is not None for value in options.values())


def load_input_table(path: str | Path, table: str | None, args: argparse.Namespace) -> pd.DataFrame:
    """Load one table file with the input options; its table is ``table`` or the file stem (``reports.csv``)."""
    from tsinvest.exceptions import ParameterError
    from tsinvest.loading import load_table, table_for_file

    file = Path(path)
    if not file.is_file():
        raise ParameterError(f"'{file}' is not a file; pass a table file such as reports.csv")
    return load_table(file, table_for_file(file, table), **load_options(args))


def add_progress_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--progress/--no-progress``: progress on stderr, by default only when stderr is a terminal.

    Examples
    --------
    >>> parser = argparse.ArgumentParser()
    >>> add_progress_option(parser)
    >>> show_progress(parser.parse_args(["--no-progress"])), show_progress(parser.parse_args(["--progress"]))
    (False, True)
    """
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="show progress on stderr (default: only when stderr is a terminal)")


def show_progress(args: argparse.Namespace) -> bool:
    """Whether to show progress: the flag when given, else whether stderr is a terminal."""
    return sys.stderr.isatty() if args.progress is None else bool(args.progress)
