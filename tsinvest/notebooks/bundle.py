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
"""


from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tsinvest.exceptions import NotebookError
from tsinvest.notebooks.provenance import file_sha256
from tsinvest.notebooks.runner import RUN_RECORD

__all__ = ["MANIFEST", "BUNDLE_FORMAT", "Bundle", "build_bundle", "read_manifest"]

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


def build_bundle(run_dir: str | os.PathLike, out: str | os.PathLike, *, redact: bool = False) -> Bundle:
    """Zip a run folder into a deterministic evidence bundle with a manifest.

    Parameters
    ----------
    run_dir : path
        A folder written by ``tsinvest run`` (it must hold ``run.json``).
        Hidden files and ``failed-*`` notebooks are left out.
    out : path
        The zip to write (atomically: a temporary file, then ``os.replace``).
    redact : bool
        Require a redacted run (see the module docstring); the manifest then
        says ``"redacted": true``.

    Returns
    -------
    Bundle

    Raises
    ------
    NotebookError
        ``run_dir`` is not a completed run folder, or ``redact`` was asked for
        a run that was not redacted.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> run = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (run / "run.json").write_text(json.dumps({"notebook": "demo", "as_of": "2026-03-30T00:00:00Z"}))
    >>> _ = (run / "demo.html").write_text("<p>report</p>")
    >>> first = build_bundle(run, run.parent / "a.zip")
    >>> second = build_bundle(run, run.parent / "b.zip")
    >>> first.files
    ('demo.html', 'manifest.json', 'run.json')
    >>> first.sha256 == second.sha256
    True
    >>> build_bundle(run, run.parent / "c.zip", redact=True)
    Traceback (most recent call last):
    ...
    tsinvest.exceptions.NotebookError: this run folder was not made by a redacted run...
    """
    run_dir = Path(run_dir)
    record_path = run_dir / RUN_RECORD
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
    files = sorted(
        path
        for path in run_dir.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(run_dir).parts)
        and not path.name.startswith("failed-")
        and path.resolve() != out_resolved
    )
    names = [path.relative_to(run_dir).as_posix() for path in files]
    if MANIFEST in names:
        raise NotebookError(f"the run folder already holds a {MANIFEST}; it would clash with the bundle's own")
    manifest = {
        "format": BUNDLE_FORMAT,
        "notebook": record.get("notebook"),
        "as_of": record.get("as_of"),
        "parameters": record.get("parameters", {}),
        "files": [
            {"path": name, "sha256": file_sha256(path), "bytes": path.stat().st_size}
            for name, path in zip(names, files)
        ],
    }
    if redacted:
        manifest["redacted"] = True
    manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")

    entries = sorted([(name, path) for name, path in zip(names, files)] + [(MANIFEST, None)], key=lambda item: item[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.tmp")
    try:
        with zipfile.ZipFile(temporary, "w") as archive:
            for name, path in entries:
                data = manifest_bytes if path is None else path.read_bytes()
                archive.writestr(_entry(name), data)
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)
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
