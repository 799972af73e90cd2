"""Ban evasion: new accounts run by the operator of an account already banned or suspended."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd

from tsinvest.detection.base import MEMBER_COLUMNS, Detector, DetectionSettings, KindResult, feature, judge_clusters
from tsinvest.schemas import STRING_DTYPE, TIMESTAMP_DTYPE

__all__ = ["BanEvasion", "ENFORCED_ACTION_WORDS", "account_enforcement_actions"]

#: Words that make an enforcement action remove or lock the account, whatever
#: the platform calls it (``ban``, ``account_ban``, ``Suspended``,
#: ``perm-ban``, ``terminate``); ``warn`` or ``remove_content`` leave the
#: account in place, so a new account next to it is not evasion.
ENFORCED_ACTION_WORDS = frozenset({
    "ban", "banned", "permaban", "suspend", "suspended", "suspension", "terminate", "terminated", "termination",
    "disable", "disabled", "deactivate", "deactivated", "lock", "locked", "block", "blocked",
})


def account_enforcement_actions(actions: pd.Series) -> list[str]:
    """The distinct action values that lock or remove an account (see :data:`ENFORCED_ACTION_WORDS`).

    Examples
    --------
    >>> account_enforcement_actions(pd.Series(["warn", "account_ban", "Suspended", "unban", "remove_content"]))
    ['Suspended', 'account_ban']
    """
    import re

    values = sorted(set(actions.dropna().astype(str)))
    return [value for value in values
            if ENFORCED_ACTION_WORDS & set(re.split(r"[^a-z]+", value.casefold()))]


def _agreements(links: pd.DataFrame) -> pd.arrays.StringArray:
    """The comparisons each link agrees on, as ``shared_device,shared_ip,...``."""
    from tsinvest.linking.same_operator import COMPARISONS

    text = pd.Series("", index=links.index, dtype=object)
    for name in COMPARISONS:
        text = text + np.where(links[name].to_numpy() == 1, name + ",", "")
    return pd.array(text.str.rstrip(",").tolist(), dtype=STRING_DTYPE)


class BanEvasion(Detector):
    """Same-operator links (:func:`tsinvest.linking.same_operator.same_operator_links`) to enforced accounts.

    A cluster is one enforced account and the accounts created after its
    enforcement that are linked to it; the new accounts are the members
    flagged (the enforced one is already actioned).

    Thresholds
    ----------
    min_match_probability
        Same-operator probability a link needs (Fellegi-Sunter over shared
        device, shared IP, username template, creation time, display name).
    max_accounts_per_value
        Devices/IPs shared by more accounts are hubs and link nobody.
    min_new_accounts
        New accounts a cluster needs to be flagged.
    min_superseded_share
        A flagged farm cluster with at least this share of its members in
        flagged ban-evasion clusters (enforced or new accounts) is reported
        as ban evasion only.

    Notes
    -----
    Blocking on shared rare values and templates bounds the compared pairs
    (see ``same_operator_links``); then one group-by: ``O(pairs)``.
    """

    kind = "ban_evasion"
    prefix = "evade"
    required = ("accounts", "logins", "enforcements")
    thresholds = MappingProxyType({"min_match_probability": 0.5, "max_accounts_per_value": 50, "min_new_accounts": 1,
                                   "min_superseded_share": 0.5})
    # A banned operator and its new accounts share devices like a small farm;
    # the farm cluster that is mostly them is this evasion, reported once.
    supersedes = ("farm",)

    def run(self, tables: Mapping[str, pd.DataFrame], settings: DetectionSettings,
            limits: Mapping[str, float]) -> KindResult:
        from tsinvest.graph.communities import cluster_id_for, edges_within_clusters
        from tsinvest.linking.same_operator import same_operator_links
        from tsinvest.scoring import cluster_features

        enforcements = tables["enforcements"]
        links = same_operator_links(tables["accounts"], tables["logins"], enforcements,
                                    display_name="display_name" if "display_name" in tables["accounts"] else None,
                                    enforced_actions=account_enforcement_actions(enforcements["action"]),
                                    max_accounts_per_value=int(limits["max_accounts_per_value"]), seed=settings.seed + 2)
        exclusions = {"compared_pairs": int(links.attrs.get("candidate_pairs", 0))}
        evading = links[links["ban_evasion_candidate"]
                        & (links["match_probability"] >= limits["min_match_probability"])]
        edges = pd.DataFrame({
            "account_a": evading["account_a"].astype(STRING_DTYPE), "account_b": evading["account_b"].astype(STRING_DTYPE),
            "signal": pd.array(["same_operator"] * len(evading), dtype=STRING_DTYPE),
            "weight": evading["match_probability"].astype("float64").round(6),
            "first_ts": pd.Series(pd.NaT, index=evading.index, dtype=TIMESTAMP_DTYPE),
            "last_ts": pd.Series(pd.NaT, index=evading.index, dtype=TIMESTAMP_DTYPE),
            "evidence": _agreements(evading),
        }).reset_index(drop=True)
        if evading.empty:
            return KindResult(self.kind, edges, pd.DataFrame(columns=["cluster_id"]),
                              pd.DataFrame(columns=list(MEMBER_COLUMNS)), exclusions)
        new_by_enforced = evading.groupby("enforced_account")["new_account"].agg(lambda s: sorted(set(s)))
        rows = []
        for enforced, new in new_by_enforced.items():
            cluster = cluster_id_for([enforced, *new], prefix=self.prefix)
            rows.append((cluster, enforced, False))
            rows.extend((cluster, account, True) for account in new)
        members = pd.DataFrame(rows, columns=["cluster_id", "account_id", "member_flagged"])
        members = members.drop_duplicates(["cluster_id", "account_id"]).astype(
            {"cluster_id": STRING_DTYPE, "account_id": STRING_DTYPE})
        members["member_coordinated_share"] = np.nan
        inside = edges_within_clusters(edges, members)
        features = cluster_features(members, inside.drop(columns="cluster_id"), accounts=tables["accounts"],
                                    as_of=settings.as_of)
        new_count = members.groupby("cluster_id")["member_flagged"].sum().rename("new_accounts")
        best = inside.groupby("cluster_id")["weight"].max().rename("match_probability")
        features = features.merge(new_count.reset_index(), on="cluster_id").merge(best.reset_index(), on="cluster_id")
        clusters = judge_clusters(self, features, inside, limits)
        return KindResult(self.kind, edges, clusters, members[list(MEMBER_COLUMNS)], exclusions)

    @staticmethod
    def decide(row: Mapping, limits: Mapping[str, float]) -> tuple[float, bool]:
        probability = feature(row, "match_probability")
        flagged = (probability >= limits["min_match_probability"]
                   and feature(row, "new_accounts") >= limits["min_new_accounts"])
        return probability, flagged

    @staticmethod
    def describe(row: Mapping) -> list[str]:
        return [f"{int(feature(row, 'new_accounts'))} account(s) created after an enforced account's ban or "
                "suspension and linked to it (shared devices/IPs, username template, creation time)",
                f"same-operator probability {feature(row, 'match_probability'):.2f}"]
