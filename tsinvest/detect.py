"""One call from a data folder to scored, explained clusters of coordinated accounts.

:func:`detect` runs every linking signal the present tables allow, finds
clusters per signal family with seeded Louvain, scores each cluster as a whole
(shape, coordinated share, creation tightness, shared attributes, text
duplication, a time-shuffle null model) and returns a :class:`DetectionResult`
that :meth:`DetectionResult.write` saves as CSV files and graph files.

Signal families and the abuse kind they point to:

==================  ==========================================  ===============
family              edges                                       kind
==================  ==========================================  ===============
co_share_like       same videos shared/liked within ``window``  amplification
co_report           same accounts reported within report window mass_report
shared/co_follow    rare shared devices/IPs; same rare follows  farm
copy_paste          near-identical texts                        copy_paste
==================  ==========================================  ===============
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import numpy as np
import pandas as pd

from tsinvest.exceptions import ParameterError

__all__ = ["DetectionResult", "detect", "DEFAULT_WINDOW", "DEFAULT_REPORT_WINDOW", "ENGAGEMENT_ACTIONS"]

#: Seconds within which two shares/likes of one video count as co-action. Wide
#: enough for rings that spread their bursts over minutes to evade
#: seconds-level detection; the cluster rules (coordinated share, density,
#: null model) keep the fans that a wide window also links from being flagged.
DEFAULT_WINDOW = 600.0
#: Seconds within which two reports of one account count as co-reporting
#: (brigades spread waves over tens of minutes).
DEFAULT_REPORT_WINDOW = 3600.0
#: Event actions that amplify a video.
ENGAGEMENT_ACTIONS = ("share", "like")

_PREFIX = {"amplification": "amp", "mass_report": "rep", "farm": "farm", "copy_paste": "copy"}
_MEMBERSHIP_COLUMNS = ["account_id", "cluster_id", "kind", "signal", "score", "flagged", "member_coordinated_share"]


@dataclass
class DetectionResult:
    """What :func:`detect` found.

    Attributes
    ----------
    memberships : DataFrame
        One row per (account, cluster): ``account_id``, ``cluster_id``,
        ``kind``, ``signal`` (the cluster's dominant signal), ``score``,
        ``flagged`` (the account is flagged in this cluster) and
        ``member_coordinated_share``. Sorted by score desc, cluster_id,
        account_id. Written as ``clusters.csv``.
    clusters : DataFrame
        One row per cluster: ``cluster_id``, ``kind``, ``signals``, ``size``,
        ``score``, ``flagged``, features, ``explanation``. Written as
        ``cluster_summary.csv``.
    edges : DataFrame
        Every edge of every signal (``EDGE_COLUMNS``). Written as ``edges.csv``.
    graph : networkx.Graph
        Account graph of all edges; nodes carry ``clusters``, ``kind``, ``flagged``.
    parameters : dict
        The settings used (seed, windows, as_of, ...).
    """

    memberships: pd.DataFrame
    clusters: pd.DataFrame
    edges: pd.DataFrame
    graph: nx.Graph
    parameters: dict[str, Any] = field(default_factory=dict)

    def flagged_accounts(self, kind: str | None = None) -> list[str]:
        """Sorted ids of flagged accounts (optionally of one kind)."""
        rows = self.memberships[self.memberships["flagged"]]
        if kind is not None:
            rows = rows[rows["kind"] == kind]
        return sorted(rows["account_id"].astype(str).unique().tolist())

    def write(self, out_dir: str | os.PathLike, *, graph_formats: tuple[str, ...] = ("graphml", "gexf", "json")) -> Path:
        """Write all outputs into ``out_dir`` atomically (temp folder, then rename).

        Files: ``clusters.csv``, ``cluster_summary.csv``, ``edges.csv``,
        ``graph.graphml`` / ``graph.gexf`` / ``graph.json``. An existing
        ``out_dir`` is replaced only once the new one is complete.
        """
        from tsinvest.graph import export

        out = Path(out_dir)
        if out.exists() and not out.is_dir():
            raise ParameterError("out_dir exists and is not a folder; choose another --out")
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
        try:
            self.memberships.to_csv(staging / "clusters.csv", index=False)
            self.clusters.to_csv(staging / "cluster_summary.csv", index=False)
            edges = self.edges.copy()
            for column in ("first_ts", "last_ts"):
                edges[column] = edges[column].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
            edges.to_csv(staging / "edges.csv", index=False)
            suffix = {"graphml": "graphml", "gexf": "gexf", "json": "json"}
            for name in graph_formats:
                if name not in suffix:
                    raise ParameterError("graph_formats may hold 'graphml', 'gexf', 'json'")
                export.write_graph(self.graph, staging / f"graph.{suffix[name]}", format=name)
            if out.exists():
                previous = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
                os.replace(out, previous / "old")
                os.replace(staging, out)
                shutil.rmtree(previous, ignore_errors=True)
            else:
                os.replace(staging, out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return out


def _load(data) -> dict[str, pd.DataFrame]:
    if isinstance(data, Mapping):
        return dict(data)
    if isinstance(data, (str, os.PathLike)):
        from tsinvest.loading import load_dir

        path = Path(data)
        if not path.is_dir():
            raise ParameterError("data must be a folder of canonical tables (accounts.csv, events.csv, ...) or a dict of frames")
        return load_dir(path)
    raise ParameterError("data must be a folder path or a dict of table name -> DataFrame")


def _as_of(tables: Mapping[str, pd.DataFrame], as_of) -> pd.Timestamp | None:
    if as_of is not None:
        stamp = pd.Timestamp(as_of)
        if stamp.tzinfo is None:
            raise ParameterError("as_of must be timezone-aware, e.g. '2026-03-30T00:00:00Z'")
        return stamp.tz_convert("UTC")
    # The latest observed time: results never depend on when the code runs.
    latest = [frame["ts"].max() for name, frame in tables.items() if name in ("events", "reports", "logins")
              and "ts" in frame and len(frame)]
    return max(latest) if latest else None


def _cluster(edges: pd.DataFrame, *, kind: str, seed: int, min_size: int, dense: float = 0.5) -> pd.DataFrame:
    """Clusters of one signal family: dense components whole, sparse ones split by seeded Louvain.

    A bought ring or brigade is a near-clique: splitting it because some
    members hit more victims than others (uneven weights) would cut it in
    pieces too small to judge, so components at least ``dense`` dense stay whole.
    """
    from tsinvest.graph import account_graph, louvain
    from tsinvest.graph.communities import membership_table

    if edges.empty:
        return pd.DataFrame({"account_id": pd.Series(dtype="string"), "cluster_id": pd.Series(dtype="string")})
    graph = account_graph(edges)
    groups = []
    for component in sorted(nx.connected_components(graph), key=lambda c: sorted(c)[0]):
        if len(component) < min_size:
            continue
        if nx.density(graph.subgraph(component)) >= dense:
            groups.append(component)
        else:
            parts = louvain(graph.subgraph(component), seed=seed, min_size=min_size, prefix=_PREFIX[kind])
            groups.extend(parts.groupby("cluster_id")["account_id"].agg(list).tolist())
    return membership_table(groups, min_size=min_size, prefix=_PREFIX[kind])


def _dominant_signal(edges: pd.DataFrame, memberships: pd.DataFrame) -> pd.Series:
    if memberships.empty or edges.empty:
        return pd.Series(dtype="string")
    cluster_of = dict(zip(memberships["account_id"], memberships["cluster_id"]))
    ca = edges["account_a"].map(cluster_of)
    inside = edges[ca.notna() & (ca == edges["account_b"].map(cluster_of))].assign(cluster_id=ca)
    counts = inside.groupby(["cluster_id", "signal"]).size().reset_index(name="n")
    counts = counts.sort_values(["cluster_id", "n", "signal"], ascending=[True, False, True])
    return counts.drop_duplicates("cluster_id").set_index("cluster_id")["signal"].astype("string")


def _signals_by_cluster(edges: pd.DataFrame, memberships: pd.DataFrame) -> pd.Series:
    cluster_of = dict(zip(memberships["account_id"], memberships["cluster_id"]))
    ca = edges["account_a"].map(cluster_of)
    inside = edges[ca.notna() & (ca == edges["account_b"].map(cluster_of))].assign(cluster_id=ca)
    return inside.groupby("cluster_id")["signal"].agg(lambda s: ",".join(sorted(set(map(str, s)))))


def _follow_focus(follows: pd.DataFrame | None, memberships: pd.DataFrame, *, common: float = 0.3):
    """Cluster and member follow focus: how much following goes to accounts the cluster has in common.

    A farm follows the same few paying customers; organic users who happen to
    follow one of the same creators follow many others too. A target is
    *common* when at least ``common`` of the members (and at least 2) follow it.

    Returns (per-cluster frame with ``follow_focus``, ``mean_common_follows``;
    per-member frame with ``member_focus``, ``member_common_follows``).
    """
    clusters = pd.DataFrame({"cluster_id": memberships["cluster_id"].drop_duplicates()})
    member_rows = memberships[["cluster_id", "account_id"]].copy()
    if follows is None or follows.empty:
        return (clusters.assign(follow_focus=np.nan, mean_common_follows=np.nan),
                member_rows.assign(member_focus=0.0, member_common_follows=0))
    rows = follows[["account_id", "target_id"]].astype("string").drop_duplicates()
    rows = rows.merge(memberships[["account_id", "cluster_id"]], on="account_id")
    sizes = memberships.groupby("cluster_id").size()
    per_target = rows.groupby(["cluster_id", "target_id"])["account_id"].nunique().rename("followers").reset_index()
    per_target["common"] = per_target["followers"] >= np.maximum(2, common * per_target["cluster_id"].map(sizes))
    rows = rows.merge(per_target, on=["cluster_id", "target_id"])
    per_member = rows.groupby(["cluster_id", "account_id"])["common"].agg(["mean", "sum"]).reset_index()
    per_member = per_member.rename(columns={"mean": "member_focus", "sum": "member_common_follows"})
    member_rows = member_rows.merge(per_member, on=["cluster_id", "account_id"], how="left")
    member_rows = member_rows.fillna({"member_focus": 0.0, "member_common_follows": 0})
    focus = rows.groupby("cluster_id")["common"].mean().rename("follow_focus").reset_index()
    mean_common = member_rows.groupby("cluster_id")["member_common_follows"].mean().rename("mean_common_follows")
    result = clusters.merge(focus, on="cluster_id", how="left").merge(mean_common.reset_index(), on="cluster_id", how="left")
    return result, member_rows


def _attribute_members(edges: pd.DataFrame, memberships: pd.DataFrame) -> set:
    """(cluster_id, account_id) pairs with a shared device/IP edge inside their cluster."""
    cluster_of = dict(zip(memberships["account_id"], memberships["cluster_id"]))
    shared = edges[edges["signal"].astype("string").str.startswith("shared_")]
    ca = shared["account_a"].map(cluster_of)
    inside = shared[ca.notna() & (ca == shared["account_b"].map(cluster_of))]
    ids = inside["account_a"].map(cluster_of)
    return set(zip(ids, inside["account_a"])) | set(zip(ids, inside["account_b"]))


def _estimated_window(events: pd.DataFrame | None) -> float:
    from tsinvest.linking.coordination import estimate_coordination_window

    if events is None or events.empty:
        return DEFAULT_WINDOW
    engaged = events[events["action"].isin(ENGAGEMENT_ACTIONS)]
    try:
        return float(estimate_coordination_window(engaged))
    except ParameterError:
        return DEFAULT_WINDOW


def detect(data, *, seed: int = 0, window: float | Literal["auto"] | None = None, report_window: float | None = None,
           as_of=None, n_permutations: int = 199, min_cluster_size: int = 3,
           min_member_share: float = 0.3, thresholds: Mapping[str, Mapping[str, float]] | None = None,
           progress: bool = True) -> DetectionResult:
    """Find, score and explain clusters of coordinated accounts in a data folder.

    Parameters
    ----------
    data : path or dict of DataFrame
        A folder of canonical tables (loaded with :func:`tsinvest.loading.load_dir`)
        or already loaded frames keyed by table name. Signals run on the
        tables present: events (amplification, copy-paste, co-following),
        reports (mass reports), logins (shared devices/IPs).
    seed : int
        Seed of Louvain and of the null model.
    window : float or "auto", optional
        Co-action window in seconds for shares/likes (default
        :data:`DEFAULT_WINDOW`, 600 s). ``"auto"`` estimates it from the data
        (:func:`tsinvest.linking.coordination.estimate_coordination_window`,
        CooRnet-style). The estimate follows the quickest reactions (37 s on
        the adaptive sample), which misses rings that spread each burst over
        several minutes; the wide default plus cluster-level rules (density,
        coordinated share, null model) catches those without flagging fans.
    report_window : float, optional
        Co-reporting window in seconds (default :data:`DEFAULT_REPORT_WINDOW`).
    as_of : Timestamp or str, optional
        Reference time for account ages; default the latest time in the data.
    n_permutations : int
        Null-model permutations per co-action family.
    min_cluster_size : int
        Smallest cluster reported.
    min_member_share : float
        In a flagged co-action cluster, a member is flagged only if at least
        this share of its own actions are coordinated with the cluster (an
        organic account that brushed against a ring stays unflagged).
    thresholds : mapping, optional
        Overrides of :data:`tsinvest.scoring.DEFAULT_THRESHOLDS`.
    progress : bool
        tqdm progress per stage on stderr.

    Returns
    -------
    DetectionResult

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [(f"00{m}", f"v{v}", 3600 * v + m) for v in range(8) for m in range(5)]
    >>> events = pd.DataFrame(rows, columns=["account_id", "target_id", "s"]).assign(action="share")
    >>> events["ts"] = pd.to_datetime(events.pop("s"), unit="s", utc=True)
    >>> result = detect({"events": events}, seed=1, n_permutations=99, progress=False)
    >>> result.flagged_accounts("amplification")
    ['000', '001', '002', '003', '004']
    """
    from tqdm.auto import tqdm

    from tsinvest.graph import account_graph
    from tsinvest.graph.build import combine_edges
    from tsinvest.graph.communities import membership_table
    from tsinvest.scoring import cluster_features, coaction_null, member_coordination, score_clusters

    tables = _load(data)
    if isinstance(window, str):
        if window != "auto":
            raise ParameterError("window must be a number of seconds or 'auto'")
        window = _estimated_window(tables.get("events"))
    window = DEFAULT_WINDOW if window is None else float(window)
    report_window = DEFAULT_REPORT_WINDOW if report_window is None else float(report_window)
    if window <= 0 or report_window <= 0 or n_permutations < 1:
        raise ParameterError("window and report_window must be positive seconds; n_permutations >= 1")
    reference = _as_of(tables, as_of)
    events = tables.get("events")
    reports = tables.get("reports")
    logins = tables.get("logins")
    accounts = tables.get("accounts")

    stages = ["amplification", "mass_report", "farm", "copy_paste", "graph"]
    bar = tqdm(stages, desc="detect", unit="stage", file=sys.stderr, disable=not progress, leave=False)
    all_edges: list[pd.DataFrame] = []
    summaries: list[pd.DataFrame] = []
    members_out: list[pd.DataFrame] = []

    def finish(kind, edges, memberships, coordination=None, null=None, extra=None, member_filter=None):
        if memberships.empty:
            return
        edges = edges.assign(weight=edges["weight"].astype("float64").round(9))
        features = cluster_features(memberships, edges, coordination=coordination, accounts=accounts, as_of=reference)
        features.insert(1, "kind", kind)
        dominant = _dominant_signal(edges, memberships)
        features.insert(2, "signal", features["cluster_id"].map(dominant).astype("string"))
        features.insert(3, "signals", features["cluster_id"].map(_signals_by_cluster(edges, memberships)).astype("string"))
        if null is not None:
            features = features.merge(null[["cluster_id", "z_score", "p_value"]], on="cluster_id", how="left")
        else:
            features["z_score"] = np.nan
            features["p_value"] = np.nan
        if extra is not None:
            features = features.merge(extra, on="cluster_id", how="left")
        scored = score_clusters(features, thresholds=thresholds)
        summaries.append(scored)
        rows = memberships.merge(scored[["cluster_id", "kind", "signal", "score", "flagged"]], on="cluster_id")
        if coordination is not None:
            rows = rows.merge(coordination[["cluster_id", "account_id", "coordinated_share", "coordinated"]],
                              on=["cluster_id", "account_id"], how="left")
            rows = rows.rename(columns={"coordinated_share": "member_coordinated_share"})
            # A member must look like the rest: most of its own activity
            # coordinated, and at least half the cluster's typical number of
            # coordinated actions (an organic user who reported a victim once
            # during a brigade's wave, or shared one ring video, stays out).
            typical = rows.groupby("cluster_id")["coordinated"].transform("median").fillna(0)
            rows["flagged"] = (rows["flagged"] & (rows["member_coordinated_share"].fillna(0) >= min_member_share)
                               & (rows["coordinated"].fillna(0) >= 0.5 * typical))
        else:
            rows["member_coordinated_share"] = np.nan
        if member_filter is not None:
            rows["flagged"] = rows["flagged"] & np.array(
                [(c, a) in member_filter for c, a in zip(rows["cluster_id"], rows["account_id"])], dtype=bool)
        members_out.append(rows[_MEMBERSHIP_COLUMNS])

    with warnings.catch_warnings():
        from tsinvest.linking.coordination import HotTargetWarning

        warnings.simplefilter("ignore", HotTargetWarning)
        # Amplification: co-shares/likes of the same videos.
        bar.set_postfix_str("amplification")
        if events is not None and len(events):
            from tsinvest.linking.coordination import coordination_edges

            engaged = events[events["action"].isin(ENGAGEMENT_ACTIONS)]
            posts = events[events["action"] == "post"].drop_duplicates("target_id")
            creator = dict(zip(posts["target_id"], posts["account_id"]))
            engaged = engaged.assign(source=engaged["target_id"].map(creator).astype("string"))
            edges = coordination_edges(engaged, window=window, min_weight=2, signal="co_share_like")
            all_edges.append(edges)
            memberships = _cluster(edges, kind="amplification", seed=seed, min_size=min_cluster_size)
            if len(memberships):
                coordination = member_coordination(engaged, memberships, window=window, source="source")
                null = coaction_null(engaged, memberships, window=window, n_permutations=n_permutations,
                                     shuffle="account", seed=seed)
                finish("amplification", edges, memberships, coordination, null)
        bar.update(1)

        bar.set_postfix_str("mass_report")
        if reports is not None and len(reports):
            from tsinvest.linking.coordination import coordination_edges

            # A brigade reports its victims for one policy: co-reporting is
            # keyed on (victim, policy), so organic reports of the same
            # account for other reasons do not join the brigade.
            if "policy" in reports.columns:
                reports = reports.assign(target_account_id=(reports["target_account_id"].astype("string") + "|"
                                                            + reports["policy"].astype("string").fillna("")))
            edges = coordination_edges(reports, actor="reporter_id", target="target_account_id",
                                       window=report_window, min_weight=1, signal="co_report")
            all_edges.append(edges)
            memberships = _cluster(edges, kind="mass_report", seed=seed, min_size=min_cluster_size)
            if len(memberships):
                coordination = member_coordination(reports, memberships, window=report_window,
                                                   actor="reporter_id", target="target_account_id")
                null = coaction_null(reports, memberships, window=report_window, n_permutations=n_permutations,
                                     shuffle="uniform", seed=seed, actor="reporter_id", target="target_account_id")
                finish("mass_report", edges, memberships, coordination, null)
        bar.update(1)

        bar.set_postfix_str("farm")
        farm_edges = []
        if logins is not None and len(logins):
            from tsinvest.linking.shared_attributes import shared_attribute_edges

            attributes = tuple(c for c in ("device_id", "ip") if c in logins.columns)
            if attributes:
                farm_edges.append(shared_attribute_edges(logins, attributes=attributes))
        if events is not None and len(events):
            from tsinvest.linking.shared_attributes import shared_attribute_edges

            follows = events[events["action"] == "follow"]
            if len(follows):
                co_follow = shared_attribute_edges(follows, attributes=("target_id",))
                co_follow["signal"] = pd.array(["co_follow"] * len(co_follow), dtype="string")
                farm_edges.append(co_follow)
        if farm_edges:
            edges = pd.concat(farm_edges, ignore_index=True)
            all_edges.append(edges)
            # Devices/IPs and co-following are clustered separately: a farm's
            # devices make a tight clique that organic co-followers of its
            # customers would otherwise dilute into a sparse community.
            attribute_edges = edges[edges["signal"].astype("string").str.startswith("shared_")]
            follow_edges = edges[edges["signal"] == "co_follow"]
            parts = [_cluster(part, kind="farm", seed=seed, min_size=min_cluster_size)
                     for part in (attribute_edges, follow_edges)]
            # Co-follow communities around a farm also catch organic fans of its
            # customers; peel each down to the members whose own following is
            # about the community's common targets before judging it.
            follows_all = events[events["action"] == "follow"] if events is not None else None
            if len(parts[1]) and follows_all is not None:
                _, member_focus = _follow_focus(follows_all, parts[1])
                core = member_focus[(member_focus["member_focus"] >= 0.5)
                                    & (member_focus["member_common_follows"] >= 2)]
                groups = core.groupby("cluster_id")["account_id"].agg(list).tolist()
                parts[1] = membership_table(groups, min_size=min_cluster_size, prefix=_PREFIX["farm"])
            seen = set(parts[0]["cluster_id"])
            parts[1] = parts[1][~parts[1]["cluster_id"].isin(seen)]
            # Each part is scored on its own: an account may sit in a device
            # cluster and in a co-follow cluster at once.
            for memberships in parts:
                if memberships.empty:
                    continue
                follow_only = edges[edges["signal"] == "co_follow"]
                follow_features = cluster_features(memberships, follow_only)[["cluster_id", "density"]]
                follow_features = follow_features.rename(columns={"density": "follow_density"})
                follows = events[events["action"] == "follow"] if events is not None else None
                focus, member_focus = _follow_focus(follows, memberships)
                follow_features = follow_features.merge(focus, on="cluster_id", how="left")
                # A member is flagged with its farm when it shares a device/IP
                # inside it, or when its own following is about the farm's
                # common targets (organic followers of one customer are not).
                attached = _attribute_members(edges, memberships)
                keep = member_focus[
                    [(c, a) in attached for c, a in zip(member_focus["cluster_id"], member_focus["account_id"])]
                    | ((member_focus["member_focus"] >= 0.5) & (member_focus["member_common_follows"] >= 2)).to_numpy()
                ]
                member_filter = set(zip(keep["cluster_id"], keep["account_id"]))
                finish("farm", edges, memberships, extra=follow_features, member_filter=member_filter)
        bar.update(1)

        bar.set_postfix_str("copy_paste")
        if events is not None and len(events) and "text" in events.columns:
            from tsinvest.linking.copy_paste import copy_paste_edges

            edges = copy_paste_edges(events, progress=False, seed=seed + 1)
            all_edges.append(edges)
            memberships = _cluster(edges, kind="copy_paste", seed=seed, min_size=min_cluster_size)
            finish("copy_paste", edges, memberships)
        bar.update(1)

    bar.set_postfix_str("graph")
    edges = combine_edges(*all_edges)
    memberships = (pd.concat(members_out, ignore_index=True) if members_out
                   else pd.DataFrame({c: pd.Series(dtype="object") for c in _MEMBERSHIP_COLUMNS}))
    memberships = memberships.astype({"account_id": "string", "cluster_id": "string", "kind": "string",
                                      "signal": "string", "score": "float64", "flagged": "bool",
                                      "member_coordinated_share": "float64"})
    memberships = memberships.sort_values(["score", "cluster_id", "account_id"], ascending=[False, True, True],
                                          kind="mergesort").reset_index(drop=True)
    clusters = pd.concat(summaries, ignore_index=True) if summaries else pd.DataFrame(
        columns=["cluster_id", "kind", "signal", "signals", "size", "score", "flagged", "explanation"])
    if len(clusters):
        clusters = clusters.sort_values(["score", "cluster_id"], ascending=[False, True], kind="mergesort")
        first = ["cluster_id", "kind", "signal", "signals", "size", "score", "flagged"]
        rest = [c for c in clusters.columns if c not in first and c != "explanation"]
        clusters = clusters[first + rest + ["explanation"]].reset_index(drop=True)
        # Parallel sums in DuckDB may differ in the last bits between runs;
        # six decimals keep the written summary byte-identical for a seed.
        numeric = [c for c in rest if pd.api.types.is_float_dtype(clusters[c])]
        clusters[numeric] = clusters[numeric].round(6)
    graph = account_graph(edges, accounts=accounts)
    for account, group in memberships.groupby("account_id", sort=True):
        if account in graph:
            graph.nodes[account]["clusters"] = sorted(group["cluster_id"].tolist())
            graph.nodes[account]["flagged"] = bool(group["flagged"].any())
            best = group.sort_values(["score", "cluster_id"], ascending=[False, True]).iloc[0]
            graph.nodes[account]["kind"] = str(best["kind"])
    bar.update(1)
    bar.close()
    parameters = {"seed": seed, "window": window, "report_window": report_window,
                  "as_of": None if reference is None else reference.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "n_permutations": n_permutations, "min_cluster_size": min_cluster_size,
                  "min_member_share": min_member_share, "tables": sorted(tables)}
    return DetectionResult(memberships=memberships, clusters=clusters, edges=edges, graph=graph, parameters=parameters)
