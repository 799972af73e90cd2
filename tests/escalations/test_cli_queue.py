"""``tsinvest queue`` on the hand-made desk written as CSV files."""

from __future__ import annotations

import csv

from tsinvest.cli import main

from .conftest import AS_OF


def test_prints_the_top_and_writes_a_safe_csv(desk_dir, tmp_path, capsys):
    out = tmp_path / "queue.csv"
    code = main(["queue", str(desk_dir), "--as-of", AS_OF, "--top", "2", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0
    *lines, summary = captured.out.splitlines()
    assert lines[0].split()[:3] == ["rank", "ticket_id", "channel"]
    assert [line.split()[1] for line in lines[1:]] == ["ESC-C", "ESC-H"]
    assert "second line" not in lines[2]  # the newline in C's summary did not split the row
    # The summary is the last line on stdout, as with every command.
    assert summary.startswith("tsinvest queue: 4 open ticket(s) at 2026-03-10T00:00:00Z, 2 overdue")
    assert captured.err == ""
    with open(out, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["ticket_id"] for row in rows] == ["ESC-C", "ESC-H", "ESC-E", "ESC-D"]
    assert rows[0]["summary"].startswith("'=HYPERLINK")  # neutralised for spreadsheets
    assert rows[0]["priority_score"] == "125.333" and rows[0]["overdue"] == "True"


def test_writes_excel(desk_dir, tmp_path, capsys):
    from openpyxl import load_workbook

    out = tmp_path / "queue.xlsx"
    assert main(["queue", str(desk_dir), "--as-of", AS_OF, "--top", "0", "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("tsinvest queue: 4 open ticket(s)")  # the summary only
    sheet = load_workbook(out)["queue"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1][1] == "ESC-C" and values[1][-1].startswith("'=HYPERLINK")
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_default_as_of_is_the_latest_ticket_time_not_the_clock(desk_dir, capsys):
    assert main(["queue", str(desk_dir)]) == 0
    # Latest opened/resolved time in the table: H resolved 2026-03-12T00:00:00Z.
    assert "at 2026-03-12T00:00:00Z" in capsys.readouterr().out


def test_errors_are_one_line_with_exit_1(desk_dir, tmp_path, capsys):
    assert main(["queue", str(desk_dir), "--as-of", "next tuesday"]) == 1
    assert "as_of is not a date or time" in capsys.readouterr().err
    assert main(["queue", str(desk_dir), "--out", str(tmp_path / "queue.txt")]) == 1
    assert ".csv or .xlsx" in capsys.readouterr().err
    assert main(["queue", str(tmp_path / "missing")]) == 1
    assert "not a folder" in capsys.readouterr().err
    assert not (tmp_path / "queue.txt").exists()
