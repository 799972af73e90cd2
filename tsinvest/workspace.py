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
  time columns cast to TIMESTAMPTZ in UTC. Nothing is loaded into pandas. Run
  ``tsinvest validate`` on such files before trusting them: the view casts but
  does not run the full row-level validation.

Results of the graph and trend functions can be registered back with
:meth:`Workspace.register` and joined to the raw tables in SQL.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

from tsinvest.exceptions import ParameterError, SchemaValidationError
from tsinvest.loading import find_table_files, load_table
from tsinvest.schemas import TABLES, TIMESTAMP_DTYPE, table_spec

__all__ = ["Workspace"]

_IN_PLACE_SUFFIXES = {".csv", ".tsv", ".parquet"}


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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
        Files smaller than this many bytes are validated and loaded; larger CSV
        and Parquet files are queried in place.
    memory_limit, temp_directory : str, optional
        DuckDB settings: past ``memory_limit`` DuckDB spills to ``temp_directory``.
    **load_options
        Passed to :func:`tsinvest.loading.load_table` (``timezone``,
        ``epoch_unit``, ``mapping``).

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
        in_memory_below: int = 64 * 1024 * 1024,
        memory_limit: str | None = None,
        temp_directory: str | None = None,
        **load_options,
    ):
        self.connection = duckdb.connect(database)
        self.connection.execute("SET TimeZone = 'UTC'")
        if memory_limit:
            self.connection.execute(f"SET memory_limit = {_quote_literal(memory_limit)}")
        if temp_directory:
            self.connection.execute(f"SET temp_directory = {_quote_literal(str(temp_directory))}")
        self._frames: dict[str, pd.DataFrame] = {}
        self.sources: dict[str, str] = {}
        if data_dir is not None:
            for table, path in sorted(find_table_files(data_dir).items()):
                if path.suffix.lower() in _IN_PLACE_SUFFIXES and path.stat().st_size >= in_memory_below:
                    self._register_file_view(table, path)
                else:
                    self.register(table, load_table(path, table, **load_options))
                self.sources[table] = str(path)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Close the DuckDB connection."""
        self.connection.close()

    def _register_file_view(self, table: str, path: Path) -> None:
        spec = table_spec(table)
        literal = _quote_literal(str(path))
        if path.suffix.lower() == ".parquet":
            reader = f"read_parquet({literal})"
        else:
            delimiter = "\\t" if path.suffix.lower() == ".tsv" else ","
            reader = f"read_csv({literal}, all_varchar = true, header = true, delim = '{delimiter}')"
        present = [row[0] for row in self.connection.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()]
        missing = [column for column in spec.required if column not in present]
        if missing:
            raise SchemaValidationError(
                path.name,
                table,
                [_missing_column_problem(column) for column in missing],
            )
        selected = []
        for column in present:
            quoted = _quote_identifier(column)
            if column in spec.time_columns:
                selected.append(f"CAST({quoted} AS TIMESTAMPTZ) AS {quoted}")
            elif column in spec.integer_columns:
                selected.append(f"CAST({quoted} AS BIGINT) AS {quoted}")
            elif column in spec.string_columns:
                selected.append(f"CAST({quoted} AS VARCHAR) AS {quoted}")
            else:
                selected.append(quoted)
        self.connection.execute(
            f"CREATE OR REPLACE VIEW {_quote_identifier(table)} AS SELECT {', '.join(selected)} FROM {reader}"
        )

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """Make a DataFrame queryable as table ``name`` (replacing one of that name).

        Use it to bring results back into SQL: flagged clusters, edges, spikes.
        """
        if not name.isidentifier():
            raise ParameterError(f"table name must be a plain identifier (letters, digits, _), got a name of length {len(name)}")
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
        for column, column_type in zip(relation.columns, relation.types):
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
        return self.sql(f"SELECT * FROM {_quote_identifier(name)}")

    def canonical_tables(self) -> dict[str, pd.DataFrame]:
        """Every canonical table present, as DataFrames (loads in-place views)."""
        return {name: self.table(name) for name in TABLES if name in self.tables()}


def _missing_column_problem(column: str):
    from tsinvest.exceptions import Problem

    return Problem(column=column, reason="required column is missing")
