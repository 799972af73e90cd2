"""SQL building blocks shared by the queue, the SLA figures and the network links.

Only constants from :mod:`tsinvest.schemas` (column names, closed vocabularies)
are ever written into SQL text; every value (``as_of``, weights, statuses) is
bound as a parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.loading.timestamps import utc_bound
from tsinvest.schemas import TABLES, require_columns

if TYPE_CHECKING:
    from tsinvest.workspace import Workspace

__all__ = ["CLOSED_STATUSES", "as_of_timestamp", "escalations_select", "tickets_cte", "has_table", "check_statuses"]

#: Statuses that mean a ticket needs no more work.
CLOSED_STATUSES = ("resolved", "closed")

_SQL_TYPES = {"time": "TIMESTAMPTZ", "integer": "BIGINT", "text": "VARCHAR"}


def as_of_timestamp(as_of: object) -> pd.Timestamp:
    """``as_of`` as a UTC timestamp, required (see :func:`tsinvest.loading.timestamps.utc_bound`).

    Examples
    --------
    >>> as_of_timestamp("2026-03-30T02:00:00+02:00")
    Timestamp('2026-03-30 00:00:00+0000', tz='UTC')
    >>> as_of_timestamp("2026-03-30")
    Timestamp('2026-03-30 00:00:00+0000', tz='UTC')
    """
    return utc_bound(as_of, name="as_of", required=True)


def has_table(workspace: Workspace, name: str) -> bool:
    """Whether the workspace holds a table or view ``name``."""
    return name in workspace.tables()


def _present_columns(workspace: Workspace, table: str) -> set[str]:
    rows = workspace.connection.execute(f'DESCRIBE SELECT * FROM "{table}"').fetchall()
    return {row[0] for row in rows}


def escalations_select(workspace: Workspace) -> str:
    """``SELECT`` of every canonical escalations column; absent optional ones as typed NULLs."""
    if not has_table(workspace, "escalations"):
        raise ParameterError("the workspace has no 'escalations' table; open a data folder with escalations.csv")
    spec = TABLES["escalations"]
    present = _present_columns(workspace, "escalations")
    require_columns(present, spec.required, name="escalations")
    parts = []
    for column in spec.columns:
        kind = "time" if column in spec.time_columns else "integer" if column in spec.integer_columns else "text"
        if column in present:
            parts.append(f'CAST("{column}" AS {_SQL_TYPES[kind]}) AS "{column}"')
        else:
            parts.append(f'CAST(NULL AS {_SQL_TYPES[kind]}) AS "{column}"')
    return "SELECT " + ", ".join(parts) + " FROM escalations"


def check_statuses(closed_statuses: Sequence[str]) -> list[str]:
    """Closed statuses as a list of lower-case strings (compared case-insensitively)."""
    if isinstance(closed_statuses, str) or not all(isinstance(status, str) for status in closed_statuses):
        raise ParameterError("closed_statuses must be a list of status names, e.g. ['resolved', 'closed']")
    return sorted({status.strip().lower() for status in closed_statuses})


def tickets_cte(workspace: Workspace) -> str:
    """``tickets`` CTE: one row per ticket opened by ``$as_of``, with its state at ``$as_of``.

    Parameters bound by the caller: ``$as_of`` (TIMESTAMPTZ), ``$closed``
    (list of lower-case closed statuses).

    Columns added to the canonical ones:

    * ``resolved_by_as_of``: ``resolved_at`` if it is at or before ``as_of``;
    * ``is_open``: opened by ``as_of`` and not resolved by then. A ticket whose
      status is closed but whose ``resolved_at`` is empty counts as closed at an
      unknown time (``closed_unknown``) and is left out of time figures;
    * ``first_action_at``: the earliest of the first enforcement on the subject
      account at or after ``opened_at`` (up to ``as_of``) and the resolution;
    * ``overdue``: open and ``due_at`` before ``as_of``;
    * ``sla_met``: for tickets resolved by ``as_of`` with a due time, whether
      ``resolved_at <= due_at``; False for open tickets already past due;
      NULL while the outcome is not known.
    """
    source = escalations_select(workspace)
    if has_table(workspace, "enforcements"):
        # Hash join on the subject account: each ticket meets only its own subject's enforcements.
        first_enforcement = """
        , first_enforcement AS (
            SELECT t.ticket_id, MIN(e.ts) AS first_enforcement_at
            FROM raw_tickets t JOIN enforcements e ON e.account_id = t.subject_account_id
            WHERE e.ts >= t.opened_at AND e.ts <= $as_of
            GROUP BY t.ticket_id
        )"""
        enforcement_join = "LEFT JOIN first_enforcement f USING (ticket_id)"
        enforcement_at = "f.first_enforcement_at"
    else:
        first_enforcement, enforcement_join, enforcement_at = "", "", "CAST(NULL AS TIMESTAMPTZ)"
    return f"""
    WITH raw_tickets AS (
        SELECT * FROM ({source}) WHERE opened_at <= $as_of
    ){first_enforcement}
    , staged AS (
        SELECT r.*,
               CASE WHEN r.resolved_at <= $as_of THEN r.resolved_at END AS resolved_by_as_of,
               (r.resolved_at IS NULL AND list_contains($closed, lower(r.status))) AS closed_unknown,
               {enforcement_at} AS first_enforcement_at
        FROM raw_tickets r {enforcement_join}
    )
    , tickets AS (
        SELECT s.*,
               (s.resolved_by_as_of IS NULL AND NOT s.closed_unknown) AS is_open,
               CASE WHEN s.first_enforcement_at IS NULL THEN s.resolved_by_as_of
                    WHEN s.resolved_by_as_of IS NULL THEN s.first_enforcement_at
                    ELSE LEAST(s.first_enforcement_at, s.resolved_by_as_of) END AS first_action_at,
               (s.resolved_by_as_of IS NULL AND NOT s.closed_unknown AND s.due_at < $as_of) AS overdue,
               CASE WHEN s.resolved_by_as_of IS NOT NULL AND s.due_at IS NOT NULL THEN s.resolved_by_as_of <= s.due_at
                    WHEN s.resolved_by_as_of IS NULL AND NOT s.closed_unknown AND s.due_at < $as_of THEN FALSE
               END AS sla_met,
               date_trunc('week', s.opened_at) AS week
        FROM staged s
    )
    """
