"""Figures for a weekly desk review: backlog over time, weekly flow and SLA, resolution times.

Every function builds a :class:`matplotlib.figure.Figure` without pyplot (no
global state, any backend), draws counts on integer ticks, and keeps time on a
real time axis with every day or week present, so a quiet week shows as a gap
at zero rather than disappearing. Labels from the data go through
:func:`tsinvest.plotting.safe_label` with TeX switched off.

Examples
--------
>>> from typing import TYPE_CHECKING

import pandas as pd
>>> backlog = pd.DataFrame({"snapshot": pd.date_range("2026-03-03", periods=3, freq="D", tz="UTC"),
...                         "open": [1, 3, 2], "overdue": [0, 1, 1], "opened": [1, 2, 0], "resolved": [0, 0, 1]})
>>> plot_backlog(backlog).axes[0].get_ylabel()
'tickets'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.plotting import safe_label
from tsinvest.schemas import require_columns

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

__all__ = ["plot_backlog", "plot_weekly", "plot_resolution"]


def _no_tex(*texts: Text) -> None:
    for text in texts:
        text.set_usetex(False)


def _naive_utc(times: pd.Series) -> pd.Series:
    return pd.to_datetime(times, utc=True).dt.tz_localize(None).to_numpy()


def _finish(ax: Axes, *, title: str, xlabel: str, ylabel: str, integer_y: bool = True) -> None:
    from matplotlib.ticker import MaxNLocator

    if integer_y:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(bottom=0)
    _no_tex(ax.set_title(safe_label(title, max_chars=120), loc="left"), ax.set_xlabel(xlabel), ax.set_ylabel(ylabel))
    if ax.get_legend_handles_labels()[0]:
        legend = ax.legend(loc="upper left", frameon=False, fontsize="small")
        _no_tex(*legend.get_texts())
    ax.grid(alpha=0.3)


def plot_backlog(backlog: pd.DataFrame, *, title: str = "Open and overdue tickets at each midnight (UTC)",
                 figsize: tuple[float, float] = (9.0, 3.2)) -> Figure:
    """Step lines of open and overdue tickets over time (:func:`~tsinvest.escalations.backlog_series`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib
    from matplotlib.figure import Figure

    require_columns(backlog, {"snapshot", "open", "overdue"}, name="backlog_series() output")
    if backlog.empty:
        raise ParameterError("backlog is empty; nothing to plot (no ticket opened before as_of)")
    with matplotlib.rc_context({"text.usetex": False}):
        figure = Figure(figsize=figsize, layout="constrained")
        ax = figure.add_subplot()
        x = _naive_utc(backlog["snapshot"])
        ax.step(x, backlog["open"].to_numpy(int), where="post", color="tab:blue", linewidth=1.5, label="open")
        ax.step(x, backlog["overdue"].to_numpy(int), where="post", color="tab:red", linewidth=1.5, label="overdue")
        _finish(ax, title=title, xlabel="snapshot (UTC)", ylabel="tickets")
        figure.autofmt_xdate()
    return figure


def plot_weekly(weekly: pd.DataFrame, *, title: str = "Tickets per week opened, resolved since, and SLA met",
                figsize: tuple[float, float] = (9.0, 3.4)) -> Figure:
    """Bars of tickets opened per week (split: resolved by as_of, still open) and the SLA-met rate.

    Parameters
    ----------
    weekly : DataFrame
        :func:`~tsinvest.escalations.sla_figures` with ``by="week"`` (every
        week present, empty weeks as zeros).

    Returns
    -------
    matplotlib.figure.Figure
        Left axis: ticket counts (integer ticks); right axis: SLA-met rate in
        percent, drawn only for weeks where some ticket's outcome is known.

    Examples
    --------
    >>> from typing import TYPE_CHECKING

import pandas as pd
    >>> weekly = pd.DataFrame({"week": pd.date_range("2026-03-02", periods=3, freq="7D", tz="UTC"),
    ...                        "opened": [4, 0, 3], "resolved": [3, 0, 1], "open": [1, 0, 2],
    ...                        "sla_met_rate": [0.75, None, 0.5]})
    >>> figure = plot_weekly(weekly)
    >>> [tick.get_text() for tick in figure.axes[0].get_xticklabels()]
    ['2026-03-02', '2026-03-09', '2026-03-16']
    """
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    require_columns(weekly, ["week", "opened", "resolved", "open", "sla_met_rate"], name="sla_figures(by='week')")
    if weekly.empty:
        raise ParameterError("weekly is empty; nothing to plot")
    with matplotlib.rc_context({"text.usetex": False}):
        figure = Figure(figsize=figsize, layout="constrained")
        ax = figure.add_subplot()
        x = _naive_utc(weekly["week"])
        width = pd.Timedelta(days=5).to_timedelta64()
        resolved = weekly["resolved"].to_numpy(int)
        still_open = weekly["open"].to_numpy(int)
        other = weekly["opened"].to_numpy(int) - resolved - still_open  # closed at an unknown time
        ax.bar(x, resolved, width=width, align="edge", color="tab:green", label="resolved by as_of")
        ax.bar(x, still_open, width=width, align="edge", bottom=resolved, color="tab:orange", label="still open")
        if other.any():
            ax.bar(x, other, width=width, align="edge", bottom=resolved + still_open, color="tab:gray",
                   label="closed, time unknown")
        _finish(ax, title=title, xlabel="week opened (Monday, UTC)", ylabel="tickets opened")
        import matplotlib.dates as mdates

        ax.set_xticks(x)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
        rate_axis = ax.twinx()
        known = weekly["sla_met_rate"].notna().to_numpy()
        centres = x + pd.Timedelta(days=2.5).to_timedelta64()
        rate_axis.plot(centres[known], weekly["sla_met_rate"].to_numpy(float)[known] * 100, color="black",
                       marker="o", linewidth=1.2, label="SLA met")
        rate_axis.set_ylim(0, 105)
        rate_axis.yaxis.set_major_formatter(PercentFormatter())
        _no_tex(rate_axis.set_ylabel("SLA met (resolved in time / decided)"))
        legend = rate_axis.legend(loc="upper right", frameon=False, fontsize="small")
        _no_tex(*legend.get_texts())
        figure.autofmt_xdate()
    return figure


def plot_resolution(times: pd.DataFrame, *, by: str = "channel",
                    title: str = "Hours to resolution by channel (tickets resolved by as_of)",
                    figsize: tuple[float, float] = (9.0, 3.2)) -> Figure:
    """Horizontal box plots of hours to resolution per group, with each group's ticket count.

    Parameters
    ----------
    times : DataFrame
        :func:`~tsinvest.escalations.ticket_times` output.
    by : str
        Group column (``channel``, ``policy``, ``severity``, ``priority``).

    Returns
    -------
    matplotlib.figure.Figure
        Every group present in ``times`` is drawn (a group with no resolved
        ticket is labelled ``n=0``, never dropped).

    Examples
    --------
    >>> from typing import TYPE_CHECKING

import pandas as pd
    >>> times = pd.DataFrame({"channel": ["user", "user", "regulator"], "resolution_hours": [5.0, 30.0, None]})
    >>> [label.get_text() for label in plot_resolution(times).axes[0].get_yticklabels()]
    ['regulator (n=0)', 'user (n=2)']
    """
    import matplotlib
    from matplotlib.figure import Figure

    require_columns(times, {by, "resolution_hours"}, name="ticket_times() output")
    if times.empty:
        raise ParameterError("times is empty; nothing to plot")
    groups = sorted(times[by].dropna().astype(str).unique().tolist())
    with matplotlib.rc_context({"text.usetex": False}):
        figure = Figure(figsize=figsize, layout="constrained")
        ax = figure.add_subplot()
        data, labels = [], []
        for group in groups:
            hours = times.loc[times[by].astype("string") == group, "resolution_hours"].dropna().to_numpy(float)
            data.append(hours)
            labels.append(safe_label(f"{group} (n={len(hours)})"))
        import inspect

        # matplotlib 3.10 renamed vert=False to orientation="horizontal" (3.11 warns on vert).
        if "orientation" in inspect.signature(ax.boxplot).parameters:
            ax.boxplot(data, orientation="horizontal", showfliers=True)
        else:  # pragma: no cover - matplotlib < 3.10
            ax.boxplot(data, vert=False, showfliers=True)
        ax.set_yticks(range(1, len(labels) + 1), labels)
        _no_tex(*ax.get_yticklabels())
        ax.set_xlim(left=0)
        _finish(ax, title=title, xlabel="hours from opened to resolved", ylabel="", integer_y=False)
    return figure
