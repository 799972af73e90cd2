"""Validated loaders for the canonical tables (see :mod:`tsinvest.schemas`).

One call per table returns a typed, validated DataFrame or one error listing
every problem in the input; see :func:`load_table` for the options.

Examples
--------
>>> import pandas as pd
>>> from tsinvest.loading import load_logins
>>> load_logins(pd.DataFrame({"account_id": ["00123"], "ts": ["2026-03-02T10:00:00Z"]})).shape
(1, 2)
"""

from tsinvest.loading.loaders import (
    FilesSkippedWarning,
    LoadReport,
    OnError,
    RowsRejectedWarning,
    SkippedFile,
    TableFiles,
    ValuesCleanedWarning,
    find_table_files,
    load_accounts,
    load_dir,
    load_enforcements,
    load_escalations,
    load_events,
    load_logins,
    load_report,
    load_reports,
    load_table,
    rejected_path_for,
    scan_table_files,
    table_for_file,
)
from tsinvest.loading.mapping import resolve_mapping
from tsinvest.loading.readers import FILE_EXTENSIONS
from tsinvest.loading.timestamps import to_utc

__all__ = [
    "load_table",
    "load_accounts",
    "load_events",
    "load_reports",
    "load_logins",
    "load_enforcements",
    "load_escalations",
    "load_dir",
    "find_table_files",
    "scan_table_files",
    "TableFiles",
    "SkippedFile",
    "FilesSkippedWarning",
    "table_for_file",
    "load_report",
    "rejected_path_for",
    "resolve_mapping",
    "to_utc",
    "LoadReport",
    "OnError",
    "RowsRejectedWarning",
    "ValuesCleanedWarning",
    "FILE_EXTENSIONS",
]
