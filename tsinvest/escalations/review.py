"""The desk at one ``as_of``: queue, overdue tickets, network links and SLA figures, findings first.

:func:`desk_review` runs every escalation-desk function at one time and
returns a :class:`DeskReview`, which the ``escalation_queue`` notebook shows:
a findings summary (the verdict: how much is open and overdue, what to work
first, which tickets touch a flagged network, how the SLA holds), then the
tables and figures behind it.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from tsinvest.escalations._sql import CLOSED_STATUSES, as_of_timestamp
from tsinvest.escalations.networks import ticket_networks
from tsinvest.escalations.queue import triage_queue
from tsinvest.escalations.sla import backlog_series, sla_figures, ticket_times

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from tsinvest.workspace import Workspace

__all__ = ["DeskReview", "desk_review", "QUEUE_VIEW_COLUMNS"]

#: Columns :meth:`DeskReview.queue_view` shows.
QUEUE_VIEW_COLUMNS = ("rank", "ticket_id", "channel", "requester", "severity", "policy", "status", "assignee",
                      "due_at", "hours_left", "overdue", "reach", "priority_score", "summary")


def _when(stamp: pd.Timestamp) -> str:
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


def _percent(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "n/a"


def _hours(value: object) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{float(str(value)):.1f} h"


@dataclass(frozen=True)
class DeskReview:
    """What :func:`desk_review` found at ``as_of``.

    Attributes
    ----------
    as_of : Timestamp
        The time the desk is looked at (UTC).
    queue : DataFrame
        :func:`~tsinvest.escalations.triage_queue`: open tickets, highest priority first.
    overdue : DataFrame
        The overdue rows of ``queue``, most overdue first.
    networks : DataFrame or None
        :func:`~tsinvest.escalations.ticket_networks` for open tickets; None
        when no detection result was given.
    by_channel, by_policy, by_week, overall : DataFrame
        :func:`~tsinvest.escalations.sla_figures` per channel, policy, week, and overall.
    backlog : DataFrame
        :func:`~tsinvest.escalations.backlog_series`.
    times : DataFrame
        :func:`~tsinvest.escalations.ticket_times`.
    """

    as_of: pd.Timestamp
    queue: pd.DataFrame
    overdue: pd.DataFrame
    networks: pd.DataFrame | None
    by_channel: pd.DataFrame
    by_policy: pd.DataFrame
    by_week: pd.DataFrame
    overall: pd.DataFrame
    backlog: pd.DataFrame
    times: pd.DataFrame

    def findings(self, *, top: int = 3) -> list[str]:
        """The findings summary as plain sentences, most important first."""
        lines = []
        n_open, n_overdue = len(self.queue), int(self.queue["overdue"].sum())
        lines.append(f"{n_open} ticket(s) open at {_when(self.as_of)}; {n_overdue} past due "
                     f"({_percent(n_overdue, n_open)}).")
        if n_overdue:
            worst = self.overdue.iloc[0]
            lines.append(f"Most overdue: {worst['ticket_id']} ({worst['channel']}, {worst['policy']}, "
                         f"{worst['severity']}), {-float(worst['hours_left']):.0f} h past due.")
        if n_open:
            first = [f"{row['ticket_id']} ({row['channel']}, {row['severity']}, "
                     + (f"{-float(row['hours_left']):.0f} h overdue" if row["overdue"] else
                        ("no due time" if pd.isna(row["hours_left"]) else f"due in {float(row['hours_left']):.0f} h"))
                     + ")" for row in self.queue.head(top).to_dict("records")]
            lines.append("Work first: " + "; ".join(first) + ".")
            unassigned = int(self.queue["assignee"].isna().sum())
            if unassigned:
                lines.append(f"{unassigned} open ticket(s) have no assignee.")
        if self.networks is None:
            lines.append("Networks not checked: no detection result was given.")
        elif len(self.networks):
            touched = [f"{row['ticket_id']}: {row['finding']}" for row in self.networks.to_dict("records")]
            lines.append(f"{len(self.networks)} open ticket(s) touch a flagged network: " + "; ".join(touched) + ".")
        else:
            lines.append("No open ticket touches a flagged network.")
        overall = self.overall.iloc[0] if len(self.overall) else None
        if overall is not None and overall["sla_decided"]:
            text = (f"SLA met on {overall['sla_met']} of {overall['sla_decided']} tickets decided by as_of "
                    f"({_percent(int(overall['sla_met']), int(overall['sla_decided']))}; decided = resolved, "
                    "or open and past due)")
            rated = self.by_channel[self.by_channel["sla_decided"] > 0]
            if len(rated) > 1:
                lowest = rated.sort_values(["sla_met_rate", "channel"]).iloc[0]
                text += f"; lowest channel: {lowest['channel']} ({lowest['sla_met']} of {lowest['sla_decided']})"
            lines.append(text + ".")
        if overall is not None:
            lines.append(f"Median time to first action {_hours(overall['first_action_median_h'])}, to resolution "
                         f"{_hours(overall['resolution_median_h'])} (90th percentile "
                         f"{_hours(overall['resolution_p90_h'])}).")
        return lines

    def queue_view(self, top: int | None = None) -> pd.DataFrame:
        """The queue's columns a specialist reads (``top`` rows, or all)."""
        view = self.queue[list(QUEUE_VIEW_COLUMNS)]
        return view if top is None else view.head(top)

    def overdue_view(self) -> pd.DataFrame:
        """The overdue tickets with the queue's reading columns, most overdue first."""
        return self.overdue[list(QUEUE_VIEW_COLUMNS)]

    def plot_backlog(self) -> Figure:
        """Open and overdue tickets at each midnight (:func:`~tsinvest.escalations.plots.plot_backlog`)."""
        from tsinvest.escalations.plots import plot_backlog

        return plot_backlog(self.backlog)

    def plot_weekly(self) -> Figure:
        """Tickets opened per week and the SLA-met rate (:func:`~tsinvest.escalations.plots.plot_weekly`)."""
        from tsinvest.escalations.plots import plot_weekly

        return plot_weekly(self.by_week)

    def plot_resolution(self, by: str = "channel") -> Figure:
        """Hours to resolution per group (:func:`~tsinvest.escalations.plots.plot_resolution`)."""
        from tsinvest.escalations.plots import plot_resolution

        return plot_resolution(self.times, by=by, title=f"Hours to resolution by {by} (tickets resolved by as_of)")

    def _repr_html_(self) -> str:
        from tsinvest.textnorm import display_safe

        items = "".join(f"<li>{html.escape(display_safe(line), quote=True)}</li>" for line in self.findings())
        return f"<h3>Findings at {html.escape(_when(self.as_of))}</h3><ul>{items}</ul>"

    def __repr__(self) -> str:
        return "\n".join([f"Findings at {_when(self.as_of)}", *(f"- {line}" for line in self.findings())])


def desk_review(
    workspace: Workspace,
    *,
    as_of: str | pd.Timestamp,
    memberships: pd.DataFrame | None = None,
    ban_evasion: pd.DataFrame | None = None,
    weights: Mapping | None = None,
    closed_statuses: Sequence[str] = CLOSED_STATUSES,
) -> DeskReview:
    """Queue, overdue tickets, network links and SLA figures at ``as_of``, in one call.

    Parameters
    ----------
    workspace : tsinvest.workspace.Workspace
        Holds ``escalations``; ``enforcements`` (first action) and ``reports``
        (brigade victims) are used when present.
    as_of : str or Timestamp
        The time the desk is looked at (ISO 8601; a time without an offset is UTC).
    memberships : DataFrame, optional
        ``DetectionResult.memberships`` from :func:`tsinvest.detect.detect`;
        without it (and without ``ban_evasion``) networks are not checked,
        and the findings say so.
    ban_evasion : DataFrame, optional
        :func:`tsinvest.linking.same_operator.same_operator_links` output, to
        flag subjects that look like new accounts of enforced operators.
    weights : mapping, optional
        Overrides of :data:`~tsinvest.escalations.DEFAULT_PRIORITY_WEIGHTS`.
    closed_statuses : sequence of str
        Statuses that close a ticket.

    Returns
    -------
    DeskReview

    Examples
    --------
    >>> import pandas as pd
    >>> from tsinvest.workspace import Workspace
    >>> ws = Workspace()
    >>> ws.register("escalations", pd.DataFrame({
    ...     "ticket_id": ["T1", "T2"], "channel": ["user", "regulator"], "subject_account_id": ["007", "008"],
    ...     "policy": ["spam", "hate_speech"], "priority": ["low", "urgent"], "status": ["resolved", "open"],
    ...     "opened_at": pd.to_datetime(["2026-03-02 00:00", "2026-03-02 00:00"], utc=True),
    ...     "due_at": pd.to_datetime(["2026-03-09 00:00", "2026-03-02 04:00"], utc=True),
    ...     "resolved_at": pd.to_datetime(["2026-03-03 00:00", None], utc=True)}))
    >>> print(desk_review(ws, as_of="2026-03-04T04:00:00Z").findings()[0])
    1 ticket(s) open at 2026-03-04 04:00 UTC; 1 past due (100%).
    """
    stamp = as_of_timestamp(as_of)
    options = {"as_of": stamp, "closed_statuses": closed_statuses}
    queue = triage_queue(workspace, weights=weights, **options)
    overdue = queue[queue["overdue"]].sort_values(["hours_left", "ticket_id"]).reset_index(drop=True)
    networks = None if memberships is None and ban_evasion is None else ticket_networks(
        workspace, memberships, ban_evasion=ban_evasion, **options)
    return DeskReview(
        as_of=stamp,
        queue=queue,
        overdue=overdue,
        networks=networks,
        by_channel=sla_figures(workspace, by="channel", **options),
        by_policy=sla_figures(workspace, by="policy", **options),
        by_week=sla_figures(workspace, by="week", **options),
        overall=sla_figures(workspace, by="all", **options),
        backlog=backlog_series(workspace, **options),
        times=ticket_times(workspace, **options),
    )
