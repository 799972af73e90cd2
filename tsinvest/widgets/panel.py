"""The filter panel: ipywidgets controls over :func:`~tsinvest.widgets.filters.apply_filters`.

Changing any control recomputes the :class:`~tsinvest.widgets.filters.FilteredView`
and redraws the linked tables (clusters, accounts, links) and every linked
view (graph explorer, timeline) registered with :meth:`FilterPanel.link`, in
the running kernel, without re-running the notebook. ``panel.value`` is the
current :class:`~tsinvest.widgets.filters.FilterState`; assigning it moves the
controls. :meth:`FilterPanel.parameters` exports the state as notebook
parameters, :meth:`FilterPanel.from_parameters` builds a panel from them.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from tsinvest.exceptions import MissingDependencyError, TsinvestError
from tsinvest.widgets._output import show, table_output, text_output
from tsinvest.widgets.filters import ExplorerData, FilteredView, FilterState, apply_filters, parameters_cell

try:
    import ipywidgets as widgets
except ImportError:  # pragma: no cover - ipywidgets is in the notebooks extra
    raise MissingDependencyError("ipywidgets", "notebooks") from None

__all__ = ["FilterPanel"]

_TABLE_COLUMNS = {
    # What a reader needs; the detector's feature columns stay in view.clusters for analysts.
    "clusters": ["cluster_id", "kind", "size", "score", "links", "explanation"],
    "accounts": ["account_id", "username", "country", "cluster_id", "score"],
    "edges": ["account_a", "account_b", "signal", "weight", "first_ts", "last_ts", "evidence"],
}


def _day(text: str | None, *, end: bool) -> dt.date | None:
    if text is None:
        return None
    stamp = pd.Timestamp(text)
    # The "to" picker is inclusive while the state's end is exclusive.
    return (stamp - pd.Timedelta(1, "ns")).date() if end else stamp.date()


class FilterPanel(widgets.VBox):
    """Filters plus the tables they drive, as one widget.

    Parameters
    ----------
    data : ExplorerData
        From :func:`tsinvest.widgets.filters.explorer_data` or
        :func:`~tsinvest.widgets.filters.from_detection`.
    state : FilterState, optional
        Initial filters (default: none).
    max_rows : int
        Rows shown per table.

    Attributes
    ----------
    value : FilterState
        The current filters; assign to move every control at once.
    view : FilteredView
        What the current filters leave.
    clusters_output, accounts_output, edges_output, parameters_output : ipywidgets.Output
        The linked tables and the exported parameters cell.
    status : ipywidgets.HTML
        Counts, or why the filters cannot be applied.

    Examples
    --------
    >>> import pandas as pd
    >>> from tsinvest.widgets.filters import explorer_data
    >>> ts = pd.Timestamp("2026-03-02", tz="UTC")
    >>> data = explorer_data(pd.DataFrame({"account_id": ["1", "2"], "username": ["a", "b"], "country": ["BR", "MX"]}),
    ...     pd.DataFrame({"account_a": ["1"], "account_b": ["2"], "signal": ["coaction"], "weight": [3.0],
    ...                   "first_ts": [ts], "last_ts": [ts], "evidence": ["v1"]}),
    ...     pd.DataFrame({"account_id": ["1", "2"], "cluster_id": ["c-1", "c-1"]}))
    >>> panel = FilterPanel(data)
    >>> panel.min_edge_weight.value = 5
    >>> panel.value.min_edge_weight, len(panel.view.clusters)
    (5.0, 0)
    >>> panel.parameters()["filter_min_edge_weight"]
    5.0
    """

    def __init__(self, data: ExplorerData, state: FilterState | None = None, *, max_rows: int = 30):
        self.data = data
        self.max_rows = max_rows
        self._listeners: list[Callable[[FilteredView], None]] = []
        self._holding = False
        self._state = FilterState()
        self._view: FilteredView | None = None
        options = data.options
        style = {"description_width": "9em"}
        self.start = widgets.DatePicker(description="From", style=style)
        self.end = widgets.DatePicker(description="To (inclusive)", style=style)
        self.policies = widgets.SelectMultiple(options=options.get("policies", ()), description="Policy",
                                               rows=4, style=style)
        self.actions = widgets.SelectMultiple(options=options.get("actions", ()), description="Action",
                                              rows=4, style=style)
        self.countries = widgets.SelectMultiple(options=options.get("countries", ()), description="Country",
                                                rows=4, style=style)
        self.min_edge_weight = widgets.BoundedFloatText(value=0.0, min=0.0, max=1e12, step=1.0,
                                                        description="Min link weight", style=style)
        self.min_cluster_size = widgets.BoundedIntText(value=2, min=1, max=10**9, step=1,
                                                       description="Min cluster size", style=style)
        self.min_score = widgets.FloatText(value=0.0, step=0.05, description="Min score", style=style)
        self.search = widgets.Text(value="", placeholder="account id or username", description="Search",
                                   continuous_update=False, style=style)
        controls = [self.start, self.end, self.policies, self.actions, self.countries,
                    self.min_edge_weight, self.min_cluster_size, self.min_score, self.search]
        for control, name in zip(controls, ["start", "end", "policies", "actions", "countries", "min_edge_weight",
                                            "min_cluster_size", "min_score", "search"], strict=True):
            # Stable class names let a browser test (and custom CSS) find each control.
            control.add_class(f"tsinvest-filter-{name.replace('_', '-')}")
            control.observe(self._on_change, names="value")
        self.export_button = widgets.Button(description="Export parameters", icon="download")
        self.export_button.on_click(lambda _button: self.export())
        self.status = widgets.HTML()
        self.status.add_class("tsinvest-filter-status")
        self.clusters_output = widgets.Output()
        self.accounts_output = widgets.Output()
        self.edges_output = widgets.Output()
        self.parameters_output = widgets.Output()
        for output, name in ((self.clusters_output, "clusters"), (self.accounts_output, "accounts"),
                             (self.edges_output, "edges"), (self.parameters_output, "parameters")):
            output.add_class(f"tsinvest-output-{name}")
        tables = widgets.Tab(children=[self.clusters_output, self.accounts_output, self.edges_output])
        for index, title in enumerate(["Clusters", "Accounts", "Links"]):
            tables.set_title(index, title)
        super().__init__(children=[
            widgets.HBox([widgets.VBox([self.start, self.end, self.search]),
                          widgets.VBox([self.policies, self.actions]),
                          widgets.VBox([self.countries]),
                          widgets.VBox([self.min_edge_weight, self.min_cluster_size, self.min_score,
                                        self.export_button])]),
            self.status, tables, self.parameters_output,
        ])
        self.add_class("tsinvest-filter-panel")
        self.value = state if state is not None else FilterState()

    # -- state ---------------------------------------------------------------------------

    @property
    def value(self) -> FilterState:
        """The current :class:`FilterState`."""
        return self._state

    @value.setter
    def value(self, state: FilterState) -> None:
        if not isinstance(state, FilterState):
            raise TsinvestError("FilterPanel.value takes a FilterState")
        self._holding = True
        try:
            self.start.value = _day(state.start, end=False)
            self.end.value = _day(state.end, end=True)
            # Values the data does not offer are kept as options, so a state loaded
            # from parameters is shown exactly rather than silently dropped.
            for control, chosen in ((self.policies, state.policies), (self.actions, state.actions),
                                    (self.countries, state.countries)):
                missing = [value for value in chosen if value not in control.options]
                if missing:
                    control.options = tuple(sorted(set(control.options) | set(missing)))
                control.value = tuple(chosen)
            self.min_edge_weight.value = state.min_edge_weight
            self.min_cluster_size.value = state.min_cluster_size
            self.min_score.value = state.min_score
            self.search.value = state.search
        finally:
            self._holding = False
        self._state = state
        self.refresh()

    @property
    def view(self) -> FilteredView:
        """What the current filters leave (recomputed on every change)."""
        if self._view is None:  # pragma: no cover - the constructor computes the first view
            raise TsinvestError("the filter panel has no view yet")
        return self._view

    def parameters(self) -> dict[str, object]:
        """The current filters as notebook parameters (``filter_*`` names)."""
        return self._state.to_parameters()

    @classmethod
    def from_parameters(cls, data: ExplorerData, parameters: Mapping[str, object], **options: Any) -> FilterPanel:
        """A panel showing the filters saved in notebook parameters (other names are ignored)."""
        return cls(data, FilterState.from_parameters(parameters), **options)

    def export(self) -> str:
        """Show and return the source of a ``parameters`` cell reproducing the current filters.

        The exact ``tsinvest run`` command line for the same filters is shown below it, so a
        colleague can reproduce the view headless without retyping list values.
        """
        from tsinvest.notebooks.catalogue import run_command_line

        source = parameters_cell(self._state)
        command = run_command_line("network_explorer", self.parameters(), data_dir="DATA_DIR")
        show(self.parameters_output, text_output(
            "# Paste into the parameters cell:\n" + source + "\n# or run headless (replace DATA_DIR):\n" + command))
        return source

    def link(self, callback: Callable[[FilteredView], None]) -> None:
        """Call ``callback(view)`` now and after every filter change (graph, timeline...)."""
        self._listeners.append(callback)
        if self._view is not None:
            callback(self._view)

    # -- updates -------------------------------------------------------------------------

    def _state_from_controls(self) -> FilterState:
        def bound(day: dt.date | None, current: str | None, *, end: bool) -> str | None:
            if day is None:
                return None
            if current is not None and _day(current, end=end) == day:
                return current  # keep an exact time loaded from parameters
            return (pd.Timestamp(day, tz="UTC") + pd.Timedelta(days=1 if end else 0)).isoformat()

        return FilterState(
            start=bound(self.start.value, self._state.start, end=False),
            end=bound(self.end.value, self._state.end, end=True),
            policies=self.policies.value, actions=self.actions.value, countries=self.countries.value,
            min_edge_weight=self.min_edge_weight.value, min_cluster_size=self.min_cluster_size.value,
            min_score=self.min_score.value, search=self.search.value,
        )

    def _on_change(self, _change: Mapping[str, Any]) -> None:
        if self._holding:
            return
        try:
            self._state = self._state_from_controls()
        except TsinvestError as error:
            # The message names the filter, never a value; tables keep the last good state.
            self.status.value = f'<span style="color:#b00020">{html.escape(str(error))}</span>'
            return
        self.refresh()

    def refresh(self) -> None:
        """Recompute the view and redraw the tables and linked views.

        The status line reads "Updating…" (class ``tsinvest-busy``) while
        the work runs: the browser receives it before the recomputation.
        """
        self.status.value = '<span class="tsinvest-busy">Updating…</span>'
        self.add_class("tsinvest-busy")
        try:
            self._refresh()
        finally:
            self.remove_class("tsinvest-busy")

    def _refresh(self) -> None:
        view = apply_filters(self.data, self._state)
        self._view = view
        self.status.value = html.escape(view.summary())
        accounts = view.accounts[[c for c in _TABLE_COLUMNS["accounts"] if c in view.accounts.columns]]
        clusters = view.clusters[[c for c in _TABLE_COLUMNS["clusters"] if c in view.clusters.columns]]
        show(self.clusters_output, table_output(clusters.round(3), max_rows=self.max_rows))
        show(self.accounts_output, table_output(accounts.round(4), max_rows=self.max_rows))
        show(self.edges_output, table_output(view.edges[_TABLE_COLUMNS["edges"]], max_rows=self.max_rows))
        if self.parameters_output.outputs:
            self.export()
        for callback in self._listeners:
            callback(view)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        from tsinvest.widgets._output import static_bundle

        return static_bundle(super()._repr_mimebundle_(**kwargs), "Filter panel")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Plain-text form saved in notebooks: counts only, no account data.
        printer.text(f"FilterPanel({self._view.summary() if self._view is not None else 'empty'})")

