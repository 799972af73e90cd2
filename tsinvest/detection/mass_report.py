"""Mass-report brigades: accounts that report the same victims for the same policy within the hour."""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

import pandas as pd

from tsinvest.detection.base import DetectionSettings, Detector, KindResult, feature
from tsinvest.detection.coaction import COACTION_THRESHOLDS, coaction_decide, coaction_describe, run_coaction

__all__ = ["MassReport"]


class MassReport(Detector):
    """Co-reports of one (victim, policy) within ``report_window`` seconds.

    Thresholds: :data:`~tsinvest.detection.coaction.COACTION_THRESHOLDS`, with
    one co-reported victim enough for an edge (``edge_min_weight`` 1: a
    brigade may hit a single victim), at least 6 members and density 0.7
    (a handful of organic users reporting one popular account in the same hour
    form small loose clusters). A member needs two coordinated reports, or one
    when the brigade's typical member files at most four
    (``min_member_coordinated`` 2, ``min_member_typical_ratio`` 0.25): a
    brigade of one victim and one wave asks a single report of each member,
    while in a brigade whose members typically file a dozen, one report inside
    a wave is what an organic user who reported the same victim that hour
    looks like (tuning seeds 2000-6019: such users sat in clusters whose
    typical member filed 3-13 reports, single-report brigade members in
    clusters of 1-5). Brigade accounts report for the brigade: at least 0.85
    of the cluster's reports are coordinated (``min_coordinated_share``;
    brigades on the tuning seeds 0.92-1.00), and at least 0.6 of each
    flagged member's own (``min_member_share``), while six organic users who
    reported one popular account within the hour also report other things
    (0.55-0.75). A brigade joined by organic users who reported its victims
    in the same hour, or two brigades of one policy that meet on a victim,
    make one component looser than ``min_density`` (a brigade of 8 with 6
    organic reporters: 14 accounts at density 0.65 on independent folder
    10007): such a component's Leiden parts are judged beside it
    (``also_split_below`` 0.7, see
    :func:`~tsinvest.detection.clustering.cluster_family`; there the
    brigade's part held 8 of its members and one organic reporter, at 0.89).
    A famous account is reported all day by strangers, and a few of them will
    have reported within the same hour: the sweep links exactly those few, and
    a shuffle of their own times calls the meeting rare. Waves like the
    cluster's must also be rare for its victims' own report traffic: at most
    ``max_chance_waves`` 0.01 expected by chance
    (:func:`~tsinvest.scoring.scan.chance_waves`). On 520 tuning folders
    (seeds 2000-2009, 3000-3009, ..., 14000-14009, both generators and
    settings) the flagged brigade clusters scored at most 6e-8, and the one
    all-organic cluster (six reporters of an account reported 335 times in
    three weeks, independent adaptive 14005) 0.21.

    What no rule can do is tell a member who reported once, inside the wave,
    from a stranger who reported the same victim for the same reason in the
    same minutes (neither timing nor the report table separates them: see
    bench/README.md, eighth and ninth rounds). The cluster table counts those
    members (``single_action_members``) and how many such strangers chance
    brings inside the waves (``expected_bystanders``,
    :func:`~tsinvest.scoring.scan.chance_bystanders`), and the explanation
    says both.

    Notes
    -----
    A brigade reports its victims for one policy, so co-reporting is keyed
    on (victim, policy): organic reports of the same account for other
    reasons do not join the brigade. The null model redraws report times
    uniformly over the table's span, because an account reports too rarely
    for a permutation of its own times to move anything.
    """

    kind = "mass_report"
    prefix = "rep"
    required = ("reports",)
    thresholds = MappingProxyType({**COACTION_THRESHOLDS, "edge_min_weight": 1, "min_size": 6, "min_density": 0.7,
                                   "also_split_below": 0.7, "max_chance_waves": 0.01,
                                   "min_member_coordinated": 2, "min_member_typical_ratio": 0.25,
                                   "min_member_share": 0.6, "min_coordinated_share": 0.85})

    def run(self, tables: Mapping[str, pd.DataFrame], settings: DetectionSettings,
            limits: Mapping[str, float]) -> KindResult:
        reports = tables["reports"]
        if "policy" in reports.columns:
            reports = reports.assign(target_account_id=(reports["target_account_id"].astype("string") + "|"
                                                        + reports["policy"].astype("string").fillna("")))
        return run_coaction(self, reports, actor="reporter_id", target="target_account_id",
                            window=settings.report_window, signal="co_report", shuffle="uniform",
                            settings=settings, limits=limits, accounts=tables.get("accounts"))

    @staticmethod
    def decide(row: Mapping, limits: Mapping[str, float]) -> tuple[float, bool]:
        return coaction_decide(row, limits)

    @staticmethod
    def describe(row: Mapping) -> list[str]:
        parts = coaction_describe(row, "reported the same accounts")
        chance = feature(row, "chance_waves", math.nan)
        if not math.isnan(chance):
            expected = f"{chance:.2f}" if chance >= 0.01 else "fewer than 0.01"
            parts.append(f"{expected} waves like theirs expected by chance from the victims' usual report traffic")
        once = int(feature(row, "single_action_members"))
        # Only a flagged brigade's members are flagged: the warning is for them.
        if once and feature(row, "flagged"):
            parts.append(f"{once} member(s) reported only once: someone who reported the same victim inside the "
                         f"wave by chance looks the same{_bystanders_expected(row)}, so check them before acting")
        return parts


def _bystanders_expected(row: Mapping) -> str:
    """`` (chance puts about 0.12 of the victims' other reports inside the waves)``, or nothing when not measured."""
    expected = feature(row, "expected_bystanders", math.nan)
    if math.isnan(expected):
        return ""
    amount = f"about {expected:.2f}" if expected >= 0.01 else "fewer than 0.01"
    return f" (chance puts {amount} of the victims' other reports inside the waves)"
