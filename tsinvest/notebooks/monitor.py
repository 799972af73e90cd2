"""The trends monitor: report volumes, spikes, emerging terms and how much of each is coordinated.

:func:`trend_monitor` composes :mod:`tsinvest.trends` into one documented
result the ``trends_monitor`` notebook displays: per-period report volumes by
a grouping column, flagged spikes, emerging hashtags in a target window
against a reference window, and, given the accounts in flagged clusters, the
share of each spike and each emerging term that those accounts drive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.notebooks.findings import rounded

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["TrendMonitor", "trend_monitor"]


@dataclass(frozen=True)
class TrendMonitor:
    """What :func:`trend_monitor` found.

    Attributes
    ----------
    series : DataFrame
        Zero-filled report counts per period and group (``time_series`` output).
    spikes : DataFrame
        Every period scored against its baseline (``detect_spikes`` output).
    flagged_spikes : DataFrame
        Flagged periods only, sorted by score desc, then key, then period.
    spike_share : DataFrame
        For each flagged spike, the share of its reports filed by flagged
        accounts (empty without flagged accounts).
    emerging : DataFrame
        Emerging terms in the target window, top ``top_terms`` by z.
    term_share : DataFrame
        For each emerging term, the share of its uses by flagged accounts.
    grouping : str
        The column volumes are split by.
    """

    series: pd.DataFrame
    spikes: pd.DataFrame
    flagged_spikes: pd.DataFrame
    spike_share: pd.DataFrame
    emerging: pd.DataFrame
    term_share: pd.DataFrame
    grouping: str

    def plot_spikes(self, key: str | None = None) -> Figure:
        """The series of ``key`` (default: the highest-scoring group) with its baseline band."""
        from tsinvest.trends import plot_spikes

        return plot_spikes(self.spikes, key=key)

    def plot_emerging(self, top: int = 15) -> Figure:
        """Bar chart of the top emerging terms."""
        from tsinvest.trends import plot_emerging

        return plot_emerging(self.emerging, top=top)

    def __repr__(self) -> str:
        return (
            f"TrendMonitor(groups={self.spikes['key'].nunique() if len(self.spikes) else 0}, "
            f"periods={self.series['period_start'].nunique() if len(self.series) else 0}, "
            f"flagged_spikes={len(self.flagged_spikes)}, emerging_terms={len(self.emerging)})"
        )


def trend_monitor(
    tables: Mapping[str, pd.DataFrame],
    *,
    freq: Literal["H", "D", "W"] = "D",
    grouping: str = "policy",
    policy: str | None = None,
    start: str | None = None,
    end: str | None = None,
    target: str,
    reference: str,
    flagged_accounts: Iterable[str] = (),
    threshold: float = 4.0,
    min_count: int = 5,
    top_terms: int = 20,
) -> TrendMonitor:
    """Volumes, spikes, emerging terms and their coordinated share, in one call.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Canonical tables; ``reports`` is needed for volumes, ``events`` (with
        ``text``) for emerging terms.
    freq : {"H", "D", "W"}
        Period length.
    grouping : str
        Column of ``reports`` to split volumes by (``policy``, or another
        column such as ``target_content_id``).
    policy : str, optional
        Keep only reports of this policy.
    start, end : str, optional
        Bounds of the series (end exclusive); default: the data's own range.
    target, reference : str
        ``"START/END"`` windows for emerging terms: the window under
        suspicion and the window that defines normal.
    flagged_accounts : iterable of str
        Accounts in flagged clusters (e.g. ``detection.flagged_accounts``'s ids).
    threshold, min_count : float, int
        Spike flagging score and minimum count (see ``detect_spikes``).
    top_terms : int
        Emerging terms kept.

    Returns
    -------
    TrendMonitor

    Examples
    --------
    >>> import pandas as pd
    >>> days = pd.date_range("2026-03-02", periods=28, freq="D", tz="UTC")
    >>> reports = pd.DataFrame({"report_id": [str(i) for i in range(28 * 3 + 30)],
    ...     "reporter_id": ["r"] * (28 * 3 + 30), "target_account_id": ["t"] * (28 * 3 + 30),
    ...     "policy": ["spam"] * (28 * 3 + 30),
    ...     "ts": list(days.repeat(3)) + [days[20]] * 30})
    >>> monitor = trend_monitor({"reports": reports}, target="2026-03-16/2026-03-30",
    ...                         reference="2026-03-02/2026-03-16")
    >>> monitor.flagged_spikes[["key", "count"]].to_dict("records")
    [{'key': 'policy=spam', 'count': 33}]
    """
    from tsinvest.trends import detect_spikes, time_series

    if "reports" not in tables:
        raise ParameterError("tables must include 'reports' for report volumes; load the data folder with load_dir")
    reports = tables["reports"]
    if grouping not in reports.columns:
        raise ParameterError(f"reports has no column '{grouping}'; pass grouping= with one of its columns")
    if policy is not None:
        reports = reports[reports["policy"] == policy]
        if reports.empty:
            raise ParameterError("no report has the given policy; check the spelling (policies are exact strings)")
    flagged = sorted({str(account) for account in flagged_accounts})

    series = time_series(reports, freq=freq, by=grouping, start=start, end=end)
    spikes = detect_spikes(series, freq=freq, threshold=threshold, min_count=min_count)
    flagged_spikes = spikes[spikes["flagged"].astype(bool)].sort_values(
        ["score", "key", "period_start"], ascending=[False, True, True]
    )
    keep = [grouping, "key", "period_start", "count", "expected", "upper", "score", "baseline"]
    flagged_spikes = rounded(flagged_spikes[[column for column in keep if column in flagged_spikes.columns]])

    spike_share = _spike_share(reports, flagged_spikes, flagged, freq=freq, grouping=grouping)
    emerging, term_share = _emerging(tables.get("events"), flagged, target=target, reference=reference,
                                     top_terms=top_terms)
    return TrendMonitor(
        series=series,
        spikes=spikes,
        flagged_spikes=flagged_spikes,
        spike_share=spike_share,
        emerging=emerging,
        term_share=term_share,
        grouping=grouping,
    )


def _spike_share(reports: pd.DataFrame, flagged_spikes: pd.DataFrame, flagged: list[str], *,
                 freq: Literal["H", "D", "W"], grouping: str) -> pd.DataFrame:
    """Share of each flagged spike's reports filed by flagged accounts."""
    from tsinvest.trends import coordinated_share

    if not flagged or not len(flagged_spikes):
        return pd.DataFrame()
    step = {"H": "1h", "D": "1D", "W": "7D"}[freq]
    periods = reports.assign(period_start=reports["ts"].dt.floor(step) if freq != "W" else
                             (reports["ts"].dt.floor("1D") - pd.to_timedelta(reports["ts"].dt.dayofweek, unit="D")))
    in_spikes = periods.merge(flagged_spikes[[grouping, "period_start"]], on=[grouping, "period_start"])
    return rounded(coordinated_share(in_spikes, flagged, by=[grouping, "period_start"], actor="reporter_id"))


def _emerging(events: pd.DataFrame | None, flagged: list[str], *, target: str, reference: str,
              top_terms: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Emerging terms of the target window and, with flagged accounts, each term's coordinated share."""
    from tsinvest.trends import coordinated_share, emerging_terms, term_occurrences

    if events is None or "text" not in events.columns:
        return pd.DataFrame(), pd.DataFrame()
    ranked = emerging_terms(events, target=target, reference=reference)
    emerging = rounded(ranked[ranked["z"] > 0].head(top_terms))
    if not flagged or not len(emerging):
        return emerging, pd.DataFrame()
    target_start, target_end = target.split("/")
    uses = term_occurrences(events, start=target_start, end=target_end)
    uses = uses[uses["term"].isin(emerging["term"])]
    return emerging, rounded(coordinated_share(uses, flagged, by="term"))
