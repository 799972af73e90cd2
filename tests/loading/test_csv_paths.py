"""The CSV reader's two paths (bytes straight to pandas, or decoded text) read the same tables."""

from __future__ import annotations

import pandas as pd
import pytest

from tsinvest.loading import load_events, readers

HEADER = "account_id,action,target_id,ts,text\n"
ROWS = [
    '00123,comment,v1,2026-03-02T10:00:00Z,"quoted, with a comma"\n',
    '7276431715937856976,comment,v2,2026-03-02T10:00:01Z,"two\nlines ""and quotes"""\n',
    "\n",  # a blank line is skipped
    "00124,share,v1,2026-03-02T10:00:02Z,ключ 🔥 ünïcödé\n",
    "00125,like,v3,2026-03-02T10:00:03+02:00,\n",
]


def _both_paths(tmp_path, monkeypatch, content: bytes) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    path = tmp_path / "events.csv"
    path.write_bytes(content)
    taken: list[str] = []
    original = readers._regular_bytes

    def spy(data: bytes, sep: str):
        parsed = original(data, sep)
        taken.append("bytes" if parsed is not None else "text")
        return parsed

    monkeypatch.setattr(readers, "_regular_bytes", spy)
    fast = load_events(path)
    monkeypatch.setattr(readers, "_regular_bytes", lambda data, sep: None)
    slow = load_events(path)
    return fast, slow, taken


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_regular_file_is_read_from_bytes_and_equals_the_text_path(tmp_path, monkeypatch, ending):
    content = (HEADER + "".join(ROWS)).replace("\n", ending).encode("utf-8")
    fast, slow, taken = _both_paths(tmp_path, monkeypatch, content)
    assert taken == ["bytes"]
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["account_id"].tolist() == ["00123", "7276431715937856976", "00124", "00125"]
    assert fast["text"].iloc[1] == f'two{ending}lines "and quotes"'
    assert fast["text"].iloc[2] == "ключ 🔥 ünïcödé"


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_file_without_blank_lines_is_read_by_arrow_and_equals_the_text_path(tmp_path, monkeypatch, ending):
    """Quotes, embedded line breaks, formulas, "None"/"NA" and empty cells: Arrow reads what the csv module reads."""
    rows = [row for row in ROWS if row != "\n"] + [
        '00130,comment,v4,2026-03-02T10:00:04Z,"=HYPERLINK(""http://x"",""y"")"\n',
        "00131,comment,v5,2026-03-02T10:00:05Z,None\n",
        '00132,comment,v6,2026-03-02T10:00:06Z,""\n',
        "00133,comment,v7,2026-03-02T10:00:07Z,NA\n",
    ]
    content = (HEADER + "".join(rows)).replace("\n", ending).encode("utf-8")
    used: list[bool] = []
    original = readers._arrow_frame
    monkeypatch.setattr(readers, "_arrow_frame", lambda *args: used.append(True) or original(*args))
    fast, slow, taken = _both_paths(tmp_path, monkeypatch, content)
    assert taken == ["bytes"] and used == [True]
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["text"].tolist()[-4:] == ['=HYPERLINK("http://x","y")', "None", pd.NA, "NA"]  # empty = missing
    assert fast["account_id"].tolist()[-1] == "00133"


@pytest.mark.parametrize(
    "content",
    [
        ("\ufeff" + HEADER + "".join(ROWS)).encode("utf-8"),  # byte-order mark
        (HEADER + "00126,comment,v1,2026-03-02T10:00:00Z,lone\rcarriage return\n").encode("utf-8"),
    ],
    ids=["bom", "lone-cr"],
)
def test_files_that_need_repairs_take_the_text_path(tmp_path, monkeypatch, content):
    fast, slow, taken = _both_paths(tmp_path, monkeypatch, content)
    assert taken == ["text"]
    pd.testing.assert_frame_equal(fast, slow)


@pytest.mark.parametrize(
    "content",
    [
        (HEADER + "00127,comment,v1,2026-03-02T10:00:00Z,ok\nx,y\n").encode("utf-8"),  # ragged row
        (HEADER + "00128,comment,v1,2026-03-02T10:00:00Z,caf").encode("utf-8") + "\u00e9\n".encode("cp1252"),
        (HEADER + "00129,comment,v1,2026-03-02T10:00:00Z,a\x00b\n").encode("utf-8"),  # NUL byte
    ],
    ids=["ragged", "not-utf8", "nul"],
)
def test_files_with_problems_are_left_to_the_text_path(content):
    # The text path reports these row by row (tests/loading/test_errors.py); the bytes path must not read them.
    assert readers._regular_bytes(content, ",") is None
