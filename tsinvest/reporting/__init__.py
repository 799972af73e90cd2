"""Sharing findings safely: pseudonyms, spreadsheet-safe exports, escaped HTML.

Findings leave the team (policy experts, partners, regulators) while the data
is personal and written by adversaries. Three modules, one job each:

* :mod:`~tsinvest.reporting.pseudonymise`: keyed HMAC pseudonyms for ids in
  frames, graphs and free text;
* :mod:`~tsinvest.reporting.safe_export`: CSV and Excel files that never run a
  formula and keep ids exact;
* :mod:`~tsinvest.reporting.safe_html`: HTML tables where every value is
  escaped and hidden characters are made visible;
* :mod:`~tsinvest.reporting.dataset`: a whole data folder pseudonymised
  before a redacted run (``tsinvest run --redact``).

Examples
--------
>>> from tsinvest.reporting import Pseudonymiser, display_table
>>> Pseudonymiser(b"doctest-key-6f0c1e9a2b7d4c8e3f5a9b1d7c2e4f60").pseudonym("42").startswith("acct_")
True
"""

from tsinvest.reporting.dataset import pseudonymise_data_dir, pseudonymise_tables
from tsinvest.reporting.pseudonymise import (
    Pseudonymiser,
    TextRedactor,
    pseudonymise_frame,
    pseudonymise_graph,
    redact_text,
)
from tsinvest.reporting.safe_export import safe_frame, to_safe_csv, to_safe_excel, xml_safe_text
from tsinvest.reporting.safe_html import SafeTable, display_table, safe_table_html

__all__ = [
    "Pseudonymiser",
    "TextRedactor",
    "pseudonymise_frame",
    "pseudonymise_graph",
    "redact_text",
    "pseudonymise_tables",
    "pseudonymise_data_dir",
    "safe_frame",
    "to_safe_csv",
    "to_safe_excel",
    "xml_safe_text",
    "SafeTable",
    "display_table",
    "safe_table_html",
]
