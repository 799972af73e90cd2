"""Clusters of one signal family: dense components whole, the rest split by seeded Leiden."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["cluster_family"]


def cluster_family(edges: pd.DataFrame, *, seed: int, min_size: int, prefix: str,
                   dense_component: float = 0.5, weight: str = "weight") -> pd.DataFrame:
    """Membership table of one detector's edges.

    A bought ring or brigade is a near-clique: splitting it because some
    members hit more targets than others would cut it into pieces too small to
    judge, so a connected component at least ``dense_component`` dense stays
    whole. Sparser components (organic webs that a ring may touch) are split
    into communities with seeded Leiden
    (:func:`tsinvest.graph.communities.leiden`).

    Parameters
    ----------
    edges : DataFrame
        ``account_a``, ``account_b``, ``weight`` (several rows per pair add up).
    seed : int
    min_size : int
        Smallest cluster kept.
    prefix : str
        Cluster id prefix; ids hash the sorted member ids, so the same members
        always get the same id.
    dense_component : float
        Density (linked pairs / possible pairs) at which a component stays whole.
    weight : str
        Weight column used by Leiden.

    Returns
    -------
    DataFrame
        ``account_id``, ``cluster_id`` (see :func:`tsinvest.graph.communities.membership_table`).

    Notes
    -----
    Components with ``scipy.sparse.csgraph`` (``O(V + E)``), densities with
    one ``bincount``, Leiden in compiled code on the sparse components only.

    Examples
    --------
    A clique of four with a path of four hanging off it (density 0.36) splits in two:

    >>> import pandas as pd
    >>> pairs = [(a, b) for a in "abcd" for b in "abcd" if a < b] + [("d", "e"), ("e", "f"), ("f", "g"), ("g", "h")]
    >>> edges = pd.DataFrame(pairs, columns=["account_a", "account_b"]).assign(weight=1.0)
    >>> clusters = cluster_family(edges, seed=0, min_size=4, prefix="amp")
    >>> clusters.groupby("cluster_id")["account_id"].agg("".join).sort_values().tolist()
    ['abcd', 'efgh']
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from tsinvest.graph.communities import leiden, membership_table

    if edges.empty:
        return membership_table([], min_size=min_size, prefix=prefix)
    a = edges["account_a"].astype("string").to_numpy()
    b = edges["account_b"].astype("string").to_numpy()
    codes, names = pd.factorize(np.concatenate([a, b]), sort=True)
    left, right = codes[: len(a)], codes[len(a):]
    pair = np.unique(np.minimum(left, right).astype(np.int64) * len(names) + np.maximum(left, right))
    pair = pair[pair // len(names) != pair % len(names)]
    low, high = pair // len(names), pair % len(names)
    graph = coo_matrix((np.ones(len(pair)), (low, high)), shape=(len(names), len(names)))
    _, component = connected_components(graph, directed=False)
    sizes = np.bincount(component)
    links = np.bincount(component[low], minlength=len(sizes))
    possible = sizes * (sizes - 1) / 2
    density = np.divide(links, possible, out=np.zeros(len(sizes)), where=possible > 0)
    whole = (density >= dense_component) & (sizes >= min_size)
    groups = [group for _, group in pd.Series(names[whole[component]]).groupby(component[whole[component]])]
    sparse_component = (~whole) & (sizes >= min_size)
    keep = sparse_component[component[left]]
    parts = leiden(edges.loc[keep, ["account_a", "account_b", weight]].rename(columns={weight: "weight"}),
                   seed=seed, min_size=min_size, prefix=prefix)
    dense = membership_table((group.tolist() for group in groups), min_size=min_size, prefix=prefix)
    table = pd.concat([dense, parts], ignore_index=True)
    sizes_of = table.groupby("cluster_id")["account_id"].transform("size")
    table = table.assign(size=sizes_of).sort_values(["size", "cluster_id", "account_id"], ascending=[False, True, True],
                                                    kind="mergesort")
    return table.drop(columns="size").reset_index(drop=True)
