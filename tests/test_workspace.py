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


NAIVE_EVENTS = "account_id,action,target_id,ts\n1,share,v1,2026-03-02 11:00:00\n2,share,v1,2026-03-02T10:00:00Z\n"


def test_in_place_views_honour_timezone(tmp_path):
    (tmp_path / "events.csv").write_text(NAIVE_EVENTS, encoding="utf-8")
    expected = [pd.Timestamp("2026-03-02T10:00:00Z")] * 2
    with Workspace(tmp_path, in_memory_below=0, timezone="Europe/Berlin") as ws:
        in_place = ws.sql("SELECT ts FROM events ORDER BY account_id")["ts"].tolist()
    with Workspace(tmp_path, timezone="Europe/Berlin") as ws:
        loaded = ws.sql("SELECT ts FROM events ORDER BY account_id")["ts"].tolist()
    assert in_place == loaded == expected


def test_in_place_naive_times_without_timezone_fail_clearly(tmp_path):
    import duckdb

    (tmp_path / "events.csv").write_text(NAIVE_EVENTS, encoding="utf-8")
    with Workspace(tmp_path, in_memory_below=0) as ws:
        with pytest.raises(duckdb.Error, match="without a UTC offset; pass timezone="):
            ws.sql("SELECT ts FROM events")
        # Columns that are not times stay queryable.
        assert ws.sql("SELECT count(*) AS n FROM (SELECT account_id FROM events)")["n"].tolist() == [2]


def test_in_place_epoch_and_mapping(tmp_path):
    (tmp_path / "logins.csv").write_text("uid,when\n00123,1772445600000\n", encoding="utf-8")
    with Workspace(tmp_path, in_memory_below=0, epoch_unit="ms", mapping={"uid": "account_id", "when": "ts"}) as ws:
        frame = ws.sql("SELECT account_id, ts FROM logins")
    assert frame.to_dict("records") == [{"account_id": "00123", "ts": pd.Timestamp("2026-03-02T10:00:00Z")}]


@pytest.mark.parametrize("folder_name", ["case?1", "case*", "case[1]"])
def test_glob_characters_in_folder_names_never_read_siblings(tmp_path, folder_name):
    for name in ("case?1", "caseX1", "case11", "case*", "case[1]", "case1"):
        folder = tmp_path / name
        folder.mkdir(exist_ok=True)
        (folder / "events.csv").write_text(
            f"account_id,action,target_id,ts\n{name},share,v1,2026-03-02T10:00:00Z\n", encoding="utf-8"
        )
    with Workspace(tmp_path / folder_name, in_memory_below=0) as ws:
        assert ws.sql("SELECT account_id FROM events")["account_id"].tolist() == [folder_name]


def test_threshold_is_a_parameter(tmp_path):
    path = _write_events(tmp_path)
    size = path.stat().st_size
    with Workspace(tmp_path, in_memory_below=size + 1) as ws:
        assert "events" in ws._frames  # loaded and validated
    with Workspace(tmp_path, in_memory_below=size) as ws:
        assert "events" not in ws._frames  # queried in place


def test_hostile_database_view_cannot_read_local_files(tmp_path):
    import duckdb

    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0", encoding="utf-8")
    database = tmp_path / "partner.duckdb"
    connection = duckdb.connect(str(database))
    connection.execute(f"CREATE VIEW leak AS SELECT content FROM read_text('{secret}')")
    connection.close()
    with Workspace(database=str(database)) as ws:
        with pytest.raises(duckdb.Error, match="disabled by configuration"):
            ws.sql("SELECT * FROM leak")
        with pytest.raises(duckdb.Error):
            ws.sql(f"COPY (SELECT 1) TO '{tmp_path / 'written.csv'}'")
        with pytest.raises(duckdb.Error):
            ws.sql("SET enable_external_access = true")
    assert not (tmp_path / "written.csv").exists()


def test_in_place_workspace_reads_only_its_own_files(tmp_path):
    import duckdb

    data = tmp_path / "data"
    data.mkdir()
    _write_events(data)
    (tmp_path / "other.csv").write_text("a\n1\n", encoding="utf-8")
    with Workspace(data, in_memory_below=0) as ws:
        assert len(ws.sql("SELECT * FROM events")) == 3
        with pytest.raises(duckdb.Error, match="disabled by configuration"):
            ws.sql(f"SELECT * FROM read_csv('{tmp_path / 'other.csv'}')")


def test_quarantine_option_and_unknown_options(tmp_path):
    from tsinvest.exceptions import ParameterError

    (tmp_path / "events.csv").write_text(
        "account_id,action,target_id,ts\n1,share,v1,2026-03-02T10:00:00Z\n2,share,v1,bad\n", encoding="utf-8"
    )
    with pytest.warns(UserWarning, match="1 rejected"):
        with Workspace(tmp_path, on_error="quarantine") as ws:
            assert ws.sql("SELECT account_id FROM events")["account_id"].tolist() == ["1"]
    assert (tmp_path / "events.csv.rejected.csv").exists()
    with pytest.raises(ParameterError, match="unknown option"):
        Workspace(tmp_path, timezome="UTC")
