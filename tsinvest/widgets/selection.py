"""From a selected account or cluster to what an analyst needs to judge it.

Pure functions over an :class:`~tsinvest.widgets.filters.ExplorerData`: the
graph explorer calls them when a node is clicked or searched, tests call them
directly. Results are small dataclasses of DataFrames, rendered by
:func:`details_html` through :func:`tsinvest.reporting.safe_table_html`, so
usernames and evidence written by adversaries show as text.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.widgets.filters import ExplorerData, FilteredView

__all__ = ["AccountDetails", "ClusterDetails", "account_details", "cluster_details", "details_html"]


@dataclass(frozen=True)
class AccountDetails:
    """One account, its clusters and the evidence linking it to others.

    Attributes
    ----------
    account_id : str
    profile : DataFrame
        The account's row (id, username, country, best cluster, score...).
    clusters : DataFrame
        Summaries of every cluster the account belongs to, score desc.
    links : DataFrame
        Links touching the account: ``other_account``, ``signal``, ``weight``,
        ``first_ts``, ``last_ts``, ``evidence``; weight desc, then other id.
    """

    account_id: str
    profile: pd.DataFrame
    clusters: pd.DataFrame
    links: pd.DataFrame


@dataclass(frozen=True)
class ClusterDetails:
    """One cluster: summary, members and the links between them.

    Attributes
    ----------
    cluster_id : str
    summary : DataFrame
        The cluster's summary row.
    members : DataFrame
        Member accounts (id, username, country, score), score desc then id.
    links : DataFrame
        Links between members, weight desc.
    """

    cluster_id: str
    summary: pd.DataFrame
    members: pd.DataFrame
    links: pd.DataFrame


def account_details(data: ExplorerData, account_id: str, *, view: FilteredView | None = None,
                    max_links: int | None = None) -> AccountDetails:
    """Details of one account: profile, clusters, links with their evidence.

    Parameters
    ----------
    data : ExplorerData
    account_id : str
        The selected account (a string; leading zeros matter).
    view : FilteredView, optional
        Restrict the links to those the current filters show (chosen weight
        and dates); without it every link is listed.
    max_links : int, optional
        Keep only the heaviest links.

    Returns
    -------
    AccountDetails

    Raises
    ------
    ParameterError
        If the account is unknown (the message does not repeat the id).

    Examples
    --------
    >>> import pandas as pd
    >>> from tsinvest.widgets.filters import explorer_data
    >>> ts = pd.Timestamp("2026-03-02", tz="UTC")
    >>> data = explorer_data(
    ...     pd.DataFrame({"account_id": ["01", "02"], "username": ["a", "b"]}),
    ...     pd.DataFrame({"account_a": ["01"], "account_b": ["02"], "signal": ["shared_device"], "weight": [1.0],
    ...                   "first_ts": [ts], "last_ts": [ts], "evidence": ["device d1"]}),
    ...     pd.DataFrame({"account_id": ["01", "02"], "cluster_id": ["c-1", "c-1"]}))
    >>> details = account_details(data, "02")
    >>> details.links[["other_account", "signal", "evidence"]].to_dict("records")
    [{'other_account': '01', 'signal': 'shared_device', 'evidence': 'device d1'}]
    >>> details.clusters["cluster_id"].tolist()
    ['c-1']
    """
    account_id = str(account_id)
    profile = data.accounts[data.accounts["account_id"] == account_id].reset_index(drop=True)
    if profile.empty:
        raise ParameterError("account_id is not among the accounts of this explorer; check the id (a string)")
    edges = view.edges if view is not None else data.edges
    touching = edges[(edges["account_a"] == account_id) | (edges["account_b"] == account_id)]
    links = touching.assign(other_account=touching["account_a"].where(touching["account_b"] == account_id,
                                                                      touching["account_b"]))
    links = links[["other_account", "signal", "weight", "first_ts", "last_ts", "evidence"]]
    links = links.sort_values(["weight", "other_account", "signal"], ascending=[False, True, True])
    if max_links is not None:
        links = links.head(max_links)
    cluster_ids = data.memberships.loc[data.memberships["account_id"] == account_id, "cluster_id"]
    clusters = data.clusters[data.clusters["cluster_id"].isin(cluster_ids)]
    clusters = clusters.sort_values(["score", "cluster_id"], ascending=[False, True]).reset_index(drop=True)
    return AccountDetails(account_id=account_id, profile=profile, clusters=clusters,
                          links=links.reset_index(drop=True))


def cluster_details(data: ExplorerData, cluster_id: str, *, view: FilteredView | None = None) -> ClusterDetails:
    """Details of one cluster: summary, members by score, links between members.

    Parameters
    ----------
    data : ExplorerData
    cluster_id : str
    view : FilteredView, optional
        Restrict the links to those the current filters show.

    Returns
    -------
    ClusterDetails

    Examples
    --------
    >>> import pandas as pd
    >>> from tsinvest.widgets.filters import explorer_data
    >>> ts = pd.Timestamp("2026-03-02", tz="UTC")
    >>> data = explorer_data(
    ...     pd.DataFrame({"account_id": ["01", "02", "03"], "username": ["a", "b", "c"]}),
    ...     pd.DataFrame({"account_a": ["01", "02"], "account_b": ["02", "03"], "signal": "coaction",
    ...                   "weight": [2.0, 5.0], "first_ts": ts, "last_ts": ts, "evidence": ["v1", "v2"]}),
    ...     pd.DataFrame({"account_id": ["01", "02"], "cluster_id": ["c-1", "c-1"]}))
    >>> details = cluster_details(data, "c-1")
    >>> details.members["account_id"].tolist(), len(details.links)
    (['01', '02'], 1)
    """
    cluster_id = str(cluster_id)
    summary = data.clusters[data.clusters["cluster_id"] == cluster_id].reset_index(drop=True)
    if summary.empty:
        raise ParameterError("cluster_id is not a cluster of this explorer; pick one from the clusters table")
    ids = set(data.memberships.loc[data.memberships["cluster_id"] == cluster_id, "account_id"])
    members = data.accounts[data.accounts["account_id"].isin(ids)]
    members = members.sort_values(["score", "account_id"], ascending=[False, True]).reset_index(drop=True)
    edges = (view.edges if view is not None else data.edges)
    links = edges[edges["account_a"].isin(ids) & edges["account_b"].isin(ids)].reset_index(drop=True)
    return ClusterDetails(cluster_id=cluster_id, summary=summary, members=members, links=links)


def details_html(details: AccountDetails | ClusterDetails, *, max_rows: int = 20) -> str:
    """Escaped HTML of a selection's details (headings and safe tables only).

    Examples
    --------
    >>> import pandas as pd
    >>> details = AccountDetails("1", pd.DataFrame({"username": ["<img src=x onerror=alert(1)>"]}),
    ...                          pd.DataFrame({"cluster_id": []}), pd.DataFrame({"evidence": []}))
    >>> out = details_html(details)
    >>> "<img" in out, "&lt;img src=x onerror=alert(1)&gt;" in out
    (False, True)
    """
    from tsinvest.reporting import safe_table_html

    if isinstance(details, AccountDetails):
        parts = [("Account", details.profile), ("Clusters", details.clusters), ("Links and evidence", details.links)]
    elif isinstance(details, ClusterDetails):
        parts = [("Cluster", details.summary), ("Members", details.members), ("Links and evidence", details.links)]
    else:
        raise ParameterError("details must be AccountDetails or ClusterDetails")
    blocks = []
    for title, frame in parts:
        blocks.append(f"<h4>{html.escape(title)}</h4>")
        blocks.append(safe_table_html(frame, max_rows=max_rows) if len(frame.columns) else "<p>none</p>")
    return '<div class="tsinvest-details">\n' + "\n".join(blocks) + "\n</div>"
