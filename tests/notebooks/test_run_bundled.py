"""`tsinvest run` on the bundled notebooks with overrides, into temporary folders."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import nbformat
import pytest

from tsinvest.cli import main

pytestmark = pytest.mark.notebook

SAMPLE = Path(__file__).resolve().parents[2] / "data_samples"


def test_case_file_by_account_id_keeps_leading_zeros(tmp_path: Path, capsys):
    out = tmp_path / "case"
    code = main(["run", "case_file", "--data", str(SAMPLE), "-p", "ticket_id", "None",
                 "-p", "account_id", "00123", "--out", str(out), "--hide-code"])
    assert code == 0, capsys.readouterr().err
    assert f"report: {out.resolve() / 'case_file.html'}" in capsys.readouterr().out

    executed = nbformat.read(str(out / "case_file.ipynb"), as_version=4)
    injected = [cell for cell in executed.cells if "injected-parameters" in cell.metadata.get("tags", [])]
    assert len(injected) == 1
    assert 'account_id = "00123"' in injected[0].source
    assert "ticket_id = None" in injected[0].source
    record = json.loads((out / "run.json").read_text())
    assert record["parameters"]["account_id"] == "00123"
    assert record["parameters"]["ticket_id"] is None
    assert record["hide_code"] is True
    assert {item["name"] for item in record["inputs"]} >= {"accounts.csv", "events.csv", "reports.csv"}

    report = (out / "case_file.html").read_text()
    assert "account not in the accounts table" in report
    assert "display_table(" not in report  # code hidden

    assert main(["bundle", str(out), "--out", str(tmp_path / "case.zip")]) == 0
    with zipfile.ZipFile(tmp_path / "case.zip") as archive:
        assert {"case_file.html", "case_file.ipynb", "run.json", "manifest.json"} <= set(archive.namelist())
