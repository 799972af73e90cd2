"""The bundled sample's tickets read like their channel and carry consistent desk columns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tsinvest.loading import load_table
from tsinvest.schemas import ESCALATION_SEVERITIES

SAMPLE = Path(__file__).resolve().parents[2] / "data_samples" / "escalations.csv"


def test_sample_tickets_are_consistent_with_their_channel():
    tickets = load_table(SAMPLE, "escalations")
    opening = {"regulator": ("Regulator",), "partner": ("Partner",), "internal": ("Internal",),
               "user": ("User", "Creator")}
    for channel, starts in opening.items():
        summaries = tickets.loc[tickets["channel"] == channel, "summary"]
        assert len(summaries) and summaries.str.startswith(starts).all(), channel
    # Requesters: a name for partners, regulators and internal teams, none for users.
    assert tickets.loc[tickets["channel"] == "user", "requester"].isna().all()
    assert tickets.loc[tickets["channel"] != "user", "requester"].notna().all()
    assert set(tickets["severity"]) <= set(ESCALATION_SEVERITIES)
    assert tickets["reach"].notna().all() and (tickets["reach"] > 0).all()


def test_sample_resolution_times():
    tickets = load_table(SAMPLE, "escalations")
    done = tickets["status"].isin(["resolved", "closed"])
    assert tickets.loc[done, "resolved_at"].notna().all()
    assert (tickets.loc[done, "resolved_at"] > tickets.loc[done, "opened_at"]).all()
    assert tickets.loc[~done, "resolved_at"].isna().all() and (~done).sum() > 0
    assert (tickets.loc[done, "resolved_at"] < pd.Timestamp("2026-03-30", tz="UTC")).all()
    # Some resolved in time, some late: the SLA-met rate has something to measure.
    in_time = tickets.loc[done, "resolved_at"] <= tickets.loc[done, "due_at"]
    assert 0 < in_time.sum() < done.sum()
    # Only open tickets may be unassigned.
    assert tickets.loc[tickets["assignee"].isna(), "status"].eq("open").all()
