"""Turn raw columns into canonical types and validate them with pandera.

Every check here collects *all* failures (lazy validation): each one becomes a
:class:`RowIssue` (column, reason, frame positions). :func:`problems_from_issues`
folds issues into :class:`tsinvest.exceptions.Problem` records with 1-based file
row numbers. Reasons never contain cell values, only column names and rules.

What counts as missing: an empty field (``""``), a JSON ``null``, an empty
Excel cell, or a null in a typed source. The strings ``"NA"``, ``"null"``,
``"None"``, ``"nan"`` are ordinary text and stay as they are.

Examples
--------
>>> import pandas as pd
>>> from tsinvest.schemas import table_spec
>>> raw = pd.DataFrame({"account_id": ["00123", "00123"], "ts": ["2026-03-02T10:00:00Z", "x"]})
>>> frame, issues = coerce_columns(raw, table_spec("logins"))
>>> [(issue.column, issue.positions.tolist()) for issue in issues]
[('ts', [1])]
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tsinvest.exceptions import Problem
from tsinvest.loading.issues import RowIssue, arrow_mask, arrow_text, number_to_text
from tsinvest.loading.timestamps import to_utc
from tsinvest.schemas import STRING_DTYPE, TableSpec

if TYPE_CHECKING:
    import pandera.pandas as pandera

__all__ = [
    "Notice",
    "CONTROL_CHARACTERS",
    "make_controls_visible",
    "MAX_ROWS_LISTED",
    "MAX_EXTRA_COLUMNS_CONVERTED",
    "to_text",
    "to_count",
    "coerce_columns",
    "build_schema",
    "schema_issues",
    "missing_column_problems",
    "header_looks_like_data",
    "problems_from_issues",
]

#: Above this many extra (non-canonical) columns, they are checked in one vectorised pass
#: and kept as one object block instead of one ``"string"`` column each (see coerce_columns).
MAX_EXTRA_COLUMNS_CONVERTED = 1000
#: How many example row numbers one Problem keeps (``count`` always has the total).
MAX_ROWS_LISTED = 1000

_TIME_WORDS = ("time", "date", "_at", "ts", "when", "created")
_INTEGER_TEXT = re.compile(r"^\s*[+-]?\d+(?:\.0*)?\s*$")


@dataclass(frozen=True)
class Notice:
    """Something the loader changed without rejecting rows: column, what was done, how many values."""

    column: str | None
    reason: str
    count: int = 0

    def describe(self) -> str:
        if self.column is None:
            return f"file: {self.reason}"
        return f"column '{self.column}': {self.count} value{'s' if self.count != 1 else ''} {self.reason}"


#: Control characters that free text never needs (C0 except tab, newline, carriage return; DEL).
CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_CONTROL_PICTURES = {code: chr(0x2400 + code) for code in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]}
_CONTROL_PICTURES[0x7F] = "\u2421"
_CONTROLS_VISIBLE = (
    "held NUL or other control characters: each was replaced by its visible symbol (NUL as U+2400) "
    "and the rows were kept"
)


def make_controls_visible(series: pd.Series, *, column: str) -> tuple[pd.Series, Notice | None]:
    """Replace control characters in free text by their visible Unicode symbols.

    One NUL in one comment must not stop an investigation: the row is kept,
    the character becomes visible (``"\\x00"`` -> ``"\u2400"``) and the number of
    changed values is reported as a :class:`Notice`, never the values.

    Examples
    --------
    >>> text, notice = make_controls_visible(pd.Series(["a\\x00b", "ok", None], dtype="string"), column="text")
    >>> text.tolist(), notice.count
    (['a\u2400b', 'ok', <NA>], 1)
    """
    import pyarrow.compute as pc

    hit = arrow_mask(pc.match_substring_regex(arrow_text(series), CONTROL_CHARACTERS))
    if not hit.any():
        return series, None
    cleaned = series.copy()
    positions = np.flatnonzero(hit)
    cleaned.iloc[positions] = [value.translate(_CONTROL_PICTURES) for value in series.iloc[positions]]
    return cleaned, Notice(column, _CONTROLS_VISIBLE, int(hit.sum()))


def _positions(mask: np.ndarray | pd.Series) -> np.ndarray:
    return np.flatnonzero(np.asarray(mask, dtype=bool))


def _is_missing(series: pd.Series) -> np.ndarray:
    """Missing = null or the empty string (see module notes)."""
    missing = series.isna().to_numpy(dtype=bool, na_value=True)
    if isinstance(series.dtype, pd.StringDtype):
        missing = missing | (series == "").to_numpy(dtype=bool, na_value=False)
    elif series.dtype == object:
        try:
            empty = (series == "").to_numpy(dtype=bool, na_value=False)
        except ValueError:
            # A cell holds a list (Parquet list column), which == "" cannot compare: go value by value.
            values = series.to_numpy()
            empty = np.fromiter((isinstance(v, str) and v == "" for v in values), dtype=bool, count=len(values))
        missing = missing | empty
    return missing


def _nested(value: object) -> bool:
    return isinstance(value, list | tuple | dict | np.ndarray | set)


def to_text(series: pd.Series, *, column: str, is_id: bool) -> tuple[pd.Series, list[RowIssue]]:
    """Convert one column to pandas ``"string"`` without ever going through float.

    Integer columns convert exactly; floats (Excel number cells, float frames)
    convert only when whole and below 2**53, because above that the value has
    already been rounded: such rows are reported instead of silently mangled.

    Examples
    --------
    >>> text, issues = to_text(pd.Series([7276431715937856976, 123]), column="account_id", is_id=True)
    >>> text.tolist(), issues
    (['7276431715937856976', '123'], [])
    >>> text, issues = to_text(pd.Series([7.276431715937857e18]), column="account_id", is_id=True)
    >>> issues[0].reason
    'id stored as a number beyond 2**53: its digits were already rounded by the spreadsheet or float column; ...'
    """
    missing = _is_missing(series)
    issues: list[RowIssue] = []
    dtype = series.dtype
    is_object = pd.api.types.is_object_dtype(dtype)
    all_text = is_object and pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty")
    if isinstance(dtype, pd.StringDtype) or pd.api.types.is_integer_dtype(dtype) or all_text:
        text = series.astype(STRING_DTYPE)
    else:
        # Mixed or float values (spreadsheets, hand-built frames): only these rows
        # need a per-value look, the string happy path above stays vectorised.
        text, issues = _mixed_to_text(series, missing, column=column, is_id=is_id)
    text = text.mask(pd.Series(missing, index=series.index))
    if is_id:
        import pyarrow.compute as pc

        # Free text is cleaned by make_controls_visible; an id with a control character is corrupt.
        control = arrow_mask(pc.match_substring_regex(arrow_text(text), CONTROL_CHARACTERS))
        if control.any():
            issues.append(
                RowIssue(
                    column,
                    "id contains a NUL byte or another control character (binary or corrupted data); fix the export",
                    _positions(control),
                )
            )
    return text, issues


def _problem_reasons(is_id: bool) -> dict[str, str]:
    """Why a non-text cell was not converted, by problem, in the order issues are reported."""
    return {
        "rounded": (
            "id stored as a number beyond 2**53: its digits were already rounded by the spreadsheet "
            "or float column; store ids as text and export again"
            if is_id
            else "number beyond 2**53 stored as a float: its digits were already rounded"
        ),
        "fractional": "id stored as a fractional or non-finite number; ids must be text",
        "nested": "a list or nested value where one text value is expected; export one value per cell",
        "boolean": "id is a true/false value; ids must be text",
    }


def _cell_text(value: object, *, is_id: bool) -> tuple[str | None, str | None]:
    """(text, problem) of one non-missing, non-nested cell that is not already a string."""
    if is_id and isinstance(value, bool | np.bool_):
        return None, "boolean"
    converted = number_to_text(value)
    if converted is not None:
        return converted, None
    if isinstance(value, Decimal):
        return (None, "fractional") if is_id else (str(value), None)
    if value.is_integer():  # type: ignore[attr-defined]  # a float: number_to_text only gives up on those
        return None, "rounded"
    return (None, "fractional") if is_id else (repr(float(value)), None)  # type: ignore[arg-type]


def _mixed_to_text(
    series: pd.Series, missing: np.ndarray, *, column: str, is_id: bool
) -> tuple[pd.Series, list[RowIssue]]:
    values = series.astype(object).to_numpy()
    out = np.empty(len(values), dtype=object)
    problems: dict[str, list[int]] = {}
    for position, value in enumerate(values):
        if _nested(value):
            out[position], problem = None, "nested"
        elif missing[position]:
            out[position], problem = None, None
        elif isinstance(value, str):
            out[position], problem = value, None
        else:
            out[position], problem = _cell_text(value, is_id=is_id)
        if problem is not None:
            problems.setdefault(problem, []).append(position)
    issues = [
        RowIssue(column, reason, np.asarray(problems[problem], dtype=np.int64))
        for problem, reason in _problem_reasons(is_id).items()
        if problem in problems
    ]
    return pd.Series(pd.array(out, dtype=STRING_DTYPE), index=series.index), issues


def to_count(series: pd.Series, *, column: str) -> tuple[pd.Series, list[RowIssue]]:
    """Convert a count column to nullable ``Int64``; report non-integers.

    ``"12"`` and ``"12.0"`` are accepted; ``"1.5"``, ``"1,234"`` and words are
    reported. Negative values are left for the schema check to report.

    Examples
    --------
    >>> counts, issues = to_count(pd.Series(["12", "", "1.5", "-3"]), column="follower_count")
    >>> counts.tolist()[:2], counts.tolist()[3], [i.positions.tolist() for i in issues]
    ([12, <NA>], -3, [[2]])
    """
    missing = _is_missing(series)
    index = series.index
    if pd.api.types.is_integer_dtype(series.dtype):
        return series.astype("Int64"), []
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        whole = np.isfinite(values) & (np.mod(values, 1) == 0) & (np.abs(values) < 2**63)
        bad = ~missing & ~whole
        result = pd.Series(pd.array(np.where(whole, values, 0).astype(np.int64), dtype="Int64"), index=index)
        result = result.mask(pd.Series(~whole | missing, index=index))
        issues = [RowIssue(column, "not a whole number", _positions(bad))] if bad.any() else []
        return result, issues
    text = series.astype(object).where(~pd.Series(missing, index=index), None)
    text = text.map(lambda v: v if v is None or isinstance(v, str) else number_to_text(v) or repr(v))
    text = text.astype(STRING_DTYPE)
    import pyarrow.compute as pc

    matches = arrow_mask(pc.match_substring_regex(arrow_text(text), _INTEGER_TEXT.pattern))
    bad = ~missing & ~matches
    digits = text.where(pd.Series(matches, index=index)).str.strip().str.replace(r"\.0*$", "", regex=True)
    numbers = pd.to_numeric(digits, errors="coerce")
    overflow = matches & (numbers.isna().to_numpy() | (np.abs(numbers.to_numpy(dtype=float, na_value=0)) >= 2**63))
    issues = []
    if bad.any():
        issues.append(RowIssue(column, "not a whole number", _positions(bad)))
    if overflow.any():
        issues.append(RowIssue(column, "number too large for a count", _positions(overflow)))
    numbers = numbers.mask(pd.Series(overflow, index=index))
    return pd.Series(pd.array(numbers, dtype="Int64"), index=index), issues


def coerce_columns(
    raw: pd.DataFrame,
    spec: TableSpec,
    *,
    timezone: str | None = None,
    epoch_unit: str | None = None,
    notices: list[Notice] | None = None,
) -> tuple[pd.DataFrame, list[RowIssue]]:
    """Give every canonical column present its canonical dtype.

    Columns: canonical ones in spec order first, then the others in input order.
    Extra columns that arrive as text become ``"string"``; typed extras (Parquet,
    SQL, DataFrame) keep their type. Control characters in text columns that
    are not ids are made visible (see :func:`make_controls_visible`); what was
    changed is appended to ``notices`` when given.
    """
    notices = [] if notices is None else notices
    issues: list[RowIssue] = []
    columns: dict[str, pd.Series] = {}
    for name in spec.columns:
        if name not in raw.columns:
            continue
        series = raw[name]
        if name in spec.time_columns:
            converted, found = to_utc(series, column=name, timezone=timezone, epoch_unit=epoch_unit)
        elif name in spec.integer_columns:
            converted, found = to_count(series, column=name)
        else:
            converted, found = to_text(series, column=name, is_id=name in spec.id_columns)
            if name not in spec.id_columns:
                converted, notice = make_controls_visible(converted, column=name)
                notices.extend([notice] if notice else [])
        columns[name] = converted
        issues.extend(found)
    extras = [name for name in raw.columns if name not in columns]
    canonical = pd.DataFrame(columns, index=raw.index)
    if len(extras) > MAX_EXTRA_COLUMNS_CONVERTED:
        block = _text_block(raw[extras], notices)
        if block is not None:
            return pd.concat([canonical, block], axis=1), issues
    for name in extras:
        series = raw[name]
        if series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
            series, found = to_text(series, column=name, is_id=False)
            series, notice = make_controls_visible(series, column=name)
            notices.extend([notice] if notice else [])
            issues.extend(found)
        columns[name] = series
    frame = pd.DataFrame(columns, index=raw.index)
    return frame, issues


def _text_block(extras: pd.DataFrame, notices: list[Notice]) -> pd.DataFrame | None:
    """Very wide input: check every extra text column in one pass and keep them as one object block.

    pandas pays a fixed cost per ``"string"`` column (about 0.1 ms each here), so
    a row 100,000 columns wide would take seconds to minutes to convert column
    by column. The same rules (missing = empty, control characters made
    visible) run vectorised over all cells at once; the columns stay plain
    Python text (object dtype), which the notice says. None when some cell is
    not text (typed sources), so the caller converts column by column.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    values = extras.to_numpy(dtype=object, copy=True)
    flat = values.ravel()
    try:
        cells = pa.array(flat, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    flat[arrow_mask(pc.equal(cells, ""))] = None
    hit = np.flatnonzero(arrow_mask(pc.match_substring_regex(cells, CONTROL_CHARACTERS)))
    for position in hit:
        flat[position] = flat[position].translate(_CONTROL_PICTURES)
    width = values.shape[1]
    if len(hit):
        touched = np.unique(hit % width)
        notices.append(
            Notice(None, f"{len(hit)} values in {len(touched)} extra columns {_CONTROLS_VISIBLE}")
        )
    notices.append(
        Notice(
            None,
            f"{width} extra columns (more than {MAX_EXTRA_COLUMNS_CONVERTED}) were kept as plain text "
            "(object dtype) after one vectorised check",
        )
    )
    # dtype=object explicitly: pandas would otherwise infer a type per column (the cost avoided here).
    return pd.DataFrame(values, index=extras.index, columns=extras.columns, dtype=object)


def _pandera() -> ModuleType:
    # pandera 0.24 moved the pandas API to ``pandera.pandas`` (the top-level import now warns);
    # older releases, still allowed by pyproject, only have the top-level module.
    try:
        import pandera.pandas as pa
    except ModuleNotFoundError:
        import pandera as pa  # type: ignore[no-redef]  # pandera < 0.24
    return pa


def build_schema(spec: TableSpec, present: list[str]) -> pandera.DataFrameSchema:
    """Build the pandera schema of a canonical table (only columns present).

    Required columns may not hold missing values, the primary key is unique,
    counts are >= 0, closed vocabularies are enforced. Extra columns pass.
    """
    pa = _pandera()

    columns = {}
    for name in spec.columns:
        if name not in present:
            continue
        if name in spec.time_columns:
            dtype = pd.DatetimeTZDtype("ns", "UTC")
        elif name in spec.integer_columns:
            dtype = pd.Int64Dtype()
        else:
            dtype = STRING_DTYPE
        checks = []
        if name in spec.integer_columns:
            checks.append(pa.Check.ge(0, name="non_negative"))
        if name in spec.allowed_values:
            checks.append(pa.Check.isin(list(spec.allowed_values[name]), name="allowed_values"))
        columns[name] = pa.Column(
            dtype,
            checks=checks,
            nullable=name not in spec.required and name != spec.primary_key,
            unique=name == spec.primary_key,
            required=False,
        )
    return pa.DataFrameSchema(columns, strict=False, name=spec.name)


def _check_reason(check: str, column: str, spec: TableSpec) -> str:
    if check == "not_nullable":
        if column == spec.primary_key:
            return "primary id is missing (empty field)"
        return "required value is missing (empty field)"
    if check in ("field_uniqueness", "unique"):
        return "duplicate primary id (every copy is listed)"
    if check.startswith(("non_negative", "greater_than_or_equal_to")):
        return "negative count"
    if check.startswith(("allowed_values", "isin")):
        return f"value not in the allowed set ({', '.join(spec.allowed_values[column])})"
    if check == "dtype" or check.startswith("dtype("):
        return "wrong type after conversion (internal check)"
    return f"failed check {check}"


def schema_issues(frame: pd.DataFrame, spec: TableSpec, *, already_flagged: dict[str, set[int]]) -> list[RowIssue]:
    """Run the pandera schema lazily and turn every failure case into a RowIssue.

    Rows whose value already failed conversion in a column are not reported a
    second time as "missing" there.
    """
    pa = _pandera()

    schema = build_schema(spec, list(frame.columns))
    positional = frame.reset_index(drop=True)
    try:
        schema.validate(positional, lazy=True)
    except pa.errors.SchemaErrors as error:
        cases = error.failure_cases
    else:
        return []
    grouped: dict[tuple[str, str], list[int]] = defaultdict(list)
    for column, check, index in zip(cases["column"], cases["check"], cases["index"], strict=True):
        if index is None or pd.isna(index):
            grouped[(str(column), _check_reason(str(check), str(column), spec))] += []
            continue
        position = int(index)
        reason = _check_reason(str(check), str(column), spec)
        if check == "not_nullable" and position in already_flagged.get(str(column), set()):
            continue
        grouped[(str(column), reason)].append(position)
    return [
        RowIssue(column, reason, np.unique(np.asarray(positions, dtype=np.int64)))
        for (column, reason), positions in grouped.items()
        if positions
    ]


# A header cell that is really a value: digits only (an id), an email or @mention, a date,
# a phone number. Such cells are never quoted back in a hint.
_DATA_LIKE = re.compile(r"^\s*(?:[+-]?[\d\s().-]+|.*@.*|\d{4}-\d{2}-\d{2}.*|\d{1,2}/\d{1,2}/\d{2,4}.*)\s*$")
_NAME_LIKE = re.compile(r"^[A-Za-z_][A-Za-z0-9_ .-]{0,63}$")
_HEADERLESS = (
    "required column is missing; the first row looks like data, not column names (cells that are numbers, "
    "dates or email addresses): add a header row with the canonical names or pass mapping="
)


def header_looks_like_data(columns: list[str]) -> bool:
    """True when a header row holds values (ids, dates, emails, phones): the file has no header.

    Examples
    --------
    >>> header_looks_like_data(["00123", "2026-03-02T10:00:00Z", "+44 7700 900123"])
    True
    >>> header_looks_like_data(["account_id", "event_time"])
    False
    """
    return any(_DATA_LIKE.match(name) for name in columns)


def missing_column_problems(columns: list[str], spec: TableSpec) -> list[Problem]:
    """One problem per missing required column, suggesting close names.

    Only header cells that look like column names are ever suggested: when
    the first row looks like data (a headerless file), no cell is quoted back,
    because it would be a value (a phone number, an email).

    Examples
    --------
    >>> from tsinvest.schemas import table_spec
    >>> [p.reason for p in missing_column_problems(["acount_id", "ts"], table_spec("logins"))]
    ["required column is missing; closest column names in the input: 'acount_id' (rename it or pass mapping=)"]
    """
    problems = []
    headerless = header_looks_like_data(columns)
    # Capped so a header 100,000 columns wide costs milliseconds, not a difflib pass per column.
    available = [c for c in columns[:5000] if c not in spec.columns and _NAME_LIKE.match(c)]
    for name in spec.required:
        if name in columns:
            continue
        if headerless:
            problems.append(Problem(name, _HEADERLESS))
            continue
        close = difflib.get_close_matches(name, available, n=3, cutoff=0.6)
        if not close:
            close = [c for c in available if len(c) >= 2 and (name in c.lower() or c.lower() in name)][:3]
        if not close and name in spec.time_columns:
            # Exports name time columns freely (timestamp, event_time, created): offer those.
            close = [c for c in available if any(w in c.lower() for w in _TIME_WORDS)][:3]
        if close:
            hint = "closest column names in the input: " + ", ".join(f"'{c}'" for c in close)
            hint += " (rename it or pass mapping=)"
        else:
            hint = "no similar column in the input (pass mapping= to rename an export column)"
        problems.append(Problem(name, f"required column is missing; {hint}"))
    return problems


def problems_from_issues(issues: list[RowIssue], row_numbers: np.ndarray) -> list[Problem]:
    """Fold issues into Problems with 1-based file row numbers, merged per (column, reason)."""
    merged: dict[tuple[str | None, str], list[np.ndarray]] = defaultdict(list)
    for issue in issues:
        merged[(issue.column, issue.reason)].append(np.asarray(issue.positions, dtype=np.int64))
    problems = []
    for (column, reason), parts in merged.items():
        positions = np.unique(np.concatenate(parts)) if parts else np.array([], dtype=np.int64)
        rows = np.sort(np.asarray(row_numbers)[positions])
        problems.append(
            Problem(column, reason, tuple(int(r) for r in rows[:MAX_ROWS_LISTED]), int(len(rows)))
        )
    return problems
