"""Run an investigation notebook headless and write a shareable report.

:func:`run_notebook` executes a notebook with papermill in a temporary folder
next to the output folder, renders an HTML report with nbconvert (optionally
without code) and records ``run.json`` (parameters, input hashes, package
versions, ``as_of``). Files reach the output folder only once the whole run
succeeded, each by an atomic ``os.replace``.

What a run folder holds::

    OUT_DIR/<notebook>.ipynb   the executed notebook
    OUT_DIR/<notebook>.html    the report
    OUT_DIR/run.json           provenance of the run (see tsinvest.notebooks.provenance)
    OUT_DIR/evidence/          files the notebook exported (when it declares ``evidence_dir``)

With ``redact=True`` (or a ``pseudonymiser``) the run is *redacted*: the
canonical tables are pseudonymised into a temporary folder first
(:func:`tsinvest.reporting.dataset.pseudonymise_data_dir`), id-valued
parameters are translated with the same key, and the notebook runs on that
copy, so every table, plot, graph label and evidence file only ever sees
pseudonyms. ``run.json`` then records the pseudonymised inputs' hashes,
``data_dir`` as ``"<redacted>"`` and a ``redacted`` note; the executed
notebook carries no local paths. The pseudonymised copy is deleted after
the run. Executed notebooks never keep ``metadata.widgets`` (ipywidgets
state, which holds account data).

When a cell fails, nothing of the above is written or changed. The executed
notebook, with the error in it, is kept as ``OUT_DIR/failed-<notebook>.ipynb``
for debugging, and :class:`~tsinvest.exceptions.NotebookError` names the cell
index and the exception type (not its message, which may quote account ids).
The next successful run removes that file.

:func:`refresh_notebook` re-executes a committed notebook in place, the way
nbval will re-run it (kernel ``python3``, working directory = the notebook's
folder, progress bars off), so the committed outputs match.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tsinvest.exceptions import MissingDependencyError, NotebookError, ParameterError
from tsinvest.notebooks.catalogue import NotebookInfo, find_notebook, notebook_parameters
from tsinvest.notebooks.provenance import file_sha256, provenance

__all__ = [
    "EVIDENCE_PARAMETER",
    "RunResult",
    "run_notebook",
    "export_html",
    "refresh_notebook",
    "RUN_RECORD",
    "REDACTED",
    "strip_widget_state",
]

#: Parameter through which the runner tells a notebook where to export evidence files.
EVIDENCE_PARAMETER = "evidence_dir"
#: Name of the provenance record in a run folder.
RUN_RECORD = "run.json"
#: What a redacted run records instead of a local path.
REDACTED = "<redacted>"
# Folder names (inside the run's staging folder) of a redacted run's inputs.
_REDACTED_DATA = "data"
_REDACTED_SOURCE = "source"


@dataclass(frozen=True)
class RunResult:
    """Where a successful run put its outputs.

    Attributes
    ----------
    out_dir : Path
        The run folder.
    notebook : Path
        The executed notebook.
    report : Path
        The HTML report.
    record : Path
        ``run.json`` with parameters, inputs (SHA-256, rows), versions and ``as_of``.
    evidence : tuple of Path
        Files the notebook exported into ``evidence/``, sorted.
    parameters : dict
        The parameters the notebook ran with (after type conversion).
    """

    out_dir: Path
    notebook: Path
    report: Path
    record: Path
    evidence: tuple[Path, ...]
    parameters: dict[str, object]


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    """Set environment variables for the kernel we are about to start, then restore."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _quiet_environment(progress: bool) -> dict[str, str]:
    # Progress bars write to stderr, which would land in the report (and make
    # committed outputs differ run to run).
    values: dict[str, str] = {}
    if not progress:
        values["TQDM_DISABLE"] = "1"
    return values


def export_html(notebook_path: str | os.PathLike, html_path: str | os.PathLike, *, hide_code: bool = False) -> Path:
    """Render an executed notebook as a standalone HTML report (atomic write).

    Parameters
    ----------
    notebook_path, html_path : path
        Executed notebook to read; report to write.
    hide_code : bool
        Leave code cells' inputs and prompts out (nbconvert ``exclude_input``),
        for readers who only need the findings.

    Returns
    -------
    Path
        ``html_path``.
    """
    try:
        import nbformat
        from nbconvert import HTMLExporter
    except ImportError:  # pragma: no cover - nbconvert is in the notebooks extra
        raise MissingDependencyError("nbconvert", "notebooks") from None
    notebook = nbformat.read(str(notebook_path), as_version=4)
    exporter = HTMLExporter(exclude_input=hide_code, exclude_input_prompt=hide_code, exclude_output_prompt=hide_code)
    body, _ = exporter.from_notebook_node(notebook)
    html_path = Path(html_path)
    temporary = html_path.with_name(f".{html_path.name}.tmp")
    temporary.write_text(body, encoding="utf-8")
    os.replace(temporary, html_path)
    return html_path


def strip_widget_state(notebook) -> None:
    """Drop ipywidgets' saved state from a notebook node, in place.

    Jupyter saves every widget model (filter values, selected accounts, the
    graph explorer's node list) in ``metadata.widgets``; nbconvert would then
    embed it in the HTML report. It holds account data and nothing a reader
    needs, so written notebooks never keep it.

    Examples
    --------
    >>> import nbformat
    >>> notebook = nbformat.v4.new_notebook(metadata={"widgets": {"state": {"x": 1}}})
    >>> strip_widget_state(notebook)
    >>> "widgets" in notebook.metadata
    False
    """
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        cell.metadata.pop("widgets", None)


def _check_parameters(info: NotebookInfo, parameters: Mapping[str, object]) -> None:
    declared = {parameter.name for parameter in notebook_parameters(info.path)}
    unknown = sorted(set(parameters) - declared)
    if unknown:
        raise ParameterError(
            f"notebook '{info.name}' has no parameter(s) {', '.join(unknown)}; "
            f"its parameters are: {', '.join(sorted(declared)) or 'none'} "
            f"(see `tsinvest run {info.name} --params`)"
        )


def _move_into(source: Path, target: Path) -> None:
    """Replace ``target`` (file or folder) by ``source`` without a moment of half-written content."""
    if source.is_dir() and target.exists():
        trash = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, trash)
        os.replace(source, target)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(source, target)


def run_notebook(
    notebook: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    parameters: Mapping[str, object] | None = None,
    hide_code: bool = False,
    kernel_name: str = "python3",
    progress: bool = False,
    start_timeout: int = 60,
    redact: bool = False,
    pseudonymiser=None,
) -> RunResult:
    """Execute a notebook with papermill and write the report, atomically.

    Parameters
    ----------
    notebook : str or path
        A bundled notebook name (see :func:`~tsinvest.notebooks.catalogue.list_notebooks`)
        or a path to an ``.ipynb`` file.
    out_dir : path
        Run folder; created if missing. Other files in it are left alone.
    parameters : mapping, optional
        Parameter values, already of the declared types (the CLI converts
        strings with :func:`~tsinvest.notebooks.catalogue.coerce_parameter`).
        Names the notebook does not declare are refused. A ``data_dir`` given
        as a relative path is made absolute against the current folder.
    hide_code : bool
        Render the HTML report without code.
    kernel_name : str
        Jupyter kernel to run (``python3`` is the one nbval uses too).
    progress : bool
        Show papermill's and the notebook's progress bars (stderr).
    start_timeout : int
        Seconds to wait for the kernel to start.
    redact : bool
        Produce a shareable report with no raw identifier in it (see the
        module docstring). The key comes from ``pseudonymiser`` or else from
        the ``TSINVEST_PSEUDONYM_KEY`` environment variable; there is no
        default key. Needs ``data_dir``.
    pseudonymiser : tsinvest.reporting.Pseudonymiser, optional
        The key holder for a redacted run; giving one implies ``redact``.

    Returns
    -------
    RunResult

    Raises
    ------
    NotebookError
        A cell raised; nothing was written except ``failed-<notebook>.ipynb``.
    ParameterError
        An unknown parameter name, or ``redact`` without ``data_dir``.
    MissingKeyError
        ``redact`` without a pseudonymiser and without the environment key.

    Notes
    -----
    The kernel's working folder is the notebook's own folder, as in Jupyter
    and nbval, so a notebook's default parameters behave the same everywhere.
    """
    try:
        import papermill
        from papermill.exceptions import PapermillExecutionError

        from tsinvest.notebooks.kernel import PrivateKernelManager
    except ImportError:  # pragma: no cover
        raise MissingDependencyError("papermill", "notebooks") from None

    info = find_notebook(notebook)
    values: dict[str, object] = dict(parameters or {})
    _check_parameters(info, values)
    declared = {parameter.name for parameter in notebook_parameters(info.path)}
    if pseudonymiser is None and redact:
        from tsinvest.reporting import Pseudonymiser

        pseudonymiser = Pseudonymiser.from_env()  # raises MissingKeyError: no default key, on purpose
    if isinstance(values.get("data_dir"), str):
        values["data_dir"] = str(Path(str(values["data_dir"])).resolve())
        if not Path(str(values["data_dir"])).is_dir():
            raise ParameterError("data_dir is not a folder; pass --data with the folder holding the tables")
    if pseudonymiser is not None and not isinstance(values.get("data_dir"), str):
        raise ParameterError("a redacted run needs the data folder: pass --data (or parameters={'data_dir': ...})")

    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".tsinvest-run-{info.name}-", dir=out_dir))
    try:
        executed = staging / f"{info.name}.ipynb"
        source = info.path
        cwd = info.path.parent
        redaction: dict[str, object] | None = None
        if pseudonymiser is not None:
            values, source = _prepare_redacted_run(info, values, staging, pseudonymiser)
            # Relative paths from the staging folder: the executed notebook
            # and its provenance cell then name no local folder.
            cwd = staging
            redaction = {
                "note": "redacted run: identifiers in the inputs and parameters were replaced by keyed "
                "pseudonyms before the notebook ran; input hashes are those of the pseudonymised tables",
                "key_check": pseudonymiser.pseudonym("tsinvest-key-check", kind="acct").split("_", 1)[1],
            }
        if EVIDENCE_PARAMETER in declared:
            (staging / "evidence").mkdir()
            values[EVIDENCE_PARAMETER] = "evidence" if redaction is not None else str(staging / "evidence")
        try:
            with _environment(**_quiet_environment(progress)):
                papermill.execute_notebook(
                    str(source),
                    str(executed),
                    parameters=values,
                    kernel_name=kernel_name,
                    progress_bar=progress,
                    log_output=False,
                    cwd=str(cwd),
                    start_timeout=start_timeout,
                    kernel_manager_class=PrivateKernelManager,
                )
        except PapermillExecutionError as error:
            failed = out_dir / f"failed-{info.name}.ipynb"
            if executed.exists():
                _clean_executed(executed, info, redacted=redaction is not None, staging=staging)
                os.replace(executed, failed)
            raise NotebookError(
                f"notebook '{info.name}' failed in cell {error.cell_index} (In [{error.exec_count}]) "
                f"with {error.ename}; no report was written. The executed notebook is kept as "
                f"{failed.name} in the output folder for debugging."
            ) from None
        _clean_executed(executed, info, redacted=redaction is not None, staging=staging)

        # The evidence folder is an implementation detail of this run; record it relative.
        if EVIDENCE_PARAMETER in values:
            values[EVIDENCE_PARAMETER] = "evidence"
        report = export_html(executed, staging / f"{info.name}.html", hide_code=hide_code)
        data_dir = values.get("data_dir")
        if redaction is not None:
            data_dir = str(staging / _REDACTED_DATA)
            values["data_dir"] = REDACTED
        record = provenance(
            data_dir if isinstance(data_dir, str) else None,
            as_of=str(values["as_of"]) if values.get("as_of") is not None else _default_as_of(info),
            parameters=values,
            notebook=info.name,
        ).to_dict()
        if redaction is not None:
            record["data_dir"] = REDACTED
            record["redacted"] = redaction
        record["notebook_sha256"] = file_sha256(info.path)
        record["hide_code"] = hide_code
        evidence_files = sorted(path for path in (staging / "evidence").rglob("*") if path.is_file()) if (
            staging / "evidence"
        ).is_dir() else []
        record["outputs"] = sorted(
            [executed.name, report.name] + [path.relative_to(staging).as_posix() for path in evidence_files]
        )
        (staging / RUN_RECORD).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")

        # Evidence first, record last: a run.json present means the run is complete.
        if (staging / "evidence").is_dir():
            _move_into(staging / "evidence", out_dir / "evidence")
        for name in (executed.name, report.name, RUN_RECORD):
            _move_into(staging / name, out_dir / name)
        (out_dir / f"failed-{info.name}.ipynb").unlink(missing_ok=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    evidence = tuple(sorted(path for path in (out_dir / "evidence").rglob("*") if path.is_file())) if (
        EVIDENCE_PARAMETER in declared and (out_dir / "evidence").is_dir()
    ) else ()
    return RunResult(
        out_dir=out_dir,
        notebook=out_dir / f"{info.name}.ipynb",
        report=out_dir / f"{info.name}.html",
        record=out_dir / RUN_RECORD,
        evidence=evidence,
        parameters=values,
    )


def _prepare_redacted_run(info: NotebookInfo, values: dict[str, object], staging: Path, pseudonymiser):
    """Pseudonymise the inputs into ``staging``, translate parameters, stage a redacted notebook copy."""
    import nbformat

    from tsinvest.notebooks.catalogue import notebook_parameters as read_parameters
    from tsinvest.reporting.dataset import literal_default, pseudonymise_data_dir, translate_parameters

    redacted = pseudonymise_data_dir(str(values["data_dir"]), staging / _REDACTED_DATA, pseudonymiser)
    redactor = redacted.redactor()
    # Defaults too: a default ticket or seed account must target the same
    # subject in the pseudonymised data, and must not stay raw in the notebook.
    candidates: dict[str, object] = {}
    for parameter in read_parameters(info.path):
        if parameter.name in values or parameter.name in {"data_dir", EVIDENCE_PARAMETER}:
            continue
        try:
            candidates[parameter.name] = literal_default(parameter.default)
        except ParameterError:
            continue
    given = {name: value for name, value in values.items() if name != "data_dir"}
    translated, pairs = translate_parameters({**candidates, **given}, pseudonymiser, redactor)
    result = {name: translated[name] for name in given}
    for name, value in candidates.items():
        if translated[name] != value:
            result[name] = translated[name]
    result["data_dir"] = _REDACTED_DATA

    # The committed notebook's own text (parameter defaults, prose) may quote
    # raw ids: run a copy where every cell's source is redacted and no old
    # output or widget state remains.
    full = redacted.redactor(pairs)
    notebook = nbformat.read(str(info.path), as_version=4)
    for cell in notebook.cells:
        cell.source = full.redact(cell.source)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.pop("attachments", None)
    strip_widget_state(notebook)
    notebook.metadata.pop("papermill", None)
    (staging / _REDACTED_SOURCE).mkdir()
    source = staging / _REDACTED_SOURCE / info.path.name
    nbformat.write(notebook, str(source))
    return result, source


def _clean_executed(path: Path, info: NotebookInfo, *, redacted: bool, staging: Path) -> None:
    """Strip widget state (always) and local paths (redacted runs) from an executed notebook.

    The evidence folder was handed to the kernel inside the staging folder,
    which is renamed once the run succeeds; the injected parameters then name
    it as ``evidence``, where it ends up next to the notebook.
    """
    import nbformat

    notebook = nbformat.read(str(path), as_version=4)
    strip_widget_state(notebook)
    staged_evidence = str(staging / "evidence")
    for cell in notebook.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = cell.source.replace(json.dumps(staged_evidence), json.dumps("evidence"))
    recorded = notebook.metadata.get("papermill", {}).get("parameters", {})
    if recorded.get(EVIDENCE_PARAMETER) == staged_evidence:
        recorded[EVIDENCE_PARAMETER] = "evidence"
    if redacted:
        record = notebook.metadata.get("papermill")
        if record is not None:
            record["input_path"] = info.path.name
            record["output_path"] = info.path.name
            record.pop("environment_variables", None)
    nbformat.write(notebook, str(path))


def _default_as_of(info: NotebookInfo) -> str | None:
    for parameter in notebook_parameters(info.path):
        if parameter.name == "as_of":
            text = parameter.default.strip()
            return text.strip("\"'") if text not in {"None", ""} else None
    return None


def refresh_notebook(path: str | os.PathLike, *, kernel_name: str = "python3", timeout: int = 600) -> Path:
    """Re-execute a committed notebook in place with its default parameters.

    Runs the way nbval does (same kernel name, working folder = the notebook's
    folder, progress bars off) and without timing metadata, so the committed
    outputs are what ``pytest --nbval`` will compare against and diffs stay
    small. ipywidgets state (``metadata.widgets``, which holds account data)
    is not kept. The file is replaced only after every cell succeeded.

    Returns
    -------
    Path
        The notebook path.
    """
    try:
        import nbformat
        from nbclient import NotebookClient

        from tsinvest.notebooks.kernel import PrivateKernelManager
        from nbclient.exceptions import CellExecutionError
    except ImportError:  # pragma: no cover
        raise MissingDependencyError("nbclient", "notebooks") from None
    path = Path(path).resolve()
    notebook = nbformat.read(str(path), as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name=kernel_name,
        timeout=timeout,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
        kernel_manager_class=PrivateKernelManager,
    )
    try:
        with _environment(**_quiet_environment(False)):
            client.execute()
    except CellExecutionError as error:
        raise NotebookError(f"notebook '{path.name}' failed while refreshing: {type(error).__name__}") from None
    for cell in notebook.cells:
        # nbclient leaves execution metadata on cells; drop it so re-runs don't churn the diff.
        cell.metadata.pop("execution", None)
    notebook.metadata.pop("papermill", None)
    strip_widget_state(notebook)
    temporary = path.with_name(f".{path.name}.tmp")
    nbformat.write(notebook, str(temporary))
    os.replace(temporary, path)
    return path
