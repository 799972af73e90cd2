"""The co-action route shared by amplification and mass reports.

Both kinds link accounts that act on the same targets within a window (the
compiled sweep of :func:`tsinvest.linking.coordination.coordination_edges`),
cluster them, measure per member how much of its activity is coordinated
with its cluster, and test each cluster's co-action against a shuffle null
model. Only the actions, the window and the null's shuffle differ.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from functools import partial
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd

from tsinvest.detection.base import MEMBER_COLUMNS, DetectionSettings, Detector, KindResult, feature, judge_clusters
from tsinvest.detection.clustering import cluster_family

__all__ = ["COACTION_THRESHOLDS", "run_coaction", "coaction_decide", "coaction_describe", "describe_duration",
           "describe_p_value", "engagement_anchor"]

#: Thresholds shared by the co-action kinds; each kind overrides some.
COACTION_THRESHOLDS = MappingProxyType({
    # Linking: pairs acting together on at least this many distinct targets.
    "edge_min_weight": 2,
    # Targets with more distinct accounts than this inside one window are
    # popularity (viral videos), not coordination: left out and counted.
    "max_actors_per_window": 500,
    # Targets with more actions than this inside one window (a few accounts
    # repeating one action thousands of times) are left out and counted too:
    # the pairs of their actions would grow with the square of the flood.
    "max_actions_per_window": 5000,
    # A component at least this dense stays one cluster (see cluster_family).
    "dense_component": 0.5,
    # ... and one looser than this also yields its Leiden parts as clusters
    # of their own (two groups sharing a few members; see cluster_family).
    # Off (0) here; mass_report turns it on.
    "also_split_below": 0.0,
    # The members of a cluster that the member rule keeps are also judged as a
    # cluster of their own (1) or not (0), listed only when that core is
    # flagged and its cluster is not; see _member_cores. Off here;
    # amplification turns it on.
    "judge_member_cores": 0.0,
    # Cluster rule: size, density, share of members' actions coordinated, null model.
    # The share is low on purpose: rings blend in by liking popular videos
    # as often as they boost (a share of 0.3 to 0.5); the null model and the
    # burst share carry the decision.
    "min_size": 5,
    "min_density": 0.4,
    "min_coordinated_share": 0.25,
    "max_p_value": 0.01,
    # Selection beside the shuffle: at most this many waves like the
    # cluster's would its targets' own traffic make by chance (see
    # tsinvest.scoring.scan.chance_waves). Off (1) here; mass_report sets it.
    "max_chance_waves": 1.0,
    # Effect size beside the p-value: the share of the cluster's co-action
    # statistic that the null's mean does not explain. A large cluster of
    # heavy users (notification fans, say) can beat every one of 199 shuffles
    # by a hair (p = 0.005, yet only 1-2 % of its co-action unexplained),
    # while rings leave 7-94 % unexplained (tuning seeds 2000-2019 and
    # 3000-3019: fan clusters at most 0.015, rings at least 0.069).
    "min_excess_share": 0.03,
    # Strong evidence, per pair or in total: the members' pairs co-acted on at
    # least this many targets on average (mean edge weight) ...
    "min_mean_weight": 0.0,
    # ... or the cluster beats the shuffles by at least this many standard
    # deviations. Off (0) here; amplification sets both (see its Notes).
    "min_z_score": 0.0,
    # ... or it has at least this many members: chance coincidences select
    # small groups (see amplification's Notes). Off (0) here.
    "strong_min_size": 0,
    # When the cluster acts on a target, at least this share of everyone
    # acting on it within the window is the cluster: a ring owns its bursts
    # (0.9 and more), while a clustering of a viral video's crowd holds a
    # slice of the thousands acting at once (0.1 to 0.5), and a handful of
    # fans who happen to share a creator's posts minutes apart hold 0.6-0.7
    # (they share the posts with the rest of the creator's audience).
    "min_burst_share": 0.8,
    # A tight clique may own less of its bursts when it also beats the
    # shuffles by far: rings that blend into popular videos hold 0.77-0.80 of
    # their moments yet are near-complete graphs (density 0.95-1.0) at 9-25
    # standard deviations, while the densest crowd of notification fans and
    # viral sharers at such burst shares is a looser web (at most 0.87) within
    # 4 standard deviations of its shuffles (tuning seeds 2000-8019). Off here
    # (equal to min_burst_share); amplification turns it on.
    "tight_min_burst_share": 0.8,
    "tight_min_density": 0.9,
    "tight_min_z_score": 8.0,
    # Member rule: a member of a flagged cluster is flagged when at least this
    # share of its own actions is coordinated with the cluster ...
    "min_member_share": 0.15,
    # ... it acts inside the cluster's bursts, not beside them: its median gap
    # to the nearest co-member is at most this multiple of the cluster's
    # median gap (or the floor below, whichever is larger). A bystander who
    # reported the brigade's victim 40 minutes after the wave, or liked a
    # boosted video minutes after the ring, is hundreds of times slower ...
    "max_member_gap_ratio": 30,
    # (gaps within this many seconds are "the same moment" for any cluster) ...
    "member_gap_floor_s": 30,
    # ... and it has at least this fraction of the cluster's median number of
    # coordinated actions (an organic user who brushed against a ring once
    # stays out) or, in a ring that acts on many targets, this many
    # coordinated actions (a member who joined a few of the ring's bursts).
    "min_member_typical_ratio": 0.5,
    "min_member_coordinated": 2,
})


def describe_p_value(p: float) -> str:
    """``p<0.001``, ``p=0.004`` or ``p=0.23``."""
    if p <= 0.001:
        return "p<0.001"
    if p <= 0.01:
        return f"p={p:.3f}"
    return f"p={p:.2f}"


def describe_duration(seconds: float) -> str:
    """``8 s``, ``12 min`` or ``1.5 h``."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def coaction_decide(row: Mapping, limits: Mapping[str, float]) -> tuple[float, bool]:
    """Score = 0.3 burst share + 0.2 coordinated share + 0.2 density + 0.3 (1 - p / 0.05).

    Flagged when every limit holds (the null model's p-value and excess share
    and, when on, ``max_chance_waves`` included; clusters they did not test
    count as failing them); strong
    evidence is ``min_mean_weight``, ``min_z_score`` or, when set,
    ``strong_min_size`` members. The burst
    limit is ``min_burst_share``, or ``tight_min_burst_share`` for a cluster
    at least ``tight_min_density`` dense that beats the shuffles by at least
    ``tight_min_z_score`` standard deviations.
    """
    share = feature(row, "coordinated_share")
    burst = feature(row, "burst_share")
    density = feature(row, "density")
    p = feature(row, "p_value", 1.0)
    excess = feature(row, "excess_share", 0.0)
    z_score = feature(row, "z_score", math.inf)
    score = 0.3 * burst + 0.2 * share + 0.2 * min(1.0, density) + 0.3 * (1.0 - min(1.0, p / 0.05))
    tight = density >= limits["tight_min_density"] and z_score >= limits["tight_min_z_score"]
    owns_bursts = burst >= limits["min_burst_share"] or (tight and burst >= limits["tight_min_burst_share"])
    flagged = (feature(row, "size") >= limits["min_size"] and density >= limits["min_density"]
               and share >= limits["min_coordinated_share"] and owns_bursts
               and p <= limits["max_p_value"] and excess >= limits["min_excess_share"]
               and feature(row, "chance_waves", 1.0) <= limits["max_chance_waves"]
               and (feature(row, "mean_weight") >= limits["min_mean_weight"]
                    or z_score >= limits["min_z_score"]
                    or 0 < limits["strong_min_size"] <= feature(row, "size")))
    return score, flagged


def coaction_describe(row: Mapping, verb: str) -> list[str]:
    """Explanation parts common to the co-action kinds."""
    gap = feature(row, "median_gap_s", math.nan)
    within = f" within {describe_duration(gap)} of each other" if not math.isnan(gap) else ""
    return [
        f"{int(feature(row, 'size'))} accounts {verb}{within} "
        f"({int(feature(row, 'coordinated_targets'))} coordinated actions)",
        f"{feature(row, 'coordinated_share'):.0%} of their actions were coordinated",
        f"they were {feature(row, 'burst_share'):.0%} of everyone acting on those targets at those times",
        f"density {feature(row, 'density'):.2f}",
        (f"{describe_p_value(feature(row, 'p_value', 1.0))} vs shuffled null, "
         f"{feature(row, 'excess_share'):.0%} of the co-action beyond it" if feature(row, "permutations") else
         "not tested against the shuffled null (other rules already fail)"),
    ]


def _member_rule(coordination: pd.DataFrame, limits: Mapping[str, float]) -> pd.DataFrame:
    """Which members of a cluster are flagged with it (see the ``min_member_*`` thresholds)."""
    by_cluster = coordination.groupby("cluster_id")
    typical = by_cluster["coordinated"].transform("median").fillna(0)
    cluster_gap = by_cluster["median_gap_s"].transform("median")
    allowed_gap = np.maximum(limits["max_member_gap_ratio"] * cluster_gap.fillna(0), limits["member_gap_floor_s"])
    enough = ((coordination["coordinated"] >= limits["min_member_typical_ratio"] * typical)
              | (coordination["coordinated"] >= limits["min_member_coordinated"]))
    in_bursts = (coordination["median_gap_s"] <= allowed_gap).fillna(False).astype(bool)
    flagged = (coordination["coordinated_share"] >= limits["min_member_share"]) & enough & in_bursts
    return pd.DataFrame({"cluster_id": coordination["cluster_id"], "account_id": coordination["account_id"],
                         "member_flagged": flagged.to_numpy(dtype=bool),
                         "member_coordinated_share": coordination["coordinated_share"].astype("float64")})


def _sweep_exclusions(actions: pd.DataFrame, *, target: str, flooded: list[str], excluded: list[str],
                      stats: Mapping[str, int]) -> dict[str, int]:
    """What the co-action sweep left out, as counts (never ids)."""
    return {
        "flooded_targets": len(flooded),
        "hot_targets": len(excluded),
        "hot_target_actions": int(actions[target].astype("string").isin(excluded).sum()) if excluded else 0,
        "windowed_pairs": int(stats.get("windowed_pairs", 0)),
    }


def _scan_of(actions: pd.DataFrame, memberships: pd.DataFrame, members: pd.DataFrame, candidates: list[str], *,
             actor: str, target: str, window: float, excluded: list[str]) -> pd.DataFrame:
    """``cluster_id``, ``chance_waves`` and ``expected_bystanders`` of the tested clusters, hot targets left out.

    See :mod:`tsinvest.scoring.scan`. The waves are the whole cluster's for
    ``chance_waves`` (the decision) and the kept members' for the bystanders
    (a bystander beside the wave must not widen it); a wave ends where they
    paused for longer than the co-action window.
    """
    from tsinvest.scoring import chance_bystanders, chance_waves

    kept = actions[~actions[target].astype("string").isin(excluded)]
    tested = memberships[memberships["cluster_id"].isin(candidates)]
    flagged = members[members["member_flagged"] & members["cluster_id"].isin(candidates)]
    waves = chance_waves(kept, tested, actor=actor, target=target)[["cluster_id", "chance_waves"]]
    bystanders = chance_bystanders(kept, flagged, actor=actor, target=target, wave_gap=window)
    return waves.merge(bystanders, on="cluster_id", how="left")


def _single_action_members(members: pd.DataFrame, coordination: pd.DataFrame) -> pd.Series:
    """Per cluster, the members the member rule keeps on one coordinated action.

    A bystander who acted once beside the cluster, at the same moment, looks
    the same: the explanation says so.
    """
    once = members["member_flagged"].to_numpy() & (coordination["coordinated"].to_numpy() == 1)
    return members[once].groupby("cluster_id").size()


def _with_member_cores(memberships: pd.DataFrame, coordination: pd.DataFrame,
                       coordinate: Callable[[pd.DataFrame], pd.DataFrame], limits: Mapping[str, float], *,
                       prefix: str, min_size: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """``memberships`` and ``coordination`` with the member cores added, and each core's cluster.

    See :func:`_member_cores`; the third value maps a core's ``cluster_id``
    to the cluster it was cut from.
    """
    cores = _member_cores(coordination, memberships, limits, prefix=prefix, min_size=min_size)
    parents = cores.drop_duplicates("cluster_id").set_index("cluster_id")["parent_id"]
    if cores.empty:
        return memberships, coordination, parents
    cores = cores[["account_id", "cluster_id"]]
    return (pd.concat([memberships, cores], ignore_index=True),
            pd.concat([coordination, coordinate(cores)], ignore_index=True), parents)


def _member_cores(coordination: pd.DataFrame, memberships: pd.DataFrame, limits: Mapping[str, float], *,
                  prefix: str, min_size: int) -> pd.DataFrame:
    """Per cluster, the members the member rule keeps, as a cluster of their own when that drops someone.

    Two heavy users who act on everything within a minute of everyone join a
    ring's component; their thousands of actions then outweigh the ring's in
    every action-weighted feature (a ring of 47 whose cluster owned 0.39 of its
    bursts). The members acting inside the cluster's bursts are judged as a
    cluster beside it. Returns ``account_id``, ``cluster_id`` (the core's,
    from its members) and ``parent_id`` (the cluster it was cut from).
    """
    from tsinvest.graph.communities import cluster_id_for

    kept = _member_rule(coordination, limits)
    kept = kept[kept["member_flagged"]][["cluster_id", "account_id"]].astype("string")
    sizes = memberships.groupby("cluster_id").size()
    counts = kept.groupby("cluster_id").size()
    shrunk = counts[(counts >= min_size) & (counts < sizes.reindex(counts.index))].index
    kept = kept[kept["cluster_id"].isin(shrunk)].rename(columns={"cluster_id": "parent_id"})
    core_ids = kept.groupby("parent_id")["account_id"].agg(lambda ids: cluster_id_for(ids, prefix=prefix))
    cores = kept.assign(cluster_id=kept["parent_id"].map(core_ids).astype("string"))
    cores = cores[~cores["cluster_id"].isin(set(memberships["cluster_id"].astype("string")))]
    cores = cores.drop_duplicates(["cluster_id", "account_id"])
    return cores.sort_values(["cluster_id", "account_id"])[["account_id", "cluster_id", "parent_id"]].reset_index(
        drop=True)


def _decisive_cores(clusters: pd.DataFrame, members: pd.DataFrame,
                    parents: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``clusters`` and ``members`` keeping a core only when it is flagged and the cluster it came from is not.

    A core that agrees with its cluster repeats it (the same flagged members,
    or nobody flagged): the table lists each group once.
    """
    if parents.empty:
        return clusters, members
    flagged = clusters.set_index("cluster_id")["flagged"]
    decisive = [core for core, parent in parents.items()
                if bool(flagged.get(core, False)) and not bool(flagged.get(parent, False))]
    dropped = set(parents.index) - set(decisive)
    return (clusters[~clusters["cluster_id"].isin(dropped)].reset_index(drop=True),
            members[~members["cluster_id"].isin(dropped)].reset_index(drop=True))


def _excess_share(observed: pd.Series, null_mean: pd.Series) -> pd.Series:
    """Share of the observed co-action statistic that the null's mean does not explain (0 when none observed)."""
    observed = observed.astype("float64")
    excess = (observed - null_mean.astype("float64")) / observed.where(observed > 0)
    return excess.fillna(0.0).clip(lower=0.0)


def _flooded_targets(actions: pd.DataFrame, *, target: str, window: float, limit: int) -> list[str]:
    """Targets where some window of ``window`` seconds holds more than ``limit`` actions.

    One sort by (target, time), then one comparison of each action with the
    one ``limit`` places later: ``O(N log N)``.
    """
    if len(actions) <= limit:
        return []
    frame = pd.DataFrame({"target": actions[target].astype("string").to_numpy(),
                          "ns": actions["ts"].dt.tz_convert("UTC").dt.as_unit("ns").astype("int64").to_numpy()})
    frame = frame.dropna().sort_values(["target", "ns"], kind="mergesort")
    names, times = frame["target"].to_numpy(), frame["ns"].to_numpy()
    dense = (names[limit:] == names[:-limit]) & (times[limit:] - times[:-limit] <= window * 1e9)
    return sorted(set(names[:-limit][dense].tolist()))


def run_coaction(detector: Detector, actions: pd.DataFrame, *, actor: str, target: str, window: float, signal: str,
                 shuffle: Literal["account", "uniform"], settings: DetectionSettings, limits: Mapping[str, float],
                 accounts: pd.DataFrame | None = None, source: str | None = None,
                 anchor: str | None = None) -> KindResult:
    """Edges, clusters, member coordination, null model and judgement of one co-action kind.

    Notes
    -----
    Stages and their cost, for ``N`` actions, ``P`` windowed action pairs on
    targets that are not hot, ``E`` edges and ``M`` actions by cluster members:
    edges ``O(N + P)`` (compiled sweep; a hot target is dropped before it adds
    pairs); clusters ``O(E)``; member coordination ``O(M log M)`` (again for
    the members of cores, when judged); null model
    ``O(k M' log M')`` for ``k`` samples (sequential stop) and the ``M'``
    actions of the clusters that pass every other rule (the null can only
    unflag, so only those are tested; the others show no p-value). No stage forms pairs
    of actions outside the window, so a video shared by 20,000 accounts at
    once costs its rows. The scan statistic, when on, costs ``O(M' log M')``
    plus one count of actions per target ``O(N)``.
    """
    from tsinvest.graph.communities import edges_among_members, edges_within_clusters
    from tsinvest.linking.coordination import HotTargetWarning
    from tsinvest.scoring import cluster_features, coaction_null, member_coordination

    coordination_edges = settings.linking.coordination_edges
    flooded = _flooded_targets(actions, target=target, window=window, limit=int(limits["max_actions_per_window"]))
    if len(flooded):
        actions = actions[~actions[target].astype("string").isin(flooded)]
    with warnings.catch_warnings():
        # Exclusions are reported as counts in the result, not as a warning.
        warnings.simplefilter("ignore", HotTargetWarning)
        edges = coordination_edges(actions, actor=actor, target=target, window=window,
                                   min_weight=int(limits["edge_min_weight"]), signal=signal,
                                   max_actors_per_window=int(limits["max_actors_per_window"]))
    excluded = list(edges.attrs.get("excluded_targets", []))
    exclusions = _sweep_exclusions(actions, target=target, flooded=flooded, excluded=excluded,
                                   stats=edges.attrs.get("stats", {}))
    edges = edges.assign(weight=edges["weight"].astype("float64"))
    edges.attrs = {}
    memberships = cluster_family(edges, seed=settings.seed, min_size=settings.min_cluster_size,
                                 prefix=detector.prefix, dense_component=limits["dense_component"],
                                 also_split_below=limits["also_split_below"])
    if memberships.empty:
        return KindResult(detector.kind, edges, pd.DataFrame(columns=["cluster_id"]),
                          pd.DataFrame(columns=list(MEMBER_COLUMNS)), exclusions)
    coordinate = partial(member_coordination, actions, window=window, actor=actor, target=target, source=source,
                         excluded_targets=excluded)
    coordination, parents = coordinate(memberships), pd.Series(dtype="string")
    if limits["judge_member_cores"]:
        memberships, coordination, parents = _with_member_cores(
            memberships, coordination, coordinate, limits, prefix=detector.prefix, min_size=settings.min_cluster_size)
    inside = edges_within_clusters(edges, memberships)
    features = cluster_features(memberships, edges_among_members(edges, memberships), coordination=coordination,
                                accounts=accounts, as_of=settings.as_of)
    # The null model can only unflag: it runs for the clusters every other rule would flag.
    candidates = [row["cluster_id"] for row in features.to_dict(orient="records")
                  if detector.decide({**row, "p_value": 0.0, "excess_share": 1.0, "z_score": math.inf,
                                      "chance_waves": 0.0}, limits)[1]]
    null = coaction_null(actions, memberships[memberships["cluster_id"].isin(candidates)], window=window,
                         n_permutations=settings.n_permutations, shuffle=shuffle, anchor=anchor, stratum=source,
                         seed=settings.seed, actor=actor, target=target, excluded_targets=excluded, progress=False)
    null = null.assign(excess_share=_excess_share(null["observed"], null["null_mean"]))
    features = features.merge(null[["cluster_id", "z_score", "p_value", "excess_share", "permutations"]],
                              on="cluster_id", how="left")
    features["permutations"] = features["permutations"].fillna(0).astype("int64")
    exclusions["null_samples"] = int(null["permutations"].sum())
    exclusions["null_tested_clusters"] = len(candidates)
    members = _member_rule(coordination, limits)
    if limits["max_chance_waves"] < 1:
        features = features.merge(_scan_of(actions, memberships, members, candidates, actor=actor, target=target,
                                           window=window, excluded=excluded), on="cluster_id", how="left")
    features["single_action_members"] = _single_action_members(members, coordination).reindex(
        features["cluster_id"]).fillna(0).astype("int64").to_numpy()
    clusters, members = _decisive_cores(judge_clusters(detector, features, inside, limits), members, parents)
    return KindResult(detector.kind, edges, clusters, members, exclusions)


def engagement_anchor(events: pd.DataFrame, engaged: pd.DataFrame) -> pd.DataFrame:
    """``engaged`` plus ``source`` (who posted the target) and ``published`` (when), from post events."""
    from tsinvest.schemas import TIMESTAMP_DTYPE

    posts = events[events["action"] == "post"].sort_values("ts", kind="mergesort").drop_duplicates("target_id")
    position = pd.Index(posts["target_id"].astype("string")).get_indexer(engaged["target_id"].astype("string"))
    source = posts["account_id"].astype("string").array.take(position, allow_fill=True)
    published = posts["ts"].astype(TIMESTAMP_DTYPE).array.take(position, allow_fill=True)
    return engaged.assign(source=source, published=published)

