"""Clusters of accounts in an account graph: components, Louvain communities, k-cores.

Every clustering returns the same *membership table*: one row per
(account_id, cluster_id), sorted by cluster size (desc), then cluster id, then
account id. Cluster ids are derived from the sorted member ids, so the same
members always get the same id, whatever order the data came in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import networkx as nx
import numpy as np
import pandas as pd

from tsinvest.exceptions import ParameterError

__all__ = ["cluster_id_for", "membership_table", "components", "louvain", "leiden", "coded_pairs", "leiden_codes",
           "split_by_label", "edges_within_clusters", "edges_among_members", "k_core"]


def cluster_id_for(members: Iterable[str], *, prefix: str = "c") -> str:
    """A stable id for a set of accounts: prefix + 10 hex digits of a hash of the sorted ids.

    Examples
    --------
    >>> cluster_id_for(["2", "1"]) == cluster_id_for(["1", "2"])
    True
    >>> cluster_id_for(["1", "2"], prefix="amp").startswith("amp-")
    True
    """
    digest = hashlib.sha1("\n".join(sorted(str(m) for m in members)).encode("utf-8")).hexdigest()
    return f"{prefix}-{digest[:10]}"


def membership_table(groups: Iterable[Iterable[str]], *, min_size: int = 2, prefix: str = "c") -> pd.DataFrame:
    """Turn groups of account ids into a sorted membership table.

    Examples
    --------
    >>> membership_table([{"b", "a"}, {"c"}], min_size=2)["account_id"].tolist()
    ['a', 'b']
    """
    rows: list[tuple[str, str, int]] = []
    for group in groups:
        members = sorted({str(m) for m in group})
        if len(members) < min_size:
            continue
        cid = cluster_id_for(members, prefix=prefix)
        rows.extend((m, cid, len(members)) for m in members)
    table = pd.DataFrame(rows, columns=["account_id", "cluster_id", "size"])
    table = table.astype({"account_id": "string", "cluster_id": "string", "size": "int64"})
    table = table.sort_values(["size", "cluster_id", "account_id"], ascending=[False, True, True])
    return table.drop(columns="size").reset_index(drop=True)


def _check_graph(G: object) -> None:
    if not isinstance(G, nx.Graph) or G.is_directed():
        raise ParameterError("G must be an undirected networkx.Graph (see tsinvest.graph.account_graph)")


def components(G: nx.Graph, *, min_size: int = 2, prefix: str = "c") -> pd.DataFrame:
    """Connected components as a membership table.

    Parameters
    ----------
    G : networkx.Graph
    min_size : int
        Smallest component kept.
    prefix : str
        Cluster id prefix.

    Returns
    -------
    DataFrame
        Columns ``account_id``, ``cluster_id``.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.Graph([("a", "b"), ("c", "d"), ("d", "e")])
    >>> components(G).groupby("cluster_id").size().sort_values().tolist()
    [2, 3]
    """
    _check_graph(G)
    return membership_table(nx.connected_components(G), min_size=min_size, prefix=prefix)


def louvain(G: nx.Graph, *, seed: int = 0, resolution: float = 1.0, weight: str | None = "weight",
            min_size: int = 2, prefix: str = "c") -> pd.DataFrame:
    """Louvain communities (modularity) as a membership table.

    Louvain runs per connected component, so a community never spans two
    components, and nodes are visited in sorted order, so the result depends
    only on the graph and ``seed``.

    Parameters
    ----------
    G : networkx.Graph
    seed : int
        Seed of Louvain's random node order.
    resolution : float
        Above 1 favours smaller communities.
    weight : str or None
        Edge attribute used as weight (None: unweighted).
    min_size : int
        Smallest community kept.
    prefix : str
        Cluster id prefix.

    Notes
    -----
    Roughly O(E log V). A near-clique (a bought ring) stays whole; a sparse
    web of heavy users splits into loose communities, which the scoring then
    judges on density and coordinated share.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.disjoint_union(nx.complete_graph(4), nx.complete_graph(4))
    >>> G = nx.relabel_nodes(G, str); G.add_edge("0", "4")
    >>> louvain(G, seed=1).groupby("cluster_id").size().tolist()
    [4, 4]
    """
    _check_graph(G)
    groups = []
    for component in sorted(nx.connected_components(G), key=lambda c: sorted(c)[0]):
        if len(component) < min_size:
            continue
        if len(component) <= 3:
            groups.append(component)
            continue
        # Rebuild the component with sorted nodes and edges: Louvain's result
        # depends on insertion order, which must not depend on input order.
        sub = nx.Graph()
        sub.add_nodes_from(sorted(component))
        sub.add_edges_from(sorted(
            (min(u, v), max(u, v), {"weight": float(d.get(weight, 1.0)) if weight else 1.0})
            for u, v, d in G.subgraph(component).edges(data=True)
        ))
        groups.extend(nx.community.louvain_communities(sub, weight="weight", resolution=resolution, seed=seed))
    return membership_table(groups, min_size=min_size, prefix=prefix)


def leiden(edges: pd.DataFrame, *, seed: int = 0, resolution: float = 1.0, min_size: int = 2,
           prefix: str = "c", weight: str = "weight") -> pd.DataFrame:
    """Leiden communities (modularity) of an edge table, as a membership table.

    Parameters
    ----------
    edges : DataFrame
        ``account_a``, ``account_b`` and ``weight`` (one row per pair; rows of
        the same pair add up).
    seed : int
        Seed of Leiden's random steps.
    resolution : float
        Above 1 favours smaller communities.
    min_size : int
        Smallest community kept.
    prefix : str
        Cluster id prefix.
    weight : str
        Column holding the edge weight.

    Returns
    -------
    DataFrame
        ``account_id``, ``cluster_id`` (see :func:`membership_table`).

    Notes
    -----
    Runs the compiled Leiden of ``graspologic-native`` (MIT licence, Rust):
    Leiden (Traag, Waltman and van Eck 2019) refines Louvain so that every
    community is connected, and the compiled code takes seconds on millions of
    edges where networkx's pure-Python Louvain takes minutes. Edges are passed
    as integer pairs sorted by account id (:func:`coded_pairs`), so the result
    depends only on the pairs and ``seed``, not on row order or pair
    direction: ``O(E log E)`` for the coding, roughly ``O(E)`` per Leiden
    pass. igraph and leidenalg are GPL, hence not used.

    Examples
    --------
    >>> import pandas as pd
    >>> pairs = [(f"a{i}", f"a{j}") for i in range(4) for j in range(i + 1, 4)]
    >>> pairs += [(f"b{i}", f"b{j}") for i in range(4) for j in range(i + 1, 4)] + [("a0", "b0")]
    >>> edges = pd.DataFrame(pairs, columns=["account_a", "account_b"]).assign(weight=1.0)
    >>> leiden(edges, seed=1).groupby("cluster_id").size().tolist()
    [4, 4]
    """
    if edges.empty:
        return membership_table([], min_size=min_size, prefix=prefix)
    names, low, high, pair_weight = coded_pairs(edges, weight=weight)
    if not len(low):
        return membership_table([], min_size=min_size, prefix=prefix)
    nodes, community = leiden_codes(low, high, pair_weight, seed=seed, resolution=resolution)
    return membership_table((names[group] for group in split_by_label(nodes, community)), min_size=min_size,
                            prefix=prefix)


def coded_pairs(edges: pd.DataFrame, *, weight: str = "weight") -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                         np.ndarray]:
    """Account names and the edges as integer pairs, one per linked pair, for compiled graph code.

    Returns ``names`` (sorted), then ``low``, ``high`` (codes into ``names``,
    ``low < high``, sorted by (low, high); self-pairs and missing ids
    dropped) and the summed ``weight`` of each pair. Because the names are
    sorted, the order of the pairs is the order of (smaller id, larger id) as
    text. ``O(E log E)``.

    Examples
    --------
    >>> import pandas as pd
    >>> e = pd.DataFrame({"account_a": ["b", "a", "c"], "account_b": ["a", "b", "c"], "weight": [1.0, 2.0, 5.0]})
    >>> names, low, high, weight = coded_pairs(e)
    >>> names.tolist(), low.tolist(), high.tolist(), weight.tolist()
    (['a', 'b', 'c'], [0], [1], [3.0])
    """
    a = edges["account_a"].astype("string").to_numpy(dtype=object)
    b = edges["account_b"].astype("string").to_numpy(dtype=object)
    codes, names = pd.factorize(np.concatenate([a, b]), sort=True)
    left, right = codes[: len(a)].astype(np.int64), codes[len(a):].astype(np.int64)
    # A missing id (code -1) links nothing, as a self-pair links nothing.
    keep = (left != right) & (left >= 0) & (right >= 0)
    key = np.minimum(left, right)[keep] * len(names) + np.maximum(left, right)[keep]
    # pandas' grouped sum (compensated), as the weights were always added.
    summed = pd.Series(edges[weight].to_numpy(dtype="float64")[keep]).groupby(key, sort=True).sum()
    pairs = summed.index.to_numpy(dtype=np.int64)
    return np.asarray(names, dtype=object), pairs // len(names), pairs % len(names), summed.to_numpy()


def leiden_codes(low: np.ndarray, high: np.ndarray, weight: np.ndarray, *, seed: int = 0,
                 resolution: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Compiled Leiden on the integer pairs of :func:`coded_pairs`: (node codes, community per node).

    The pairs go to ``graspologic-native`` in the order given, with each code
    as its label, so the partition depends only on the pairs and ``seed``.
    """
    from graspologic_native import leiden as compiled_leiden

    labelled = list(zip(low.astype(str).tolist(), high.astype(str).tolist(), np.asarray(weight, dtype="float64")
                        .tolist(), strict=True))
    _, community = compiled_leiden(labelled, resolution=resolution, seed=int(seed) + 1, trials=1)
    nodes = np.fromiter((int(label) for label in community), dtype=np.int64, count=len(community))
    return nodes, np.fromiter(community.values(), dtype=np.int64, count=len(community))


def split_by_label(items: np.ndarray, labels: np.ndarray) -> list[np.ndarray]:
    """``items`` cut into one array per distinct label, in label order (one stable sort).

    Examples
    --------
    >>> import numpy as np
    >>> [part.tolist() for part in split_by_label(np.array([5, 6, 7]), np.array([1, 0, 1]))]
    [[6], [5, 7]]
    """
    order = np.argsort(labels, kind="stable")
    cuts = np.flatnonzero(np.diff(labels[order])) + 1
    return np.split(items[order], cuts)


def edges_within_clusters(edges: pd.DataFrame, memberships: pd.DataFrame) -> pd.DataFrame:
    """The edges whose two accounts sit in the same cluster, with that ``cluster_id``.

    The one place that decides which edges belong to a cluster: features,
    dominant signals and evidence all read it.

    Parameters
    ----------
    edges : DataFrame
        ``account_a``, ``account_b`` and any other columns.
    memberships : DataFrame
        ``account_id``, ``cluster_id``; an account may sit in several clusters.

    Returns
    -------
    DataFrame
        ``cluster_id`` plus the edge columns, one row per (cluster, edge),
        sorted by cluster_id, account_a, account_b.

    Notes
    -----
    Two hash joins on the account columns: ``O(E + N)``.

    Examples
    --------
    >>> import pandas as pd
    >>> e = pd.DataFrame({"account_a": ["1", "1"], "account_b": ["2", "3"], "weight": [2, 5]})
    >>> m = pd.DataFrame({"account_id": ["1", "2", "3"], "cluster_id": ["c", "c", "d"]})
    >>> edges_within_clusters(e, m)[["cluster_id", "account_a", "account_b"]].values.tolist()
    [['c', '1', '2']]
    """
    members = memberships[["account_id", "cluster_id"]].astype("string").drop_duplicates()
    frame = edges.assign(account_a=edges["account_a"].astype("string"), account_b=edges["account_b"].astype("string"))
    inside = frame.merge(members.rename(columns={"account_id": "account_a"}), on="account_a")
    inside = inside.merge(members.rename(columns={"account_id": "account_b", "cluster_id": "cluster_b"}),
                          on="account_b")
    inside = inside[inside["cluster_id"] == inside["cluster_b"]].drop(columns="cluster_b")
    columns = ["cluster_id", *[c for c in edges.columns]]
    inside = inside[columns].sort_values(["cluster_id", "account_a", "account_b"], kind="mergesort")
    return inside.reset_index(drop=True)


def edges_among_members(edges: pd.DataFrame, memberships: pd.DataFrame) -> pd.DataFrame:
    """The edges whose two accounts are both members of some cluster, each edge once.

    What to hand :func:`tsinvest.scoring.cluster_features`, which finds each
    cluster's own edges itself: the rows of :func:`edges_within_clusters`
    repeat an edge for every cluster that holds both its accounts, so when
    clusters overlap (a component and its parts) they would count it twice.

    Notes
    -----
    Two hash look-ups per edge: ``O(E + N)``.

    Examples
    --------
    >>> import pandas as pd
    >>> e = pd.DataFrame({"account_a": ["1", "1"], "account_b": ["2", "3"], "weight": [2, 5]})
    >>> m = pd.DataFrame({"account_id": ["1", "2", "1", "2"], "cluster_id": ["c", "c", "d", "d"]})
    >>> edges_among_members(e, m)["weight"].tolist()
    [2]
    """
    members = pd.Index(memberships["account_id"].astype("string").unique())
    inside = (members.get_indexer(edges["account_a"].astype("string")) >= 0) & (
        members.get_indexer(edges["account_b"].astype("string")) >= 0)
    return edges[inside].reset_index(drop=True)


def k_core(G: nx.Graph, k: int | None = None) -> nx.Graph:
    """The k-core: the largest subgraph where every account has at least k links.

    Parameters
    ----------
    G : networkx.Graph
    k : int, optional
        Core order; default the graph's largest (the main core).

    Returns
    -------
    networkx.Graph
        A copy; each node has ``core_number`` (its core number in ``G``).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.complete_graph(["a", "b", "c", "d"]); G.add_edge("d", "e")
    >>> sorted(k_core(G))
    ['a', 'b', 'c', 'd']
    >>> sorted(k_core(G, 1))
    ['a', 'b', 'c', 'd', 'e']
    """
    _check_graph(G)
    if k is not None and k < 0:
        raise ParameterError("k must be 0 or more")
    H = G.copy()
    H.remove_edges_from(list(nx.selfloop_edges(H)))
    numbers = nx.core_number(H)
    core = nx.k_core(H, k=k, core_number=numbers).copy()
    for node in core.nodes:
        core.nodes[node]["core_number"] = numbers[node]
    return core
