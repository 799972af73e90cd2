"""Tests of the ``tsinvest coordination`` command."""

from __future__ import annotations

import pandas as pd

from tsinvest.cli import main


def write_events(path):
    pd.DataFrame(
        {
            "account_id": ["0000000000000000001", "0000000000000000002", "0000000000000000001", "0000000000000000002"],
            "action": ["share", "share", "share", "like"],
            "target_id": ["007", "007", "008", "008"],
            "ts": ["2026-03-02T00:00:00Z", "2026-03-02T00:00:30Z", "2026-03-02T01:00:00Z", "2026-03-02T01:00:59Z"],
        }
    ).to_csv(path, index=False)


def test_writes_edges_and_prints_a_summary(tmp_path, capsys):
    events = tmp_path / "events.csv"
    write_events(events)
    out = tmp_path / "out" / "edges.csv"
    assert main(["coordination", str(events), "--window", "60", "--out", str(out), "--no-progress"]) == 0
    edges = pd.read_csv(out, dtype=str)
    assert edges[["account_a", "account_b", "weight", "evidence"]].values.tolist() == [
        ["0000000000000000001", "0000000000000000002", "2", '["007", "008"]']
    ]
    assert edges["first_ts"].tolist() == ["2026-03-02T00:00:00.000000Z"]
    summary = capsys.readouterr().out
    assert "4 events" in summary and "1 edges" in summary and "0 hot targets excluded" in summary

    assert main(["coordination", str(events), "--action", "share", "--out", str(out), "--no-progress"]) == 0
    assert pd.read_csv(out, dtype=str).empty  # only one shared target left


def test_error_exits_1_and_leaves_no_output(tmp_path, capsys):
    events = tmp_path / "events.csv"
    write_events(events)
    out = tmp_path / "edges.csv"
    assert main(["coordination", str(events), "--actor", "reporter_id", "--out", str(out)]) == 1
    assert "reporter_id" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [events]
