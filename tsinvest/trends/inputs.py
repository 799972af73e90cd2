"""Inputs of the trends functions: tables as DuckDB relations, UTC bounds, SQL quoting, frequencies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import MappingProxyType
from typing import Any

import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.loading.sql import quote_identifier
from tsinvest.loading.timestamps import utc_bound
from tsinvest.schemas import STRING_DTYPE, TIMESTAMP_DTYPE

__all__: list[str] = []

FREQ_SQL = MappingProxyType(
    {"H": ("hour", "INTERVAL 1 HOUR"), "D": ("day", "INTERVAL 1 DAY"), "W": ("week", "INTERVAL 7 DAY")}
)
FREQ_TIMEDELTA = MappingProxyType({"H": pd.Timedelta(hours=1), "D": pd.Timedelta(days=1), "W": pd.Timedelta(days=7)})


def sql_timestamp(value: pd.Timestamp) -> str:
    """A naive-UTC TIMESTAMP literal built from a parsed Timestamp, never from raw user text."""
    return f"TIMESTAMP '{value.tz_convert('UTC').tz_localize(None).isoformat(sep=' ')}'"


def parse_window(value: Any, *, name: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Turn ``"START/END"`` or a ``(start, end)`` pair into UTC bounds, end exclusive."""
    if isinstance(value, str):
        parts = value.split("/")
        if len(parts) != 2:
            raise ParameterError(f"{name} must look like START/END, e.g. 2026-03-20/2026-03-30")
        value = tuple(parts)
    try:
        start, end = value
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a (start, end) pair or a 'START/END' string") from None
    start_ts, end_ts = utc_bound(start, name=f"{name} start"), utc_bound(end, name=f"{name} end")
    if start_ts is None or end_ts is None or not start_ts < end_ts:
        raise ParameterError(f"{name}: start must be before end (end is exclusive)")
    return start_ts, end_ts


def as_columns(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def to_relation(data: Any, connection: Any = None) -> tuple[Any, dict[str, str]]:
    """Return ``(relation, column_types)`` for a DataFrame, a DuckDB relation or a table name.

    A DataFrame is scanned through ``connection``, which the caller must keep
    open while it uses the relation: DuckDB 1.1 relations do not keep their
    connection alive, so a throw-away ``duckdb.connect()`` here would be closed
    by the garbage collector before the query runs.
    """
    import duckdb

    if isinstance(data, duckdb.DuckDBPyRelation):
        relation = data
    elif isinstance(data, pd.DataFrame):
        if connection is None:
            raise ParameterError("internal: to_relation needs the caller's connection for a DataFrame")
        relation = connection.from_df(data)
    elif isinstance(data, str):
        if connection is None:
            raise ParameterError("a table name needs connection=; or pass the DataFrame / DuckDB relation itself")
        relation = connection.table(data)
    else:
        raise ParameterError("data must be a pandas DataFrame, a DuckDB relation, or a table name with connection=")
    types = {column: str(kind).upper() for column, kind in zip(relation.columns, relation.types, strict=True)}
    return relation, types


def utc_expression(column: str, types: dict[str, str]) -> str:
    """SQL for a time column as naive UTC, so truncation never depends on the session time zone."""
    kind = types[column]
    if kind.startswith("TIMESTAMP WITH TIME ZONE") or kind == "TIMESTAMPTZ":
        return f"timezone('UTC', {quote_identifier(column)})"
    raise ParameterError(
        f"column {column!r} must hold time-zone-aware UTC timestamps; load the table with "
        "tsinvest.loading.load_table or convert it with pd.to_datetime(..., utc=True)"
    )


def utc_from_duckdb(values: pd.Series) -> pd.Series:
    """Naive-UTC timestamps from DuckDB as tz-aware UTC nanoseconds."""
    values = pd.to_datetime(values)
    if values.dt.tz is None:
        values = values.dt.tz_localize("UTC")
    return values.astype(TIMESTAMP_DTYPE)


def as_string_columns(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    for column in columns:
        kind = frame[column].dtype
        if pd.api.types.is_object_dtype(kind) or pd.api.types.is_string_dtype(kind):
            frame[column] = frame[column].astype(STRING_DTYPE)
    return frame
