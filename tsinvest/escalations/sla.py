"""SLA analytics: backlog, time to first action, time to resolution, SLA-met rate.

Every figure is computed in DuckDB over the workspace's ``escalations`` (and
``enforcements``) at an explicit ``as_of``: the desk as it stood at that time.

Definitions (the same in every function)
-----------------------------------------
* **Open at as_of (backlog)**: opened at or before ``as_of`` and not resolved
  by then. ``resolved_at`` after ``as_of`` counts as still open, so a past
  ``as_of`` replays the desk of that day. A closed status with no
  ``resolved_at`` is *closed at an unknown time*: counted in ``opened`` and
  ``closed_unknown_time``, left out of every time figure.
* **Backlog age**: hours from ``opened_at`` to ``as_of`` of open tickets.
* **Time to first action**: hours from ``opened_at`` to the first sign that
  someone acted: the earliest enforcement on the subject account at or after
  ``opened_at``, or the resolution, whichever comes first. Tickets carry no
  event log, so this is a proxy: an enforcement on the account for another
  reason counts too, and a ticket worked without an enforcement shows its
  resolution time. Without an ``enforcements`` table it equals the time to
  resolution.
* **Time to resolution**: hours from ``opened_at`` to ``resolved_at`` of tickets
  resolved by ``as_of``.
* **SLA-met rate**: met / decided, where *met* are tickets resolved at or
  before ``due_at`` and *decided* are tickets whose outcome is known at
  ``as_of``: resolved tickets with a due time plus open tickets already past
  due. Counting only resolved tickets would hide the breaches still in the
  queue.

Medians and the 90th percentile are exact (``quantile_cont``), in hours with
one decimal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import pandas as pd

from tsinvest.escalations._sql import CLOSED_STATUSES, as_of_timestamp, check_statuses, tickets_cte
from tsinvest.exceptions import ParameterError

if TYPE_CHECKING:
    from tsinvest.workspace import Workspace

__all__ = ["SLA_COLUMNS", "GROUPINGS", "ticket_times", "sla_figures", "backlog_series"]

#: Groupings :func:`sla_figures` accepts.
GROUPINGS = ("channel", "policy", "severity", "priority", "week", "all")

#: Columns of :func:`sla_figures` after the group column.
SLA_COLUMNS = (
    "opened", "resolved", "open", "overdue", "closed_unknown_time",
    "backlog_median_age_h", "backlog_max_age_h",
    "first_action_median_h", "resolution_median_h", "resolution_p90_h",
    "sla_met", "sla_decided", "sla_met_rate",
)


def _params(as_of: object, closed_statuses: Sequence[str]) -> dict:
    return {"as_of": as_of_timestamp(as_of).to_pydatetime(), "closed": check_statuses(closed_statuses)}


def ticket_times(
    workspace: Workspace, *, as_of: str | pd.Timestamp, closed_statuses: Sequence[str] = CLOSED_STATUSES
) -> pd.DataFrame:
    """Per ticket opened by ``as_of``: its state and durations at ``as_of``.

    Returns
    -------
    DataFrame
        ``ticket_id, channel, policy, severity, priority, week, opened_at,
        due_at, first_action_at, resolved_at`` (only if by ``as_of``),
        ``is_open, overdue, sla_met`` (True/False/NA), ``age_hours`` (open
        tickets), ``first_action_hours, resolution_hours``. Sorted by
        ``opened_at`` then ticket id.

    Examples
    --------
    >>> import pandas as pd
    >>> from tsinvest.workspace import Workspace
    >>> ws = Workspace()
    >>> ws.register("escalations", pd.DataFrame({
    ...     "ticket_id": ["T1"], "channel": ["user"], "subject_account_id": ["007"], "policy": ["spam"],
    ...     "priority": ["low"], "status": ["resolved"],
    ...     "opened_at": pd.to_datetime(["2026-03-02 00:00"], utc=True),
    ...     "due_at": pd.to_datetime(["2026-03-03 00:00"], utc=True),
    ...     "resolved_at": pd.to_datetime(["2026-03-02 06:00"], utc=True)}))
    >>> ticket_times(ws, as_of="2026-03-05T00:00:00Z")[["ticket_id", "resolution_hours", "sla_met"]]
      ticket_id  resolution_hours  sla_met
    0        T1               6.0     True
    """
    query = tickets_cte(workspace) + """
    SELECT ticket_id, channel, policy, severity, priority, week, opened_at, due_at, first_action_at,
           resolved_by_as_of AS resolved_at, is_open, COALESCE(overdue, FALSE) AS overdue, sla_met,
           CASE WHEN is_open THEN round(date_diff('second', opened_at, $as_of) / 3600.0, 1) END AS age_hours,
           round(date_diff('second', opened_at, first_action_at) / 3600.0, 1) AS first_action_hours,
           round(date_diff('second', opened_at, resolved_by_as_of) / 3600.0, 1) AS resolution_hours
    FROM tickets
    ORDER BY opened_at, ticket_id
    """
    frame = workspace.sql(query, _params(as_of, closed_statuses))
    frame["is_open"] = frame["is_open"].astype(bool)
    frame["overdue"] = frame["overdue"].astype(bool)
    frame["sla_met"] = frame["sla_met"].astype("boolean")
    return frame


def sla_figures(
    workspace: Workspace,
    *,
    as_of: str | pd.Timestamp,
    by: Literal["channel", "policy", "severity", "priority", "week", "all"] = "channel",
    closed_statuses: Sequence[str] = CLOSED_STATUSES,
    start: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """SLA figures per group of tickets opened by ``as_of`` (see the module's definitions).

    Parameters
    ----------
    workspace : tsinvest.workspace.Workspace
    as_of : str or Timestamp
        Time the figures are taken at (ISO 8601; a time without an offset is UTC).
    by : {"channel", "policy", "severity", "priority", "week", "all"}
        Grouping. ``week`` is the ISO week (Monday 00:00 UTC) the ticket was
        *opened* in; every week from ``start`` (default: the first ticket's)
        to ``as_of`` is listed, weeks without tickets as zeros, so a plot keeps
        the gaps. ``all`` gives one row.
    closed_statuses : sequence of str
        Statuses that close a ticket.
    start : str or Timestamp, optional
        First week shown when ``by="week"``.

    Returns
    -------
    DataFrame
        The group column, then :data:`SLA_COLUMNS`. Counts are integers;
        hours and ``sla_met_rate`` are NaN where no ticket qualifies. Sorted
        by the group.

    Notes
    -----
    One scan of ``escalations``, a hash join with ``enforcements`` on the
    subject account, and one aggregation: O(n + e) for n tickets and e
    enforcements.

    Examples
    --------
    >>> import pandas as pd
    >>> from tsinvest.workspace import Workspace
    >>> ws = Workspace()
    >>> ws.register("escalations", pd.DataFrame({
    ...     "ticket_id": ["T1", "T2"], "channel": ["user", "user"], "subject_account_id": ["007", "008"],
    ...     "policy": ["spam", "spam"], "priority": ["low", "low"], "status": ["resolved", "open"],
    ...     "opened_at": pd.to_datetime(["2026-03-02 00:00", "2026-03-02 00:00"], utc=True),
    ...     "due_at": pd.to_datetime(["2026-03-03 00:00", "2026-03-03 00:00"], utc=True),
    ...     "resolved_at": pd.to_datetime(["2026-03-02 06:00", None], utc=True)}))
    >>> sla_figures(ws, as_of="2026-03-04T00:00:00Z")[["channel", "open", "overdue", "sla_met_rate"]]
      channel  open  overdue  sla_met_rate
    0    user     1        1           0.5
    """
    if by not in GROUPINGS:
        raise ParameterError(f"by must be one of {', '.join(GROUPINGS)}")
    params = _params(as_of, closed_statuses)
    group = "'all'" if by == "all" else by
    aggregate = f"""
        SELECT {group} AS grp,
               count(*) AS opened,
               count(resolved_by_as_of) AS resolved,
               count(*) FILTER (WHERE is_open) AS open,
               count(*) FILTER (WHERE is_open AND overdue) AS overdue,
               count(*) FILTER (WHERE closed_unknown) AS closed_unknown_time,
               quantile_cont(date_diff('second', opened_at, $as_of) / 3600.0, 0.5) FILTER (WHERE is_open)
                   AS backlog_median_age_h,
               max(date_diff('second', opened_at, $as_of) / 3600.0) FILTER (WHERE is_open) AS backlog_max_age_h,
               quantile_cont(date_diff('second', opened_at, first_action_at) / 3600.0, 0.5) AS first_action_median_h,
               quantile_cont(date_diff('second', opened_at, resolved_by_as_of) / 3600.0, 0.5) AS resolution_median_h,
               quantile_cont(date_diff('second', opened_at, resolved_by_as_of) / 3600.0, 0.9) AS resolution_p90_h,
               count(*) FILTER (WHERE sla_met) AS sla_met,
               count(sla_met) AS sla_decided
        FROM tickets GROUP BY grp
    """
    if by == "week":
        params["start"] = None if start is None else as_of_timestamp(start).to_pydatetime()
        query = tickets_cte(workspace) + f"""
        , figures AS ({aggregate})
        , bounds AS (
            SELECT date_trunc('week', COALESCE(CAST($start AS TIMESTAMPTZ), (SELECT min(opened_at) FROM tickets)))
                       AS first_week,
                   date_trunc('week', CAST($as_of AS TIMESTAMPTZ)) AS last_week
        )
        , weeks AS (
            SELECT unnest(generate_series(first_week, last_week, INTERVAL 7 DAY)) AS grp FROM bounds
            WHERE first_week IS NOT NULL
        )
        SELECT w.grp, f.* EXCLUDE (grp) FROM weeks w LEFT JOIN figures f USING (grp) ORDER BY w.grp
        """
    else:
        query = tickets_cte(workspace) + f", figures AS ({aggregate}) SELECT * FROM figures ORDER BY grp"
    frame = workspace.sql(query, params).rename(columns={"grp": by})
    for column in ("opened", "resolved", "open", "overdue", "closed_unknown_time", "sla_met", "sla_decided"):
        frame[column] = frame[column].fillna(0).astype("int64")
    for column in ("backlog_median_age_h", "backlog_max_age_h", "first_action_median_h", "resolution_median_h",
                   "resolution_p90_h"):
        frame[column] = frame[column].astype(float).round(1)
    decided = frame["sla_decided"].where(frame["sla_decided"] > 0)
    frame["sla_met_rate"] = (frame["sla_met"] / decided).astype(float).round(3)
    return frame[[by, *SLA_COLUMNS]].reset_index(drop=True)


def backlog_series(
    workspace: Workspace,
    *,
    as_of: str | pd.Timestamp,
    start: str | pd.Timestamp | None = None,
    closed_statuses: Sequence[str] = CLOSED_STATUSES,
) -> pd.DataFrame:
    """Open and overdue tickets at every midnight (UTC) from ``start`` to ``as_of``.

    Parameters
    ----------
    workspace : tsinvest.workspace.Workspace
    as_of : str or Timestamp
        Last time counted; its state comes from ``resolved_at`` (a ticket
        resolved after a snapshot is open at that snapshot).
    start : str or Timestamp, optional
        First snapshot (default: the midnight after the first ticket opened).

    Returns
    -------
    DataFrame
        ``snapshot`` (every day, none skipped), ``open``, ``overdue`` (open
        and past due at the snapshot), ``opened`` and ``resolved`` during the
        day before the snapshot. Integers.

    Notes
    -----
    Counts come from +1/-1 events (opened, resolved, became due) summed
    cumulatively over the snapshots: O(n log n) for n tickets, not one pass
    per day. Tickets closed at an unknown time are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> from tsinvest.workspace import Workspace
    >>> ws = Workspace()
    >>> ws.register("escalations", pd.DataFrame({
    ...     "ticket_id": ["T1"], "channel": ["user"], "subject_account_id": ["007"], "policy": ["spam"],
    ...     "priority": ["low"], "status": ["resolved"],
    ...     "opened_at": pd.to_datetime(["2026-03-02 10:00"], utc=True),
    ...     "due_at": pd.to_datetime(["2026-03-03 10:00"], utc=True),
    ...     "resolved_at": pd.to_datetime(["2026-03-04 10:00"], utc=True)}))
    >>> backlog_series(ws, as_of="2026-03-06T00:00:00Z")[["open", "overdue", "resolved"]].values.tolist()
    [[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 0, 0]]
    """
    params = _params(as_of, closed_statuses)
    params["start"] = None if start is None else as_of_timestamp(start).to_pydatetime()
    query = tickets_cte(workspace) + """
    , changes AS (
        SELECT opened_at AS change_at, 1 AS open_change, 0 AS overdue_change, 1 AS opened, 0 AS resolved
            FROM tickets WHERE NOT closed_unknown
        UNION ALL
        SELECT resolved_by_as_of, -1, 0, 0, 1 FROM tickets WHERE resolved_by_as_of IS NOT NULL
        UNION ALL
        SELECT due_at, 0, 1, 0, 0 FROM tickets
            WHERE NOT closed_unknown AND due_at <= $as_of AND (resolved_by_as_of IS NULL OR resolved_by_as_of > due_at)
        UNION ALL
        SELECT resolved_by_as_of, 0, -1, 0, 0 FROM tickets
            WHERE resolved_by_as_of > due_at
    )
    , bounds AS (
        SELECT COALESCE(CAST(date_trunc('day', CAST($start AS TIMESTAMPTZ)) AS TIMESTAMPTZ),
                        date_trunc('day', (SELECT min(opened_at) FROM tickets)) + INTERVAL 1 DAY) AS first_snapshot
    )
    , snapshots AS (
        SELECT unnest(generate_series(first_snapshot, CAST($as_of AS TIMESTAMPTZ), INTERVAL 1 DAY)) AS snapshot
        FROM bounds WHERE first_snapshot IS NOT NULL
    )
    , bucketed AS (
        -- A change at exactly midnight belongs to the day it starts (snapshots count times before them).
        SELECT CAST(date_trunc('day', change_at) AS TIMESTAMPTZ) + INTERVAL 1 DAY AS snapshot,
               sum(open_change) AS open_change, sum(overdue_change) AS overdue_change,
               sum(opened) AS opened, sum(resolved) AS resolved
        FROM changes GROUP BY 1
    )
    , before_first AS (
        SELECT COALESCE(sum(open_change), 0) AS open_change, COALESCE(sum(overdue_change), 0) AS overdue_change
        FROM changes, bounds WHERE change_at < first_snapshot - INTERVAL 1 DAY
    )
    SELECT s.snapshot,
           (SELECT open_change FROM before_first)
               + sum(COALESCE(b.open_change, 0)) OVER (ORDER BY s.snapshot) AS open,
           (SELECT overdue_change FROM before_first)
               + sum(COALESCE(b.overdue_change, 0)) OVER (ORDER BY s.snapshot) AS overdue,
           COALESCE(b.opened, 0) AS opened, COALESCE(b.resolved, 0) AS resolved
    FROM snapshots s LEFT JOIN bucketed b USING (snapshot)
    ORDER BY s.snapshot
    """
    frame = workspace.sql(query, params)
    for column in ("open", "overdue", "opened", "resolved"):
        frame[column] = frame[column].astype("int64")
    return frame
