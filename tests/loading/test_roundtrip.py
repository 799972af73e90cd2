"""Ids survive every source format byte for byte; dtypes are the canonical ones."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tsinvest.exceptions import SchemaValidationError
from tsinvest.loading import RowsRejectedWarning, load_accounts, load_events, load_logins, load_table
from tsinvest.schemas import STRING_DTYPE, TIMESTAMP_DTYPE

BIG = "7276431715937856976"
ZERO = "00123"
MAX = "9223372036854775807"
IDS = [BIG, ZERO, MAX, "0000000000000000001"]
TIMES = ["2026-03-02T10:00:00Z", "2026-03-02T12:00:00+02:00", "2026-03-02T05:00:00-05:00", "2026-03-03T00:00:00Z"]


def _expected_ts():
    return pd.to_datetime(
        ["2026-03-02T10:00:00Z", "2026-03-02T10:00:00Z", "2026-03-02T10:00:00Z", "2026-03-03T00:00:00Z"], utc=True
    )


def _check_logins(frame):
    assert frame["account_id"].tolist() == IDS
    assert frame["account_id"].dtype == STRING_DTYPE
    assert frame["ts"].dtype == TIMESTAMP_DTYPE
    assert frame["ts"].tolist() == list(_expected_ts())


def test_csv_round_trip(tmp_path):
    path = tmp_path / "logins.csv"
    path.write_text("account_id,ts\n" + "".join(f"{i},{t}\n" for i, t in zip(IDS, TIMES)), encoding="utf-8")
    _check_logins(load_logins(path))


def test_tsv_round_trip(tmp_path):
    path = tmp_path / "logins.tsv"
    path.write_text("account_id\tts\n" + "".join(f"{i}\t{t}\n" for i, t in zip(IDS, TIMES)), encoding="utf-8")
    _check_logins(load_logins(path))


def test_csv_with_missing_values_keeps_ids_exact(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "account_id,action,target_id,ts,text\n"
        f"{BIG},like,{ZERO},2026-03-02T10:00:00Z,\n"
        f"{ZERO},comment,,2026-03-02T10:00:00Z,hi\n"
        f"{MAX},follow,{BIG},2026-03-02T10:00:00Z,\n",
        encoding="utf-8",
    )
    with pytest.raises(SchemaValidationError) as caught:
        load_events(path)
    assert [(p.column, p.rows) for p in caught.value.problems] == [("target_id", (2,))]
    with pytest.warns(RowsRejectedWarning, match="1 rejected"):
        frame = load_events(path, on_error="quarantine")
    assert frame["account_id"].tolist() == [BIG, MAX]
    assert frame["target_id"].tolist() == [ZERO, BIG]
    assert frame["text"].isna().tolist() == [True, True]
    assert frame["text"].dtype == STRING_DTYPE


def test_jsonl_numbers_are_exact_text(tmp_path):
    path = tmp_path / "logins.jsonl"
    lines = [
        '{"account_id": 7276431715937856976, "ts": "2026-03-02T10:00:00Z"}',
        '{"account_id": "00123", "ts": "2026-03-02T12:00:00+02:00"}',
        '{"account_id": 9223372036854775807, "ts": "2026-03-02T05:00:00-05:00", "extra": 1.10}',
        '{"account_id": "0000000000000000001", "ts": "2026-03-03T00:00:00Z", "extra": null}',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    frame = load_logins(path)
    _check_logins(frame)
    assert frame["extra"].tolist()[2] == "1.10"
    assert frame["extra"].isna().tolist() == [True, True, False, True]


def test_parquet_int64_ids_become_exact_text(tmp_path):
    path = tmp_path / "logins.parquet"
    pq.write_table(
        pa.table({
            "account_id": pa.array([int(BIG), 123, int(MAX), 1], type=pa.int64()),
            "ts": pa.array(pd.to_datetime(TIMES, utc=True, format="ISO8601")),
            "score": pa.array([1.5, 2.0, None, 0.0]),
        }),
        path,
    )
    frame = load_logins(path)
    assert frame["account_id"].tolist() == [BIG, "123", MAX, "1"]
    assert frame["ts"].tolist() == list(_expected_ts())
    assert frame["score"].dtype == np.float64  # typed extras keep their type


def test_parquet_string_ids(tmp_path):
    path = tmp_path / "logins.parquet"
    pq.write_table(pa.table({"account_id": IDS, "ts": TIMES}), path)
    _check_logins(load_logins(path))


def test_excel_text_ids_round_trip_and_numeric_big_ids_are_reported(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["account_id", "ts"])
    for account, time in zip(IDS, TIMES):
        sheet.append([account, time])
    path = tmp_path / "logins.xlsx"
    workbook.save(path)
    _check_logins(load_logins(path))

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["account_id", "ts"])
    sheet.append([int(BIG), TIMES[0]])  # a number cell: Excel keeps only a double
    sheet.append([123, TIMES[1]])  # small numbers are exact
    path = tmp_path / "numeric.xlsx"
    workbook.save(path)
    with pytest.raises(SchemaValidationError) as caught:
        load_logins(path)
    (problem,) = caught.value.problems
    assert problem.column == "account_id" and problem.rows == (1,) and "2**53" in problem.reason
    assert BIG not in str(caught.value)
    with pytest.warns(RowsRejectedWarning):
        frame = load_logins(path, on_error="quarantine")
    assert frame["account_id"].tolist() == ["123"]


def test_excel_sheet_named_after_table_and_naive_datetime_cells(tmp_path):
    import datetime as dt

    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.title = "notes"
    sheet = workbook.create_sheet("logins")
    sheet.append(["account_id", "ts"])
    sheet.append([ZERO, dt.datetime(2026, 3, 2, 11, 0)])
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    with pytest.raises(SchemaValidationError, match="naive"):
        load_logins(path)
    frame = load_logins(path, timezone="Europe/Berlin")
    assert frame["account_id"].tolist() == [ZERO]
    assert frame["ts"].tolist() == [pd.Timestamp("2026-03-02T10:00:00Z")]


def test_dataframe_sources(tmp_path):
    frame = pd.DataFrame({"account_id": IDS, "ts": TIMES})
    _check_logins(load_logins(frame))
    typed = pd.DataFrame({"account_id": [int(BIG), int(MAX)], "ts": pd.to_datetime(TIMES[:2], utc=True, format="ISO8601")})
    assert load_logins(typed)["account_id"].tolist() == [BIG, MAX]
    indexed = pd.DataFrame({"ts": TIMES}, index=pd.Index(IDS, name="account_id"))
    _check_logins(load_logins(indexed))
    floats = pd.DataFrame({"account_id": [float(BIG), 12.0], "ts": TIMES[:2]})
    with pytest.raises(SchemaValidationError, match=r"2\*\*53"):
        load_logins(floats)


def test_sql_query_on_connection_and_files(tmp_path):
    connection = duckdb.connect()
    connection.execute("CREATE TABLE raw_logins (uid VARCHAR, event_time VARCHAR, n BIGINT)")
    connection.executemany(
        "INSERT INTO raw_logins VALUES (?, ?, ?)", [(i, t, int(BIG)) for i, t in zip(IDS, TIMES)]
    )
    query = "SELECT uid AS account_id, event_time AS ts, n FROM raw_logins ORDER BY rowid"
    frame = load_logins(query, connection=connection)
    _check_logins(frame)
    assert frame["n"].tolist() == [int(BIG)] * 4  # typed extra columns stay typed

    numeric = load_logins(
        "SELECT 7276431715937856976::BIGINT AS account_id, TIMESTAMPTZ '2026-03-02 10:00:00+00' AS ts",
    )
    assert numeric["account_id"].tolist() == [BIG]
    assert numeric["ts"].tolist() == [pd.Timestamp("2026-03-02T10:00:00Z")]

    sql_file = tmp_path / "logins.sql"
    sql_file.write_text(query, encoding="utf-8")
    _check_logins(load_logins(sql_file, connection=connection))

    database = tmp_path / "store.duckdb"
    on_disk = duckdb.connect(str(database))
    on_disk.execute("CREATE TABLE logins AS SELECT * FROM (VALUES ('00123', '2026-03-02T10:00:00Z')) t(account_id, ts)")
    on_disk.close()
    assert load_logins(database)["account_id"].tolist() == [ZERO]
    with pytest.raises(Exception, match="no table named 'events'"):
        load_events(database)


def test_literal_na_strings_are_text_not_missing(tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text(
        "account_id,created_at,username,display_name\n"
        "1,2026-03-02T10:00:00Z,NA,nan\n2,2026-03-02T10:00:00Z,null,NULL\n3,2026-03-02T10:00:00Z,None,#N/A\n",
        encoding="utf-8",
    )
    frame = load_accounts(path)
    assert frame["username"].tolist() == ["NA", "null", "None"]
    assert frame["display_name"].tolist() == ["nan", "NULL", "#N/A"]
    assert frame["username"].isna().sum() == 0


def test_extra_columns_kept_as_strings_and_canonical_first(tmp_path):
    path = tmp_path / "logins.csv"
    path.write_text("note,ts,account_id\n0042,2026-03-02T10:00:00Z,1\n", encoding="utf-8")
    frame = load_table(path, "logins")
    assert list(frame.columns) == ["account_id", "ts", "note"]
    assert frame["note"].tolist() == ["0042"] and frame["note"].dtype == STRING_DTYPE


def test_jsonl_with_u2028_inside_strings(tmp_path):
    path = tmp_path / "logins.jsonl"
    path.write_text(
        json.dumps({"account_id": "a\u2028b", "ts": "2026-03-02T10:00:00Z"}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    assert load_logins(path)["account_id"].tolist() == ["a\u2028b"]
