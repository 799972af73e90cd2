"""Shared-attribute edges on Spark: the local engine's query, transpiled."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from tsinvest.spark.results import SparkEdgeTable

__all__ = ["shared_attribute_edges"]

_views = itertools.count()


def shared_attribute_edges(
    source: Any,
    *,
    spark: Any = None,
    attributes: Sequence[str] = ("device_id", "ip"),
    actor: str = "account_id",
    time: str | None = "ts",
    max_accounts_per_value: int = 50,
    min_weight: float = 0.0,
    max_evidence: int = 5,
) -> SparkEdgeTable:
    """:func:`tsinvest.linking.shared_attributes.shared_attribute_edges` on Spark.

    Parameters
    ----------
    source : pyspark DataFrame, pandas DataFrame, str or path
        As :func:`tsinvest.spark.spark_events`: a Spark or pandas frame, a
        Parquet/CSV path, or a table of the session's catalogue.
    spark : SparkSession, optional
        Needed unless ``source`` is a Spark DataFrame.
    attributes, actor, time, max_accounts_per_value, min_weight, max_evidence
        As the local function.

    Returns
    -------
    SparkEdgeTable
        ``to_pandas()`` equals the local function's output, ``attrs``
        included (``hub_values_excluded``, ``accounts_seen``,
        ``max_accounts_per_value``).

    Notes
    -----
    The query is :func:`~tsinvest.linking.shared_attributes.shared_attribute_sql`,
    written once and transpiled by :func:`tsinvest.portable_sql.to_spark`. It is
    an equi-join on ``(attribute, value)`` after the hub values are dropped,
    so a value costs at most ``cap * (cap - 1) / 2`` pairs; the hub and
    account counts are two small jobs run here.

    Examples
    --------
    >>> import pandas as pd
    >>> from tsinvest.spark import local_session
    >>> logins = pd.DataFrame({"account_id": ["1", "2", "3"], "device_id": ["d1", "d1", "d9"],
    ...                        "ts": pd.to_datetime(["2026-03-02", "2026-03-03", "2026-03-04"], utc=True)})
    >>> edges = shared_attribute_edges(logins, spark=local_session(), attributes=("device_id",)).to_pandas()
    >>> edges[["account_a", "account_b", "signal", "evidence"]].to_dict("records")
    [{'account_a': '1', 'account_b': '2', 'signal': 'shared_device_id', 'evidence': '[{"value":"d1","accounts":2}]'}]
    """
    from tsinvest.exceptions import ParameterError
    from tsinvest.linking.shared_attributes import shared_attribute_sql
    from tsinvest.portable_sql import to_spark
    from tsinvest.spark.coordination import spark_table

    attributes = tuple(attributes)
    if not attributes:
        raise ParameterError("shared_attribute_edges: attributes= must name at least one column")
    if max_accounts_per_value < 2 or max_evidence < 1:
        raise ParameterError("shared_attribute_edges: max_accounts_per_value must be >= 2 and max_evidence >= 1")
    columns = list(dict.fromkeys([actor, *attributes] + ([time] if time is not None else [])))
    frame = spark_table(source, spark=spark, columns=columns, time=time)
    view = f"tsinvest_shared_attributes_{next(_views)}"
    frame.createOrReplaceTempView(view)
    session = frame.sparkSession
    queries = shared_attribute_sql(
        view,
        attributes,
        actor=actor,
        time=time,
        max_accounts_per_value=max_accounts_per_value,
        min_weight=min_weight,
        max_evidence=max_evidence,
    )
    edges = session.sql(to_spark(queries["edges"]))
    hubs = {row[0]: int(row[1]) for row in session.sql(to_spark(queries["hubs"])).collect()}
    accounts_seen = int(session.sql(to_spark(queries["accounts"])).collect()[0][0])
    attrs = {
        "hub_values_excluded": {column: hubs.get(column, 0) for column in attributes},
        "accounts_seen": accounts_seen,
        "max_accounts_per_value": max_accounts_per_value,
    }
    return SparkEdgeTable(edges=edges, attrs=attrs)
