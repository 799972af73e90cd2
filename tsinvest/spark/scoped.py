"""``detect`` on tables that stay in Spark: link there, check components there, collect only what the local stages read.

The middle path of issue 14. :func:`spark_detect` reads the canonical
tables with Spark (:mod:`tsinvest.spark.tables`), runs the heavy linking
stages on the whole tables there (co-action with the flood and hot-window
caps, shared devices/IPs, co-following, copy-paste), refuses a connected
component too large for the local community step before anything is
collected, then *scopes*: only the edges and the rows the local clustering,
features and null models read come back to this machine, and
:func:`tsinvest.detection.detect` finishes the job on them with the edges
served by :class:`PrecomputedLinking`. The outputs equal the local engine's.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tsinvest.detection.linking import Linking
from tsinvest.exceptions import ParameterError
from tsinvest.spark.components import MAX_COMPONENT_ACCOUNTS, check_component_sizes
from tsinvest.spark.tables import ROW

__all__ = ["spark_detect", "PrecomputedLinking"]

class PrecomputedLinking(Linking):
    """Serves edge tables computed beforehand (on Spark) to the detectors, checking the options match.

    Parameters
    ----------
    served : mapping
        ``(method, key) -> (options, edges)``: the key is the co-action
        ``signal``, the shared ``attributes`` tuple, or ``None`` for
        copy-paste; ``options`` are the keyword arguments the detector is
        expected to pass (compared on every call: a detector asking for
        other options than the ones the edges were computed with is refused,
        never served wrong edges).
    """

    name = "spark"

    def __init__(self, served: Mapping[tuple[str, Any], tuple[dict[str, Any], Any]]) -> None:
        self.served = dict(served)

    def _serve(self, method: str, key: Any, options: Mapping[str, Any]) -> Any:
        if (method, key) not in self.served:
            raise ParameterError(f"{method}: the Spark engine computed no edges for {key!r}; this is a bug of "
                                 "tsinvest.spark.scoped (run with --engine local meanwhile)")
        expected, edges = self.served[(method, key)]
        given = {name: options.get(name) for name in expected}
        if given != expected:
            changed = sorted(name for name in expected if given[name] != expected[name])
            raise ParameterError(f"{method}: the detector asks for other options ({', '.join(changed)}) than the "
                                 "Spark engine used; this is a bug of tsinvest.spark.scoped (use --engine local)")
        served = edges.copy()
        served.attrs = copy.deepcopy(edges.attrs)
        return served

    def coordination_edges(self, events: Any, **options: Any) -> Any:
        """The co-action edges of ``options["signal"]``."""
        return self._serve("coordination_edges", options.get("signal"), options)

    def shared_attribute_edges(self, table: Any, **options: Any) -> Any:
        """The shared-attribute edges of ``options["attributes"]``."""
        return self._serve("shared_attribute_edges", tuple(options.get("attributes", ())), options)

    def copy_paste_edges(self, events: Any, **options: Any) -> Any:
        """The copy-paste edges."""
        return self._serve("copy_paste_edges", None, options)


@dataclass
class _Linked:
    """One edge table computed on Spark, waiting for the component check and collection."""

    stage: str
    method: str
    key: Any
    options: dict[str, Any]
    edges: Any
    attrs: dict[str, Any] = field(default_factory=dict)
    release: Any = None


@dataclass
class _CoactionScope:
    """What one co-action kind left on Spark: the rows it linked and the counts the local stage cannot see."""

    kept: Any
    actor: str
    target: str
    hot: Any
    flooded_targets: int = 0
    hot_target_actions: int = 0


def _flooded(actions: Any, target: str, window_us: int, limit: int) -> list[str]:
    """Targets where some window holds more than ``limit`` actions (the local ``_flooded_targets`` rule)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    order = Window.partitionBy(target).orderBy("us")
    rows = actions.select(target, F.unix_micros("ts").alias("us")).where(F.col(target).isNotNull()
                                                                         & F.col("us").isNotNull())
    later = rows.withColumn("later", F.lead("us", int(limit)).over(order))
    dense = later.where(F.col("later") - F.col("us") <= F.lit(int(window_us))).select(target).distinct()
    return sorted(row[0] for row in dense.collect())


def _coaction_linked(actions: Any, *, actor: str, target: str, window: float, signal: str,
                     limits: Mapping[str, float], stage: str) -> tuple[_Linked, _CoactionScope]:
    """The co-action stage of one kind on Spark, as ``run_coaction`` calls it (flood cap first)."""
    from pyspark.sql import functions as F

    from tsinvest.spark.coordination import coordination_edges

    window_us = int(round(window * 1_000_000))
    flooded = _flooded(actions, target, window_us, int(limits["max_actions_per_window"]))
    spark = actions.sparkSession
    if flooded:
        drop = spark.createDataFrame([(t,) for t in flooded], f"`{target}` string")
        actions = actions.join(F.broadcast(drop), target, "left_anti")
    options: dict[str, Any] = {"actor": actor, "target": target, "window": window,
                               "min_weight": int(limits["edge_min_weight"]), "signal": signal,
                               "max_actors_per_window": int(limits["max_actors_per_window"])}
    result = coordination_edges(actions, **options)
    hot = sorted(row[0] for row in result.excluded_targets.collect())
    hot_frame = result.excluded_targets.withColumnRenamed("target_id", target)
    scope = _CoactionScope(kept=actions, actor=actor, target=target, hot=hot_frame, flooded_targets=len(flooded),
                           hot_target_actions=actions.join(F.broadcast(hot_frame), target, "left_semi").count()
                           if hot else 0)
    attrs = {"excluded_targets": hot,
             "stats": {"excluded_targets": len(hot), "window": window, "windowed_pairs": result.windowed_pairs()}}
    linked = _Linked(stage, "coordination_edges", signal, options, result.edges.persist(), attrs, result.release)
    return linked, scope


def _farm_linked(tables: Mapping[str, Any], cap: int, counts: Mapping[str, int]) -> list[_Linked]:
    """Shared device/IP and co-follow edges, as the farm detector asks for them."""
    from pyspark.sql import functions as F

    from tsinvest.spark.shared_attributes import shared_attribute_edges

    linked = []
    logins = tables.get("logins")
    attributes = tuple(c for c in ("device_id", "ip") if logins is not None and c in logins.columns)
    if counts.get("logins") and attributes:
        table = shared_attribute_edges(logins, attributes=attributes, max_accounts_per_value=cap)
        options = {"attributes": attributes, "max_accounts_per_value": cap}
        linked.append(_Linked("shared-attribute edges", "shared_attribute_edges", attributes, options,
                              table.edges.persist(), table.attrs))
    if counts.get("follows"):
        follows = tables["events"].where(F.col("action") == "follow")
        table = shared_attribute_edges(follows, attributes=("target_id",), max_accounts_per_value=cap)
        options = {"attributes": ("target_id",), "max_accounts_per_value": cap}
        linked.append(_Linked("co-follow edges", "shared_attribute_edges", ("target_id",), options,
                              table.edges.persist(), table.attrs))
    return linked


def _copy_paste_linked(events: Any, limits: Mapping[str, float], seed: int) -> _Linked:
    """Copy-paste edges, as the copy-paste detector asks for them."""
    from tsinvest.spark.copy_paste import copy_paste_edges

    options: dict[str, Any] = {"threshold": limits["similarity"], "min_tokens": int(limits["min_tokens"]),
               "max_accounts_per_text": int(limits["max_accounts_per_text"]), "min_weight": limits["edge_min_weight"],
               "seed": seed + 1}
    table = copy_paste_edges(events, **options)
    return _Linked("copy-paste edges", "copy_paste_edges", None, options, table.edges.persist(), table.attrs)


def _chosen_kinds(tables: Mapping[str, Any], kinds: tuple[str, ...] | None) -> tuple[list[str], dict[str, int]]:
    """The kinds whose tables are present with rows (the detectors' ``applies``), from row counts on Spark."""
    from pyspark.sql import functions as F

    counts = {name: frame.count() for name, frame in tables.items()}
    events = tables.get("events")
    counts["follows"] = (events.where(F.col("action") == "follow").limit(1).count()
                         if events is not None and counts["events"] else 0)
    logins = tables.get("logins")
    has_attributes = bool(counts.get("logins")) and logins is not None and bool({"device_id", "ip"}
                                                                                & set(logins.columns))
    applies = {
        "amplification": bool(counts.get("events")),
        "mass_report": bool(counts.get("reports")),
        "farm": has_attributes or bool(counts["follows"]),
        "copy_paste": bool(counts.get("events")) and events is not None and "text" in events.columns,
        "ban_evasion": all(counts.get(name) for name in ("accounts", "logins", "enforcements")),
    }
    chosen = [kind for kind, present in applies.items() if present and (kinds is None or kind in kinds)]
    return chosen, counts


def _link(tables: Mapping[str, Any], chosen: list[str], limits: Mapping[str, Mapping[str, float]],
          counts: Mapping[str, int], *, window: float, report_window: float,
          seed: int) -> tuple[list[_Linked], dict[str, _CoactionScope]]:
    """Every linking stage of the chosen kinds on Spark (lazy edges, persisted once computed)."""
    from pyspark.sql import functions as F

    from tsinvest.detection.amplification import ENGAGEMENT_ACTIONS

    linked: list[_Linked] = []
    scopes: dict[str, _CoactionScope] = {}
    if "amplification" in chosen:
        engaged = tables["events"].where(F.col("action").isin(list(ENGAGEMENT_ACTIONS)))
        edges, scopes["amplification"] = _coaction_linked(
            engaged, actor="account_id", target="target_id", window=window, signal="co_share_like",
            limits=limits["amplification"], stage="co-action edges")
        linked.append(edges)
    if "mass_report" in chosen:
        reports = tables["reports"]
        reports = reports.withColumn("target_account_id", F.concat(
            F.col("target_account_id"), F.lit("|"), F.coalesce(F.col("policy").cast("string"), F.lit(""))))
        edges, scopes["mass_report"] = _coaction_linked(
            reports, actor="reporter_id", target="target_account_id", window=report_window, signal="co_report",
            limits=limits["mass_report"], stage="co-report edges")
        linked.append(edges)
    if "farm" in chosen:
        linked.extend(_farm_linked(tables, int(limits["farm"]["max_accounts_per_value"]), counts))
    if "copy_paste" in chosen:
        linked.append(_copy_paste_linked(tables["events"], limits["copy_paste"], seed))
    return linked, scopes


def _collect_edges(linked: list[_Linked]) -> dict[tuple[str, Any], tuple[dict[str, Any], Any]]:
    """Each checked edge table as the local engine returns it (dtypes, order, ``attrs``); Spark caches dropped."""
    from tsinvest.spark.results import edges_to_pandas

    served = {}
    for item in linked:
        frame = edges_to_pandas(item.edges)
        frame.attrs.update(copy.deepcopy(item.attrs))
        if item.method == "coordination_edges":
            frame.attrs["stats"]["edges"] = len(frame)
        item.edges.unpersist()
        if item.release is not None:
            item.release()
        served[(item.method, item.key)] = (item.options, frame)
    return served


def _accounts_of(served: Mapping[tuple[str, Any], tuple[dict[str, Any], Any]], *methods: str) -> list[str]:
    """Sorted ids of the accounts in the collected edges of these linking methods (all when none named)."""
    ids: set[str] = set()
    for (method, _), (_, edges) in served.items():
        if not methods or method in methods:
            ids.update(edges["account_a"].dropna().astype(str))
            ids.update(edges["account_b"].dropna().astype(str))
    return sorted(ids)


def _id_frame(spark: Any, column: str, ids: list[str]) -> Any:
    """A one-column Spark DataFrame of ids (sent with Arrow)."""
    import pandas as pd

    return spark.createDataFrame(pd.DataFrame({column: pd.Series(ids, dtype=object)}), schema=f"`{column}` string")


def _coaction_rows(scope: _CoactionScope, accounts: list[str]) -> Any:
    """``(_row, target)`` of the actions one co-action kind reads locally.

    The linked accounts' actions; every action on the targets they acted on
    that are not hot (the burst share counts everyone acting there); and
    the earliest and latest action (the null model's time span).
    """
    from pyspark.sql import functions as F

    kept, target = scope.kept, scope.target
    mine = kept.join(_id_frame(kept.sparkSession, scope.actor, accounts), scope.actor, "left_semi")
    targets = mine.select(target).distinct().join(scope.hot, target, "left_anti")
    around = kept.join(targets, target, "left_semi")
    first = kept.orderBy("ts", ROW).limit(1)
    last = kept.orderBy(F.col("ts").desc(), ROW).limit(1)
    return mine.unionByName(around).unionByName(first).unionByName(last).select(ROW, target)


def _event_rows(tables: Mapping[str, Any], served: Mapping[tuple[str, Any], tuple[dict[str, Any], Any]],
                scopes: Mapping[str, _CoactionScope], whole_follows: bool) -> Any:
    """``_row`` of the events the local stages read (see :func:`spark_detect`, Notes)."""
    from pyspark.sql import functions as F

    from tsinvest.detection.amplification import ENGAGEMENT_ACTIONS

    events = tables["events"]
    follows = events.where(F.col("action") == "follow")
    parts = [follows.orderBy(ROW).limit(1).select(ROW)]
    safe = events.select(ROW)
    if "amplification" in scopes:
        scope = scopes["amplification"]
        linked = _coaction_rows(scope, _accounts_of({k: v for k, v in served.items() if k[1] == "co_share_like"}))
        posts = events.where(F.col("action") == "post").join(linked.select("target_id").distinct(), "target_id",
                                                              "left_semi")
        parts += [linked.select(ROW), posts.select(ROW)]
        safe = events.where(~F.col("action").isin(list(ENGAGEMENT_ACTIONS))).select(ROW).unionByName(
            scope.kept.select(ROW))
    parts.append(safe.orderBy(ROW).limit(1))
    if whole_follows:
        parts.append(follows.select(ROW))
    else:
        farm = _accounts_of(served, "shared_attribute_edges")
        parts.append(follows.join(_id_frame(events.sparkSession, "account_id", farm), "account_id",
                                  "left_semi").select(ROW))
    rows = parts[0]
    for part in parts[1:]:
        rows = rows.unionByName(part)
    return rows


def _collect(frame: Any, name: str, rows: Any | None = None) -> Any:
    """Rows of one Spark table (all, or those whose ``_row`` is in ``rows``) through the local loader, in order."""
    from tsinvest.loading import load_table
    from tsinvest.schemas import TABLES
    from tsinvest.spark.results import utc_timestamps

    chosen = frame if rows is None else frame.join(rows.distinct(), ROW, "left_semi")
    table = chosen.toArrow().to_pandas()
    table = table.sort_values(ROW, kind="mergesort").drop(columns=ROW).reset_index(drop=True)
    for column in TABLES[name].time_columns:
        if column in table.columns:
            table[column] = utc_timestamps(table[column])
    return load_table(table, name)


def _scoped_tables(tables: Mapping[str, Any], served: Mapping[tuple[str, Any], tuple[dict[str, Any], Any]],
                   scopes: Mapping[str, _CoactionScope], chosen: list[str]) -> dict[str, Any]:
    """The pandas tables the local detectors read: scoped rows, or whole tables where a stage needs them whole."""
    whole = "ban_evasion" in chosen
    scoped = {}
    for name, frame in tables.items():
        if name == "events":
            scoped[name] = _collect(frame, name, _event_rows(tables, served, scopes, whole))
            if scoped[name].empty and frame.limit(1).count():
                scoped[name] = _collect(frame.orderBy(ROW).limit(1), name)
        elif name == "reports" and "mass_report" in scopes:
            scope = scopes["mass_report"]
            rows = _coaction_rows(scope, _accounts_of({k: v for k, v in served.items() if k[1] == "co_report"}))
            scoped[name] = _collect(frame, name, rows.select(ROW).unionByName(
                scope.kept.orderBy(ROW).limit(1).select(ROW)))
        elif name in ("logins", "accounts", "enforcements") and whole:
            scoped[name] = _collect(frame, name)
        elif name == "logins":
            scoped[name] = _collect(frame.orderBy(ROW).limit(1), name)
        elif name == "accounts":
            ids = _id_frame(frame.sparkSession, "account_id", _accounts_of(served))
            scoped[name] = _collect(frame, name, frame.join(ids, "account_id", "left_semi").select(ROW))
        else:
            scoped[name] = _collect(frame.limit(0), name)
    return scoped


def _settings(window: float | str | None, report_window: float | None,
              as_of: Any, tables: Mapping[str, Any]) -> tuple[float, float, Any]:
    """The windows in seconds and ``as_of`` (the latest time of events, reports and logins, from Spark)."""
    import math

    import pandas as pd
    from pyspark.sql import functions as F

    from tsinvest.detection.pipeline import DEFAULT_REPORT_WINDOW, DEFAULT_WINDOW

    if isinstance(window, str):
        raise ParameterError(f"window={window!r}: the Spark engine takes the window in seconds ('auto' is "
                             "estimated by the local engine)")
    seconds = DEFAULT_WINDOW if window is None else window
    reports = DEFAULT_REPORT_WINDOW if report_window is None else report_window
    for name, value in (("window", seconds), ("report_window", reports)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise ParameterError(f"{name}={value!r}: pass a positive number of seconds")
    if as_of is None:
        # Microseconds, not a Python datetime: collect() would convert to this process's zone.
        latest = [tables[name].agg(F.unix_micros(F.max("ts"))).collect()[0][0]
                  for name in ("events", "reports", "logins") if name in tables]
        latest = [value for value in latest if value is not None]
        as_of = pd.Timestamp(max(latest), unit="us", tz="UTC").as_unit("ns") if latest else None
    return float(seconds), float(reports), as_of


def _fix_exclusions(exclusions: dict[str, dict[str, int]], scopes: Mapping[str, _CoactionScope]) -> None:
    """Counts over whole tables, which the scoped local run cannot see (flooded and hot targets' actions)."""
    for kind, scope in scopes.items():
        if kind in exclusions:
            exclusions[kind]["flooded_targets"] = scope.flooded_targets
            exclusions[kind]["hot_target_actions"] = scope.hot_target_actions


def spark_detect(sources: Mapping[str, Any], *, spark: Any, seed: int = 0, window: float | None = None,
                 report_window: float | None = None, as_of: Any = None, n_permutations: int = 199,
                 min_cluster_size: int = 3, thresholds: Mapping[str, Mapping[str, float]] | None = None,
                 kinds: tuple[str, ...] | None = None, max_component_accounts: int = MAX_COMPONENT_ACCOUNTS,
                 progress: bool = False) -> Any:
    """:func:`tsinvest.detection.detect` on tables Spark reads; only the scoped rows reach this machine.

    Parameters
    ----------
    sources : mapping of table name to source
        Per canonical table (``events``, ``reports``, ``logins``, ``accounts``,
        ``enforcements``, ...): a Spark DataFrame, a path or URI Spark reads
        (Parquet file or folder, CSV/TSV, JSON lines), or a catalogue table
        name (``warehouse.events``); see :func:`tsinvest.spark.tables.folder_sources`
        for a local folder.
    spark : SparkSession
    seed, window, report_window, as_of, n_permutations, min_cluster_size, thresholds, kinds, progress
        As :func:`tsinvest.detection.detect` (``window`` in seconds; ``as_of``
        defaults to the latest time of the tables, computed on Spark).
    max_component_accounts : int
        Refuse, before collecting any edge, an edge table with a connected
        component of more accounts (:data:`MAX_COMPONENT_ACCOUNTS`).

    Returns
    -------
    DetectionResult
        Equal to the local engine's on the same tables; ``stage_seconds``
        adds ``spark_read``, ``spark_link``, ``spark_components`` and
        ``spark_collect``.

    Raises
    ------
    ParameterError
        A table misses a canonical column or holds missing/unreadable
        values (all listed at once), a component is too large, or an
        option is invalid.

    Notes
    -----
    What is collected, for the linking stages' edges ``E`` (of ``V``
    accounts) and the rows the later local stages read:

    * every edge table (``O(E)``), after the component check on Spark;
    * co-action kinds (events' shares/likes, reports): the actions of the
      accounts in that kind's edges, every action on the targets they acted
      on that are not hot (the burst share counts everyone acting there:
      at most the rows of those targets), the earliest and latest action
      (the null model's span), and the post events of those targets (the
      creator and publication time of the amplification null);
    * farm: the follow events of the accounts in its edges;
    * copy-paste: nothing beyond its edges;
    * accounts: the rows of the accounts in any edge;
    * ban evasion, when it runs, reads ``accounts``, ``logins``,
      ``enforcements`` and the follow events whole (its Fellegi-Sunter
      model draws random account pairs over all accounts), so a run on
      warehouse tables should leave it out (``kinds=``) unless those fit here;
    * one row of a table whose kind needs it present (the detectors'
      ``applies``), nothing of tables no detector reads.

    Flood and hot-target caps run on Spark over whole tables; their counts
    replace the scoped run's in ``exclusions``. The rows keep the order
    Spark read them in (``_row``), the local loader's order for one file.
    Times must be whole microseconds (Spark's precision).

    Examples
    --------
    >>> import pandas as pd
    >>> from tsinvest.spark import local_session
    >>> rows = [(f"00{m}", f"v{v}", 3600 * v + m) for v in range(8) for m in range(5)]
    >>> events = pd.DataFrame(rows, columns=["account_id", "target_id", "s"]).assign(action="share")
    >>> events["ts"] = pd.to_datetime(events.pop("s"), unit="s", utc=True)
    >>> spark = local_session()
    >>> result = spark_detect({"events": spark.createDataFrame(events)}, spark=spark, seed=1, n_permutations=99)
    >>> result.flagged_accounts("amplification")
    ['000', '001', '002', '003', '004']
    """
    from pyspark import StorageLevel

    from tsinvest.detection.registry import DETECTORS
    from tsinvest.spark.tables import canonical_tables

    unknown = sorted(set(thresholds or {}) - set(DETECTORS)) + sorted(set(kinds or ()) - set(DETECTORS))
    if unknown:
        raise ParameterError(f"unknown kind(s) {', '.join(unknown)} in thresholds/kinds; kinds are "
                             f"{', '.join(DETECTORS)}")
    limits = {kind: detector.limits((thresholds or {}).get(kind)) for kind, detector in DETECTORS.items()}
    clock = time.perf_counter()
    # Persisted once read: every stage below reads them again (disk when memory is short).
    tables = {name: frame.persist(StorageLevel.MEMORY_AND_DISK)
              for name, frame in canonical_tables(spark, sources).items()}
    try:
        return _spark_detect(tables, spark, clock, seed=seed, window=window, report_window=report_window,
                             as_of=as_of, n_permutations=n_permutations, min_cluster_size=min_cluster_size,
                             thresholds=thresholds, kinds=kinds, limits=limits,
                             max_component_accounts=max_component_accounts, progress=progress)
    finally:
        for frame in tables.values():
            frame.unpersist()


def _spark_detect(tables: dict[str, Any], spark: Any, clock: float, *, seed: int, window: float | None,
                  report_window: float | None, as_of: Any, n_permutations: int, min_cluster_size: int,
                  thresholds: Mapping[str, Mapping[str, float]] | None, kinds: tuple[str, ...] | None,
                  limits: Mapping[str, Mapping[str, float]], max_component_accounts: int, progress: bool) -> Any:
    """:func:`spark_detect` once the tables are read and persisted."""
    from tsinvest.detection import detect

    seconds: dict[str, float] = {}
    window_s, report_s, as_of = _settings(window, report_window, as_of, tables)
    chosen, counts = _chosen_kinds(tables, kinds)
    seconds["spark_read"], clock = round(time.perf_counter() - clock, 3), time.perf_counter()
    linked, scopes = _link(tables, chosen, limits, counts, window=window_s, report_window=report_s, seed=int(seed))
    for item in linked:  # computed here (and persisted), so the stage times below are their own
        item.edges.count()
    seconds["spark_link"], clock = round(time.perf_counter() - clock, 3), time.perf_counter()
    check_component_sizes({item.stage: item.edges for item in linked}, max_component_accounts)
    seconds["spark_components"], clock = round(time.perf_counter() - clock, 3), time.perf_counter()
    served = _collect_edges(linked)
    scoped = _scoped_tables(tables, served, scopes, chosen)
    seconds["spark_collect"] = round(time.perf_counter() - clock, 3)
    result = detect(scoped, seed=seed, window=window, report_window=report_window, as_of=as_of,
                    n_permutations=n_permutations, min_cluster_size=min_cluster_size, thresholds=thresholds,
                    kinds=kinds, progress=progress, linking=PrecomputedLinking(served))
    _fix_exclusions(result.exclusions, scopes)
    result.stage_seconds = {**seconds, **result.stage_seconds}
    result.stage_seconds.pop("load", None)
    return result
