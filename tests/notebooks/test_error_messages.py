"""User-facing errors (loader, keys, runner, parameters) never print row values or account ids.

Error text is printed by the CLI, saved in notebooks and pasted into tickets,
so it must name the column, row number, parameter or file and the next step,
never a value. Each test feeds hostile, identifying values (ids, usernames,
emails, markup, formulas) and asserts none of them appears in the message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tsinvest.cli import main
from tsinvest.exceptions import MissingKeyError, NotebookError, ParameterError, SchemaValidationError
from tsinvest.loading import load_dir
from tsinvest.notebooks.catalogue import NotebookParameter, coerce_parameter
from tsinvest.notebooks.runner import run_notebook
from tsinvest.reporting import Pseudonymiser

ACCOUNT = "7208745241651240006"
HOSTILE = (
    ACCOUNT,
    "0042",
    "secret_user_zq",
    "victim@example.org",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://evil.example")',
    "not-a-date-zq",
    "198.51.100.77",
    "-5zq",
)


def _assert_clean(message: str) -> None:
    assert message  # an empty message would pass trivially
    leaked = [value for value in HOSTILE if value in message]
    assert not leaked, f"{len(leaked)} raw value(s) in the message"


@pytest.fixture
def hostile_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "hostile"
    folder.mkdir()
    (folder / "accounts.csv").write_text(
        "account_id,created_at,username,display_name,follower_count\n"
        f"{ACCOUNT},2026-01-01T00:00:00Z,secret_user_zq,victim@example.org,3\n"
        f"{ACCOUNT},not-a-date-zq,<script>alert(1)</script>,x,-5zq\n"
        ',2026-01-01T00:00:00Z,"=HYPERLINK(""http://evil.example"")",y,0042\n'
    )
    (folder / "logins.csv").write_text("account_id,ts,ip\n0042,not-a-date-zq,198.51.100.77\n")
    return folder


def test_schema_validation_error_names_columns_and_rows_only(hostile_dir: Path):
    with pytest.raises(SchemaValidationError) as caught:
        load_dir(hostile_dir)
    message = str(caught.value)
    assert "account_id" in message and "rows 1, 2" in message  # it does say where
    _assert_clean(message)


def test_redacted_run_on_hostile_data_fails_cleanly(hostile_dir: Path, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("TSINVEST_PSEUDONYM_KEY", "test-only-key-0123456789abcdef-error-messages")
    out = tmp_path / "out"
    assert main(["run", "coordinated_abuse", "--data", str(hostile_dir), "--out", str(out), "--redact"]) == 1
    captured = capsys.readouterr()
    assert "not a valid" in captured.err
    _assert_clean(captured.err + captured.out)
    assert not [path for path in out.rglob("*")]  # no pseudonymised copy or partial report left behind


def test_missing_and_short_keys(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("TSINVEST_PSEUDONYM_KEY", raising=False)
    with pytest.raises(MissingKeyError) as unset:
        Pseudonymiser.from_env()
    assert "TSINVEST_PSEUDONYM_KEY" in str(unset.value)
    # A too-short key is itself secret: the message gives its length, never its text.
    monkeypatch.setenv("TSINVEST_PSEUDONYM_KEY", "0042")
    with pytest.raises(MissingKeyError) as short:
        Pseudonymiser.from_env()
    key_file = tmp_path / "key.txt"
    key_file.write_text("secret_user_zq")
    with pytest.raises(MissingKeyError) as short_file:
        Pseudonymiser.from_key_file(key_file)
    for error in (unset, short, short_file):
        _assert_clean(str(error.value))


def test_notebook_failure_names_the_cell_not_the_exception_text(tmp_path: Path, notebook_factory):
    notebook = notebook_factory(
        tmp_path / "leaky.ipynb",
        f'account_id: str = "{ACCOUNT}"',
        "raise ValueError('account ' + account_id + ' <script>alert(1)</script> victim@example.org')",
    )
    with pytest.raises(NotebookError) as caught:
        run_notebook(notebook, tmp_path / "run", parameters={"account_id": "0042"})
    message = str(caught.value)
    assert "cell" in message and "ValueError" in message
    _assert_clean(message)


def test_bad_parameters_name_the_parameter_not_the_value(tmp_path: Path, capsys, notebook_factory):
    for type_name in ("int", "float", "bool", "list[int]"):
        with pytest.raises(ParameterError) as caught:
            coerce_parameter(NotebookParameter("hops", type_name, "1"), f"{ACCOUNT}secret_user_zq")
        assert "hops" in str(caught.value)
        _assert_clean(str(caught.value))
    with pytest.raises(ParameterError) as caught:
        coerce_parameter(NotebookParameter("seeds", "list[str]", "[]"), f'["{ACCOUNT}", ')
    _assert_clean(str(caught.value))

    notebook = notebook_factory(tmp_path / "probe.ipynb", "hops: int = 1")
    with pytest.raises(ParameterError) as unknown:
        run_notebook(notebook, tmp_path / "run", parameters={"hops": 1, "bogus": ACCOUNT})
    assert "bogus" in str(unknown.value)
    _assert_clean(str(unknown.value))

    assert main(["run", "case_file", "--data", str(tmp_path), "--out", str(tmp_path / "x"),
                 "-p", "seed", f"{ACCOUNT}secret_user_zq"]) == 1
    captured = capsys.readouterr()
    assert "seed" in captured.err
    _assert_clean(captured.err + captured.out)
