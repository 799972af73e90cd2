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
    edges = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert out.stat().st_mode & 0o777 == 0o600
    assert edges[["account_a", "account_b", "weight", "evidence"]].values.tolist() == [
        # weight is float64 in every edge table (tsinvest.schemas.EDGES)
        ["0000000000000000001", "0000000000000000002", "2.0", '["007", "008"]']
    ]
    # The timestamp format of every written table (fractions only when a time has them).
    assert edges["first_ts"].tolist() == ["2026-03-02T00:00:00Z"]
    summary = capsys.readouterr().out
    assert "4 events" in summary and "1 edges" in summary and "every target kept (exact)" in summary

    assert main(["coordination", str(events), "--action", "share", "--out", str(out), "--no-progress"]) == 0
    assert pd.read_csv(out, dtype=str).empty  # only one shared target left


def test_error_exits_1_and_leaves_no_output(tmp_path, capsys):
    events = tmp_path / "events.csv"
    write_events(events)
    out = tmp_path / "edges.csv"
    assert main(["coordination", str(events), "--actor", "reporter_id", "--out", str(out)]) == 1
    assert "reporter_id" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [events]


def test_exact_by_default_with_a_guard_naming_the_option(tmp_path, capsys):
    rows = [(f"{a:04d}", "viral", f"2026-03-02T00:00:{a % 60:02d}Z") for a in range(300)]
    rows += [("0001", "v2", "2026-03-02T02:00:00Z"), ("0002", "v2", "2026-03-02T02:00:05Z")]
    events = tmp_path / "events.csv"
    pd.DataFrame(rows, columns=["account_id", "target_id", "ts"]).to_csv(events, index=False)
    out = tmp_path / "edges.csv"
    assert main(["coordination", str(events), "--window", "60", "--out", str(out), "--no-progress",
                 "--min-weight", "1"]) == 0
    assert len(pd.read_csv(out, dtype=str, encoding="utf-8-sig")) == 300 * 299 // 2  # every pair shares "viral"
    assert main(["coordination", str(events), "--window", "60", "--out", str(out), "--no-progress",
                 "--max-windowed-pairs", "1000"]) == 1
    assert "--max-actors-per-window" in capsys.readouterr().err
    assert main(["coordination", str(events), "--window", "60", "--out", str(out), "--no-progress",
                 "--max-actors-per-window", "100", "--min-weight", "1"]) == 0
    assert "1 hot targets left out" in capsys.readouterr().out
    assert pd.read_csv(out, dtype=str, encoding="utf-8-sig")["account_a"].tolist() == ["0001"]


def test_formula_cells_are_neutralised(tmp_path):
    events = tmp_path / "events.csv"
    pd.DataFrame({"account_id": ["=HYPERLINK(1)", "@b"] * 2, "target_id": ["v1", "v1", "v2", "v2"],
                  "ts": ["2026-03-02T00:00:00Z", "2026-03-02T00:00:01Z", "2026-03-02T01:00:00Z",
                         "2026-03-02T01:00:01Z"]}).to_csv(events, index=False)
    out = tmp_path / "edges.csv"
    assert main(["coordination", str(events), "--out", str(out), "--no-progress"]) == 0
    text = out.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK(1)" in text and "'@b" in text
