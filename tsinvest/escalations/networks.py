"""Which tickets touch a flagged network: the subject is a member, a brigade's target, or a ban evader.

Detection (:func:`tsinvest.detect.detect`) finds clusters of coordinated
accounts; a ticket touches one when its subject account is

* a **member** of a flagged cluster (amplification ring, account farm,
  copy-paste network, or a reporter in a brigade), or
* a **victim** of a brigade: reports against it were filed by flagged
  members of ``mass_report`` clusters. The count and the share are both
  shown, because a popular account's organic reports dilute a brigade: 85
  brigade reports out of 193 (44%) is a brigade even though it is not the
  majority;
* a **ban-evasion suspect**: the new account of a same-operator pair whose
  other account was enforced before it was created
  (``ban_evasion_candidate`` of :func:`tsinvest.linking.same_operator.same_operator_links`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from tsinvest.escalations._sql import CLOSED_STATUSES, as_of_timestamp, check_statuses, has_table, tickets_cte
from tsinvest.exceptions import ParameterError
from tsinvest.schemas import require_columns

if TYPE_CHECKING:
    from tsinvest.workspace import Workspace

__all__ = ["NETWORK_COLUMNS", "MEMBERSHIPS_TABLE", "BAN_EVASION_TABLE", "KIND_NAMES", "ticket_networks"]

#: Name under which :func:`ticket_networks` registers the memberships in the workspace.
MEMBERSHIPS_TABLE = "network_memberships"
#: Name under which :func:`ticket_networks` registers the ban-evasion pairs.
BAN_EVASION_TABLE = "ban_evasion_pairs"

#: Columns of :func:`ticket_networks`.
NETWORK_COLUMNS = (
    "ticket_id", "channel", "due_at", "overdue", "subject_account_id", "role", "network_kinds", "cluster_ids",
    "reports_received", "reports_from_flagged", "flagged_reporters", "flagged_share", "evaded_accounts", "finding",
)


#: Plain names of the detection kinds, for sentences.
KIND_NAMES = {"amplification": "amplification ring", "farm": "account farm", "copy_paste": "copy-paste spam network",
              "mass_report": "report brigade"}


def _finding(row: pd.Series) -> str:
    parts = []
    roles = str(row["role"]).split(" and ")
    if "member" in roles:
        kinds = [kind for kind in str(row["network_kinds"]).split(", ") if kind in KIND_NAMES]
        names = " and ".join(KIND_NAMES[kind] for kind in kinds) or "flagged network"
        parts.append(f"subject is flagged as a member of: {names} ({row['cluster_ids']})")
    if "victim" in roles:
        parts.append(
            f"{row['reports_from_flagged']} of {row['reports_received']} reports against the subject "
            f"({row['flagged_share']:.0%}) came from {row['flagged_reporters']} flagged brigade reporter(s)"
        )
    if "ban-evasion suspect" in roles:
        evaded = len(str(row["evaded_accounts"]).split(", "))
        parts.append(f"subject looks like a new account of the operator of {evaded} enforced account(s) (ban evasion)")
    return "; ".join(parts)


def ticket_networks(
    workspace: Workspace,
    memberships: pd.DataFrame | None,
    *,
    as_of: str | pd.Timestamp,
    open_only: bool = True,
    closed_statuses: Sequence[str] = CLOSED_STATUSES,
    ban_evasion: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Tickets whose subject is in, or was reported by, a flagged network, or evades a ban.

    Parameters
    ----------
    workspace : tsinvest.workspace.Workspace
        Holds ``escalations``; ``reports`` is needed to find brigade victims.
    memberships : DataFrame or None
        ``DetectionResult.memberships`` (``account_id``, ``cluster_id``,
        ``kind``, ``flagged``). Registered in the workspace as
        :data:`MEMBERSHIPS_TABLE`. None gives an empty result.
    as_of : str or Timestamp
        Tickets and reports up to this time.
    open_only : bool
        Only tickets open at ``as_of`` (the queue); False for every ticket.
    ban_evasion : DataFrame, optional
        :func:`~tsinvest.linking.same_operator.same_operator_links` output;
        rows with ``ban_evasion_candidate`` mark their ``new_account`` as a
        suspect. Registered as :data:`BAN_EVASION_TABLE`.

    Returns
    -------
    DataFrame
        :data:`NETWORK_COLUMNS`, one row per ticket that touches a network:
        ``role`` joins ``member``, ``victim`` and ``ban-evasion suspect`` with
        " and "; ``evaded_accounts`` lists the enforced accounts a suspect
        is linked to;
        ``flagged_share`` = reports from flagged brigade members / reports
        received; ``finding`` says it in words. Sorted by overdue first, then
        reports from flagged reporters desc, then ticket id.

    Notes
    -----
    Hash joins of the tickets with the flagged members and the ban-evasion
    pairs (on the subject) and with the reports (on the target account):
    O(n + r + m + p) for n tickets, r reports, m memberships and p pairs,
    never a self-join.

    Examples
    --------
    >>> import pandas as pd
    >>> from tsinvest.workspace import Workspace
    >>> ws = Workspace()
    >>> ws.register("escalations", pd.DataFrame({
    ...     "ticket_id": ["T1"], "channel": ["partner"], "subject_account_id": ["victim"], "policy": ["spam"],
    ...     "priority": ["high"], "status": ["open"], "opened_at": pd.to_datetime(["2026-03-02"], utc=True)}))
    >>> ws.register("reports", pd.DataFrame({
    ...     "report_id": ["1", "2", "3"], "reporter_id": ["b1", "b2", "fan"], "target_account_id": ["victim"] * 3,
    ...     "policy": ["spam"] * 3, "ts": pd.to_datetime(["2026-03-01"] * 3, utc=True)}))
    >>> members = pd.DataFrame({"account_id": ["b1", "b2"], "cluster_id": ["rep-1", "rep-1"],
    ...                         "kind": ["mass_report"] * 2, "flagged": [True, True]})
    >>> ticket_networks(ws, members, as_of="2026-03-03T00:00:00Z")["finding"].tolist()
    ['2 of 3 reports against the subject (67%) came from 2 flagged brigade reporter(s)']
    """
    if memberships is None and ban_evasion is None:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in NETWORK_COLUMNS})
    _register_memberships(workspace, memberships)
    _register_ban_evasion(workspace, ban_evasion)
    params = {"as_of": as_of_timestamp(as_of).to_pydatetime(), "closed": check_statuses(closed_statuses),
              "open_only": bool(open_only)}
    query = tickets_cte(workspace) + _NETWORKS_QUERY.format(
        memberships=MEMBERSHIPS_TABLE, ban_evasion=BAN_EVASION_TABLE, report_part=_report_part(workspace)
    )
    frame = workspace.sql(query, params)
    for column in ("reports_received", "reports_from_flagged", "flagged_reporters"):
        frame[column] = frame[column].astype("int64")
    frame["overdue"] = frame["overdue"].astype(bool)
    frame["finding"] = [_finding(row) for row in frame.to_dict("records")] if len(frame) else pd.Series(dtype=object)
    return frame[list(NETWORK_COLUMNS)].reset_index(drop=True)


def _register_memberships(workspace: Workspace, memberships: pd.DataFrame | None) -> None:
    """The flagged-network memberships as :data:`MEMBERSHIPS_TABLE` (ids as text)."""
    if memberships is None:
        memberships = pd.DataFrame({"account_id": pd.Series(dtype="string"), "cluster_id": pd.Series(dtype="string"),
                                    "kind": pd.Series(dtype="string"), "flagged": pd.Series(dtype=bool)})
    require_columns(memberships, ("account_id", "cluster_id", "kind", "flagged"), name="memberships")
    members = pd.DataFrame({
        "account_id": memberships["account_id"].astype("string"),
        "cluster_id": memberships["cluster_id"].astype("string"),
        "kind": memberships["kind"].astype("string"),
        "flagged": memberships["flagged"].astype(bool),
    })
    workspace.register(MEMBERSHIPS_TABLE, members)


def _register_ban_evasion(workspace: Workspace, ban_evasion: pd.DataFrame | None) -> None:
    """The ban-evasion candidate pairs as :data:`BAN_EVASION_TABLE`."""
    if ban_evasion is None:
        pairs = pd.DataFrame({"enforced_account": pd.Series(dtype="string"), "new_account": pd.Series(dtype="string")})
    else:
        missing = [column for column in ("ban_evasion_candidate", "enforced_account", "new_account")
                   if column not in ban_evasion.columns]
        if missing:
            raise ParameterError(
                f"ban_evasion lacks column(s) {', '.join(missing)}; pass the output of same_operator_links"
            )
        flagged_pairs = ban_evasion[ban_evasion["ban_evasion_candidate"].astype(bool)]
        pairs = pd.DataFrame({"enforced_account": flagged_pairs["enforced_account"].astype("string"),
                              "new_account": flagged_pairs["new_account"].astype("string")})
    workspace.register(BAN_EVASION_TABLE, pairs.reset_index(drop=True))


def _report_part(workspace: Workspace) -> str:
    """CTEs of the reports each chosen ticket's subject received from flagged brigade members."""
    if has_table(workspace, "reports"):
        return f"""
        , brigade_accounts AS (
            SELECT DISTINCT account_id FROM {MEMBERSHIPS_TABLE} WHERE flagged AND kind = 'mass_report'
        )
        , received AS (
            SELECT t.ticket_id, count(*) AS reports_received,
                   count(b.account_id) AS reports_from_flagged,
                   count(DISTINCT b.account_id) AS flagged_reporters
            FROM chosen t JOIN reports r ON r.target_account_id = t.subject_account_id AND r.ts <= $as_of
            LEFT JOIN brigade_accounts b ON b.account_id = r.reporter_id
            GROUP BY t.ticket_id
        )
        , brigade_clusters AS (
            SELECT t.ticket_id, m.cluster_id
            FROM chosen t JOIN reports r ON r.target_account_id = t.subject_account_id AND r.ts <= $as_of
            JOIN {MEMBERSHIPS_TABLE} m ON m.account_id = r.reporter_id AND m.flagged AND m.kind = 'mass_report'
        )"""
    else:
        return """
        , received AS (SELECT NULL::VARCHAR AS ticket_id, 0 AS reports_received, 0 AS reports_from_flagged,
                              0 AS flagged_reporters WHERE FALSE)
        , brigade_clusters AS (SELECT NULL::VARCHAR AS ticket_id, NULL::VARCHAR AS cluster_id WHERE FALSE)"""


# The query after tickets_cte; {memberships}, {ban_evasion} and {report_part} are filled in by name.
_NETWORKS_QUERY = """
    , chosen AS (SELECT * FROM tickets WHERE is_open OR NOT $open_only)
    , subject_clusters AS (
        SELECT t.ticket_id, m.kind, m.cluster_id
        FROM chosen t JOIN {memberships} m ON m.account_id = t.subject_account_id AND m.flagged
    ){report_part}
    , evasion AS (
        SELECT t.ticket_id, string_agg(DISTINCT b.enforced_account, ', ' ORDER BY b.enforced_account) AS evaded_accounts
        FROM chosen t JOIN {ban_evasion} b ON b.new_account = t.subject_account_id
        GROUP BY t.ticket_id
    )
    , touched AS (
        SELECT c.ticket_id,
               EXISTS (SELECT 1 FROM subject_clusters s WHERE s.ticket_id = c.ticket_id) AS is_member,
               e.evaded_accounts,
               COALESCE(r.reports_from_flagged, 0) > 0 AS is_victim,
               COALESCE(r.reports_received, 0) AS reports_received,
               COALESCE(r.reports_from_flagged, 0) AS reports_from_flagged,
               COALESCE(r.flagged_reporters, 0) AS flagged_reporters
        FROM chosen c LEFT JOIN received r USING (ticket_id) LEFT JOIN evasion e USING (ticket_id)
    )
    , labels AS (
        SELECT ticket_id, string_agg(DISTINCT kind, ', ' ORDER BY kind) AS network_kinds,
               string_agg(DISTINCT cluster_id, ', ' ORDER BY cluster_id) AS cluster_ids
        FROM (SELECT ticket_id, kind, cluster_id FROM subject_clusters
              UNION ALL SELECT ticket_id, 'mass_report (victim)', cluster_id FROM brigade_clusters)
        GROUP BY ticket_id
    )
    SELECT c.ticket_id, c.channel, c.due_at, COALESCE(c.overdue, FALSE) AS overdue, c.subject_account_id,
           concat_ws(' and ', CASE WHEN x.is_member THEN 'member' END, CASE WHEN x.is_victim THEN 'victim' END,
                     CASE WHEN x.evaded_accounts IS NOT NULL THEN 'ban-evasion suspect' END) AS role,
           l.network_kinds, l.cluster_ids, x.reports_received, x.reports_from_flagged, x.flagged_reporters,
           CASE WHEN x.reports_received > 0 THEN round(x.reports_from_flagged / x.reports_received, 3) END
               AS flagged_share, x.evaded_accounts
    FROM chosen c JOIN touched x USING (ticket_id) LEFT JOIN labels l USING (ticket_id)
    WHERE x.is_member OR x.is_victim OR x.evaded_accounts IS NOT NULL
    ORDER BY overdue DESC, x.reports_from_flagged DESC, c.ticket_id
    """
