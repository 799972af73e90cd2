"""Connected components of an account graph on Spark DataFrames (large-star / small-star).

GraphFrames would need a JVM package from a repository these machines cannot
reach (and has no Louvain either); components are a few joins and
aggregations. The community step (Louvain) stays local, per component.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tsinvest.exceptions import ParameterError
from tsinvest.schemas import require_columns

__all__ = ["connected_components", "check_component_sizes", "MAX_COMPONENT_ACCOUNTS"]

#: Largest connected component (accounts) of one edge table that the local
#: community step takes. Leiden on a component of a million accounts with
#: tens of millions of edges needs a few GiB and minutes on one machine; a
#: component larger than that is a hairball (a viral target, a hub value
#: that escaped the caps), not a coordinated group, and should be narrowed first.
MAX_COMPONENT_ACCOUNTS = 1_000_000


def _large_star(edges: Any) -> Any:
    """Every node links its larger neighbours to the smallest node of its closed neighbourhood."""
    from pyspark.sql import functions as F

    both = edges.unionByName(edges.select(F.col("v").alias("u"), F.col("u").alias("v")))
    smallest = both.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
    return both.join(smallest, "u").where(F.col("v") > F.col("u")).select(F.col("v").alias("u"), F.col("m").alias("v"))


def _small_star(edges: Any) -> Any:
    """Every node links itself and its smaller neighbours to the smallest of them."""
    from pyspark.sql import functions as F

    oriented = edges.select(F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v"))
    smallest = oriented.groupBy("u").agg(F.min("v").alias("m"))
    linked = oriented.join(smallest, "u").select(F.col("v").alias("u"), F.col("m").alias("v"))
    centre = smallest.select("u", F.col("m").alias("v"))
    return linked.unionByName(centre).where(F.col("u") != F.col("v"))


def connected_components(
    edges: Any,
    *,
    source: str = "account_a",
    target: str = "account_b",
    min_size: int = 2,
    prefix: str = "c",
    max_rounds: int = 64,
) -> Any:
    """Connected components of an edge table, as :func:`tsinvest.graph.components`' membership table.

    Parameters
    ----------
    edges : pyspark.sql.DataFrame
        One row per edge (e.g. ``SparkEdges.edges``); direction and weight are ignored.
    source, target : str
        Columns holding the two account ids.
    min_size : int
        Smallest component kept.
    prefix : str
        Cluster id prefix (:func:`tsinvest.graph.communities.cluster_id_for`).
    max_rounds : int
        Safety bound on the rounds; the algorithm needs ``O(log^2 n)``.

    Returns
    -------
    pyspark.sql.DataFrame
        Columns ``account_id``, ``cluster_id`` (prefix + the first 10 hex
        digits of the SHA-1 of the sorted member ids joined by newlines, as
        locally), sorted by component size descending, then ``cluster_id``,
        ``account_id``. ``toPandas()`` equals the local table once the id
        columns are cast to ``"string"``.

    Raises
    ------
    ParameterError
        Bad ``min_size``/``max_rounds``, or a missing column.

    Notes
    -----
    Alternating large-star and small-star rounds (Kiveris et al., "Connected
    Components in MapReduce and Beyond", SoCC 2014) until a round changes
    nothing; every component is then a star around its smallest id. Each
    round is two aggregations and two joins on node ids (no join on a
    popular key beyond a node's own neighbourhood); the lineage is cut every
    round (``localCheckpoint``).
    """
    if not isinstance(min_size, int) or min_size < 1 or not isinstance(max_rounds, int) or max_rounds < 1:
        raise ParameterError("min_size and max_rounds must be integers >= 1")
    require_columns(edges.columns, {"source": source, "target": target}, name="edges")
    from pyspark.sql import functions as F

    current = (
        edges.select(F.col(source).cast("string").alias("u"), F.col(target).cast("string").alias("v"))
        .where(F.col("u").isNotNull() & F.col("v").isNotNull() & (F.col("u") != F.col("v")))
        .select(F.least("u", "v").alias("u"), F.greatest("u", "v").alias("v"))
        .distinct()
        .localCheckpoint()
    )
    for _ in range(max_rounds):
        following = _small_star(_large_star(current)).distinct().localCheckpoint()
        changed = following.exceptAll(current).limit(1).count() + current.exceptAll(following).limit(1).count()
        current = following
        if not changed:
            break
    else:
        raise ParameterError(f"connected components did not converge in max_rounds={max_rounds}; raise it")
    labels = (
        current.select("u", F.col("v").alias("root"))
        .unionByName(current.select(F.col("v").alias("u"), F.col("v").alias("root")))
        .groupBy("u")
        .agg(F.min("root").alias("root"))
    )
    groups = (
        labels.groupBy("root")
        .agg(
            F.count(F.lit(1)).alias("size"),
            F.concat(
                F.lit(prefix + "-"), F.substring(F.sha1(F.concat_ws("\n", F.array_sort(F.collect_list("u")))), 1, 10)
            ).alias("cluster_id"),
        )
        .where(F.col("size") >= min_size)
    )
    return (
        labels.join(groups, "root")
        .select(F.col("u").alias("account_id"), "cluster_id", "size")
        .orderBy(F.col("size").desc(), "cluster_id", "account_id")
        .drop("size")
    )


def check_component_sizes(edge_tables: Mapping[str, Any], max_component_accounts: int) -> None:
    """Refuse when one connected component of an edge table exceeds ``max_component_accounts`` accounts, on Spark.

    Parameters
    ----------
    edge_tables : mapping of str to pyspark.sql.DataFrame
        Stage name (used in the message) -> edge table (``account_a``, ``account_b``).
    max_component_accounts : int

    Raises
    ------
    ParameterError
        Naming the first stage (in the mapping's order) with a component
        too large, its size and the limit.

    Notes
    -----
    One run of :func:`tsinvest.spark.connected_components` on the union of
    the tables, account ids prefixed by the stage's position (components
    never span two tables), keeping components above the limit: only their
    sizes are collected. ``O((V + E) log^2 V)`` shuffled rows; a distinct
    count per table first skips the tables with fewer accounts than the
    limit (the common case), ``O(V + E)``.
    """
    from pyspark.sql import functions as F

    names = list(edge_tables)
    union = None
    for position, name in enumerate(names):
        edges = edge_tables[name]
        # A component is never larger than its table's accounts: tables under the limit need no components.
        nodes = edges.select(F.col("account_a").alias("node")).unionByName(
            edges.select(F.col("account_b").alias("node")))
        if nodes.distinct().count() <= max_component_accounts:
            continue
        prefixed = edges.select(
            F.concat(F.lit(f"{position}:"), F.col("account_a")).alias("account_a"),
            F.concat(F.lit(f"{position}:"), F.col("account_b")).alias("account_b"))
        union = prefixed if union is None else union.unionByName(prefixed)
    if union is None:
        return
    large = connected_components(union, min_size=int(max_component_accounts) + 1)
    sizes = (large.groupBy("cluster_id").agg(F.count(F.lit(1)).alias("size"), F.first("account_id").alias("member"))
             .select(F.substring_index("member", ":", 1).cast("int").alias("position"), "size").collect())
    if not sizes:
        return
    position, size = min((row["position"], -row["size"]) for row in sizes)
    raise ParameterError(
        f"{names[position]}: one connected component of the edges has {-size:,} accounts, more than the "
        f"{max_component_accounts:,} the local community step takes (max_component_accounts); "
        "narrow the data (a time range, fewer actions), tighten the caps or the window, or raise the limit "
        "on a machine with the memory for it"
    )
