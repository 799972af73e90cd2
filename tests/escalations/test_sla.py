"""SLA figures on the hand-made desk; every expected number is worked out in the comments."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tsinvest.escalations import backlog_series, sla_figures, ticket_times
from tsinvest.escalations.sla import SLA_COLUMNS
from tsinvest.exceptions import ParameterError

from .conftest import AS_OF

NAN = math.nan


def _rows(frame: pd.DataFrame, key: str) -> dict:
    return {row[key]: row for row in frame.to_dict("records")}


def _same(actual: dict, expected: dict) -> None:
    for column, value in expected.items():
        got = actual[column]
        if isinstance(value, float) and math.isnan(value):
            assert pd.isna(got), column
        else:
            assert got == pytest.approx(value), column


def test_per_channel(desk):
    figures = sla_figures(desk, as_of=AS_OF, by="channel")
    assert figures["channel"].tolist() == ["internal", "partner", "regulator", "user"]
    assert list(figures.columns) == ["channel", *SLA_COLUMNS]
    rows = _rows(figures, "channel")
    # internal: E open 12 h, not yet due, no action yet.
    _same(rows["internal"], dict(opened=1, resolved=0, open=1, overdue=0, closed_unknown_time=0,
                                 backlog_median_age_h=12.0, backlog_max_age_h=12.0, first_action_median_h=NAN,
                                 resolution_median_h=NAN, resolution_p90_h=NAN, sla_met=0, sla_decided=0,
                                 sla_met_rate=NAN))
    # partner: B resolved late after 72 h, first acted on at 48 h (enforcement); F closed at an unknown time.
    _same(rows["partner"], dict(opened=2, resolved=1, open=0, overdue=0, closed_unknown_time=1,
                                backlog_median_age_h=NAN, first_action_median_h=48.0, resolution_median_h=72.0,
                                resolution_p90_h=72.0, sla_met=0, sla_decided=1, sla_met_rate=0.0))
    # regulator: C (48 h old, acted on at 2 h) and H (96 h old, resolved only after as_of): both open and overdue.
    _same(rows["regulator"], dict(opened=2, resolved=0, open=2, overdue=2, backlog_median_age_h=72.0,
                                  backlog_max_age_h=96.0, first_action_median_h=2.0, resolution_median_h=NAN,
                                  sla_met=0, sla_decided=2, sla_met_rate=0.0))
    # user: A resolved in 24 h within its SLA (its enforcement predates the ticket); D open 24 h, not due.
    _same(rows["user"], dict(opened=2, resolved=1, open=1, overdue=0, backlog_median_age_h=24.0,
                             first_action_median_h=24.0, resolution_median_h=24.0, sla_met=1, sla_decided=1,
                             sla_met_rate=1.0))


def test_overall(desk):
    (row,) = sla_figures(desk, as_of=AS_OF, by="all").to_dict("records")
    # Ages of open tickets 12, 24, 48, 96 -> median 36; first actions 24 (A), 48 (B), 2 (C) -> median 24;
    # resolutions 24 (A), 72 (B) -> median 48, p90 = 24 + 0.9 x 48 = 67.2; met 1 (A) of decided A, B, C, H.
    _same(row, dict(opened=7, resolved=2, open=4, overdue=2, closed_unknown_time=1, backlog_median_age_h=36.0,
                    backlog_max_age_h=96.0, first_action_median_h=24.0, resolution_median_h=48.0,
                    resolution_p90_h=67.2, sla_met=1, sla_decided=4, sla_met_rate=0.25))


def test_per_policy(desk):
    rows = _rows(sla_figures(desk, as_of=AS_OF, by="policy"), "policy")
    # hate_speech: C and D open; spam: A, B, E, F, H.
    assert (rows["hate_speech"]["opened"], rows["hate_speech"]["open"], rows["hate_speech"]["overdue"]) == (2, 2, 1)
    assert (rows["spam"]["opened"], rows["spam"]["resolved"], rows["spam"]["sla_met"], rows["spam"]["sla_decided"]) \
        == (5, 2, 1, 3)


def test_per_week_keeps_empty_weeks(desk):
    weekly = sla_figures(desk, as_of=AS_OF, by="week", start="2026-02-23T00:00:00Z")
    weeks = weekly["week"].dt.strftime("%Y-%m-%d").tolist()
    assert weeks == ["2026-02-23", "2026-03-02", "2026-03-09"]
    # Week of 02-23: no ticket, zeros. Week of 03-02: A, B, F, H and C (Sunday 03-08). Week of 03-09: D, E.
    assert weekly["opened"].tolist() == [0, 5, 2]
    assert weekly["open"].tolist() == [0, 2, 2]
    assert weekly["overdue"].tolist() == [0, 2, 0]
    assert pd.isna(weekly["sla_met_rate"].iloc[0]) and pd.isna(weekly["sla_met_rate"].iloc[2])
    assert weekly["sla_met_rate"].iloc[1] == 0.25


def test_ticket_times(desk):
    times = ticket_times(desk, as_of=AS_OF).set_index("ticket_id")
    assert sorted(times.index) == ["ESC-A", "ESC-B", "ESC-C", "ESC-D", "ESC-E", "ESC-F", "ESC-H"]
    assert times.loc["ESC-B", "first_action_hours"] == 48.0 and times.loc["ESC-B", "resolution_hours"] == 72.0
    assert times.loc["ESC-C", "first_action_hours"] == 2.0 and pd.isna(times.loc["ESC-C", "resolution_hours"])
    assert pd.isna(times.loc["ESC-H", "resolved_at"])  # resolved only after as_of
    assert times.loc["ESC-A", "sla_met"] == True and times.loc["ESC-B", "sla_met"] == False  # noqa: E712
    assert pd.isna(times.loc["ESC-D", "sla_met"]) and pd.isna(times.loc["ESC-F", "sla_met"])


def test_backlog_series(desk):
    backlog = backlog_series(desk, as_of=AS_OF)
    assert backlog["snapshot"].dt.strftime("%m-%d").tolist() == [
        "03-03", "03-04", "03-05", "03-06", "03-07", "03-08", "03-09", "03-10"]
    # A, B open on 03-02; A resolved 03-03 00:00 and B overdue from 03-03 00:00 (counted at the next
    # midnight: a snapshot counts what happened strictly before it); B resolved 03-05; H opened 03-06,
    # overdue 03-07; C opened 03-08 and overdue 03-08 04:00; D, E opened 03-09. F (no resolution time) is left out.
    assert backlog["open"].tolist() == [2, 1, 1, 0, 1, 1, 2, 4]
    assert backlog["overdue"].tolist() == [0, 1, 1, 0, 0, 1, 2, 2]
    assert backlog["opened"].tolist() == [2, 0, 0, 0, 1, 0, 1, 2]
    assert backlog["resolved"].tolist() == [0, 1, 0, 1, 0, 0, 0, 0]
    # The last snapshot is the queue at as_of.
    assert (backlog["open"].iloc[-1], backlog["overdue"].iloc[-1]) == (4, 2)


def test_backlog_from_a_later_start_carries_the_earlier_state(desk):
    backlog = backlog_series(desk, as_of=AS_OF, start="2026-03-08T00:00:00Z")
    assert backlog["open"].tolist() == [1, 2, 4]
    assert backlog["overdue"].tolist() == [1, 2, 2]


def test_unknown_grouping(desk):
    with pytest.raises(ParameterError, match="by must be"):
        sla_figures(desk, as_of=AS_OF, by="country")


def test_statuses_are_configurable(desk):
    # If "resolved" does not close a ticket, nothing changes for tickets with resolved_at; F stays closed.
    figures = sla_figures(desk, as_of=AS_OF, by="all", closed_statuses=["closed", "done"])
    assert figures["open"].iloc[0] == 4
    with pytest.raises(ParameterError, match="closed_statuses"):
        sla_figures(desk, as_of=AS_OF, closed_statuses="closed")
