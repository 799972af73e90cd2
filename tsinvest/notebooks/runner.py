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
    OUT_DIR/rejected/          rows set aside by ``on_error="quarantine"`` (ordinary runs only)

``run.json`` lists every output with its SHA-256 (``outputs``), which is how
:func:`tsinvest.notebooks.bundle.build_bundle` checks the folder. A run never
replaces a file it did not write: if the output folder holds a notebook,
report, ``run.json`` or ``evidence/`` file that the previous run there did
not write (or that changed since), the run is refused before it starts.
Outputs are written with mode 0600. SIGINT (Ctrl-C) and SIGTERM kill the
kernel, which runs in its own session, and delete the staging folder.

With ``redact=True`` (or a ``pseudonymiser``) the run is *redacted*: the
canonical tables are pseudonymised into a temporary folder first
(:func:`tsinvest.reporting.dataset.pseudonymise_data_dir`, default-deny),
parameters are translated with the same key as values (never by text
replacement in the notebook's code), and the notebook runs on that copy, so
every table, plot, graph label and evidence file only ever sees
pseudonyms. ``run.json`` then records the pseudonymised inputs' hashes,
``data_dir`` as ``"<redacted>"`` and a ``redacted`` note with the
``key_check`` and each column's treatment; the executed
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
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tsinvest.exceptions import MissingDependencyError, NotebookError, ParameterError, RunInterruptedError
from tsinvest.files import atomic_write, replace_folder, write_json, write_text
from tsinvest.notebooks.catalogue import NotebookInfo, NotebookParameter, find_notebook, notebook_parameters
from tsinvest.notebooks.provenance import file_sha256, provenance

if TYPE_CHECKING:
    from tsinvest.reporting import Pseudonymiser
    from tsinvest.reporting.dataset import ColumnTreatment
    from tsinvest.reporting.pseudonymise import TextRedactor

__all__ = [
    "EVIDENCE_PARAMETER",
    "RunResult",
    "run_notebook",
    "export_html",
    "refresh_notebook",
    "RUN_RECORD",
    "REDACTED",
    "strip_widget_state",
    "cell_description",
    "RUN_STEPS",
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
_REDACTED_QUARANTINE_NOTE = (
    "rejected rows of a redacted run hold raw data: counted, then deleted with the staging folder"
)


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
    return write_text(html_path, body)


def strip_widget_state(notebook: Any) -> None:
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


def _check_parameters(
    info: NotebookInfo, parameters: Mapping[str, object], declared: Mapping[str, NotebookParameter]
) -> None:
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ParameterError(
            f"notebook '{info.name}' has no parameter(s) {', '.join(unknown)}; "
            f"its parameters are: {', '.join(sorted(declared)) or 'none'} "
            f"(see `tsinvest run {info.name} --params`)"
        )


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
    pseudonymiser: Pseudonymiser | None = None,
    on_error: Literal["raise", "quarantine"] = "raise",
    load_options: Mapping[str, str] | None = None,
) -> RunResult:
    """Execute a notebook with papermill and write the report, atomically.

    Parameters
    ----------
    notebook : str or path
        A bundled notebook name (see :func:`~tsinvest.notebooks.catalogue.list_notebooks`)
        or a path to an ``.ipynb`` file.
    out_dir : path
        Run folder; created if missing. Other files in it are left alone, and
        files this run would write are replaced only if the previous run there
        wrote them and they are unchanged (see Raises).
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
        Announce each step of the run and show papermill's per-cell bar on
        stderr (the command line turns it on when stderr is a terminal). The
        kernel's own progress bars stay off: they would land in the report.
    start_timeout : int
        Seconds to wait for the kernel to start.
    redact : bool
        Produce a shareable report with no raw identifier in it (see the
        module docstring). The key comes from ``pseudonymiser`` or else from
        the ``TSINVEST_PSEUDONYM_KEY`` environment variable; there is no
        default key. Needs ``data_dir``.
    pseudonymiser : tsinvest.reporting.Pseudonymiser, optional
        The key holder for a redacted run; giving one implies ``redact``.
    on_error : {"raise", "quarantine"}
        How the tables are loaded (:func:`tsinvest.loading.load_dir`):
        ``"raise"`` lets the notebook load the folder itself and stop on a
        bad row; ``"quarantine"`` loads it before the run, sets bad rows
        aside and runs the notebook on the clean rows (a copy in the staging
        folder). Rejected rows of an ordinary run land in ``OUT_DIR/rejected/``;
        those of a redacted run are deleted with the staging folder (they hold
        raw data) and only counted. ``run.json`` records the counts.
    load_options : mapping, optional
        ``mapping``, ``timezone`` and ``epoch_unit`` of
        :func:`tsinvest.loading.load_dir` (the command line's input options).
        When given, the folder is read with them before the run into a
        canonical copy in the staging folder, and the notebook runs on that
        copy (as with ``"quarantine"``); ``run.json`` still hashes the original files.

    Returns
    -------
    RunResult

    Raises
    ------
    NotebookError
        A cell raised; nothing was written except ``failed-<notebook>.ipynb``.
        Or the output folder holds a file this run would replace that the
        previous run there did not write (or that was edited since).
    RunInterruptedError
        SIGINT (Ctrl-C) or SIGTERM arrived: the kernel was killed and the
        staging folder (with any pseudonymised copy) deleted; nothing written.
    ParameterError
        An unknown parameter name, ``redact`` without ``data_dir``, or an
        ``out_dir`` that is an existing file.
    MissingKeyError
        ``redact`` without a pseudonymiser and without the environment key.

    Notes
    -----
    The kernel's working folder is the notebook's own folder, as in Jupyter
    and nbval, so a notebook's default parameters behave the same everywhere.

    The run is five named steps, as papermill's execute pipeline: resolve the
    parameters (the notebook's declared parameters are read once, here),
    stage the inputs (pseudonymised or quarantined copy, evidence folder),
    execute, record (report and ``run.json`` in the staging folder) and
    publish (atomic moves into ``out_dir``). With ``progress`` each step is
    announced on stderr.
    """
    steps = _Steps(Path(str(notebook)).stem, progress)
    steps.start("resolve parameters")
    plan = _resolve(notebook, out_dir, parameters, hide_code=hide_code, redact=redact, pseudonymiser=pseudonymiser,
                    on_error=on_error, load_options=load_options)
    with _stop_on_signals() as stop:
        staging = Path(tempfile.mkdtemp(prefix=f".tsinvest-run-{plan.info.name}-", dir=plan.out_dir))
        try:
            steps.start("stage inputs")
            staged = _stage(plan, staging)
            steps.start("execute notebook")
            _execute(plan, staged, stop, kernel_name=kernel_name, progress=progress, start_timeout=start_timeout)
            steps.start("record report and provenance")
            record = _record(plan, staged)
            steps.start("publish outputs")
            _publish(plan, staged, record, stop)
        finally:
            stop["kernel_phase"] = True  # a second Ctrl-C must not cut the clean-up short
            shutil.rmtree(staging, ignore_errors=True)
    steps.done(plan.out_dir)
    evidence_dir = plan.out_dir / "evidence"
    evidence = tuple(sorted(path for path in evidence_dir.rglob("*") if path.is_file())) if (
        plan.wants_evidence and evidence_dir.is_dir()
    ) else ()
    return RunResult(
        out_dir=plan.out_dir,
        notebook=plan.out_dir / f"{plan.info.name}.ipynb",
        report=plan.out_dir / f"{plan.info.name}.html",
        record=plan.out_dir / RUN_RECORD,
        evidence=evidence,
        parameters=staged.values,
    )


#: The steps of a run, in order, as announced with ``progress``.
RUN_STEPS = ("resolve parameters", "stage inputs", "execute notebook", "record report and provenance",
             "publish outputs")


class _Steps:
    """Announce each step of a run on stderr (when enabled): ``tsinvest run NAME: [2/5] stage inputs``."""

    def __init__(self, notebook: str, enabled: bool):
        self.notebook = notebook
        self.enabled = enabled

    def start(self, step: str) -> None:
        if self.enabled:
            print(f"tsinvest run {self.notebook}: [{RUN_STEPS.index(step) + 1}/{len(RUN_STEPS)}] {step}",
                  file=sys.stderr, flush=True)

    def done(self, out_dir: Path) -> None:
        if self.enabled:
            print(f"tsinvest run {self.notebook}: done, outputs in {out_dir}", file=sys.stderr, flush=True)


@dataclass
class _Plan:
    """What a run resolved before any work: the notebook, its declared parameters (read once), the options."""

    info: NotebookInfo
    declared: dict[str, NotebookParameter]
    values: dict[str, object]
    out_dir: Path
    pseudonymiser: Pseudonymiser | None
    on_error: str
    hide_code: bool
    load_options: dict[str, str]

    @property
    def wants_evidence(self) -> bool:
        return EVIDENCE_PARAMETER in self.declared


@dataclass
class _Staged:
    """The staging folder of a run and what the notebook runs on."""

    staging: Path
    executed: Path
    source: Path
    cwd: Path
    values: dict[str, object]
    original_data_dir: object
    redaction: dict[str, object] | None = None
    quarantine: dict[str, object] | None = None
    copied: bool = False


def _resolve(
    notebook: str | os.PathLike,
    out_dir: str | os.PathLike,
    parameters: Mapping[str, object] | None,
    *,
    hide_code: bool,
    redact: bool,
    pseudonymiser: Pseudonymiser | None,
    on_error: str,
    load_options: Mapping[str, str] | None,
) -> _Plan:
    """Step 1: find the notebook, read its parameters once, check every option; create ``out_dir``."""
    try:
        import papermill  # noqa: F401 - checked before any work; it runs the notebook in _execute
    except ImportError:  # pragma: no cover - papermill is in the notebooks extra
        raise MissingDependencyError("papermill", "notebooks") from None
    info = find_notebook(notebook)
    declared = {parameter.name: parameter for parameter in notebook_parameters(info.path)}
    values: dict[str, object] = dict(parameters or {})
    _check_parameters(info, values, declared)
    if on_error not in ("raise", "quarantine"):
        raise ParameterError("on_error must be 'raise' or 'quarantine'")
    if pseudonymiser is None and redact:
        from tsinvest.reporting import Pseudonymiser

        pseudonymiser = Pseudonymiser.from_env()  # raises MissingKeyError: no default key, on purpose
    if isinstance(values.get("data_dir"), str):
        values["data_dir"] = str(Path(str(values["data_dir"])).resolve())
        if not Path(str(values["data_dir"])).is_dir():
            raise ParameterError("data_dir is not a folder; pass --data with the folder holding the tables")
    if pseudonymiser is not None and not isinstance(values.get("data_dir"), str):
        raise ParameterError("a redacted run needs the data folder: pass --data (or parameters={'data_dir': ...})")
    if on_error == "quarantine" and not isinstance(values.get("data_dir"), str):
        raise ParameterError("on_error='quarantine' applies to the data folder: pass --data")
    options = {name: value for name, value in (load_options or {}).items() if value is not None}
    unknown = sorted(set(options) - {"mapping", "timezone", "epoch_unit"})
    if unknown:
        raise ParameterError(f"load_options takes mapping, timezone and epoch_unit; not {', '.join(unknown)}")
    if options and not isinstance(values.get("data_dir"), str):
        raise ParameterError("--mapping, --timezone and --epoch-unit apply to the data folder: pass --data")
    folder = Path(out_dir)
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise ParameterError(
            f"--out '{folder.name}' is an existing file or link, not a folder; give a folder for the run's outputs"
        )
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    _check_replaceable(folder, info.name, EVIDENCE_PARAMETER in declared)
    return _Plan(info=info, declared=declared, values=values, out_dir=folder, pseudonymiser=pseudonymiser,
                 on_error=on_error, hide_code=hide_code, load_options=options)


def _stage(plan: _Plan, staging: Path) -> _Staged:
    """Step 2: the inputs the notebook runs on (pseudonymised or clean copy) and its evidence folder."""
    values = dict(plan.values)
    staged = _Staged(staging=staging, executed=staging / f"{plan.info.name}.ipynb", source=plan.info.path,
                     cwd=plan.info.path.parent, values=values, original_data_dir=values.get("data_dir"))
    if plan.pseudonymiser is not None:
        on_error, loaded = plan.on_error, None
        if plan.load_options:
            # Read with the input options first; the redacted copy is then made of canonical tables.
            loaded = _load_clean_copy(str(values["data_dir"]), staging, plan.on_error, plan.load_options,
                                      target="loaded", rejected_name="quarantine-loaded")
            shutil.rmtree(staging / "quarantine-loaded", ignore_errors=True)
            values["data_dir"], on_error = str(staging / "loaded"), "raise"
        staged.values, staged.source, treatments, staged.quarantine = _prepare_redacted_run(
            plan.info, values, staging, plan.pseudonymiser, on_error, tuple(plan.declared.values())
        )
        if loaded is not None and plan.on_error == "quarantine":
            staged.quarantine = {**loaded, "note": _REDACTED_QUARANTINE_NOTE}
        # Relative paths from the staging folder: the executed notebook
        # and its provenance cell then name no local folder.
        staged.cwd = staging
        staged.redaction = {
            "note": "redacted run: identifiers in the inputs and parameters were replaced by keyed "
            "pseudonyms before the notebook ran; input hashes are those of the pseudonymised tables",
            "key_check": plan.pseudonymiser.key_check(),
            "columns": [item.to_dict() for item in treatments],
        }
    elif plan.on_error == "quarantine" or plan.load_options:
        counts = _load_clean_copy(str(values["data_dir"]), staging, plan.on_error, plan.load_options)
        staged.quarantine = counts if plan.on_error == "quarantine" else None
        staged.copied = True
        values["data_dir"] = str(staging / _REDACTED_DATA)
    if plan.wants_evidence:
        (staging / "evidence").mkdir()
        staged.values[EVIDENCE_PARAMETER] = "evidence" if staged.redaction is not None else str(staging / "evidence")
    return staged


def _execute(plan: _Plan, staged: _Staged, stop: dict, *, kernel_name: str, progress: bool,
             start_timeout: int) -> None:
    """Step 3: run the notebook with papermill; a failed cell keeps ``failed-<notebook>.ipynb`` and raises."""
    try:
        import papermill
        from papermill.exceptions import PapermillExecutionError

        from tsinvest.notebooks.kernel import PrivateKernelManager
    except ImportError:  # pragma: no cover
        raise MissingDependencyError("papermill", "notebooks") from None
    stop["kernel_phase"] = True
    try:
        papermill.execute_notebook(
            str(staged.source),
            str(staged.executed),
            parameters=staged.values,
            kernel_name=kernel_name,
            progress_bar=progress,
            log_output=False,
            cwd=str(staged.cwd),
            start_timeout=start_timeout,
            kernel_manager_class=PrivateKernelManager,
            engine_name=_described_engine(),
        )
    except PapermillExecutionError as error:
        if stop["signum"] is not None:
            raise RunInterruptedError(stop["signum"]) from None
        raise _failed_cell(plan, staged, error) from None
    except BaseException:
        if stop["signum"] is not None:
            raise RunInterruptedError(stop["signum"]) from None
        raise
    if stop["signum"] is not None:
        raise RunInterruptedError(stop["signum"])
    stop["kernel_phase"] = False
    _clean_executed(staged.executed, plan.info, redacted=staged.redaction is not None, staging=staged.staging)


def cell_description(cell: Any, *, max_chars: int = 60) -> str | None:
    """What a code cell does, for the progress bar: its first line of code (not a comment), shortened.

    Parameter cells are described as such (their values may name local folders or ids).

    Examples
    --------
    >>> import nbformat
    >>> cell_description(nbformat.v4.new_code_cell("# Detect\\ndetection = detect(tables, seed=seed, as_of=as_of)"))
    'detection = detect(tables, seed=seed, as_of=as_of)'
    >>> cell_description(nbformat.v4.new_markdown_cell("# Title")) is None
    True
    """
    if cell.get("cell_type") != "code":
        return None
    tags = cell.get("metadata", {}).get("tags", [])
    if "parameters" in tags or "injected-parameters" in tags:
        return "parameters"
    for line in str(cell.get("source", "")).splitlines():
        text = "".join(character for character in line.strip() if character.isprintable())
        if text and not text.startswith("#"):
            return text if len(text) <= max_chars else text[: max_chars - 1] + "…"
    return None


_DESCRIBED_ENGINE = "tsinvest-described"


def _described_engine() -> str:
    """Name of a papermill engine whose per-cell progress bar says which cell runs (registered once)."""
    from papermill.engines import NBClientEngine, papermill_engines

    class DescribedEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> Any:
            # papermill reads a description from a `papermill_description=` comment only;
            # ours comes from the code itself, so notebooks need no markers.
            nb_man.get_cell_description = lambda cell, escape_str=None: cell_description(cell)
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register(_DESCRIBED_ENGINE, DescribedEngine)
    return _DESCRIBED_ENGINE


def _failed_cell(plan: _Plan, staged: _Staged, error: Any) -> NotebookError:
    """Keep the failed notebook next to the outputs; the error names the cell and the exception type only."""
    failed = plan.out_dir / f"failed-{plan.info.name}.ipynb"
    if staged.executed.exists():
        _clean_executed(staged.executed, plan.info, redacted=staged.redaction is not None, staging=staged.staging)
        os.replace(staged.executed, failed)
    return NotebookError(
        f"notebook '{plan.info.name}' failed in cell {error.cell_index} (In [{error.exec_count}]) "
        f"with {error.ename}; no report was written. The executed notebook is kept as "
        f"{failed.name} in the output folder for debugging.",
        notebook=plan.info.name,
        cell_index=error.cell_index,
        execution_count=error.exec_count,
        exception_name=error.ename,
    )


def _default_as_of(declared: Mapping[str, NotebookParameter]) -> str | None:
    parameter = declared.get("as_of")
    if parameter is None:
        return None
    text = parameter.default.strip()
    return text.strip("\"'") if text not in {"None", ""} else None


def _record(plan: _Plan, staged: _Staged) -> dict[str, Any]:
    """Step 4: the HTML report and ``run.json`` in the staging folder; outputs made owner-only."""
    values, staging = staged.values, staged.staging
    # The evidence folder is an implementation detail of this run; record it relative.
    if EVIDENCE_PARAMETER in values:
        values[EVIDENCE_PARAMETER] = "evidence"
    report = export_html(staged.executed, staging / f"{plan.info.name}.html", hide_code=plan.hide_code)
    data_dir = staged.original_data_dir
    if staged.redaction is not None:
        data_dir = str(staging / _REDACTED_DATA)
        values["data_dir"] = REDACTED
    elif staged.copied:
        values["data_dir"] = staged.original_data_dir
    record = provenance(
        data_dir if isinstance(data_dir, str) else None,
        as_of=str(values["as_of"]) if values.get("as_of") is not None else _default_as_of(plan.declared),
        parameters=values,
        notebook=plan.info.name,
    ).to_dict()
    if staged.redaction is not None:
        record["data_dir"] = REDACTED
        record["redacted"] = staged.redaction
    if staged.quarantine is not None:
        record["quarantine"] = staged.quarantine
    record["notebook_sha256"] = file_sha256(plan.info.path)
    record["hide_code"] = plan.hide_code
    produced = [staged.executed, report]
    for folder in ("evidence", "rejected"):
        if (staging / folder).is_dir():
            produced += sorted(path for path in (staging / folder).rglob("*") if path.is_file())
    for path in produced:
        # Whatever wrote them (notebook code too), outputs hold personal data: owner only.
        os.chmod(path, 0o600)
    record["outputs"] = sorted(
        (
            {"path": path.relative_to(staging).as_posix(), "sha256": file_sha256(path), "bytes": path.stat().st_size}
            for path in produced
        ),
        key=lambda item: str(item["path"]),
    )
    write_json(staging / RUN_RECORD, record)
    return record


def _publish(plan: _Plan, staged: _Staged, record: Mapping[str, Any], stop: dict) -> None:
    """Step 5: move the outputs into ``out_dir`` (evidence first, ``run.json`` last) and drop stale ones."""
    out_dir, staging, name = plan.out_dir, staged.staging, plan.info.name
    # Checked again: the folder may have changed during a long run.
    _check_replaceable(out_dir, name, plan.wants_evidence)
    previous = _previous_outputs(out_dir) or {}
    stop["kernel_phase"] = True  # from here a signal only records itself: the moves must all happen
    # Evidence first, record last: a run.json present means the run is complete.
    for folder in ("evidence", "rejected"):
        if (staging / folder).is_dir():
            replace_folder(staging / folder, out_dir / folder)
    for file_name in (staged.executed.name, f"{name}.html", RUN_RECORD):
        replace_folder(staging / file_name, out_dir / file_name)
    (out_dir / f"failed-{name}.ipynb").unlink(missing_ok=True)
    # Outputs of the previous run that this one did not produce again (rejected rows of an
    # earlier quarantine run): ours and unchanged, so removed, or run.json would not list them.
    current = {item["path"] for item in record["outputs"]}
    for relative, digest in sorted(previous.items()):
        stale = out_dir / relative
        if relative not in current and stale.is_file() and not stale.is_symlink() and file_sha256(stale) == digest:
            stale.unlink()
    rejected = out_dir / "rejected"
    if rejected.is_dir() and not rejected.is_symlink() and not any(rejected.iterdir()):
        rejected.rmdir()


@contextmanager
def _stop_on_signals() -> Iterator[dict]:
    """Turn SIGINT/SIGTERM into a clean stop: kill the kernel, remove staging, write nothing.

    The kernel runs in its own session, so Ctrl-C in the terminal does not
    reach it and papermill would finish the run. The handler kills every
    kernel this process started; papermill then fails on the dead kernel and
    the run raises :class:`~tsinvest.exceptions.RunInterruptedError`. Outside
    the kernel phase (while pseudonymising the inputs) it raises at once.
    """
    import signal
    import threading

    from tsinvest.notebooks.kernel import allow_kernels, stop_kernels

    state: dict = {"signum": None, "kernel_phase": False}
    if threading.current_thread() is not threading.main_thread():
        yield state
        return

    def handler(signum: int, frame: object) -> None:
        if state["signum"] is None:
            state["signum"] = signum
        stop_kernels()
        if not state["kernel_phase"]:
            raise RunInterruptedError(signum)

    previous = {number: signal.signal(number, handler) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield state
    finally:
        for number, old in previous.items():
            signal.signal(number, old)
        allow_kernels()


def _previous_outputs(out_dir: Path) -> dict[str, str] | None:
    """path -> SHA-256 of the files the previous run in ``out_dir`` wrote, or None when there is no valid record."""
    record_path = out_dir / RUN_RECORD
    if record_path.is_symlink() or not record_path.is_file():
        return None
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    outputs = record.get("outputs") if isinstance(record, dict) else None
    if not isinstance(outputs, list) or not all(isinstance(item, dict) for item in outputs):
        return None
    return {str(item.get("path")): str(item.get("sha256")) for item in outputs}


def _check_replaceable(out_dir: Path, name: str, evidence: bool) -> None:
    """Refuse to run when a file the run would replace was not written by the previous run (or was edited)."""
    previous = _previous_outputs(out_dir)
    known = previous or {}
    problems: list[str] = []
    for target in (f"{name}.ipynb", f"{name}.html", RUN_RECORD):
        path = out_dir / target
        if path.is_symlink():
            problems.append(f"'{target}' (a symbolic link)")
        elif path.exists():
            if target == RUN_RECORD:
                if previous is None:
                    problems.append(f"'{target}' (not a run record with output hashes)")
            elif not path.is_file() or known.get(target) != file_sha256(path):
                problems.append(f"'{target}'")
    for folder in ("evidence", "rejected") if evidence else ("rejected",):
        root = out_dir / folder
        if root.is_symlink() or (root.exists() and not root.is_dir()):
            problems.append(f"'{folder}' (not a plain folder)")
            continue
        for current, folders, files in os.walk(root):
            for entry in sorted(folders + files):
                path = Path(current) / entry
                relative = path.relative_to(out_dir).as_posix()
                if path.is_symlink():
                    problems.append(f"'{relative}' (a symbolic link)")
                elif path.is_file() and known.get(relative) != file_sha256(path):
                    problems.append(f"'{relative}'")
    if problems:
        shown = ", ".join(problems[:5]) + (f" and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise NotebookError(
            f"the output folder already holds {shown}, which the previous run there did not write or which "
            "changed since; tsinvest never replaces files it did not write. Choose a new --out folder, or move "
            "those files away"
        )


def _prepare_redacted_run(
    info: NotebookInfo,
    values: dict[str, object],
    staging: Path,
    pseudonymiser: Pseudonymiser,
    on_error: str,
    declared: tuple[NotebookParameter, ...],
) -> tuple[dict[str, object], Path, tuple[ColumnTreatment, ...], dict[str, object] | None]:
    """Pseudonymise the inputs into ``staging``, translate parameters as values, stage a notebook copy.

    The notebook's code is never rewritten by text replacement: a username
    ``None`` or a report id ``7`` must not turn into a NameError. Parameter
    values are translated as values (:func:`~tsinvest.reporting.dataset.translate_parameters`)
    and papermill injects them; the ``parameters`` cell's own default values
    are replaced, through the syntax tree, by the same translated values, so
    no raw default id stays in the notebook. Only prose is redacted as text:
    markdown cells and ``#`` comments.
    """
    import nbformat

    from tsinvest.reporting.dataset import literal_default, pseudonymise_data_dir, translate_parameters

    rejected = staging / "quarantine-redacted"
    redacted = pseudonymise_data_dir(
        str(values["data_dir"]), staging / _REDACTED_DATA, pseudonymiser, on_error=on_error, quarantine_path=rejected
    )
    quarantine = _quarantine_counts(rejected) if on_error == "quarantine" else None
    if quarantine is not None:
        quarantine["note"] = _REDACTED_QUARANTINE_NOTE
    shutil.rmtree(rejected, ignore_errors=True)
    redactor = redacted.redactor()
    # Defaults too: a default ticket or seed account must target the same
    # subject in the pseudonymised data, and must not stay raw in the notebook.
    candidates: dict[str, object] = {}
    for parameter in declared:
        if parameter.name in values or parameter.name in {"data_dir", EVIDENCE_PARAMETER}:
            continue
        try:
            candidates[parameter.name] = literal_default(parameter.default)
        except ParameterError:
            continue
    given = {name: value for name, value in values.items() if name != "data_dir"}
    translated, pairs = translate_parameters({**candidates, **given}, pseudonymiser, redactor)
    result = dict(translated)
    result["data_dir"] = _REDACTED_DATA

    full = redacted.redactor(pairs)
    notebook = nbformat.read(str(info.path), as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = full.redact(cell.source)
        elif cell.cell_type == "code":
            if "parameters" in cell.metadata.get("tags", []):
                cell.source = _replace_assigned_values(cell.source, result)
            cell.source = _redact_comments(cell.source, full)
            cell.outputs = []
            cell.execution_count = None
        else:
            cell.source = full.redact(cell.source)
        cell.pop("attachments", None)
    strip_widget_state(notebook)
    notebook.metadata.pop("papermill", None)
    (staging / _REDACTED_SOURCE).mkdir()
    source = staging / _REDACTED_SOURCE / info.path.name
    with atomic_write(source) as temporary:
        nbformat.write(notebook, str(temporary))
    return result, source, redacted.columns, quarantine


def _quarantine_counts(folder: Path) -> dict[str, object]:
    """Rows set aside per rejected side file (names only, never values)."""
    from tsinvest.notebooks.provenance import count_rows

    files = sorted(path for path in folder.rglob("*.csv") if path.is_file()) if folder.is_dir() else []
    counts = {path.name: count_rows(path) or 0 for path in files}
    return {"rejected_rows": counts, "total_rejected_rows": sum(counts.values())}


def _load_clean_copy(
    data_dir: str,
    staging: Path,
    on_error: str,
    options: Mapping[str, str],
    *,
    target: str = _REDACTED_DATA,
    rejected_name: str = "rejected",
) -> dict[str, object]:
    """Load ``data_dir`` (with the input options) into ``staging/<target>`` as Parquet.

    With ``on_error="quarantine"`` rejected rows land in ``staging/<rejected_name>`` and are counted.
    """
    from tsinvest.loading import load_dir

    rejected = staging / rejected_name
    quarantine_path = rejected if on_error == "quarantine" else None
    tables = load_dir(data_dir, on_error=on_error, quarantine_path=quarantine_path, **options)  # type: ignore[arg-type]
    folder = staging / target
    folder.mkdir()
    for table, frame in tables.items():
        with atomic_write(folder / f"{table}.parquet") as temporary:
            frame.reset_index(drop=True).to_parquet(temporary, index=False)
    counts = _quarantine_counts(rejected)
    if rejected.is_dir() and not any(rejected.iterdir()):
        rejected.rmdir()
    return counts


def _replace_assigned_values(source: str, values: Mapping[str, object]) -> str:
    """Replace the value of each top-level ``name = ...`` in ``source`` by ``repr(values[name])``.

    Works on the syntax tree's positions, so nothing but the assigned
    expressions changes (annotations, comments and other code stay). A cell
    that does not parse is returned unchanged.

    Examples
    --------
    >>> _replace_assigned_values('a: "Optional[str]" = "007"  # an id\\nb = 1\\n', {"a": "acct_x"})
    'a: "Optional[str]" = \\'acct_x\\'  # an id\\nb = 1\\n'
    """
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line_number: int, byte_column: int) -> int:
        line = lines[line_number - 1]
        return starts[line_number - 1] + len(line.encode("utf-8")[:byte_column].decode("utf-8", "ignore"))

    edits = []
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, value = node.target.id, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, value = node.targets[0].id, node.value
        else:
            continue
        if name not in values:
            continue
        literal = repr(values[name])
        try:
            if ast.literal_eval(literal) != values[name]:
                continue
        except (ValueError, SyntaxError):
            continue
        end_line, end_column = value.end_lineno or value.lineno, value.end_col_offset or value.col_offset
        edits.append((offset(value.lineno, value.col_offset), offset(end_line, end_column), literal))
    for start, end, literal in sorted(edits, reverse=True):
        source = source[:start] + literal + source[end:]
    return source


def _redact_comments(source: str, redactor: TextRedactor) -> str:
    """Redact the text of ``#`` comments only (prose, not code); other tokens are untouched."""
    import io
    import tokenize

    try:
        comments = [
            token for token in tokenize.generate_tokens(io.StringIO(source).readline) if token.type == tokenize.COMMENT
        ]
    except (tokenize.TokenError, SyntaxError):
        return source
    lines = source.splitlines(keepends=True)
    for token in reversed(comments):
        (row, start), (_, end) = token.start, token.end
        line = lines[row - 1]
        cleaned = str(redactor.redact(token.string)).replace("\r", " ").replace("\n", " ")
        lines[row - 1] = line[:start] + cleaned + line[end:]
    return "".join(lines)


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
    with atomic_write(path) as temporary:
        nbformat.write(notebook, str(temporary))


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
        from nbclient.exceptions import CellExecutionError

        from tsinvest.notebooks.kernel import PrivateKernelManager
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
        client.execute()
    except CellExecutionError as error:
        raise NotebookError(f"notebook '{path.name}' failed while refreshing: {type(error).__name__}") from None
    for cell in notebook.cells:
        # nbclient leaves execution metadata on cells; drop it so re-runs don't churn the diff.
        cell.metadata.pop("execution", None)
    notebook.metadata.pop("papermill", None)
    strip_widget_state(notebook)
    with atomic_write(path) as temporary:
        nbformat.write(notebook, str(temporary))
    # Committed notebooks are shared files of the repository, not private outputs.
    os.chmod(path, 0o644)
    return path
