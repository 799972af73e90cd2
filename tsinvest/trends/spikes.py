"""Spikes in per-period counts, judged against a baseline that knows the weekly rhythm.

Examples
--------
>>> import pandas as pd
>>> days = pd.date_range("2026-03-02", periods=28, freq="D", tz="UTC")
>>> counts = [20] * 28
>>> counts[17] = 80                       # one day with four times the usual volume
>>> series = pd.DataFrame({"period_start": days, "count": counts})
>>> spikes = detect_spikes(series)
>>> spikes.loc[spikes["flagged"], ["period_start", "count", "expected", "baseline"]]
                period_start  count  expected         baseline
17 2026-03-19 00:00:00+00:00     80      20.0  seasonal:weekday
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.schemas import TIMESTAMP_DTYPE
from tsinvest.trends.inputs import FREQ_TIMEDELTA, as_columns

__all__ = ["detect_spikes", "group_key", "BASELINES", "SPIKE_COLUMNS"]

#: Values of the ``baseline`` column, i.e. which expectation a period was judged against.
BASELINES = MappingProxyType({
    "seasonal:weekday": "median of the same weekday in the surrounding weeks (daily data, >= 2 weeks)",
    "seasonal:hour_of_week": "median of the same hour of the week in the surrounding weeks (hourly, >= 2 weeks)",
    "seasonal:hour_of_day": "median of the same hour on the surrounding days (hourly data, 2 days to 2 weeks)",
    "rolling_median:short_history": "median of neighbouring periods; too little history for a seasonal baseline",
    "rolling_median:no_season": "median of neighbouring periods; weekly data has no modelled season",
    "rolling_median": "median of neighbouring periods (method='robust' was asked for)",
    "none:single_period": "a single period cannot be compared with anything",
})

#: Columns :func:`detect_spikes` adds after the group columns.
SPIKE_COLUMNS = (
    "key", "period_start", "count", "expected", "lower", "upper", "score", "p_value", "flagged", "baseline",
)

_MAD_TO_SIGMA = 1.4826


def group_key(frame: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """Readable key per row, ``"policy=spam"`` or ``"policy=spam;country=DE"`` (``"all"`` with no groups).

    Examples
    --------
    >>> import pandas as pd
    >>> group_key(pd.DataFrame({"policy": ["spam", None], "country": ["DE", "FR"]}), ["policy", "country"]).tolist()
    ['policy=spam;country=DE', 'policy=<NA>;country=FR']
    """
    if not by:
        return pd.Series("all", index=frame.index, dtype="string")
    parts = [column + "=" + frame[column].astype("string").fillna("<NA>") for column in by]
    key = parts[0]
    for part in parts[1:]:
        key = key + ";" + part
    return key.astype("string")


def _infer_freq(periods: pd.DatetimeIndex) -> str:
    if len(periods) < 2:
        raise ParameterError("cannot infer freq from a single period; pass freq='H', 'D' or 'W'")
    step = pd.Series(periods).diff().dropna().min()
    for name, delta in FREQ_TIMEDELTA.items():
        if step == delta:
            return name
    raise ParameterError("periods are not 1 hour, 1 day or 1 week apart; build the series with time_series()")


def _shifted_median(matrix: np.ndarray, offsets: Sequence[int]) -> np.ndarray:
    """Median, per cell, of the cells ``offsets`` columns away (the cell itself never counts)."""
    groups, periods = matrix.shape
    stack = np.full((groups, periods, len(offsets)), np.nan)
    for i, offset in enumerate(offsets):  # a handful of offsets, not a loop over data rows
        if offset > 0 and offset < periods:
            stack[:, :-offset, i] = matrix[:, offset:]
        elif offset < 0 and -offset < periods:
            stack[:, -offset:, i] = matrix[:, :offset]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells: handled by the caller
        return np.nanmedian(stack, axis=2)


def _choose_baseline(freq: str, periods: int, method: str) -> tuple[str, int]:
    """Return the baseline name and its season length (0 for non-seasonal)."""
    if periods < 2:
        return "none:single_period", 0
    if method == "robust":
        return "rolling_median", 0
    if freq == "D" and periods >= 14:
        return "seasonal:weekday", 7
    if freq == "H" and periods >= 2 * 168:
        return "seasonal:hour_of_week", 168
    if freq == "H" and periods >= 2 * 24:
        return "seasonal:hour_of_day", 24
    if method == "seasonal":
        raise ParameterError(
            "method='seasonal' needs two full seasons of history (14 days of daily, 48 hours of hourly "
            "counts; weekly counts have none); use method='auto' to fall back to a rolling median"
        )
    return ("rolling_median:no_season" if freq == "W" else "rolling_median:short_history"), 0


def _count_matrix(
    frame: pd.DataFrame, period: str, count: str, freq: str | None
) -> tuple[pd.DataFrame, pd.DatetimeIndex, str]:
    """Counts as a (group key x period) matrix over the whole regular grid, the periods and the freq."""
    observed_periods = pd.DatetimeIndex(frame[period].drop_duplicates().sort_values())
    freq = freq or _infer_freq(observed_periods)
    if freq not in FREQ_TIMEDELTA:
        raise ParameterError("freq must be one of 'H', 'D', 'W'")
    periods = pd.date_range(observed_periods[0], observed_periods[-1], freq=FREQ_TIMEDELTA[freq])
    if not observed_periods.isin(periods).all():
        raise ParameterError(
            f"periods are not aligned on a regular freq={freq!r} grid; build the series with time_series()"
        )

    # The grid makes every group the same length, so one matrix holds all of them.
    matrix_frame = frame.pivot_table(index="key", columns=period, values=count, aggfunc="sum", fill_value=0)
    matrix_frame = matrix_frame.reindex(columns=periods, fill_value=0).sort_index()
    return matrix_frame, periods, freq


def _expectation(
    matrix: np.ndarray, freq: str, method: str, seasons: int, neighbours: int
) -> tuple[str, np.ndarray, np.ndarray]:
    """(baseline name, expected count, robust spread) of every cell of the count matrix."""
    baseline, season = _choose_baseline(freq, matrix.shape[1], method)

    if season:
        offsets = [k * season for k in range(1, seasons + 1)] + [-k * season for k in range(1, seasons + 1)]
    else:
        offsets = list(range(1, neighbours + 1)) + [-k for k in range(1, neighbours + 1)]
    expected = np.full_like(matrix, np.nan) if baseline == "none:single_period" else _shifted_median(matrix, offsets)
    residual = matrix - expected
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        center = np.nanmedian(residual, axis=1, keepdims=True)
        mad = np.nanmedian(np.abs(residual - center), axis=1, keepdims=True)
    spread = np.fmax(np.fmax(_MAD_TO_SIGMA * np.nan_to_num(mad), np.sqrt(np.fmax(expected, 0))), 1.0)
    return baseline, expected, spread


def _no_spikes(frame: pd.DataFrame, groups: Sequence[str]) -> pd.DataFrame:
    """The result of an empty series: the group columns and :data:`SPIKE_COLUMNS`, no rows."""
    empty = pd.DataFrame({c: pd.Series(dtype=frame[c].dtype) for c in groups})
    for column in SPIKE_COLUMNS:
        empty[column] = pd.Series(dtype="object")
    return empty


def detect_spikes(
    series: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    period: str = "period_start",
    count: str = "count",
    freq: Literal["H", "D", "W"] | None = None,
    method: Literal["auto", "seasonal", "robust"] = "auto",
    threshold: float = 4.0,
    min_count: int = 5,
    max_p_value: float = 1e-4,
    seasons: int = 4,
    neighbours: int = 3,
) -> pd.DataFrame:
    """Score every period against a robust baseline and flag the jumps.

    Parameters
    ----------
    series : pandas.DataFrame
        Counts per period, usually from :func:`~tsinvest.trends.time_series`.
        Missing periods inside a group are filled with zero.
    by : str or sequence of str, optional
        Group columns. Default: every column except ``period``, ``count`` and
        ``distinct_count``.
    period, count : str
        Period-start column (tz-aware UTC) and count column.
    freq : {"H", "D", "W"}, optional
        Period length; inferred from the spacing of periods when omitted.
    method : {"auto", "seasonal", "robust"}, default "auto"
        ``"auto"`` uses a seasonal baseline when there are at least two
        seasons of history and a rolling median otherwise; ``"seasonal"``
        refuses to fall back; ``"robust"`` always uses the rolling median.
    threshold : float, default 4.0
        Score at or above which a period is flagged.
    min_count : int, default 5
        A period with fewer rows is never flagged, however surprising.
    max_p_value : float, default 1e-4
        A period is flagged only if a count this high is also this unlikely
        under a Poisson law with the expected mean (guards small counts).
    seasons : int, default 4
        Seasonal baseline: how many seasons before and after a period
        are compared with it.
    neighbours : int, default 3
        Rolling baseline: how many periods on each side are compared.

    Returns
    -------
    pandas.DataFrame
        The group columns, then ``key, period_start, count, expected, lower,
        upper, score, flagged, baseline``, one row per group and period,
        sorted by key then period. ``lower``/``upper`` bound the band inside
        which a count is unremarkable (``upper`` is the flagging line).
        ``baseline`` names the method (see :data:`BASELINES`).

    Notes
    -----
    *Expected* count: the median of the same weekday (daily data) or the
    same hour of the week (hourly data) in the ``seasons`` weeks before and
    after, leaving the period itself out, so a busy Saturday is compared
    with other Saturdays and a spike does not hide itself. With less than
    two seasons of history, or weekly data, the expectation is the median
    of the ``neighbours`` periods either side, and ``baseline`` says so.
    Medians ignore a spike that covers fewer than half of the compared
    periods. Looking both backwards and forwards suits an investigation of a
    past window; it is not a real-time alarm.

    *Score*: ``(count - expected) / max(1.4826 * MAD, sqrt(expected), 1)``,
    where MAD is the median absolute deviation of the group's residuals
    (robust spread of that series), ``sqrt(expected)`` is the Poisson noise
    floor that keeps small counts from looking dramatic when the MAD is 0,
    and 1 stops division by tiny numbers. On a well-behaved series the score
    reads like a z-score; 4 means far outside ordinary day-to-day noise and
    keeps false alarms rare across dozens of groups times weeks of periods.
    ``min_count`` (5) keeps 0-to-3 blips out of the flagged list, and
    ``p_value`` (the Poisson upper tail P(X >= count) with mean
    ``max(expected, 0.5)``) must be at most ``max_p_value``: at hourly
    volumes of 0-2 the sqrt floor alone lets "6 instead of 1" through, which
    is 1-in-1 600 under Poisson and common across thousands of hours. Only
    upward jumps are flagged; drops have negative scores.

    Cost: O(groups x periods x seasons) in vectorised NumPy.

    Examples
    --------
    >>> import pandas as pd
    >>> week = pd.DataFrame({"period_start": pd.date_range("2026-03-02", periods=7, freq="D", tz="UTC"),
    ...                      "count": [10, 11, 9, 10, 40, 10, 12]})
    >>> detect_spikes(week)[["count", "expected", "flagged", "baseline"]].iloc[4]
    count                                 40
    expected                            10.0
    flagged                             True
    baseline    rolling_median:short_history
    Name: 4, dtype: object
    """
    if method not in ("auto", "seasonal", "robust"):
        raise ParameterError("method must be 'auto', 'seasonal' or 'robust'")
    if threshold <= 0 or min_count < 0 or seasons < 1 or neighbours < 1 or not 0 < max_p_value <= 1:
        raise ParameterError("threshold must be > 0, min_count >= 0, 0 < max_p_value <= 1, seasons and neighbours >= 1")
    missing = [c for c in (period, count) if c not in series.columns]
    if by is None:
        groups = tuple(c for c in series.columns if c not in (period, count, "distinct_count"))
    else:
        groups = as_columns(by)
        missing += [c for c in groups if c not in series.columns]
    if missing:
        raise ParameterError(f"the series has no column(s) {', '.join(map(repr, missing))}; pass period=, count=, by=")

    frame = series[[*groups, period, count]].copy()
    frame[period] = pd.to_datetime(frame[period], utc=True)
    frame["key"] = group_key(frame, groups)
    if frame.empty:
        return _no_spikes(frame, groups)

    matrix_frame, periods, grid_freq = _count_matrix(frame, period, count, freq)
    matrix = matrix_frame.to_numpy(dtype=float)
    baseline, expected, spread = _expectation(matrix, grid_freq, method, seasons, neighbours)
    score = (matrix - expected) / spread
    from scipy.stats import poisson

    p_value = np.where(np.isnan(expected), np.nan, poisson.sf(matrix - 1, np.fmax(np.nan_to_num(expected), 0.5)))
    flagged = (score >= threshold) & (matrix >= min_count) & (p_value <= max_p_value)

    keys = matrix_frame.index.to_numpy()
    n_periods = len(periods)
    result = pd.DataFrame(
        {
            "key": pd.array(np.repeat(keys, n_periods), dtype="string"),
            "period_start": periods[np.tile(np.arange(n_periods), len(keys))],  # indexing keeps the tz
            "count": matrix.ravel().astype("int64"),
            "expected": expected.ravel(),
            "lower": np.fmax(expected - threshold * spread, 0).ravel(),
            "upper": (expected + threshold * spread).ravel(),
            "score": score.ravel(),
            "p_value": p_value.ravel(),
            "flagged": flagged.ravel(),
            "baseline": pd.array([baseline] * matrix.size, dtype="string"),
        }
    )
    result["period_start"] = result["period_start"].astype(TIMESTAMP_DTYPE)
    if groups:
        labels = frame[[*groups, "key"]].drop_duplicates("key")
        result = result.merge(labels, on="key", how="left")[[*groups, *SPIKE_COLUMNS]]
    return result.sort_values(["key", "period_start"], kind="stable").reset_index(drop=True)
