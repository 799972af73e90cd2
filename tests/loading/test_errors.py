"""Every kind of bad input gives one SchemaValidationError listing all problems, without values."""

from __future__ import annotations

import pandas as pd
import pytest

from tsinvest.exceptions import ParameterError, SchemaValidationError, UnknownTableError
from tsinvest.loading import load_accounts, load_escalations, load_events, load_logins, load_table

SECRET = "7276431715937856976"


def _problems(call):
    with pytest.raises(SchemaValidationError) as caught:
        call()
    error = caught.value
    assert SECRET not in str(error)
    return error, {(p.column, p.reason.split(";")[0].split(" (")[0]): p for p in error.problems}


def _write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def test_all_missing_columns_at_once_with_suggestions(tmp_path):
    path = _write(tmp_path, "events.csv", f"acount_id,actoin,event_ts\n{SECRET},like,2026-03-02T10:00:00Z\n")
    error, problems = _problems(lambda: load_events(path))
    missing = {column for column, reason in problems if reason.startswith("required column is missing")}
    assert missing == {"account_id", "action", "target_id", "ts"}
    assert "'acount_id'" in problems[("account_id", "required column is missing")].reason
    assert "'event_ts'" in problems[("ts", "required column is missing")].reason
    assert error.source == str(path) and error.table == "events"


def test_missing_columns_raise_even_in_quarantine_mode(tmp_path):
    path = _write(tmp_path, "logins.csv", "account_id\n1\n")
    with pytest.raises(SchemaValidationError, match="required column is missing"):
        load_logins(path, on_error="quarantine")
    assert not (tmp_path / "logins.csv.rejected.csv").exists()


def test_row_level_problems_all_listed(tmp_path):
    path = _write(
        tmp_path,
        "accounts.csv",
        "account_id,created_at,username,follower_count\n"
        f"{SECRET},2026-03-02T10:00:00Z,a,10\n"
        f"{SECRET},2026-03-02T10:00:00Z,b,-4\n"
        ",2026-03-02T10:00:00Z,c,1.5\n"
        "3,,,many\n",
    )
    _, problems = _problems(lambda: load_accounts(path))
    assert problems[("account_id", "duplicate primary id")].rows == (1, 2)
    assert problems[("account_id", "primary id is missing")].rows == (3,)
    assert problems[("created_at", "required value is missing")].rows == (4,)
    assert problems[("username", "required value is missing")].rows == (4,)
    assert problems[("follower_count", "negative count")].rows == (2,)
    assert problems[("follower_count", "not a whole number")].rows == (3, 4)


def test_channel_outside_allowed_set(tmp_path):
    frame = pd.DataFrame({
        "ticket_id": ["t1", "t2", "t3"], "channel": ["user", "twitter", "User"], "subject_account_id": ["1", "2", "3"],
        "policy": ["spam"] * 3, "priority": ["P1"] * 3, "opened_at": ["2026-03-02T10:00:00Z"] * 3, "status": ["open"] * 3,
    })
    error, problems = _problems(lambda: load_escalations(frame))
    problem = problems[("channel", "value not in the allowed set")]
    assert problem.rows == (2, 3) and "user, partner, regulator, internal" in problem.reason
    assert "twitter" not in str(error)


@pytest.mark.parametrize("content", [b"", b"\n\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path, content):
    path = _write(tmp_path, "logins.csv", content)
    _, problems = _problems(lambda: load_logins(path))
    assert (None, "file is empty: no header row and no data") in problems


def test_header_only_file_loads_zero_rows(tmp_path):
    frame = load_logins(_write(tmp_path, "logins.csv", "account_id,ts\n"))
    assert len(frame) == 0 and str(frame["ts"].dtype) == "datetime64[ns, UTC]"


def test_latin1_file_reports_offset_rows_and_encoding(tmp_path):
    path = _write(tmp_path, "logins.csv", "account_id,ts,user_agent\n1,2026-03-02T10:00:00Z,ok\n2,2026-03-02T10:00:00Z,Müller\n3,2026-03-02T10:00:00Z,é\n", "latin-1")
    error, _ = _problems(lambda: load_logins(path))
    (problem,) = error.problems
    assert problem.rows == (2, 3) and problem.count == 2
    assert "byte offset 75" in problem.reason and "Windows-1252" in problem.reason
    assert "Müller".encode("latin-1").decode("latin-1") not in str(error)


def test_utf8_bom_is_stripped(tmp_path):
    path = _write(tmp_path, "logins.csv", "\ufeffaccount_id,ts\n00123,2026-03-02T10:00:00Z\n")
    assert load_logins(path).columns[0] == "account_id"


def test_utf16_is_reported(tmp_path):
    path = _write(tmp_path, "logins.csv", "account_id,ts\n1,2026-03-02T10:00:00Z\n", "utf-16")
    with pytest.raises(SchemaValidationError, match="UTF-16"):
        load_logins(path)


def test_duplicate_header_names(tmp_path):
    path = _write(tmp_path, "logins.csv", "account_id,ts,account_id\n1,2026-03-02T10:00:00Z,2\n")
    _, problems = _problems(lambda: load_logins(path, on_error="quarantine"))
    assert ("account_id", "column name appears 2 times in the header") in problems


def test_mapping_onto_an_existing_name_is_a_duplicate(tmp_path):
    path = _write(tmp_path, "logins.csv", "account_id,uid,ts\n1,2,2026-03-02T10:00:00Z\n")
    with pytest.raises(SchemaValidationError, match="after mapping 'uid'"):
        load_logins(path, mapping={"uid": "account_id"})


def test_ragged_rows_listed_by_row(tmp_path):
    path = _write(tmp_path, "logins.csv", "account_id,ts\n1,2026-03-02T10:00:00Z\n2\n3,2026-03-02T10:00:00Z,extra\n4,2026-03-02T10:00:00Z\n")
    _, problems = _problems(lambda: load_logins(path))
    assert problems[(None, "wrong number of fields for the header: a stray delimiter or quote, or a cut-off line")].rows == (2, 3)


def test_truncated_file_inside_quotes(tmp_path):
    path = _write(tmp_path, "logins.csv", 'account_id,ts,user_agent\n1,2026-03-02T10:00:00Z,ok\n2,2026-03-02T10:00:00Z,"cut off\n3,2026')
    _, problems = _problems(lambda: load_logins(path))
    truncated = [p for (column, reason), p in problems.items() if "truncated" in reason]
    assert truncated and truncated[0].rows == (2,)


def test_nul_bytes_in_free_text_are_made_visible_and_reported(tmp_path):
    from tsinvest.loading import ValuesCleanedWarning, load_report

    path = _write(tmp_path, "logins.csv", 'account_id,ts,user_agent\n1,2026-03-02T10:00:00Z,"a\x00b\x07"\n2,2026-03-02T10:00:00Z,ok\n')
    with pytest.warns(ValuesCleanedWarning, match=r"logins.csv: column 'user_agent': 1 value held NUL") as caught:
        frame = load_logins(path)
    assert frame["user_agent"].tolist() == ["a\u2400b\u2407", "ok"]
    assert "a\x00b" not in str(caught[0].message)
    assert load_report(frame).notices == (
        "column 'user_agent': 1 value held NUL or other control characters: each was replaced by its visible "
        "symbol (NUL as U+2400) and the rows were kept",
    )


def test_nul_bytes_in_ids_reject_the_row(tmp_path):
    path = _write(tmp_path, "logins.csv", 'account_id,ts\n"1\x002",2026-03-02T10:00:00Z\n3,2026-03-02T10:00:00Z\n')
    _, problems = _problems(lambda: load_logins(path))
    assert problems[("account_id", "id contains a NUL byte or another control character")].rows == (1,)


def test_blank_lines_are_skipped_but_counted(tmp_path):
    path = _write(tmp_path, "logins.csv", "account_id,ts\n1,2026-03-02T10:00:00Z\n\n3,bad\n")
    _, problems = _problems(lambda: load_logins(path))
    assert problems[("ts", "unparseable timestamp")].rows == (3,)


def test_jsonl_bad_lines(tmp_path):
    path = _write(tmp_path, "logins.jsonl", '{"account_id": "1", "ts": "2026-03-02T10:00:00Z"}\n[1]\n\n{"account_id": "1", "account_id": "2", "ts": "2026-03-02T10:00:00Z"}\n{"account_id": "3", "ts": "2026-0')
    _, problems = _problems(lambda: load_logins(path))
    assert problems[(None, "not a JSON object")].rows == (2,)
    assert problems[(None, "repeats a key inside one object")].rows == (4,)
    assert problems[(None, "not valid JSON")].rows == (5,)


def test_parameter_errors(tmp_path):
    frame = pd.DataFrame({"account_id": ["1"], "ts": ["2026-03-02T10:00:00Z"]})
    with pytest.raises(UnknownTableError):
        load_table(frame, "users")
    with pytest.raises(ParameterError, match="on_error"):
        load_logins(frame, on_error="ignore")
    with pytest.raises(ParameterError, match="epoch_unit"):
        load_logins(frame, epoch_unit="us")
    with pytest.raises(ParameterError, match="quarantine_path"):
        load_logins(frame, on_error="quarantine")
    with pytest.raises(ParameterError, match="does not exist"):
        load_logins(tmp_path / "nope.csv")
    with pytest.raises(ParameterError, match=r"\.xlsx"):
        load_logins(_write(tmp_path, "logins.xls", "x"))
    with pytest.raises(ParameterError, match="SQL query failed"):
        load_logins("SELECT * FROM no_such_table")
    with pytest.raises(SchemaValidationError, match="Parquet"):
        load_logins(_write(tmp_path, "logins.parquet", "not parquet"))
    with pytest.raises(SchemaValidationError, match="xlsx"):
        load_logins(_write(tmp_path, "logins.xlsx", "not a workbook"))


def test_headerless_file_never_quotes_first_row_cells(tmp_path):
    path = _write(
        tmp_path,
        "accounts.csv",
        f"{SECRET},2026-03-02T10:00:00Z,+44 7700 900123,alice@example.com,alice@example.com\n1,2026-03-02T10:00:00Z,x,y,z\n",
    )
    error, problems = _problems(lambda: load_accounts(path, on_error="quarantine"))
    message = str(error)
    for value in ("7700", "alice", "2026-03-02"):
        assert value not in message
    assert {column for column, _ in problems} == {"account_id", "created_at", "username"}


def test_hint_only_suggests_name_like_columns(tmp_path):
    path = _write(tmp_path, "logins.csv", "acount_id,Mr Smith's phone: +1 555,when\n1,x,2026-03-02T10:00:00Z\n")
    error, _ = _problems(lambda: load_logins(path))
    assert "'acount_id'" in str(error) and "555" not in str(error)


def test_excel_serial_dates_need_an_explicit_unit(tmp_path):
    path = _write(tmp_path, "logins.csv", "account_id,ts\n1,46083.5\n")
    for unit in (None, "s"):
        with pytest.raises(SchemaValidationError, match="Excel serial date"):
            load_logins(path, epoch_unit=unit)
    with pytest.raises(SchemaValidationError, match="Excel serial dates have no time zone"):
        load_logins(path, epoch_unit="excel")
    frame = load_logins(path, epoch_unit="excel", timezone="UTC")
    assert frame["ts"].tolist() == [pd.Timestamp("2026-03-02T12:00:00Z")]


def test_decompression_bomb_fails_fast(tmp_path, monkeypatch):
    import gzip

    from tsinvest.loading import readers

    monkeypatch.setattr(readers, "MIN_DECOMPRESSED_LIMIT", 1024)
    monkeypatch.setattr(readers, "MAX_COMPRESSION_RATIO", 10)
    path = _write(tmp_path, "logins.csv.gz", gzip.compress(b"account_id,ts\n" + b"1,2026-03-02T10:00:00Z\n" * 100_000))
    _, problems = _problems(lambda: load_logins(path, on_error="quarantine"))
    assert any(reason.startswith("expands more than 10 times") for _, reason in problems)


def test_damaged_gzip_is_one_clear_error(tmp_path):
    import gzip

    data = gzip.compress(b"account_id,ts\n1,2026-03-02T10:00:00Z\n")
    path = _write(tmp_path, "logins.csv.gz", data[: len(data) // 2])
    _, problems = _problems(lambda: load_logins(path))
    assert any("not a readable .gz file" in reason for _, reason in problems)


def test_lone_cr_in_one_field_keeps_every_other_row_in_quarantine(tmp_path):
    from tsinvest.loading import load_report

    path = _write(
        tmp_path,
        "events.csv",
        "account_id,action,target_id,ts,text\n1,comment,v1,2026-03-02T10:00:00Z,pasted\rtext\n"
        "2,comment,v1,bad-time,x\n3,share,v1,2026-03-02T10:00:00Z,\n",
    )
    with pytest.warns(UserWarning):
        frame = load_events(path, on_error="quarantine")
    assert frame["account_id"].tolist() == ["1", "3"] and frame["text"].tolist()[0] == "pasted\rtext"
    assert load_report(frame).rejected == 1
