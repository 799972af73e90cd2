"""Evidence bundles: one zip with the report, the exported evidence and a hashed manifest.

A bundle is what gets attached to a case or handed to another team. It holds
every file of a run folder written by :func:`tsinvest.notebooks.runner.run_notebook`
(the HTML report, the executed notebook, ``run.json`` and the ``evidence/``
files: flagged accounts and edges as CSV and Excel, the graph file) plus
``manifest.json`` listing each file with its SHA-256 and size.

The zip is deterministic: entries are sorted, every timestamp is
1980-01-01 00:00, permissions are fixed, so the same run folder always gives
byte-identical bundles and the bundle's own SHA-256 can go in the case notes.

``redact=True`` is for bundles that leave the team: it accepts only a run
folder made by a redacted run (``tsinvest run --redact``, whose ``run.json``
carries a ``redacted`` note) and refuses any other. Redacting an ordinary run
folder afterwards cannot be done honestly: its plots are PNG images in which
account ids and usernames are pixels, out of reach of text replacement.

A bundle trusts ``run.json``, not the folder: ``run.json`` lists every file
the run wrote with its SHA-256, and a folder holding anything else (raw data
copied into a redacted run folder, a file edited after the run, a symbolic
link, which is never followed) is refused with the names of those files.
"""


from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tsinvest.exceptions import NotebookError, ParameterError
from tsinvest.files import atomic_write
from tsinvest.notebooks.provenance import file_sha256
from tsinvest.notebooks.runner import RUN_RECORD

__all__ = ["MANIFEST", "BUNDLE_FORMAT", "Bundle", "build_bundle", "default_bundle_path", "read_manifest"]

#: Name of the manifest inside the zip.
MANIFEST = "manifest.json"
#: Format tag written in the manifest, bumped when the layout changes.
BUNDLE_FORMAT = "tsinvest-evidence-bundle/1"

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Bundle:
    """A written bundle.

    Attributes
    ----------
    path : Path
        The zip file.
    sha256 : str
        SHA-256 of the zip itself.
    files : tuple of str
        Paths inside the zip, sorted (the manifest included).
    """

    path: Path
    sha256: str
    files: tuple[str, ...]


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, so the fixed permission bits below mean the same everywhere
    info.external_attr = 0o644 << 16
    return info


def _run_files(run_dir: Path, record: dict, out_resolved: Path) -> list[tuple[str, Path]]:
    """The files to bundle, after checking the folder against ``run.json``.

    Every file (hidden ones, ``failed-*`` notebooks and the bundle being
    written excepted) must be ``run.json`` itself or listed in its
    ``outputs`` with the same SHA-256; no entry may be a symbolic link.
    """
    listed = record.get("outputs")
    if not isinstance(listed, list) or not all(
        isinstance(item, dict) and isinstance(item.get("path"), str) and isinstance(item.get("sha256"), str)
        for item in listed
    ):
        raise NotebookError(
            f"{RUN_RECORD} in the run folder lists no output hashes (made by an older tsinvest, or not by "
            "`tsinvest run`), so its files cannot be checked; re-run the notebook into a new --out folder"
        )
    expected = {item["path"]: item["sha256"] for item in listed}
    links: list[str] = []
    unlisted: list[str] = []
    edited: list[str] = []
    found: dict[str, Path] = {}
    for current, folders, files in os.walk(run_dir):  # os.walk does not follow links
        base = Path(current)
        for name in sorted(folders + files):
            path = base / name
            relative = path.relative_to(run_dir).as_posix()
            if any(part.startswith(".") for part in Path(relative).parts):
                continue
            if path.is_symlink():
                links.append(relative)
                continue
            if name in folders or path.resolve() == out_resolved:
                continue
            if relative == RUN_RECORD or (name.startswith("failed-") and base == run_dir):
                continue
            if relative not in expected:
                unlisted.append(relative)
            elif file_sha256(path) != expected[relative]:
                edited.append(relative)
            else:
                found[relative] = path
        folders[:] = [name for name in folders if not name.startswith(".") and not (base / name).is_symlink()]
    missing = sorted(set(expected) - set(found) - set(edited))
    problems = []
    if links:
        problems.append(f"symbolic links are never bundled nor followed: {_names(links)}")
    if unlisted:
        problems.append(f"files the run did not write: {_names(unlisted)}")
    if edited:
        problems.append(f"files edited after the run (SHA-256 differs from {RUN_RECORD}): {_names(edited)}")
    if missing:
        problems.append(f"files {RUN_RECORD} lists but the folder lacks: {_names(missing)}")
    if problems:
        raise NotebookError(
            "the run folder does not match its run record; " + "; ".join(problems)
            + ". Remove what was added, or re-run the notebook into a new --out folder"
        )
    return sorted([(name, path) for name, path in found.items()] + [(RUN_RECORD, run_dir / RUN_RECORD)])


def _names(paths: list[str]) -> str:
    shown = ", ".join(f"'{path}'" for path in sorted(paths)[:5])
    return shown + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")


def default_bundle_path(run_dir: str | os.PathLike) -> Path:
    """Where ``tsinvest bundle RUN_DIR`` writes without ``--out``: ``RUN_DIR.zip``, or the first free ``RUN_DIR-N.zip``.

    The run folder's whole name is kept (``case.v1`` gives ``case.v1.zip``,
    not ``case.zip``), and an existing zip is never overwritten.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "case.v1"
    >>> default_bundle_path(folder).name
    'case.v1.zip'
    >>> _ = (folder.parent / "case.v1.zip").write_bytes(b"earlier bundle")
    >>> default_bundle_path(folder).name
    'case.v1-2.zip'
    """
    run_dir = Path(run_dir).resolve()
    candidate = run_dir.with_name(run_dir.name + ".zip")
    number = 2
    while candidate.exists() or candidate.is_symlink():
        candidate = run_dir.with_name(f"{run_dir.name}-{number}.zip")
        number += 1
    return candidate


def build_bundle(run_dir: str | os.PathLike, out: str | os.PathLike, *, redact: bool = False) -> Bundle:
    """Zip a run folder into a deterministic evidence bundle with a manifest.

    Parameters
    ----------
    run_dir : path
        A folder written by ``tsinvest run`` (it must hold ``run.json``,
        which lists every output with its SHA-256). Hidden files and
        ``failed-*`` notebooks are left out.
    out : path
        The zip to write (atomically, mode 0600). An existing file is never
        overwritten.
    redact : bool
        Require a redacted run (see the module docstring); the manifest then
        says ``"redacted": true``.

    Returns
    -------
    Bundle

    Raises
    ------
    NotebookError
        ``run_dir`` is not a completed run folder; it holds a symbolic link,
        a file the run did not write (e.g. raw data added to a redacted run
        folder) or a file edited after the run; or ``redact`` was asked for a
        run that was not redacted.
    ParameterError
        ``out`` already exists.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> run = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (run / "demo.html").write_text("<p>report</p>")
    >>> outputs = [{"path": "demo.html", "sha256": file_sha256(run / "demo.html")}]
    >>> _ = (run / "run.json").write_text(json.dumps({"notebook": "demo", "as_of": "2026-03-30T00:00:00Z",
    ...                                               "outputs": outputs}))
    >>> zips = pathlib.Path(tempfile.mkdtemp())
    >>> first = build_bundle(run, zips / "a.zip")
    >>> second = build_bundle(run, zips / "b.zip")
    >>> first.files
    ('demo.html', 'manifest.json', 'run.json')
    >>> first.sha256 == second.sha256
    True
    >>> build_bundle(run, zips / "c.zip", redact=True)
    Traceback (most recent call last):
    ...
    tsinvest.exceptions.NotebookError: this run folder was not made by a redacted run...
    >>> _ = (run / "raw.csv").write_text("account_id,00123")
    >>> build_bundle(run, zips / "d.zip")
    Traceback (most recent call last):
    ...
    tsinvest.exceptions.NotebookError: the run folder does not match its run record; files the run did not write: ...
    """
    run_dir = Path(run_dir)
    record_path = run_dir / RUN_RECORD
    if run_dir.is_symlink() or record_path.is_symlink():
        raise NotebookError("the run folder or its run.json is a symbolic link; bundle the real folder")
    if not record_path.is_file():
        raise NotebookError(
            f"'{run_dir.name}' is not a completed run folder (no {RUN_RECORD}); "
            "create one with `tsinvest run NOTEBOOK --data DATA --out RUN_DIR`"
        )
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except ValueError:
        raise NotebookError(f"{RUN_RECORD} in the run folder is not valid JSON; re-run the notebook") from None
    redacted = isinstance(record, dict) and isinstance(record.get("redacted"), dict)
    if redact and not redacted:
        # Text replacement cannot reach ids drawn into PNG plots: refuse rather than pretend.
        raise NotebookError(
            "this run folder was not made by a redacted run, so its report and plots hold raw identifiers "
            "that cannot be removed afterwards; re-run it with `tsinvest run NOTEBOOK --data DATA --out RUN_DIR "
            "--redact` (key in TSINVEST_PSEUDONYM_KEY or --key-file) and bundle that folder"
        )

    out = Path(out)
    out_resolved = out.resolve()
    if out.exists() or out.is_symlink():
        raise ParameterError(
            f"'{out.name}' already exists and tsinvest does not overwrite bundles; choose another --out "
            "(without --out a free name is picked)"
        )
    if not isinstance(record, dict):
        raise NotebookError(f"{RUN_RECORD} in the run folder is not a run record; re-run the notebook")
    entries_found = _run_files(run_dir, record, out_resolved)
    names = [name for name, _ in entries_found]
    files = [path for _, path in entries_found]
    if MANIFEST in names:
        raise NotebookError(f"the run folder already holds a {MANIFEST}; it would clash with the bundle's own")
    manifest = {
        "format": BUNDLE_FORMAT,
        "notebook": record.get("notebook"),
        "as_of": record.get("as_of"),
        "parameters": record.get("parameters", {}),
        "files": [
            {"path": name, "sha256": file_sha256(path), "bytes": path.stat().st_size}
            for name, path in zip(names, files, strict=True)
        ],
    }
    if redacted:
        manifest["redacted"] = True
    manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")

    entries = sorted([*zip(names, files, strict=True), (MANIFEST, None)], key=lambda item: item[0])
    with atomic_write(out, overwrite=False) as temporary:
        _write_zip(temporary, entries, manifest_bytes)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    return Bundle(path=out, sha256=digest, files=tuple(name for name, _ in entries))


def read_manifest(bundle: str | os.PathLike, *, verify: bool = True) -> dict:
    """Read a bundle's manifest; with ``verify``, check every file's SHA-256.

    Raises
    ------
    NotebookError
        A file is missing or its hash differs from the manifest.
    """
    with zipfile.ZipFile(bundle) as archive:
        try:
            manifest = json.loads(archive.read(MANIFEST))
        except KeyError:
            raise NotebookError(f"not a tsinvest evidence bundle: no {MANIFEST}") from None
        if verify:
            present = set(archive.namelist())
            for item in manifest.get("files", []):
                if item["path"] not in present:
                    raise NotebookError(f"bundle is missing '{item['path']}' listed in the manifest")
                if hashlib.sha256(archive.read(item["path"])).hexdigest() != item["sha256"]:
                    raise NotebookError(f"'{item['path']}' in the bundle does not match its manifest hash")
    return manifest


def _write_zip(path: Path, entries: list[tuple[str, Path | None]], manifest_bytes: bytes) -> None:
    """The zip itself: entries in name order, the manifest's bytes where its path is None."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, source in entries:
            data = manifest_bytes if source is None else source.read_bytes()
            archive.writestr(_entry(name), data)
