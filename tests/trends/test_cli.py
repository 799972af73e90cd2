"""tsinvest trends / tsinvest emerging on small files: columns, sorting, errors, atomic outputs."""

import pandas as pd

from tsinvest.cli import main
from tsinvest.commands.trends import OUTPUT_COLUMNS


def _write_reports(folder):
    rows = []
    for day in range(21):
        for i in range(10 + (40 if day == 15 else 0)):
            rows.append((f"{day:03d}{i:016d}", f"0{i:018d}", "0000000000000000042",
                         "spam" if i % 2 else "hate", f"2026-03-{2 + day:02d}T{i % 24:02d}:00:00Z"))
    path = folder / "reports.csv"
    columns = ["report_id", "reporter_id", "target_account_id", "policy", "ts"]
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False)
    return path


def test_trends_writes_sorted_spikes(tmp_path, capsys):
    out = tmp_path / "spikes.csv"
    assert main(["trends", str(_write_reports(tmp_path)), "--by", "policy", "--out", str(out)]) == 0
    spikes = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert tuple(spikes.columns) == OUTPUT_COLUMNS
    assert spikes["key"].unique().tolist() == ["policy=hate", "policy=spam"]
    assert spikes["period_start"].iloc[0] == "2026-03-02T00:00:00Z"
    flagged = spikes[spikes["flagged"] == "True"]
    assert flagged[["key", "period_start"]].values.tolist() == [
        ["policy=hate", "2026-03-17T00:00:00Z"], ["policy=spam", "2026-03-17T00:00:00Z"]]
    assert set(spikes["baseline"]) == {"seasonal:weekday"}
    assert "2 flagged period(s)" in capsys.readouterr().out
    # same input, same bytes
    again = tmp_path / "again.csv"
    main(["trends", str(tmp_path / "reports.csv"), "--by", "policy", "--out", str(again)])
    assert again.read_bytes() == out.read_bytes()


def test_trends_hourly_and_weekly_and_flagged_only(tmp_path):
    path = _write_reports(tmp_path)
    hourly = tmp_path / "h.csv"
    assert main(["trends", str(path), "--freq", "H", "--out", str(hourly)]) == 0
    frame = pd.read_csv(hourly, encoding="utf-8-sig")
    assert len(frame) == 20 * 24 + 10 and set(frame["key"]) == {"all"}
    weekly = tmp_path / "w.csv"
    assert main(["trends", str(path), "--freq", "W", "--flagged-only", "--out", str(weekly)]) == 0
    weeks = pd.read_csv(weekly, encoding="utf-8-sig")
    # 110 reports against 70 in the weeks either side: only that week is written
    assert weeks[["period_start", "count", "expected", "baseline"]].values.tolist() == [
        ["2026-03-16T00:00:00Z", 110, 70.0, "rolling_median:no_season"]]


def test_trends_error_leaves_no_output(tmp_path, capsys):
    out = tmp_path / "spikes.csv"
    assert main(["trends", str(_write_reports(tmp_path)), "--by", "country", "--out", str(out)]) == 1
    assert "'country'" in capsys.readouterr().err
    assert not out.exists() and list(tmp_path.iterdir()) == [tmp_path / "reports.csv"]
    assert main(["trends", str(tmp_path / "notes.csv"), "--out", str(out)]) == 1


def test_emerging_cli(tmp_path):
    rows = [(f"{i:019d}", "#dance #food", f"2026-03-0{2 + i % 5}T10:00:00Z") for i in range(40)]
    rows += [(f"{i:019d}", "#Blackout!", f"2026-03-1{i % 5}T10:00:00Z") for i in range(12)]
    rows += [(f"{i:019d}", "#dance", f"2026-03-1{i % 5}T11:00:00Z") for i in range(12)]
    frame = pd.DataFrame(rows, columns=["account_id", "text", "ts"])
    frame.insert(1, "action", "post")
    frame.insert(2, "target_id", "1")
    path = tmp_path / "events.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "terms.csv"
    code = main(["emerging", str(path), "--text-col", "text", "--target", "2026-03-10/2026-03-15",
                 "--reference", "2026-03-02/2026-03-10", "--out", str(out)])
    assert code == 0
    terms = pd.read_csv(out, encoding="utf-8-sig")
    assert terms["term"].tolist() == ["#blackout", "#dance"]
    assert terms["is_new"].tolist() == [True, False]
    assert main(["emerging", str(path), "--target", "2026-03-10", "--reference", "2026-03-02/2026-03-10",
                 "--out", str(tmp_path / "bad.csv")]) == 1
    assert not (tmp_path / "bad.csv").exists()
