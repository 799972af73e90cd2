"""Queue triage on the hand-made desk (see conftest for the table and the arithmetic)."""

from __future__ import annotations

import math

import pytest

from tsinvest.escalations import DEFAULT_PRIORITY_WEIGHTS, priority_weights, triage_queue
from tsinvest.escalations.queue import QUEUE_COLUMNS
from tsinvest.exceptions import ParameterError

from .conftest import AS_OF


def test_open_tickets_and_overdue_flags(desk):
    queue = triage_queue(desk, as_of=AS_OF)
    # A, B resolved; F closed at an unknown time; G opened after as_of; H resolved only after as_of.
    assert queue["ticket_id"].tolist() == ["ESC-C", "ESC-H", "ESC-E", "ESC-D"]
    assert queue["rank"].tolist() == [1, 2, 3, 4]
    by_ticket = queue.set_index("ticket_id")
    assert by_ticket["overdue"].to_dict() == {"ESC-C": True, "ESC-H": True, "ESC-E": False, "ESC-D": False}
    assert by_ticket["hours_left"].to_dict() == {"ESC-C": -44.0, "ESC-H": -72.0, "ESC-E": 0.0, "ESC-D": 48.0}
    assert by_ticket["age_hours"].to_dict() == {"ESC-C": 48.0, "ESC-H": 96.0, "ESC-E": 12.0, "ESC-D": 24.0}
    assert list(queue.columns) == list(QUEUE_COLUMNS)


def test_priority_scores_by_hand(desk):
    scores = dict(zip(*triage_queue(desk, as_of=AS_OF)[["ticket_id", "priority_score"]].T.values, strict=False))
    # C: critical 8 x (1 + log10(1000)) 4 x urgency (1 + (72 + 44) / 72) x regulator 1.5
    assert scores["ESC-C"] == pytest.approx(round(8 * 4 * (1 + 116 / 72) * 1.5, 3))
    assert scores["ESC-C"] == 125.333
    # H: high 4 x (1 + log10(10)) 2 x urgency 1 + 144/72 = 3 x regulator 1.5
    assert scores["ESC-H"] == 36.0
    # E: no severity, priority normal -> medium 2 x no reach 1 x due now: urgency 2 x internal 1
    assert scores["ESC-E"] == 4.0
    # D: medium 2 x reach 0 -> 1 x due in 48 h: 1 + 24/72 x user 1
    assert scores["ESC-D"] == 2.667


def test_severity_falls_back_to_priority(desk):
    queue = triage_queue(desk, as_of=AS_OF).set_index("ticket_id")
    assert queue.loc["ESC-E", "severity"] == "medium"


def test_weights_are_read_only_and_overridable(desk):
    with pytest.raises(TypeError):
        DEFAULT_PRIORITY_WEIGHTS["severity"]["low"] = 100.0  # type: ignore[index]
    with pytest.raises(TypeError):
        DEFAULT_PRIORITY_WEIGHTS["horizon_hours"] = 1  # type: ignore[index]
    # Users first: D (user, medium) outranks E (internal, medium, due now) when users weigh 2 and internal 0.5.
    queue = triage_queue(desk, as_of=AS_OF, weights={"channel": {"user": 2, "internal": 0.5}})
    scores = dict(zip(queue["ticket_id"], queue["priority_score"], strict=False))
    assert scores["ESC-D"] == round(2 * 1 * (1 + 24 / 72) * 2, 3)
    assert scores["ESC-E"] == 2.0
    assert queue["ticket_id"].tolist().index("ESC-D") < queue["ticket_id"].tolist().index("ESC-E")
    assert DEFAULT_PRIORITY_WEIGHTS["channel"]["user"] == 1.0  # the defaults did not move


def test_urgency_is_capped(desk):
    # With a 10 h horizon C is 44 h overdue: 1 + 54/10 = 6.4, capped at max_urgency 4.
    queue = triage_queue(desk, as_of=AS_OF, weights={"horizon_hours": 10})
    assert dict(zip(queue["ticket_id"], queue["priority_score"], strict=False))["ESC-C"] == 8 * 4 * 4 * 1.5


def test_as_of_replays_an_earlier_day(desk):
    # On 03-04 12:00 only B and F existed unresolved... F is closed without a time, so only B.
    queue = triage_queue(desk, as_of="2026-03-04T12:00:00Z")
    assert queue["ticket_id"].tolist() == ["ESC-B"]
    assert bool(queue["overdue"].iloc[0]) and queue["hours_left"].iloc[0] == -36.0


@pytest.mark.parametrize("bad", [{"colour": 1}, {"severity": {"extreme": 3}}, {"channel": {"user": -1}},
                                 {"horizon_hours": 0}, {"max_urgency": 0.5}, {"severity": {"low": math.nan}}])
def test_bad_weights_are_parameter_errors(bad):
    with pytest.raises(ParameterError, match="weight"):
        priority_weights(bad)


@pytest.mark.parametrize("as_of", [None, "yesterday"])
def test_as_of_must_be_an_explicit_time(desk, as_of):
    with pytest.raises(ParameterError, match="as_of"):
        triage_queue(desk, as_of=as_of)


def test_missing_optional_columns_are_fine():
    import pandas as pd

    from tsinvest.loading import load_table
    from tsinvest.workspace import Workspace

    from .conftest import escalations_frame

    minimal = escalations_frame()[["ticket_id", "channel", "subject_account_id", "policy", "priority", "opened_at",
                                   "status", "due_at"]]
    with Workspace() as workspace:
        workspace.register("escalations", load_table(minimal, "escalations"))
        queue = triage_queue(workspace, as_of=AS_OF)
    # Without resolved_at, A, B and H (resolved) and F (closed) are closed; C, D, E are open.
    assert queue["ticket_id"].tolist() == ["ESC-C", "ESC-E", "ESC-D"]
    assert queue["reach"].isna().all() and pd.api.types.is_integer_dtype(queue["reach"])
    # C without reach: critical 8 x 1 x (1 + 116/72) x 1.5
    assert queue["priority_score"].iloc[0] == round(8 * (1 + 116 / 72) * 1.5, 3)


def test_no_escalations_table_is_a_clear_error():
    from tsinvest.workspace import Workspace

    with Workspace() as workspace, pytest.raises(ParameterError, match="escalations"):
        triage_queue(workspace, as_of=AS_OF)
