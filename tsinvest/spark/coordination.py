"""Co-action edges on Apache Spark: the contract of :func:`tsinvest.linking.coordination.coordination_edges`.

The local engine (DuckDB + compiled sweep) is the reference; this module
computes the same edge table where the events live in a Spark warehouse or do
not fit one machine. The plan is a *bucket join*, never a self-join on the
target: events are keyed by ``(target, floor(t / W))`` and each bucket is
equi-joined with itself and the next one, so a busy target costs the square
of its busiest windows, not of its whole history.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from typing import Any

from tsinvest.exceptions import ParameterError
from tsinvest.loading.readers import file_format
from tsinvest.schemas import require_columns
from tsinvest.spark.session import require_pyspark

__all__ = [
    "SparkEdges",
    "coordination_edges",
    "spark_events",
    "spark_table",
    "json_escape_column",
    "DEFAULT_MAX_ACTORS_PER_WINDOW",
]

#: The local engine's default (see :data:`tsinvest.linking.coordination.DEFAULT_MAX_ACTORS_PER_WINDOW`).
DEFAULT_MAX_ACTORS_PER_WINDOW = 500

# json.dumps (ensure_ascii) escapes exactly these: quote, backslash and
# everything outside printable ASCII (Python's json.encoder.ESCAPE_ASCII).
_UNSAFE = r'[^\x20-\x7e]|["\\]'


@dataclass
class SparkEdges:
    """Co-action edges computed by Spark, lazily.

    Attributes
    ----------
    edges : pyspark.sql.DataFrame
        Columns ``EDGE_COLUMNS`` (``weight`` a double, float64 in pandas like
        every edge table, ``first_ts`` / ``last_ts`` timestamps), sorted by weight descending, then
        ``account_a``, ``account_b``.
    excluded_targets : pyspark.sql.DataFrame
        One column ``target_id``: the hot targets left out (see the Notes of
        :func:`coordination_edges`), sorted; computed when the edges are
        defined (one small job), so reading it costs nothing.
    cached : pyspark.sql.DataFrame or None
        The de-duplicated events, persisted (memory, then disk) for the edges;
        :meth:`release` or :meth:`to_pandas` unpersists them.
    parameters : dict
        The parameters the edges were computed with.
    """

    edges: Any
    excluded_targets: Any
    parameters: dict = field(default_factory=dict)
    cached: Any = None

    def release(self) -> None:
        """Drop the events Spark keeps cached for the edges (``to_pandas`` does it when done)."""
        if self.cached is not None:
            self.cached.unpersist()
            self.cached = None

    def windowed_pairs(self) -> int:
        """Event pairs of two accounts on one target at most the window apart, hot targets left out.

        The local engine's ``stats["windowed_pairs"]`` (the rows its sweep emits).

        One more pass over the join, so it runs only when asked; call it
        before :meth:`to_pandas`, which releases the cached events.
        """
        from pyspark.sql import functions as F

        if self.cached is None:
            raise ParameterError("windowed_pairs needs the cached events; call it before to_pandas() or release()")
        window_us = int(round(self.parameters["window"] * 1_000_000))
        events = self.cached.join(
            F.broadcast(self.excluded_targets.withColumnRenamed("target_id", "target")), "target", "left_anti"
        )
        left, right = _bucket_sides(events)
        delta = F.col("right_us") - F.col("left_us")
        # Each unordered pair of two accounts once: the later event, or at equal times the larger actor, on the right.
        later = ((delta > 0) & (F.col("right_actor") != F.col("left_actor"))) | (
            (delta == 0) & (F.col("right_actor") > F.col("left_actor"))
        )
        return int(left.join(right, ["target", "bucket"]).where(later & (delta <= window_us)).count())

    def to_pandas(self) -> Any:
        """Collect the edges as the local engine returns them (same dtypes, ``attrs``, warning).

        Returns
        -------
        DataFrame
            Equal (``pandas.testing.assert_frame_equal``) to
            :func:`tsinvest.linking.coordination.coordination_edges` on the
            same events when their times are whole microseconds;
            ``attrs["excluded_targets"]`` is the sorted list of excluded ids.
        """
        from tsinvest.linking.coordination import HotTargetWarning
        from tsinvest.spark.results import edges_to_pandas

        frame = edges_to_pandas(self.edges)
        excluded = sorted(row[0] for row in self.excluded_targets.collect())
        self.release()
        frame.attrs["excluded_targets"] = excluded
        frame.attrs["stats"] = {
            "edges": int(len(frame)),
            "excluded_targets": len(excluded),
            "window": self.parameters.get("window"),
        }
        if excluded:
            warnings.warn(
                f"{len(excluded)} target(s) left out: more than {self.parameters.get('max_actors_per_window')} "
                "distinct accounts acted on each inside one window (viral content, not a coordination signal); "
                "their ids are in edges.attrs['excluded_targets']",
                HotTargetWarning,
                stacklevel=2,
            )
        return frame


# --------------------------------------------------------------------------- parameters and input


def _check_parameters(
    window: Any, min_weight: Any, evidence_size: Any, max_actors_per_window: Any, salt_partitions: Any,
    salt_min_events: Any,
) -> int:
    """Validate; return the window in whole microseconds (Spark's time precision)."""
    problems = []
    window_ok = (
        isinstance(window, (int, float)) and not isinstance(window, bool) and math.isfinite(window) and window >= 0
    )
    if not window_ok:
        problems.append("window must be a finite number of seconds >= 0")
    elif abs(window * 1_000_000 - round(window * 1_000_000)) > 1e-6:
        problems.append("window must be a whole number of microseconds (Spark keeps microseconds)")
    if not isinstance(min_weight, int) or min_weight < 1:
        problems.append("min_weight must be an integer >= 1")
    if not isinstance(evidence_size, int) or evidence_size < 0:
        problems.append("evidence_size must be an integer >= 0")
    if not isinstance(max_actors_per_window, int) or max_actors_per_window < 2:
        problems.append("max_actors_per_window must be an integer >= 2")
    if not isinstance(salt_partitions, int) or salt_partitions < 1:
        problems.append("salt_partitions must be an integer >= 1")
    if not isinstance(salt_min_events, int) or salt_min_events < 1:
        problems.append("salt_min_events must be an integer >= 1")
    if problems:
        raise ParameterError("; ".join(problems))
    return int(round(window * 1_000_000))


def _check_microsecond_times(frame: Any, time: str) -> None:
    import pandas as pd

    times = frame[time]
    if not isinstance(times.dtype, pd.DatetimeTZDtype):
        raise ParameterError(
            f"column '{time}' must hold timezone-aware UTC timestamps; load the table with "
            "tsinvest.loading or convert it with pd.to_datetime(..., utc=True)"
        )
    nanoseconds = times.dt.tz_convert("UTC").dt.as_unit("ns").astype("int64")
    present = times.notna()
    if ((nanoseconds[present] % 1000) != 0).any():
        raise ParameterError(
            f"column '{time}' holds times finer than a microsecond; Spark keeps microseconds. Round them "
            "with .dt.floor('us') or use the local engine"
        )


def _pandas_to_spark(spark: Any, frame: Any, columns: list[str], time: str | None) -> Any:
    """A pandas frame as a Spark DataFrame: string columns, microsecond UTC times (checked, never truncated)."""
    import pandas as pd
    import pyarrow as pa

    from tsinvest.schemas import STRING_DTYPE

    if time is not None:
        _check_microsecond_times(frame, time)
    arrays = {}
    for column in columns:
        if column == time:
            times = frame[time]
            arrays[column] = pa.array(times.dt.tz_convert("UTC").dt.as_unit("us"), type=pa.timestamp("us", tz="UTC"))
            continue
        dtype = frame[column].dtype
        if not (isinstance(dtype, (pd.StringDtype, pd.CategoricalDtype)) or pd.api.types.is_object_dtype(dtype)):
            raise ParameterError(
                f"column '{column}' must hold string ids (found {dtype}); ids are never numbers "
                "because leading zeros and 19-digit ids must survive. Load the table with tsinvest.loading."
            )
        try:
            arrays[column] = pa.array(frame[column].astype(STRING_DTYPE), type=pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            raise ParameterError(f"column '{column}' must hold string ids") from None
    if not len(frame):
        from pyspark.sql.types import StringType, StructField, StructType, TimestampType

        schema = StructType([StructField(c, TimestampType() if c == time else StringType(), True) for c in columns])
        return spark.createDataFrame([], schema)
    return spark.createDataFrame(pa.table(arrays))


def _read_source(spark: Any, source: Any) -> Any:
    """A Spark DataFrame for a path (Parquet file or folder, CSV) or a table name."""
    from pathlib import Path

    path = Path(source)
    if path.exists():
        form, compression = file_format(path)
        if path.is_dir() or (form is not None and form.kind == "parquet"):
            return spark.read.parquet(str(path))
        if form is not None and form.kind == "delimited" and compression in (None, "gz"):
            # Every column as text: ids keep their leading zeros and full 19 digits.
            reader = spark.read.option("header", True).option("inferSchema", False)
            return reader.option("sep", form.delimiter).csv(str(path))
        raise ParameterError(
            f"source file '{path.name}' is neither Parquet nor CSV/TSV; convert it or pass a DataFrame"
        )
    if isinstance(source, str) and spark.catalog.tableExists(source):
        return spark.table(source)
    raise ParameterError(
        f"source '{path.name}' is not an existing file or a table of the Spark session; check the path"
    )


def spark_table(source: Any, *, spark: Any = None, columns: list[str], time: str | None = None) -> Any:
    """``source`` as a Spark DataFrame holding ``columns`` (checked; see :func:`spark_events` for the sources).

    A pandas frame is sent with its ``columns`` as strings and ``time`` as
    microsecond UTC timestamps; a Spark source is returned as it is (every
    column named must exist).
    """
    require_pyspark()
    import pandas as pd
    from pyspark.sql import DataFrame

    if isinstance(source, DataFrame):
        frame = source
    elif spark is None:
        raise ParameterError(
            "spark must be a SparkSession when source is not a Spark DataFrame; see tsinvest.spark.local_session"
        )
    elif isinstance(source, pd.DataFrame):
        require_columns(source.columns, columns, name="source")
        frame = _pandas_to_spark(spark, source, columns, time)
    elif isinstance(source, (str, os.PathLike)):
        frame = _read_source(spark, source)
    else:
        raise ParameterError(
            "source must be a Spark or pandas DataFrame, a path to a Parquet or CSV file, or a table name"
        )
    require_columns(frame.columns, columns, name="source")
    return frame


def spark_events(
    source: Any,
    *,
    spark: Any = None,
    actor: str = "account_id",
    target: str = "target_id",
    time: str = "ts",
    action: str | None = None,
    action_column: str = "action",
) -> Any:
    """Events as a Spark DataFrame ``(actor, target, us)``: string ids, microseconds since the epoch (UTC).

    Parameters
    ----------
    source : pyspark DataFrame, pandas DataFrame, str or path
        A Spark DataFrame is used as it is; a pandas one is sent to ``spark``
        (times must be whole microseconds); a path is read by Spark (Parquet
        file or folder; CSV read as text); another string names a table of
        the session's catalogue (Hive, Iceberg, Delta).
    spark : SparkSession, optional
        Needed unless ``source`` is a Spark DataFrame.
    actor, target, time, action, action_column
        As :func:`tsinvest.linking.coordination.coordination_edges`.

    Returns
    -------
    pyspark.sql.DataFrame
        Rows with null actor, target or time left out (as the local engine does).

    Raises
    ------
    ParameterError
        A column is missing, ids are not strings, times are finer than a
        microsecond, or the source cannot be read.
    """
    from pyspark.sql import functions as F

    needed = list(dict.fromkeys([actor, target, time] + ([action_column] if action is not None else [])))
    frame = spark_table(source, spark=spark, columns=needed, time=time)
    if action is not None:
        frame = frame.where(F.col(action_column).cast("string") == F.lit(action))
    time_type = dict(frame.dtypes)[time]
    moment = F.col(time) if time_type.startswith("timestamp") else F.col(time).cast("timestamp")
    events = frame.select(
        F.col(actor).cast("string").alias("actor"),
        F.col(target).cast("string").alias("target"),
        F.unix_micros(moment).alias("us"),
    )
    return events.where(F.col("actor").isNotNull() & F.col("target").isNotNull() & F.col("us").isNotNull())


# --------------------------------------------------------------------------- pieces


def json_escape_column(column: Any) -> Any:
    """``json.dumps(value)[1:-1]`` as a Spark column expression (quotes, backslashes, non-ASCII escaped).

    Spark's own ``to_json`` leaves non-ASCII characters as they are and writes
    no space after commas; the evidence must be byte-for-byte the local
    engine's, so the escape is spelled out: code points are taken one by one
    (a Java regex ``.`` matches a whole supplementary character) and outside
    printable ASCII become ``\\uXXXX`` of their UTF-16 units, lower-case, as
    Python's ``json`` writes them. Strings needing no escape (almost all
    ids) skip it.
    """
    from pyspark.sql import functions as F

    def one(character: Any) -> Any:
        utf16 = F.lower(F.hex(F.encode(character, "UTF-16BE")))
        return (
            F.when(character == F.lit('"'), F.lit('\\"'))
            .when(character == F.lit("\\"), F.lit("\\\\"))
            .when(character == F.lit("\n"), F.lit("\\n"))
            .when(character == F.lit("\r"), F.lit("\\r"))
            .when(character == F.lit("\t"), F.lit("\\t"))
            .when(character == F.lit("\b"), F.lit("\\b"))
            .when(character == F.lit("\f"), F.lit("\\f"))
            .when(character.rlike("^[\\x20-\\x7e]$"), character)
            .when(F.length(utf16) == 4, F.concat(F.lit("\\u"), utf16))
            .otherwise(F.concat(F.lit("\\u"), F.substring(utf16, 1, 4), F.lit("\\u"), F.substring(utf16, 5, 4)))
        )

    characters = F.regexp_extract_all(column, F.lit("(?s)(.)"), 1)
    return F.when(column.rlike(_UNSAFE), F.array_join(F.transform(characters, one), "")).otherwise(column)


def _evidence(targets: Any, evidence_size: int) -> Any:
    """``json.dumps(sorted(targets)[:evidence_size])`` as a Spark column (targets: array of strings)."""
    from pyspark.sql import functions as F

    if evidence_size == 0:
        return F.lit("[]")
    first = F.slice(F.array_sort(targets), 1, evidence_size)
    escaped = F.transform(first, json_escape_column)
    return F.concat(F.lit('["'), F.array_join(escaped, '", "'), F.lit('"]'))


def _bucketed(events: Any, width: int) -> Any:
    from pyspark.sql import functions as F

    return events.withColumn("bucket", F.expr(f"(us - pmod(us, {width})) div {width}"))


def hot_targets(events: Any, window_us: int, max_actors: int) -> Any:
    """Targets on which more than ``max_actors`` distinct actors acted inside one window (the local rule).

    ``events`` has columns ``(actor, target, us, bucket)`` with buckets of
    width ``max(window_us, 1)``. Returns a one-column DataFrame ``target``.

    *Pre-filter.* A window of width W spans at most two adjacent buckets, so
    a target can only hold more than ``max_actors`` events in one window if
    two adjacent buckets hold more than ``max_actors`` together: one
    aggregation over ``(target, bucket)``.

    *Exact check* on the few candidates: actor ``a`` is inside the window
    ``[s, s + W]`` exactly when ``s`` lies in ``[t - W, t]`` for one of its
    times ``t``. Each actor's intervals are merged, and a sweep over the
    merged ends (starts before ends at one point: the intervals are closed)
    gives the largest number of distinct actors in any window; the largest
    over all ``s`` equals the largest over windows opened by an event, the
    local engine's count. Spark has no ``count(DISTINCT) OVER (RANGE ...)``;
    this needs only running sums.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    counts = events.groupBy("target", "bucket").count()
    shifted = counts.select("target", (F.col("bucket") - 1).alias("bucket"), "count")
    candidates = (
        counts.unionByName(shifted)
        .groupBy("target", "bucket")
        .agg(F.sum("count").alias("events"))
        .where(F.col("events") > max_actors)
        .select("target")
        .distinct()
    )
    near = events.join(F.broadcast(candidates), "target", "left_semi").select(
        "target", "actor", (F.col("us") - window_us).alias("start"), F.col("us").alias("end")
    )
    by_actor = Window.partitionBy("target", "actor").orderBy("start", "end")
    merged = (
        near.withColumn("reach", F.max("end").over(by_actor.rowsBetween(Window.unboundedPreceding, -1)))
        .withColumn("opens", (F.col("reach").isNull() | (F.col("start") > F.col("reach"))).cast("int"))
        .withColumn("run", F.sum("opens").over(by_actor.rowsBetween(Window.unboundedPreceding, 0)))
        .groupBy("target", "actor", "run")
        .agg(F.min("start").alias("start"), F.max("end").alias("end"))
    )
    points = merged.select(
        "target", F.col("start").alias("point"), F.lit(0).alias("order"), F.lit(1).alias("step")
    ).unionByName(
        merged.select("target", F.col("end").alias("point"), F.lit(1).alias("order"), F.lit(-1).alias("step"))
    )
    sweep = Window.partitionBy("target").orderBy("point", "order").rowsBetween(Window.unboundedPreceding, 0)
    return (
        points.withColumn("actors", F.sum("step").over(sweep))
        .groupBy("target")
        .agg(F.max("actors").alias("actors"))
        .where(F.col("actors") > max_actors)
        .select("target")
    )


def coordination_edges(
    source: Any,
    *,
    spark: Any = None,
    actor: str = "account_id",
    target: str = "target_id",
    time: str = "ts",
    action: str | None = None,
    action_column: str = "action",
    window: float = 60,
    min_weight: int = 2,
    signal: str | None = None,
    evidence_size: int = 5,
    max_actors_per_window: int = DEFAULT_MAX_ACTORS_PER_WINDOW,
    salt_partitions: int = 1,
    salt_min_events: int = 10_000,
) -> SparkEdges:
    """Co-action edges on Spark, with the contract of the local
    :func:`~tsinvest.linking.coordination.coordination_edges`.

    Two different accounts are linked on a target when both acted on it at
    most ``window`` seconds apart (inclusive); a pair's weight is the number
    of distinct targets it is linked on.

    Parameters
    ----------
    source : pyspark DataFrame, pandas DataFrame, str or path
        See :func:`spark_events`: a Spark DataFrame, a pandas one, a Parquet
        or CSV path Spark can read, or a table of the session's catalogue.
    spark : SparkSession, optional
        Needed unless ``source`` is a Spark DataFrame
        (:func:`tsinvest.spark.local_session` on one machine).
    actor, target, time, action, action_column, window, min_weight, signal, evidence_size, max_actors_per_window
        As the local engine. ``window`` must be whole microseconds.
    salt_partitions : int
        Split each kept busy window (``(target, bucket)`` with at least
        ``salt_min_events`` events) over this many join tasks; 1 turns
        salting off. The edges do not change.
    salt_min_events : int
        Events in one ``(target, bucket)`` from which it is salted.

    Returns
    -------
    SparkEdges
        ``.edges`` (a lazy Spark DataFrame with ``EDGE_COLUMNS``, sorted),
        ``.excluded_targets`` and ``.to_pandas()``, which equals the local
        engine's output on the same events (evidence included). Defining
        them runs one job: the de-duplicated events are persisted and the
        hot-target check is collected (a small table).

    Raises
    ------
    ParameterError
        As the local engine, and when times or the window are finer than a
        microsecond.

    Notes
    -----
    *Plan.* Events (exact duplicates dropped, as locally) get a bucket
    ``b = floor(t / W)`` (``W`` in microseconds, at least 1). An event's
    partners at most ``W`` later lie in its bucket or the next, so the join
    is an equi-join on ``(target, b)`` against the events exploded to ``b``
    and ``b - 1``, filtered on ``0 <= dt <= W`` and different accounts; the
    same hash partitioning serves the de-duplication and the left side of
    the join. Linked rows are aggregated per (pair, target), keeping the
    earliest and latest action, then per pair (weight, times, the
    ``evidence_size`` smallest targets).

    *Complexity.* Shuffles ``O(N)`` events twice and the ``P`` windowed event
    pairs once (the join's output), where ``P`` is the same count as the
    local engine's plus at most the pairs of one bucket with the next that
    are further apart than ``W`` (filtered right after the join). Skew is
    per busy window, not per target: a viral target whose actions are
    spread over days costs little; one busy window costs the square of its
    events in a single task, which the hot-target cap bounds and salting
    spreads (Spark's adaptive skew join does not see it: the hot key is small
    in bytes, the blow-up is in the join's output).

    *Hot targets.* The local rule, exactly (see :func:`hot_targets`); the
    excluded targets are a Spark table (``.excluded_targets``).

    Examples
    --------
    >>> import pandas as pd
    >>> from tsinvest.spark import local_session
    >>> shares = pd.DataFrame({
    ...     "account_id": pd.array(["001", "002", "001", "002"], dtype="string"),
    ...     "target_id": pd.array(["v1", "v1", "v2", "v2"], dtype="string"),
    ...     "ts": pd.to_datetime([0, 30, 600, 610], unit="s", utc=True),
    ... })
    >>> edges = coordination_edges(shares, spark=local_session())
    >>> edges.to_pandas()[["account_a", "account_b", "weight", "evidence"]].to_dict("records")
    [{'account_a': '001', 'account_b': '002', 'weight': 2.0, 'evidence': '["v1", "v2"]'}]
    """
    window_us = _check_parameters(
        window, min_weight, evidence_size, max_actors_per_window, salt_partitions, salt_min_events
    )
    events = spark_events(
        source, spark=spark, actor=actor, target=target, time=time, action=action, action_column=action_column
    )
    from pyspark.sql import functions as F

    width = max(window_us, 1)
    # One hash partitioning on (target, bucket) serves the de-duplication and
    # the left side of the join (a clustering on a subset of the grouping keys).
    from pyspark import StorageLevel

    events = (
        _bucketed(events, width)
        .repartition("target", "bucket")
        .dropDuplicates(["target", "bucket", "actor", "us"])
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    # The hot-target check runs now, once: its result is small, and the edges,
    # the report and the warning all need it (recomputing it per use tripled
    # the check's cost in the benchmark).
    hot = sorted(row[0] for row in hot_targets(events, window_us, max_actors_per_window).collect())
    session = events.sparkSession
    excluded = session.createDataFrame([(t,) for t in hot], "target string")
    kept = events.join(F.broadcast(excluded), "target", "left_anti") if hot else events
    linked = _linked_rows(kept, window_us, salt_partitions, salt_min_events)
    name = signal if signal is not None else (f"co_{action}" if action is not None else "co_action")
    edges = _edge_table(linked, name=name, min_weight=min_weight, evidence_size=evidence_size)
    return SparkEdges(
        edges=edges,
        excluded_targets=excluded.select(F.col("target").alias("target_id")),
        cached=events,
        parameters={
            "window": window_us / 1_000_000,
            "min_weight": min_weight,
            "evidence_size": evidence_size,
            "max_actors_per_window": max_actors_per_window,
            "salt_partitions": salt_partitions,
            "salt_min_events": salt_min_events,
        },
    )


def _edge_table(linked: Any, *, name: str, min_weight: int, evidence_size: int) -> Any:
    """Linked rows aggregated per (pair, target), then per pair: the sorted edge table."""
    from pyspark.sql import functions as F

    per_target = linked.groupBy("account_a", "account_b", "target").agg(
        F.min("earlier").alias("first_us"), F.max("later").alias("last_us")
    )
    per_pair = (
        per_target.groupBy("account_a", "account_b")
        .agg(
            F.count(F.lit(1)).alias("weight"),
            F.min("first_us").alias("first_us"),
            F.max("last_us").alias("last_us"),
            *([F.collect_list("target").alias("targets")] if evidence_size else []),
        )
        .where(F.col("weight") >= min_weight)
    )
    return per_pair.select(
        "account_a",
        "account_b",
        F.lit(name).alias("signal"),
        F.col("weight").cast("double").alias("weight"),
        F.timestamp_micros("first_us").alias("first_ts"),
        F.timestamp_micros("last_us").alias("last_ts"),
        _evidence(F.col("targets") if evidence_size else None, evidence_size).alias("evidence"),
    ).orderBy(F.col("weight").desc(), "account_a", "account_b")


def _bucket_sides(events: Any) -> tuple[Any, Any]:
    """The two sides of the bucket join: events keyed by (target, bucket), and again with each event in
    its own bucket and the one before, so a pair at most one window apart always meets on one key."""
    from pyspark.sql import functions as F

    left = events.select("target", "bucket", F.col("actor").alias("left_actor"), F.col("us").alias("left_us"))
    right = events.select(
        "target",
        F.explode(F.array(F.col("bucket"), F.col("bucket") - 1)).alias("bucket"),
        F.col("actor").alias("right_actor"),
        F.col("us").alias("right_us"),
    )
    return left, right


def _linked_rows(events: Any, window_us: int, salt_partitions: int, salt_min_events: int) -> Any:
    """Linked event pairs ``(account_a, account_b, target, earlier, later)`` from the bucket join."""
    from pyspark.sql import functions as F

    left, right = _bucket_sides(events)
    keys = ["target", "bucket"]
    if salt_partitions > 1:
        busy = (
            events.groupBy("target", "bucket")
            .count()
            .where(F.col("count") >= salt_min_events)
            .select("target", "bucket", F.lit(True).alias("busy"))
        )
        left = (
            left.join(F.broadcast(busy), keys, "left")
            .withColumn(
                "salt",
                F.when(F.col("busy"), F.pmod(F.xxhash64("left_actor", "left_us"), F.lit(salt_partitions)))
                .otherwise(F.lit(0))
                .cast("int"),
            )
            .drop("busy")
        )
        right = (
            right.join(F.broadcast(busy), keys, "left")
            .withColumn(
                "salt",
                F.explode(
                    F.when(F.col("busy"), F.sequence(F.lit(0), F.lit(salt_partitions - 1))).otherwise(F.array(F.lit(0)))
                ),
            )
            .drop("busy")
        )
        keys = keys + ["salt"]
    delta = F.col("right_us") - F.col("left_us")
    joined = left.join(right, keys).where(
        (delta >= 0) & (delta <= window_us) & (F.col("left_actor") != F.col("right_actor"))
    )
    return joined.select(
        F.least("left_actor", "right_actor").alias("account_a"),
        F.greatest("left_actor", "right_actor").alias("account_b"),
        "target",
        F.col("left_us").alias("earlier"),
        F.col("right_us").alias("later"),
    )
