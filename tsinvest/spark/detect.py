"""``detect`` with Spark doing the heavy linking stages; clustering and scoring stay local.

:class:`SparkLinking` plugs into :func:`tsinvest.detection.detect` (``linking=``):
co-action edges, shared-attribute edges and copy-paste candidates run on
Spark and come back as the local engine's pandas tables, so every later step
(components, Leiden per component, null models, scores, outputs) is the
local code. The community step needs each connected component of an edge
table in memory on this machine; components larger than
:data:`MAX_COMPONENT_ACCOUNTS` are refused with a clear message.
"""

from __future__ import annotations

from typing import Any

from tsinvest.detection.linking import Linking

__all__ = ["SparkLinking", "MAX_COMPONENT_ACCOUNTS", "largest_component"]

#: Largest connected component (accounts) of one edge table that the local
#: community step takes. Leiden on a component of a million accounts with
#: tens of millions of edges needs a few GiB and minutes on one machine; a
#: component larger than that is a hairball (a viral target, a hub value
#: that escaped the caps), not a coordinated group, and should be narrowed first.
MAX_COMPONENT_ACCOUNTS = 1_000_000


def largest_component(edges: Any) -> int:
    """Accounts in the largest connected component of an edge table (0 when empty), ``O(V + E)``."""
    import numpy as np
    import pandas as pd
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if edges.empty:
        return 0
    codes, names = pd.factorize(
        np.concatenate([edges["account_a"].astype(str).to_numpy(), edges["account_b"].astype(str).to_numpy()])
    )
    half = len(edges)
    graph = coo_matrix((np.ones(half), (codes[:half], codes[half:])), shape=(len(names), len(names)))
    _, component = connected_components(graph, directed=False)
    return int(np.bincount(component).max())


class SparkLinking(Linking):
    """The three linking stages on a Spark session, returning the local engine's pandas tables.

    Parameters
    ----------
    spark : SparkSession
        Where the stages run (:func:`tsinvest.spark.local_session`, or a
        cluster's session).
    max_component_accounts : int
        Refuse an edge table whose largest connected component has more
        accounts (see :data:`MAX_COMPONENT_ACCOUNTS`).

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

    def _checked(self, edges: Any, stage: str) -> Any:
        size = largest_component(edges)
        if size > self.max_component_accounts:
            from tsinvest.exceptions import ParameterError

            raise ParameterError(
                f"{stage}: one connected component of the edges has {size:,} accounts, more than the "
                f"{self.max_component_accounts:,} the local community step takes (max_component_accounts); "
                "narrow the data (a time range, fewer actions), tighten the caps or the window, or raise the limit "
                "on a machine with the memory for it"
            )
        return edges

    def coordination_edges(self, events: Any, **options: Any) -> Any:
        """Co-action edges on Spark (:func:`tsinvest.spark.coordination_edges`), ``attrs["stats"]`` as locally."""
        from tsinvest.spark.coordination import coordination_edges

        result = coordination_edges(events, spark=self.spark, **options)
        windowed = result.windowed_pairs()
        edges = result.to_pandas()
        edges.attrs["stats"]["windowed_pairs"] = windowed
        return self._checked(edges, "co-action edges")

    def shared_attribute_edges(self, table: Any, **options: Any) -> Any:
        """Shared-attribute edges on Spark (:func:`tsinvest.spark.shared_attribute_edges`)."""
        from tsinvest.spark.shared_attributes import shared_attribute_edges

        edges = shared_attribute_edges(table, spark=self.spark, **options).to_pandas()
        return self._checked(edges, "shared-attribute edges")

    def copy_paste_edges(self, events: Any, **options: Any) -> Any:
        """Copy-paste edges on Spark (:func:`tsinvest.spark.copy_paste_edges`); ``progress`` is ignored."""
        from tsinvest.spark.copy_paste import copy_paste_edges

        options.pop("progress", None)
        edges = copy_paste_edges(events, spark=self.spark, **options).to_pandas()
        return self._checked(edges, "copy-paste edges")
