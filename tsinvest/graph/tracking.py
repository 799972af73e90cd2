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
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tsinvest.exceptions import ParameterError

__all__ = ["TRANSITIONS", "ClusterComparison", "cluster_overlaps", "compare_clusters", "lineage_id", "read_run"]

#: Transition names, in the order tables list them.
TRANSITIONS = ("new", "grown", "merged", "split", "shrunk", "gone", "stable")

_TRANSITION_COLUMNS = ["transition", "lineage_id", "kind", "clusters_before", "clusters_after", "size_before",
                       "size_after", "shared", "jaccard", "flagged"]


def lineage_id(members) -> str:
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
        ``threshold`` and ``growth``.
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
    before = _prepare(before, "before", actor=actor, cluster=cluster)
    after = _prepare(after, "after", actor=actor, cluster=cluster)
    overlaps = cluster_overlaps(before, after)
    overlaps["matched"] = overlaps["jaccard"] >= threshold
    matched = overlaps[overlaps["matched"]]

    def cluster_table(frame: pd.DataFrame) -> pd.DataFrame:
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

    info_before, info_after = cluster_table(before), cluster_table(after)
    forward = {key: rows for key, rows in matched.groupby("cluster_before", sort=True)}
    backward = {key: rows for key, rows in matched.groupby("cluster_after", sort=True)}
    after_lineage: dict[str, str] = {}
    rows: list[dict] = []

    def best(rows_: pd.DataFrame, other: str, lineage_of) -> str:
        ordered = rows_.assign(_lineage=rows_[other].map(lineage_of))
        ordered = ordered.sort_values(["shared", "jaccard", "_lineage"], ascending=[False, False, True], kind="mergesort")
        return str(ordered[other].iloc[0])

    def event(transition, lineage, befores, afters, group: pd.DataFrame | None):
        kinds = [info_before.loc[c, "kind"] for c in befores] + [info_after.loc[c, "kind"] for c in afters]
        rows.append({
            "transition": transition,
            "lineage_id": lineage,
            "kind": kinds[0] if kinds else "",
            "clusters_before": ", ".join(sorted(befores)),
            "clusters_after": ", ".join(sorted(afters)),
            "size_before": int(len(set().union(*[info_before.loc[c, "members"] for c in befores]))) if befores else 0,
            "size_after": int(len(set().union(*[info_after.loc[c, "members"] for c in afters]))) if afters else 0,
            "shared": int(group["shared"].sum()) if group is not None else 0,
            "jaccard": float(group["jaccard"].max()) if group is not None else 0.0,
            "flagged": bool(any(info_before.loc[c, "flagged"] for c in befores)
                            or any(info_after.loc[c, "flagged"] for c in afters)),
        })

    # Merges first: they decide which before-lineage continues into the merged cluster.
    for after_id, group in backward.items():
        if len(group) >= 2:
            heir = best(group, "cluster_before", info_before["lineage_id"])
            after_lineage[after_id] = info_before.loc[heir, "lineage_id"]
            event("merged", after_lineage[after_id], list(group["cluster_before"]), [after_id], group)
    for before_id, group in forward.items():
        lineage = info_before.loc[before_id, "lineage_id"]
        if len(group) >= 2:
            keeper = best(group, "cluster_after", info_after["lineage_id"])
            for after_id in group["cluster_after"]:
                if after_id not in after_lineage:
                    after_lineage[after_id] = lineage if after_id == keeper else info_after.loc[after_id, "lineage_id"]
            event("split", lineage, [before_id], list(group["cluster_after"]), group)
        else:
            after_id = str(group["cluster_after"].iloc[0])
            if len(backward[after_id]) >= 2:
                continue  # part of a merge, reported there
            after_lineage[after_id] = lineage
            size_before, size_after = info_before.loc[before_id, "size"], info_after.loc[after_id, "size"]
            change = (size_after - size_before) / size_before
            transition = "grown" if change >= growth else "shrunk" if change <= -growth else "stable"
            event(transition, lineage, [before_id], [after_id], group)
    for before_id in info_before.index:
        if before_id not in forward:
            event("gone", info_before.loc[before_id, "lineage_id"], [before_id], [], None)
    for after_id in info_after.index:
        if after_id not in backward:
            after_lineage[after_id] = info_after.loc[after_id, "lineage_id"]
            event("new", after_lineage[after_id], [], [after_id], None)

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
    lineage = pd.concat([
        pd.DataFrame({"cluster_id": info_before.index.astype("string"),
                      "lineage_id": info_before["lineage_id"].astype("string").to_numpy(), "run": "before"}),
        pd.DataFrame({"cluster_id": pd.array(sorted(after_lineage), dtype="string"),
                      "lineage_id": pd.array([after_lineage[c] for c in sorted(after_lineage)], dtype="string"),
                      "run": "after"}),
    ], ignore_index=True)
    lineage["run"] = lineage["run"].astype("string")
    return ClusterComparison(transitions=transitions, lineage=lineage, overlaps=overlaps,
                             parameters={"threshold": threshold, "growth": growth, "flagged_only": flagged_only})


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
