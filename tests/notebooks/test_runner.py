from __future__ import annotations

import hashlib
import json
from pathlib import Path

import nbformat
import pytest

from tsinvest.cli import main
from tsinvest.exceptions import NotebookError, ParameterError
from tsinvest.notebooks.runner import export_html, run_notebook

pytestmark = pytest.mark.notebook


def _outputs_text(notebook_path: Path) -> str:
    notebook = nbformat.read(str(notebook_path), as_version=4)
    return "".join(
        output.get("text", "") for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    )


def test_cli_run_keeps_string_ids_and_writes_report_record_and_evidence(probe_notebook, data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["run", str(probe_notebook), "--data", str(data_dir), "-p", "account_id", "00123",
                 "-p", "hops", "2", "-p", "end", "None", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert f"report: {out.resolve() / 'probe.html'}" in printed

    assert sorted(path.name for path in out.iterdir()) == ["evidence", "probe.html", "probe.ipynb", "run.json"]
    shown = json.loads(_outputs_text(out / "probe.ipynb").strip())
    assert shown == {"account_id": "00123", "type": "str", "hops": 2, "end": None}
    assert (out / "evidence" / "flagged.csv").read_text() == "account_id\n00123\n"

    record = json.loads((out / "run.json").read_text())
    assert record["parameters"]["account_id"] == "00123"
    assert record["parameters"]["hops"] == 2
    assert record["parameters"]["evidence_dir"] == "evidence"
    assert record["as_of"] == "2026-03-30T00:00:00Z"
    assert record["notebook"] == "probe"
    [accounts] = record["inputs"]
    assert accounts["name"] == "accounts.csv"
    assert accounts["rows"] == 2
    assert accounts["sha256"] == hashlib.sha256((data_dir / "accounts.csv").read_bytes()).hexdigest()
    assert record["packages"]["pandas"]
    assert record["outputs"] == ["evidence/flagged.csv", "probe.html", "probe.ipynb"]

    report = (out / "probe.html").read_text()
    assert "probe-code-marker" in report
    # The injected parameters name the evidence folder where it ended up, not
    # the staging folder the kernel wrote into (renamed after the run).
    executed = nbformat.read(str(out / "probe.ipynb"), as_version=4)
    [injected] = [cell for cell in executed.cells if "injected-parameters" in cell.metadata.get("tags", [])]
    assert 'evidence_dir = "evidence"' in injected.source
    assert executed.metadata["papermill"]["parameters"]["evidence_dir"] == "evidence"
    assert ".tsinvest-run" not in report
    hidden = export_html(out / "probe.ipynb", tmp_path / "hidden.html", hide_code=True).read_text()
    assert "probe-code-marker" not in hidden
    assert "00123" in hidden


def test_failed_run_leaves_only_the_failed_notebook(notebook_factory, data_dir, tmp_path):
    notebook = notebook_factory(
        tmp_path / "broken.ipynb",
        'data_dir: str = "."\naccount_id: str = "0001"',
        "x = 1",
        "raise ValueError('subject ' + account_id + ' secret')",
    )
    out = tmp_path / "run"
    with pytest.raises(NotebookError) as caught:
        run_notebook(notebook, out, parameters={"data_dir": str(data_dir), "account_id": "00999"})
    message = str(caught.value)
    assert "cell 4" in message  # title, injected parameters, parameters, x = 1, raise
    assert "ValueError" in message
    assert "00999" not in message and "secret" not in message
    assert sorted(path.name for path in out.iterdir()) == ["failed-broken.ipynb"]


def test_failed_run_does_not_touch_an_earlier_report(probe_notebook, notebook_factory, data_dir, tmp_path):
    out = tmp_path / "run"
    run_notebook(probe_notebook, out, parameters={"data_dir": str(data_dir)})
    before = (out / "probe.html").read_bytes()
    broken = notebook_factory(tmp_path / "again" / "probe.ipynb", 'data_dir: str = "."', "1 / 0") if (
        (tmp_path / "again").mkdir() or True
    ) else None
    with pytest.raises(NotebookError):
        run_notebook(broken, out, parameters={"data_dir": str(data_dir)})
    assert (out / "probe.html").read_bytes() == before
    assert (out / "failed-probe.ipynb").exists()
    assert not [path for path in out.iterdir() if path.name.startswith(".")]


def test_unknown_parameter_is_refused_before_running(probe_notebook, data_dir, tmp_path, capsys):
    with pytest.raises(ParameterError):
        run_notebook(probe_notebook, tmp_path / "run", parameters={"acount_id": "1"})
    code = main(["run", str(probe_notebook), "--data", str(data_dir), "-p", "acount_id", "1", "--out", str(tmp_path / "r")])
    assert code == 1
    assert "acount_id" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_missing_data_and_out_are_user_errors(probe_notebook, tmp_path, capsys):
    assert main(["run", str(probe_notebook), "--out", str(tmp_path / "r")]) == 1
    assert "--data" in capsys.readouterr().err
    assert main(["run", str(probe_notebook), "--data", str(tmp_path)]) == 1
    assert "--out" in capsys.readouterr().err


def test_params_and_help_list_parameters_with_types(probe_notebook, capsys):
    assert main(["run", str(probe_notebook), "--params"]) == 0
    params_text = capsys.readouterr().out
    assert main(["run", str(probe_notebook), "--help"]) == 0
    help_text = capsys.readouterr().out
    assert params_text == help_text
    assert "account_id" in params_text and "str" in params_text and '"0001"' in params_text
    assert "Optional[str]" in params_text


def test_list_shows_bundled_notebooks_with_descriptions(capsys):
    assert main(["run", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in lines]
    assert names == sorted(names)
    assert "coordinated_abuse" in names
    assert all(len(line.split()) > 2 for line in lines)
