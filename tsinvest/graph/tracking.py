"""Networks over time: follow clusters across two runs or two windows.

Cluster ids are labels of one run: when a network gains or loses members, or
detection is re-run on next week's data, the same network gets another id.
:func:`compare_clusters` matches the clusters of two runs by member overlap
(Jaccard similarity, within one ``kind``), gives every cluster a *lineage id*
that survives membership change, and names what happened to each network:

``new``
    an after-cluster that matches no before-cluster;
``gone``
    a before-cluster that matches no after-cluster;
``merged``
    two or more before-clusters match one after-cluster;
``split``
    one before-cluster matches two or more after-clusters;
``grown`` / ``shrunk``
    a one-to-one match whose size changed by at least ``growth`` (relative);
``stable``
    a one-to-one match with a smaller size change.

:func:`read_run` reads the memberships a ``tsinvest detect --out`` folder
wrote; ``tsinvest compare RUN_A RUN_B`` prints and saves the comparison.

References
----------
Greene, Doyle and Cunningham, "Tracking the evolution of communities in
dynamic social networks", ASONAM 2010: match step communities to fronts by
Jaccard similarity over a threshold; merges and splits are many-to-one and
one-to-many matches.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tsinvest.exceptions import ParameterError

__all__ = [
    "TRANSITIONS",
    "ClusterComparison",
    "cluster_overlaps",
    "compare_clusters",
    "compare_windows",
    "lineage_id",
    "read_run",
]

#: Transition names, in the order tables list them.
TRANSITIONS = ("new", "grown", "merged", "split", "shrunk", "gone", "stable")

_TRANSITION_COLUMNS = ["transition", "lineage_id", "kind", "clusters_before", "clusters_after", "size_before",
                       "size_after", "shared", "jaccard", "flagged"]


def lineage_id(members: Iterable[str]) -> str:
    """A stable lineage id from a cluster's member ids: ``lin-`` and 10 hex digits of their SHA-1.

    The same member set gives the same id in every run, on every machine.

    Examples
    --------
    >>> lineage_id(["002", "001"]) == lineage_id(["001", "002"])
    True
    >>> lineage_id(["001", "002"])[:4]
    'lin-'
    """
    text = "\n".join(sorted(str(member) for member in members))
    return "lin-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def _prepare(memberships: pd.DataFrame, name: str, *, actor: str, cluster: str) -> pd.DataFrame:
    missing = [column for column in (actor, cluster) if column not in memberships.columns]
    if missing:
        raise ParameterError(f"compare_clusters: {name} lacks column(s) {missing}; pass detection memberships "
                             f"(clusters.csv of a detect run) or set actor=/cluster=")
    frame = pd.DataFrame({
        "account_id": memberships[actor].astype("string"),
        "cluster_id": memberships[cluster].astype("string"),
        "kind": memberships["kind"].astype("string") if "kind" in memberships.columns else pd.array(
            [""] * len(memberships), dtype="string"),
        "flagged": memberships["flagged"].astype(str).str.lower().isin(["true", "1"])
        if "flagged" in memberships.columns else True,
    })
    if "lineage_id" in memberships.columns:
        frame["lineage_id"] = memberships["lineage_id"].astype("string")
    if frame["account_id"].isna().any() or frame["cluster_id"].isna().any():
        raise ParameterError(f"compare_clusters: {name} has missing account or cluster ids; check the run folder")
    return frame.drop_duplicates(["account_id", "cluster_id"]).reset_index(drop=True)


def cluster_overlaps(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Every pair of same-kind clusters sharing a member, with sizes and Jaccard similarity.

    ``before`` and ``after`` hold ``account_id, cluster_id, kind`` (as
    prepared by :func:`compare_clusters`). Returns ``cluster_before,
    cluster_after, kind, shared, size_before, size_after, jaccard``, sorted
    by Jaccard desc then ids.

    Notes
    -----
    One DuckDB join on ``(account_id, kind)``: an account belongs to a handful
    of clusters per run, so the join is linear in the memberships, not a
    self-join on a popular key.
    """
    import duckdb

    connection = duckdb.connect()
    try:
        connection.register("before_members", before[["account_id", "cluster_id", "kind"]])
        connection.register("after_members", after[["account_id", "cluster_id", "kind"]])
        return connection.execute(
            """
            WITH size_before AS (SELECT cluster_id, count(*) AS size FROM before_members GROUP BY cluster_id),
            size_after AS (SELECT cluster_id, count(*) AS size FROM after_members GROUP BY cluster_id),
            shared AS (
                SELECT b.cluster_id AS cluster_before, a.cluster_id AS cluster_after, b.kind, count(*) AS shared
                FROM before_members b JOIN after_members a ON a.account_id = b.account_id AND a.kind = b.kind
                GROUP BY ALL
            )
            SELECT cluster_before, cluster_after, kind, shared::BIGINT AS shared,
                   sb.size::BIGINT AS size_before, sa.size::BIGINT AS size_after,
                   (shared / (sb.size + sa.size - shared))::DOUBLE AS jaccard
            FROM shared
            JOIN size_before sb ON sb.cluster_id = cluster_before
            JOIN size_after sa ON sa.cluster_id = cluster_after
            ORDER BY jaccard DESC, cluster_before, cluster_after
            """
        ).df().astype({"cluster_before": "string", "cluster_after": "string", "kind": "string"})
    finally:
        connection.close()


@dataclass(frozen=True)
class ClusterComparison:
    """What :func:`compare_clusters` found.

    Attributes
    ----------
    transitions : DataFrame
        One row per event: ``transition, lineage_id, kind, clusters_before,
        clusters_after`` (cluster ids joined with ``", "``), ``size_before,
        size_after, shared`` (members in both), ``jaccard`` (best match),
        ``flagged`` (a cluster involved is flagged). Sorted by
        :data:`TRANSITIONS` order, then size after/before desc, then lineage.
    lineage : DataFrame
        ``cluster_id, lineage_id, run`` (``"before"`` / ``"after"``) for every cluster.
    overlaps : DataFrame
        Every overlapping pair (see :func:`cluster_overlaps`), with ``matched``.
    parameters : dict
        ``threshold``, ``growth``, ``nested`` and ``flagged_only``.
    """

    transitions: pd.DataFrame
    lineage: pd.DataFrame
    overlaps: pd.DataFrame
    parameters: dict = field(default_factory=dict)

    def counts(self) -> pd.DataFrame:
        """How many networks per transition (every transition listed, zeros included)."""
        counted = self.transitions["transition"].value_counts()
        return pd.DataFrame({"transition": pd.array(list(TRANSITIONS), dtype="string"),
                             "networks": pd.array([int(counted.get(name, 0)) for name in TRANSITIONS], dtype="int64")})

    def lineage_memberships(self, after: pd.DataFrame, *, cluster: str = "cluster_id") -> pd.DataFrame:
        """``after`` memberships with a ``lineage_id`` column, ready to be the ``before`` of the next comparison."""
        mapping = self.lineage[self.lineage["run"] == "after"].set_index("cluster_id")["lineage_id"]
        out = after.copy()
        out["lineage_id"] = out[cluster].astype("string").map(mapping).astype("string")
        return out

    def __repr__(self) -> str:
        counts = ", ".join(f"{row.transition} {row.networks}" for row in self.counts().itertuples() if row.networks)
        return f"ClusterComparison({counts or 'no clusters'})"


def compare_clusters(
    before: pd.DataFrame,
    after: pd.DataFrame,
    *,
    threshold: float = 0.3,
    growth: float = 0.2,
    nested: float = 0.8,
    flagged_only: bool = False,
    actor: str = "account_id",
    cluster: str = "cluster_id",
) -> ClusterComparison:
    """Match the clusters of two runs by member overlap and name each network's transition.

    Parameters
    ----------
    before, after : DataFrame
        Memberships (one row per account and cluster): ``actor``, ``cluster``,
        optional ``kind`` (matching stays within one kind), ``flagged``, and
        optional ``lineage_id`` on ``before`` (from
        :meth:`ClusterComparison.lineage_memberships` of an earlier comparison,
        so lineages carry over a chain of weeks).
    threshold : float, default 0.3
        Least Jaccard similarity ``|A ∩ B| / |A ∪ B|`` for two clusters to be
        the same network. 0.3 keeps a network that lost or gained half of its
        members (10 → 20 members is 0.5) and still links each half of an even
        three-way split or merge (1/3), while two clusters sharing a couple of
        members stay apart.
    growth : float, default 0.2
        Relative size change from which a one-to-one match is ``grown`` or
        ``shrunk`` rather than ``stable``.
    nested : float, default 0.8
        Clusters of one run (same kind) whose overlap reaches this share of
        the smaller are one network (detection may return a farm and its
        core); they are reported together and never as a merge or split. A
        cluster with no match in the other run that is nested in one with a
        match joins its network (a part of a farm too small to match across
        runs is not a network that appeared or vanished).
    flagged_only : bool, default False
        Keep only transitions where a cluster involved is flagged. Matching
        always uses every cluster, so a network that fell below the flagging
        threshold shows as ``shrunk``/``stable``, not ``gone``.
    actor, cluster : str
        Column names.

    Returns
    -------
    ClusterComparison

    Notes
    -----
    Matching: each cluster is linked to its best match in the other run
    (highest Jaccard of at least ``threshold``, then most shared members,
    then id); the connected components of these links are networks seen in
    both runs. A component with two or more distinct (not nested)
    before-clusters is a merge, with two or more distinct after-clusters a
    split; sizes, ``shared`` and ``jaccard`` of a row are over the union of
    its clusters' members.

    Lineage: a one-to-one match keeps the before lineage; in a merge the
    before lineage with the largest overlap (then the smallest id) continues;
    in a split the piece with the largest overlap keeps the lineage and the
    other pieces start new ones; a new cluster starts one. A lineage not
    given is :func:`lineage_id` of the before cluster's members, so two
    independent comparisons name the same network alike. Cost: one DuckDB
    join (:func:`cluster_overlaps`) plus a pass over the matched cluster
    pairs.

    Examples
    --------
    >>> before = pd.DataFrame({"account_id": list("abcdefgh"), "cluster_id": ["r1"] * 4 + ["r2"] * 4})
    >>> after = pd.DataFrame({"account_id": list("abcdefghxyz"), "cluster_id": ["s1"] * 8 + ["s2"] * 3})
    >>> comparison = compare_clusters(before, after)
    >>> comparison.transitions[["transition", "clusters_before", "clusters_after"]].values.tolist()
    [['new', '', 's2'], ['merged', 'r1, r2', 's1']]
    """
    if not 0.0 < threshold <= 1.0:
        raise ParameterError("compare_clusters: threshold must be in (0, 1]")
    if growth < 0:
        raise ParameterError("compare_clusters: growth must be >= 0")
    if not 0.0 < nested <= 1.0:
        raise ParameterError("compare_clusters: nested must be in (0, 1]")
    before = _prepare(before, "before", actor=actor, cluster=cluster)
    after = _prepare(after, "after", actor=actor, cluster=cluster)
    overlaps = cluster_overlaps(before, after)
    overlaps["matched"] = overlaps["jaccard"] >= threshold
    info_before, info_after = _cluster_table(before), _cluster_table(after)
    after_lineage: dict[str, str] = {}
    rows = [
        _network_row(befores, afters, info_before, info_after, growth=growth, nested=nested,
                     after_lineage=after_lineage)
        for befores, afters in _networks(overlaps[overlaps["matched"]], info_before, info_after,
                                         within=(_nested_pairs(before, nested), _nested_pairs(after, nested)))
    ]
    return ClusterComparison(transitions=_transition_table(rows, flagged_only=flagged_only),
                             lineage=_lineage_table(info_before, after_lineage), overlaps=overlaps,
                             parameters={"threshold": threshold, "growth": growth, "nested": nested,
                                         "flagged_only": flagged_only})


def _cluster_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per cluster: size, kind, flagged, sorted members and lineage id."""
    grouped = frame.groupby("cluster_id", sort=True)
    table = pd.DataFrame({"size": grouped.size(), "kind": grouped["kind"].first(),
                          "flagged": grouped["flagged"].any()})
    table["members"] = grouped["account_id"].apply(lambda ids: tuple(sorted(ids)))
    if "lineage_id" in frame.columns:
        table["lineage_id"] = grouped["lineage_id"].first()
    else:
        table["lineage_id"] = table["members"].map(lineage_id)
    table["lineage_id"] = table["lineage_id"].where(table["lineage_id"].notna(), table["members"].map(lineage_id))
    return table


def _nests(shared: Any, size_a: Any, size_b: Any, nested: float) -> Any:
    """Whether two clusters sharing ``shared`` accounts are nested: the overlap is ``nested`` of the smaller.

    Works on numbers and, element-wise, on arrays and Series.
    """
    return shared >= nested * np.minimum(size_a, size_b)


def _nested_pairs(frame: pd.DataFrame, nested: float) -> pd.DataFrame:
    """Clusters of one run (same kind) sharing ``nested`` of the smaller one: ``small``, ``large``, ``shared``.

    One DuckDB join of the run with itself on ``(account_id, kind)``
    (:func:`cluster_overlaps`): linear in the memberships.
    """
    pairs = cluster_overlaps(frame, frame)
    pairs = pairs[(pairs["cluster_before"] != pairs["cluster_after"])
                  & _nests(pairs["shared"], pairs["size_before"], pairs["size_after"], nested)]
    # Each pair once, the smaller cluster first (then by id).
    smaller = ((pairs["size_before"] < pairs["size_after"])
               | ((pairs["size_before"] == pairs["size_after"]) & (pairs["cluster_before"] < pairs["cluster_after"])))
    pairs = pairs[smaller]
    return pd.DataFrame({"small": pairs["cluster_before"], "large": pairs["cluster_after"],
                         "shared": pairs["shared"]}).reset_index(drop=True)


def _networks(
    matched: pd.DataFrame, info_before: pd.DataFrame, info_after: pd.DataFrame, *,
    within: tuple[pd.DataFrame, pd.DataFrame],
) -> list[tuple[list[str], list[str]]]:
    """(sorted before ids, sorted after ids) of each connected component of the best-match graph.

    A cluster with no match in the other run that is nested in a matched
    cluster of its own run (``within``: :func:`_nested_pairs` of each run)
    joins that cluster's network: a part of a farm too small to match
    anything across runs is not a network of its own that appeared or
    vanished.
    """
    # Best match of each cluster in the other run (Jaccard, then shared members, then id): clusters of one
    # run may nest (a farm and its core), so "every match over the threshold" would report false merges.
    ranked = matched.sort_values(["jaccard", "shared", "cluster_before", "cluster_after"],
                                 ascending=[False, False, True, True], kind="mergesort")
    best_after = ranked.drop_duplicates("cluster_before").set_index("cluster_before")["cluster_after"].to_dict()
    best_before = ranked.drop_duplicates("cluster_after").set_index("cluster_after")["cluster_before"].to_dict()
    # Components of the best-match graph (union-find): each is one network seen in both runs.
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def root(node: tuple[str, str]) -> tuple[str, str]:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for before_id in info_before.index:
        root(("before", before_id))
    for after_id in info_after.index:
        root(("after", after_id))
    for before_id, after_id in list(best_after.items()) + [(b, a) for a, b in best_before.items()]:
        parent[root(("before", before_id))] = root(("after", after_id))
    for run, pairs, linked in (("before", within[0], best_after), ("after", within[1], best_before)):
        # The matched cluster sharing most members (then the smallest id) takes an unmatched one in.
        pairs = pairs[~pairs["small"].isin(set(linked)) & pairs["large"].isin(set(linked))]
        pairs = pairs.sort_values(["shared", "large"], ascending=[False, True], kind="mergesort")
        for small, large in pairs.drop_duplicates("small")[["small", "large"]].itertuples(index=False):
            parent[root((run, small))] = root((run, large))
    components: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for node in sorted(parent):
        components.setdefault(root(node), []).append(node)
    return [
        (sorted(name for run, name in nodes if run == "before"), sorted(name for run, name in nodes if run == "after"))
        for nodes in components.values()
    ]


def _union(ids: Iterable[str], info: pd.DataFrame) -> set[str]:
    """Members of any of the clusters ``ids``."""
    ids = list(ids)
    return set().union(*[set(info.loc[c, "members"]) for c in ids]) if ids else set()


def _nested_groups(ids: Iterable[str], info: pd.DataFrame, nested: float) -> list[list[str]]:
    """Clusters of one run nested in one another (overlap >= nested of the smaller) count as one network."""
    found: list[list[str]] = []
    for cluster_id in sorted(ids, key=lambda c: (-info.loc[c, "size"], c)):
        members = set(info.loc[cluster_id, "members"])
        for group in found:
            largest = set(info.loc[group[0], "members"])
            if _nests(len(members & largest), len(members), len(largest), nested):
                group.append(cluster_id)
                break
        else:
            found.append([cluster_id])
    return found


def _transition(
    befores: list[str], afters: list[str], old: set[str], new: set[str], info_before: pd.DataFrame,
    info_after: pd.DataFrame, *, growth: float, nested: float,
) -> str:
    """The name of what happened to one network between the runs (one of :data:`TRANSITIONS`)."""
    if not afters:
        return "gone"
    if not befores:
        return "new"
    groups_before = len(_nested_groups(befores, info_before, nested))
    groups_after = len(_nested_groups(afters, info_after, nested))
    if groups_before > 1 and groups_before >= groups_after:
        return "merged"
    if groups_after > 1:
        return "split"
    change = (len(new) - len(old)) / len(old)
    return "grown" if change >= growth else "shrunk" if change <= -growth else "stable"


def _network_row(
    befores: list[str], afters: list[str], info_before: pd.DataFrame, info_after: pd.DataFrame, *,
    growth: float, nested: float, after_lineage: dict[str, str],
) -> dict[str, Any]:
    """The transition row of one network; records the lineage of its after-clusters in ``after_lineage``."""
    old, new = _union(befores, info_before), _union(afters, info_after)
    shared = len(old & new)
    if befores:
        # The before-cluster sharing most members with the after side carries its lineage on.
        heir = sorted(befores, key=lambda c: (-len(set(info_before.loc[c, "members"]) & new),
                                              info_before.loc[c, "lineage_id"], c))[0]
        lineage = info_before.loc[heir, "lineage_id"]
    else:
        lineage = info_after.loc[afters[0], "lineage_id"] if len(afters) == 1 else lineage_id(new)
    if afters:
        pieces = _nested_groups(afters, info_after, nested)
        keeper = sorted(pieces, key=lambda group: (-len(_union(group, info_after) & old), group[0]))[0]
        for group in pieces:
            for after_id in group:
                after_lineage[after_id] = lineage if group is keeper else info_after.loc[group[0], "lineage_id"]
    return {
        "transition": _transition(befores, afters, old, new, info_before, info_after, growth=growth, nested=nested),
        "lineage_id": lineage,
        "kind": (info_before.loc[befores[0], "kind"] if befores else info_after.loc[afters[0], "kind"]),
        "clusters_before": ", ".join(befores),
        "clusters_after": ", ".join(afters),
        "size_before": len(old),
        "size_after": len(new),
        "shared": shared,
        "jaccard": shared / len(old | new) if (old or new) else 0.0,
        "flagged": bool(any(info_before.loc[c, "flagged"] for c in befores)
                        or any(info_after.loc[c, "flagged"] for c in afters)),
    }


def _transition_table(rows: list[dict[str, Any]], *, flagged_only: bool) -> pd.DataFrame:
    """Transition rows in report order (kind of transition, largest network first), with their dtypes."""
    transitions = pd.DataFrame(rows, columns=_TRANSITION_COLUMNS)
    if flagged_only:
        transitions = transitions[transitions["flagged"]]
    transitions["order"] = transitions["transition"].map({name: i for i, name in enumerate(TRANSITIONS)})
    transitions["largest"] = transitions[["size_before", "size_after"]].max(axis=1)
    transitions = transitions.sort_values(["order", "largest", "lineage_id", "clusters_before", "clusters_after"],
                                          ascending=[True, False, True, True, True], kind="mergesort")
    transitions = transitions.drop(columns=["order", "largest"]).reset_index(drop=True)
    transitions = transitions.astype({"transition": "string", "lineage_id": "string", "kind": "string",
                                      "clusters_before": "string", "clusters_after": "string",
                                      "size_before": "int64", "size_after": "int64", "shared": "int64",
                                      "jaccard": "float64", "flagged": "bool"})
    transitions["jaccard"] = transitions["jaccard"].round(3)
    return transitions


def _lineage_table(info_before: pd.DataFrame, after_lineage: dict[str, str]) -> pd.DataFrame:
    """cluster_id, lineage_id and run of every before cluster and every matched after cluster."""
    lineage = pd.concat([
        pd.DataFrame({"cluster_id": info_before.index.astype("string"),
                      "lineage_id": info_before["lineage_id"].astype("string").to_numpy(), "run": "before"}),
        pd.DataFrame({"cluster_id": pd.array(sorted(after_lineage), dtype="string"),
                      "lineage_id": pd.array([after_lineage[c] for c in sorted(after_lineage)], dtype="string"),
                      "run": "after"}),
    ], ignore_index=True)
    lineage["run"] = lineage["run"].astype("string")
    return lineage


def read_run(run_dir: str | os.PathLike) -> pd.DataFrame:
    """Memberships written by ``tsinvest detect --out RUN_DIR`` (``clusters.csv``), ids kept as exact strings.

    Raises
    ------
    ParameterError
        The folder or its ``clusters.csv`` is missing, or a needed column is absent.
    """
    folder = Path(run_dir)
    path = folder / "clusters.csv"
    if not folder.is_dir() or not path.is_file():
        raise ParameterError("a run folder must be the --out folder of `tsinvest detect` (with clusters.csv); "
                             "check the RUN path")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    missing = [column for column in ("account_id", "cluster_id") if column not in frame.columns]
    if missing:
        raise ParameterError(f"clusters.csv of a run lacks column(s) {missing}; re-run `tsinvest detect`")
    return frame


def compare_windows(
    tables: Mapping[str, pd.DataFrame],
    *,
    split: str | pd.Timestamp | None = None,
    seed: int = 0,
    window: float | None = None,
    threshold: float = 0.3,
    growth: float = 0.2,
    flagged_only: bool = True,
) -> ClusterComparison:
    """Detect in two windows of the data (before / from ``split``) and compare their clusters.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Canonical tables (already cut to the period of interest).
    split : str or Timestamp, optional
        Start of the second window; default the middle of the events' time
        range (rounded down to a UTC day), so "first half vs second half".
    seed, window
        Passed to :func:`tsinvest.detect.detect`; ``as_of`` of each window is its end.
    threshold, growth, flagged_only
        As in :func:`compare_clusters`.

    Returns
    -------
    ClusterComparison
        ``parameters`` also holds ``split`` (ISO text).

    Notes
    -----
    Runs detection twice, each on about half of the rows: about the cost of
    one detection on the whole period.
    """
    from tsinvest.detect import detect
    from tsinvest.loading.timestamps import utc_bound
    from tsinvest.notebooks.findings import time_window

    events = tables.get("events")
    if split is None:
        if events is None or events.empty:
            raise ParameterError("compare_windows: give split= (no events to find the middle of the period)")
        first, last = events["ts"].min(), events["ts"].max()
        split = (first + (last - first) / 2).floor("D")
    boundary = utc_bound(split, name="split", required=True)
    text = boundary.strftime("%Y-%m-%dT%H:%M:%SZ")
    early = time_window(tables, end=text)
    late = time_window(tables, start=text)
    end = events["ts"].max() + pd.Timedelta(seconds=1) if events is not None and len(events) else boundary
    before = detect(early, seed=seed, window=window, as_of=text, progress=False)
    late_end = pd.Timestamp(end).strftime("%Y-%m-%dT%H:%M:%SZ")
    after = detect(late, seed=seed, window=window, as_of=late_end, progress=False)
    comparison = compare_clusters(before.memberships, after.memberships, threshold=threshold, growth=growth,
                                  flagged_only=flagged_only)
    comparison.parameters["split"] = text
    return comparison
