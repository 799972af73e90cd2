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
>>> redacted = pseudonymise_tables(tables, Pseudonymiser(b"k" * 32))
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

import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.reporting.pseudonymise import Kind, Pseudonymiser, TextRedactor
from tsinvest.schemas import TABLES

__all__ = [
    "COLUMN_KINDS",
    "TEXT_COLUMNS",
    "ID_PARAMETERS",
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
COLUMN_KINDS: dict[str, dict[str, Kind]] = {
    "accounts": {"account_id": "acct", "username": "user", "display_name": "user"},
    "events": {"account_id": "acct", "target_id": "content"},
    "reports": {"report_id": "report", "reporter_id": "acct", "target_account_id": "acct", "target_content_id": "content"},
    "logins": {"account_id": "acct", "ip": "ip", "device_id": "device"},
    "enforcements": {"account_id": "acct", "content_id": "content"},
    "escalations": {"ticket_id": "ticket", "subject_account_id": "acct"},
}

#: Canonical free-text columns: raw ids inside them are replaced.
TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "events": ("text",),
    "logins": ("user_agent",),
    "escalations": ("summary",),
}

#: Notebook parameters whose value is an identifier (or a list of them), by kind.
#: Other string parameters go through the text redactor (e.g. a search box
#: holding an account id or username).
ID_PARAMETERS: dict[str, Kind] = {
    "account_id": "acct",
    "seed_accounts": "acct",
    "accounts": "acct",
    "subject_account_id": "acct",
    "ticket_id": "ticket",
    "report_id": "report",
    "device_id": "device",
    "ip": "ip",
}

# Columns with a closed vocabulary: neither identifying nor free text, kept as is.
_VOCABULARY_COLUMNS = {"action", "policy", "country", "status", "channel", "priority", "target_type"}


def column_kind(table: str, column: str) -> Kind | None:
    """The pseudonym kind of a column, or None when it is not an identifier.

    Canonical columns follow :data:`COLUMN_KINDS`; every id column listed in
    :data:`tsinvest.schemas.TABLES` is covered (a test checks it). Extra
    columns a loader kept are judged by name: ``*email*`` -> email, ``ip`` or
    ``*_ip`` -> ip, ``*device*`` -> device, ``*user*name*``/``*display*`` ->
    user, ``*account*``/``*reporter*``/``*user_id*`` -> acct, any other
    ``*_id`` -> content.

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
class RedactedTables:
    """Pseudonymised tables and the raw -> pseudonym mapping used.

    Attributes
    ----------
    tables : dict of str to DataFrame
        Same tables, columns and row order; identifiers replaced.
    mapping : dict of str to str
        Every raw identifier seen -> its pseudonym. Secret-equivalent: it
        undoes the pseudonymisation, so it is never written anywhere.
    """

    tables: dict[str, pd.DataFrame]
    mapping: dict[str, str]

    def redactor(self, extra: Mapping[str, str] | None = None) -> TextRedactor:
        """A text redactor for :attr:`mapping` (plus ``extra`` pairs)."""
        combined = dict(self.mapping)
        for raw, token in (extra or {}).items():
            combined.setdefault(raw, token)
        return TextRedactor(combined)

    def __repr__(self) -> str:
        # Never show the mapping: it pairs raw ids with their pseudonyms.
        return f"RedactedTables(tables={sorted(self.tables)}, identifiers={len(self.mapping)})"


def _string_columns(frame: pd.DataFrame) -> list[str]:
    return [
        column
        for column in frame.columns
        if pd.api.types.is_string_dtype(frame[column]) or frame[column].dtype == object
    ]


def pseudonymise_tables(tables: Mapping[str, pd.DataFrame], pseudonymiser: Pseudonymiser) -> RedactedTables:
    """Replace every identifier in a set of canonical tables by its keyed pseudonym.

    Parameters
    ----------
    tables : mapping of table name -> DataFrame
        Canonical tables as :func:`tsinvest.loading.load_dir` returns them.
    pseudonymiser : Pseudonymiser
        Holds the key; the same key gives the same pseudonyms in every run.

    Returns
    -------
    RedactedTables

    Notes
    -----
    Identifier columns (see :func:`column_kind`) are pseudonymised whole.
    Free-text columns (:data:`TEXT_COLUMNS`, and any extra string column that
    is neither an identifier nor a closed vocabulary) keep their words but
    every raw identifier inside them, of any kind and from any table, is
    replaced, token-bounded (so ``@name`` mentions and quoted ids go, while
    the rest of the text still groups identical posts together).

    Lost by design: anything read from the *shape* of an identifier, such as
    username templates (``user_1001``, ``user_1002``): every pseudonym has the
    same shape, so a redacted run can score name-template signals lower than
    the unredacted one.

    Cost: one HMAC per distinct value plus one regex pass over the free text
    (data_samples: about 45 000 rows, a couple of seconds).
    """
    account_values: set[str] = set()
    for table, frame in tables.items():
        for column in frame.columns:
            if column_kind(table, column) == "acct":
                account_values.update(value for value in frame[column].dropna().astype(str) if value)

    mapping: dict[str, str] = {}
    result: dict[str, pd.DataFrame] = {}
    text_targets: dict[str, list[str]] = {}
    # Account columns first, so a string that is both an account id and, say, a
    # content id is replaced inside text by its account pseudonym.
    order = {"acct": 0, "user": 1, "email": 2, "ip": 3, "device": 4, "ticket": 5, "report": 6, "content": 7}
    for table, frame in tables.items():
        out = frame.copy()
        kinds = {column: column_kind(table, column) for column in frame.columns}
        for column, kind in sorted(((c, k) for c, k in kinds.items() if k), key=lambda item: order[item[1]]):
            values = frame[column].astype("string")
            if table == "events" and column == "target_id":
                is_account = values.isin(account_values).fillna(False)
                if "target_type" in frame.columns:
                    is_account |= frame["target_type"].astype("string").eq("account").fillna(False)
                replaced = pseudonymiser.pseudonymise(values, kind="content")
                if is_account.any():
                    replaced[is_account] = pseudonymiser.pseudonymise(values[is_account], kind="acct")
                    _collect(mapping, values[is_account], replaced[is_account])
                _collect(mapping, values[~is_account], replaced[~is_account])
            else:
                replaced = pseudonymiser.pseudonymise(values, kind=kind)
                _collect(mapping, values, replaced)
            out[column] = replaced
        text_targets[table] = [
            column
            for column in _string_columns(frame)
            if not kinds[column] and column not in _VOCABULARY_COLUMNS
            and (column in TEXT_COLUMNS.get(table, ()) or column not in (TABLES[table].columns if table in TABLES else ()))
        ]
        result[table] = out

    redactor = TextRedactor(mapping)
    for table, columns in text_targets.items():
        for column in columns:
            result[table][column] = redactor.redact_series(result[table][column].astype("string"))
    return RedactedTables(tables=result, mapping=mapping)


def _collect(mapping: dict[str, str], raw: pd.Series, tokens: pd.Series) -> None:
    pairs = pd.DataFrame({"raw": raw.to_numpy(), "token": tokens.to_numpy()}).dropna().drop_duplicates("raw")
    for value, token in zip(pairs["raw"].tolist(), pairs["token"].tolist()):
        if value:
            mapping.setdefault(str(value), str(token))


def pseudonymise_data_dir(
    data_dir: str | os.PathLike, out_dir: str | os.PathLike, pseudonymiser: Pseudonymiser
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

    Returns
    -------
    RedactedTables

    Examples
    --------
    >>> import tempfile
    >>> source, target = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp()) / "data"
    >>> _ = (source / "logins.csv").write_text("account_id,ts,ip\\n00123,2026-03-02T10:00:00Z,10.0.0.1\\n")
    >>> redacted = pseudonymise_data_dir(source, target, Pseudonymiser(b"k" * 32))
    >>> sorted(path.name for path in target.iterdir()), "00123" in (target / "logins.parquet").read_bytes().decode("latin-1")
    (['logins.parquet'], False)
    """
    from tsinvest.loading import load_dir

    redacted = pseudonymise_tables(load_dir(data_dir), pseudonymiser)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for table, frame in redacted.tables.items():
        target = out / f"{table}.parquet"
        temporary = out / f".{table}.parquet.tmp"
        frame.reset_index(drop=True).to_parquet(temporary, index=False, coerce_timestamps="us")  # Spark rejects nanoseconds
        os.replace(temporary, target)
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
    >>> pseudonymiser = Pseudonymiser(b"k" * 32)
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
        raise ParameterError("a notebook parameter default is not a plain literal; pass the parameter explicitly") from None

