"""Peer-compatible co-action definitions on Spark: the same SQL source as the local engine, through SQLGlot."""

from __future__ import annotations

import itertools
from typing import Any, Literal

from tsinvest.spark.coordination import SparkEdges, json_escape_column, spark_events

__all__ = ["peer_coordination_edges"]

_views = itertools.count()


def peer_coordination_edges(
    source: Any,
    *,
    spark: Any = None,
    definition: Literal["targets", "content_pairs", "directed"] = "targets",
    actor: str = "account_id",
    target: str = "target_id",
    time: str = "ts",
    action: str | None = None,
    action_column: str = "action",
    window: float = 60,
    min_weight: int = 1,
    min_participation: int = 1,
    edge_weight_percentile: float | None = None,
    signal: str | None = None,
    evidence_size: int = 5,
) -> SparkEdges:
    """:func:`tsinvest.linking.peer_definitions.peer_coordination_edges` on Spark.

    Parameters and result as the local function (see its table of the
    peers' parameter names); ``source`` and ``spark`` as
    :func:`tsinvest.spark.coordination_edges`. Times and the window are in
    microseconds here.

    Returns
    -------
    SparkEdges
        Whose ``to_pandas()`` equals the local engine's output;
        ``excluded_targets`` is empty (the peers have no hot-target cap).

    Notes
    -----
    The query is :func:`~tsinvest.linking.peer_definitions.peer_edges_sql`,
    written once in DuckDB's dialect and transpiled by
    :func:`tsinvest.portable_sql.to_spark`; the bucket join makes it an
    equi-join on ``(target, bucket)`` in Spark as in DuckDB.
    """
    from pyspark.sql import functions as F

    from tsinvest.exceptions import ParameterError
    from tsinvest.linking.peer_definitions import check_peer_parameters, peer_edges_sql
    from tsinvest.portable_sql import to_spark

    check_peer_parameters(definition, window, min_weight, min_participation, edge_weight_percentile, evidence_size)
    window_us = window * 1_000_000
    if abs(window_us - round(window_us)) > 1e-6:
        raise ParameterError("window must be a whole number of microseconds (Spark keeps microseconds)")
    events = spark_events(
        source, spark=spark, actor=actor, target=target, time=time, action=action, action_column=action_column
    ).withColumnRenamed("us", "t")
    session = events.sparkSession
    view = f"tsinvest_peer_events_{next(_views)}"
    events.createOrReplaceTempView(view)
    sql = to_spark(
        peer_edges_sql(
            definition,
            int(round(window_us)),
            min_weight=min_weight,
            min_participation=min_participation,
            edge_weight_percentile=edge_weight_percentile,
            events=view,
        )
    )
    pairs = session.sql(sql)
    if evidence_size:
        escaped = F.transform(F.slice(F.col("targets"), 1, evidence_size), json_escape_column)
        evidence = F.concat(F.lit('["'), F.array_join(escaped, '", "'), F.lit('"]'))
    else:
        evidence = F.lit("[]")
    name = signal if signal is not None else (f"co_{action}" if action is not None else "co_action")
    edges = pairs.select(
        "account_a",
        "account_b",
        F.lit(name).alias("signal"),
        F.col("weight").cast("double").alias("weight"),
        F.timestamp_micros("first_t").alias("first_ts"),
        F.timestamp_micros("last_t").alias("last_ts"),
        evidence.alias("evidence"),
    ).orderBy(F.col("weight").desc(), "account_a", "account_b")
    nothing = session.createDataFrame([], "target_id string")
    return SparkEdges(edges=edges, excluded_targets=nothing, parameters={"window": window, "definition": definition})
