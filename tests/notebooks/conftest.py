"""Fixtures for the notebooks tests: tiny self-contained notebooks and data folders."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

os.environ.setdefault("TQDM_DISABLE", "1")


def make_notebook(path: Path, parameters: str, *cells: str) -> Path:
    """Write a notebook with a title cell, a ``parameters``-tagged cell and code cells."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    title = nbformat.v4.new_markdown_cell("# Probe\n\n**Question:** does the runner work?")
    params = nbformat.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    notebook.cells = [title, params] + [nbformat.v4.new_code_cell(source) for source in cells]
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index}"
    nbformat.write(notebook, str(path))
    return path


@pytest.fixture
def notebook_factory():
    """The :func:`make_notebook` helper, as a fixture (tests cannot import conftest)."""
    return make_notebook


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "accounts.csv").write_text(
        "account_id,created_at,username\n00123,2026-01-01T00:00:00Z,<b>bold</b>\n"
        "7276431715937856976,2026-02-01T00:00:00Z,plain\n"
    )
    return folder


@pytest.fixture
def probe_notebook(tmp_path: Path) -> Path:
    return make_notebook(
        tmp_path / "probe.ipynb",
        'data_dir: str = "../data"\naccount_id: str = "0001"  # subject account\nhops: int = 1\n'
        'end: "Optional[str]" = None\nas_of: str = "2026-03-30T00:00:00Z"\n'
        'evidence_dir: "Optional[str]" = None',
        "import json, pathlib  # probe-code-marker\n"
        "print(json.dumps({'account_id': account_id, 'type': type(account_id).__name__, 'hops': hops, 'end': end}))",
        "if evidence_dir:\n"
        "    pathlib.Path(evidence_dir, 'flagged.csv').write_text('account_id\\n' + account_id + '\\n')",
    )
