"""Counts per period from any canonical table, with empty periods filled with zero.

Examples
--------
>>> import pandas as pd
>>> reports = pd.DataFrame({
...     "ts": pd.to_datetime(["2026-03-02T10:00Z", "2026-03-02T11:00Z", "2026-03-04T09:00Z"], utc=True),
...     "policy": ["spam", "spam", "hate"],
... })
>>> time_series(reports, by="policy")[["policy", "period_start", "count"]]
  policy              period_start  count
0   hate 2026-03-02 00:00:00+00:00      0
1   hate 2026-03-03 00:00:00+00:00      0
2   hate 2026-03-04 00:00:00+00:00      1
3   spam 2026-03-02 00:00:00+00:00      2
4   spam 2026-03-03 00:00:00+00:00      0
5   spam 2026-03-04 00:00:00+00:00      0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.loading.sql import quote_identifier
from tsinvest.loading.timestamps import utc_bound
from tsinvest.schemas import require_columns
from tsinvest.trends.inputs import (
    FREQ_SQL,
    as_columns,
    as_string_columns,
    sql_timestamp,
    to_relation,
    utc_expression,
    utc_from_duckdb,
)

__all__ = ["time_series", "time_series_sql", "Frequency"]

#: Period lengths: hour, day, or ISO week (weeks start on Monday, 00:00 UTC).
Frequency = Literal["H", "D", "W"]


def time_series(
    data: Any,
    *,
    time: str = "ts",
    freq: Frequency = "D",
    by: str | Sequence[str] = (),
    distinct: str | None = None,
    start: Any = None,
    end: Any = None,
    connection: Any = None,
) -> pd.DataFrame:
    """Count rows per period (and per group), filling empty periods with zero.

    Parameters
    ----------
    data : pandas.DataFrame, duckdb.DuckDBPyRelation or str
        Any table with a UTC time column (reports, events, enforcements, ...).
        A string names a table or view in ``connection``.
    time : str, default "ts"
        Time column; must be time-zone aware (it is read in UTC).
    freq : {"H", "D", "W"}, default "D"
        Period length. Weeks are ISO weeks starting Monday 00:00 UTC.
    by : str or sequence of str, default ()
        Grouping columns (``"policy"``, ``("country", "action")``, ...).
    distinct : str, optional
        Also count distinct values of this column per period (e.g. the
        actor column) into ``distinct_count``.
    start, end : str or Timestamp, optional
        Bounds of the series. ``start`` is rounded down to its period; a
        period is kept when it starts before ``end`` (exclusive). Missing
        bounds come from the data (first and last period with a row), never
        from the wall clock. Naive values are read as UTC.
    connection : duckdb.DuckDBPyConnection, optional
        Connection to run in (a private in-memory one by default).

    Returns
    -------
    pandas.DataFrame
        Columns ``*by, period_start, count`` (plus ``distinct_count``), one
        row per group and period, groups that appear in the data times every
        period between the bounds, sorted by group then period.
        ``period_start`` is tz-aware UTC.

    Notes
    -----
    The aggregation and the zero-filling grid are one DuckDB query, so a
    table of tens of millions of rows never passes through pandas. Rows
    with a missing time are ignored. Groups with a missing value are kept
    as their own group. Cost: one scan plus O(groups x periods) output.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({"ts": pd.to_datetime(["2026-03-02T00:30Z", "2026-03-02T02:10Z"], utc=True),
    ...                        "account_id": ["001", "001"]})
    >>> time_series(events, freq="H", distinct="account_id")
                   period_start  count  distinct_count
    0 2026-03-02 00:00:00+00:00      1               1
    1 2026-03-02 01:00:00+00:00      0               0
    2 2026-03-02 02:00:00+00:00      1               1
    """
    import duckdb

    from tsinvest.portable_sql import render

    groups = as_columns(by)
    # Kept in a local so the connection outlives the relation (DuckDB 1.1 does not tie them).
    private = duckdb.connect() if connection is None else connection
    relation, types = to_relation(data, private)
    require_columns(types, (time, *groups, distinct), name="the table")
    utc_expression(time, types)  # checks the column holds UTC timestamps
    # time_series_sql checks freq and the bounds: one place for both engines.
    sql = render(time_series_sql("data", time=time, freq=freq, by=groups, distinct=distinct, start=start, end=end),
                 "duckdb")
    result = relation.query("data", sql).df()
    result["period_start"] = utc_from_duckdb(result["period_start"])
    result["count"] = result["count"].astype("int64")
    if distinct:
        result["distinct_count"] = result["distinct_count"].astype("int64")
    return as_string_columns(result, groups).reset_index(drop=True)


def time_series_sql(
    table: str,
    *,
    time: str = "ts",
    freq: Frequency = "D",
    by: str | Sequence[str] = (),
    distinct: str | None = None,
    start: Any = None,
    end: Any = None,
) -> str:
    """The query of :func:`time_series`, in DuckDB's dialect with :mod:`tsinvest.portable_sql` macros.

    One source for both engines (:func:`tsinvest.spark.time_series` runs it
    through :func:`tsinvest.portable_sql.to_spark`). Parameters as
    :func:`time_series` (checked here too); the bounds are parsed, then
    written as literals; names are quoted identifiers.
    """
    if freq not in FREQ_SQL:
        raise ParameterError("freq must be one of 'H' (hour), 'D' (day), 'W' (week)")
    groups = as_columns(by)
    start, end = utc_bound(start, name="start"), utc_bound(end, name="end")
    if start is not None and end is not None and not start < end:
        raise ParameterError("start must be before end (end is exclusive)")
    unit, step = FREQ_SQL[freq]
    t = f"__tsinvest_utc_naive({quote_identifier(time)})"
    group_aliases = [f"g{i}" for i in range(len(groups))]
    select_groups = "".join(f", {quote_identifier(g)} AS {a}" for g, a in zip(groups, group_aliases, strict=True))
    distinct_sql = f", {quote_identifier(distinct)} AS d" if distinct else ""
    bin_filters = ["period_start IS NOT NULL"]
    if start is not None:
        bin_filters.append(f"period_start >= date_trunc('{unit}', {sql_timestamp(start)})")
    if end is not None:
        bin_filters.append(f"period_start < {sql_timestamp(end)}")
    lo = f"date_trunc('{unit}', {sql_timestamp(start)})" if start is not None else "data_min"
    hi = f"{sql_timestamp(end)}" if end is not None else f"data_max + {step}"
    group_by = ", ".join(["period_start", *group_aliases])
    distinct_agg = ", count(DISTINCT d) AS nd" if distinct else ""
    groups_cte = f"SELECT DISTINCT {', '.join(group_aliases)} FROM binned" if groups else "SELECT 1 AS unused"
    join_on = " AND ".join(
        ["grid.period_start = binned.period_start"]
        + [f"grid.{a} IS NOT DISTINCT FROM binned.{a}" for a in group_aliases]
    )
    out_groups = "".join(f"grid.{a} AS {quote_identifier(g)}, " for g, a in zip(groups, group_aliases, strict=True))
    out_distinct = ", coalesce(binned.nd, 0) AS distinct_count" if distinct else ""
    order = ", ".join([*(f"{quote_identifier(g)} NULLS LAST" for g in groups), "period_start"])
    return f"""
        WITH src AS (
            SELECT date_trunc('{unit}', {t}) AS period_start{select_groups}{distinct_sql} FROM {table}
        ),
        binned AS (
            SELECT {group_by}, count(*) AS n{distinct_agg}
            FROM src WHERE {' AND '.join(bin_filters)} GROUP BY {group_by}
        ),
        extent AS (SELECT min(period_start) AS data_min, max(period_start) AS data_max FROM binned),
        bounds AS (SELECT {lo} AS lo, {hi} AS hi FROM extent),
        periods AS (
            SELECT __tsinvest_period_series(lo, hi, {unit}) AS period_start
            FROM bounds WHERE lo IS NOT NULL AND hi > lo
        ),
        groups AS ({groups_cte}),
        grid AS (SELECT * FROM groups CROSS JOIN periods)
        SELECT {out_groups}grid.period_start AS period_start,
               coalesce(binned.n, 0) AS count{out_distinct}
        FROM grid LEFT JOIN binned ON {join_on}
        ORDER BY {order}
    """
