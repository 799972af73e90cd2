"""``tsinvest run``: execute an investigation notebook headless and write a report.

Examples::

    tsinvest run --list
    tsinvest run case_file --params
    tsinvest run coordinated_abuse --data data_samples --out reports/coordinated_abuse
    tsinvest run case_file --data data_samples -p account_id 00123 --out reports/case --hide-code
    TSINVEST_PSEUDONYM_KEY=... tsinvest run coordinated_abuse --data data_samples --out reports/shared --redact
    tsinvest run case_file --data data_samples --out reports/shared-case --redact --key-file ~/.tsinvest.key

Ctrl-C or SIGTERM stops a run: the kernel is killed, the staging folder
(with any pseudonymised copy) is deleted, nothing is written, and the exit
code is 130 (SIGINT) or 143 (SIGTERM). ``--out`` never replaces files the
previous run there did not write (the run is refused, naming them).

``-p NAME VALUE`` values are converted with the parameter's declared type only:
a ``str`` parameter (every id) is passed through untouched, so ``00123`` stays
``"00123"``.

``--redact`` writes a shareable report with no raw identifier anywhere: the
tables are pseudonymised with a keyed HMAC before the notebook runs (key from
``TSINVEST_PSEUDONYM_KEY`` or ``--key-file``; there is no default key, a
missing key is an error). See :func:`tsinvest.notebooks.runner.run_notebook`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from tsinvest.commands._options import (
    add_input_options,
    add_progress_option,
    input_options_given,
    load_options,
    show_progress,
)
from tsinvest.exceptions import ParameterError, RunInterruptedError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tsinvest.notebooks.catalogue import NotebookInfo, NotebookParameter
    from tsinvest.notebooks.runner import RunResult
    from tsinvest.reporting import Pseudonymiser

__all__ = ["NAME", "HELP", "ADD_HELP", "configure", "run"]

NAME = "run"
HELP = "run an investigation notebook headless and write an HTML report with provenance"
#: `tsinvest run NOTEBOOK --help` describes the notebook's parameters, so -h/--help is ours.
ADD_HELP = False


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-h", "--help", action="store_true", help="show this help, or a notebook's parameters")
    parser.add_argument("notebook", nargs="?", metavar="NOTEBOOK", help="bundled notebook name or path to an .ipynb")
    parser.add_argument("--list", action="store_true", help="list the bundled notebooks and exit")
    parser.add_argument("--params", action="store_true", help="list NOTEBOOK's parameters with types and defaults")
    parser.add_argument("--data", metavar="DATA_DIR", help="folder with the canonical tables (sets data_dir)")
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="set a notebook parameter (repeatable); converted by its declared type; lists as a,b or "
        "['a', 'b'] (as the explorer's exported parameters cell prints them)",
    )
    parser.add_argument("--out", metavar="OUT_DIR", help="run folder for the executed notebook, report and run.json")
    parser.add_argument("--hide-code", action="store_true", help="leave code out of the HTML report")
    add_progress_option(parser)
    parser.add_argument(
        "--redact",
        action="store_true",
        help="shareable report: pseudonymise every identifier before the notebook runs "
        "(key from TSINVEST_PSEUDONYM_KEY or --key-file)",
    )
    parser.add_argument("--key-file", metavar="PATH", help="file holding the pseudonymisation key (with --redact)")
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="re-execute bundled notebooks in place (maintainers: refresh committed outputs for nbval)",
    )
    add_input_options(parser)
    parser.set_defaults(run_parser=parser)


def _print_list() -> None:
    from tsinvest.notebooks.catalogue import list_notebooks

    notebooks = list_notebooks()
    width = max((len(info.name) for info in notebooks), default=0)
    for info in notebooks:
        print(f"{info.name:<{width}}  {info.description or info.title}")


def _print_params(notebook: str) -> None:
    from tsinvest.notebooks.catalogue import find_notebook

    info = find_notebook(notebook)
    print(f"{info.name}: {info.title}")
    if info.description:
        print(f"  {info.description}")
    print(f"  path: {info.path}")
    print("parameters (set with -p NAME VALUE; data_dir also with --data):")
    rows = [(p.name, p.type_name, p.default, p.help) for p in info.parameters]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(3)]
    for name, type_name, default, help_text in rows:
        line = f"  {name:<{widths[0]}}  {type_name:<{widths[1]}}  default {default:<{widths[2]}}"
        print((line + ("  " + help_text if help_text else "")).rstrip())


def _answer_listing(args: argparse.Namespace) -> bool:
    """``--list``, ``--help`` and ``--params``: print and return True; False when a run is asked for."""
    if args.list:
        _print_list()
    elif args.help or args.params:
        if args.notebook:
            _print_params(args.notebook)
        else:
            args.run_parser.print_help()
    else:
        return False
    return True


def _refresh(args: argparse.Namespace) -> None:
    from tsinvest.notebooks.catalogue import find_notebook, list_notebooks
    from tsinvest.notebooks.runner import refresh_notebook

    if args.redact or input_options_given(args):
        raise ParameterError("--refresh re-executes the committed notebooks on their sample data as they read it; "
                             "drop --redact and the input options")
    targets = [find_notebook(args.notebook)] if args.notebook else list_notebooks()
    for info in targets:
        refresh_notebook(info.path)
        print(f"refreshed {info.path}")


def _parameter_values(
    info: NotebookInfo, declared: Mapping[str, NotebookParameter], args: argparse.Namespace
) -> dict[str, object]:
    """``-p`` values converted by their declared types, and ``--data`` as ``data_dir``."""
    from tsinvest.notebooks.catalogue import coerce_parameter

    values: dict[str, object] = {}
    for name, raw in args.parameter:
        if name not in declared:
            raise ParameterError(
                f"notebook '{info.name}' has no parameter '{name}'; "
                f"its parameters are: {', '.join(declared) or 'none'}"
            )
        values[name] = coerce_parameter(declared[name], raw)
    if args.data is not None:
        if "data_dir" not in declared:
            raise ParameterError(f"notebook '{info.name}' has no data_dir parameter; drop --data")
        if "data_dir" in values:
            raise ParameterError("give the data folder once: either --data or -p data_dir")
        values["data_dir"] = args.data
    elif "data_dir" in declared and "data_dir" not in values:
        raise ParameterError("--data is required: the folder with the tables to investigate")
    return values


def _pseudonymiser(args: argparse.Namespace) -> Pseudonymiser | None:
    """The key holder of a redacted run, read before any work so that a missing key fails in a second."""
    if args.key_file and not args.redact:
        raise ParameterError("--key-file only applies to a redacted run; add --redact")
    if not args.redact:
        return None
    from tsinvest.reporting import Pseudonymiser

    return Pseudonymiser.from_key_file(args.key_file) if args.key_file else Pseudonymiser.from_env()


def _print_result(result: RunResult, args: argparse.Namespace, redacted: bool) -> None:
    if args.on_error == "quarantine":
        quarantine = json.loads(result.record.read_text(encoding="utf-8")).get("quarantine", {})
        print(f"quarantine: {quarantine.get('total_rejected_rows', 0)} rejected row(s) set aside (see run.json)")
    print(f"report: {result.report}")
    print(f"notebook: {result.notebook}")
    print(f"provenance: {result.record}")
    if redacted:
        print("redacted: identifiers are keyed pseudonyms in every output")
    if result.evidence:
        print(f"evidence: {len(result.evidence)} file(s) in {result.out_dir / 'evidence'}")
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    from tsinvest.notebooks.casefile import preflight
    from tsinvest.notebooks.catalogue import find_notebook
    from tsinvest.notebooks.runner import run_notebook

    if _answer_listing(args):
        return 0
    if args.refresh:
        _refresh(args)
        return 0
    if not args.notebook:
        raise ParameterError("name a NOTEBOOK to run (see `tsinvest run --list`)")
    if not args.out:
        raise ParameterError("--out is required: the folder for the executed notebook and report")
    info = find_notebook(args.notebook)
    declared = {parameter.name: parameter for parameter in info.parameters}  # read once here
    values = _parameter_values(info, declared, args)
    # Cheap checks of the notebook's own parameters (a wrong case id) before minutes of execution.
    preflight(info.name, values, {name: parameter.default for name, parameter in declared.items()})
    pseudonymiser = _pseudonymiser(args)
    options = load_options(args)
    try:
        result = run_notebook(info.path, args.out, parameters=values, hide_code=args.hide_code,
                              progress=show_progress(args), pseudonymiser=pseudonymiser,
                              on_error=options.pop("on_error"), load_options=options)
    except RunInterruptedError as error:
        print(f"tsinvest run: {error}", file=sys.stderr)
        return 128 + error.signum
    _print_result(result, args, pseudonymiser is not None)
    return 0
