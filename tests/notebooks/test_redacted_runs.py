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
#: Identifier-like text the hostile rows below put into the data, in every
#: kind of column (vocabularies, extra columns, free text); scanned for in any
#: letter case. Short hostile values (``None``, ``import``, ``7``) cannot be
#: scanned (they occur in any notebook's code); their test is that the runs
#: succeed and pseudonymise them.
HOSTILE_TOKENS = ("ring.leader@example.org", "+44 20 7946 0000", "7946 0000", "6 12 34 56 78",
                  "unknown_handle_zz", "dailypriya64", "555) 010-9999", "7208745241651240006")


def hostile_copy(folder: Path) -> Path:
    """data_samples plus rows that broke redaction in the issue-13 attack (see HOSTILE_TOKENS)."""
    folder.mkdir()
    frames = {path.stem: pd.read_csv(path, dtype=str, keep_default_na=False) for path in SAMPLE.glob("*.csv")}
    escalations = frames["escalations"]
    subject = escalations.loc[escalations["ticket_id"] == TICKET, "subject_account_id"].item()
    accounts = frames["accounts"]
    accounts["phone"] = ""
    frames["accounts"] = pd.concat([accounts, pd.DataFrame([
        {"account_id": "7", "created_at": "2024-01-01T00:00:00Z", "username": "None", "display_name": "import",
         "country": "7208745241651240006", "follower_count": "1", "status": "@dailypriya64",
         "phone": "+44 20 7946 0000"},
        {"account_id": "0000000000000000042", "created_at": "2024-01-02T00:00:00Z", "username": "import",
         "display_name": "True", "country": "DE", "follower_count": "2", "status": "active",
         "phone": "+33 6 12 34 56 78"},
    ])])
    frames["reports"] = pd.concat([frames["reports"], pd.DataFrame([
        {"report_id": "7", "reporter_id": "7", "target_account_id": subject, "policy": "spam",
         "ts": "2026-03-20T10:00:00Z", "target_content_id": ""},
        {"report_id": "8", "reporter_id": "0000000000000000042", "target_account_id": subject,
         "policy": "call +1 (555) 010-9999", "ts": "2026-03-21T10:00:00Z", "target_content_id": ""},
    ])])
    text = ("hey @NONE and @Import, see ref_7208745241651240006 or 7208745241651240006x, mail Ring.Leader@Example.org, "
            "call +44 20 7946 0000, @DailyPriya64 @unknown_handle_zz")
    frames["events"] = pd.concat([frames["events"], pd.DataFrame([
        {"account_id": "7", "action": "comment", "target_id": "7417406850307991682", "ts": "2026-03-20T10:00:00Z",
         "text": text, "target_type": "video"},
        {"account_id": "0000000000000000042", "action": "follow", "target_id": subject, "ts": "2026-03-20T11:00:00Z",
         "text": "", "target_type": "@dailypriya64"},
    ])])
    frames["escalations"] = pd.concat([escalations, pd.DataFrame([
        {"ticket_id": "ESC-000007", "channel": "partner", "subject_account_id": "7", "policy": "spam",
         "priority": "7208745241651240006", "opened_at": "2026-03-20T10:00:00Z", "status": "open",
         "due_at": "", "summary": text},
    ])])
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def raw_identifiers(folder: Path = SAMPLE) -> set[str]:
    """Every raw identifier of a data folder (see the module docstring)."""
    found: set[str] = set()
    for table, spec in TABLES.items():
        path = folder / f"{table}.csv"
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
def hostile_data(tmp_path_factory) -> Path:
    return hostile_copy(tmp_path_factory.mktemp("hostile") / "data")


@pytest.fixture(scope="session")
def identifiers(hostile_data) -> tuple[set[str], re.Pattern]:
    # Hostile names that are Python words occur in every notebook's code; their test is that the runs succeed.
    code_words = {"None", "import", "True", "print"}
    found = raw_identifiers() | {value for value in raw_identifiers(hostile_data) if len(value) >= 2} - code_words
    return found, _trie_pattern(found)


@pytest.fixture(scope="session")
def redacted_runs(tmp_path_factory, hostile_data):
    """Both notebooks run once with --redact on the hostile copy, bundled with --redact and unzipped."""
    root = tmp_path_factory.mktemp("redacted")
    key_file = tmp_path_factory.mktemp("keys") / "pseudonym.key"
    key_file.write_text(KEY + "\n")
    patch = pytest.MonkeyPatch()
    patch.setenv("TSINVEST_PSEUDONYM_KEY", KEY)
    try:
        coordinated = root / "coordinated"
        arguments = ["run", "coordinated_abuse", "--data", str(hostile_data), "--out", str(coordinated), "--redact"]
        assert main(arguments) == 0
        patch.delenv("TSINVEST_PSEUDONYM_KEY")  # the second run gets its key from the file only
        case = root / "case"
        assert main(["run", "case_file", "--data", str(hostile_data), "--out", str(case), "--redact",
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
    folded = {name: text.casefold() for name, text in texts.items()}
    hostile = {name: [token for token in HOSTILE_TOKENS if token.casefold() in text] for name, text in folded.items()}
    assert not {name: found for name, found in hostile.items() if found}


def test_run_record_says_how_each_column_was_treated(redacted_runs: Path):
    record = json.loads((redacted_runs / "case" / "run.json").read_text())
    treatments = {(item["table"], item["column"]): item for item in record["redacted"]["columns"]}
    assert treatments[("accounts", "phone")]["treatment"] == "pseudonymised"
    assert treatments[("accounts", "status")]["treatment"] == "partly-pseudonymised"
    assert treatments[("accounts", "country")]["treatment"] == "partly-pseudonymised"
    assert treatments[("reports", "policy")]["treatment"] == "partly-pseudonymised"
    assert treatments[("events", "action")]["treatment"] == "raw"
    assert treatments[("events", "text")]["treatment"] == "text-redacted"
    assert treatments[("accounts", "username")]["treatment"] == "pseudonymised"
    assert "dailypriya64" not in json.dumps(record["redacted"]).casefold()


def test_no_local_path_in_any_output(redacted_runs: Path):
    texts = output_texts(redacted_runs)
    for forbidden in (str(redacted_runs), str(SAMPLE), "data_samples/", ".tsinvest-run-"):
        assert not [name for name, text in texts.items() if forbidden in text], forbidden


def test_provenance_records_a_redacted_run(redacted_runs: Path):
    record = json.loads((redacted_runs / "coordinated" / "run.json").read_text())
    assert record["data_dir"] == "<redacted>"
    assert record["parameters"]["data_dir"] == "<redacted>"
    assert "pseudonym" in record["redacted"]["note"]
    assert sorted(item["name"] for item in record["inputs"]) == sorted(
        f"{table}.parquet" for table in TABLES if (SAMPLE / f"{table}.csv").exists())
    assert all(len(item["sha256"]) == 64 and item["rows"] > 0 for item in record["inputs"])
    # Same key, same check value, whether it came from the environment or a key file.
    case_record = json.loads((redacted_runs / "case" / "run.json").read_text())
    assert case_record["redacted"]["key_check"] == record["redacted"]["key_check"]
    assert record["redacted"]["key_check"] == Pseudonymiser(KEY.encode()).key_check()
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
    (run / "coordinated_abuse.html").write_text("<p>report</p>")
    digest = hashlib.sha256(b"<p>report</p>").hexdigest()
    (run / "run.json").write_text(json.dumps({"notebook": "coordinated_abuse", "as_of": None,
                                              "outputs": [{"path": "coordinated_abuse.html", "sha256": digest}]}))
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


def test_hostile_values_never_rewrite_notebook_code(notebook_factory, tmp_path: Path, monkeypatch):
    """Usernames ``None``/``import``/``json``/``hops`` and account ids ``7``/``1``: the code runs unchanged."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "accounts.csv").write_text(
        "account_id,created_at,username,display_name\n"
        "7,2026-01-01T00:00:00Z,None,import\n1,2026-01-01T00:00:00Z,json,print\n"
        "00123,2026-01-01T00:00:00Z,hops,True\n"
    )
    code = (
        "import json, pathlib  # 7 and None are words here, so is @hops\n"
        "print(json.dumps({'account_id': account_id, 'hops': hops, 'end': end, 'end_is_none': end is None, "
        "'seven': 7, 'default': default_account}))"
    )
    notebook = notebook_factory(
        tmp_path / "probe.ipynb",
        'data_dir: str = "../data"\naccount_id: str = "00123"  # subject 00123, see @hops\nhops: int = 1\n'
        'end: "Optional[str]" = None\nas_of: str = "2026-03-30T00:00:00Z"\ndefault_account: str = "00123"',
        code,
    )
    monkeypatch.setenv("TSINVEST_PSEUDONYM_KEY", KEY)
    out = tmp_path / "out"
    arguments = ["run", str(notebook), "--data", str(data), "--out", str(out), "--redact", "-p", "account_id", "7"]
    assert main(arguments) == 0
    pseudonymiser = Pseudonymiser(KEY.encode())
    executed = nbformat.read(str(out / "probe.ipynb"), as_version=4)
    printed = json.loads(executed.cells[-1].outputs[0]["text"])
    assert printed == {"account_id": pseudonymiser.pseudonym("7"), "hops": 1, "end": None, "end_is_none": True,
                       "seven": 7, "default": pseudonymiser.pseudonym("00123")}
    # The code is the committed code; only the comment's words were redacted.
    assert executed.cells[-1].source.split("#")[0] == code.split("#")[0]
    assert executed.cells[-1].source.splitlines()[1] == code.splitlines()[1]
    assert "@hops" not in executed.cells[-1].source
    # As a token: papermill's timing metadata ("duration": 0.001231) may hold the digits by chance.
    assert not re.search(r"(?<![\w.])00123(?!\w)", (out / "probe.ipynb").read_text())
    parameters_cell = next(cell for cell in executed.cells if "parameters" in cell.metadata.get("tags", []))
    assert "hops: int = 1" in parameters_cell.source and 'end: "Optional[str]" = None' in parameters_cell.source


def test_redacted_quarantine_run_counts_rejected_rows_and_keeps_none(notebook_factory, tmp_path: Path, monkeypatch):
    loader = notebook_factory(
        tmp_path / "loader.ipynb",
        'data_dir: str = "../data"\nas_of: str = "2026-03-30T00:00:00Z"',
        "from tsinvest.loading import load_dir\nprint(len(load_dir(data_dir)['accounts']), 'clean rows')",
    )
    data = tmp_path / "data"
    data.mkdir()
    (data / "accounts.csv").write_text(
        "account_id,created_at,username\n00123,2026-01-01T00:00:00Z,a\n0042,not-a-date,secret_user_zq\n"
    )
    monkeypatch.setenv("TSINVEST_PSEUDONYM_KEY", KEY)
    out = tmp_path / "out"
    with pytest.warns(Warning):
        assert main(["run", str(loader), "--data", str(data), "--out", str(out), "--redact",
                     "--on-error", "quarantine"]) == 0
    record = json.loads((out / "run.json").read_text())
    assert record["quarantine"]["total_rejected_rows"] == 1 and "deleted" in record["quarantine"]["note"]
    assert sorted(path.name for path in out.iterdir()) == ["loader.html", "loader.ipynb", "run.json"]
    assert not [path for path in out.rglob("*") if "secret_user_zq" in path.read_text(errors="replace")]
