"""Find the bundled investigation notebooks and read their parameters.

Where notebooks are looked for, in this order:

1. every folder named in the ``TSINVEST_NOTEBOOKS`` environment variable
   (``os.pathsep``-separated), so a team can ship its own notebooks;
2. the repository's ``notebooks/`` folder, found *relative to the package*
   (``tsinvest/../notebooks``). This is where the bundled notebooks live; it
   works from a clone and from an editable install (``pip install -e .``,
   which is what ``make install`` does). A wheel does not carry them: point
   ``TSINVEST_NOTEBOOKS`` at a copy of the folder instead.

A notebook can also always be given by path (``tsinvest run path/to/x.ipynb``).

Parameters are read with :func:`papermill.inspect_notebook` from the cell tagged
``parameters``. Their declared type (the annotation, e.g. ``account_id: str =
"00123"``) decides how a command-line string is converted: a ``str`` parameter
is never parsed, so ids such as ``00123`` keep their leading zeros.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tsinvest.exceptions import MissingDependencyError, NotebookError, ParameterError

__all__ = [
    "NOTEBOOKS_ENV",
    "NotebookParameter",
    "NotebookInfo",
    "notebook_dirs",
    "list_notebooks",
    "find_notebook",
    "notebook_parameters",
    "coerce_parameter",
    "run_command_line",
]

#: Environment variable naming extra notebook folders.
NOTEBOOKS_ENV = "TSINVEST_NOTEBOOKS"

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}
_NONE = {"none", "null"}


@dataclass(frozen=True)
class NotebookParameter:
    """One entry of a notebook's ``parameters`` cell.

    Attributes
    ----------
    name : str
        Variable name.
    type_name : str
        Declared type as written in the annotation (``"str"``, ``"int"``,
        ``"Optional[str]"``, ``"list[str]"``); ``"None"`` when not annotated,
        in which case command-line values stay strings.
    default : str
        The default value as source text.
    help : str
        The comment after the assignment.
    """

    name: str
    type_name: str
    default: str
    help: str = ""


@dataclass(frozen=True)
class NotebookInfo:
    """A notebook the catalogue knows about.

    Attributes
    ----------
    name : str
        File stem (``"coordinated_abuse"``), the name ``tsinvest run`` accepts.
    path : Path
        Absolute path of the ``.ipynb`` file.
    title : str
        Text of the first markdown heading.
    description : str
        One line: the notebook's question (the ``**Question:**`` line of the
        title cell, else its first plain line).
    """

    name: str
    path: Path
    title: str
    description: str

    @property
    def parameters(self) -> tuple[NotebookParameter, ...]:
        """The notebook's parameters (read from the file each time)."""
        return notebook_parameters(self.path)


def notebook_dirs() -> list[Path]:
    """Folders searched for notebooks, in priority order (see module notes).

    Examples
    --------
    >>> any(folder.name == "notebooks" for folder in notebook_dirs())
    True
    """
    folders = [Path(entry) for entry in os.environ.get(NOTEBOOKS_ENV, "").split(os.pathsep) if entry]
    folders.append(Path(__file__).resolve().parent.parent.parent / "notebooks")
    return [folder for folder in folders if folder.is_dir()]


def _strip_markdown(text: str) -> str:
    text = re.sub(r"[*_`]+", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _describe(path: Path) -> NotebookInfo:
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise NotebookError(f"cannot read notebook '{path.name}': {type(error).__name__}") from None
    title, description = path.stem.replace("_", " "), ""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = "".join(cell.get("source", []))
        lines = [line.strip() for line in source.splitlines() if line.strip()]
        headings = [line for line in lines if line.startswith("#")]
        if headings:
            title = headings[0].lstrip("#").strip()
        # A paragraph may wrap over several lines: describe with the whole paragraph.
        paragraphs = [" ".join(part.split()) for part in re.split(r"\n\s*\n", source) if part.strip()]
        question = [text for text in paragraphs if text.lower().lstrip("*_ ").startswith("question")]
        plain = [text for text in paragraphs if not text.startswith("#")]
        chosen = question[0] if question else (plain[0] if plain else "")
        description = _strip_markdown(re.sub(r"(?i)^[*_ ]*question:?[*_ ]*:?", "", chosen))
        break
    return NotebookInfo(name=path.stem, path=path.resolve(), title=title, description=description)


def list_notebooks() -> list[NotebookInfo]:
    """Every notebook in :func:`notebook_dirs`, sorted by name; earlier folders win.

    Examples
    --------
    >>> "case_file" in [info.name for info in list_notebooks()]
    True
    """
    found: dict[str, NotebookInfo] = {}
    for folder in notebook_dirs():
        for path in sorted(folder.glob("*.ipynb")):
            if path.stem not in found:
                found[path.stem] = _describe(path)
    return [found[name] for name in sorted(found)]


def find_notebook(notebook: str | os.PathLike) -> NotebookInfo:
    """Resolve a notebook name (``"case_file"``) or an ``.ipynb`` path.

    Raises
    ------
    NotebookError
        When nothing matches; the message lists the available names.

    Examples
    --------
    >>> find_notebook("case_file").path.name
    'case_file.ipynb'
    """
    candidate = Path(notebook)
    if candidate.suffix == ".ipynb" and candidate.is_file():
        return _describe(candidate)
    name = candidate.name[: -len(".ipynb")] if candidate.name.endswith(".ipynb") else candidate.name
    for info in list_notebooks():
        if info.name == name:
            return info
    available = ", ".join(info.name for info in list_notebooks()) or "none found"
    raise NotebookError(
        f"no notebook named '{name}'; available: {available}. "
        f"Give a path to an .ipynb file, or add a folder to {NOTEBOOKS_ENV}."
    )


def notebook_parameters(path: str | os.PathLike) -> tuple[NotebookParameter, ...]:
    """Parameters declared in the ``parameters``-tagged cell, in cell order.

    Examples
    --------
    >>> [p.type_name for p in notebook_parameters(find_notebook("case_file").path)][:1]
    ['str']
    """
    try:
        import papermill
    except ImportError:  # pragma: no cover - papermill is in the notebooks extra
        raise MissingDependencyError("papermill", "notebooks") from None
    inspected = papermill.inspect_notebook(str(path))
    return tuple(
        NotebookParameter(
            name=item["name"],
            type_name=item["inferred_type_name"],
            default=item["default"],
            help=item["help"],
        )
        for item in inspected.values()
    )


def _split_type(type_name: str) -> tuple[bool, str]:
    """Return (accepts None, inner type name) of an annotation."""
    text = type_name.replace(" ", "")
    match = re.fullmatch(r"Optional\[(.+)\]", text)
    if match:
        return True, match.group(1)
    parts = text.split("|")
    if "None" in parts and len(parts) > 1:
        return True, "|".join(part for part in parts if part != "None")
    return False, text


def _coerce_scalar(name: str, inner: str, raw: str) -> object:
    if inner == "int":
        try:
            return int(raw)
        except ValueError:
            raise ParameterError(f"parameter '{name}' must be an integer") from None
    if inner == "float":
        try:
            return float(raw)
        except ValueError:
            raise ParameterError(f"parameter '{name}' must be a number") from None
    if inner == "bool":
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ParameterError(f"parameter '{name}' must be true or false")
    return raw


def coerce_parameter(parameter: NotebookParameter, raw: str) -> object:
    """Convert a command-line string using the parameter's declared type.

    ``str`` and unannotated parameters are returned unchanged (ids keep their
    leading zeros). ``Optional[...]`` accepts ``None``/``null``. ``list[...]``
    accepts a JSON list, a Python list literal as a ``parameters`` cell (and
    the explorer's filter export) prints it (``['BR', 'MX']``), the same with
    the quotes a shell removed (``[BR, MX]``) or comma-separated items; items
    of ``list[str]`` stay strings. Values are read as literals only, never run.

    Examples
    --------
    >>> coerce_parameter(NotebookParameter("account_id", "str", '""'), "00123")
    '00123'
    >>> coerce_parameter(NotebookParameter("hops", "int", "1"), "2")
    2
    >>> coerce_parameter(NotebookParameter("end", "Optional[str]", "None"), "None") is None
    True
    >>> coerce_parameter(NotebookParameter("seeds", "list[str]", "[]"), "007,0042")
    ['007', '0042']
    >>> coerce_parameter(NotebookParameter("countries", "list[str]", "[]"), "['BR', 'MX']")
    ['BR', 'MX']
    >>> coerce_parameter(NotebookParameter("countries", "list[str]", "[]"), "[BR, MX]")
    ['BR', 'MX']
    """
    optional, inner = _split_type(parameter.type_name)
    if optional and raw.strip().lower() in _NONE:
        return None
    list_match = re.fullmatch(r"(?:list|List)(?:\[(.+)\])?", inner)
    if list_match:
        item_type = list_match.group(1) or "str"
        items = _list_items(parameter.name, raw.strip(), item_type)
        if item_type == "str":
            return [str(item) for item in items]
        return [_coerce_scalar(parameter.name, item_type, str(item)) for item in items]
    return _coerce_scalar(parameter.name, inner, raw)


def _list_items(name: str, text: str, item_type: str) -> list[object]:
    """Items of a list written as JSON, as a Python literal, as ``[a, b]`` or as ``a,b``."""
    import ast

    if not text.startswith("["):
        return [item.strip() for item in text.split(",") if item.strip()]
    if not text.endswith("]"):
        raise ParameterError(f"parameter '{name}' is not a valid list; write it as a,b or [\"a\", \"b\"]")
    items: object = None
    for parse in (json.loads, ast.literal_eval):  # literals only: a value is never run as code
        try:
            items = parse(text)
            break
        except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
            continue
    if items is None:
        # The quotes of ['BR', 'MX'] were removed by a shell: [BR, MX].
        items = [item.strip() for item in text[1:-1].split(",") if item.strip()]
    if not isinstance(items, list):
        raise ParameterError(f"parameter '{name}' must be a list")
    # Numbers would lose leading zeros; the declared item type decides.
    return [str(item) if item_type == "str" else item for item in items]


def run_command_line(notebook: str, parameters: Mapping[str, object], *, data_dir: str | None = None) -> str:
    """The ``tsinvest run`` command line that sets ``parameters`` (e.g. an explorer's exported filters).

    Every value is written in a form :func:`coerce_parameter` reads back to the
    same value (lists as JSON, ``None`` as ``None``) and quoted for a POSIX
    shell, so the line can be pasted as is.

    Examples
    --------
    >>> print(run_command_line("network_explorer", {"filter_countries": ["BR", "MX"], "filter_end": None},
    ...                        data_dir="data"))
    tsinvest run network_explorer --data data -p filter_countries '["BR", "MX"]' -p filter_end None
    """
    import shlex

    words = ["tsinvest", "run", notebook]
    if data_dir is not None:
        words += ["--data", data_dir]
    for name, value in parameters.items():
        if isinstance(value, list | tuple):
            text = json.dumps(list(value), ensure_ascii=False)
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = "None" if value is None else str(value)
        words += ["-p", name, text]
    return " ".join(shlex.quote(word) for word in words)
