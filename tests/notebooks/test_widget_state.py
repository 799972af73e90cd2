"""Written notebooks never keep ipywidgets state (``metadata.widgets`` holds account data)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tsinvest.notebooks.runner import refresh_notebook, run_notebook

pytestmark = pytest.mark.notebook

MARKER = "widget-value-7208745241651240006"
WIDGET_CELL = f"import ipywidgets\nipywidgets.Text(value={MARKER!r})"


def _with_saved_state(path: Path) -> Path:
    # As Jupyter saves it after a session: the model state, including the text box value.
    notebook = nbformat.read(str(path), as_version=4)
    notebook.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {"state": {"model-1": {"state": {"value": MARKER}}},
                                                       "version_major": 2, "version_minor": 0}
    }
    nbformat.write(notebook, str(path))
    return path


def test_refresh_notebook_strips_widget_state(tmp_path: Path, notebook_factory):
    path = _with_saved_state(notebook_factory(tmp_path / "widgets.ipynb", "hops: int = 1", WIDGET_CELL))
    assert "widget-state" in path.read_text()  # there is state to strip
    refresh_notebook(path)
    notebook = nbformat.read(str(path), as_version=4)
    assert "widgets" not in notebook.metadata
    assert "widget-state" not in path.read_text()
    # The widget itself still ran: its view is in the outputs.
    assert any("application/vnd.jupyter.widget-view+json" in output.get("data", {})
               for output in notebook.cells[-1].outputs)


def test_run_notebook_strips_widget_state_from_notebook_and_report(tmp_path: Path, notebook_factory):
    source = _with_saved_state(notebook_factory(tmp_path / "widgets.ipynb", "hops: int = 1", WIDGET_CELL))
    result = run_notebook(source, tmp_path / "run")
    executed = nbformat.read(str(result.notebook), as_version=4)
    assert "widgets" not in executed.metadata
    assert "widget-state" in source.read_text()  # there was state to strip
    for written in (result.notebook, result.report):
        assert "widget-state" not in written.read_text()
