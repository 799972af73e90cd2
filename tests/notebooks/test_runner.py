from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from tsinvest.cli import main
from tsinvest.exceptions import NotebookError, ParameterError
from tsinvest.notebooks.runner import cell_description as runner_describe
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
    assert [item["path"] for item in record["outputs"]] == ["evidence/flagged.csv", "probe.html", "probe.ipynb"]
    for item in record["outputs"]:  # every output is hashed, so a bundle can check it was not edited
        assert item["sha256"] == hashlib.sha256((tmp_path / "run" / item["path"]).read_bytes()).hexdigest()

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
    code = main(["run", str(probe_notebook), "--data", str(data_dir), "-p", "acount_id", "1",
                 "--out", str(tmp_path / "r")])
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


# --- issue 13: signals, user files, hostile parameter values ---------------------------------


def _sleeping_notebook(notebook_factory, tmp_path: Path, marker: Path) -> Path:
    return notebook_factory(
        tmp_path / "sleeper.ipynb",
        'data_dir: "Optional[str]" = None\nas_of: str = "2026-03-30T00:00:00Z"',
        f"import os, pathlib, time\npathlib.Path({str(marker)!r}).write_text(str(os.getpid()))\ntime.sleep(120)",
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose; read its state.
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("signum, redact", [(signal.SIGINT, False), (signal.SIGTERM, True)])
def test_a_signal_stops_the_run_kills_the_kernel_and_leaves_nothing(
    notebook_factory, data_dir, tmp_path, signum, redact
):
    marker = tmp_path / "kernel.pid"
    notebook = _sleeping_notebook(notebook_factory, tmp_path, marker)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "tsinvest", "run", str(notebook), "--out", str(out), "--data", str(data_dir)]
    environment = dict(os.environ)
    if redact:
        command.append("--redact")
        environment["TSINVEST_PSEUDONYM_KEY"] = "test-only-key-0123456789abcdef-signals-run"
    process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        assert marker.exists(), process.communicate(timeout=5)
        time.sleep(0.3)
        kernel_pid = int(marker.read_text())
        assert _alive(kernel_pid)
        staged = [path.name for path in out.iterdir()]
        assert any(name.startswith(".tsinvest-run-") for name in staged)  # the run really was in progress
        started = time.monotonic()
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signum, stderr
    assert "interrupted" in stderr
    assert time.monotonic() - started < 30  # stopped, not run to the end of the 120 s cell
    deadline = time.monotonic() + 10
    while _alive(kernel_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(kernel_pid)
    assert sorted(path.name for path in out.iterdir()) == []  # no staging folder, no pseudonymised copy, no report


def test_run_never_replaces_files_it_did_not_write(probe_notebook, data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    (out / "evidence").mkdir(parents=True)
    (out / "evidence" / "my_notes.txt").write_text("analyst notes")
    (out / "keep.txt").write_text("other user file")
    assert main(["run", str(probe_notebook), "--data", str(data_dir), "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert "evidence/my_notes.txt" in error and "--out" in error
    assert (out / "evidence" / "my_notes.txt").read_text() == "analyst notes"
    assert sorted(path.name for path in out.iterdir()) == ["evidence", "keep.txt"]

    # A run folder of our own is re-run in place; other files stay.
    (out / "evidence" / "my_notes.txt").unlink()
    assert main(["run", str(probe_notebook), "--data", str(data_dir), "--out", str(out)]) == 0
    assert main(["run", str(probe_notebook), "--data", str(data_dir), "--out", str(out)]) == 0
    assert (out / "keep.txt").read_text() == "other user file"
    # An output edited after the run is the user's now: not replaced.
    (out / "probe.html").write_text("<p>my annotated copy</p>")
    assert main(["run", str(probe_notebook), "--data", str(data_dir), "--out", str(out)]) == 1
    assert "probe.html" in capsys.readouterr().err
    assert (out / "probe.html").read_text() == "<p>my annotated copy</p>"


def test_out_naming_an_existing_file_is_a_clear_error(probe_notebook, data_dir, tmp_path, capsys):
    existing = tmp_path / "report.html"
    existing.write_text("mine")
    assert main(["run", str(probe_notebook), "--data", str(data_dir), "--out", str(existing)]) == 1
    assert "existing file" in capsys.readouterr().err
    assert existing.read_text() == "mine"


def test_outputs_are_private_files(probe_notebook, data_dir, tmp_path):
    result = run_notebook(probe_notebook, tmp_path / "run", parameters={"data_dir": str(data_dir)})
    for path in [result.notebook, result.report, result.record, *result.evidence]:
        assert oct(path.stat().st_mode & 0o777) == "0o600", path.name


def test_on_error_quarantine_runs_on_clean_rows_and_records_counts(notebook_factory, tmp_path, capsys):
    loader = notebook_factory(
        tmp_path / "loader.ipynb",
        'data_dir: str = "../data"\nas_of: str = "2026-03-30T00:00:00Z"',
        "from tsinvest.loading import load_dir\nprint(len(load_dir(data_dir)['accounts']), 'clean rows')",
    )
    data = tmp_path / "bad-data"
    data.mkdir()
    (data / "accounts.csv").write_text(
        "account_id,created_at,username\n00123,2026-01-01T00:00:00Z,a\n0042,not-a-date,=HYPERLINK(\"x\")\n"
    )
    out = tmp_path / "run"
    assert main(["run", str(loader), "--data", str(data), "--out", str(tmp_path / "strict")]) == 1
    capsys.readouterr()
    with pytest.warns(Warning):
        code = main(["run", str(loader), "--data", str(data), "--out", str(out), "--on-error", "quarantine"])
    assert code == 0
    assert "1 rejected row" in capsys.readouterr().out
    record = json.loads((out / "run.json").read_text())
    assert record["quarantine"]["total_rejected_rows"] == 1
    assert record["parameters"]["data_dir"] == str(data.resolve())
    [rejected] = [item for item in record["outputs"] if item["path"].startswith("rejected/")]
    assert (out / rejected["path"]).is_file() and oct((out / rejected["path"]).stat().st_mode & 0o777) == "0o600"
    assert not [path for path in out.iterdir() if path.name.startswith(".tsinvest-run-")]
    assert not list(data.glob("*.rejected.csv"))  # nothing written next to the user's inputs
    executed = nbformat.read(str(out / "loader.ipynb"), as_version=4)
    assert executed.cells[-1].outputs[0]["text"] == "1 clean rows\n"


def test_a_rerun_removes_outputs_of_the_previous_run_it_does_not_produce_again(notebook_factory, tmp_path, capsys):
    loader = notebook_factory(
        tmp_path / "loader.ipynb",
        'data_dir: str = "../data"\nas_of: str = "2026-03-30T00:00:00Z"',
        "print('ran')",
    )
    data = tmp_path / "data"
    data.mkdir()
    (data / "accounts.csv").write_text("account_id,created_at,username\n00123,2026-01-01T00:00:00Z,a\n0042,bad,b\n")
    out = tmp_path / "run"
    with pytest.warns(Warning):
        assert main(["run", str(loader), "--data", str(data), "--out", str(out), "--on-error", "quarantine"]) == 0
    assert (out / "rejected").is_dir()
    (data / "accounts.csv").write_text("account_id,created_at,username\n00123,2026-01-01T00:00:00Z,a\n")
    assert main(["run", str(loader), "--data", str(data), "--out", str(out)]) == 0
    assert not (out / "rejected").exists()
    assert main(["bundle", str(out), "--out", str(tmp_path / "run.zip")]) == 0


def test_failed_cell_error_carries_structured_fields(notebook_factory, data_dir, tmp_path):
    notebook = notebook_factory(tmp_path / "broken.ipynb", 'account_id: str = "0001"',
                                "raise KeyError('account ' + account_id)")
    with pytest.raises(NotebookError) as caught:
        run_notebook(notebook, tmp_path / "run", parameters={"account_id": "00999"})
    error = caught.value
    assert (error.notebook, error.cell_index, error.exception_name) == ("broken", 3, "KeyError")
    assert error.execution_count == 3  # parameters, injected parameters, then the failing cell
    assert "00999" not in repr(vars(error))


def test_progress_announces_each_step_in_order_and_keeps_the_report_clean(
    probe_notebook, data_dir, tmp_path, capsys, monkeypatch
):
    from tsinvest.notebooks import runner
    from tsinvest.notebooks.runner import RUN_STEPS

    # The kernel must silence progress bars itself, even when the caller's environment does not.
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    described = []
    monkeypatch.setattr(runner, "cell_description", lambda cell: described.append(runner_describe(cell)))
    notebook = probe_notebook.parent / "envprobe.ipynb"
    nbformat.write(nbformat.read(str(probe_notebook), as_version=4), str(notebook))
    probe = nbformat.read(str(notebook), as_version=4)
    code = "import os\nprint('tqdm-disable=' + os.environ.get('TQDM_DISABLE', ''))"
    probe.cells.append(nbformat.v4.new_code_cell(code))
    probe.cells[-1]["id"] = "env-cell"
    nbformat.write(probe, str(notebook))
    run_notebook(notebook, tmp_path / "run", parameters={"data_dir": str(data_dir)}, progress=True)
    printed = capsys.readouterr().err
    positions = [printed.index(f"[{number}/{len(RUN_STEPS)}] {step}") for number, step in enumerate(RUN_STEPS, 1)]
    assert positions == sorted(positions)
    assert "tsinvest run envprobe: done" in printed
    # papermill's per-cell bar (text on a terminal) names each cell by its first line of code.
    assert "import os" in described and "parameters" in described
    assert "tqdm-disable=1" in _outputs_text(tmp_path / "run" / "envprobe.ipynb")


def test_no_progress_prints_nothing_on_stderr(probe_notebook, data_dir, tmp_path, capsys):
    run_notebook(probe_notebook, tmp_path / "run", parameters={"data_dir": str(data_dir)})
    assert "[1/" not in capsys.readouterr().err


def test_input_options_read_the_folder_into_a_canonical_copy(notebook_factory, tmp_path, capsys):
    data = tmp_path / "naive"
    data.mkdir()
    (data / "accounts.csv").write_text("account_id,created_at,username\n00123,2026-01-01 10:00:00,a\n")
    notebook = notebook_factory(
        tmp_path / "lister.ipynb", 'data_dir: str = "."',
        "import pandas, pathlib\nfolder = pathlib.Path(data_dir)\nprint(sorted(p.name for p in folder.iterdir()))\n"
        "print(pandas.read_parquet(folder / 'accounts.parquet')['created_at'].iloc[0])",
    )
    out = tmp_path / "run"
    # Without the zone the naive time is refused before the notebook starts.
    assert main(["run", str(notebook), "--data", str(data), "--out", str(out), "--epoch-unit", "s"]) == 1
    assert "created_at" in capsys.readouterr().err
    assert main(["run", str(notebook), "--data", str(data), "--out", str(out), "--timezone", "Europe/Berlin"]) == 0
    printed = _outputs_text(out / "lister.ipynb")
    assert "['accounts.parquet']" in printed and "2026-01-01 09:00:00+00:00" in printed
    record = json.loads((out / "run.json").read_text())
    assert record["parameters"]["data_dir"] == str(data.resolve())


def test_a_redacted_run_reads_the_folder_with_the_input_options_first(notebook_factory, tmp_path):
    from tsinvest.reporting import Pseudonymiser

    data = tmp_path / "naive"
    data.mkdir()
    (data / "accounts.csv").write_text("account_id,created_at,username\n00123,2026-01-01 10:00:00,a\n"
                                       "00456,not a time,b\n")
    notebook = notebook_factory(
        tmp_path / "lister.ipynb", 'data_dir: str = "."',
        "import pandas, pathlib\naccounts = pandas.read_parquet(pathlib.Path(data_dir) / 'accounts.parquet')\n"
        "print(len(accounts), accounts['account_id'].str.startswith('acct_').all(), accounts['created_at'].iloc[0])",
    )
    out = tmp_path / "run"
    run_notebook(notebook, out, parameters={"data_dir": str(data)}, on_error="quarantine",
                 pseudonymiser=Pseudonymiser(b"test-only-key-0123456789abcdef-runner"),
                 load_options={"timezone": "Europe/Berlin"})
    printed = _outputs_text(out / "lister.ipynb")
    assert "1 True 2026-01-01 09:00:00+00:00" in printed  # the bad row set aside, ids pseudonymised
    record = json.loads((out / "run.json").read_text())
    assert record["quarantine"]["total_rejected_rows"] == 1
    assert "raw data" in record["quarantine"]["note"]
    assert not (out / "rejected").exists()  # raw rows of a redacted run are never published
    published = (out / "run.json").read_text() + (out / "lister.html").read_text()
    assert not re.search(r"(?<![\w.])00456(?!\w)", published)  # a token, not digits of a timing
