"""Queue triage: which open tickets to work first at a given time.

:func:`triage_queue` ranks the tickets open at ``as_of`` by a priority score
that a team can read and change (:data:`DEFAULT_PRIORITY_WEIGHTS`):

``priority_score = severity weight x reach factor x urgency x channel weight``

* **severity weight**: ``severity`` (low 1, medium 2, high 4, critical 8);
  a ticket without ``severity`` takes the level of its ``priority``
  (urgent -> critical, high -> high, normal -> medium, low -> low);
* **reach factor**: ``1 + log10(1 + reach)``: 1 for no audience, 4 for a
  thousand followers or views, 7 for a million. Logarithmic, so one huge
  account does not bury every other ticket; missing reach counts as 0;
* **urgency** from the SLA time left, ``hours_left = due_at - as_of``:
  ``min(max_urgency, 1 + max(0, (horizon_hours - hours_left) / horizon_hours))``.
  With the default 72 h horizon: 1 when due in three days or more, 2 when due
  now, 3 when 72 h overdue, capped at 4. Bounded, so a long-forgotten ticket
  rises to the top of its severity class but a critical ticket due tomorrow
  still outranks a low one overdue for weeks. No ``due_at``: urgency 1;
* **channel weight**: user 1, partner 1.2, regulator 1.5, internal 1
  (regulators and partners carry legal and contractual deadlines).

Examples
--------
>>> sorted(DEFAULT_PRIORITY_WEIGHTS)
['channel', 'horizon_hours', 'max_urgency', 'severity']
>>> priority_weights({"channel": {"regulator": 3}})["channel"]["regulator"]
3.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

import pandas as pd

from tsinvest.escalations._sql import (
    CLOSED_STATUSES,
    as_of_timestamp,
    check_statuses,
    escalations_select,
    tickets_cte,
)
from tsinvest.exceptions import ParameterError
from tsinvest.schemas import ESCALATION_CHANNELS, ESCALATION_SEVERITIES

if TYPE_CHECKING:
    from tsinvest.workspace import Workspace

__all__ = ["DEFAULT_PRIORITY_WEIGHTS", "QUEUE_COLUMNS", "priority_weights", "triage_queue", "latest_ticket_time"]

#: Default weights of the priority score (read-only; override with :func:`priority_weights`).
DEFAULT_PRIORITY_WEIGHTS: Mapping = MappingProxyType({
    "severity": MappingProxyType({"low": 1.0, "medium": 2.0, "high": 4.0, "critical": 8.0}),
    "channel": MappingProxyType({"user": 1.0, "partner": 1.2, "regulator": 1.5, "internal": 1.0}),
    "horizon_hours": 72.0,
    "max_urgency": 4.0,
})

#: Severity assumed for a ticket without one, from its SLA class.
_SEVERITY_OF_PRIORITY = {"urgent": "critical", "high": "high", "normal": "medium", "low": "low"}

#: Columns of :func:`triage_queue`, in order.
QUEUE_COLUMNS = (
    "rank", "ticket_id", "channel", "requester", "severity", "priority", "policy", "status", "assignee",
    "opened_at", "due_at", "age_hours", "hours_left", "overdue", "reach", "priority_score",
    "subject_account_id", "summary",
)


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ParameterError(f"priority weight '{name}' must be a non-negative number")
    return float(value)


def priority_weights(overrides: Mapping | None = None) -> Mapping:
    """The default weights with ``overrides`` applied, as a read-only mapping.

    Parameters
    ----------
    overrides : mapping, optional
        Any of ``severity`` (mapping of severity to weight), ``channel``
        (mapping of channel to weight), ``horizon_hours`` (> 0),
        ``max_urgency`` (>= 1). Nested mappings are merged key by key.

    Returns
    -------
    Mapping
        Same shape as :data:`DEFAULT_PRIORITY_WEIGHTS`.

    Examples
    --------
    >>> weights = priority_weights({"severity": {"critical": 20}, "horizon_hours": 24})
    >>> weights["severity"]["critical"], weights["severity"]["low"], weights["horizon_hours"]
    (20.0, 1.0, 24.0)
    """
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(DEFAULT_PRIORITY_WEIGHTS))
    if unknown:
        raise ParameterError(
            f"unknown priority weight(s) {', '.join(map(str, unknown))}; "
            f"known: {', '.join(sorted(DEFAULT_PRIORITY_WEIGHTS))}"
        )
    merged: dict = {}
    for group, vocabulary in (("severity", ESCALATION_SEVERITIES), ("channel", ESCALATION_CHANNELS)):
        extra = dict(overrides.get(group) or {})
        bad = sorted(str(key) for key in set(extra) - set(vocabulary))
        if bad:
            raise ParameterError(f"priority weight '{group}' accepts only {', '.join(vocabulary)}; "
                                 "remove the other keys")
        values = {**DEFAULT_PRIORITY_WEIGHTS[group], **extra}
        merged[group] = MappingProxyType({key: _number(values[key], f"{group}.{key}") for key in vocabulary})
    merged["horizon_hours"] = _number(overrides.get("horizon_hours", DEFAULT_PRIORITY_WEIGHTS["horizon_hours"]),
                                      "horizon_hours")
    urgency = overrides.get("max_urgency", DEFAULT_PRIORITY_WEIGHTS["max_urgency"])
    merged["max_urgency"] = _number(urgency, "max_urgency")
    if merged["horizon_hours"] <= 0 or merged["max_urgency"] < 1:
        raise ParameterError("priority weights need horizon_hours > 0 and max_urgency >= 1")
    return MappingProxyType(merged)


def _case(column: str, mapping: Mapping[str, str]) -> str:
    # Keys come from the schema's closed vocabularies (constants); values are bound parameters.
    branches = " ".join(f"WHEN '{key}' THEN {value}" for key, value in mapping.items())
    return f"CASE {column} {branches} END"


def triage_queue(
    workspace: Workspace,
    *,
    as_of: str | pd.Timestamp,
    weights: Mapping | None = None,
    closed_statuses: Sequence[str] = CLOSED_STATUSES,
) -> pd.DataFrame:
    """Open tickets at ``as_of``, highest priority first.

    Parameters
    ----------
    workspace : tsinvest.workspace.Workspace
        Holds ``escalations`` (and ``enforcements``, unused here).
    as_of : str or Timestamp
        The time the queue is looked at (ISO 8601; a time without an offset is UTC). Tickets opened
        later are not in the queue; tickets resolved later are still open.
    weights : mapping, optional
        Overrides of :data:`DEFAULT_PRIORITY_WEIGHTS` (see :func:`priority_weights`).
    closed_statuses : sequence of str
        Statuses that close a ticket (case-insensitive). A ticket with such a
        status and no ``resolved_at`` is treated as closed.

    Returns
    -------
    DataFrame
        :data:`QUEUE_COLUMNS`: ``rank`` from 1, ``age_hours`` since opening,
        ``hours_left`` until due (negative when overdue), ``overdue``,
        ``severity`` (as used: from ``priority`` when missing),
        ``priority_score`` rounded to 3 decimals. Sorted by score desc, then
        due time (earliest first, missing last), then ticket id.

    Notes
    -----
    One scan of ``escalations`` in DuckDB plus a sort of the open tickets:
    O(n + k log k) for n tickets, k of them open. Ticket text is returned as
    is: show it with :func:`tsinvest.reporting.display_table` or export it
    with :mod:`tsinvest.reporting.safe_export`.

    Examples
    --------
    >>> import pandas as pd
    >>> from tsinvest.workspace import Workspace
    >>> ws = Workspace()
    >>> ws.register("escalations", pd.DataFrame({
    ...     "ticket_id": ["T1", "T2"], "channel": ["user", "regulator"], "subject_account_id": ["007", "008"],
    ...     "policy": ["spam", "hate_speech"], "priority": ["low", "urgent"], "status": ["open", "open"],
    ...     "opened_at": pd.to_datetime(["2026-03-01", "2026-03-01"], utc=True),
    ...     "due_at": pd.to_datetime(["2026-03-10 00:00", "2026-03-01 04:00"], utc=True)}))
    >>> triage_queue(ws, as_of="2026-03-02T04:00:00Z")[["rank", "ticket_id", "hours_left", "priority_score"]]
       rank ticket_id  hours_left  priority_score
    0     1        T2       -24.0            28.0
    1     2        T1       188.0             1.0
    """
    stamp = as_of_timestamp(as_of)
    chosen = priority_weights(weights)
    params: dict = {"as_of": stamp.to_pydatetime(), "closed": check_statuses(closed_statuses),
                    "horizon": chosen["horizon_hours"], "max_urgency": chosen["max_urgency"]}
    severity_params = {}
    for index, key in enumerate(ESCALATION_SEVERITIES):
        params[f"severity_{index}"] = chosen["severity"][key]
        severity_params[key] = f"$severity_{index}"
    channel_params = {}
    for index, key in enumerate(ESCALATION_CHANNELS):
        params[f"channel_{index}"] = chosen["channel"][key]
        channel_params[key] = f"$channel_{index}"
    fallback = " ".join(f"WHEN '{key}' THEN '{value}'" for key, value in _SEVERITY_OF_PRIORITY.items())
    query = tickets_cte(workspace) + f"""
    , open_tickets AS (
        SELECT *,
               COALESCE(lower(severity), CASE lower(priority) {fallback} END) AS severity_used,
               date_diff('second', opened_at, $as_of) / 3600.0 AS age_hours,
               date_diff('second', $as_of, due_at) / 3600.0 AS hours_left
        FROM tickets WHERE is_open
    )
    , scored AS (
        SELECT *,
               COALESCE({_case('severity_used', severity_params)}, 1.0)
               * (1 + log10(1 + greatest(COALESCE(reach, 0), 0)))
               * CASE WHEN hours_left IS NULL THEN 1.0
                      ELSE least($max_urgency, 1 + greatest(0, ($horizon - hours_left) / $horizon)) END
               * {_case('channel', channel_params)} AS score
        FROM open_tickets
    )
    SELECT row_number() OVER (ORDER BY score DESC, due_at ASC NULLS LAST, ticket_id) AS rank,
           ticket_id, channel, requester, severity_used AS severity, priority, policy, status, assignee,
           opened_at, due_at, round(age_hours, 1) AS age_hours, round(hours_left, 1) AS hours_left,
           COALESCE(overdue, FALSE) AS overdue, reach, round(score, 3) AS priority_score,
           subject_account_id, summary
    FROM scored
    ORDER BY rank
    """
    frame = workspace.sql(query, params)
    frame["rank"] = frame["rank"].astype("int64")
    frame["overdue"] = frame["overdue"].astype(bool)
    frame["reach"] = frame["reach"].astype("Int64")
    return frame[list(QUEUE_COLUMNS)].reset_index(drop=True)


def latest_ticket_time(workspace: Workspace) -> pd.Timestamp | None:
    """The latest time recorded in the escalations table (opened or resolved), in UTC; None when it is empty.

    What the queue is taken at when no ``as_of`` is given: the data's own
    clock, never the wall clock.

    Examples
    --------
    >>> import pandas as pd
    >>> from tsinvest.workspace import Workspace
    >>> ws = Workspace()
    >>> ws.register("escalations", pd.DataFrame({
    ...     "ticket_id": ["T1"], "channel": ["user"], "subject_account_id": ["007"], "policy": ["spam"],
    ...     "priority": ["low"], "status": ["resolved"], "opened_at": pd.to_datetime(["2026-03-01"], utc=True),
    ...     "resolved_at": pd.to_datetime(["2026-03-04 12:00"], utc=True)}))
    >>> latest_ticket_time(ws)
    Timestamp('2026-03-04 12:00:00+0000', tz='UTC')
    """
    row = workspace.connection.execute(
        f"SELECT greatest(max(opened_at), max(resolved_at)) FROM ({escalations_select(workspace)})"
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return pd.Timestamp(row[0]).tz_convert("UTC")
