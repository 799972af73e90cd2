"""The escalation desk: queue triage, SLA analytics, tickets linked to networks, drafted replies.

One module per job:

* :mod:`~tsinvest.escalations.queue`: :func:`triage_queue`, open tickets ranked
  by a documented, configurable priority score;
* :mod:`~tsinvest.escalations.sla`: backlog, time to first action, time to
  resolution and SLA-met rate per channel, policy or week;
* :mod:`~tsinvest.escalations.networks`: open tickets whose subject is in, or
  was reported by, a flagged network, or looks like a ban evader;
* :mod:`~tsinvest.escalations.plots`: the figures a team lead brings to a weekly review;
* :mod:`~tsinvest.escalations.review`: :func:`desk_review`, all of the above at one
  ``as_of``, opening with the findings;
* :mod:`~tsinvest.escalations.replies`: drafted replies per audience from
  replaceable Jinja2 templates.

Every table is computed in DuckDB over a :class:`tsinvest.workspace.Workspace`,
with values bound as parameters.

Examples
--------
>>> from tsinvest.escalations import DEFAULT_PRIORITY_WEIGHTS
>>> DEFAULT_PRIORITY_WEIGHTS["severity"]["critical"]
8.0
"""

from tsinvest.escalations.networks import ticket_networks
from tsinvest.escalations.queue import DEFAULT_PRIORITY_WEIGHTS, latest_ticket_time, priority_weights, triage_queue
from tsinvest.escalations.sla import backlog_series, sla_figures, ticket_times

__all__ = [
    "DEFAULT_PRIORITY_WEIGHTS",
    "priority_weights",
    "triage_queue",
    "latest_ticket_time",
    "sla_figures",
    "backlog_series",
    "ticket_times",
    "ticket_networks",
]
