"""Column mapping (dict and YAML, flat or per table) and load_dir discovery."""

from __future__ import annotations

import pytest

from tsinvest.exceptions import ParameterError
from tsinvest.loading import find_table_files, load_dir, load_logins, resolve_mapping


def test_dict_mapping(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("uid,when\n00123,2026-03-02T10:00:00Z\n", encoding="utf-8")
    frame = load_logins(path, mapping={"uid": "account_id", "when": "ts"})
    assert list(frame.columns) == ["account_id", "ts"] and frame["account_id"].tolist() == ["00123"]


def test_yaml_mapping_flat_and_per_table(tmp_path):
    (tmp_path / "logins.csv").write_text("uid,when\n00123,2026-03-02T10:00:00Z\n", encoding="utf-8")
    (tmp_path / "reports.csv").write_text(
        "rid,who,whom,policy,when\nr1,1,2,spam,2026-03-02T10:00:00Z\n", encoding="utf-8"
    )
    flat = tmp_path / "flat.yaml"
    flat.write_text("uid: account_id\nwhen: ts\n", encoding="utf-8")
    assert load_logins(tmp_path / "logins.csv", mapping=flat)["account_id"].tolist() == ["00123"]
    per_table = tmp_path / "per_table.yaml"
    per_table.write_text(
        "logins:\n  uid: account_id\n  when: ts\nreports:\n  rid: report_id\n  who: reporter_id\n"
        "  whom: target_account_id\n  when: ts\n",
        encoding="utf-8",
    )
    tables = load_dir(tmp_path, mapping=per_table)
    assert list(tables) == ["reports", "logins"]
    assert tables["reports"]["target_account_id"].tolist() == ["2"]


def test_bad_mappings():
    with pytest.raises(ParameterError, match="several columns"):
        resolve_mapping({"a": "account_id", "b": "account_id"}, table="logins")
    with pytest.raises(ParameterError, match="strings"):
        resolve_mapping({"a": 1}, table="logins")
    with pytest.raises(ParameterError, match="does not exist"):
        resolve_mapping("/no/such/mapping.yaml", table="logins")


def test_load_dir_finds_every_format_and_ignores_other_files(tmp_path):
    import pandas as pd

    (tmp_path / "logins.tsv").write_text("account_id\tts\n1\t2026-03-02T10:00:00Z\n", encoding="utf-8")
    (tmp_path / "events.jsonl").write_text(
        '{"account_id": 1, "action": "like", "target_id": 2, "ts": "2026-03-02T10:00:00Z"}\n', encoding="utf-8"
    )
    pd.DataFrame({"account_id": ["1"], "action": ["ban"], "policy": ["spam"], "ts": ["2026-03-02T10:00:00Z"]}).to_parquet(
        tmp_path / "enforcements.parquet"
    )
    (tmp_path / "truth.json").write_text("{}", encoding="utf-8")
    (tmp_path / "logins.tsv.rejected.csv").write_text("x\n", encoding="utf-8")
    assert list(find_table_files(tmp_path)) == ["events", "logins", "enforcements"]
    tables = load_dir(tmp_path)
    assert tables["events"]["target_id"].tolist() == ["2"]


def test_load_dir_two_files_for_one_table(tmp_path):
    (tmp_path / "logins.csv").write_text("account_id,ts\n", encoding="utf-8")
    (tmp_path / "logins.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(ParameterError, match="several files for one table"):
        load_dir(tmp_path)


def test_load_dir_empty_directory(tmp_path):
    with pytest.raises(ParameterError, match="no table files"):
        load_dir(tmp_path)


def test_load_dir_quarantine_directory(tmp_path):
    data, out = tmp_path / "data", tmp_path / "out"
    data.mkdir()
    (data / "logins.csv").write_text("account_id,ts\n1,2026-03-02T10:00:00Z\n2,nope\n", encoding="utf-8")
    with pytest.warns(UserWarning):
        tables = load_dir(data, on_error="quarantine", quarantine_path=out)
    assert len(tables["logins"]) == 1 and (out / "logins.csv.rejected.csv").exists()


def _mixed_folder(folder):
    import gzip
    import json

    ts = "2026-03-02T10:00:00Z"
    (folder / "Events.csv").write_text(f"account_id,action,target_id,ts\n1,share,v1,{ts}\n", encoding="utf-8")
    (folder / "reports.json").write_text(
        json.dumps([{"report_id": "r1", "reporter_id": "1", "target_account_id": "2", "policy": "spam", "ts": ts}]),
        encoding="utf-8",
    )
    (folder / "logins.csv.gz").write_bytes(gzip.compress(f"account_id,ts\n00123,{ts}\n".encode()))
    (folder / "enforcements.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    (folder / "accounts.csv.zst").write_bytes(b"\x28\xb5\x2f\xfd")
    (folder / "truth.json").write_text("{}", encoding="utf-8")
    (folder / "old").mkdir()


def test_scan_lists_found_and_skipped_files_with_reasons(tmp_path):
    from tsinvest.loading import scan_table_files

    _mixed_folder(tmp_path)
    scanned = scan_table_files(tmp_path)
    assert {table: path.name for table, path in scanned.found.items()} == {
        "events": "Events.csv", "reports": "reports.json", "logins": "logins.csv.gz"
    }
    reasons = {item.name: item.reason for item in scanned.skipped}
    assert "save it as .xlsx" in reasons["enforcements.xls"]
    assert ".zst compression is not supported" in reasons["accounts.csv.zst"]
    assert "not named after a canonical table" in reasons["truth.json"]
    assert "sub-folders are not searched" in reasons["old"]
    assert [item.name for item in scanned.skipped if item.looks_like_table] == ["accounts.csv.zst", "enforcements.xls"]


def test_load_dir_warns_about_table_files_it_could_not_read(tmp_path):
    from tsinvest.loading import FilesSkippedWarning

    _mixed_folder(tmp_path)
    with pytest.warns(FilesSkippedWarning, match=r"accounts.csv.zst: .zst compression.*enforcements.xls") as caught:
        tables = load_dir(tmp_path)
    assert "truth.json" not in str(caught[0].message)
    assert list(tables) == ["events", "reports", "logins"]
    assert tables["logins"]["account_id"].tolist() == ["00123"]


def test_validate_prints_what_it_skipped(tmp_path, capsys):
    from tsinvest.cli import main

    _mixed_folder(tmp_path)
    assert main(["validate", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "skip enforcements.xls: unsupported file type '.xls'" in out
    assert "skip truth.json: not named after a canonical table" in out
    assert "'logins' valid, 1 rows" in out and "'events' valid" in out and "'reports' valid" in out
