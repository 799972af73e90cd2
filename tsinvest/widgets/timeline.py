"""Co-action timeline of one cluster: when did its members act together?

A *co-action* here is an action of a cluster member on a target (video,
account) that at least ``min_accounts`` members of the same cluster also acted
on with the same action; reports count as the action ``report``. Bursts at
the same hours across days are the signature of scheduled amplification or
brigading; organic fans spread out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from tsinvest.exceptions import MissingDependencyError, ParameterError
from tsinvest.plotting import safe_label
from tsinvest.widgets._output import figure_output, show, table_output
from tsinvest.widgets.filters import ExplorerData, FilteredView

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from tsinvest.widgets.panel import FilterPanel

__all__ = ["coaction_timeline", "plot_timeline", "TimelineWidget"]


def coaction_timeline(events: pd.DataFrame, members: Iterable[str], *, reports: pd.DataFrame | None = None,
                      freq: str = "1h", min_accounts: int = 2) -> pd.DataFrame:
    """Count a cluster's co-actions per time bucket and action (DuckDB).

    Parameters
    ----------
    events : DataFrame
        Canonical events (``account_id``, ``action``, ``target_id``, ``ts``).
    members : iterable of str
        The cluster's account ids.
    reports : DataFrame, optional
        Canonical reports; a report is the action ``report`` on the reported account.
    freq : str
        Bucket width as a DuckDB interval (``"1h"``, ``"15m"``, ``"1d"``).
    min_accounts : int
        Members that must share (action, target) for it to count.

    Returns
    -------
    DataFrame
        ``bucket`` (UTC), ``action``, ``actions``, ``accounts``, ``targets``;
        sorted by bucket then action.

    Notes
    -----
    One hash join of the events with the members and one grouping: O(n) in the
    events.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({"account_id": ["1", "2", "3", "1"], "action": ["share"] * 4,
    ...     "target_id": ["v1", "v1", "v1", "v2"],
    ...     "ts": pd.to_datetime(["2026-03-02T10:01:00Z", "2026-03-02T10:02:00Z", "2026-03-02T11:00:00Z",
    ...                           "2026-03-02T10:00:00Z"])})
    >>> for row in coaction_timeline(events, ["1", "2", "3"])[["bucket", "actions", "accounts"]].to_dict("records"):
    ...     print(row)
    {'bucket': Timestamp('2026-03-02 10:00:00+0000', tz='UTC'), 'actions': 2, 'accounts': 2}
    {'bucket': Timestamp('2026-03-02 11:00:00+0000', tz='UTC'), 'actions': 1, 'accounts': 1}
    """
    import duckdb

    if min_accounts < 1:
        raise ParameterError("min_accounts must be 1 or more")
    interval = {"h": "hour", "m": "minute", "d": "day", "s": "second"}
    number, unit = freq[:-1], freq[-1:]
    if not number.isdigit() or unit not in interval:
        raise ParameterError("freq must look like '15m', '1h' or '1d'")
    member_frame = pd.DataFrame({"account_id": pd.array(sorted({str(m) for m in members}), dtype="string")})
    acts = events[["account_id", "action", "target_id", "ts"]].astype({"account_id": "string", "action": "string",
                                                                        "target_id": "string"})
    if reports is not None and len(reports):
        reported = pd.DataFrame({"account_id": reports["reporter_id"].astype("string"),
                                 "action": pd.array(["report"] * len(reports), dtype="string"),
                                 "target_id": reports["target_account_id"].astype("string"),
                                 "ts": reports["ts"]})
        acts = pd.concat([acts, reported], ignore_index=True)
    connection = duckdb.connect()
    try:
        connection.execute("SET TimeZone = 'UTC'")
        connection.register("acts", acts)
        connection.register("members", member_frame)
        result = connection.execute(f"""
            WITH member_acts AS (
                SELECT a.account_id, a.action, a.target_id, a.ts
                FROM acts a JOIN members m ON a.account_id = m.account_id
            ), shared AS (
                SELECT action, target_id FROM member_acts
                GROUP BY action, target_id HAVING count(DISTINCT account_id) >= ?
            )
            SELECT time_bucket(INTERVAL '{int(number)} {interval[unit]}', ts) AS bucket, action,
                   count(*) AS actions, count(DISTINCT account_id) AS accounts,
                   count(DISTINCT target_id) AS targets
            FROM member_acts JOIN shared USING (action, target_id)
            GROUP BY ALL ORDER BY bucket, action
        """, [min_accounts]).df()
    finally:
        connection.close()
    result["bucket"] = pd.to_datetime(result["bucket"], utc=True).astype("datetime64[ns, UTC]")
    result["action"] = result["action"].astype("string")
    for column in ("actions", "accounts", "targets"):
        result[column] = result[column].astype("int64")
    return result.reset_index(drop=True)


def plot_timeline(timeline: pd.DataFrame, *, title: str | None = None,
                  figsize: tuple[float, float] = (8.0, 3.0)) -> Figure:
    """Stacked bars of co-actions per bucket, one colour per action.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"bucket": pd.to_datetime(["2026-03-02T10:00:00Z"]), "action": ["share"], "actions": [3]})
    >>> len(plot_timeline(frame).axes)
    1
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize, layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(safe_label(title or "Co-actions over time", max_chars=None), usetex=False)
    if timeline.empty:
        axes.text(0.5, 0.5, "no co-actions for this cluster and filters", ha="center", va="center")
        axes.set_axis_off()
        return figure
    table = timeline.pivot_table(index="bucket", columns="action", values="actions", aggfunc="sum", fill_value=0)
    table = table.sort_index()
    times = table.index.tz_convert("UTC").tz_localize(None)
    width = (times[1:] - times[:-1]).min() if len(times) > 1 else pd.Timedelta(hours=1)
    bottom = None
    for action in sorted(table.columns):
        values = table[action].to_numpy()
        axes.bar(times, values, width=width * 0.9, bottom=bottom, label=safe_label(action, max_chars=None),
                 align="edge")
        bottom = values if bottom is None else bottom + values
    axes.set_ylabel("co-actions")
    axes.set_xlabel("time (UTC)")
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.autofmt_xdate()
    return figure


class TimelineWidget:
    """Pick a cluster, see its co-actions over time (follows a filter panel).

    Parameters
    ----------
    data : ExplorerData
    panel : FilterPanel, optional
        The cluster list and the events follow the panel's filters.
    freq : str
        Bucket width (``"1h"``...).

    Attributes
    ----------
    cluster : ipywidgets.Dropdown
        The selected cluster (its ``.value``).
    output : ipywidgets.Output
        Figure and the per-bucket table.
    timeline : DataFrame
        The counts currently shown.
    """

    def __init__(self, data: ExplorerData, *, panel: FilterPanel | None = None, freq: str = "1h",
                 max_rows: int = 20) -> None:
        try:
            import ipywidgets as widgets
        except ImportError:  # pragma: no cover - ipywidgets is in the notebooks extra
            raise MissingDependencyError("ipywidgets", "notebooks") from None
        self.data = data
        self.freq = freq
        self.max_rows = max_rows
        self.timeline = pd.DataFrame()
        self._view: FilteredView | None = None
        self._shown: tuple | None = None  # (cluster, event filters) of the timeline on show
        self.cluster = widgets.Dropdown(options=[], description="Cluster")
        self.cluster.add_class("tsinvest-timeline-cluster")
        self._updating = False
        self.cluster.observe(lambda _change: None if self._updating else self.refresh(), names="value")
        self.output = widgets.Output()
        self.output.add_class("tsinvest-timeline-output")
        self.widget = widgets.VBox([self.cluster, self.output])
        if panel is not None:
            panel.link(self.update)
        else:
            from tsinvest.widgets.filters import FilterState, apply_filters

            self.update(apply_filters(data, FilterState()))

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        from tsinvest.widgets._output import static_bundle

        return static_bundle(self.widget._repr_mimebundle_(**kwargs), "Co-action timeline")

    def update(self, view: FilteredView) -> None:
        """Follow a new filtered view: offer its clusters, keep the selection if still shown."""
        self._view = view
        options = view.clusters["cluster_id"].astype(str).tolist()
        current = self.cluster.value
        self._updating = True
        try:
            # Setting options resets the value; redraw once, after both are set.
            self.cluster.options = options
            self.cluster.value = current if current in options else (options[0] if options else None)
        finally:
            self._updating = False
        self.refresh()

    def refresh(self) -> None:
        """Recompute and redraw the selected cluster's timeline.

        Skipped when neither the cluster nor a filter the events and reports
        depend on changed (a new minimum size or score leaves them as they are):
        drawing the figure is most of a filter change's time.
        """
        cluster_id = self.cluster.value
        state = self._view.state if self._view is not None else None
        key = (cluster_id, None if state is None else (state.start, state.end, tuple(state.actions),
                                                       tuple(state.policies), tuple(state.countries)))
        if key == self._shown:
            return
        self._shown = key
        if self._view is None or cluster_id is None:
            self.timeline = pd.DataFrame()
            show(self.output, figure_output(plot_timeline(self.timeline)))
            return
        members = self.data.memberships.loc[self.data.memberships["cluster_id"] == cluster_id, "account_id"]
        self.timeline = coaction_timeline(self._view.events, members, reports=self._view.reports, freq=self.freq)
        show(self.output, figure_output(plot_timeline(self.timeline, title=f"Co-actions of cluster {cluster_id}")),
             table_output(self.timeline.sort_values(["actions", "bucket"], ascending=[False, True]),
                          max_rows=self.max_rows, caption="busiest buckets"))
