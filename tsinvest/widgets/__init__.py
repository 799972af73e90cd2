"""Interactive views for notebooks: filter panel, graph explorer, co-action timeline.

Typical notebook use::

    data = from_detection(result, tables)
    panel = FilterPanel.from_parameters(data, parameters)      # tsinvest.widgets.panel
    explorer = GraphExplorer(data, panel=panel)                # tsinvest.widgets.explorer
    timeline = TimelineWidget(data, panel=panel)               # tsinvest.widgets.timeline

The logic is in pure functions (:mod:`~tsinvest.widgets.filters`,
:mod:`~tsinvest.widgets.selection`) that tests call without a browser; the
ipywidgets classes only wire controls to them and are imported lazily, so
``import tsinvest.widgets`` works without ipywidgets installed.
"""

from tsinvest.widgets.filters import (
    ExplorerData,
    FilteredView,
    FilterState,
    apply_filters,
    explorer_data,
    from_detection,
    parameters_cell,
    search_accounts,
)

__all__ = [
    "FilterState",
    "ExplorerData",
    "FilteredView",
    "explorer_data",
    "from_detection",
    "apply_filters",
    "search_accounts",
    "parameters_cell",
]
