"""Validated loaders: one call returns a canonical, typed, validated table.

:func:`load_table` reads any supported source (see :mod:`tsinvest.loading.readers`),
renames columns with ``mapping=``, converts types (ids and text to pandas
``"string"``, times to ``datetime64[ns, UTC]``, counts to ``Int64``) and
validates the result with a pandera schema built from :mod:`tsinvest.schemas`.

Nothing is lost silently. With ``on_error="raise"`` (default) a bad input
raises one :class:`~tsinvest.exceptions.SchemaValidationError` listing every
problem (column, reason, file rows, count). With ``on_error="quarantine"`` the
valid rows are returned and the rejected rows are written, as read, with
``_row`` (file row) and ``_reasons`` columns to a side file
(``<file>.rejected.csv`` next to the input, or ``quarantine_path=``); the
frame's ``attrs`` record the counts (see :func:`load_report`) and a
:class:`RowsRejectedWarning` prints a one-line summary. File-level problems
(unreadable file, missing required columns, duplicate header names) always
raise, because no row can be trusted then.

Examples
--------
>>> import pandas as pd
>>> raw = pd.DataFrame({"account_id": ["7276431715937856976", "00123"],
...                     "ts": ["2026-03-02T10:00:00+02:00", "2026-03-02T09:00:00Z"]})
>>> logins = load_logins(raw)
>>> logins["account_id"].tolist(), str(logins["ts"].dtype)
(['7276431715937856976', '00123'], 'datetime64[ns, UTC]')
"""

from __future__ import annotations

import logging
import os
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from tsinvest.exceptions import ParameterError, Problem, SchemaValidationError
from tsinvest.loading.issues import RowIssue
from tsinvest.loading.mapping import apply_mapping, resolve_mapping
from tsinvest.loading.readers import (
    COMPRESSIONS,
    FILE_EXTENSIONS,
    READERS,
    RawTable,
    is_sql_query,
    read_source,
    split_suffixes,
    unsupported_reason,
)
from tsinvest.loading.timestamps import EPOCH_UNITS, check_timezone
from tsinvest.loading.validation import (
    Notice,
    coerce_columns,
    header_looks_like_data,
    missing_column_problems,
    problems_from_issues,
    schema_issues,
)
from tsinvest.schemas import TABLE_NAMES, TableSpec, table_spec

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "OnError",
    "LoadReport",
    "RowsRejectedWarning",
    "ValuesCleanedWarning",
    "load_table",
    "load_accounts",
    "load_events",
    "load_reports",
    "load_logins",
    "load_enforcements",
    "load_escalations",
    "load_dir",
    "find_table_files",
    "scan_table_files",
    "warn_skipped",
    "TableFiles",
    "SkippedFile",
    "FilesSkippedWarning",
    "table_for_file",
    "load_report",
    "rejected_path_for",
]

logger = logging.getLogger(__name__)

OnError = Literal["raise", "quarantine"]
_ATTR = "tsinvest_"


class RowsRejectedWarning(UserWarning):
    """Some rows were quarantined by ``on_error="quarantine"`` (the message says how many and where)."""


class ValuesCleanedWarning(UserWarning):
    """Some values were changed but their rows kept (e.g. control characters made visible); never shows values."""


@dataclass(frozen=True)
class LoadReport:
    """What a load did: rows read, loaded, rejected, and where the rejects went."""

    source: str
    table: str
    rows_read: int
    rows_loaded: int
    rejected: int
    rejected_path: str | None
    notices: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line for logs and the CLI."""
        text = f"{self.source}: '{self.table}' {self.rows_loaded} of {self.rows_read} rows loaded"
        if self.rejected:
            text += f", {self.rejected} rejected -> {self.rejected_path}"
        if self.notices:
            text += f"; {'; '.join(self.notices)}"
        return text


def load_report(frame: pd.DataFrame) -> LoadReport:
    """Return the :class:`LoadReport` stored in a loaded frame's ``attrs``.

    Examples
    --------
    >>> frame = load_logins(pd.DataFrame({"account_id": ["1"], "ts": ["2026-03-02T00:00:00Z"]}))
    >>> load_report(frame).summary()
    "<DataFrame>: 'logins' 1 of 1 rows loaded"
    """
    attrs = frame.attrs
    if f"{_ATTR}table" not in attrs:
        raise ParameterError("this frame was not produced by a tsinvest loader (no load report in .attrs)")
    return LoadReport(
        source=attrs[f"{_ATTR}source"],
        table=attrs[f"{_ATTR}table"],
        rows_read=attrs[f"{_ATTR}rows_read"],
        rows_loaded=attrs[f"{_ATTR}rows_loaded"],
        rejected=attrs[f"{_ATTR}rejected"],
        rejected_path=attrs[f"{_ATTR}rejected_path"],
        notices=tuple(attrs.get(f"{_ATTR}notices", ())),
    )


def rejected_path_for(path: str | os.PathLike[str]) -> Path:
    """Default quarantine file of an input file: ``<file>.rejected.csv`` beside it.

    Examples
    --------
    >>> rejected_path_for("data/events.jsonl").as_posix()
    'data/events.jsonl.rejected.csv'
    """
    path = Path(path)
    return path.with_name(path.name + ".rejected.csv")


def _check_options(on_error: str, timezone: str | None, epoch_unit: str | None) -> None:
    if on_error not in ("raise", "quarantine"):
        raise ParameterError(f"on_error={on_error!r} is not supported; use 'raise' or 'quarantine'")
    if epoch_unit is not None and epoch_unit not in EPOCH_UNITS:
        raise ParameterError(f"epoch_unit={epoch_unit!r} is not supported; use 's', 'ms', 'excel' or None")
    check_timezone(timezone)


def _sort_key(problem: Problem, spec: TableSpec) -> tuple[int, str, tuple[int, ...], str]:
    if problem.column is None:
        rank = -1
    elif problem.column in spec.columns:
        rank = spec.columns.index(problem.column)
    else:
        rank = len(spec.columns)
    return (rank, problem.column or "", problem.rows[:1] or (0,), problem.reason)


def _write_rejected(frame: pd.DataFrame, target: Path) -> None:
    """Write the quarantine side file formula-safe, atomically, readable by its owner only (0600).

    Rejected rows are adversary content as read: a cell such as ``=HYPERLINK(...)``
    must not become a live formula when the file is opened in a spreadsheet.
    """
    from tsinvest.reporting.safe_export import to_safe_csv

    # Every raw column is text as read; naming them all as ids keeps typed ids exact too.
    to_safe_csv(frame, target, id_columns=[c for c in frame.columns if c not in ("_row", "_reasons")])
    os.chmod(target, 0o600)


def _quarantine_frame(raw: RawTable, rejected: np.ndarray, reasons: list[str]) -> pd.DataFrame:
    rows = raw.frame.iloc[rejected].copy()
    rows.columns = raw.names
    rows = rows.loc[:, ~pd.Index(raw.names).duplicated()]
    rows.insert(0, "_reasons", reasons)
    rows.insert(0, "_row", raw.row_numbers[rejected])
    return rows.reset_index(drop=True)


def _validated(
    raw: RawTable,
    spec: TableSpec,
    *,
    mapping: dict[str, str],
    timezone: str | None,
    epoch_unit: str | None,
    on_error: OnError,
    quarantine_path: Path | None,
) -> pd.DataFrame:
    names = apply_mapping(raw.names, mapping)
    counts = Counter(names)
    fatal = _header_problems(raw.names, names, counts) + missing_column_problems(names, spec)
    unique = [i for i, name in enumerate(names) if counts[name] == 1]
    named = raw.frame[unique] if unique else pd.DataFrame(index=raw.frame.index)
    named.columns = [names[i] for i in unique]

    notices: list[Notice] = []
    frame, issues = coerce_columns(named, spec, timezone=timezone, epoch_unit=epoch_unit, notices=notices)
    issues = _reading_issues(raw, names, spec) + issues
    flagged: dict[str, set[int]] = {}
    for issue in issues:
        if issue.column is not None:
            flagged.setdefault(issue.column, set()).update(int(p) for p in issue.positions)
    issues += schema_issues(frame, spec, already_flagged=flagged)

    row_problems = problems_from_issues(issues, raw.row_numbers)
    problems = sorted(fatal, key=lambda p: _sort_key(p, spec)) + sorted(row_problems, key=lambda p: _sort_key(p, spec))
    if fatal or (row_problems and on_error == "raise"):
        raise SchemaValidationError(raw.source, spec.name, problems)

    rows_read = len(frame)
    frame, rejected, rejected_path = _set_aside(frame, raw, issues, quarantine_path)
    described = tuple(notice.describe() for notice in notices)
    report = LoadReport(raw.source, spec.name, rows_read, len(frame), rejected, rejected_path, described)
    frame.attrs.update({f"{_ATTR}{key}": value for key, value in report.__dict__.items()})
    if described:
        warnings.warn(f"{raw.source}: {'; '.join(described)}", ValuesCleanedWarning, stacklevel=_outside_stacklevel())
    if report.rejected:
        warnings.warn(report.summary(), RowsRejectedWarning, stacklevel=_outside_stacklevel())
    logger.info(report.summary())
    return frame


def _header_problems(raw_names: list[str], names: list[str], counts: Counter[str]) -> list[Problem]:
    """Column names that appear more than once in the header (after mapping)."""
    if header_looks_like_data(names):  # a headerless file's "names" are values: never quote them
        return []
    problems = []
    for name, count in counts.items():
        if count > 1:
            origins = sorted({raw_names[i] for i, n in enumerate(names) if n == name} - {name})
            via = f" (after mapping {', '.join(repr(o) for o in origins)})" if origins else ""
            problems.append(
                Problem(name, f"column name appears {count} times in the header{via}; rename or drop the copies")
            )
    return problems


def _reading_issues(raw: RawTable, names: list[str], spec: TableSpec) -> list[RowIssue]:
    """The reader's row issues under the mapped column names, and JSON values that cannot be ids."""
    renamed = dict(zip(raw.names, names, strict=True))
    issues = [
        RowIssue(renamed.get(i.column, i.column) if i.column else None, i.reason, i.positions) for i in raw.issues
    ]
    for raw_name, kinds in raw.value_kinds.items():
        if renamed.get(raw_name) in spec.id_columns:
            column = renamed[raw_name]
            issues += [
                RowIssue(column, f"id is a JSON {kind}; write ids as JSON strings (or whole numbers)", positions)
                for kind, positions in sorted(kinds.items())
            ]
    return issues


def _set_aside(
    frame: pd.DataFrame, raw: RawTable, issues: list[RowIssue], quarantine_path: Path | None
) -> tuple[pd.DataFrame, int, str | None]:
    """Drop every row with an issue, writing them to the quarantine file: (kept rows, rows set aside, file)."""
    if not issues:
        return frame.reset_index(drop=True), 0, None
    rejected = np.unique(np.concatenate([np.asarray(i.positions, dtype=np.int64) for i in issues]))
    if not len(rejected):
        return frame.reset_index(drop=True), 0, None
    reasons = _row_reasons(issues, rejected, len(frame))
    if quarantine_path is not None:
        target = quarantine_path
    elif raw.path is not None:
        target = rejected_path_for(raw.path)
    else:
        raise ParameterError("on_error='quarantine' on a DataFrame or query needs quarantine_path= (a file to write)")
    _write_rejected(_quarantine_frame(raw, rejected, reasons), target)
    keep = np.ones(len(frame), dtype=bool)
    keep[rejected] = False
    return frame.loc[keep].reset_index(drop=True), len(rejected), str(target)


def _outside_stacklevel() -> int:
    """Stack level of the first caller outside this package, so warnings point at user code."""
    import sys

    level = 1
    caller: FrameType | None = sys._getframe(1)
    package = str(Path(__file__).parent)
    while caller is not None and caller.f_code.co_filename.startswith(package):
        level, caller = level + 1, caller.f_back
    return level


def _row_reasons(issues: list[RowIssue], rejected: np.ndarray, size: int) -> list[str]:
    collected: list[list[str]] = [[] for _ in range(size)]
    for issue in issues:
        label = f"{issue.column}: {issue.reason}" if issue.column else issue.reason
        for position in issue.positions:
            collected[int(position)].append(label)
    return ["; ".join(sorted(set(collected[int(p)]))) for p in rejected]


def load_table(
    source: str | Path | pd.DataFrame,
    table: str,
    *,
    mapping: Mapping[str, str] | str | Path | None = None,
    timezone: str | None = None,
    epoch_unit: Literal["s", "ms", "excel"] | None = None,
    on_error: OnError = "raise",
    quarantine_path: str | os.PathLike[str] | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> pd.DataFrame:
    """Load one canonical table from a file, a DataFrame or a SQL query, validated.

    Parameters
    ----------
    source : path, DataFrame or str
        ``.csv``, ``.tsv``, ``.jsonl``, ``.parquet``, ``.xlsx`` file; a ``.duckdb``
        database (the table named ``table`` is read) or a ``.sql`` query file; a
        DataFrame; or query text starting with SELECT/WITH/FROM.
    table : str
        Canonical table name (see :data:`tsinvest.schemas.TABLE_NAMES`).
    mapping : dict or path, optional
        ``{"export_name": "canonical_name"}`` or a YAML file with that mapping,
        optionally keyed per table.
    timezone : str, optional
        IANA zone of timestamps written without an offset; without it they are rejected.
    epoch_unit : {"s", "ms", "excel"}, optional
        Unit of numeric epoch timestamps (``"excel"``: Excel serial days, with
        ``timezone=``); without it numbers are rejected.
    on_error : {"raise", "quarantine"}
        Raise with every problem, or return the valid rows and write the rest to a side file.
    quarantine_path : path, optional
        Side file for rejected rows (default ``<file>.rejected.csv``; required for
        DataFrame and query sources in quarantine mode).
    connection : duckdb.DuckDBPyConnection, optional
        Connection to run query text or a ``.sql`` file on (default: a fresh in-memory one).

    Returns
    -------
    DataFrame
        Canonical columns first (spec order), extra columns after them; ids and
        text as ``"string"``, times as ``datetime64[ns, UTC]``, counts as ``Int64``.
        ``attrs`` holds the :class:`LoadReport` fields (see :func:`load_report`).

    Raises
    ------
    SchemaValidationError
        Listing every problem found (file, column, reason, 1-based file rows, count).
    ParameterError, UnknownTableError
        Bad options or a missing/unsupported source.

    Notes
    -----
    Missing means an empty field, JSON null or empty cell only; ``"NA"``,
    ``"null"`` and ``"None"`` are kept as text. Duplicate primary ids reject every
    copy, since none can be trusted over the others. Reading is linear in the
    input: CSV/TSV go through the pandas C parser after a C-level field-count
    scan (a regular UTF-8 file straight from its bytes, so it is never held as
    one Python string: peak memory about the file plus the frame); JSONL and
    Excel are parsed line by line (exact numbers need that); for very large
    files query them in place with DuckDB instead.

    Examples
    --------
    >>> frame = pd.DataFrame({"ticket_id": ["T1"], "channel": ["user"], "subject_account_id": ["00123"],
    ...                       "policy": ["spam"], "priority": ["P2"], "opened_at": ["2026-03-02T10:00:00Z"],
    ...                       "status": ["open"]})
    >>> load_table(frame, "escalations")["subject_account_id"].tolist()
    ['00123']
    """
    spec = table_spec(table)
    _check_options(on_error, timezone, epoch_unit)
    flat = resolve_mapping(mapping, table=table)
    is_query = isinstance(source, str) and is_sql_query(source) and not Path(source).exists()
    is_path = isinstance(source, str | Path) and not is_query
    if on_error == "quarantine" and quarantine_path is None and not is_path:
        raise ParameterError(
            "on_error='quarantine' with a DataFrame or SQL query source needs quarantine_path= for the rejected rows"
        )
    raw = read_source(source, table=table, connection=connection)
    return _validated(
        raw,
        spec,
        mapping=flat,
        timezone=timezone,
        epoch_unit=epoch_unit,
        on_error=on_error,
        quarantine_path=Path(quarantine_path) if quarantine_path is not None else None,
    )


def _helper(table: str) -> Callable[..., pd.DataFrame]:
    def load(
        source: str | Path | pd.DataFrame,
        *,
        mapping: Mapping[str, str] | str | Path | None = None,
        timezone: str | None = None,
        epoch_unit: Literal["s", "ms", "excel"] | None = None,
        on_error: OnError = "raise",
        quarantine_path: str | os.PathLike[str] | None = None,
        connection: duckdb.DuckDBPyConnection | None = None,
    ) -> pd.DataFrame:
        return load_table(
            source,
            table,
            mapping=mapping,
            timezone=timezone,
            epoch_unit=epoch_unit,
            on_error=on_error,
            quarantine_path=quarantine_path,
            connection=connection,
        )

    load.__name__ = load.__qualname__ = f"load_{table}"
    load.__doc__ = (
        f"Load the canonical '{table}' table; same options as :func:`load_table`.\n\n"
        f"Required columns: {', '.join(TABLE_NAMES and table_spec(table).required)}."
    )
    return load


load_accounts = _helper("accounts")
load_events = _helper("events")
load_reports = _helper("reports")
load_logins = _helper("logins")
load_enforcements = _helper("enforcements")
load_escalations = _helper("escalations")


def table_for_file(path: str | Path, table: str | None = None) -> str:
    """The canonical table a file holds: ``table`` if given, else the file stem (any case).

    Examples
    --------
    >>> table_for_file("exports/reports.csv"), table_for_file("Logins.csv.gz")
    ('reports', 'logins')
    >>> table_for_file("march.csv", "events")
    'events'
    """
    path = Path(path)
    name = table or split_suffixes(path)[0].lower()
    if name not in TABLE_NAMES:
        raise ParameterError(
            f"cannot tell which table '{path.name}' holds; name it after a table or pass --table "
            f"(one of: {', '.join(TABLE_NAMES)})"
        )
    return name


@dataclass(frozen=True)
class SkippedFile:
    """A file of a data folder that was not loaded, and why."""

    name: str
    reason: str
    #: True when the name looks like a canonical table (events.xls, logins.csv.zst): probably data.
    looks_like_table: bool = False


@dataclass(frozen=True)
class TableFiles:
    """What :func:`scan_table_files` found in a folder: one file per table, and every file skipped."""

    directory: Path
    found: dict[str, Path]
    skipped: tuple[SkippedFile, ...]

    def describe(self) -> list[str]:
        """One line per table found and per file skipped, for the CLI and logs."""
        lines = [f"found   {path.name} -> '{table}'" for table, path in self.found.items()]
        lines += [f"skipped {item.name}: {item.reason}" for item in self.skipped]
        return lines


class FilesSkippedWarning(UserWarning):
    """Files named like canonical tables were found in a data folder but not loaded (the message says why)."""


def _classify(path: Path) -> tuple[str | None, str | None, bool]:
    """(table, reason skipped, looks like a table) of one directory entry."""
    name = path.name
    if path.is_dir():
        return None, "a folder (sub-folders are not searched)", False
    if not path.is_file():
        return None, "not a regular file", False
    if name.startswith("."):
        return None, "hidden file", False
    if name.lower().endswith(".rejected.csv"):
        return None, "rejected rows written by an earlier load (on_error='quarantine')", False
    stem, suffix, compression = split_suffixes(path)
    table = stem.lower()
    if table not in TABLE_NAMES:
        return None, f"not named after a canonical table ({', '.join(TABLE_NAMES)})", False
    if compression is not None and compression not in COMPRESSIONS:
        return None, f".{compression} compression is not supported; decompress it first or use .gz, .bz2 or .xz", True
    form = READERS.get(suffix)
    if compression is not None and (form is None or not form.text):
        text_formats = ", ".join(name for name, other in READERS.items() if other.text)
        return None, f"only text formats ({text_formats}) are read compressed; decompress it first", True
    if form is None:
        return None, unsupported_reason(suffix), True
    if not form.table:
        return None, "SQL inputs are not loaded from a folder; pass the file itself (with --table)", True
    return table, None, True


def scan_table_files(directory: str | os.PathLike[str]) -> TableFiles:
    """Find one file per canonical table in ``directory``, and say why every other file was skipped.

    A table file is named after its table, in any case (``events.csv``,
    ``Events.CSV``), with extension csv, tsv, jsonl, json, parquet or xlsx;
    text formats may be compressed (``logins.csv.gz``, ``.bz2``, ``.xz``).

    Raises
    ------
    ParameterError
        The directory does not exist, or one table has two files.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "Events.csv").write_text("account_id,action,target_id,ts\\n")
    ...     _ = (Path(folder) / "reports.xls").write_text("")
    ...     _ = (Path(folder) / "truth.json").write_text("{}")
    ...     print("\\n".join(scan_table_files(folder).describe()))
    found   Events.csv -> 'events'
    skipped reports.xls: unsupported file type '.xls' (save it as .xlsx); supported: .csv, .tsv, ...
    skipped truth.json: not named after a canonical table (accounts, events, reports, logins, enforcements, escalations)
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ParameterError(f"'{directory}' is not a directory")
    found: dict[str, list[Path]] = {}
    skipped: list[SkippedFile] = []
    for path in sorted(directory.iterdir(), key=lambda p: p.name):
        table, reason, looks_like_table = _classify(path)
        if table is None:
            skipped.append(SkippedFile(path.name, reason or "not a table file", looks_like_table))
        else:
            found.setdefault(table, []).append(path)
    doubled = {table: paths for table, paths in found.items() if len(paths) > 1}
    if doubled:
        listing = "; ".join(f"{table}: {', '.join(p.name for p in paths)}" for table, paths in sorted(doubled.items()))
        raise ParameterError(f"'{directory}' has several files for one table ({listing}); keep exactly one per table")
    ordered = {table: found[table][0] for table in TABLE_NAMES if table in found}
    return TableFiles(directory, ordered, tuple(skipped))


def find_table_files(directory: str | os.PathLike[str]) -> dict[str, Path]:
    """The table files of a folder, ``{table: path}`` in canonical order (see :func:`scan_table_files`).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "events.csv").write_text("account_id,action,target_id,ts\\n")
    ...     sorted(find_table_files(folder))
    ['events']
    """
    return scan_table_files(directory).found


def warn_skipped(files: TableFiles) -> None:
    """Warn about files named like tables that were not loaded (other skips are only logged)."""
    for item in files.skipped:
        logger.info("%s: skipped %s: %s", files.directory, item.name, item.reason)
    suspicious = [item for item in files.skipped if item.looks_like_table]
    if suspicious:
        listing = "; ".join(f"{item.name}: {item.reason}" for item in suspicious)
        warnings.warn(
            f"{files.directory}: not loaded: {listing}", FilesSkippedWarning, stacklevel=_outside_stacklevel()
        )


def load_dir(
    directory: str | os.PathLike[str],
    *,
    mapping: Mapping[str, str] | str | Path | None = None,
    timezone: str | None = None,
    epoch_unit: Literal["s", "ms", "excel"] | None = None,
    on_error: OnError = "raise",
    quarantine_path: str | os.PathLike[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Load every canonical table found in a directory (see :func:`find_table_files`).

    Parameters
    ----------
    directory : path
        Folder holding ``<table>.<ext>`` files.
    mapping, timezone, epoch_unit, on_error
        As in :func:`load_table`; a mapping keyed per table applies per table.
    quarantine_path : path, optional
        A *directory* for the ``<file>.rejected.csv`` side files (default: next to each input).

    Returns
    -------
    dict of str to DataFrame
        In canonical table order. The first invalid table (in that order) raises
        its SchemaValidationError; ``tsinvest validate DIR`` reports them all.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "logins.csv").write_text("account_id,ts\\n00123,2026-03-02T10:00:00Z\\n")
    ...     tables = load_dir(folder)
    >>> list(tables), tables["logins"]["account_id"].tolist()
    (['logins'], ['00123'])
    """
    scanned = scan_table_files(directory)
    files = scanned.found
    if not files:
        skipped = "; ".join(f"{item.name}: {item.reason}" for item in scanned.skipped if item.looks_like_table)
        raise ParameterError(
            f"'{directory}' holds no table files; expected names like events.csv "
            f"(tables: {', '.join(TABLE_NAMES)}; extensions: {', '.join(FILE_EXTENSIONS)})"
            + (f"; skipped: {skipped}" if skipped else "")
        )
    warn_skipped(scanned)
    tables = {}
    for table, path in files.items():
        target = Path(quarantine_path) / rejected_path_for(path).name if quarantine_path is not None else None
        tables[table] = load_table(
            path,
            table,
            mapping=mapping,
            timezone=timezone,
            epoch_unit=epoch_unit,
            on_error=on_error,
            quarantine_path=target,
        )
    return tables
