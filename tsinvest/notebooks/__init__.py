"""Investigation notebooks: catalogue, headless runs, provenance, evidence bundles, case files.

The notebooks themselves live in the repository's ``notebooks/`` folder (see
:mod:`tsinvest.notebooks.catalogue` for how they are found). They call the small
result-object functions here (:func:`~tsinvest.notebooks.casefile.case_file`,
:func:`~tsinvest.notebooks.provenance.provenance`); ``tsinvest run`` and
``tsinvest bundle`` use :func:`~tsinvest.notebooks.runner.run_notebook` and
:func:`~tsinvest.notebooks.bundle.build_bundle`.
"""

from tsinvest.notebooks.bundle import build_bundle
from tsinvest.notebooks.casefile import CaseFile, case_file
from tsinvest.notebooks.catalogue import find_notebook, list_notebooks
from tsinvest.notebooks.provenance import Provenance, provenance
from tsinvest.notebooks.runner import RunResult, run_notebook

__all__ = [
    "list_notebooks",
    "find_notebook",
    "run_notebook",
    "RunResult",
    "provenance",
    "Provenance",
    "build_bundle",
    "case_file",
    "CaseFile",
]
