from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tsinvest.exceptions import ParameterError
from tsinvest.notebooks.provenance import count_rows, provenance


def test_row_counts_respect_quoted_newlines_and_formats(tmp_path: Path):
    (tmp_path / "events.csv").write_text('account_id,text\n007,"a\nb\nc"\n008,x\n009,y\n')
    pd.DataFrame({"account_id": ["1", "2"]}).to_parquet(tmp_path / "logins.parquet")
    (tmp_path / "reports.jsonl").write_text('{"report_id": "1"}\n{"report_id": "2"}\n{"report_id": "3"}\n')
    (tmp_path / "truth.json").write_text("{}")
    assert count_rows(tmp_path / "events.csv") == 3
    assert count_rows(tmp_path / "logins.parquet") == 2
    assert count_rows(tmp_path / "reports.jsonl") == 3
    assert count_rows(tmp_path / "truth.json") is None


def test_provenance_is_stable_and_keeps_ids_and_as_of(tmp_path: Path):
    (tmp_path / "b.csv").write_text("account_id\n00123\n")
    (tmp_path / "a.csv").write_text("account_id\n1\n2\n")
    (tmp_path / ".hidden").write_text("x")
    parameters = {"seed_accounts": ["007"], "account_id": "00123", "window": 60}
    first = provenance(tmp_path, as_of="2026-03-30T00:00:00Z", parameters=parameters, notebook="demo")
    second = provenance(tmp_path, as_of="2026-03-30T00:00:00Z", parameters=parameters, notebook="demo")
    assert first.to_json() == second.to_json()
    assert first.inputs_frame()["file"].tolist() == ["a.csv", "b.csv"]
    assert first.inputs_frame()["rows"].tolist() == [2, 1]
    record = json.loads(first.to_json())
    assert record["as_of"] == "2026-03-30T00:00:00Z"
    assert record["parameters"]["account_id"] == "00123"
    assert first.parameters_frame().set_index("parameter")["value"].to_dict() == {
        "account_id": '"00123"', "seed_accounts": '["007"]', "window": "60"}
    html = first._repr_html_()
    assert "2026-03-30T00:00:00Z" in html and "a.csv" in html


def test_provenance_html_escapes_parameter_values(tmp_path: Path):
    record = provenance(tmp_path, as_of=None, parameters={"hashtag": "<script>alert(1)</script>"})
    assert "<script>" not in record._repr_html_()


def test_missing_data_folder_is_a_parameter_error(tmp_path: Path):
    with pytest.raises(ParameterError):
        provenance(tmp_path / "missing", as_of=None)
