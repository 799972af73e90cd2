"""Ban evasion: new accounts run by the operator of an account already banned or suspended."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd

from tsinvest.detection.base import MEMBER_COLUMNS, DetectionSettings, Detector, KindResult, feature, judge_clusters
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


def _link_edges(links: pd.DataFrame) -> pd.DataFrame:
    """Same-operator links as an edge table (weight = match probability, evidence = agreements)."""
    return pd.DataFrame({
        "account_a": links["account_a"].astype(STRING_DTYPE).to_numpy(),
        "account_b": links["account_b"].astype(STRING_DTYPE).to_numpy(),
        "signal": pd.array(["same_operator"] * len(links), dtype=STRING_DTYPE),
        "weight": links["match_probability"].astype("float64").round(6).to_numpy(),
        "first_ts": pd.Series(pd.NaT, index=range(len(links)), dtype=TIMESTAMP_DTYPE),
        "last_ts": pd.Series(pd.NaT, index=range(len(links)), dtype=TIMESTAMP_DTYPE),
        "evidence": _agreements(links.reset_index(drop=True)),
    })


def _evasion_groups(strong: pd.DataFrame, accounts: pd.DataFrame, enforcements: pd.DataFrame, *,
                    prefix: str) -> pd.DataFrame:
    """Members of each operator that has an enforced account: the enforced ones and those created after.

    Accounts linked by strong same-operator links form one operator
    (connected components: an evader tied only to a sibling evader is the
    same operator too). In a component with an enforced account, every
    account created after the component's first enforcement is a new
    account; older, unenforced accounts of the operator are left to the
    other kinds (a farm is not evasion).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from tsinvest.graph.communities import cluster_id_for

    empty = pd.DataFrame(columns=["cluster_id", "account_id", "member_flagged", "member_coordinated_share"])
    enforced_rows = enforcements[enforcements["action"].isin(account_enforcement_actions(enforcements["action"]))]
    first_enforced = enforced_rows.groupby(enforced_rows["account_id"].astype(STRING_DTYPE))["ts"].min()
    if strong.empty or first_enforced.empty:
        return empty
    codes, names = pd.factorize(pd.concat([strong["account_a"], strong["account_b"]]).astype(STRING_DTYPE), sort=True)
    half = len(strong)
    graph = coo_matrix((np.ones(half), (codes[:half], codes[half:])), shape=(len(names), len(names)))
    _, component = connected_components(graph, directed=False)
    frame = pd.DataFrame({"account_id": pd.array(names, dtype=STRING_DTYPE), "component": component})
    frame["enforced_at"] = frame["account_id"].map(first_enforced)
    created = accounts.drop_duplicates("account_id").set_index(accounts.drop_duplicates("account_id")["account_id"]
                                                                .astype(STRING_DTYPE))["created_at"]
    frame["created_at"] = frame["account_id"].map(created)
    frame["first_enforcement"] = frame.groupby("component")["enforced_at"].transform("min")
    enforced = frame["enforced_at"].notna()
    new = ~enforced & (frame["created_at"] > frame["first_enforcement"])
    frame = frame[frame["first_enforcement"].notna() & (enforced | new)].assign(member_flagged=new[enforced | new])
    has_new = frame.groupby("component")["member_flagged"].transform("any")
    frame = frame[has_new]
    if frame.empty:
        return empty
    ids = frame.groupby("component")["account_id"].agg(lambda s: cluster_id_for(s.tolist(), prefix=prefix))
    members = pd.DataFrame({"cluster_id": frame["component"].map(ids).astype(STRING_DTYPE),
                            "account_id": frame["account_id"].astype(STRING_DTYPE),
                            "member_flagged": frame["member_flagged"].astype(bool),
                            "member_coordinated_share": np.nan})
    return members.sort_values(["cluster_id", "account_id"]).reset_index(drop=True)


class BanEvasion(Detector):
    """Same-operator links (:func:`tsinvest.linking.same_operator.same_operator_links`) to enforced accounts.

    The links weigh shared devices, shared IPs, username templates, creation
    time, display names and follows of the same accounts.

    A cluster is one operator (accounts joined by strong same-operator
    links) with an enforced account: its enforced accounts and the accounts
    created after its first enforcement. The new accounts are the members
    flagged (the enforced ones are already actioned).

    Thresholds
    ----------
    min_match_probability
        Same-operator probability a link needs (Fellegi-Sunter over shared
        device, shared IP, username template, creation time, display name).
    max_accounts_per_value
        Devices/IPs shared by more accounts are hubs and link nobody.
    min_follow_weight
        Adamic-Adar weight of the followed accounts two accounts share
        (``sum 1 / ln(followers)``) from which they agree on follows.
    min_new_accounts
        New accounts a cluster needs to be flagged.
    min_superseded_share
        A flagged farm cluster with at least this share of its members in
        flagged ban-evasion clusters (enforced or new accounts) is reported
        as ban evasion only.

    Notes
    -----
    Blocking on shared rare values, templates and follows bounds the compared
    pairs (see ``same_operator_links``); components and group-bys over the
    strong links: ``O(pairs)``.
    """

    kind = "ban_evasion"
    prefix = "evade"
    required = ("accounts", "logins", "enforcements")
    thresholds = MappingProxyType({"min_match_probability": 0.5, "max_accounts_per_value": 50,
                                   "min_follow_weight": 1.5, "min_new_accounts": 1, "min_superseded_share": 0.5})
    # A banned operator and its new accounts share devices like a small farm;
    # the farm cluster that is mostly them is this evasion, reported once.
    supersedes = ("farm",)

    def run(self, tables: Mapping[str, pd.DataFrame], settings: DetectionSettings,
            limits: Mapping[str, float]) -> KindResult:
        from tsinvest.graph.communities import edges_among_members, edges_within_clusters
        from tsinvest.linking.same_operator import same_operator_links
        from tsinvest.scoring import cluster_features

        enforcements = tables["enforcements"]
        events = tables.get("events")
        follows = events[events["action"] == "follow"] if events is not None and len(events) else None
        links = same_operator_links(tables["accounts"], tables["logins"], enforcements, follows=follows,
                                    display_name="display_name" if "display_name" in tables["accounts"] else None,
                                    enforced_actions=account_enforcement_actions(enforcements["action"]),
                                    max_accounts_per_value=int(limits["max_accounts_per_value"]),
                                    min_follow_weight=float(limits["min_follow_weight"]), seed=settings.seed + 2)
        exclusions = {"compared_pairs": int(links.attrs.get("candidate_pairs", 0))}
        strong = links[links["match_probability"] >= limits["min_match_probability"]].reset_index(drop=True)
        members = _evasion_groups(strong, tables["accounts"], enforcements, prefix=self.prefix)
        if members.empty:
            return KindResult(self.kind, _link_edges(strong.iloc[0:0]), pd.DataFrame(columns=["cluster_id"]),
                              pd.DataFrame(columns=list(MEMBER_COLUMNS)), exclusions)
        grouped = set(members["account_id"])
        edges = _link_edges(strong[strong["account_a"].isin(grouped) & strong["account_b"].isin(grouped)])
        inside = edges_within_clusters(edges, members)
        features = cluster_features(members, edges_among_members(edges, members), accounts=tables["accounts"],
                                    as_of=settings.as_of)
        new_count = members.groupby("cluster_id")["member_flagged"].sum().rename("new_accounts")
        best = inside.groupby("cluster_id")["weight"].max().rename("match_probability")
        features = features.merge(new_count.reset_index(), on="cluster_id").merge(best.reset_index(), on="cluster_id",
                                                                                  how="left")
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
                "suspension and linked to it (shared devices/IPs, username template, creation time, follows)",
                f"same-operator probability {feature(row, 'match_probability'):.2f}"]
