from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tsinvest.cli import main
from tsinvest.exceptions import NotebookError
from tsinvest.notebooks.bundle import build_bundle, read_manifest
from tsinvest.notebooks.provenance import file_sha256


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "run"
    (folder / "evidence").mkdir(parents=True)
    (folder / "demo.html").write_text("<p>report</p>")
    (folder / "demo.ipynb").write_text("{}")
    (folder / "evidence" / "flagged_accounts.csv").write_text("account_id\n00123\n")
    (folder / "evidence" / "graph.graphml").write_text("<graphml/>")
    outputs = [{"path": name, "sha256": file_sha256(folder / name)}
               for name in ("demo.html", "demo.ipynb", "evidence/flagged_accounts.csv", "evidence/graph.graphml")]
    (folder / "run.json").write_text(json.dumps({"notebook": "demo", "as_of": "2026-03-30T00:00:00Z",
                                                 "parameters": {"account_id": "00123"}, "outputs": outputs}))
    (folder / "failed-demo.ipynb").write_text("{}")
    (folder / ".scratch").write_text("hidden")
    return folder


def test_bundle_is_deterministic_sorted_and_hashed(run_dir: Path, tmp_path: Path):
    first = build_bundle(run_dir, tmp_path / "one.zip")
    # Touch every file: modification times must not leak into the zip.
    for path in run_dir.rglob("*"):
        if path.is_file():
            path.write_bytes(path.read_bytes())
    second = build_bundle(run_dir, tmp_path / "two.zip")
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.sha256 == second.sha256 == file_sha256(first.path)

    expected = ["demo.html", "demo.ipynb", "evidence/flagged_accounts.csv", "evidence/graph.graphml",
                "manifest.json", "run.json"]
    with zipfile.ZipFile(first.path) as archive:
        infos = archive.infolist()
        assert [info.filename for info in infos] == expected
        assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["notebook"] == "demo"
    assert manifest["parameters"] == {"account_id": "00123"}
    listed = {item["path"]: item["sha256"] for item in manifest["files"]}
    assert set(listed) == set(expected) - {"manifest.json"}
    assert listed["evidence/flagged_accounts.csv"] == file_sha256(run_dir / "evidence" / "flagged_accounts.csv")
    assert read_manifest(first.path)["format"] == "tsinvest-evidence-bundle/1"


def test_tampered_bundle_fails_verification(run_dir: Path, tmp_path: Path):
    bundle = build_bundle(run_dir, tmp_path / "b.zip")
    tampered = tmp_path / "t.zip"
    with zipfile.ZipFile(bundle.path) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, b"<p>edited</p>" if info.filename == "demo.html" else data)
    with pytest.raises(NotebookError, match="demo.html"):
        read_manifest(tampered)


def test_bundle_refuses_a_folder_that_is_not_a_run(tmp_path: Path, capsys):
    with pytest.raises(NotebookError, match="run.json"):
        build_bundle(tmp_path, tmp_path.parent / "x.zip")
    assert main(["bundle", str(tmp_path), "--out", str(tmp_path / "x.zip")]) == 1
    assert not (tmp_path / "x.zip").exists()


def test_bundle_cli_prints_path_and_hash(run_dir: Path, tmp_path: Path, capsys):
    assert main(["bundle", str(run_dir), "--out", str(tmp_path / "case.zip")]) == 0
    printed = capsys.readouterr().out
    assert str(tmp_path / "case.zip") in printed
    assert f"sha256: {file_sha256(tmp_path / 'case.zip')}" in printed


# --- issue 13: the folder must match run.json; nothing is overwritten -------------------------


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda folder: (folder / "evidence" / "raw_accounts.csv").write_text("account_id\n00123\n"), "did not write"),
        (lambda folder: (folder / "demo.html").write_text("<p>edited</p>"), "edited after the run"),
        (lambda folder: (folder / "passwd").symlink_to("/etc/passwd"), "symbolic link"),
        (lambda folder: (folder / "evidence" / "graph.graphml").unlink(), "lacks"),
        (lambda folder: (folder / "linked").symlink_to(folder / "evidence", target_is_directory=True), "symbolic link"),
    ],
)
def test_bundle_refuses_a_folder_that_does_not_match_its_record(run_dir, tmp_path, capsys, change, expected):
    change(run_dir)
    with pytest.raises(NotebookError, match=expected):
        build_bundle(run_dir, tmp_path / "b.zip")
    assert main(["bundle", str(run_dir), "--out", str(tmp_path / "b.zip")]) == 1
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "b.zip").exists()


def test_bundle_never_reads_through_a_link(run_dir, tmp_path):
    (run_dir / "evidence" / "flagged_accounts.csv").unlink()
    (run_dir / "evidence" / "flagged_accounts.csv").symlink_to("/etc/passwd")
    with pytest.raises(NotebookError, match="symbolic link"):
        build_bundle(run_dir, tmp_path / "b.zip")


def test_bundle_without_out_never_overwrites_and_keeps_the_folder_name(tmp_path, run_dir, capsys):
    versioned = run_dir.rename(tmp_path / "case.v1")
    earlier = tmp_path / "case.zip"
    earlier.write_bytes(b"someone's earlier bundle")
    assert main(["bundle", str(versioned)]) == 0
    assert (tmp_path / "case.v1.zip").is_file() and earlier.read_bytes() == b"someone's earlier bundle"
    assert main(["bundle", str(versioned)]) == 0
    assert (tmp_path / "case.v1-2.zip").is_file()
    assert (tmp_path / "case.v1.zip").read_bytes() == (tmp_path / "case.v1-2.zip").read_bytes()
    printed = capsys.readouterr().out
    assert "case.v1-2.zip" in printed
    assert main(["bundle", str(versioned), "--out", str(earlier)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert earlier.read_bytes() == b"someone's earlier bundle"
    assert oct((tmp_path / "case.v1.zip").stat().st_mode & 0o777) == "0o600"


def test_bundle_refuses_a_record_without_hashes(run_dir, tmp_path):
    (run_dir / "run.json").write_text(json.dumps({"notebook": "demo", "outputs": ["demo.html"]}))
    with pytest.raises(NotebookError, match="no output hashes"):
        build_bundle(run_dir, tmp_path / "b.zip")
