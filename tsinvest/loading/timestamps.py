"""Convert time columns to timezone-aware UTC, reporting every bad row.

Rules, the same for every input format:

* ISO 8601 text with an offset (``Z``, ``+02:00``, ``-0500``) is converted to
  UTC; offsets may differ from row to row.
* ISO 8601 text without an offset ("naive") is rejected unless ``timezone=``
  names the zone it was recorded in (e.g. ``"Europe/Berlin"``); local times that
  do not exist or are ambiguous at a daylight-saving change are reported.
* Bare numbers are epoch times and are rejected unless ``epoch_unit="s"`` or
  ``"ms"`` is given. A value that clearly has the other unit (seconds >= 1e11,
  i.e. after year 5000, or milliseconds < 1e11, i.e. before March 1973) is
  reported rather than turned into a wrong date. Numbers between 10,000 and
  1,000,000 look like Excel serial dates (days since 1899-12-30): without
  ``epoch_unit="excel"`` they are reported as such, never read as January 1970;
  with it they are local wall-clock times and need ``timezone=``.
* Typed timestamps (Parquet, SQL, DataFrame) keep their instant when tz-aware;
  naive ones follow the naive rule.

Examples
--------
>>> import pandas as pd
>>> times, issues = to_utc(pd.Series(["2026-03-02T10:00:00+02:00", "2026-03-02T03:00:00-05:00"]), column="ts")
>>> [str(t) for t in times], issues
(['2026-03-02 08:00:00+00:00', '2026-03-02 08:00:00+00:00'], [])
"""

from __future__ import annotations

import re
from typing import Literal, overload

import numpy as np
import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.loading.issues import RowIssue, arrow_mask, arrow_text, number_to_text

__all__ = ["to_utc", "utc_bound", "check_timezone", "EPOCH_UNITS"]

EPOCH_UNITS = ("s", "ms", "excel")
# Excel serial dates (days since 1899-12-30) of plausible data are 10,000-1,000,000 (1927-4637);
# read as epoch seconds the same numbers fall within 12 days of 1970-01-01, where no platform data is.
_EXCEL_LOW, _EXCEL_HIGH = 1e4, 1e6
_EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "ns")
_EXCEL_HINT = (
    "number looks like an Excel serial date (days since 1899-12-30), not epoch time; pass epoch_unit='excel' "
    "with timezone= (Excel dates have no time zone), or export the column as ISO 8601 text"
)

# An offset only counts after a clock time, so the "-02" of "2026-03-02" is not one.
_OFFSET = re.compile(r"(?:\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*[+-]\d{2}(?::?\d{2})?|\d\s*[Zz])$")
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
# Epoch values at or above this are milliseconds when read as seconds (year > 5000)
# and seconds when read as milliseconds (after March 1973): no platform data is older.
_EPOCH_UNIT_SPLIT = 1e11
_OUTSIDE_RANGE = "timestamp outside the supported years 1678-2261"
_DAYLIGHT_SAVING = "local time is ambiguous or does not exist (daylight-saving change)"
_UNPARSEABLE = "unparseable timestamp (expected ISO 8601 such as 2026-03-02T10:00:00Z)"


@overload
def utc_bound(value: object, *, name: str, required: Literal[True]) -> pd.Timestamp: ...


@overload
def utc_bound(value: object, *, name: str, required: bool = False) -> pd.Timestamp | None: ...


def utc_bound(value: object, *, name: str, required: bool = False) -> pd.Timestamp | None:
    """Parse a time bound (``as_of``, ``start``, ``end``, ``split``) as a UTC timestamp.

    The one rule for every bound a caller types: a value with an offset is
    converted to UTC, and a value without one (a date such as
    ``"2026-03-30"`` or a time such as ``"2026-03-30T12:00"``) is read as
    UTC, since the whole kit works in UTC. This differs on purpose from
    loaded *data*, where a naive time is refused unless ``timezone=`` names
    its zone: a row's zone is unknown, an analyst's bound is written in the
    kit's own time.

    Parameters
    ----------
    value : str, datetime, Timestamp or None
        The bound; None means "no bound" and is returned as None.
    name : str
        Parameter name used in the error message.
    required : bool, default False
        Refuse None (``as_of`` of a queue or a case file has no default:
        nothing defaults to the wall clock).

    Raises
    ------
    ParameterError
        ``value`` is not a date or time, is missing (NaT), or is None while
        ``required``. The message names the parameter, never the value.

    Examples
    --------
    >>> utc_bound("2026-03-30", name="as_of")
    Timestamp('2026-03-30 00:00:00+0000', tz='UTC')
    >>> utc_bound("2026-03-30T02:00:00+02:00", name="as_of")
    Timestamp('2026-03-30 00:00:00+0000', tz='UTC')
    >>> utc_bound(None, name="start") is None
    True
    """
    if value is None:
        if required:
            raise ParameterError(f"{name} is required; write it as ISO 8601, e.g. 2026-03-30T00:00:00Z")
        return None
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ParameterError(
            f"{name} is not a date or time; write it as ISO 8601, e.g. 2026-03-30 or 2026-03-30T00:00:00Z"
        ) from None
    if pd.isna(stamp):
        raise ParameterError(f"{name} is missing (NaT); write it as ISO 8601, e.g. 2026-03-30T00:00:00Z")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def check_timezone(timezone: str | None) -> None:
    """Raise ParameterError unless ``timezone`` is None or a valid IANA zone name.

    Examples
    --------
    >>> check_timezone("Europe/Berlin")
    """
    if timezone is None:
        return
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ParameterError(
            f"timezone={timezone!r} is not an IANA time zone name; use e.g. 'Europe/Berlin' or 'UTC'"
        ) from None


def _utc_ns_values(values: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Aware timestamps -> naive UTC datetime64[ns] numpy values (NaT kept)."""
    series = pd.Series(values)
    return series.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]").to_numpy()


def _typed_to_utc(series: pd.Series, column: str, timezone: str | None) -> tuple[pd.Series, list[RowIssue]]:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC").astype(pd.DatetimeTZDtype("ns", "UTC")), []
    present = series.notna().to_numpy()
    if timezone is None:
        empty = pd.Series(pd.NaT, index=series.index, dtype=pd.DatetimeTZDtype("ns", "UTC"))
        issue = RowIssue(
            column,
            "timestamp has no timezone (naive); pass timezone= with the zone it was recorded in",
            np.flatnonzero(present),
        )
        return empty, [issue] if present.any() else []
    local = series.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
    bad = present & local.isna().to_numpy()
    issues = []
    if bad.any():
        issues.append(RowIssue(column, _DAYLIGHT_SAVING, np.flatnonzero(bad)))
    return local.dt.tz_convert("UTC").astype(pd.DatetimeTZDtype("ns", "UTC")), issues


def to_utc(
    series: pd.Series,
    *,
    column: str,
    timezone: str | None = None,
    epoch_unit: str | None = None,
) -> tuple[pd.Series, list[RowIssue]]:
    """Convert one column to ``datetime64[ns, UTC]``.

    Parameters
    ----------
    series : Series
        Text, numbers or timestamps; empty strings and nulls are missing.
    column : str
        Column name used in the reported issues.
    timezone : str, optional
        IANA zone of naive timestamps. Without it naive values are reported.
    epoch_unit : {"s", "ms", "excel"}, optional
        Unit of bare numbers (``"excel"``: days since 1899-12-30, local time in
        ``timezone``). Without it numbers are reported.

    Returns
    -------
    (Series, list of RowIssue)
        Converted values (NaT where missing or bad) and the bad rows by reason.

    Examples
    --------
    >>> times, issues = to_utc(pd.Series(["1772445600", "2026-03-02 10:00"]), column="ts")
    >>> [issue.reason.split(";")[0] for issue in issues]
    ['epoch number', 'timestamp has no UTC offset (naive)']
    >>> times, issues = to_utc(pd.Series(["1772445600"]), column="ts", epoch_unit="s")
    >>> str(times[0])
    '2026-03-02 10:00:00+00:00'
    """
    check_timezone(timezone)
    if epoch_unit is not None and epoch_unit not in EPOCH_UNITS:
        raise ParameterError(f"epoch_unit={epoch_unit!r} is not supported; use one of {EPOCH_UNITS} or None")
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return _typed_to_utc(series.reset_index(drop=True), column, timezone)
    import pyarrow.compute as pc

    trimmed = pc.utf8_trim_whitespace(arrow_text(_as_text(series.reset_index(drop=True))))
    conversion = _TextConversion(pd.Series(trimmed.to_numpy(zero_copy_only=False), dtype=object), column)
    missing = arrow_mask(pc.is_null(trimmed)) | arrow_mask(pc.equal(trimmed, ""))
    numeric = arrow_mask(pc.match_substring_regex(trimmed, _NUMBER.pattern)) & ~missing
    with_offset = arrow_mask(pc.match_substring_regex(trimmed, _OFFSET.pattern)) & ~missing & ~numeric
    naive = ~missing & ~numeric & ~with_offset
    if numeric.any():
        conversion.numbers(np.flatnonzero(numeric), epoch_unit=epoch_unit, timezone=timezone)
    if with_offset.any():
        positions = np.flatnonzero(with_offset)
        conversion.result[positions] = _utc_ns_values(conversion.parse_iso(positions, utc=True))
    if naive.any():
        conversion.naive(np.flatnonzero(naive), timezone=timezone)
    return pd.Series(conversion.result, index=series.index).dt.tz_localize("UTC"), conversion.issues


def _as_text(series: pd.Series) -> pd.Series:
    """Numbers and spreadsheet datetimes as text, so one rule set applies to every input."""
    if series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) not in ("string", "empty"):
        # Spreadsheet datetimes or mixed objects: render each as ISO text (naive datetimes stay
        # naive and are reported).
        return series.map(
            lambda v: v if v is None or isinstance(v, str) or (isinstance(v, float) and np.isnan(v))
            else (v.isoformat() if hasattr(v, "isoformat") else number_to_text(v) or repr(v))
        )
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return series.astype(object).map(lambda v: None if pd.isna(v) else (number_to_text(v) or repr(float(v))))
    return series


class _TextConversion:
    """The state of one text column's conversion: trimmed text, UTC values so far, issues by reason."""

    def __init__(self, text: pd.Series, column: str) -> None:
        self.text = text
        self.column = column
        self.result = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")
        self.issues: list[RowIssue] = []

    def report(self, reason: str, positions: np.ndarray) -> None:
        self.issues.append(RowIssue(self.column, reason, positions))

    def numbers(self, positions: np.ndarray, *, epoch_unit: str | None, timezone: str | None) -> None:
        """Bare numbers: epoch times in ``epoch_unit``, Excel serial days, or reported."""
        values = pd.to_numeric(self.text.iloc[positions], errors="coerce").to_numpy(dtype=float)
        excel_like = (np.abs(values) >= _EXCEL_LOW) & (np.abs(values) < _EXCEL_HIGH)
        if epoch_unit == "excel":
            self.excel_days(values, positions, timezone=timezone)
            return
        if epoch_unit is None:
            if excel_like.any():
                self.report(_EXCEL_HINT, positions[excel_like])
            if (~excel_like).any():
                self.report("epoch number; pass epoch_unit='s' or 'ms' to read epoch times", positions[~excel_like])
            return
        if epoch_unit == "s":
            reported = np.abs(values) >= _EPOCH_UNIT_SPLIT
            hint = "epoch value too large for seconds (looks like milliseconds: pass epoch_unit='ms')"
            if excel_like.any():
                # Read as seconds these would be January 1970: say what they are instead.
                self.report(_EXCEL_HINT, positions[excel_like])
            wrong_unit = reported | excel_like
        else:
            reported = wrong_unit = np.abs(values) < _EPOCH_UNIT_SPLIT
            hint = "epoch value too small for milliseconds (looks like seconds: pass epoch_unit='s')"
        if reported.any():
            self.report(hint, positions[reported])
        good = positions[~wrong_unit]
        if len(good):
            self.epochs(good, epoch_unit)

    def excel_days(self, values: np.ndarray, positions: np.ndarray, *, timezone: str | None) -> None:
        """Excel serial days -> UTC, as local wall-clock times in ``timezone``."""
        if timezone is None:
            self.report("Excel serial dates have no time zone; pass timezone= with the zone they were recorded in",
                        positions)
            return
        inside = np.isfinite(values) & (values > 0) & (values < 2958466)  # 9999-12-31 is the last Excel date
        if (~inside).any():
            self.report(_OUTSIDE_RANGE, positions[~inside])
        nanoseconds = np.round(np.where(inside, values, 0) * 86_400_000_000).astype(np.int64) * 1000
        local = pd.Series(_EXCEL_EPOCH + nanoseconds.astype("timedelta64[ns]"))
        low, high = pd.Timestamp.min.ceil("s"), pd.Timestamp.max.floor("s")
        in_range = inside & (local > low).to_numpy() & (local < high).to_numpy()
        if (inside & ~in_range).any():
            self.report(_OUTSIDE_RANGE, positions[inside & ~in_range])
        localized = local.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
        gap = in_range & localized.isna().to_numpy()
        if gap.any():
            self.report(_DAYLIGHT_SAVING, positions[gap])
        converted = _utc_ns_values(localized)
        self.result[positions[in_range]] = converted[in_range]

    def epochs(self, positions: np.ndarray, epoch_unit: str) -> None:
        """Exact epoch times: whole units through int64, the decimal digits added as nanoseconds.

        A float epoch is off by ~100 ns on pandas 2 (1772445600.25 s became
        ...00.249999872), and ids/evidence must not depend on the version.
        """
        parts = self.text.iloc[positions].astype(str).str.partition(".")
        whole = parts[0].astype("int64").to_numpy()
        digits = 9 if epoch_unit == "s" else 6
        # Nanosecond UTC spans 1677-2262: pandas 2 turns a later epoch into NaT
        # silently and pandas 3 raises, so report it the same way as ISO text.
        limit = (2**63 - 1) // 10**digits - 1
        outside = np.abs(whole) > limit
        if outside.any():
            self.report(_OUTSIDE_RANGE, positions[outside])
            whole = np.where(outside, 0, whole)
        fraction = parts[2].str.slice(0, digits).str.pad(digits, side="right", fillchar="0")
        fraction_ns = fraction.astype("int64").to_numpy()
        sign = np.where(parts[0].str.startswith("-").to_numpy(dtype=bool), -1, 1)
        parsed = pd.to_datetime(whole, unit=epoch_unit, utc=True, errors="coerce")
        parsed = parsed + pd.to_timedelta(sign * fraction_ns, unit="ns")
        self.result[positions] = np.where(outside, np.datetime64("NaT"), _utc_ns_values(parsed))

    def within_ns_range(self, parsed: pd.Series, positions: np.ndarray) -> pd.Series:
        """Report values outside nanosecond UTC (1677-2262), which pandas 3 may parse at microseconds."""
        tz = getattr(parsed.dtype, "tz", None)
        low, high = pd.Timestamp.min.ceil("s"), pd.Timestamp.max.floor("s")
        if tz is not None:
            low, high = low.tz_localize(tz), high.tz_localize(tz)
        outside = (parsed.notna() & ((parsed < low) | (parsed > high))).to_numpy()
        if outside.any():
            self.report(_OUTSIDE_RANGE, positions[outside])
            parsed = parsed.mask(pd.Series(outside, index=parsed.index))
        return parsed

    def beyond_ns_years(self, positions: np.ndarray, failed: np.ndarray) -> np.ndarray:
        """Which failed rows hold a readable time in a year outside 1678-2261.

        pandas 2 parses at nanosecond resolution and coerces a year such as 9999
        to NaT, where pandas 3 parses it (then :meth:`within_ns_range` reports
        it): such rows are told apart from garbage by re-reading them with an
        in-range leap year.
        """
        candidates = self.text.iloc[positions[failed]]
        year = pd.to_numeric(candidates.str.extract(r"^(\d{4})-", expand=False), errors="coerce")
        odd_year = ((year < 1678) | (year > 2261)).to_numpy(dtype=bool)
        moved = candidates.str.replace(r"^\d{4}-", "2000-", n=1, regex=True)
        readable = pd.to_datetime(moved, format="ISO8601", utc=True, errors="coerce").notna().to_numpy()
        mask = np.zeros(len(positions), dtype=bool)
        mask[np.flatnonzero(failed)] = odd_year & readable
        return mask

    def parse_iso(self, positions: np.ndarray, *, utc: bool) -> pd.Series:
        parsed = pd.to_datetime(self.text.iloc[positions], format="ISO8601", utc=utc, errors="coerce")
        failed = parsed.isna().to_numpy()
        outside = self.beyond_ns_years(positions, failed) if failed.any() else np.zeros(len(positions), dtype=bool)
        unparseable = failed & ~outside
        if unparseable.any():
            self.report(_UNPARSEABLE, positions[unparseable])
        if outside.any():
            self.report(_OUTSIDE_RANGE, positions[outside])
        return self.within_ns_range(parsed, positions)

    def naive(self, positions: np.ndarray, *, timezone: str | None) -> None:
        """Times without an offset: local times in ``timezone``, or reported without one."""
        if timezone is None:
            # Tell apart "naive but readable" from garbage so the fix is clear.
            parsed = pd.to_datetime(self.text.iloc[positions], format="ISO8601", errors="coerce")
            readable = parsed.notna().to_numpy()
            readable = readable | self.beyond_ns_years(positions, ~readable)
            if readable.any():
                self.report(
                    "timestamp has no UTC offset (naive); add an offset such as Z or +02:00, "
                    "or pass timezone= with the zone it was recorded in",
                    positions[readable],
                )
            if (~readable).any():
                self.report(_UNPARSEABLE, positions[~readable])
            return
        parsed = self.parse_iso(positions, utc=False)
        # pandas returns tz-aware values only if every string had an offset.
        localized = parsed if getattr(parsed.dtype, "tz", None) is not None else parsed.dt.tz_localize(
            timezone, ambiguous="NaT", nonexistent="NaT"
        )
        gap = localized.isna().to_numpy() & parsed.notna().to_numpy()
        if gap.any():
            self.report(
                "local time is ambiguous or does not exist (daylight-saving change); add a UTC offset", positions[gap]
            )
        self.result[positions] = _utc_ns_values(localized)
