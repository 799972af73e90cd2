"""Canonical tables: the column names every part of tsinvest relies on.

Each table is described once, declaratively, by a :class:`TableSpec`. Loaders
validate inputs against these specs, the workspace registers tables under these
names, and the detectors read these columns. More columns than the spec lists
are allowed and kept.

Types, for every table:

* id columns are strings, always (a 19-digit numeric id must come back
  byte-identical; a leading zero must survive);
* time columns are timezone-aware UTC timestamps;
* other text columns are strings; ``follower_count`` and ``reach`` are integers.

Examples
--------
>>> TABLES["reports"].required
('report_id', 'reporter_id', 'target_account_id', 'policy', 'ts')
>>> TABLES["events"].id_columns
('account_id', 'target_id')
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from tsinvest.exceptions import UnknownTableError

__all__ = [
    "TableSpec",
    "TABLES",
    "TABLE_NAMES",
    "ESCALATION_CHANNELS",
    "ESCALATION_SEVERITIES",
    "TIMESTAMP_DTYPE",
    "STRING_DTYPE",
    "EDGE_COLUMNS",
    "table_spec",
]

#: dtype of every time column after loading.
TIMESTAMP_DTYPE = pd.DatetimeTZDtype("ns", "UTC")
#: dtype of every id and text column after loading (pandas 2 and 3 alike).
STRING_DTYPE = pd.StringDtype()

ESCALATION_CHANNELS = ("user", "partner", "regulator", "internal")
#: Closed vocabulary of ``escalations.severity``, least to most severe: the harm if the
#: ticket's claim is true (``priority`` is the SLA class the ticket was filed under).
ESCALATION_SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class TableSpec:
    """The contract of one canonical table.

    Attributes
    ----------
    name : str
        Table name, also the file stem ``load_dir`` looks for (``events.csv``).
    required, optional : tuple of str
        Canonical columns that must / may be present.
    id_columns : tuple of str
        Columns holding identifiers: kept as strings, never parsed as numbers.
    time_columns : tuple of str
        Columns converted to UTC timestamps.
    integer_columns : tuple of str
        Columns holding non-negative counts.
    primary_key : str or None
        Column whose values must be unique and present.
    allowed_values : dict
        Columns restricted to a closed vocabulary.
    """

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    id_columns: tuple[str, ...] = ()
    time_columns: tuple[str, ...] = ()
    integer_columns: tuple[str, ...] = ()
    primary_key: str | None = None
    allowed_values: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every canonical column, required first."""
        return self.required + self.optional

    @property
    def string_columns(self) -> tuple[str, ...]:
        """Canonical columns that are neither times nor integers."""
        return tuple(c for c in self.columns if c not in self.time_columns and c not in self.integer_columns)


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            name="accounts",
            required=("account_id", "created_at", "username"),
            optional=("display_name", "country", "follower_count", "status"),
            id_columns=("account_id",),
            time_columns=("created_at",),
            integer_columns=("follower_count",),
            primary_key="account_id",
        ),
        TableSpec(
            name="events",
            required=("account_id", "action", "target_id", "ts"),
            optional=("text", "target_type"),
            id_columns=("account_id", "target_id"),
            time_columns=("ts",),
        ),
        TableSpec(
            name="reports",
            required=("report_id", "reporter_id", "target_account_id", "policy", "ts"),
            optional=("target_content_id",),
            id_columns=("report_id", "reporter_id", "target_account_id", "target_content_id"),
            time_columns=("ts",),
            primary_key="report_id",
        ),
        TableSpec(
            name="logins",
            required=("account_id", "ts"),
            optional=("ip", "device_id", "user_agent"),
            id_columns=("account_id", "ip", "device_id"),
            time_columns=("ts",),
        ),
        TableSpec(
            name="enforcements",
            required=("account_id", "action", "policy", "ts"),
            optional=("content_id",),
            id_columns=("account_id", "content_id"),
            time_columns=("ts",),
        ),
        TableSpec(
            name="escalations",
            required=("ticket_id", "channel", "subject_account_id", "policy", "priority", "opened_at", "status"),
            # requester: the partner, regulator or internal team that filed the ticket (empty for users);
            # reach: followers or views affected; resolved_at: when the ticket was resolved or closed.
            optional=("due_at", "summary", "resolved_at", "assignee", "requester", "reach", "severity"),
            id_columns=("ticket_id", "subject_account_id"),
            time_columns=("opened_at", "due_at", "resolved_at"),
            integer_columns=("reach",),
            primary_key="ticket_id",
            allowed_values={"channel": ESCALATION_CHANNELS, "severity": ESCALATION_SEVERITIES},
        ),
    )
}

TABLE_NAMES: tuple[str, ...] = tuple(TABLES)

#: Columns of every account-to-account edge table (coordination, shared
#: attributes, copy-paste text). ``account_a < account_b`` in string order.
EDGE_COLUMNS = ("account_a", "account_b", "signal", "weight", "first_ts", "last_ts", "evidence")


def table_spec(table: str) -> TableSpec:
    """Return the spec of a canonical table, or raise a clear error.

    Examples
    --------
    >>> table_spec("logins").primary_key is None
    True
    """
    try:
        return TABLES[table]
    except KeyError:
        raise UnknownTableError(
            f"unknown table '{table}'; canonical tables are: {', '.join(TABLE_NAMES)}"
        ) from None
