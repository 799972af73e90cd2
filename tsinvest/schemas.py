"""Canonical and derived tables: the column names, dtypes and roles every part of tsinvest relies on.

Each table is described once, declaratively, by a :class:`TableSpec`: the
canonical input tables (:data:`TABLES`) and the tables tsinvest derives
(:data:`EDGES`, :data:`MEMBERSHIPS`, :data:`CLUSTER_SUMMARY`). Loaders validate
inputs against these specs, the workspace registers tables under these names,
the detectors read these columns and conform their outputs with
:func:`conform`, and redaction reads each column's role (:meth:`TableSpec.role`:
identifier and pseudonym kind, time, free text, closed vocabulary). More
columns than the spec lists are allowed and kept.

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

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Literal

import pandas as pd

from tsinvest.exceptions import ParameterError, UnknownTableError

__all__ = [
    "TableSpec",
    "ColumnRole",
    "PseudonymKind",
    "TABLES",
    "DERIVED_TABLES",
    "EDGES",
    "MEMBERSHIPS",
    "CLUSTER_SUMMARY",
    "dtype_problems",
    "conform",
    "TABLE_NAMES",
    "ESCALATION_CHANNELS",
    "ESCALATION_SEVERITIES",
    "CLOSED_VOCABULARIES",
    "TIMESTAMP_DTYPE",
    "STRING_DTYPE",
    "EDGE_COLUMNS",
    "table_spec",
    "require_columns",
]

#: dtype of every time column after loading.
TIMESTAMP_DTYPE = pd.DatetimeTZDtype("ns", "UTC")
#: dtype of every id and text column after loading (pandas 2 and 3 alike).
STRING_DTYPE = pd.StringDtype()

ESCALATION_CHANNELS = ("user", "partner", "regulator", "internal")
#: Closed vocabulary of ``escalations.severity``, least to most severe: the harm if the
#: ticket's claim is true (``priority`` is the SLA class the ticket was filed under).
ESCALATION_SEVERITIES = ("low", "medium", "high", "critical")


#: Kind of pseudonym a redacted run gives an identifying column (``acct`` for account ids,
#: ``user`` for the names people go by, ...): the same raw value of the same kind always
#: gets the same pseudonym, so joins survive redaction.
PseudonymKind = Literal[
    "acct", "user", "ip", "device", "email", "content", "report", "ticket", "phone", "number", "value"
]
#: What a column holds, as redaction, exports and validation see it (see :meth:`TableSpec.role`).
ColumnRole = Literal["id", "time", "count", "number", "flag", "text", "vocabulary", "other"]


@dataclass(frozen=True)
class TableSpec:
    """The contract of one table: canonical input tables and the tables tsinvest derives.

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
        Columns restricted to a closed vocabulary (enforced on load).
    pseudonym_kinds : dict
        Identifying columns (every id column, and the names people go by) ->
        the kind of pseudonym a redacted run gives them.
    text_columns : tuple of str
        Free text written by the people investigated: kept in a redacted run
        with every identifier-like token inside replaced.
    float_columns, flag_columns : tuple of str
        Columns of a derived table holding ``float64`` numbers / booleans.

    Examples
    --------
    >>> TABLES["events"].role("text"), TABLES["events"].role("action"), EDGES.role("weight")
    ('text', 'vocabulary', 'number')
    """

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    id_columns: tuple[str, ...] = ()
    time_columns: tuple[str, ...] = ()
    integer_columns: tuple[str, ...] = ()
    primary_key: str | None = None
    allowed_values: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    pseudonym_kinds: Mapping[str, PseudonymKind] = field(default_factory=lambda: MappingProxyType({}))
    text_columns: tuple[str, ...] = ()
    float_columns: tuple[str, ...] = ()
    flag_columns: tuple[str, ...] = ()

    def __reduce__(self) -> tuple[Callable[..., TableSpec], tuple[dict[str, object]]]:
        # Read-only mappings cannot be pickled or deep-copied as such: travel as dicts.
        state = {
            item.name: dict(value) if isinstance(value := getattr(self, item.name), Mapping) else value
            for item in fields(self)
        }
        return _rebuilt_spec, (state,)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every canonical column, required first."""
        return self.required + self.optional

    @property
    def closed_vocabularies(self) -> dict[str, tuple[str, ...]]:
        """Columns whose values come from a declared closed set (:data:`CLOSED_VOCABULARIES` and ``allowed_values``).

        A redacted report shows such a column's values verbatim only when
        they are in the declared set; everything else is pseudonymised.
        """
        declared = dict(CLOSED_VOCABULARIES.get(self.name, {}))
        declared.update(self.allowed_values)
        return declared

    @property
    def string_columns(self) -> tuple[str, ...]:
        """Canonical columns that are neither times nor numbers nor flags."""
        typed = self.time_columns + self.integer_columns + self.float_columns + self.flag_columns
        return tuple(c for c in self.columns if c not in typed)

    def role(self, column: str) -> ColumnRole | None:
        """What ``column`` holds: the one place redaction, exports and validation look it up.

        ``id`` (an identifier or a name people go by: see
        :attr:`pseudonym_kinds`), ``time``, ``count`` (integer), ``number``
        (float), ``flag`` (boolean), ``text`` (free text), ``vocabulary`` (a
        declared closed set), ``other`` (a canonical column none of these
        cover); None for a column the spec does not list.
        """
        if column in self.pseudonym_kinds or column in self.id_columns:
            return "id"
        typed: tuple[tuple[tuple[str, ...], ColumnRole], ...] = (
            (self.time_columns, "time"),
            (self.integer_columns, "count"),
            (self.float_columns, "number"),
            (self.flag_columns, "flag"),
            (self.text_columns, "text"),
            (tuple(self.closed_vocabularies), "vocabulary"),
        )
        for columns, role in typed:
            if column in columns:
                return role
        return "other" if column in self.columns else None


def _rebuilt_spec(state: dict[str, object]) -> TableSpec:
    return TableSpec(**{  # type: ignore[arg-type]
        name: MappingProxyType(value) if isinstance(value, dict) else value for name, value in state.items()
    })


TABLES: Mapping[str, TableSpec] = MappingProxyType({
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
            pseudonym_kinds=MappingProxyType({"account_id": "acct", "username": "user", "display_name": "user"}),
        ),
        TableSpec(
            name="events",
            required=("account_id", "action", "target_id", "ts"),
            optional=("text", "target_type"),
            id_columns=("account_id", "target_id"),
            time_columns=("ts",),
            # events.target_id is special-cased by redaction: account targets (follows) get the
            # account kind, so a follow still points at the followed account's pseudonym.
            pseudonym_kinds=MappingProxyType({"account_id": "acct", "target_id": "content"}),
            text_columns=("text",),
        ),
        TableSpec(
            name="reports",
            required=("report_id", "reporter_id", "target_account_id", "policy", "ts"),
            optional=("target_content_id",),
            id_columns=("report_id", "reporter_id", "target_account_id", "target_content_id"),
            time_columns=("ts",),
            primary_key="report_id",
            pseudonym_kinds=MappingProxyType({
                "report_id": "report",
                "reporter_id": "acct",
                "target_account_id": "acct",
                "target_content_id": "content",
            }),
        ),
        TableSpec(
            name="logins",
            required=("account_id", "ts"),
            optional=("ip", "device_id", "user_agent"),
            id_columns=("account_id", "ip", "device_id"),
            time_columns=("ts",),
            pseudonym_kinds=MappingProxyType({"account_id": "acct", "ip": "ip", "device_id": "device"}),
            text_columns=("user_agent",),
        ),
        TableSpec(
            name="enforcements",
            required=("account_id", "action", "policy", "ts"),
            optional=("content_id",),
            id_columns=("account_id", "content_id"),
            time_columns=("ts",),
            pseudonym_kinds=MappingProxyType({"account_id": "acct", "content_id": "content"}),
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
            allowed_values=MappingProxyType({"channel": ESCALATION_CHANNELS, "severity": ESCALATION_SEVERITIES}),
            pseudonym_kinds=MappingProxyType({"ticket_id": "ticket", "subject_account_id": "acct"}),
            text_columns=("summary",),
        ),
    )
})

TABLE_NAMES: tuple[str, ...] = tuple(TABLES)

#: Every account-to-account edge table (coordination, shared attributes, copy-paste
#: text, peer definitions): one row per account pair and signal, ``account_a <
#: account_b`` in string order. ``weight`` is ``float64`` for every signal: shared
#: attributes weigh a value by ``1 / log(accounts sharing it)``, a fraction, and the
#: graph sums weights across signals, so one dtype must hold both; counts (co-actions)
#: are exact in a float64 up to 2**53.
EDGES = TableSpec(
    name="edges",
    required=("account_a", "account_b", "signal", "weight", "first_ts", "last_ts", "evidence"),
    id_columns=("account_a", "account_b"),
    time_columns=("first_ts", "last_ts"),
    float_columns=("weight",),
    pseudonym_kinds=MappingProxyType({"account_a": "acct", "account_b": "acct"}),
    # Evidence lists the shared targets, values or texts: redaction treats it as free text.
    text_columns=("evidence",),
)
#: Columns of every edge table, in order (:data:`EDGES`).
EDGE_COLUMNS = EDGES.required
#: One row per (account, cluster) of a detection (``clusters.csv``).
MEMBERSHIPS = TableSpec(
    name="memberships",
    required=("account_id", "cluster_id", "kind", "signal", "score", "flagged", "member_coordinated_share"),
    id_columns=("account_id", "cluster_id"),
    float_columns=("score", "member_coordinated_share"),
    flag_columns=("flagged",),
    pseudonym_kinds=MappingProxyType({"account_id": "acct"}),
)
#: One row per cluster of a detection (``cluster_summary.csv``); each detector adds
#: its own feature columns after these.
CLUSTER_SUMMARY = TableSpec(
    name="cluster_summary",
    required=("cluster_id", "kind", "signal", "signals", "size", "score", "flagged"),
    optional=("explanation",),
    id_columns=("cluster_id",),
    integer_columns=("size",),
    float_columns=("score",),
    flag_columns=("flagged",),
    text_columns=("explanation",),
)
#: The tables tsinvest derives, by name.
DERIVED_TABLES: Mapping[str, TableSpec] = MappingProxyType(
    {spec.name: spec for spec in (EDGES, MEMBERSHIPS, CLUSTER_SUMMARY)}
)


def _dtypes(spec: TableSpec) -> dict[str, tuple[str, ...]]:
    """Accepted dtypes of every column of ``spec``, the one it is cast to first."""
    by_role = {
        "time": (str(TIMESTAMP_DTYPE),),
        "count": ("int64", "Int64"),
        "number": ("float64",),
        "flag": ("bool",),
    }
    return {column: by_role.get(str(spec.role(column)), (str(STRING_DTYPE),)) for column in spec.columns}


def conform(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Cast the columns of ``spec`` present in ``frame`` to their declared dtypes (see :func:`dtype_problems`).

    What every producer of a derived table calls last. Times are not parsed
    here: a time column must already hold UTC timestamps.

    Examples
    --------
    >>> summary = conform(pd.DataFrame({"cluster_id": ["c1"], "size": [3.0], "flagged": [1]}), CLUSTER_SUMMARY)
    >>> summary.dtypes.astype(str).tolist()
    ['string', 'int64', 'bool']
    """
    casts = {
        column: accepted[0]
        for column, accepted in _dtypes(spec).items()
        if column in frame.columns and column not in spec.time_columns and str(frame[column].dtype) not in accepted
    }
    return frame.astype(casts) if casts else frame


def dtype_problems(frame: pd.DataFrame, spec: TableSpec) -> list[str]:
    """Where ``frame`` breaks the column and dtype contract of ``spec``, one line per column.

    Ids and text are ``string``, times ``datetime64[ns, UTC]``, counts
    ``int64`` (or nullable ``Int64``), numbers ``float64``, flags ``bool``.
    An empty list means the frame conforms; extra columns are allowed.

    Examples
    --------
    >>> edges = pd.DataFrame({column: pd.Series(dtype="string") for column in EDGE_COLUMNS})
    >>> dtype_problems(edges, EDGES)[:2]
    ["'weight' is string, expected float64", "'first_ts' is string, expected datetime64[ns, UTC]"]
    """
    expected = _dtypes(spec)
    problems = [f"{column!r} is missing" for column in spec.required if column not in frame.columns]
    for column, allowed in expected.items():
        if column in frame.columns and str(frame[column].dtype) not in allowed:
            problems.append(f"{column!r} is {frame[column].dtype}, expected {allowed[0]}")
    return problems


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


def require_columns(
    available: Iterable[Hashable],
    needed: Mapping[str, str | None] | Iterable[str | None],
    *,
    name: str,
) -> None:
    """Raise one error naming every missing column, with the parameter that names each.

    The one required-column check of the kit: a caller learns about all
    missing columns at once, and which keyword argument to change.

    Parameters
    ----------
    available : iterable
        The input's column names (a DataFrame iterates over its columns).
    needed : mapping or iterable
        ``{parameter: column}`` for columns a caller chose by keyword
        argument, or plain column names; None entries are skipped (an
        optional column that was not asked for).
    name : str
        What is checked, named in the message (``"copy_paste_edges"``,
        ``"memberships"``).

    Raises
    ------
    ParameterError
        Listing every missing column, sorted, never a row value.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"ts": []})
    >>> require_columns(frame, {"time": "ts"}, name="coordination_edges")
    >>> require_columns(frame, {"actor": "account_id", "target": "target_id", "time": "ts"},
    ...                 name="coordination_edges")
    Traceback (most recent call last):
    ...
    tsinvest.exceptions.ParameterError: coordination_edges lacks column(s) 'account_id' (parameter actor=), \
'target_id' (parameter target=); rename the columns or pass their names as keyword arguments
    """
    present = set(available)
    pairs = needed.items() if isinstance(needed, Mapping) else ((None, column) for column in needed)
    missing: dict[str, str | None] = {}
    for parameter, column in pairs:
        if column is not None and column not in present:
            missing.setdefault(column, parameter)
    if missing:
        listed = ", ".join(
            repr(column) + (f" (parameter {missing[column]}=)" if missing[column] else "") for column in sorted(missing)
        )
        raise ParameterError(
            f"{name} lacks column(s) {listed}; rename the columns or pass their names as keyword arguments"
        )


_ISO_COUNTRIES = tuple(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV
    BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET
    FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM
    IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD
    ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE
    PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST
    SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS
    XK YE YT ZA ZM ZW""".split()  # noqa: SIM905 -- 249 codes read better as a block than as quoted strings
)
_POLICIES = (
    "spam", "harassment", "hate_speech", "violent_extremism", "dangerous_challenge", "misinformation", "nudity",
    "child_safety", "self_harm", "fraud", "impersonation", "copyright", "other",
)

#: Closed vocabularies per table and column: the values a column may hold
#: that identify nobody. Redaction (``tsinvest run --redact``) shows a value of
#: these columns verbatim only when it is in this set, and pseudonymises any
#: other (an id or ``@name`` typed into ``status``); columns not declared here
#: (nor in a spec's ``allowed_values``) are never shown raw in a redacted run
#: unless they are time or count columns. Loading does not enforce these sets.
_CLOSED_VOCABULARIES: dict[str, dict[str, tuple[str, ...]]] = {
    "accounts": {
        "country": _ISO_COUNTRIES,
        "status": ("active", "suspended", "deactivated", "banned", "deleted", "restricted"),
    },
    "events": {
        "action": (
            "share", "like", "comment", "post", "follow", "duet", "stitch", "view", "unfollow", "repost", "save",
        ),
        "target_type": ("video", "account", "comment", "live", "sound", "hashtag"),
    },
    "reports": {"policy": _POLICIES},
    "enforcements": {
        "action": ("warn", "remove_content", "suspend", "ban", "restrict", "reinstate"),
        "policy": _POLICIES,
    },
    "escalations": {
        "channel": ESCALATION_CHANNELS,
        "policy": _POLICIES,
        "priority": ("urgent", "high", "normal", "low"),
        "status": ("open", "in_progress", "resolved", "closed"),
    },
}
CLOSED_VOCABULARIES: Mapping[str, Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {table: MappingProxyType(columns) for table, columns in _CLOSED_VOCABULARIES.items()}
)
