"""Redacted runs: `tsinvest run --redact` + `tsinvest bundle --redact` leak no raw identifier.

One session fixture runs each notebook once (coordinated_abuse from the
environment key, case_file from a ticket with ``--key-file``), bundles both
with ``--redact`` and unzips the bundles; the tests then grep every byte of
every output for every raw identifier of ``data_samples``.

What counts as a raw identifier: every value of every id column of every
canonical table (``schemas.TABLES[...].id_columns``: account, target, report,
content, ticket ids, IPs, device ids), plus usernames and display names of
at least :data:`MIN_NAME_LENGTH` characters. Shorter names ("omg", "+1",
"-2") are skipped because they occur by chance in ordinary text, CSS and
base64 image data, so a hit would say nothing; a six-character name is
unlikely to appear by chance in the few megabytes scanned.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from tsinvest.cli import main
from tsinvest.reporting import Pseudonymiser
from tsinvest.schemas import TABLES

pytestmark = pytest.mark.notebook

SAMPLE = Path(__file__).resolve().parents[2] / "data_samples"
KEY = "test-only-key-0123456789abcdef-redacted-runs"
TICKET = "ESC-188732"
MIN_NAME_LENGTH = 6


def raw_identifiers() -> set[str]:
    """Every raw identifier of data_samples (see the module docstring)."""
    found: set[str] = set()
    for table, spec in TABLES.items():
        path = SAMPLE / f"{table}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in spec.id_columns:
            if column in frame.columns:
                found.update(value for value in frame[column] if value)
        for column in ("username", "display_name"):
            if column in frame.columns:
                found.update(value for value in frame[column] if len(value) >= MIN_NAME_LENGTH)
    return found


def _trie_pattern(words: set[str]) -> re.Pattern:
    """One regex matching any of ``words`` as a plain substring (a trie, so it scans in one pass)."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = []
        for char, child in sorted(node.items()):
            if not char:
                continue
            # Chains of single children become one literal: recursion depth follows
            # branch points, not name length (one hostile username is 2 000+ characters).
            while len(child) == 1 and "" not in child:
                (next_char, child), = child.items()
                char += next_char
            branches.append(re.escape(char) + build(child))
        if not branches:
            return ""
        body = "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return re.compile(build(trie))


def output_texts(root: Path) -> dict[str, str]:
    """Every file under ``root`` as text, xlsx/zip members unpacked, plus every file and member name."""
    texts: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        texts[f"name:{relative}"] = relative
        if not path.is_file():
            continue
        data = path.read_bytes()
        texts[relative] = data.decode("utf-8", "replace")
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    texts[f"name:{relative}!{member}"] = member
                    inner = archive.read(member)
                    texts[f"{relative}!{member}"] = inner.decode("utf-8", "replace")
                    if member.endswith(".xlsx"):
                        nested = root / ".nested.xlsx"
                        nested.write_bytes(inner)
                        with zipfile.ZipFile(nested) as sheet:
                            for part in sheet.namelist():
                                texts[f"{relative}!{member}!{part}"] = sheet.read(part).decode("utf-8", "replace")
                        nested.unlink()
    return texts


@pytest.fixture(scope="session")
def identifiers() -> tuple[set[str], re.Pattern]:
    found = raw_identifiers()
    return found, _trie_pattern(found)


@pytest.fixture(scope="session")
def redacted_runs(tmp_path_factory):
    """Both notebooks run once with --redact, bundled with --redact and unzipped."""
    root = tmp_path_factory.mktemp("redacted")
    key_file = tmp_path_factory.mktemp("keys") / "pseudonym.key"
    key_file.write_text(KEY + "\n")
    patch = pytest.MonkeyPatch()
    patch.setenv("TSINVEST_PSEUDONYM_KEY", KEY)
    try:
        coordinated = root / "coordinated"
        assert main(["run", "coordinated_abuse", "--data", str(SAMPLE), "--out", str(coordinated), "--redact"]) == 0
        patch.delenv("TSINVEST_PSEUDONYM_KEY")  # the second run gets its key from the file only
        case = root / "case"
        assert main(["run", "case_file", "--data", str(SAMPLE), "--out", str(case), "--redact",
                     "--key-file", str(key_file), "-p", "ticket_id", TICKET, "-p", "account_id", "None"]) == 0
    finally:
        patch.undo()
    for name in ("coordinated", "case"):
        assert main(["bundle", str(root / name), "--out", str(root / f"{name}.zip"), "--redact"]) == 0
        with zipfile.ZipFile(root / f"{name}.zip") as archive:
            archive.extractall(root / f"{name}-unzipped")
    return root


def test_scanner_finds_raw_identifiers_in_raw_data(identifiers, tmp_path: Path):
    # The leak scan must be able to fail: it finds ids in the raw inputs and inside an xlsx.
    found, pattern = identifiers
    assert len(found) > 20_000
    raw = output_texts(SAMPLE)
    assert pattern.search(raw["logins.csv"]) and pattern.search(raw["escalations.csv"])
    pd.DataFrame({"account_id": ["7208745241651240006"]}).to_excel(tmp_path / "x.xlsx", index=False)
    assert any(pattern.search(text) for name, text in output_texts(tmp_path).items() if "!xl/" in name)


def test_no_raw_identifier_in_any_output(redacted_runs: Path, identifiers):
    _, pattern = identifiers
    texts = output_texts(redacted_runs)
    kinds = {name.rsplit(".", 1)[-1] for name in texts if not name.startswith("name:")}
    assert {"ipynb", "html", "json", "csv", "xlsx", "graphml", "zip", "xml"} <= kinds
    leaks = {name: sorted({match.group(0) for match in pattern.finditer(text)}) for name, text in texts.items()}
    leaks = {name: found for name, found in leaks.items() if found}
    # Name the files, and only how many ids: the ids themselves must not land in CI logs.
    assert not leaks, {name: len(found) for name, found in leaks.items()}


def test_no_local_path_in_any_output(redacted_runs: Path):
    texts = output_texts(redacted_runs)
    for forbidden in (str(redacted_runs), str(SAMPLE), "data_samples/", ".tsinvest-run-"):
        assert not [name for name, text in texts.items() if forbidden in text], forbidden


def test_provenance_records_a_redacted_run(redacted_runs: Path):
    record = json.loads((redacted_runs / "coordinated" / "run.json").read_text())
    assert record["data_dir"] == "<redacted>"
    assert record["parameters"]["data_dir"] == "<redacted>"
    assert "pseudonym" in record["redacted"]["note"]
    assert sorted(item["name"] for item in record["inputs"]) == sorted(f"{table}.parquet" for table in TABLES)
    assert all(len(item["sha256"]) == 64 and item["rows"] > 0 for item in record["inputs"])
    # Same key, same check value, whether it came from the environment or a key file.
    case_record = json.loads((redacted_runs / "case" / "run.json").read_text())
    assert case_record["redacted"]["key_check"] == record["redacted"]["key_check"]
    manifest = json.loads((redacted_runs / "case-unzipped" / "manifest.json").read_text())
    assert manifest["redacted"] is True
    assert manifest["parameters"]["ticket_id"] == Pseudonymiser(KEY.encode()).pseudonym(TICKET, kind="ticket")


def test_redacted_case_file_targets_the_tickets_subject(redacted_runs: Path):
    pseudonymiser = Pseudonymiser(KEY.encode())
    escalations = pd.read_csv(SAMPLE / "escalations.csv", dtype=str)
    subject = escalations.loc[escalations["ticket_id"] == TICKET, "subject_account_id"].item()
    report = (redacted_runs / "case" / "case_file.html").read_text()
    assert report.count(pseudonymiser.pseudonym(subject, kind="acct")) >= 3
    assert "not in the accounts table" not in report
    executed = nbformat.read(str(redacted_runs / "case" / "case_file.ipynb"), as_version=4)
    assert "widgets" not in executed.metadata
    assert executed.metadata["papermill"]["input_path"] == "case_file.ipynb"


def test_redacted_coordinated_abuse_still_finds_the_planted_campaigns(redacted_runs: Path):
    pseudonymiser = Pseudonymiser(KEY.encode())
    truth = json.loads((SAMPLE / "truth.json").read_text())
    planted = {pseudonymiser.pseudonym(account, kind="acct")
               for campaign in truth["campaigns"] for account in campaign["accounts"]}
    flagged = pd.read_csv(redacted_runs / "coordinated" / "evidence" / "flagged_accounts.csv",
                          dtype=str, encoding="utf-8-sig")
    ids = set(flagged["account_id"])
    assert ids and all(value.startswith("acct_") for value in ids)
    assert len(ids & planted) / len(ids) > 0.8


def test_bundle_redact_refuses_an_unredacted_run(tmp_path: Path, capsys):
    run = tmp_path / "plain"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"notebook": "coordinated_abuse", "as_of": None}))
    (run / "coordinated_abuse.html").write_text("<p>report</p>")
    assert main(["bundle", str(run), "--out", str(tmp_path / "plain.zip"), "--redact"]) == 1
    error = capsys.readouterr().err
    assert "tsinvest run" in error and "--redact" in error
    assert not (tmp_path / "plain.zip").exists()
    assert main(["bundle", str(run), "--out", str(tmp_path / "plain.zip")]) == 0  # unredacted bundles still work


def test_missing_key_is_a_clear_error_and_writes_nothing(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.delenv("TSINVEST_PSEUDONYM_KEY", raising=False)
    out = tmp_path / "out"
    assert main(["run", "coordinated_abuse", "--data", str(SAMPLE), "--out", str(out), "--redact"]) == 1
    error = capsys.readouterr().err
    assert "TSINVEST_PSEUDONYM_KEY" in error and "key" in error
    assert not out.exists()
    assert main(["run", "coordinated_abuse", "--data", str(SAMPLE), "--out", str(out), "--redact",
                 "--key-file", str(tmp_path / "absent.key")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["run", "coordinated_abuse", "--data", str(SAMPLE), "--out", str(out),
                 "--key-file", str(tmp_path / "absent.key")]) == 1
    assert "--redact" in capsys.readouterr().err
    assert not out.exists()
