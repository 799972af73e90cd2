"""The canonical tables as Spark reads them: files, folders, URIs or catalogue tables, checked on Spark.

:func:`canonical_tables` is the first step of ``detect --engine spark``: the
tables never pass through this machine's memory whole. Each one is read by
Spark, its canonical columns are checked there (one error naming every
missing column and every column with unreadable or missing values, by table
and column, with counts, never values), ids become strings and times
timestamps, and each row gets a ``_row`` number in reading order (the order
the local loader keeps, so scoped rows collected later come back in it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tsinvest.exceptions import ParameterError

__all__ = ["ROW", "canonical_tables", "folder_sources", "read_source", "parse_table_option"]

#: Column holding each row's reading position (dropped before rows reach the local stages).
ROW = "_row"

# What Spark reads natively, by file suffix (compressed CSV/JSON too).
_SPARK_FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "json",
                  ".json": "json", ".ndjson": "json"}


def parse_table_option(text: str) -> tuple[str, str]:
    """``"events=db.events"`` -> ``("events", "db.events")`` (the ``--table`` option of ``detect``).

    Examples
    --------
    >>> parse_table_option("events=s3a://bucket/events/")
    ('events', 's3a://bucket/events/')
    """
    from tsinvest.schemas import TABLE_NAMES

    name, separator, source = text.partition("=")
    if not separator or not source:
        raise ParameterError("--table takes NAME=SOURCE, e.g. events=warehouse.events or events=/data/events/")
    if name not in TABLE_NAMES:
        raise ParameterError(f"--table {name}=...: the table names are {', '.join(TABLE_NAMES)}")
    return name, source


def _format_of(source: str) -> str:
    """Spark reader for a path, by its suffix (``.gz`` skipped); Parquet for folders and URIs without one."""
    suffixes = [s.lower() for s in Path(source.rstrip("/")).suffixes]
    while suffixes and suffixes[-1] in (".gz", ".bz2", ".zst", ".snappy"):
        suffixes.pop()
    if not suffixes:
        return "parquet"
    form = _SPARK_FORMATS.get(suffixes[-1])
    if form is None:
        raise ParameterError(
            f"'{Path(source).name}': Spark reads CSV/TSV, JSON lines and Parquet; convert the table or use "
            "--engine local (which also reads Excel and DuckDB files)")
    return form


def read_source(spark: Any, source: Any) -> Any:
    """A Spark DataFrame of one table: a Spark DataFrame as it is, a path or URI, or a catalogue table name.

    CSV/TSV are read as text (ids keep leading zeros), with RFC 4180 quoting
    (doubled quotes, quoted line breaks); a folder or a URI without a suffix
    is read as Parquet. A string that is neither an existing local path nor
    a URI (``scheme://``) names a table of the session's catalogue.
    """
    from pyspark.sql import DataFrame

    if isinstance(source, DataFrame):
        return source
    if not isinstance(source, (str, os.PathLike)):
        raise ParameterError("a table source must be a Spark DataFrame, a path or URI, or a catalogue table name")
    text = os.fspath(source)
    if not (Path(text).exists() or "://" in text):
        if spark.catalog.tableExists(text):
            return spark.table(text)
        raise ParameterError(f"'{text}' is neither an existing path nor a table of the Spark session's catalogue; "
                             "check the name (database.table) or the path")
    form = _format_of(text)
    if form == "parquet":
        return spark.read.parquet(text)
    if form == "json":
        return spark.read.option("primitivesAsString", True).json(text)
    reader = (spark.read.option("header", True).option("inferSchema", False).option("escape", '"')
              .option("multiLine", True).option("mode", "FAILFAST"))
    return reader.option("sep", "\t" if form == "tsv" else ",").csv(text)


def folder_sources(folder: str | os.PathLike) -> dict[str, Path]:
    """The canonical table files of a local folder (as :func:`tsinvest.loading.find_table_files` finds them)."""
    from tsinvest.loading import find_table_files

    path = Path(folder)
    if not path.is_dir():
        raise ParameterError(f"'{path.name}' is not a folder; pass a folder of canonical tables or --table NAME=SOURCE")
    files = find_table_files(path)
    if not files:
        raise ParameterError(f"'{path.name}' holds no canonical table files (events.csv, logins.parquet, ...)")
    for file in files.values():
        _format_of(str(file))
    return files


# The local loader's visible symbols for control characters in free text
# (tsinvest.loading.validation.make_controls_visible): U+2400 + code, DEL as U+2421.
_CONTROLS = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]
_PICTURES = "".join(chr(0x2421 if code == 0x7F else 0x2400 + code) for code in _CONTROLS)
_CONTROL_PATTERN = "[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]"


def _typed(frame: Any, name: str) -> Any:
    """The local loader's values: empty text is missing, ids strings, times timestamps, controls in text visible.

    Unreadable times become null here; :func:`_problems` has counted them first.
    """
    from pyspark.sql import functions as F

    from tsinvest.schemas import TABLES

    spec = TABLES[name]
    types = dict(frame.dtypes)
    columns = []
    for column in frame.columns:
        value = F.col(f"`{column}`")
        text = types[column] == "string"
        if text:
            value = F.when(value != "", value)
        if column in spec.time_columns and not types[column].startswith("timestamp"):
            value = F.expr(f"try_cast(nullif(`{column}`, '') AS TIMESTAMP)")
        elif column in spec.id_columns:
            value = value.cast("string")
        elif text and column not in spec.integer_columns:
            value = F.translate(value, "".join(map(chr, _CONTROLS)), _PICTURES)
        columns.append(value.alias(column))
    return frame.select(*columns, F.monotonically_increasing_id().alias(ROW))


_REASONS = {
    "missing": "missing values",
    "control": "ids holding a NUL byte or another control character (binary or corrupted data)",
    "unreadable": ("values Spark cannot read as times (write ISO 8601 with an offset, e.g. 2026-03-02T10:00:00Z, "
                   "or Parquet timestamps)"),
    "naive": ("times without a UTC offset; the local loader would ask for --timezone, which the Spark engine does "
              "not take: write the offset (e.g. 2026-03-02T10:00:00Z or +02:00) or convert in a view"),
}
#: An ISO 8601 text time that ends in an offset (``Z``, ``+02:00``, ``-0500``, ``+02``).
_OFFSET_PATTERN = "([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$"


def _problems(raw: Any, name: str) -> list[str]:
    """Required columns with missing values and time columns with unreadable ones, counted in one Spark job."""
    from pyspark.sql import functions as F

    from tsinvest.schemas import TABLES

    spec = TABLES[name]
    types = dict(raw.dtypes)
    checks = []
    for column in spec.required:
        value = F.col(f"`{column}`")
        missing = (value.isNull() | (value == "")) if types[column] == "string" else value.isNull()
        checks.append(F.sum(missing.cast("long")).alias(f"missing:{column}"))
    for column in spec.id_columns:
        if types.get(column) == "string":
            corrupt = F.col(f"`{column}`").rlike(_CONTROL_PATTERN)
            checks.append(F.sum(corrupt.cast("long")).alias(f"control:{column}"))
    for column in spec.time_columns:
        if column in types and not types[column].startswith("timestamp"):
            value = F.col(f"`{column}`")
            readable = F.expr(f"try_cast(`{column}` AS TIMESTAMP)").isNotNull()
            unreadable = (value != "") & ~readable
            checks.append(F.sum(unreadable.cast("long")).alias(f"unreadable:{column}"))
            naive = readable & ~F.trim(value).rlike(_OFFSET_PATTERN)
            checks.append(F.sum(naive.cast("long")).alias(f"naive:{column}"))
    counts = raw.agg(*checks).collect()[0].asDict()
    problems = []
    for key, count in counts.items():
        if count:
            reason, column = key.split(":", 1)
            problems.append(f"{name}: column '{column}' has {count:,} " + _REASONS[reason])
    return problems


def canonical_tables(spark: Any, sources: Mapping[str, Any]) -> dict[str, Any]:
    """Read and check canonical tables on Spark; return them typed, with a ``_row`` reading position.

    Parameters
    ----------
    spark : SparkSession
    sources : mapping of table name to source
        Each source as :func:`read_source` takes it (Spark DataFrame, path
        or URI, catalogue table name).

    Returns
    -------
    dict of str to pyspark.sql.DataFrame
        In canonical table order; id columns as strings, time columns as
        timestamps, other columns as read, plus ``_row``.

    Raises
    ------
    ParameterError
        Listing every problem of every table at once: unknown table names,
        missing canonical columns, required columns with missing values,
        times Spark cannot read or that lack an offset (counts, never values).

    Notes
    -----
    One aggregation job per table (``O(N)``, nothing collected but counts).
    Text times without an offset are refused, as the local loader refuses
    them without ``--timezone`` (which the Spark engine does not take).
    """
    from tsinvest.schemas import TABLE_NAMES, TABLES

    unknown = sorted(set(sources) - set(TABLE_NAMES))
    if unknown:
        raise ParameterError(f"unknown table name(s) {', '.join(unknown)}; the tables are {', '.join(TABLE_NAMES)}")
    raw = {name: read_source(spark, sources[name]) for name in TABLE_NAMES if name in sources}
    problems = [f"{name}: column '{column}' is missing (columns found: {', '.join(frame.columns)})"
                for name, frame in raw.items() for column in TABLES[name].required if column not in frame.columns]
    if problems:
        raise ParameterError("; ".join(problems) + "; rename the columns in the source (a view or a SELECT)")
    problems = [problem for name, frame in raw.items() for problem in _problems(frame, name)]
    if problems:
        raise ParameterError("; ".join(problems) + "; fix the rows in the source or use --engine local "
                             "with --on-error quarantine")
    return {name: _typed(frame, name) for name, frame in raw.items()}
