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
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tsinvest.exceptions import MissingDependencyError, NotebookError, ParameterError, RunInterruptedError
from tsinvest.files import atomic_write, replace_folder, write_json, write_text
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
    return write_text(html_path, body)


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
    on_error: Literal["raise", "quarantine"] = "raise",
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
    on_error : {"raise", "quarantine"}
        How the tables are loaded (:func:`tsinvest.loading.load_dir`):
        ``"raise"`` lets the notebook load the folder itself and stop on a
        bad row; ``"quarantine"`` loads it before the run, sets bad rows
        aside and runs the notebook on the clean rows (a copy in the staging
        folder). Rejected rows of an ordinary run land in ``OUT_DIR/rejected/``;
        those of a redacted run are deleted with the staging folder (they hold
        raw data) and only counted. ``run.json`` records the counts.

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

    out_dir = Path(out_dir)
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        raise ParameterError(
            f"--out '{out_dir.name}' is an existing file or link, not a folder; give a folder for the run's outputs"
        )
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    _check_replaceable(out_dir, info.name, EVIDENCE_PARAMETER in declared)

    with _stop_on_signals() as stop:
        staging = Path(tempfile.mkdtemp(prefix=f".tsinvest-run-{info.name}-", dir=out_dir))
        try:
            executed = staging / f"{info.name}.ipynb"
            source = info.path
            cwd = info.path.parent
            redaction: dict[str, object] | None = None
            quarantine: dict[str, object] | None = None
            original_data_dir = values.get("data_dir")
            if pseudonymiser is not None:
                values, source, treatments, quarantine = _prepare_redacted_run(
                    info, values, staging, pseudonymiser, on_error
                )
                # Relative paths from the staging folder: the executed notebook
                # and its provenance cell then name no local folder.
                cwd = staging
                redaction = {
                    "note": "redacted run: identifiers in the inputs and parameters were replaced by keyed "
                    "pseudonyms before the notebook ran; input hashes are those of the pseudonymised tables",
                    "key_check": pseudonymiser.key_check(),
                    "columns": [item.to_dict() for item in treatments],
                }
            elif on_error == "quarantine":
                quarantine = _load_clean_copy(str(values["data_dir"]), staging)
                values["data_dir"] = str(staging / _REDACTED_DATA)
            if EVIDENCE_PARAMETER in declared:
                (staging / "evidence").mkdir()
                values[EVIDENCE_PARAMETER] = "evidence" if redaction is not None else str(staging / "evidence")
            stop["kernel_phase"] = True
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
                if stop["signum"] is not None:
                    raise RunInterruptedError(stop["signum"]) from None
                failed = out_dir / f"failed-{info.name}.ipynb"
                if executed.exists():
                    _clean_executed(executed, info, redacted=redaction is not None, staging=staging)
                    os.replace(executed, failed)
                raise NotebookError(
                    f"notebook '{info.name}' failed in cell {error.cell_index} (In [{error.exec_count}]) "
                    f"with {error.ename}; no report was written. The executed notebook is kept as "
                    f"{failed.name} in the output folder for debugging."
                ) from None
            except BaseException:
                if stop["signum"] is not None:
                    raise RunInterruptedError(stop["signum"]) from None
                raise
            if stop["signum"] is not None:
                raise RunInterruptedError(stop["signum"])
            stop["kernel_phase"] = False
            _clean_executed(executed, info, redacted=redaction is not None, staging=staging)

            # The evidence folder is an implementation detail of this run; record it relative.
            if EVIDENCE_PARAMETER in values:
                values[EVIDENCE_PARAMETER] = "evidence"
            report = export_html(executed, staging / f"{info.name}.html", hide_code=hide_code)
            data_dir = original_data_dir
            if redaction is not None:
                data_dir = str(staging / _REDACTED_DATA)
                values["data_dir"] = REDACTED
            elif quarantine is not None:
                values["data_dir"] = original_data_dir
            record = provenance(
                data_dir if isinstance(data_dir, str) else None,
                as_of=str(values["as_of"]) if values.get("as_of") is not None else _default_as_of(info),
                parameters=values,
                notebook=info.name,
            ).to_dict()
            if redaction is not None:
                record["data_dir"] = REDACTED
                record["redacted"] = redaction
            if quarantine is not None:
                record["quarantine"] = quarantine
            record["notebook_sha256"] = file_sha256(info.path)
            record["hide_code"] = hide_code
            produced = [executed, report]
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
                key=lambda item: item["path"],
            )
            write_json(staging / RUN_RECORD, record)

            # Checked again: the folder may have changed during a long run.
            _check_replaceable(out_dir, info.name, EVIDENCE_PARAMETER in declared)
            previous = _previous_outputs(out_dir) or {}
            stop["kernel_phase"] = True  # from here a signal only records itself: the moves must all happen
            # Evidence first, record last: a run.json present means the run is complete.
            for folder in ("evidence", "rejected"):
                if (staging / folder).is_dir():
                    replace_folder(staging / folder, out_dir / folder)
            for name in (executed.name, report.name, RUN_RECORD):
                replace_folder(staging / name, out_dir / name)
            (out_dir / f"failed-{info.name}.ipynb").unlink(missing_ok=True)
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
        finally:
            stop["kernel_phase"] = True  # a second Ctrl-C must not cut the clean-up short
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

    def handler(signum, frame):
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


def _prepare_redacted_run(info: NotebookInfo, values: dict[str, object], staging: Path, pseudonymiser, on_error: str):
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

    from tsinvest.notebooks.catalogue import notebook_parameters as read_parameters
    from tsinvest.reporting.dataset import literal_default, pseudonymise_data_dir, translate_parameters

    rejected = staging / "quarantine-redacted"
    redacted = pseudonymise_data_dir(
        str(values["data_dir"]), staging / _REDACTED_DATA, pseudonymiser, on_error=on_error, quarantine_path=rejected
    )
    quarantine = _quarantine_counts(rejected) if on_error == "quarantine" else None
    if quarantine is not None:
        quarantine["note"] = "rejected rows of a redacted run hold raw data: counted, then deleted with the staging folder"
    shutil.rmtree(rejected, ignore_errors=True)
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


def _load_clean_copy(data_dir: str, staging: Path) -> dict[str, object]:
    """Load ``data_dir`` with quarantine into ``staging/data`` (Parquet); rejected rows into ``staging/rejected``."""
    from tsinvest.loading import load_dir

    rejected = staging / "rejected"
    tables = load_dir(data_dir, on_error="quarantine", quarantine_path=rejected)
    target = staging / _REDACTED_DATA
    target.mkdir()
    for table, frame in tables.items():
        with atomic_write(target / f"{table}.parquet") as temporary:
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
        edits.append((offset(value.lineno, value.col_offset), offset(value.end_lineno, value.end_col_offset), literal))
    for start, end, literal in sorted(edits, reverse=True):
        source = source[:start] + literal + source[end:]
    return source


def _redact_comments(source: str, redactor) -> str:
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
    with atomic_write(path) as temporary:
        nbformat.write(notebook, str(temporary))
    # Committed notebooks are shared files of the repository, not private outputs.
    os.chmod(path, 0o644)
    return path
