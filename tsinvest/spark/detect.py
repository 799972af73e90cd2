"""``detect`` with Spark doing the heavy linking stages on frames already in memory; clustering and scoring stay local.

:class:`SparkLinking` plugs into :func:`tsinvest.detection.detect` (``linking=``):
co-action edges, shared-attribute edges and copy-paste candidates run on
Spark and come back as the local engine's pandas tables, so every later step
(components, Leiden per component, null models, scores, outputs) is the
local code. The community step needs each connected component of an edge
table in memory on this machine; components larger than
:data:`MAX_COMPONENT_ACCOUNTS` are refused on Spark, before the edges are collected.

For tables that should stay in Spark (warehouse tables, paths only Spark
reads), :func:`tsinvest.spark.scoped.spark_detect` reads them there and
collects only the rows the local stages need.
"""

from __future__ import annotations

from typing import Any

from tsinvest.detection.linking import Linking
from tsinvest.spark.components import MAX_COMPONENT_ACCOUNTS, check_component_sizes

__all__ = ["SparkLinking", "MAX_COMPONENT_ACCOUNTS"]


class SparkLinking(Linking):
    """The three linking stages on a Spark session, returning the local engine's pandas tables.

    Parameters
    ----------
    spark : SparkSession
        Where the stages run (:func:`tsinvest.spark.local_session`, or a
        cluster's session).
    max_component_accounts : int
        Refuse an edge table whose largest connected component has more
        accounts (see :data:`MAX_COMPONENT_ACCOUNTS`); checked on Spark
        (:func:`tsinvest.spark.components.check_component_sizes`) before
        the edges are collected.

    Examples
    --------
    >>> import pandas as pd
    >>> from tsinvest.detection import detect
    >>> from tsinvest.spark import local_session
    >>> rows = [(f"00{m}", f"v{v}", 3600 * v + m) for v in range(8) for m in range(5)]
    >>> events = pd.DataFrame(rows, columns=["account_id", "target_id", "s"]).assign(action="share")
    >>> events["ts"] = pd.to_datetime(events.pop("s"), unit="s", utc=True)
    >>> result = detect({"events": events}, seed=1, n_permutations=99, progress=False,
    ...                 linking=SparkLinking(local_session()))
    >>> result.flagged_accounts("amplification")
    ['000', '001', '002', '003', '004']
    """

    name = "spark"

    def __init__(self, spark: Any, *, max_component_accounts: int = MAX_COMPONENT_ACCOUNTS) -> None:
        self.spark = spark
        self.max_component_accounts = max_component_accounts

    def _checked(self, table: Any, stage: str) -> Any:
        """``table`` (a Spark result with ``.edges``) with its edges persisted and their components checked."""
        table.edges = table.edges.persist()
        check_component_sizes({stage: table.edges}, self.max_component_accounts)
        return table

    def coordination_edges(self, events: Any, **options: Any) -> Any:
        """Co-action edges on Spark (:func:`tsinvest.spark.coordination_edges`), ``attrs["stats"]`` as locally."""
        from tsinvest.spark.coordination import coordination_edges

        result = self._checked(coordination_edges(events, spark=self.spark, **options), "co-action edges")
        windowed = result.windowed_pairs()
        edges = result.to_pandas()
        result.edges.unpersist()
        edges.attrs["stats"]["windowed_pairs"] = windowed
        return edges

    def shared_attribute_edges(self, table: Any, **options: Any) -> Any:
        """Shared-attribute edges on Spark (:func:`tsinvest.spark.shared_attribute_edges`)."""
        from tsinvest.spark.shared_attributes import shared_attribute_edges

        result = self._checked(shared_attribute_edges(table, spark=self.spark, **options), "shared-attribute edges")
        edges = result.to_pandas()
        result.edges.unpersist()
        return edges

    def copy_paste_edges(self, events: Any, **options: Any) -> Any:
        """Copy-paste edges on Spark (:func:`tsinvest.spark.copy_paste_edges`); ``progress`` is ignored."""
        from tsinvest.spark.copy_paste import copy_paste_edges

        options.pop("progress", None)
        result = self._checked(copy_paste_edges(events, spark=self.spark, **options), "copy-paste edges")
        edges = result.to_pandas()
        result.edges.unpersist()
        return edges
