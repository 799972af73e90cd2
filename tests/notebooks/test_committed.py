"""The committed notebooks: thin, parameterised, fully executed (so nbval compares every cell)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import pytest

from tsinvest.notebooks.catalogue import notebook_parameters

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

EXPECTED_PARAMETERS = {
    "coordinated_abuse": ["data_dir", "start", "end", "cluster_id", "window", "seed", "as_of", "evidence_dir"],
    "trends_monitor": ["data_dir", "freq", "grouping", "policy", "target", "reference", "threshold", "seed", "as_of"],
    "network_explorer": ["data_dir", "seed_accounts", "hops", "window", "min_weight", "as_of", "seed",
                         "filter_start", "filter_end", "filter_policies", "filter_actions", "filter_countries",
                         "filter_min_edge_weight", "filter_min_cluster_size", "filter_min_score", "filter_search"],
    "case_file": ["data_dir", "ticket_id", "account_id", "as_of", "seed"],
    "escalation_queue": ["data_dir", "as_of", "top", "ticket_id", "seed"],
}

COMMON = {"data_dir", "as_of"}
RETURNS_NONE = {"set_matplotlib_formats"}


def committed() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def test_every_expected_notebook_is_committed():
    assert set(EXPECTED_PARAMETERS) <= {path.stem for path in committed()}


@pytest.mark.parametrize("path", committed(), ids=lambda path: path.stem)
def test_parameter_names_and_types(path: Path):
    parameters = notebook_parameters(path)
    names = [parameter.name for parameter in parameters]
    if path.stem in EXPECTED_PARAMETERS:
        assert names == EXPECTED_PARAMETERS[path.stem]
    assert set(names) >= COMMON
    for parameter in parameters:
        # A declared type is what keeps `-p account_id 00123` a string.
        assert parameter.type_name != "None", parameter.name
        assert parameter.help, parameter.name
        if parameter.name.endswith("_id") or parameter.name.endswith("_ids") or parameter.name == "seed_accounts":
            assert "str" in parameter.type_name, parameter.name


def _expects_output(source: str) -> bool:
    """A cell whose last statement is a bare expression (not ending in ';') shows a result."""
    lines = [line for line in source.splitlines() if not line.strip().startswith("#")]
    tree = ast.parse("\n".join(lines))
    if not tree.body or not isinstance(tree.body[-1], ast.Expr) or source.rstrip().endswith(";"):
        return False
    value = tree.body[-1].value
    # Setup calls that return None show nothing.
    return not (isinstance(value, ast.Call) and getattr(value.func, "id", None) in RETURNS_NONE)


@pytest.mark.parametrize("path", committed(), ids=lambda path: path.stem)
def test_committed_outputs_are_complete(path: Path):
    notebook = nbformat.read(str(path), as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    # Executed top to bottom in one session: counts are exactly 1..n.
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    for cell in code:
        kinds = {output.output_type for output in cell.outputs}
        assert "error" not in kinds, cell.id
        for output in cell.outputs:
            assert not (output.output_type == "stream" and output.name == "stderr"), f"{cell.id} wrote to stderr"
        if _expects_output(cell.source):
            assert cell.outputs, f"cell {cell.id} should have committed outputs"


@pytest.mark.parametrize("path", committed(), ids=lambda path: path.stem)
def test_notebooks_are_thin(path: Path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = notebook["cells"]
    assert cells[0]["cell_type"] == "markdown"
    title = "".join(cells[0]["source"])
    assert title.startswith("# ")
    for heading in ("**Question:**", "**Data needed:**", "**Outputs:**"):
        assert heading in title
    tagged = [cell for cell in cells if "parameters" in cell.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    assert cells.index(tagged[0]) == 2 and cells[1]["cell_type"] == "code"  # title, imports, parameters
    ids = [cell["id"] for cell in cells]
    assert all(isinstance(cell_id, str) for cell_id in ids) and len(set(ids)) == len(ids)
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        assert not re.search(r"^\s*(def |class |async def )", source, re.M), cell["id"]
        assert "sys.path" not in source and "import *" not in source, cell["id"]
        assert not re.search(r"^\s*[%!]", source, re.M), cell["id"]  # no magics, no shell, no %pip
        # Imports and parameters may be longer; the rest are short calls.
        if cell is not cells[1] and cell is not tagged[0]:
            code = [line for line in source.splitlines() if line.strip() and not line.startswith("#")]
            assert len(code) <= 6, cell["id"]
    parameters = "".join(tagged[0]["source"])
    for statement in ast.parse(parameters).body:
        assert isinstance(statement, ast.AnnAssign), "parameters are annotated assignments"
        ast.literal_eval(statement.value)  # literals only


@pytest.mark.parametrize("path", committed(), ids=lambda path: path.stem)
def test_tables_use_the_safe_display(path: Path):
    notebook = nbformat.read(str(path), as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            html = output.get("data", {}).get("text/html", "")
            # pandas' own HTML (class="dataframe") renders usernames unescaped in some cases;
            # every table must come from tsinvest.reporting.display_table.
            assert 'class="dataframe"' not in html, cell.id
            assert "<script" not in html, cell.id
