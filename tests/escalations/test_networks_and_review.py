"""Tickets touching flagged networks, and the desk review's findings, on the hand-made desk."""

from __future__ import annotations

import pandas as pd
import pytest

from tsinvest.escalations import ticket_networks
from tsinvest.escalations.review import desk_review
from tsinvest.exceptions import ParameterError

from .conftest import AS_OF, memberships_frame


def test_member_and_victim(desk):
    networks = ticket_networks(desk, memberships_frame(), as_of=AS_OF)
    # C's subject is in the flagged farm; D's subject got 3 of its 5 reports (up to as_of) from 2 flagged
    # brigade members; H's subject is only in an unflagged cluster.
    assert networks["ticket_id"].tolist() == ["ESC-C", "ESC-D"]
    rows = {row["ticket_id"]: row for row in networks.to_dict("records")}
    assert rows["ESC-C"]["role"] == "member" and rows["ESC-C"]["cluster_ids"] == "farm-1"
    assert rows["ESC-C"]["overdue"]
    assert "account farm" in rows["ESC-C"]["finding"]
    victim = rows["ESC-D"]
    assert victim["role"] == "victim"
    assert (victim["reports_received"], victim["reports_from_flagged"], victim["flagged_reporters"]) == (5, 3, 2)
    assert victim["flagged_share"] == 0.6
    assert victim["finding"] == "3 of 5 reports against the subject (60%) came from 2 flagged brigade reporter(s)"


def test_minority_brigade_is_still_reported():
    """A popular victim: 85 brigade reports among 193 (44%) is a finding, not noise."""
    from tsinvest.loading import load_table
    from tsinvest.workspace import Workspace

    reporters = [f"b{i % 20}" for i in range(85)] + [f"o{i}" for i in range(108)]
    reports = pd.DataFrame({"report_id": [str(i) for i in range(193)], "reporter_id": reporters,
                            "target_account_id": ["star"] * 193, "policy": ["spam"] * 193,
                            "ts": ["2026-03-05T10:00:00Z"] * 193})
    tickets = pd.DataFrame({"ticket_id": ["ESC-1"], "channel": ["partner"], "subject_account_id": ["star"],
                            "policy": ["spam"], "priority": ["high"], "opened_at": ["2026-03-05T12:00:00Z"],
                            "status": ["open"]})
    members = pd.DataFrame({"account_id": [f"b{i}" for i in range(20)], "cluster_id": ["rep-7"] * 20,
                            "kind": ["mass_report"] * 20, "flagged": [True] * 20})
    with Workspace() as workspace:
        workspace.register("escalations", load_table(tickets, "escalations"))
        workspace.register("reports", load_table(reports, "reports"))
        (row,) = ticket_networks(workspace, members, as_of="2026-03-06T00:00:00Z").to_dict("records")
    assert (row["reports_from_flagged"], row["reports_received"], row["flagged_reporters"]) == (85, 193, 20)
    assert row["flagged_share"] == round(85 / 193, 3)


def test_all_tickets_and_no_memberships(desk):
    everything = ticket_networks(desk, memberships_frame(), as_of=AS_OF, open_only=False)
    assert everything["ticket_id"].tolist() == ["ESC-C", "ESC-D"]  # closed tickets touch no network here
    empty = ticket_networks(desk, None, as_of=AS_OF)
    assert empty.empty and "finding" in empty.columns
    with pytest.raises(ParameterError, match="memberships lacks"):
        ticket_networks(desk, pd.DataFrame({"account_id": ["x"]}), as_of=AS_OF)


def test_review_findings_lead_with_the_verdict(desk):
    review = desk_review(desk, as_of=AS_OF, memberships=memberships_frame())
    findings = review.findings()
    assert findings[0] == "4 ticket(s) open at 2026-03-10 00:00 UTC; 2 past due (50%)."
    assert findings[1] == "Most overdue: ESC-H (regulator, spam, high), 72 h past due."
    assert findings[2].startswith("Work first: ESC-C (regulator, critical, 44 h overdue); ESC-H")
    assert "ESC-E (internal, medium, due in 0 h)" in findings[2]
    assert findings[3] == "1 open ticket(s) have no assignee."
    assert findings[4].startswith("2 open ticket(s) touch a flagged network: ESC-C: subject is flagged")
    assert findings[5].startswith("SLA met on 1 of 4 tickets decided by as_of (25%")
    assert findings[5].endswith("lowest channel: partner (0 of 1).")
    assert findings[6] == "Median time to first action 24.0 h, to resolution 48.0 h (90th percentile 67.2 h)."
    assert review.overdue["ticket_id"].tolist() == ["ESC-H", "ESC-C"]
    assert repr(review).splitlines()[1] == "- " + findings[0]


def test_review_html_escapes_hostile_ids(desk):
    desk.connection.execute("CREATE TABLE hostile AS SELECT * FROM escalations")
    desk.connection.execute(
        "UPDATE hostile SET ticket_id = '<script>alert(1)</script>\u202e' WHERE ticket_id = 'ESC-C'"
    )
    desk.register("escalations", desk.sql("SELECT * FROM hostile"))
    markup = desk_review(desk, as_of=AS_OF)._repr_html_()
    assert "<script>" not in markup and "&lt;script&gt;" in markup and "\u202e" not in markup
    assert "Networks not checked" in markup


def test_review_plots_have_integer_count_axes_and_every_day(desk):
    from matplotlib.ticker import MaxNLocator

    review = desk_review(desk, as_of=AS_OF)
    backlog = review.plot_backlog()
    assert isinstance(backlog.axes[0].yaxis.get_major_locator(), MaxNLocator)
    assert all(float(tick).is_integer() for tick in backlog.axes[0].get_yticks())
    assert len(backlog.axes[0].lines[0].get_xdata()) == 8  # every midnight from 03-03 to 03-10
    weekly = review.plot_weekly()
    assert all(float(tick).is_integer() for tick in weekly.axes[0].get_yticks())
    resolution = review.plot_resolution()
    labels = [label.get_text() for label in resolution.axes[0].get_yticklabels()]
    # Every channel is drawn, even those with no resolved ticket.
    assert labels == ["internal (n=0)", "partner (n=1)", "regulator (n=0)", "user (n=1)"]


def test_ban_evasion_suspect(desk):
    # Same-operator pairs: E's subject 00005 is the new account of enforced "old1" (flagged), and of
    # "old2" in a pair below the ban-evasion rule (not flagged, ignored).
    pairs = pd.DataFrame({"account_a": ["00005", "00005"], "account_b": ["old1", "old2"],
                          "ban_evasion_candidate": [True, False],
                          "enforced_account": ["old1", None], "new_account": ["00005", None]})
    networks = ticket_networks(desk, memberships_frame(), as_of=AS_OF, ban_evasion=pairs)
    rows = {row["ticket_id"]: row for row in networks.to_dict("records")}
    assert sorted(rows) == ["ESC-C", "ESC-D", "ESC-E"]
    assert rows["ESC-E"]["role"] == "ban-evasion suspect" and rows["ESC-E"]["evaded_accounts"] == "old1"
    assert "ban evasion" in rows["ESC-E"]["finding"]
    assert pd.isna(rows["ESC-C"]["evaded_accounts"])
    only_pairs = ticket_networks(desk, None, as_of=AS_OF, ban_evasion=pairs)
    assert only_pairs["ticket_id"].tolist() == ["ESC-E"]
    review = desk_review(desk, as_of=AS_OF, memberships=memberships_frame(), ban_evasion=pairs)
    assert review.findings()[4].startswith("3 open ticket(s) touch a flagged network")
    with pytest.raises(ParameterError, match="ban_evasion lacks"):
        ticket_networks(desk, None, as_of=AS_OF, ban_evasion=pd.DataFrame({"new_account": ["x"]}))
