"""Account farms: accounts sharing rare devices or IPs, or following the same few customers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd

from tsinvest.detection.base import (
    MEMBER_COLUMNS,
    DetectionSettings,
    Detector,
    KindResult,
    empty_edges,
    feature,
    judge_clusters,
)
from tsinvest.detection.clustering import cluster_family

__all__ = ["Farm", "follow_focus"]


def follow_focus(follows: pd.DataFrame | None, memberships: pd.DataFrame, *,
                 common_share: float = 0.3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How much of a cluster's following goes to accounts the cluster follows in common.

    A farm follows the same few paying customers; organic users who happen to
    follow one of the same creators follow many others too. A followed
    account is *common* in a cluster when at least ``common_share`` of the
    members (and at least 2) follow it.

    Returns
    -------
    (DataFrame, DataFrame)
        Per cluster: ``cluster_id``, ``follow_focus`` (share of the members'
        follows that go to common accounts), ``mean_common_follows``. Per
        member: ``cluster_id``, ``account_id``, ``member_focus``,
        ``member_common_follows``.

    Notes
    -----
    Hash joins and group-bys over the members' follows: ``O(F)``.
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
    cluster_size = per_target["cluster_id"].map(sizes).astype("float64").to_numpy()
    per_target["common"] = per_target["followers"].to_numpy() >= np.maximum(2, common_share * cluster_size)
    rows = rows.merge(per_target, on=["cluster_id", "target_id"])
    per_member = rows.groupby(["cluster_id", "account_id"])["common"].agg(["mean", "sum"]).reset_index()
    per_member = per_member.rename(columns={"mean": "member_focus", "sum": "member_common_follows"})
    member_rows = member_rows.merge(per_member, on=["cluster_id", "account_id"], how="left")
    member_rows = member_rows.fillna({"member_focus": 0.0, "member_common_follows": 0})
    focus = rows.groupby("cluster_id")["common"].mean().rename("follow_focus").reset_index()
    mean_common = member_rows.groupby("cluster_id")["member_common_follows"].mean().rename("mean_common_follows")
    result = clusters.merge(focus, on="cluster_id", how="left").merge(mean_common.reset_index(), on="cluster_id",
                                                                      how="left")
    return result, member_rows


class Farm(Detector):
    """Shared devices/IPs (rarity-weighted, hub values dropped) and co-following.

    Thresholds
    ----------
    max_accounts_per_value
        A device or IP shared by more accounts is a hub (carrier NAT, office
        Wi-Fi) and links nobody.
    dense_component
        A component at least this dense stays one cluster.
    also_split_below
        A whole component looser than this also yields its Leiden parts as
        clusters of their own (see :func:`~tsinvest.detection.clustering.cluster_family`).
        Two farms whose members follow a customer of the other make one
        co-follow component dense enough to stay whole, in which the smaller
        farm's customers are not followed by ``common_follow_share`` of the
        members, so the focus peel drops the whole smaller farm (a farm of 10
        beside one of 26, density about 0.6, project adaptive 14014). On 520
        tuning folders (seeds x000-x009 of 2000-14019) the parts raised farm
        recall in four (0.79-0.92 to 0.92-1.00) and changed no precision.
        The same two farms inside a larger, sparse co-follow component end up
        in one Leiden community instead (the resolution limit); a community
        of 50 or more is parted the same way (an adaptive farm of 16 beside
        one of 30, joined by one customer, project adaptive 21009: farm
        recall 0.856 to 1.000).
    min_size, min_density, min_score
        Cluster rule on size, density and the farm score.
    min_shared_values
        Route 1: at least this many distinct shared devices/IPs inside the cluster.
    min_follow_size, min_follow_focus, min_follow_density, min_mean_common_follows
        Route 2 (co-following alone is weaker evidence than a shared phone, so
        it asks for a larger group, 7): share of members' follows going to the
        group's common accounts, co-follow density, and common accounts
        followed per member. Light users form focused groups of 5-6 (below);
        an adaptive farm of 11 whose members follow one to three of three
        customers peels to the 7 that follow two or more (project adaptive
        16006). At 7 rather than 8, on 443 tuning folders (seeds x000-x004 of
        2000-14019 and all of 15000-16019) farm recall rose in four folders
        (0.870-0.911 to 0.930-0.973) and no precision or trap count changed.
    min_corroborated_follow_size, min_corroborating_values
        Route 2 for a smaller group (5-6) whose members also share at least
        one device/IP. An adaptive farm of 8-11 accounts peels to a focused
        core of 5-7; on 720 tuning folders (seeds 2000-9019, both generators
        and settings) 72 such cores passed the other route-2 limits: 44 farms
        (39 with a shared device) and 28 groups of one banned operator's old
        and new accounts, no organic group. Co-following alone is not enough
        at that size: light users who each follow three of a few dozen small
        creators form groups of 5-6 with the same focus (0.67-0.78) and
        co-follow density (0.8-1.0) as those farms (0.64-1.0, 0.6-1.0).
    common_follow_share
        An account is *common* in a cluster when this share of members follow it.
    min_member_focus, min_member_common_follows
        Co-follow clusters are peeled to members whose own following is about
        the common accounts; a member of a flagged farm is flagged when it
        shares a device/IP inside the cluster or passes these two.
    min_share_in_flagged_farm
        Route 3, a second look after the clusters are judged: a device/IP
        cluster of any size (at least ``min_density`` dense) that adds
        accounts to a farm flagged on its own evidence, and of which at
        least this share are that farm's flagged members, is flagged too.
        An adaptive farm's co-follow core leaves out members that follow one
        customer; some of them log in on a phone with core members, in
        groups of 3-4, too small to be judged alone (project adaptive 24011:
        two such groups of 4 with 2 and 3 core members, farm recall 0.898 to
        0.924). A carrier or cafe address one farm account shares with
        strangers stays a small share; only first-judgement flags count, so
        groups never chain; and a group inside the farm (one of its parts)
        adds nobody, so it is never flagged a second time.

    Notes
    -----
    Devices/IPs and co-following are clustered separately: a farm's devices
    make a tight clique that organic co-followers of its customers would
    otherwise dilute into a sparse community. Creation bursts and templated
    usernames add to the score but never flag alone: adaptive farms use aged,
    plainly named accounts.
    """

    kind = "farm"
    prefix = "farm"
    required = ()
    thresholds = MappingProxyType({
        "max_accounts_per_value": 50, "dense_component": 0.5, "also_split_below": 0.7,
        "min_size": 5, "min_density": 0.3, "min_score": 0.5, "min_shared_values": 2,
        "min_follow_size": 7, "min_corroborated_follow_size": 5, "min_corroborating_values": 1,
        "min_follow_focus": 0.6, "min_follow_density": 0.4, "min_mean_common_follows": 1.8,
        "common_follow_share": 0.3, "min_member_focus": 0.5, "min_member_common_follows": 2,
        "min_share_in_flagged_farm": 0.5,
    })

    def applies(self, tables: Mapping[str, pd.DataFrame]) -> bool:
        logins = tables.get("logins")
        events = tables.get("events")
        has_attributes = logins is not None and len(logins) and ({"device_id", "ip"} & set(logins.columns))
        has_follows = events is not None and len(events) and bool((events["action"] == "follow").any())
        return bool(has_attributes or has_follows)

    def run(self, tables: Mapping[str, pd.DataFrame], settings: DetectionSettings,
            limits: Mapping[str, float]) -> KindResult:
        from tsinvest.graph.communities import edges_among_members, edges_within_clusters
        from tsinvest.scoring import cluster_features

        shared_attribute_edges = settings.linking.shared_attribute_edges
        logins, events = tables.get("logins"), tables.get("events")
        follows = events[events["action"] == "follow"] if events is not None and len(events) else None
        attribute_edges, follow_edges, exclusions = _farm_edges(logins, follows, int(limits["max_accounts_per_value"]),
                                                             shared_attribute_edges)
        edges = pd.concat([attribute_edges, follow_edges], ignore_index=True)
        edges = edges.assign(weight=edges["weight"].astype("float64"))
        memberships = self._clusters(attribute_edges, follow_edges, follows, settings, limits)
        if memberships.empty:
            return KindResult(self.kind, edges, pd.DataFrame(columns=["cluster_id"]),
                              pd.DataFrame(columns=list(MEMBER_COLUMNS)), exclusions)
        inside = edges_within_clusters(edges, memberships)
        features = cluster_features(memberships, edges_among_members(edges, memberships),
                                    accounts=tables.get("accounts"), as_of=settings.as_of)
        follow_inside = inside[inside["signal"] == "co_follow"]
        pairs = follow_inside.drop_duplicates(["cluster_id", "account_a", "account_b"]).groupby("cluster_id").size()
        size = features.set_index("cluster_id")["size"]
        possible = size * (size - 1) / 2
        features["follow_density"] = (pairs.reindex(size.index).fillna(0) / possible.clip(lower=1)).to_numpy()
        focus, member_focus = follow_focus(follows, memberships, common_share=limits["common_follow_share"])
        features = features.merge(focus, on="cluster_id", how="left").assign(share_in_flagged_farm=0.0)
        members = _farm_members(inside, member_focus, limits)
        clusters = judge_clusters(self, features, inside, limits)
        # Second look: device/IP groups that are half accounts of farms flagged on their own evidence.
        overlap = _share_in_flagged_farms(clusters, members, memberships)
        if (overlap > 0).any():
            share = features["cluster_id"].map(overlap).fillna(0.0).astype("float64")
            clusters = judge_clusters(self, features.assign(share_in_flagged_farm=share), inside, limits)
        return KindResult(self.kind, edges, clusters, members, exclusions)

    def _clusters(self, attribute_edges: pd.DataFrame, follow_edges: pd.DataFrame, follows: pd.DataFrame | None,
                  settings: DetectionSettings, limits: Mapping[str, float]) -> pd.DataFrame:
        """Device/IP clusters, then co-follow clusters cut to their focused core (each judged on its own)."""
        from tsinvest.graph.communities import membership_table

        def clusters_of(edges: pd.DataFrame) -> pd.DataFrame:
            return cluster_family(edges, seed=settings.seed, min_size=settings.min_cluster_size, prefix=self.prefix,
                                  dense_component=limits["dense_component"],
                                  also_split_below=limits["also_split_below"])

        by_attributes = clusters_of(attribute_edges)
        by_follows = clusters_of(follow_edges)
        if len(by_follows):
            _, focus = follow_focus(follows, by_follows, common_share=limits["common_follow_share"])
            core = focus[(focus["member_focus"] >= limits["min_member_focus"])
                         & (focus["member_common_follows"] >= limits["min_member_common_follows"])]
            groups = core.groupby("cluster_id")["account_id"].agg(list).tolist()
            # A component and one of its parts (see also_split_below) may peel to the same core: keep it once.
            by_follows = membership_table(groups, min_size=settings.min_cluster_size, prefix=self.prefix)
            by_follows = by_follows.drop_duplicates(["cluster_id", "account_id"]).reset_index(drop=True)
            by_follows = by_follows[~by_follows["cluster_id"].isin(set(by_attributes["cluster_id"]))]
        # An account may sit in a device cluster and a co-follow cluster at once.
        return pd.concat([by_attributes, by_follows], ignore_index=True)

    @staticmethod
    def _farm_score(row: Mapping) -> float:
        attributes = min(1.0, feature(row, "density") / 0.6) * min(1.0, feature(row, "shared_values") / 4.0)
        follows = feature(row, "follow_focus") * min(1.0, feature(row, "follow_density") / 0.6)
        support = 0.5 * feature(row, "creation_burst_share") + 0.5 * feature(row, "template_share")
        return float(min(1.0, 0.8 * max(attributes, follows) + 0.2 * support + 0.1 * min(attributes, follows)))

    @staticmethod
    def decide(row: Mapping, limits: Mapping[str, float]) -> tuple[float, bool]:
        """Score weighs the stronger route, plus creation burst and username templates as support only."""
        score = Farm._farm_score(row)
        by_attributes = feature(row, "shared_values") >= limits["min_shared_values"]
        large_enough = (feature(row, "size") >= limits["min_follow_size"]
                        or (feature(row, "size") >= limits["min_corroborated_follow_size"]
                            and feature(row, "shared_values") >= limits["min_corroborating_values"]))
        by_follows = (large_enough and feature(row, "follow_focus") >= limits["min_follow_focus"]
                      and feature(row, "follow_density") >= limits["min_follow_density"]
                      and feature(row, "mean_common_follows") >= limits["min_mean_common_follows"])
        flagged = (feature(row, "size") >= limits["min_size"] and feature(row, "density") >= limits["min_density"]
                   and (by_attributes or by_follows) and score >= limits["min_score"])
        # Route 3: a device/IP group of any size that adds accounts to a flagged farm and is half its flagged accounts.
        extends_farm = (feature(row, "share_in_flagged_farm") >= limits["min_share_in_flagged_farm"]
                        and feature(row, "shared_values") >= 1 and feature(row, "density") >= limits["min_density"])
        return score, flagged or extends_farm

    @staticmethod
    def describe(row: Mapping) -> list[str]:
        parts = [f"{int(feature(row, 'size'))} accounts linked by {int(feature(row, 'shared_values'))} "
                 "shared devices/IPs", f"density {feature(row, 'density'):.2f}"]
        focus = feature(row, "follow_focus", np.nan)
        if not np.isnan(focus):
            parts.append(f"{focus:.0%} of their follows go to accounts the group follows in common "
                         f"({feature(row, 'mean_common_follows'):.1f} per member)")
        template = feature(row, "template_share", np.nan)
        if not np.isnan(template):
            parts.append(f"{template:.0%} of usernames share one template")
        in_farm = feature(row, "share_in_flagged_farm")
        if in_farm > 0:
            parts.append(f"{in_farm:.0%} of its accounts are flagged members of another farm cluster")
        return parts


def _farm_edges(
    logins: pd.DataFrame | None, follows: pd.DataFrame | None, cap: int,
    shared_attribute_edges: Callable[..., pd.DataFrame],
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Shared device/IP edges, co-follow edges, and the hub values each left out (counts).

    ``shared_attribute_edges`` is the linking engine's function (local or Spark, same output).
    """
    attribute_edges, follow_edges = empty_edges(), empty_edges()
    exclusions: dict[str, int] = {}
    if logins is not None and len(logins):
        attributes = tuple(c for c in ("device_id", "ip") if c in logins.columns)
        if attributes:
            attribute_edges = shared_attribute_edges(logins, attributes=attributes, max_accounts_per_value=cap)
            for column, count in attribute_edges.attrs.get("hub_values_excluded", {}).items():
                exclusions[f"hub_{column}_values"] = int(count)
    if follows is not None and len(follows):
        follow_edges = shared_attribute_edges(follows, attributes=("target_id",), max_accounts_per_value=cap)
        hubs = follow_edges.attrs.get("hub_values_excluded", {})
        exclusions["hub_follow_targets"] = int(hubs.get("target_id", 0))
        follow_edges = follow_edges.assign(signal=pd.array(["co_follow"] * len(follow_edges), dtype="string"))
    attribute_edges.attrs, follow_edges.attrs = {}, {}
    return attribute_edges, follow_edges, exclusions


def _share_in_flagged_farms(clusters: pd.DataFrame, members: pd.DataFrame, memberships: pd.DataFrame) -> pd.Series:
    """Per unflagged device/IP cluster, the largest share of its accounts that are flagged members of one farm.

    Only farms flagged in the first judgement count, so a group joins a farm
    through its own accounts, never through a chain of other groups; and a
    group inside a farm (a part of it: every account already a member) adds
    nobody and is left out. ``O(M)`` joins and group-bys over the memberships.
    """
    flagged_clusters = set(clusters.loc[clusters["flagged"], "cluster_id"])
    device_groups = set(clusters.loc[~clusters["flagged"] & (clusters["shared_values"].fillna(0) >= 1), "cluster_id"])
    if not flagged_clusters or not device_groups:
        return pd.Series(dtype="float64")
    in_farms = members.loc[members["cluster_id"].isin(flagged_clusters), ["cluster_id", "account_id", "member_flagged"]]
    groups = memberships.loc[memberships["cluster_id"].isin(device_groups), ["cluster_id", "account_id"]]
    pairs = groups.merge(in_farms.rename(columns={"cluster_id": "farm"}), on="account_id")
    pairs = pairs.assign(member_flagged=pairs["member_flagged"].astype(bool)).drop_duplicates(
        ["cluster_id", "farm", "account_id"])
    per_farm = pairs.groupby(["cluster_id", "farm"], as_index=False).agg(
        inside=("account_id", "size"), flagged=("member_flagged", "sum"))
    sizes = groups.drop_duplicates().groupby("cluster_id").size()
    size = per_farm["cluster_id"].map(sizes).to_numpy(dtype="float64")
    extends = per_farm["inside"].to_numpy(dtype="float64") < size
    share = pd.Series(per_farm["flagged"].to_numpy(dtype="float64") / size, index=per_farm["cluster_id"])[extends]
    return share.groupby(level=0).max().reindex(sorted(device_groups), fill_value=0.0).astype("float64")


def _farm_members(inside: pd.DataFrame, member_focus: pd.DataFrame, limits: Mapping[str, float]) -> pd.DataFrame:
    """Member rule: attached to the cluster through a shared device/IP, or focused on its common follows."""
    shared = inside[inside["signal"].astype("string").str.startswith("shared_")]
    attached = pd.concat([shared[["cluster_id", "account_a"]].set_axis(["cluster_id", "account_id"], axis=1),
                          shared[["cluster_id", "account_b"]].set_axis(["cluster_id", "account_id"], axis=1)])
    attached = attached.drop_duplicates().assign(attached=True)
    members = member_focus.merge(attached, on=["cluster_id", "account_id"], how="left")
    flagged = (members["attached"].fillna(False).astype(bool)
               | ((members["member_focus"] >= limits["min_member_focus"])
                  & (members["member_common_follows"] >= limits["min_member_common_follows"])))
    return pd.DataFrame({"cluster_id": members["cluster_id"], "account_id": members["account_id"],
                         "member_flagged": flagged.to_numpy(dtype=bool), "member_coordinated_share": np.nan})
