"""`tsinvest validate`: exit codes and output for files, folders, options."""

from __future__ import annotations

from tsinvest.cli import main

TS = "2026-03-02T10:00:00Z"


def test_valid_folder_prints_one_line_per_table(tmp_path, capsys):
    (tmp_path / "logins.csv").write_text(f"account_id,ts\n00123,{TS}\n1,{TS}\n", encoding="utf-8")
    (tmp_path / "events.jsonl").write_text(
        f'{{"account_id": 1, "action": "like", "target_id": 2, "ts": "{TS}"}}\n', encoding="utf-8"
    )
    assert main(["validate", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert "'events' valid, 1 rows, 4 columns" in lines[0]
    assert "'logins' valid, 2 rows, 2 columns" in lines[1]


def test_invalid_file_lists_every_problem_and_exits_1(tmp_path, capsys):
    path = tmp_path / "accounts.csv"
    path.write_text(
        "account_id,created_at,username,follower_count\n"
        f"7276431715937856976,{TS},a,-1\n7276431715937856976,2026-03-02 10:00,b,x\n",
        encoding="utf-8",
    )
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "accounts.csv" in out
    for text in ("duplicate primary id", "naive", "negative count", "not a whole number", "rows 1, 2"):
        assert text in out
    assert "7276431715937856976" not in out
    assert "Traceback" not in out


def test_folder_with_one_bad_table_still_reports_the_good_one(tmp_path, capsys):
    (tmp_path / "logins.csv").write_text(f"account_id,ts\n1,{TS}\n", encoding="utf-8")
    (tmp_path / "reports.csv").write_text("report_id\nr1\n", encoding="utf-8")
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "'logins' valid" in out and "required column is missing" in out and "1 table(s) failed" in out


def test_options_table_timezone_epoch_and_mapping(tmp_path, capsys):
    path = tmp_path / "export.csv"
    path.write_text("uid,when\n00123,2026-03-02 11:00:00\n", encoding="utf-8")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("uid: account_id\nwhen: ts\n", encoding="utf-8")
    assert main(["validate", str(path), "--table", "logins", "--mapping", str(mapping)]) == 1
    assert "timezone=" in capsys.readouterr().out
    args = ["validate", str(path), "--table", "logins", "--mapping", str(mapping), "--timezone", "Europe/Berlin"]
    assert main(args) == 0
    epoch = tmp_path / "logins.csv"
    epoch.write_text("account_id,ts\n1,1772445600000\n", encoding="utf-8")
    assert main(["validate", str(epoch), "--epoch-unit", "ms"]) == 0


def test_unknown_file_name_needs_table(tmp_path, capsys):
    path = tmp_path / "export.csv"
    path.write_text(f"account_id,ts\n1,{TS}\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    assert "--table" in capsys.readouterr().err


def test_empty_folder_and_missing_path(tmp_path, capsys):
    assert main(["validate", str(tmp_path)]) == 1
    assert "no table files" in capsys.readouterr().err
    assert main(["validate", str(tmp_path / "nope.csv")]) == 1
    assert "does not exist" in capsys.readouterr().err
