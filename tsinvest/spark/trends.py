"""Trend time series on Spark: the local engine's query, transpiled."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, Literal

__all__ = ["time_series"]

_views = itertools.count()


def time_series(
    source: Any,
    *,
    spark: Any = None,
    time: str = "ts",
    freq: Literal["H", "D", "W"] = "D",
    by: str | Sequence[str] = (),
    distinct: str | None = None,
    start: Any = None,
    end: Any = None,
) -> Any:
    """:func:`tsinvest.trends.time_series` on Spark: counts per period and group, empty periods as zero.

    Parameters
    ----------
    source : pyspark DataFrame, pandas DataFrame, str or path
        As :func:`tsinvest.spark.spark_events` reads it; ``time`` must be a
        timestamp column (a pandas one time-zone aware, whole microseconds).
    spark : SparkSession, optional
        Needed unless ``source`` is a Spark DataFrame.
    time, freq, by, distinct, start, end
        As the local function.

    Returns
    -------
    pandas.DataFrame
        Equal to the local function's output (the series is one row per
        group and period, small next to the table it counts, so it is
        collected).

    Notes
    -----
    The query is :func:`~tsinvest.trends.timeseries.time_series_sql`:
    one aggregation over the table, then the zero-filled grid of groups times
    periods, ``O(N + groups x periods)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from tsinvest.spark import local_session
    >>> reports = pd.DataFrame({"ts": pd.to_datetime(["2026-03-02T10:00Z", "2026-03-04T09:00Z"], utc=True),
    ...                         "policy": ["spam", "hate"]})
    >>> time_series(reports, spark=local_session(), by="policy")["count"].tolist()
    [0, 0, 1, 1, 0, 0]
    """
    from pyspark.sql import functions as F

    from tsinvest.exceptions import ParameterError
    from tsinvest.portable_sql import to_spark
    from tsinvest.schemas import STRING_DTYPE
    from tsinvest.spark.coordination import spark_table
    from tsinvest.spark.results import utc_timestamps
    from tsinvest.trends.timeseries import time_series_sql

    groups = [by] if isinstance(by, str) else list(by)
    view = f"tsinvest_time_series_{next(_views)}"
    # Built first: it checks freq and the bounds before Spark reads anything.
    sql = time_series_sql(view, time=time, freq=freq, by=groups, distinct=distinct, start=start, end=end)
    columns = list(dict.fromkeys([time, *groups] + ([distinct] if distinct else [])))
    frame = spark_table(source, spark=spark, columns=columns, time=time)
    if not dict(frame.dtypes)[time].startswith("timestamp"):
        raise ParameterError(f"column {time!r} must hold timestamps; load the table with tsinvest.loading")
    frame.select(*[F.col(c) for c in columns]).createOrReplaceTempView(view)
    result = frame.sparkSession.sql(to_spark(sql)).toPandas()
    result["period_start"] = utc_timestamps(result["period_start"])
    for column in ("count", *(["distinct_count"] if distinct else [])):
        result[column] = result[column].astype("int64")
    for column in groups:
        if result[column].dtype == object or str(result[column].dtype).startswith("str"):
            result[column] = result[column].astype(STRING_DTYPE)
    return result.reset_index(drop=True)
