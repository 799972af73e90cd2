"""Pseudonymise a whole data folder, so a run only ever sees pseudonyms.

A redacted report is safest when the raw identifiers never reach the
notebook: then no table, plot, graph label or error message can show one.
:func:`pseudonymise_tables` rewrites every canonical table with one keyed
:class:`~tsinvest.reporting.Pseudonymiser` (ids, usernames, IPs, device ids,
emails) and passes free text (posts, ticket summaries, user agents) through a
:class:`~tsinvest.reporting.TextRedactor` built from the same mapping, so an
``@mention`` or an id quoted in a comment becomes the same pseudonym as in
the id columns. :func:`pseudonymise_data_dir` writes the result as Parquet
(exact types, no CSV re-parsing) for :func:`tsinvest.loading.load_dir`, and
:func:`translate_parameters` maps id-valued notebook parameters (seed
accounts, a ticket) through the same key so the run targets the same subject.

Examples
--------
>>> import pandas as pd
>>> from tsinvest.reporting import Pseudonymiser
>>> tables = {"accounts": pd.DataFrame({"account_id": ["00123"], "username": ["bob_smith"]}),
...           "events": pd.DataFrame({"account_id": ["00123"], "target_id": ["00123"],
...                                   "target_type": ["account"], "text": ["hi @bob_smith"]})}
>>> redacted = pseudonymise_tables(tables, Pseudonymiser(b"doctest-key-6f0c1e9a2b7d4c8e3f5a9b1d7c2e4f60"))
>>> redacted.tables["events"].loc[0, "target_id"] == redacted.tables["accounts"].loc[0, "account_id"]
True
>>> redacted.tables["events"].loc[0, "text"] == "hi @" + redacted.tables["accounts"].loc[0, "username"]
True
"""

from __future__ import annotations

import ast
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.reporting.pseudonymise import Kind, Pseudonymiser, TextRedactor
from tsinvest.schemas import TABLES

__all__ = [
    "COLUMN_KINDS",
    "TEXT_COLUMNS",
    "ID_PARAMETERS",
    "ColumnTreatment",
    "RedactedTables",
    "column_kind",
    "pseudonymise_tables",
    "pseudonymise_data_dir",
    "translate_parameters",
    "literal_default",
]

#: Kind of every identifying canonical column (every ``id_columns`` entry of
#: :data:`tsinvest.schemas.TABLES`, plus the names people go by).
#: ``events.target_id`` is special-cased: account targets (follows) get the
#: account kind, so a follow still points at the followed account's pseudonym.
COLUMN_KINDS: Mapping[str, Mapping[str, Kind]] = MappingProxyType(
    {name: spec.pseudonym_kinds for name, spec in TABLES.items()}
)

#: Canonical free-text columns: raw ids inside them are replaced.
TEXT_COLUMNS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {name: spec.text_columns for name, spec in TABLES.items() if spec.text_columns}
)

#: Notebook parameters whose value is an identifier (or a list of them), by kind.
#: Other string parameters go through the text redactor (e.g. a search box
#: holding an account id or username).
ID_PARAMETERS: Mapping[str, Kind] = MappingProxyType({
    "account_id": "acct",
    "seed_accounts": "acct",
    "accounts": "acct",
    "subject_account_id": "acct",
    "ticket_id": "ticket",
    "report_id": "report",
    "device_id": "device",
    "ip": "ip",
})



def column_kind(table: str, column: str) -> Kind | None:
    """The pseudonym kind of a column, or None when it is not an identifier.

    Canonical columns follow :data:`COLUMN_KINDS`; every id column listed in
    :data:`tsinvest.schemas.TABLES` is covered (a test checks it). Extra
    columns a loader kept are judged by name: ``*email*`` -> email, ``ip`` or
    ``*_ip`` -> ip, ``*device*`` -> device, ``*user*name*``/``*display*`` ->
    user, ``*account*``/``*reporter*``/``*user_id*`` -> acct, ``*phone*``,
    ``*mobile*``, ``*msisdn*`` -> phone, any other ``*_id`` -> content.
    Columns that are not identifiers by name are still never shown raw in a
    redacted run unless declared (see :func:`pseudonymise_tables`).

    Examples
    --------
    >>> column_kind("logins", "device_id"), column_kind("accounts", "contact_email"), column_kind("events", "text")
    ('device', 'email', None)
    """
    known = COLUMN_KINDS.get(table, {})
    if column in known:
        return known[column]
    spec = TABLES.get(table)
    if spec is not None and column in spec.columns:
        return None
    name = column.casefold()
    if "email" in name or "e_mail" in name:
        return "email"
    if any(word in name for word in ("phone", "msisdn", "mobile")) or name in {"tel", "telephone"}:
        return "phone"
    if name in {"ip", "ip_address", "ipaddress"} or name.endswith("_ip"):
        return "ip"
    if "device" in name:
        return "device"
    if "username" in name or "user_name" in name or "display" in name or name in {"handle", "name"}:
        return "user"
    if any(word in name for word in ("account", "reporter", "user_id", "author")):
        return "acct"
    if name == "id" or name.endswith("_id"):
        return "content"
    return None


@dataclass(frozen=True)
class ColumnTreatment:
    """What a redacted run did with one column, and why (recorded in ``run.json``).

    Attributes
    ----------
    table, column : str
    treatment : {"raw", "pseudonymised", "text-redacted", "partly-pseudonymised"}
        ``raw``: shown as is (a declared closed vocabulary whose every value
        is in the set, a time or a count column); ``pseudonymised``: every
        value replaced by its keyed pseudonym; ``text-redacted``: free text
        whose identifier-like tokens were replaced; ``partly-pseudonymised``:
        a closed vocabulary column whose values outside the declared set
        were pseudonymised (the declared values kept, so the analysis still
        runs).
    reason : str
        Why, naming counts only, never values.
    """

    table: str
    column: str
    treatment: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"table": self.table, "column": self.column, "treatment": self.treatment, "reason": self.reason}


@dataclass(frozen=True)
class RedactedTables:
    """Pseudonymised tables and the raw -> pseudonym mapping used.

    Attributes
    ----------
    tables : dict of str to DataFrame
        Same tables, columns and row order; identifiers replaced.
    mapping : dict of str to str
        Every raw identifier seen -> its pseudonym. Secret-equivalent: it
        undoes the pseudonymisation, so it is never written anywhere.
    columns : tuple of ColumnTreatment
        What was done to every column, sorted by table and column.
    pseudonymiser : Pseudonymiser or None
        The key holder, so :meth:`redactor` is default-deny too.
    """

    tables: dict[str, pd.DataFrame]
    mapping: dict[str, str]
    columns: tuple[ColumnTreatment, ...] = ()
    pseudonymiser: Pseudonymiser | None = None

    def redactor(self, extra: Mapping[str, str] | None = None) -> TextRedactor:
        """A default-deny text redactor for :attr:`mapping` (plus ``extra`` pairs)."""
        combined = dict(self.mapping)
        for raw, token in (extra or {}).items():
            combined.setdefault(raw, token)
        return TextRedactor(combined, pseudonymiser=self.pseudonymiser)

    def __repr__(self) -> str:
        # Never show the mapping: it pairs raw ids with their pseudonyms.
        return f"RedactedTables(tables={sorted(self.tables)}, identifiers={len(self.mapping)})"


def _is_text(series: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(series) or series.dtype == object


def pseudonymise_tables(tables: Mapping[str, pd.DataFrame], pseudonymiser: Pseudonymiser) -> RedactedTables:
    """Replace every identifier in a set of canonical tables by its keyed pseudonym, default-deny.

    Parameters
    ----------
    tables : mapping of table name -> DataFrame
        Canonical tables as :func:`tsinvest.loading.load_dir` returns them.
    pseudonymiser : Pseudonymiser
        Holds the key; the same key gives the same pseudonyms in every run.

    Returns
    -------
    RedactedTables
        With :attr:`RedactedTables.columns` saying what happened to each column.

    Notes
    -----
    Default-deny, column by column:

    * identifier columns (see :func:`column_kind`) are pseudonymised whole;
    * declared free-text columns (:data:`TEXT_COLUMNS`) keep their words but
      every identifier-like token is replaced (:class:`TextRedactor` with the
      key: known ids of any table, glued or in any case, unknown
      ``@mentions``, emails, phones, IPs, long numbers), so identical posts
      still group together;
    * closed-vocabulary columns (:attr:`tsinvest.schemas.TableSpec.closed_vocabularies`)
      keep the values of the declared set; any other value (an id typed into
      ``status``) is pseudonymised (kind ``value``);
    * canonical time and count columns, and extra columns of time or boolean
      type, are kept;
    * every other column (an extra ``phone`` or ``notes`` column, a
      canonical column no vocabulary declares) is pseudonymised whole, with
      the kind its name suggests (``phone``, ``email``...) or ``value``.

    Lost by design: anything read from the *shape* of an identifier, such as
    username templates (``user_1001``, ``user_1002``): every pseudonym has the
    same shape, so a redacted run can score name-template signals lower than
    the unredacted one.

    Cost: one HMAC per distinct value plus one regex pass over the free text
    (data_samples: about 45 000 rows, a couple of seconds).
    """
    account_values = _account_values(tables)
    mapping: dict[str, str] = {}
    result: dict[str, pd.DataFrame] = {}
    treatments: list[ColumnTreatment] = []
    text_targets: dict[str, list[str]] = {}
    for table, frame in tables.items():
        out = frame.copy()
        kinds, text_targets[table] = _classify_columns(table, frame, out, pseudonymiser, treatments)
        # Account columns first, so a string that is both an account id and, say, a
        # content id is replaced inside text by its account pseudonym.
        for column, kind in sorted(kinds.items(), key=lambda item: _KIND_ORDER[item[1]]):
            out[column] = _pseudonymised_column(table, frame, column, kind, pseudonymiser, account_values, mapping)
            reason = _pseudonymised_reason(table, column, kind)
            treatments.append(ColumnTreatment(table, column, "pseudonymised", reason))
        result[table] = out

    redactor = TextRedactor(mapping, pseudonymiser=pseudonymiser)
    for table, columns in text_targets.items():
        for column in columns:
            result[table][column] = redactor.redact_series(result[table][column].astype("string"))
    treatments.sort(key=lambda item: (item.table, item.column))
    return RedactedTables(tables=result, mapping=mapping, columns=tuple(treatments), pseudonymiser=pseudonymiser)


_KIND_ORDER: Mapping[str, int] = MappingProxyType({
    kind: position
    for position, kind in enumerate(
        ("acct", "user", "email", "phone", "ip", "device", "ticket", "report", "content", "number", "value")
    )
})


def _account_values(tables: Mapping[str, pd.DataFrame]) -> set[str]:
    """Every raw account id of every table (``events.target_id`` of a follow is one)."""
    values: set[str] = set()
    for table, frame in tables.items():
        for column in frame.columns:
            if column_kind(table, column) == "acct":
                values.update(value for value in frame[column].dropna().astype(str) if value)
    return values


def _classify_columns(
    table: str,
    frame: pd.DataFrame,
    out: pd.DataFrame,
    pseudonymiser: Pseudonymiser,
    treatments: list[ColumnTreatment],
) -> tuple[dict[str, Kind], list[str]]:
    """Columns to pseudonymise whole (by kind) and free-text columns; closed vocabularies handled in ``out``."""
    spec = TABLES.get(table)
    canonical = spec.columns if spec is not None else ()
    vocabularies = spec.closed_vocabularies if spec is not None else {}
    kept_types = (spec.time_columns + spec.integer_columns) if spec is not None else ()
    kinds: dict[str, Kind] = {}
    text: list[str] = []
    for column in frame.columns:
        series = frame[column]
        kind = column_kind(table, column)
        if kind is not None:
            kinds[column] = kind
        elif column in TEXT_COLUMNS.get(table, ()):
            text.append(column)
            treatments.append(ColumnTreatment(table, column, "text-redacted", "declared free text"))
        elif column in vocabularies and _is_text(series):
            treatments.append(_vocabulary_column(table, column, series, vocabularies[column], out, pseudonymiser))
        elif column in kept_types or (column not in canonical and (
                pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_bool_dtype(series))):
            treatments.append(ColumnTreatment(table, column, "raw", "time, count or boolean column"))
        else:
            kinds[column] = "value"
    return kinds, text


def _vocabulary_column(
    table: str,
    column: str,
    series: pd.Series,
    vocabulary: tuple[str, ...],
    out: pd.DataFrame,
    pseudonymiser: Pseudonymiser,
) -> ColumnTreatment:
    """Keep the declared values of a closed-vocabulary column; pseudonymise any other (an id typed into it)."""
    values = series.astype("string")
    outside = values.notna() & ~values.isin(vocabulary).fillna(False)
    if not outside.any():
        return ColumnTreatment(table, column, "raw", "closed vocabulary, every value declared")
    replaced = values.copy()
    replaced[outside] = pseudonymiser.pseudonymise(values[outside], kind="value")
    out[column] = replaced
    count = int(values[outside].nunique())
    return ColumnTreatment(
        table, column, "partly-pseudonymised",
        f"closed vocabulary; {count} distinct value(s) outside the declared set pseudonymised")


def _pseudonymised_column(
    table: str,
    frame: pd.DataFrame,
    column: str,
    kind: Kind,
    pseudonymiser: Pseudonymiser,
    account_values: set[str],
    mapping: dict[str, str],
) -> pd.Series:
    """One column's pseudonyms, recording raw -> pseudonym pairs in ``mapping`` for the text redactor."""
    values = frame[column].astype("string")
    if table != "events" or column != "target_id":
        replaced = pseudonymiser.pseudonymise(values, kind=kind)
        _collect(mapping, values, replaced)
        return replaced
    # A followed account keeps its account pseudonym, so a follow still points at it.
    is_account = values.isin(account_values).fillna(False)
    if "target_type" in frame.columns:
        is_account |= frame["target_type"].astype("string").eq("account").fillna(False)
    replaced = pseudonymiser.pseudonymise(values, kind="content")
    if is_account.any():
        replaced[is_account] = pseudonymiser.pseudonymise(values[is_account], kind="acct")
        _collect(mapping, values[is_account], replaced[is_account])
    _collect(mapping, values[~is_account], replaced[~is_account])
    return replaced


def _pseudonymised_reason(table: str, column: str, kind: Kind) -> str:
    spec = TABLES.get(table)
    canonical = spec.columns if spec is not None else ()
    if column in canonical and kind != "value":
        return f"identifier ({kind})"
    if column in canonical:
        return "no closed vocabulary declared for this column"
    return f"column not in the schema ({kind})"


def _collect(mapping: dict[str, str], raw: pd.Series, tokens: pd.Series) -> None:
    pairs = pd.DataFrame({"raw": raw.to_numpy(), "token": tokens.to_numpy()}).dropna().drop_duplicates("raw")
    for value, token in zip(pairs["raw"].tolist(), pairs["token"].tolist(), strict=True):
        if value:
            mapping.setdefault(str(value), str(token))


def pseudonymise_data_dir(
    data_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    pseudonymiser: Pseudonymiser,
    *,
    on_error: str = "raise",
    quarantine_path: str | os.PathLike | None = None,
) -> RedactedTables:
    """Load every canonical table of a folder, pseudonymise it, write ``<table>.parquet``.

    Only canonical tables are copied: side files (``README.md``,
    ``truth.json``, rejected rows) stay behind, since nobody checked them.

    Parameters
    ----------
    data_dir : path
        Folder read with :func:`tsinvest.loading.load_dir` (default options,
        as the notebooks use).
    out_dir : path
        Folder to write (created); each file written atomically.
    pseudonymiser : Pseudonymiser
    on_error, quarantine_path
        Passed to :func:`tsinvest.loading.load_dir` (``"quarantine"`` sets bad
        rows aside in ``quarantine_path`` instead of failing).

    Returns
    -------
    RedactedTables

    Examples
    --------
    >>> import tempfile
    >>> source, target = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp()) / "data"
    >>> _ = (source / "logins.csv").write_text("account_id,ts,ip\\n00123,2026-03-02T10:00:00Z,10.0.0.1\\n")
    >>> redacted = pseudonymise_data_dir(source, target, Pseudonymiser(b"doctest-key-6f0c1e9a2b7d4c8e3f5a9b1d7c2e4f60"))
    >>> sorted(path.name for path in target.iterdir())
    ['logins.parquet']
    >>> "00123" in (target / "logins.parquet").read_bytes().decode("latin-1")
    False
    """
    from tsinvest.files import atomic_write
    from tsinvest.loading import load_dir

    if on_error == "raise":
        tables = load_dir(data_dir)
    elif on_error == "quarantine":
        tables = load_dir(data_dir, on_error="quarantine", quarantine_path=quarantine_path)
    else:
        raise ParameterError(f"on_error={on_error!r} is not supported; use 'raise' or 'quarantine'")
    redacted = pseudonymise_tables(tables, pseudonymiser)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for table, frame in redacted.tables.items():
        with atomic_write(out / f"{table}.parquet") as temporary:
            # Microseconds: Spark rejects nanosecond Parquet timestamps.
            frame.reset_index(drop=True).to_parquet(temporary, index=False, coerce_timestamps="us")
    return redacted


def translate_parameters(
    parameters: Mapping[str, object],
    pseudonymiser: Pseudonymiser,
    redactor: TextRedactor,
    *,
    id_parameters: Mapping[str, Kind] = ID_PARAMETERS,
) -> tuple[dict[str, object], dict[str, str]]:
    """Translate notebook parameters into the pseudonymised world.

    Parameters named in ``id_parameters`` (strings or lists of strings) are
    pseudonymised whole with their kind, even when the value is not in the
    data, so a raw id never reaches the notebook. Every other string (also
    inside lists) goes through ``redactor``, which replaces raw ids it knows.
    Other values are kept.

    Returns
    -------
    (dict, dict)
        The translated parameters, and the raw -> pseudonym pairs made for
        ``id_parameters`` (to redact the notebook's own parameter cell).

    Examples
    --------
    >>> pseudonymiser = Pseudonymiser(b"doctest-key-6f0c1e9a2b7d4c8e3f5a9b1d7c2e4f60")
    >>> values, pairs = translate_parameters({"ticket_id": "ESC-1", "hops": 2, "search": "see 42"},
    ...                                      pseudonymiser, TextRedactor({"42": "acct_x"}))
    >>> values["ticket_id"].startswith("ticket_"), values["hops"], values["search"], list(pairs)
    (True, 2, 'see acct_x', ['ESC-1'])
    """
    translated: dict[str, object] = {}
    pairs: dict[str, str] = {}

    def identifier(value: str, kind: Kind) -> str:
        token = pseudonymiser.pseudonym(value, kind=kind)
        if value:
            pairs[value] = token
        return token

    for name, value in parameters.items():
        kind = id_parameters.get(name)
        if kind is not None and isinstance(value, str):
            translated[name] = identifier(value, kind)
        elif kind is not None and isinstance(value, list | tuple):
            translated[name] = type(value)(identifier(item, kind) if isinstance(item, str) else item for item in value)
        elif isinstance(value, str):
            translated[name] = redactor.redact(value)
        elif isinstance(value, list | tuple):
            translated[name] = type(value)(redactor.redact(item) if isinstance(item, str) else item for item in value)
        else:
            translated[name] = value
    return translated, pairs


def literal_default(text: str) -> object:
    """A parameter's default source text as a Python literal (ParameterError if it is not one).

    Examples
    --------
    >>> literal_default('["007"]'), literal_default("None")
    (['007'], None)
    """
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        raise ParameterError(
            "a notebook parameter default is not a plain literal; pass the parameter explicitly"
        ) from None

