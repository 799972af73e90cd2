"""Workspace: DuckDB over a data folder, ids exact, timestamps UTC, files queried in place."""

import pandas as pd
import pytest

from tsinvest.exceptions import SchemaValidationError
from tsinvest.workspace import Workspace

EVENTS_CSV = (
    "account_id,action,target_id,ts,text\n"
    "7276431715937856976,share,00123,2026-03-02T10:00:00Z,\n"
    "0042,share,00123,2026-03-02T12:00:30+02:00,hello\n"
    "0042,like,00124,2026-03-02T05:00:00-05:00,\n"
)


def _write_events(folder):
    path = folder / "events.csv"
    path.write_text(EVENTS_CSV, encoding="utf-8")
    return path


@pytest.mark.parametrize("in_memory_below", [0, 10**9], ids=["in-place", "loaded"])
def test_ids_and_offsets_survive_both_registration_paths(tmp_path, in_memory_below):
    _write_events(tmp_path)
    with Workspace(tmp_path, in_memory_below=in_memory_below) as ws:
        frame = ws.sql("SELECT account_id, target_id, ts, text FROM events ORDER BY ts, account_id")
    assert sorted(frame["account_id"].tolist()) == ["0042", "0042", "7276431715937856976"]
    assert frame["text"].isna().sum() == 2
    assert sorted(frame["target_id"].tolist()) == ["00123", "00123", "00124"]
    assert str(frame["ts"].dt.tz) == "UTC"
    # 10:00Z, 12:00:30+02:00 (= 10:00:30Z), 05:00-05:00 (= 10:00Z)
    assert sorted(frame["ts"].tolist()) == [
        pd.Timestamp("2026-03-02T10:00:00Z"),
        pd.Timestamp("2026-03-02T10:00:00Z"),
        pd.Timestamp("2026-03-02T10:00:30Z"),
    ]


def test_parquet_int64_ids_become_exact_strings_in_place(tmp_path):
    frame = pd.DataFrame(
        {
            "account_id": [7276431715937856976, 42],
            "ts": pd.to_datetime(["2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z"], utc=True),
            "ip": ["10.0.0.1", "10.0.0.2"],
        }
    )
    frame.to_parquet(tmp_path / "logins.parquet")
    with Workspace(tmp_path, in_memory_below=0) as ws:
        result = ws.sql("SELECT account_id FROM logins ORDER BY ts")
    assert result["account_id"].tolist() == ["7276431715937856976", "42"]


def test_in_place_file_missing_required_column_is_reported(tmp_path):
    (tmp_path / "events.csv").write_text("account_id,ts\n1,2026-03-02T10:00:00Z\n", encoding="utf-8")
    with pytest.raises(SchemaValidationError) as error:
        Workspace(tmp_path, in_memory_below=0)
    message = str(error.value)
    assert "events.csv" in message and "action" in message and "target_id" in message


def test_loaded_path_validates_rows(tmp_path):
    (tmp_path / "events.csv").write_text(
        "account_id,action,target_id,ts\n1,share,9,not-a-time\n", encoding="utf-8"
    )
    with pytest.raises(SchemaValidationError):
        Workspace(tmp_path)


def test_results_registered_back_join_with_tables(tmp_path):
    _write_events(tmp_path)
    with Workspace(tmp_path) as ws:
        ws.register("flagged", pd.DataFrame({"account_id": pd.array(["0042"], dtype="string")}))
        joined = ws.sql(
            "SELECT e.account_id, count(*) AS n FROM events e JOIN flagged USING (account_id) GROUP BY 1"
        )
        assert ws.tables() == ["events", "flagged"]
    assert joined.to_dict("records") == [{"account_id": "0042", "n": 2}]
