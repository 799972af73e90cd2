"""`tsinvest run` on the bundled notebooks with overrides, into temporary folders."""

from __future__ import annotations

import csv
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
                 "-p", "account_id", "0041472940947264146", "--out", str(out), "--hide-code"])
    assert code == 0, capsys.readouterr().err
    assert f"report: {out.resolve() / 'case_file.html'}" in capsys.readouterr().out

    executed = nbformat.read(str(out / "case_file.ipynb"), as_version=4)
    injected = [cell for cell in executed.cells if "injected-parameters" in cell.metadata.get("tags", [])]
    assert len(injected) == 1
    assert 'account_id = "0041472940947264146"' in injected[0].source
    assert "ticket_id = None" in injected[0].source
    record = json.loads((out / "run.json").read_text())
    assert record["parameters"]["account_id"] == "0041472940947264146"
    assert record["parameters"]["ticket_id"] is None
    assert record["hide_code"] is True
    assert {item["name"] for item in record["inputs"]} >= {"accounts.csv", "events.csv", "reports.csv"}

    report = (out / "case_file.html").read_text()
    assert "0041472940947264146" in report and "What we found" in report
    # An id the data does not hold fails before execution (tsinvest.notebooks.casefile.preflight).
    assert main(["run", "case_file", "--data", str(SAMPLE), "-p", "ticket_id", "None",
                 "-p", "account_id", "00123", "--out", str(tmp_path / "unknown")]) == 1
    assert "account_id was not found" in capsys.readouterr().err
    assert "display_table(" not in report  # code hidden

    assert main(["bundle", str(out), "--out", str(tmp_path / "case.zip")]) == 0
    with zipfile.ZipFile(tmp_path / "case.zip") as archive:
        assert {"case_file.html", "case_file.ipynb", "run.json", "manifest.json"} <= set(archive.namelist())


def test_coordinated_abuse_run_exports_evidence_and_bundles_deterministically(tmp_path: Path, capsys):
    out = tmp_path / "reports" / "coordinated_abuse"
    assert main(["run", "coordinated_abuse", "--data", str(SAMPLE), "--out", str(out)]) == 0
    assert f"report: {out.resolve() / 'coordinated_abuse.html'}" in capsys.readouterr().out
    evidence = sorted(path.name for path in (out / "evidence").iterdir())
    assert evidence == ["edges.csv", "edges.xlsx", "findings.csv", "findings.xlsx", "flagged_accounts.csv",
                        "flagged_accounts.xlsx", "graph.graphml"]
    flagged = (out / "evidence" / "flagged_accounts.csv").read_text(encoding="utf-8-sig").splitlines()
    truth = json.loads((SAMPLE / "truth.json").read_text())
    planted = {a for campaign in truth["campaigns"] for a in campaign["accounts"]}
    ids = {row[0] for row in csv.reader(flagged[1:])}  # text cells are quoted (formula safety)
    assert ids and len(ids & planted) / len(ids) > 0.8
    assert any(account.startswith("0") for account in ids & planted)  # leading zeros survive the CSV

    first = tmp_path / "one.zip"
    second = tmp_path / "two.zip"
    assert main(["bundle", str(out), "--out", str(first)]) == 0
    assert main(["bundle", str(out), "--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
    assert names == sorted(names)
    assert "evidence/graph.graphml" in names and "coordinated_abuse.html" in names
    assert {item["path"] for item in manifest["files"]} == set(names) - {"manifest.json"}
    assert manifest["as_of"] == "2026-03-30T00:00:00Z"
