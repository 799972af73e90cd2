"""Amplification rings: accounts that share and like the same videos within minutes, again and again."""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

import pandas as pd

from tsinvest.detection.base import DetectionSettings, Detector, KindResult, feature
from tsinvest.detection.coaction import (
    COACTION_THRESHOLDS,
    coaction_decide,
    coaction_describe,
    engagement_anchor,
    run_coaction,
)

__all__ = ["Amplification", "ENGAGEMENT_ACTIONS"]

#: Event actions that amplify a video.
ENGAGEMENT_ACTIONS = ("share", "like")


class Amplification(Detector):
    """Co-shares and co-likes of the same videos within ``window`` seconds.

    Thresholds: :data:`~tsinvest.detection.coaction.COACTION_THRESHOLDS`, with
    strong evidence asked for (``min_mean_weight`` 2.5 or ``min_z_score`` 8).
    Every pair of a ring co-acts on several of its targets. Fans of a creator
    who share its posts hours after publication coincide by chance now and
    then, and a community cut from thousands of them is *selected* for those
    coincidences, which a shuffle of its own members cannot undo (p = 0.005
    and half the co-action unexplained): such groups are loose webs (density
    0.47-0.70) whose pairs sit at the two-target floor of an edge (mean
    weight 2.0-2.15) and beat the shuffles by 3.4-5.2 standard deviations.
    Ring clusters on the tuning seeds: mean weight 2.54-29 and z 5.7-62; the z
    route is for a large ring whose members joined few of its targets (mean
    weight 2.35-2.54, density 0.54-0.70). A near-complete ring (density 0.9+)
    at 8+ standard deviations needs only 0.7 of its bursts
    (``tight_min_burst_share``): rings whose targets are also liked by
    organic users hold 0.77-0.80 of those moments. A cluster of 12 or more
    needs no strong evidence (``strong_min_size``): selection by chance
    coincidences makes small groups. On 960 tuning folders (2000-13019) the
    clusters that pass every rule but strong evidence are 6 fan groups of
    5-7 accounts and 2 rings of 24 and 31 (density 0.55-0.57, 0.91-0.99 of
    their bursts, mean weight 2.34-2.40, z 2.9-6.9): rings of few targets
    that each member joins about half the time, boosting as fast after
    publication as the members always react. Heavy users who act on
    everything co-act with a ring on its targets and join its component;
    their thousands of actions then set every action-weighted feature (a
    ring of 47 in a cluster of 61 with two heavy users owned 0.39 of its
    bursts, independent plain 15005). The members the member rule keeps
    (acting inside the cluster's bursts) are judged as a cluster beside it
    (``judge_member_cores``), listed when it is flagged and its cluster is
    not: on 359 tuning folders (seeds x000-x004 of
    2000-14019 and all of 15000-15019) that raised amplification recall in
    two folders (0.68 and 0.93 to 0.99 and 1.00) and changed nothing else.

    A third of the members' actions must be coordinated
    (``min_coordinated_share`` 0.33, where co-action at large asks 0.25).
    Heavy users who act on popular videos hundreds of times each make a
    statistic of tens of thousands of actions, so a slight misfit of the
    shuffle on their blend-in activity beats all 199 shuffles: 73
    notification fans with 36 heavy users and viral sharers (project 22011)
    left 5.4 % of their co-action unexplained, as much as rings with much
    blend-in do (4.0-6.9 % for the lowest eight of 2,974 ring clusters on
    420 tuning folders), but only 0.265 of their actions were coordinated.
    Of those 2,974 ring clusters that pass every other rule the lowest
    share is 0.392; the only other cluster there below 0.33 was a
    fan community of 6 at 0.266 (project plain 4004, flagged until then).

    Notes
    -----
    The null model permutes each member's *delays after the video was
    published* (when the post is in the events) rather than its clock times:
    fans who get a notification all react within a minute or two of every new
    post, which is co-action without coordination, and a delay shuffle keeps
    them co-acting in the null. A ring acting when its operator says so is
    aligned beyond its members' own reaction habits. Delays are permuted
    only among a member's actions on videos of the same creator (an account
    reacts to a creator it follows fast and to its feed slowly). Videos
    without a post event fall back to the clock-time shuffle.
    """

    kind = "amplification"
    prefix = "amp"
    required = ("events",)
    thresholds = MappingProxyType({**COACTION_THRESHOLDS, "min_coordinated_share": 0.33,
                                   "min_mean_weight": 2.5, "min_z_score": 8.0,
                                   "strong_min_size": 12, "tight_min_burst_share": 0.7, "judge_member_cores": 1.0})

    def run(self, tables: Mapping[str, pd.DataFrame], settings: DetectionSettings,
            limits: Mapping[str, float]) -> KindResult:
        events = tables["events"]
        # Only the columns the stages read: events carry texts and more, and this is a copy of most rows.
        engaged = events.loc[events["action"].isin(ENGAGEMENT_ACTIONS), ["account_id", "action", "target_id", "ts"]]
        engaged = engagement_anchor(events, engaged)
        return run_coaction(self, engaged, actor="account_id", target="target_id", window=settings.window,
                            signal="co_share_like", shuffle="account", settings=settings, limits=limits,
                            accounts=tables.get("accounts"), source="source", anchor="published")

    @staticmethod
    def decide(row: Mapping, limits: Mapping[str, float]) -> tuple[float, bool]:
        return coaction_decide(row, limits)

    @staticmethod
    def describe(row: Mapping) -> list[str]:
        parts = coaction_describe(row, "acted on the same targets")
        top = feature(row, "top_source_share", math.nan)
        if not math.isnan(top):
            parts.append(f"{top:.0%} of coordinated actions on one source account")
        return parts
