"""Run the whole bad-input corpus (tests/corpus/expected.yaml) through the loaders."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tsinvest import exceptions
from tsinvest.exceptions import SchemaValidationError
from tsinvest.loading import load_report, load_table

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
CASES = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))


def test_every_corpus_file_has_a_case():
    files = {p.name for p in (CORPUS / "files").iterdir()}
    assert files == {case["file"] for case in CASES}


def _matches(problem, expected) -> bool:
    return (
        problem.column == expected["column"]
        and expected["reason"] in problem.reason
        and list(problem.rows) == expected["rows"]
    )


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_corpus_case(case, tmp_path):
    source = tmp_path / case["file"]
    shutil.copyfile(CORPUS / "files" / case["file"], source)  # side files go to tmp, not the repo
    options = case.get("options", {})
    if case["outcome"] == "refused":
        _check_refused(case, source, options, tmp_path)
        return
    if case["outcome"] == "error":
        with pytest.raises(SchemaValidationError) as caught:
            load_table(source, case["table"], **options)
        error = caught.value
        assert error.source == str(source) and case["file"] in str(error)
        for expected in case["problems"]:
            assert any(_matches(p, expected) for p in error.problems), (expected, error.problems)
        for secret in case.get("secret", []):
            assert secret not in str(error)
    else:
        frame = load_table(source, case["table"], **options)
        assert len(frame) == case["rows"]
        for column, values in case.get("values", {}).items():
            assert [None if pd.isna(v) else v for v in frame[column].tolist()] == values
        for column, lengths in case.get("text_lengths", {}).items():
            assert [None if pd.isna(v) else len(v) for v in frame[column].tolist()] == lengths
        if "ts_utc" in case:
            assert frame["ts"].tolist() == [pd.Timestamp(t) for t in case["ts_utc"]]
        assert str(frame[frame.columns[0]].dtype) == "string"
        notices = load_report(frame).notices
        for expected in case.get("notices", []):
            assert any(expected in notice for notice in notices), (expected, notices)
        if not case.get("notices"):
            assert notices == ()

    if case.get("fatal"):
        with pytest.raises(SchemaValidationError):
            load_table(source, case["table"], on_error="quarantine", **options)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = load_table(source, case["table"], on_error="quarantine", **options)
        report = load_report(frame)
        assert report.rows_loaded + report.rejected == case["input_rows"]
        if report.rejected:
            assert (Path(report.rejected_path).stat().st_mode & 0o777) == 0o600
            rejected = pd.read_csv(report.rejected_path, dtype=str, keep_default_na=False)
            assert len(rejected) == report.rejected
            assert (rejected["_reasons"] != "").all()
        elif case["outcome"] == "error":
            pytest.fail("an error case must reject at least one row in quarantine mode")


PWNED = "tsinvest_corpus_pwned"


def _check_refused(case, source, options, tmp_path):
    """Refused in both modes (a SQL input acting as code, an unreadable format); nothing it asked for exists."""
    error_type = getattr(exceptions, case.get("error", "UnsafeInputError"))
    for mode in ("raise", "quarantine"):
        with pytest.raises(error_type) as caught:
            load_table(source, case["table"], on_error=mode, **options)
        message = str(caught.value)
        assert case["reason"] in message and case["file"] in message
        assert "root:" not in message  # never a byte of what the attack tried to read
    for folder in (tmp_path, Path.cwd(), source.parent):
        assert not [p for p in folder.iterdir() if p.name.startswith(PWNED)]
