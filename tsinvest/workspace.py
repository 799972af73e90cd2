"""An embedded DuckDB workspace over a folder of canonical tables.

Analysts already think in SQL. :class:`Workspace` gives them the canonical
tables of a data folder as DuckDB tables, so joins, windows and aggregates run
in DuckDB (fast on one machine, spills to disk, and the same SQL can later run
on a distributed engine) instead of in pandas loops.

How tables are registered
-------------------------
* Files smaller than ``in_memory_below`` bytes, and every JSONL or Excel file,
  go through :func:`tsinvest.loading.load_table`: they are validated against the
  canonical schema and registered as DuckDB views over the validated frame.
* Larger CSV and Parquet files are *queried in place*: a DuckDB view reads the
  file on every query, with ids read as VARCHAR (exact, leading zeros kept) and
  time columns converted to TIMESTAMPTZ in UTC with the loaders' rules (offsets
  honoured, naive times need ``timezone=``, epoch numbers need ``epoch_unit=``;
  otherwise a query fails with a message naming the column, never a silent
  shift). Glob characters (``?``, ``*``, ``[``) in folder or file names are
  escaped, so only that file is read. Nothing is loaded into pandas. Run
  ``tsinvest validate`` on such files before trusting them: the view converts
  but does not run the full row-level validation.

What the workspace's DuckDB may touch
-------------------------------------
The connection reads only the in-place files above (and spills to
``temp_directory``): external access is switched off otherwise, extensions are
neither downloaded nor autoloaded, and the configuration is locked. A
``database=`` file from someone else is therefore data: a view stored in it
cannot read ``/etc/passwd`` or write files. Query other files by loading them
with :func:`tsinvest.loading.load_table` and :meth:`Workspace.register`.

Results of the graph and trend functions can be registered back with
:meth:`Workspace.register` and joined to the raw tables in SQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from tsinvest.exceptions import ParameterError, SchemaValidationError
from tsinvest.loading import load_table, scan_table_files
from tsinvest.loading.loaders import warn_skipped
from tsinvest.loading.readers import duckdb_reader, escape_glob, file_format
from tsinvest.loading.sql import quote_identifier, quote_literal
from tsinvest.loading.validation import missing_column_problems
from tsinvest.schemas import TABLES, TIMESTAMP_DTYPE, table_spec

__all__ = ["Workspace", "IN_MEMORY_BELOW"]

#: Default size from which CSV/TSV/Parquet files are queried in place instead of loaded.
IN_MEMORY_BELOW = 64 * 1024 * 1024
# Same rules as tsinvest.loading.timestamps: an offset only counts after a clock time.
_OFFSET_PATTERN = r"(?:\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*[+-]\d{2}(?::?\d{2})?|\d\s*[Zz])$"
_NUMBER_PATTERN = r"^[+-]?\d+(?:\.\d+)?$"


def _queried_in_place(path: Path) -> bool:
    """Uncompressed delimited text and Parquet files can be views on the file (see ``loading.readers.READERS``)."""
    form, compression = file_format(path)
    return form is not None and form.kind in ("delimited", "parquet") and compression is None


def _confined_connection(
    database: str, readable: Iterable[Path], memory_limit: str | None, temp_directory: str | None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that reads only the workspace's own files.

    No extension downloads or autoloading; external access is switched off
    except for the in-place files (each allowed as written and glob-escaped)
    and the spill folder, and the configuration is locked, so a view stored
    in ``database`` cannot read other local files.
    """
    connection = duckdb.connect(
        database, config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    try:
        connection.execute("SET TimeZone = 'UTC'")
        if memory_limit:
            connection.execute(f"SET memory_limit = {quote_literal(memory_limit)}")
        allowed_paths = sorted({text for path in readable for text in (str(path), escape_glob(str(path)))})
        if allowed_paths:
            connection.execute("SET allowed_paths = ?", [allowed_paths])
        if temp_directory:
            connection.execute(f"SET temp_directory = {quote_literal(str(temp_directory))}")
            connection.execute("SET allowed_directories = ?", [[str(Path(temp_directory).resolve()) + os.sep]])
        connection.execute("SET enable_external_access = false")
        connection.execute("SET lock_configuration = true")
    except BaseException:
        connection.close()
        raise
    return connection


def _utc_expression(
    quoted: str, kind: str, *, column: str, source: str, timezone: str | None, epoch_unit: str | None
) -> str:
    """SQL turning one time column into TIMESTAMPTZ with the loaders' rules.

    Offsets are honoured, naive times use ``timezone`` (never a silent UTC),
    epoch numbers need ``epoch_unit``; otherwise the query fails with a clear
    message naming the column and option (never a value).
    """
    naive_error = quote_literal(
        f"{source}: column '{column}' has timestamps without a UTC offset; pass timezone= (e.g. 'Europe/Berlin')"
    )
    epoch_error = quote_literal(f"{source}: column '{column}' holds epoch numbers; pass epoch_unit='s' or 'ms'")
    zone = quote_literal(timezone) if timezone else None

    def epoch(number: str) -> str:
        if epoch_unit == "s":
            return f"to_timestamp(CAST({number} AS DOUBLE))"
        if epoch_unit == "ms":
            return f"CAST(epoch_ms(CAST({number} AS BIGINT)) AS TIMESTAMPTZ)"
        if epoch_unit == "excel" and zone:
            days = f"to_microseconds(CAST(round(CAST({number} AS DOUBLE) * 86400000000) AS BIGINT))"
            return f"timezone({zone}, TIMESTAMP '1899-12-30 00:00:00' + {days})"
        if epoch_unit == "excel":
            return f"error({naive_error})"
        return f"error({epoch_error})"

    if kind.startswith("TIMESTAMP WITH TIME ZONE"):
        return quoted
    if kind.startswith(("TIMESTAMP", "DATE")):
        if zone:
            return f"timezone({zone}, CAST({quoted} AS TIMESTAMP))"
        return f"CASE WHEN {quoted} IS NULL THEN NULL ELSE error({naive_error}) END"
    if kind in ("BIGINT", "INTEGER", "HUGEINT", "DOUBLE", "FLOAT", "UBIGINT", "SMALLINT") or kind.startswith("DECIMAL"):
        return f"CASE WHEN {quoted} IS NULL THEN NULL ELSE {epoch(quoted)} END"
    text = f"trim(CAST({quoted} AS VARCHAR))"
    naive = f"timezone({zone}, CAST({text} AS TIMESTAMP))" if zone else f"error({naive_error})"
    return (
        f"CASE WHEN {quoted} IS NULL OR {text} = '' THEN NULL "
        f"WHEN regexp_matches({text}, {quote_literal(_OFFSET_PATTERN)}) THEN CAST({text} AS TIMESTAMPTZ) "
        f"WHEN regexp_matches({text}, {quote_literal(_NUMBER_PATTERN)}) THEN {epoch(text)} "
        f"ELSE {naive} END"
    )


class Workspace:
    """DuckDB database holding the canonical tables of a data folder.

    Parameters
    ----------
    data_dir : path, optional
        Folder with ``<table>.<ext>`` files (see :func:`tsinvest.loading.load_dir`).
    database : str
        DuckDB database file, or ``":memory:"`` (default). A file keeps
        registered results between sessions.
    in_memory_below : int
        Files smaller than this many bytes (default :data:`IN_MEMORY_BELOW`,
        64 MiB) are validated and loaded; larger CSV, TSV and Parquet files are
        queried in place.
    memory_limit, temp_directory : str, optional
        DuckDB settings: past ``memory_limit`` DuckDB spills to ``temp_directory``.
    **load_options
        ``timezone``, ``epoch_unit``, ``mapping``: passed to
        :func:`tsinvest.loading.load_table`, and applied by in-place views too;
        ``on_error`` applies to loaded files (in-place views do not check rows).

    Examples
    --------
    >>> import pandas as pd
    >>> ws = Workspace()
    >>> ws.register("flagged", pd.DataFrame({"account_id": ["007", "7276431715937856976"]}))
    >>> ws.sql("SELECT account_id FROM flagged ORDER BY account_id")["account_id"].tolist()
    ['007', '7276431715937856976']
    >>> ws.tables()
    ['flagged']
    """

    def __init__(
        self,
        data_dir: str | os.PathLike | None = None,
        *,
        database: str = ":memory:",
        in_memory_below: int = IN_MEMORY_BELOW,
        memory_limit: str | None = None,
        temp_directory: str | None = None,
        **load_options: Any,
    ) -> None:
        if in_memory_below < 0:
            raise ParameterError("in_memory_below must be a number of bytes >= 0")
        unknown = sorted(set(load_options) - {"timezone", "epoch_unit", "mapping", "on_error"})
        if unknown:
            raise ParameterError(
                f"Workspace got unknown option(s) {', '.join(unknown)}; use timezone, epoch_unit, mapping or on_error"
            )
        self._frames: dict[str, pd.DataFrame] = {}
        self.sources: dict[str, str] = {}
        files = {}
        if data_dir is not None:
            scanned = scan_table_files(data_dir)
            warn_skipped(scanned)
            files = scanned.found
        in_place = {
            table: path.resolve()
            for table, path in files.items()
            if _queried_in_place(path) and path.stat().st_size >= in_memory_below
        }
        self.connection = _confined_connection(database, in_place.values(), memory_limit, temp_directory)
        for table, path in sorted(files.items()):
            if table in in_place:
                view_options = {key: value for key, value in load_options.items() if key != "on_error"}
                self._register_file_view(table, in_place[table], **view_options)
            else:
                self.register(table, load_table(path, table, **load_options))
            self.sources[table] = str(path)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the DuckDB connection."""
        self.connection.close()

    def _register_file_view(
        self,
        table: str,
        path: Path,
        *,
        timezone: str | None = None,
        epoch_unit: str | None = None,
        mapping: Mapping[str, str] | str | Path | None = None,
    ) -> None:
        from tsinvest.loading import resolve_mapping
        from tsinvest.loading.timestamps import check_timezone

        check_timezone(timezone)
        spec = table_spec(table)
        renames = resolve_mapping(mapping, table=table)
        # DuckDB expands ? * [ in file names as globs: escape them so only this file is read.
        reader = duckdb_reader(path)
        described = self.connection.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
        present = [(row[0], renames.get(row[0], row[0]), str(row[1]).upper()) for row in described]
        names = [name for _, name, _ in present]
        missing = missing_column_problems(names, spec)
        if missing:
            raise SchemaValidationError(path.name, table, missing)
        selected = []
        for original, column, kind in present:
            quoted = quote_identifier(original)
            alias = quote_identifier(column)
            if column in spec.time_columns:
                expression = _utc_expression(
                    quoted, kind, column=column, source=path.name, timezone=timezone, epoch_unit=epoch_unit
                )
                selected.append(f"{expression} AS {alias}")
            elif column in spec.integer_columns:
                selected.append(f"CAST({quoted} AS BIGINT) AS {alias}")
            elif column in spec.string_columns:
                selected.append(f"CAST({quoted} AS VARCHAR) AS {alias}")
            else:
                selected.append(f"{quoted} AS {alias}")
        self.connection.execute(
            f"CREATE OR REPLACE VIEW {quote_identifier(table)} AS SELECT {', '.join(selected)} FROM {reader}"
        )

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """Make a DataFrame queryable as table ``name`` (replacing one of that name).

        Use it to bring results back into SQL: flagged clusters, edges, spikes.
        """
        if not name.isidentifier():
            raise ParameterError(
                f"table name must be a plain identifier (letters, digits, _), got a name of length {len(name)}"
            )
        self.connection.register(name, frame)
        self._frames[name] = frame

    def tables(self) -> list[str]:
        """Names of every table and view in the workspace, sorted."""
        rows = self.connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name"
        ).fetchall()
        return sorted({row[0] for row in rows} | set(self._frames))

    def sql(self, query: str, params: list | dict | None = None) -> pd.DataFrame:
        """Run SQL and return a DataFrame with canonical dtypes.

        VARCHAR columns come back as pandas ``string`` and TIMESTAMPTZ columns
        as UTC timestamps, the same types the loaders return, so ids stay
        byte-identical between SQL and pandas.
        """
        relation = self.connection.sql(query, params=params)
        if relation is None:
            return pd.DataFrame()
        frame = relation.df()
        for column, column_type in zip(relation.columns, relation.types, strict=True):
            kind = str(column_type).upper()
            if kind == "VARCHAR":
                frame[column] = frame[column].astype("string")
            elif kind.startswith("TIMESTAMP WITH TIME ZONE"):
                frame[column] = frame[column].astype(TIMESTAMP_DTYPE)
        return frame

    def table(self, name: str) -> pd.DataFrame:
        """The whole table ``name`` as a DataFrame."""
        if name not in self.tables():
            known = ", ".join(self.tables()) or "none"
            raise ParameterError(f"no table '{name}' in this workspace; tables: {known}")
        if name in self._frames:
            return self._frames[name]
        return self.sql(f"SELECT * FROM {quote_identifier(name)}")

    def canonical_tables(self) -> dict[str, pd.DataFrame]:
        """Every canonical table present, as DataFrames (loads in-place views)."""
        return {name: self.table(name) for name in TABLES if name in self.tables()}
