"""A hand-made desk: eight tickets whose every figure is worked out by hand in the tests.

as_of = 2026-03-10T00:00:00Z (a Tuesday; ISO weeks start on Mondays 03-02 and 03-09).

======  =========  ========  ========  ===========  ===========  ===========  ==========  =====  ==========
ticket  channel    priority  severity  opened       due          resolved     status      reach  at as_of
======  =========  ========  ========  ===========  ===========  ===========  ==========  =====  ==========
A       user       low       low       03-02 00:00  03-09 00:00  03-03 00:00  resolved    9      met (24 h)
B       partner    high      high      03-02 00:00  03-03 00:00  03-05 00:00  resolved    99     late (72 h)
C       regulator  urgent    critical  03-08 00:00  03-08 04:00  -            open        999    44 h overdue
D       user       normal    medium    03-09 00:00  03-12 00:00  -            open        0      due in 48 h
E       internal   normal    (none)    03-09 12:00  03-10 00:00  -            in_progress (none) due now
F       partner    high      high      03-03 00:00  03-04 00:00  (none)       closed      5      closed, time unknown
G       user       low       low       03-11 00:00  03-18 00:00  -            open        5      not yet opened
H       regulator  high      high      03-06 00:00  03-07 00:00  03-12 00:00  resolved    9      open, 72 h overdue
======  =========  ========  ========  ===========  ===========  ===========  ==========  =====  ==========

Enforcements: on B's subject 03-04 00:00 (first action 48 h), on C's 03-08 02:00 (2 h), on A's
03-01 (before opening: ignored), on D's 03-11 (after as_of: ignored).
"""

from __future__ import annotations

import pandas as pd
import pytest

from tsinvest.loading import load_table
from tsinvest.workspace import Workspace

AS_OF = "2026-03-10T00:00:00Z"

ROWS = [
    # ticket, channel, priority, severity, opened, due, resolved, status, reach, subject, policy
    ("ESC-A", "user", "low", "low", "03-02T00:00", "03-09T00:00", "03-03T00:00", "resolved", "9", "00001", "spam"),
    ("ESC-B", "partner", "high", "high", "03-02T00:00", "03-03T00:00", "03-05T00:00", "resolved", "99", "00002", "spam"),  # noqa: E501 (one ticket per row, as in the table above)
    ("ESC-C", "regulator", "urgent", "critical", "03-08T00:00", "03-08T04:00", "", "open", "999", "farm1", "hate_speech"),  # noqa: E501
    ("ESC-D", "user", "normal", "medium", "03-09T00:00", "03-12T00:00", "", "open", "0", "victim", "hate_speech"),
    ("ESC-E", "internal", "normal", "", "03-09T12:00", "03-10T00:00", "", "in_progress", "", "00005", "spam"),
    ("ESC-F", "partner", "high", "high", "03-03T00:00", "03-04T00:00", "", "closed", "5", "00006", "spam"),
    ("ESC-G", "user", "low", "low", "03-11T00:00", "03-18T00:00", "", "open", "5", "00007", "spam"),
    ("ESC-H", "regulator", "high", "high", "03-06T00:00", "03-07T00:00", "03-12T00:00", "resolved", "9", "00008", "spam"),  # noqa: E501
]


def _time(text: str) -> str:
    return f"2026-{text}:00Z" if text else ""


def escalations_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticket_id": [r[0] for r in ROWS],
            "channel": [r[1] for r in ROWS],
            "subject_account_id": [r[9] for r in ROWS],
            "policy": [r[10] for r in ROWS],
            "priority": [r[2] for r in ROWS],
            "opened_at": [_time(r[4]) for r in ROWS],
            "status": [r[7] for r in ROWS],
            "due_at": [_time(r[5]) for r in ROWS],
            "summary": [f"summary of {r[0]}" for r in ROWS],
            "resolved_at": [_time(r[6]) for r in ROWS],
            "assignee": ["agent-01", "agent-02", "", "agent-01", "agent-03", "agent-02", "", "agent-01"],
            "requester": ["", "Harbor Lane Media", "Valoria Authority", "", "Policy QA", "Harbor Lane Media", "",
                          "Valoria Authority"],
            "reach": [r[8] for r in ROWS],
            "severity": [r[3] for r in ROWS],
        }
    )


def enforcements_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "account_id": ["00002", "farm1", "00001", "victim"],
        "action": ["warn", "suspend", "warn", "warn"],
        "policy": ["spam", "hate_speech", "spam", "hate_speech"],
        "ts": ["2026-03-04T00:00:00Z", "2026-03-08T02:00:00Z", "2026-03-01T00:00:00Z", "2026-03-11T00:00:00Z"],
    })


def reports_frame() -> pd.DataFrame:
    # Against "victim": b1 twice and b2 (flagged brigade), o1 and o2 (organic); b2 again after as_of.
    reporters = ["b1", "b1", "b2", "o1", "o2", "b2"]
    times = ["2026-03-08T10:00:00Z"] * 5 + ["2026-03-11T10:00:00Z"]
    return pd.DataFrame({
        "report_id": [str(i) for i in range(len(reporters))],
        "reporter_id": reporters,
        "target_account_id": ["victim"] * len(reporters),
        "policy": ["hate_speech"] * len(reporters),
        "ts": times,
    })


def memberships_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "account_id": ["b1", "b2", "b3", "farm1", "farm2", "00008", "x"],
        "cluster_id": ["rep-1", "rep-1", "rep-1", "farm-1", "farm-1", "amp-9", "amp-9"],
        "kind": ["mass_report", "mass_report", "mass_report", "farm", "farm", "amplification", "amplification"],
        "flagged": [True, True, True, True, True, False, False],
    })


@pytest.fixture()
def desk() -> Workspace:
    workspace = Workspace()
    workspace.register("escalations", load_table(escalations_frame(), "escalations"))
    workspace.register("enforcements", load_table(enforcements_frame(), "enforcements"))
    workspace.register("reports", load_table(reports_frame(), "reports"))
    yield workspace
    workspace.close()


@pytest.fixture()
def desk_dir(tmp_path):
    """The same desk as CSV files in a folder (for the CLI), plus a hostile summary."""
    folder = tmp_path / "desk"
    folder.mkdir()
    frame = escalations_frame()
    frame.loc[frame["ticket_id"] == "ESC-C", "summary"] = '=HYPERLINK("http://x","y")\nsecond line'
    frame.to_csv(folder / "escalations.csv", index=False)
    enforcements_frame().to_csv(folder / "enforcements.csv", index=False)
    return folder
