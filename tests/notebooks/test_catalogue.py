from __future__ import annotations

from pathlib import Path

import pytest

from tsinvest.exceptions import NotebookError, ParameterError
from tsinvest.notebooks.catalogue import (
    NOTEBOOKS_ENV,
    NotebookParameter,
    coerce_parameter,
    find_notebook,
    list_notebooks,
    notebook_dirs,
    notebook_parameters,
)


@pytest.mark.parametrize(
    ("type_name", "raw", "expected"),
    [
        ("str", "00123", "00123"),
        ("str", "7276431715937856976", "7276431715937856976"),
        ("None", "00123", "00123"),  # unannotated parameters are never parsed
        ("int", "2", 2),
        ("float", "0.5", 0.5),
        ("bool", "yes", True),
        ("bool", "False", False),
        ("Optional[str]", "None", None),
        ("Optional[str]", "00123", "00123"),
        ("Optional[int]", "3", 3),
        ("list[str]", "007,0042", ["007", "0042"]),
        ("list[str]", '["007", "0042"]', ["007", "0042"]),
        ("list", "a, b", ["a", "b"]),
        ("list[int]", "[1, 2]", [1, 2]),
    ],
)
def test_coerce_parameter_uses_declared_type(type_name, raw, expected):
    value = coerce_parameter(NotebookParameter("x", type_name, "None"), raw)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(("type_name", "raw"),
                         [("int", "00x"), ("float", "abc"), ("bool", "maybe"), ("list[str]", "[1,")])
def test_coerce_parameter_rejects_bad_values_without_quoting_them(type_name, raw):
    with pytest.raises(ParameterError) as caught:
        coerce_parameter(NotebookParameter("hops", type_name, "1"), raw)
    assert "'hops'" in str(caught.value)
    assert raw not in str(caught.value)


def test_find_notebook_by_path_reads_title_description_and_parameters(probe_notebook: Path):
    info = find_notebook(probe_notebook)
    assert info.name == "probe"
    assert info.title == "Probe"
    assert info.description == "does the runner work?"
    parameters = {p.name: p for p in info.parameters}
    assert list(parameters) == ["data_dir", "account_id", "hops", "end", "as_of", "evidence_dir"]
    assert parameters["account_id"].type_name == "str"
    assert parameters["account_id"].default == '"0001"'
    assert parameters["account_id"].help == "subject account"
    assert parameters["end"].type_name == "Optional[str]"


def test_unknown_notebook_lists_available_names():
    with pytest.raises(NotebookError) as caught:
        find_notebook("no_such_notebook")
    message = str(caught.value)
    assert "no_such_notebook" in message
    assert "coordinated_abuse" in message


def test_environment_folder_is_searched_first(tmp_path: Path, monkeypatch, notebook_factory):
    notebook_factory(tmp_path / "case_file.ipynb", 'ticket_id: str = "T1"', "print(ticket_id)")
    monkeypatch.setenv(NOTEBOOKS_ENV, str(tmp_path))
    assert notebook_dirs()[0] == tmp_path
    assert find_notebook("case_file").path == (tmp_path / "case_file.ipynb").resolve()
    assert [p.name for p in notebook_parameters(find_notebook("case_file").path)] == ["ticket_id"]


def test_bundled_notebooks_are_listed_with_descriptions():
    infos = list_notebooks()
    names = [info.name for info in infos]
    assert names == sorted(names)
    assert {"coordinated_abuse", "trends_monitor", "network_explorer", "case_file"} <= set(names)
    for info in infos:
        assert info.description, info.name
        assert info.path.parent.name == "notebooks"


def _explorer_state():
    from tsinvest.widgets.filters import FilterState

    return FilterState(start="2026-03-01T00:00:00Z", end=None, policies=["spam"], actions=["like", "share"],
                       countries=["BR", "MX"], min_edge_weight=2.5, min_cluster_size=4, min_score=0.7,
                       search="0042")


def _declared_explorer_parameters():
    from tsinvest.notebooks.catalogue import find_notebook

    return {parameter.name: parameter for parameter in find_notebook("network_explorer").parameters}


def test_values_of_the_exported_filter_cell_pass_through_minus_p():
    import shlex

    from tsinvest.widgets.filters import parameters_cell

    state = _explorer_state()
    declared = _declared_explorer_parameters()
    expected = state.to_parameters()
    for line in parameters_cell(state).splitlines():
        name, value_text = line.split(":", 1)[0], line.split(" = ", 1)[1]
        words = shlex.split(value_text)  # what the shell makes of the value pasted after -p NAME
        if len(words) > 1:  # a list of several items must be quoted for the shell as one word
            words = shlex.split(shlex.quote(value_text))
        assert coerce_parameter(declared[name], words[0]) == expected[name], line


def test_run_command_line_reads_back_to_the_same_filters():
    import shlex

    from tsinvest.cli import build_parser
    from tsinvest.notebooks.catalogue import run_command_line
    from tsinvest.widgets.filters import FilterState

    state = _explorer_state()
    line = run_command_line("network_explorer", state.to_parameters(), data_dir="data samples")
    args = build_parser().parse_args(shlex.split(line)[1:])
    declared = _declared_explorer_parameters()
    values = {name: coerce_parameter(declared[name], raw) for name, raw in args.parameter}
    assert args.data == "data samples"
    assert FilterState.from_parameters(values) == state
