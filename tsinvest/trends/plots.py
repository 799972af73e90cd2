r"""Figures for trends: a series with its baseline band and flagged periods, top emerging terms.

Both functions build a :class:`matplotlib.figure.Figure` without pyplot, so
they work under any backend (Agg in CI and exports), leak no global figures in
loops, and display inline in Jupyter when returned from a cell. User-written
strings (group keys, hashtags) go through :func:`tsinvest.plotting.safe_label`: ``$`` is escaped
so mathtext never parses them, and TeX is switched off on every text, so a
hashtag like ``#$\input{...}$`` is drawn as typed.

Examples
--------
>>> safe_label("#win$$ now")
'#win\\$\\$ now'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.plotting import safe_label

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# safe_label is re-exported: it was first defined here and callers still import it from here.
__all__ = ["plot_spikes", "plot_emerging", "safe_label"]


def _no_tex(*texts: Any) -> None:
    # rcParams["text.usetex"] may be on in the analyst's session; user text must never reach LaTeX.
    for text in texts:
        text.set_usetex(False)


def plot_spikes(
    spikes: pd.DataFrame,
    *,
    key: str | None = None,
    title: str | None = None,
    ax: Any = None,
    figsize: tuple[float, float] = (9.0, 3.2),
) -> Figure:
    """Draw one group's counts with the expected line, the unremarkable band and flagged periods.

    Parameters
    ----------
    spikes : pandas.DataFrame
        Output of :func:`~tsinvest.trends.detect_spikes`.
    key : str, optional
        Which group (a value of ``spikes["key"]``); default: the group with
        the highest score, ties broken by key.
    title : str, optional
        Figure title; default names the key and the baseline method.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (e.g. a subplot grid); a new Figure otherwise.
    figsize : tuple of float
        Size of a new figure, in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from tsinvest.trends import detect_spikes
    >>> series = pd.DataFrame({"period_start": pd.date_range("2026-03-02", periods=14, freq="D", tz="UTC"),
    ...                        "count": [10] * 10 + [60, 10, 10, 10]})
    >>> fig = plot_spikes(detect_spikes(series))
    >>> fig.axes[0].get_title(loc="left")
    'all: 1 flagged period (baseline seasonal:weekday)'
    """
    import matplotlib

    with matplotlib.rc_context({"text.usetex": False}):  # date formatters read usetex when created
        return _plot_spikes(spikes, key=key, title=title, ax=ax, figsize=figsize)


def _plot_spikes(
    spikes: pd.DataFrame, *, key: str | None, title: str | None, ax: Any, figsize: tuple[float, float]
) -> Figure:
    from matplotlib.figure import Figure

    required = {"key", "period_start", "count", "expected", "lower", "upper", "flagged", "baseline"}
    missing = sorted(required - set(spikes.columns))
    if missing:
        raise ParameterError(f"spikes has no column(s) {', '.join(missing)}; pass the output of detect_spikes()")
    if spikes.empty:
        raise ParameterError("spikes is empty; nothing to plot")
    if key is None:
        best = spikes.sort_values(["score", "key"], ascending=[False, True], na_position="last")
        key = best["key"].iloc[0]
    data = spikes[spikes["key"] == key].sort_values("period_start")
    if data.empty:
        raise ParameterError("key is not one of the values in spikes['key']")

    if ax is None:
        figure = Figure(figsize=figsize, layout="constrained")
        ax = figure.add_subplot()
    else:
        figure = ax.figure
    x = data["period_start"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    ax.fill_between(x, data["lower"].to_numpy(float), data["upper"].to_numpy(float), color="tab:blue", alpha=0.15,
                    linewidth=0, label="expected range", step="mid")
    ax.plot(x, data["expected"].to_numpy(float), color="tab:blue", linestyle="--", linewidth=1, label="expected")
    ax.plot(x, data["count"].to_numpy(float), color="black", linewidth=1.2, marker=".", label="observed")
    hits = data[data["flagged"].astype(bool)]
    if not hits.empty:
        ax.scatter(hits["period_start"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(),
                   hits["count"].to_numpy(float), s=60, color="tab:red", zorder=3, label="flagged")
    n_hits = len(hits)
    baseline = data["baseline"].iloc[0]
    default_title = f"{key}: {n_hits} flagged period{'s' if n_hits != 1 else ''} (baseline {baseline})"
    _no_tex(ax.set_title(safe_label(title if title is not None else default_title, max_chars=120), loc="left"),
            ax.set_xlabel("period start (UTC)"), ax.set_ylabel("count"))
    legend = ax.legend(loc="upper left", frameon=False, fontsize="small")
    _no_tex(*legend.get_texts())
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    figure.autofmt_xdate()
    return figure


def plot_emerging(
    terms: pd.DataFrame,
    *,
    top: int = 15,
    title: str | None = "Emerging terms (target vs reference window)",
    ax: Any = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    r"""Horizontal bar chart of the top terms by ``z``; brand-new terms in a second colour.

    Parameters
    ----------
    terms : pandas.DataFrame
        Output of :func:`~tsinvest.trends.emerging_terms`.
    top : int, default 15
        How many terms (the first rows, i.e. highest z).
    title : str, optional
        Axes title.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes; a new Figure otherwise.
    figsize : tuple of float, optional
        Size of a new figure; default grows with ``top``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> terms = pd.DataFrame({"term": ["#a$b$", "#c"], "z": [5.0, 2.0], "is_new": [True, False],
    ...                       "target_count": [30, 40]})
    >>> fig = plot_emerging(terms)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['#c', '#a\\$b\\$']
    """
    import matplotlib

    with matplotlib.rc_context({"text.usetex": False}):
        return _plot_emerging(terms, top=top, title=title, ax=ax, figsize=figsize)


def _plot_emerging(
    terms: pd.DataFrame, *, top: int, title: str | None, ax: Any, figsize: tuple[float, float] | None
) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    missing = sorted({"term", "z", "is_new"} - set(terms.columns))
    if missing:
        raise ParameterError(f"terms has no column(s) {', '.join(missing)}; pass the output of emerging_terms()")
    if top < 1:
        raise ParameterError("top must be at least 1")
    shown = terms.head(top).iloc[::-1]  # highest z at the top of the chart
    if ax is None:
        figure = Figure(figsize=figsize or (7.0, 1.0 + 0.32 * max(len(shown), 1)), layout="constrained")
        ax = figure.add_subplot()
    else:
        figure = ax.figure
    positions = list(range(len(shown)))
    colours = ["tab:red" if new else "tab:blue" for new in shown["is_new"].astype(bool)]
    ax.barh(positions, shown["z"].to_numpy(float), color=colours)
    ax.set_yticks(positions, [safe_label(term, max_chars=40) for term in shown["term"]])
    _no_tex(*ax.get_yticklabels(), ax.set_xlabel("z (log-odds with informative prior)"))
    if title is not None:
        _no_tex(ax.set_title(safe_label(title, max_chars=120), loc="left"))
    legend = ax.legend(handles=[Patch(color="tab:red", label="new (absent from reference)"),
                                Patch(color="tab:blue", label="rising")], loc="lower right", frameon=False,
                       fontsize="small")
    _no_tex(*legend.get_texts())
    ax.grid(axis="x", alpha=0.3)
    return figure
