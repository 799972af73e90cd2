"""Clusters of one signal family: dense components whole, the rest split by seeded Leiden."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["cluster_family", "MAX_SPLIT_ROUNDS", "SPLIT_DENSITY_GAIN", "SPLIT_MIN_ACCOUNTS"]

#: Rounds of re-splitting a sparse community that hides a dense group (see :func:`cluster_family`).
MAX_SPLIT_ROUNDS = 3
#: A sparse community is replaced by its Leiden sub-communities when one of
#: them (of at least ``min_size`` accounts) is this many times as dense as it
#: and at least ``dense_component`` dense.
SPLIT_DENSITY_GAIN = 3.0
#: Smallest community that is re-split: modularity's resolution limit merges a
#: ring into a *large* sparse community (one of 201 accounts on a tuning
#: folder); re-splitting every small one cost seconds per million events
#: (hundreds of Leiden runs) and cut organic webs into small dense pieces.
SPLIT_MIN_ACCOUNTS = 50


def cluster_family(edges: pd.DataFrame, *, seed: int, min_size: int, prefix: str,
                   dense_component: float = 0.5, also_split_below: float = 0.0,
                   weight: str = "weight") -> pd.DataFrame:
    """Membership table of one detector's edges.

    A bought ring or brigade is a near-clique: splitting it because some
    members hit more targets than others would cut it into pieces too small to
    judge, so a connected component at least ``dense_component`` dense stays
    whole. Sparser components (organic webs that a ring may touch) are split
    into communities with seeded Leiden
    (:func:`tsinvest.graph.communities.leiden`). Modularity has a resolution
    limit: in a large sparse web, a ring that is a near-clique can be merged
    with the loosely linked accounts around it (the blend-in activity of other
    adversaries, say) into one sparse community where no rule sees it. A
    community sparser than ``dense_component`` is therefore split again by
    Leiden on its own edges, and the split is kept when one part is a dense
    group (at least ``dense_component`` and :data:`SPLIT_DENSITY_GAIN` times
    the community's density), for up to :data:`MAX_SPLIT_ROUNDS` rounds, in
    communities of at least :data:`SPLIT_MIN_ACCOUNTS` accounts. A
    homogeneous sparse group (a ring whose members joined few of its targets)
    has no such part and stays whole.

    Two near-cliques that share a few members (two brigades of one policy
    hitting some victims in common) make one component that is dense enough
    to stay whole yet looser than either group. A whole component sparser
    than ``also_split_below`` (and of at least twice ``min_size`` accounts)
    is therefore also split by Leiden on its own edges, and its parts are
    added beside it: an account may then sit in the whole and in one part,
    and each cluster is judged on its own. The same holds for a Leiden
    community of a sparse component at least ``dense_component`` dense and
    of at least :data:`SPLIT_MIN_ACCOUNTS` accounts: run on the whole graph,
    Leiden keeps two such groups together when the rest of the graph is big
    (two farms joined by one shared customer, a community of 50 inside a
    component of 61, project adaptive 21009), and on their own edges it
    parts them. Smaller communities are not parted, for the reason the
    re-splitting above is limited: on the committed sample, parting every
    loose community of 11-35 co-followers made 12 parts, one an organic
    group of 7 focused enough to pass the farm rule.

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
    also_split_below : float
        A whole component sparser than this also yields its Leiden parts as
        clusters of their own (0, the default: never).
    weight : str
        Weight column used by Leiden.

    Returns
    -------
    DataFrame
        ``account_id``, ``cluster_id`` (see :func:`tsinvest.graph.communities.membership_table`).

    Notes
    -----
    Components with ``scipy.sparse.csgraph`` (``O(V + E)``), densities with
    one ``bincount``, Leiden in compiled code on the sparse components only;
    each re-splitting round runs Leiden once per sparse community on its own
    edges, ``O(E)`` per round, and the loose whole components and
    communities are split once each on their own edges, ``O(E)`` in all.

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

    from tsinvest.graph.communities import coded_pairs, leiden, membership_table

    if edges.empty:
        return membership_table([], min_size=min_size, prefix=prefix)
    names, low, high, pair_weight = coded_pairs(edges, weight=weight)
    graph = coo_matrix((np.ones(len(low)), (low, high)), shape=(len(names), len(names)))
    _, component = connected_components(graph, directed=False)
    sizes = np.bincount(component)
    density = _density(np.bincount(component[low], minlength=len(sizes)), sizes)
    whole = (density >= dense_component) & (sizes >= min_size)

    def pairs_of(chosen: np.ndarray) -> pd.DataFrame:
        """The linked pairs inside the chosen components, as an edge table."""
        inside = chosen[component[low]]
        return pd.DataFrame({"account_a": names[low[inside]], "account_b": names[high[inside]],
                             "weight": pair_weight[inside]})

    groups = [group for _, group in pd.Series(names[whole[component]]).groupby(component[whole[component]])]
    sparse_edges = pairs_of((~whole) & (sizes >= min_size))
    parts = leiden(sparse_edges, seed=seed, min_size=min_size, prefix=prefix)
    parts = _split_hidden_dense_groups(parts, sparse_edges, seed=seed, min_size=min_size, prefix=prefix,
                                       dense_component=dense_component)
    dense = membership_table((group.tolist() for group in groups), min_size=min_size, prefix=prefix)
    loose_dense = _parts_of_loose(dense, names, low, high, pair_weight, densities=(dense_component, also_split_below),
                                  min_accounts=2 * min_size, seed=seed, min_size=min_size, prefix=prefix)
    loose_parts = _parts_of_loose(parts, names, low, high, pair_weight, densities=(dense_component, also_split_below),
                                  min_accounts=max(SPLIT_MIN_ACCOUNTS, 2 * min_size), seed=seed, min_size=min_size,
                                  prefix=prefix)
    overlapping = pd.concat([loose_dense, loose_parts], ignore_index=True)
    # A part holding its whole group has the group's id (ids hash the members): once is enough.
    overlapping = overlapping[~overlapping["cluster_id"].isin(set(dense["cluster_id"]) | set(parts["cluster_id"]))]
    table = pd.concat([dense, overlapping, parts], ignore_index=True)
    sizes_of = table.groupby("cluster_id")["account_id"].transform("size")
    table = table.assign(size=sizes_of).sort_values(["size", "cluster_id", "account_id"], ascending=[False, True, True],
                                                    kind="mergesort")
    return table.drop(columns="size").reset_index(drop=True)


def _parts_of_loose(groups: pd.DataFrame, names: np.ndarray, low: np.ndarray, high: np.ndarray,
                    weight: np.ndarray, *, densities: tuple[float, float], min_accounts: int, seed: int,
                    min_size: int, prefix: str) -> pd.DataFrame:
    """Leiden parts of each loose group (see :func:`cluster_family`), every group split on its own edges.

    ``groups`` are disjoint (whole components, or Leiden communities); a group
    of at least ``min_accounts`` accounts whose density lies in ``densities``
    (low inclusive, high exclusive) is split. On its own edges, because
    modularity compares a community's links with what chance gives *in the
    graph it is run on*: in a bigger graph two groups joined by one shared
    customer stay merged (the resolution limit), and whether they did would
    depend on unrelated accounts. One pass over the pairs, then one compiled
    Leiden per loose group, ``O(E)`` in all.
    """
    from tsinvest.graph.communities import leiden_codes, membership_table, split_by_label

    low_density, high_density = densities
    if groups.empty or high_density <= low_density:
        return membership_table([], min_size=min_size, prefix=prefix)
    label, _ = pd.factorize(groups["cluster_id"], sort=True)
    group_of = np.full(len(names), -1, dtype=np.int64)
    group_of[pd.Index(names).get_indexer(groups["account_id"].astype("string").to_numpy(dtype=object))] = label
    sizes = np.bincount(label).astype("float64")
    inner, links = _inner_rows(group_of, low, high, len(sizes))
    density = _density(links, sizes)
    loose = np.flatnonzero((density >= low_density) & (density < high_density) & (sizes >= min_accounts))
    pieces: list[np.ndarray] = []
    for index in loose.tolist():
        nodes, community = leiden_codes(low[inner[index]], high[inner[index]], weight[inner[index]], seed=seed)
        pieces.extend(names[piece] for piece in split_by_label(nodes, community))
    return membership_table(pieces, min_size=min_size, prefix=prefix)


def _density(links: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Linked pairs / possible pairs, 0 for groups of one."""
    possible = sizes * (sizes - 1) / 2
    return np.divide(links, possible, out=np.zeros(len(sizes)), where=possible > 0)


def _inner_rows(group_of: np.ndarray, low: np.ndarray, high: np.ndarray, groups: int) -> tuple[list[np.ndarray],
                                                                                                np.ndarray]:
    """Per group (by position) the rows of the pairs inside it, in pair order, and its links: ``O(E log E)``."""
    from tsinvest.graph.communities import split_by_label

    label = group_of[low]
    inside = (label >= 0) & (label == group_of[high])
    rows = np.flatnonzero(inside)
    by_group = dict(zip(np.unique(label[rows]).tolist(), split_by_label(rows, label[rows]), strict=True))
    links = np.bincount(label[rows], minlength=groups)
    return [by_group.get(index, rows[:0]) for index in range(groups)], links


def _split_hidden_dense_groups(parts: pd.DataFrame, edges: pd.DataFrame, *, seed: int, min_size: int, prefix: str,
                               dense_component: float) -> pd.DataFrame:
    """Re-split sparse Leiden communities that hide a dense group (see :func:`cluster_family`).

    Works on integer codes (:func:`~tsinvest.graph.communities.coded_pairs`):
    a round costs one pass over the pairs plus the compiled Leiden of each
    community it re-splits.
    """
    from tsinvest.graph.communities import coded_pairs, leiden_codes, membership_table, split_by_label

    if parts.empty:
        return parts
    names, low, high, weight = coded_pairs(edges)
    code = pd.Index(names).get_indexer(parts["account_id"].astype("string").to_numpy(dtype=object))
    pending = split_by_label(code, pd.factorize(parts["cluster_id"], sort=True)[0])
    settled: list[np.ndarray] = []
    for _ in range(MAX_SPLIT_ROUNDS):
        if not pending:
            break
        group_of = np.full(len(names), -1, dtype=np.int64)
        for index, group in enumerate(pending):
            group_of[group] = index
        inner, links = _inner_rows(group_of, low, high, len(pending))
        density = _density(links, np.array([len(group) for group in pending], dtype="float64"))
        next_round: list[np.ndarray] = []
        for index, group in enumerate(pending):
            too_small = len(group) < max(SPLIT_MIN_ACCOUNTS, 2 * min_size)
            rows = inner[index]
            if density[index] >= dense_component or too_small or not len(rows):
                settled.append(group)
                continue
            nodes, community = leiden_codes(low[rows], high[rows], weight[rows], seed=seed)
            pieces = [piece for piece in split_by_label(nodes, community) if len(piece) >= min_size]
            piece_of = np.full(len(names), -1, dtype=np.int64)
            for number, piece in enumerate(pieces):
                piece_of[piece] = number
            _, piece_links = _inner_rows(piece_of, low[rows], high[rows], len(pieces))
            piece_density = _density(piece_links, np.array([len(piece) for piece in pieces], dtype="float64"))
            wanted = max(dense_component, SPLIT_DENSITY_GAIN * density[index])
            if len(pieces) > 1 and (piece_density >= wanted).any():
                next_round.extend(pieces)
            else:
                settled.append(group)
        pending = next_round
    return membership_table((names[group] for group in settled + pending), min_size=min_size, prefix=prefix)
