"""Graph explorer: the linked-accounts graph, drawn interactively, with pivots and details.

The interactive drawing is :class:`~tsinvest.widgets.graph_view.GraphView`
(sigma.js in WebGL, as an anywidget whose JavaScript ships inside tsinvest, so
it works offline with no CDN). One drawing lives for the explorer's whole life
and is updated in place on every filter change or pivot. Node labels are drawn
on a canvas as text; they still go through :func:`tsinvest.textnorm.display_safe`
so hidden characters show as markers. Where anywidget is absent, or for
exported reports, the explorer draws a static matplotlib picture
(:func:`plot_explorer_graph`).

Nodes are coloured by cluster and sized by score; edges are coloured by
signal (the heaviest one when a pair is linked by several). Selecting a node
(click, Find account, or :meth:`GraphExplorer.select`) highlights it, moves
the camera onto it and shows its account details, links with evidence and clusters; "Expand" pivots to the accounts
within N links of the selection in the full graph.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import networkx as nx
import pandas as pd

from tsinvest.exceptions import MissingDependencyError, ParameterError
from tsinvest.graph.draw import account_layout, draw_account_graph, most_linked_subgraph
from tsinvest.widgets._output import figure_output, html_output, show, text_output
from tsinvest.widgets.filters import ExplorerData, FilteredView, search_accounts
from tsinvest.widgets.selection import account_details, details_html

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from tsinvest.widgets.graph_view import GraphView
    from tsinvest.widgets.panel import FilterPanel

__all__ = ["explorer_graph", "pivot_graph", "plot_explorer_graph", "GraphExplorer", "SIGNAL_COLOURS"]

#: Fixed edge colours per signal family, so a legend means the same in every notebook.
SIGNAL_COLOURS = MappingProxyType({
    "co_share_like": "#1f77b4",
    "coaction": "#1f77b4",
    "co_report": "#d62728",
    "co_follow": "#9467bd",
    "shared_device_id": "#ff7f0e",
    "shared_ip": "#e377c2",
    "shared_device": "#ff7f0e",
    "copy_paste": "#2ca02c",
})
_OTHER_COLOUR = "#7f7f7f"


@functools.cache
def _duckdb() -> Any:
    # One sandboxed connection per process: opening one costs more than the query on a filter change.
    from tsinvest.loading.sql import sandboxed_connection

    return sandboxed_connection()


def _pair_edges(edges: pd.DataFrame) -> list[tuple[str, str, float, str, str]]:
    # One row per pair, sorted: (account_a, account_b, total weight, heaviest signal (ties by name),
    # all signals). A hash aggregation in DuckDB: O(links), no Python call per pair.
    frame = pd.DataFrame({"account_a": edges["account_a"].astype(str), "account_b": edges["account_b"].astype(str),
                          "signal": edges["signal"].astype(str), "weight": edges["weight"].astype(float)})
    connection = _duckdb()
    connection.register("explorer_links", frame)
    try:
        return connection.execute("""
            SELECT account_a, account_b, sum(weight) AS weight,
                   first(signal ORDER BY weight DESC, signal) AS signal,
                   string_agg(DISTINCT signal, ',' ORDER BY signal) AS signals
            FROM explorer_links GROUP BY account_a, account_b ORDER BY account_a, account_b""").fetchall()
    finally:
        connection.unregister("explorer_links")


def _node_attributes(nodes: list[str], data: ExplorerData, label_column: str) -> list[tuple[str, dict]]:
    from tsinvest.textnorm import display_safe

    accounts = data.accounts.drop_duplicates("account_id").set_index("account_id")
    present = accounts.reindex(pd.Index(nodes, dtype=object))
    known = present.index.isin(accounts.index)
    columns = {name: present[name].tolist() if name in present.columns else [None] * len(nodes)
               for name in (label_column, "cluster_id", "score", "country")}
    attributes = []
    for index, node in enumerate(nodes):
        label, cluster = columns[label_column][index], columns["cluster_id"][index]
        score, country = columns["score"][index], columns["country"][index]
        attributes.append((node, {
            "label": display_safe(str(label)) if label is not None and not pd.isna(label) else "…" + node[-6:],
            "cluster": str(cluster) if cluster is not None and not pd.isna(cluster) else "none",
            "score": float(score) if known[index] and score is not None and not pd.isna(score) else 0.0,
            "country": str(country) if country is not None and not pd.isna(country) else "",
        }))
    return attributes


def explorer_graph(edges: pd.DataFrame, data: ExplorerData, *, label_column: str = "username") -> nx.Graph:
    """Build the drawable graph of some links: plain JSON-able attributes only.

    Parameters
    ----------
    edges : DataFrame
        Links to draw (:data:`~tsinvest.schemas.EDGE_COLUMNS`), e.g. ``view.edges``.
    data : ExplorerData
        For usernames, clusters and scores.
    label_column : str
        Account column used as the node label.

    Returns
    -------
    networkx.Graph
        Nodes: ``label``, ``cluster`` (``"none"`` outside clusters), ``score``,
        ``country``. Edges: ``signal`` (heaviest), ``signals``, ``weight``.
        Nodes and edges are added in sorted order (deterministic layouts).

    Examples
    --------
    >>> import pandas as pd
    >>> from tsinvest.widgets.filters import explorer_data
    >>> ts = pd.Timestamp("2026-03-02", tz="UTC")
    >>> edges = pd.DataFrame({"account_a": ["1", "1"], "account_b": ["2", "2"], "signal": ["shared_ip", "co_follow"],
    ...     "weight": [1.0, 4.0], "first_ts": ts, "last_ts": ts, "evidence": ""})
    >>> data = explorer_data(pd.DataFrame({"account_id": ["1", "2"], "username": ["a\\u202eb", "c"]}), edges,
    ...                      pd.DataFrame({"account_id": ["1", "2"], "cluster_id": ["c-1", "c-1"]}))
    >>> G = explorer_graph(edges, data)
    >>> G.edges["1", "2"]["signal"], G.edges["1", "2"]["signals"], G.nodes["1"]["label"]
    ('co_follow', 'co_follow,shared_ip', 'a[U+202E]b')
    """
    return _graph_of(edges, lambda nodes: dict(_node_attributes(nodes, data, label_column)))


def _graph_of(edges: pd.DataFrame, attributes_of: Callable[[list[str]], Mapping[str, dict]]) -> nx.Graph:
    # The graph of explorer_graph, taking node attributes from ``attributes_of(sorted nodes)``.
    pairs = _pair_edges(edges)
    nodes = sorted({a for a, *_ in pairs} | {b for _, b, *_ in pairs})
    attributes = attributes_of(nodes)
    G = nx.Graph()
    G.add_nodes_from((node, attributes[node]) for node in nodes)
    G.add_edges_from((a, b, {"signal": signal, "signals": signals, "weight": float(weight)})
                     for a, b, weight, signal, signals in pairs)
    return G


def pivot_graph(data: ExplorerData, accounts: str | list[str], *, hops: int = 1, min_edge_weight: float = 0.0,
                signals: list[str] | tuple[str, ...] | None = None) -> nx.Graph:
    """Expand from accounts by ``hops`` links over every link of the data (not only the shown ones).

    ``min_edge_weight`` and ``signals`` (link types to follow, None for all)
    limit the pivot: two hops over weak co-follow links reach a large share of
    a platform, while shared devices or co-actions stay within an operation.

    Examples
    --------
    >>> import pandas as pd
    >>> from tsinvest.widgets.filters import explorer_data
    >>> ts = pd.Timestamp("2026-03-02", tz="UTC")
    >>> edges = pd.DataFrame({"account_a": ["1", "2"], "account_b": ["2", "3"], "signal": "co_follow",
    ...     "weight": [1.0, 1.0], "first_ts": ts, "last_ts": ts, "evidence": ""})
    >>> data = explorer_data(pd.DataFrame({"account_id": ["1", "2", "3"], "username": ["a", "b", "c"]}), edges,
    ...                      pd.DataFrame({"account_id": ["1", "2"], "cluster_id": ["c-1", "c-1"]}))
    >>> sorted(pivot_graph(data, "1", hops=2)), sorted(pivot_graph(data, "1", hops=1))
    (['1', '2', '3'], ['1', '2'])
    >>> sorted(pivot_graph(data, "1", hops=2, signals=["shared_device_id"]))
    ['1']
    """
    from tsinvest.graph import ego_network

    if hops < 0:
        raise ParameterError("hops must be 0 or more")
    edges = data.edges[data.edges["weight"] >= min_edge_weight]
    if signals is not None:
        edges = edges[edges["signal"].isin(list(signals))]
    full = explorer_graph(edges, data)
    seeds = [accounts] if isinstance(accounts, str) else list(accounts)
    if any(seed not in set(data.accounts["account_id"]) for seed in seeds):
        raise ParameterError("a pivot account is not among the accounts of this explorer; check the id")
    for seed in seeds:
        if seed not in full:
            # An account without links is still a valid pivot: its network is itself.
            full.add_node(seed, label="…" + seed[-6:], cluster="none", score=0.0, country="")
    sub = ego_network(full, seeds, hops=hops)
    for node in sub.nodes:
        sub.nodes[node].pop("seed", None)  # keep attributes JSON-able and uniform for drawing
    return sub


def plot_explorer_graph(G: nx.Graph, *, seed: int = 7, highlight: list[str] | tuple[str, ...] = (),
                        title: str | None = None, max_nodes: int = 400,
                        figsize: tuple[float, float] = (8.0, 6.0)) -> Figure:
    """Static picture of an explorer graph: colour by cluster, size by score, edge colour by signal.

    The fallback for exported reports and kernels without anywidget.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.Graph()
    >>> G.add_node("1", cluster="c-1", score=0.9); G.add_node("2", cluster="c-1", score=0.2)
    >>> G.add_edge("1", "2", signal="co_report", weight=2.0)
    >>> len(plot_explorer_graph(G).axes)
    1
    """
    groups = {node: cluster for node, cluster in G.nodes(data="cluster", default="none") if cluster != "none"}
    return draw_account_graph(G, highlight=highlight, groups=groups, node_size="score", edge_colours=SIGNAL_COLOURS,
                              edge_width=0.8, title=title or "Linked accounts",
                              empty_message="no linked accounts for these filters", seed=seed, max_nodes=max_nodes,
                              figsize=figsize)


def _sigma_available() -> bool:
    try:
        import anywidget  # noqa: F401
    except ImportError:
        return False
    return True


def _cluster_colours(data: ExplorerData) -> dict[str, str]:
    from tsinvest.widgets.graph_view import cluster_colours

    return cluster_colours([*map(str, data.memberships["cluster_id"].dropna().unique()), "none"])


class GraphExplorer:
    """The linked-accounts graph with search, pivot and a details pane.

    Parameters
    ----------
    data : ExplorerData
    panel : FilterPanel, optional
        When given, the graph follows the panel's filters.
    backend : {"auto", "sigma", "static"}
        ``"sigma"`` draws with sigma.js (interactive, offline, needs anywidget),
        ``"static"`` with matplotlib; ``"auto"`` picks sigma when anywidget is installed.
    seed : int
        Seed of the layout (the same graph is drawn the same way every run).
    hops : int
        Initial number of links for "Expand".
    height : int
        Height of the drawing in pixels.
    max_nodes : int
        Larger graphs are cut to their best-linked accounts before drawing.

    Attributes
    ----------
    widget : ipywidgets.VBox
        What the notebook displays (the explorer itself displays as it).
    graph : networkx.Graph
        The graph currently drawn.
    selected : str or None
        The selected account.

    Examples
    --------
    >>> import pandas as pd
    >>> from tsinvest.widgets.filters import explorer_data
    >>> ts = pd.Timestamp("2026-03-02", tz="UTC")
    >>> edges = pd.DataFrame({"account_a": ["1", "2"], "account_b": ["2", "3"], "signal": "co_follow",
    ...     "weight": [1.0, 1.0], "first_ts": ts, "last_ts": ts, "evidence": ["f1", "f2"]})
    >>> data = explorer_data(pd.DataFrame({"account_id": ["1", "2", "3"], "username": ["a", "b", "c"]}), edges,
    ...                      pd.DataFrame({"account_id": ["1", "2", "3"], "cluster_id": ["c-1"] * 3}))
    >>> explorer = GraphExplorer(data, backend="static")
    >>> explorer.select("1"); explorer.expand(hops=1)
    >>> sorted(explorer.graph)
    ['1', '2']
    """

    def __init__(self, data: ExplorerData, *, panel: FilterPanel | None = None,
                 backend: Literal["auto", "sigma", "static"] = "auto", seed: int = 7, hops: int = 1,
                 height: int = 500, max_nodes: int = 2000) -> None:
        try:
            import ipywidgets as widgets
        except ImportError:  # pragma: no cover - ipywidgets is in the notebooks extra
            raise MissingDependencyError("ipywidgets", "notebooks") from None
        if backend not in ("auto", "sigma", "static"):
            raise ParameterError("backend must be 'auto', 'sigma' or 'static'")
        if backend == "sigma" and not _sigma_available():
            raise MissingDependencyError("anywidget", "notebooks")
        self.backend = "sigma" if backend == "sigma" or (backend == "auto" and _sigma_available()) else "static"
        self.data = data
        self.seed = seed
        self.height = height
        self.max_nodes = max_nodes
        self.selected: str | None = None
        self.graph_view: GraphView | None = None
        self._layout: dict[str, tuple[float, float]] | None = None
        self._attributes: dict[str, dict] = {}
        self._showing_selection = False
        # Clusters keep one colour whatever the filters show.
        self._cluster_colour = _cluster_colours(data) if self.backend == "sigma" else {}
        self._view: FilteredView | None = None
        self.graph = nx.Graph()
        self.search = widgets.Text(placeholder="account id or username", description="Find account",
                                   continuous_update=False)
        self.search.add_class("tsinvest-explorer-search")
        self.search.observe(self._on_search, names="value")
        self.hops = widgets.BoundedIntText(value=hops, min=0, max=5, description="Hops")
        # Pivots follow only these link types and weights (co-follow links reach far in two hops).
        link_types = tuple(sorted(set(map(str, data.edges["signal"].dropna()))))
        self.pivot_signals = widgets.SelectMultiple(options=link_types, value=link_types, rows=3,
                                                    description="Pivot via")
        self.pivot_signals.add_class("tsinvest-explorer-pivot-signals")
        self.pivot_min_weight = widgets.BoundedFloatText(value=0.0, min=0.0, max=1e12, step=1.0,
                                                         description="Min weight")
        self.pivot_min_weight.add_class("tsinvest-explorer-pivot-min-weight")
        self.expand_button = widgets.Button(description="Expand selection", icon="expand")
        self.expand_button.on_click(lambda _button: self.expand())
        self.reset_button = widgets.Button(description="Back to filters", icon="undo")
        self.reset_button.on_click(lambda _button: self.reset())
        self.status = widgets.HTML()
        self.status.add_class("tsinvest-explorer-status")
        self.drawing = widgets.Box(layout=widgets.Layout(width="100%"))
        self.drawing.add_class("tsinvest-explorer-graph")
        self.details = widgets.Output()
        self.details.add_class("tsinvest-explorer-details")
        self.widget = widgets.VBox([
            widgets.HBox([self.search, self.hops, self.expand_button, self.reset_button]),
            widgets.HBox([self.pivot_signals, self.pivot_min_weight]),
            self.status, self.drawing, self.details,
        ])
        self._widgets = widgets
        if panel is not None:
            panel.link(self.update)
        else:
            from tsinvest.widgets.filters import FilterState, apply_filters

            self.update(apply_filters(data, FilterState()))

    # Displaying the explorer displays its widget.
    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        from tsinvest.widgets._output import static_bundle

        return static_bundle(self.widget._repr_mimebundle_(**kwargs), "Graph explorer")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"GraphExplorer({self.graph.number_of_nodes()} accounts, {self.graph.number_of_edges()} links)")

    def update(self, view: FilteredView) -> None:
        """Draw the links a filtered view shows (called by the panel on every change)."""
        self._view = view
        self.draw(_graph_of(view.edges, self._attributes_of), title="Linked accounts for the current filters")

    def _attributes_of(self, nodes: list[str]) -> Mapping[str, dict]:
        # Node attributes (display-safe labels...) are computed once per account, not on every change.
        missing = [node for node in nodes if node not in self._attributes]
        if missing:
            self._attributes.update(_node_attributes(missing, self.data, "username"))
        return self._attributes

    def draw(self, G: nx.Graph, *, title: str | None = None) -> None:
        """Draw a graph (cut to ``max_nodes`` best-linked accounts).

        With the sigma backend the one :class:`~tsinvest.widgets.graph_view.GraphView`
        is updated in place; the static backend draws a new picture.
        """
        if G.number_of_nodes() > self.max_nodes:
            G = most_linked_subgraph(G, self.max_nodes).copy()
        self.graph = G
        self.status.value = f"{G.number_of_nodes()} account(s), {G.number_of_edges()} link(s)"
        if self.backend == "static":
            highlight = [self.selected] if self.selected is not None and self.selected in G else []
            output = self._widgets.Output()
            show(output, figure_output(plot_explorer_graph(G, seed=self.seed, highlight=highlight, title=title)))
            self.drawing.children = (output,)
            return
        if self.graph_view is None:
            from tsinvest.widgets.graph_view import GraphView

            self.graph_view = GraphView(height=self.height, layout=self._widgets.Layout(width="100%"))
            self.graph_view.add_class("tsinvest-explorer-sigma")
            self.graph_view.observe(self._on_sigma_select, names="selected_node")
            self.drawing.children = (self.graph_view,)
        with self.graph_view.hold_sync():
            self.graph_view.show_graph(G, self._positions(G), signal_colours=SIGNAL_COLOURS,
                                       cluster_colour=self._cluster_colour)
            self._show_selection(self.selected if self.selected in G else None)

    def _positions(self, G: nx.Graph) -> dict[str, tuple[float, float]]:
        # Every filtered view shows links between cluster members only, so one seeded layout of
        # all members' links (computed at the first draw, O(iterations * members^2)) serves every
        # filter change: a change only picks positions, O(nodes), and accounts keep their place.
        # A pivot reaching other accounts lays out only the new ones, the known ones held fixed.
        if self._layout is None:
            members = set(self.data.memberships["account_id"])
            edges = self.data.edges
            self._layout = account_layout(
                explorer_graph(edges[edges["account_a"].isin(members) & edges["account_b"].isin(members)], self.data),
                seed=self.seed)
        missing = [node for node in G if node not in self._layout]
        if missing:
            known = {node: self._layout[node] for node in G if node in self._layout}
            placed = nx.spring_layout(G, pos=known or None, fixed=list(known) or None, seed=self.seed,
                                      weight="weight")
            self._layout.update({node: (float(placed[node][0]), float(placed[node][1])) for node in missing})
        return {node: self._layout[node] for node in G}

    def select(self, account_id: str | None) -> None:
        """Select an account: show its details, and highlight and zoom onto it in the graph."""
        self.selected = None if account_id is None else str(account_id)
        if self.selected is None:
            show(self.details)
            return
        details = account_details(self.data, self.selected, view=None)
        show(self.details, html_output(details_html(details), "details of 1 account"))
        counts = f"{self.graph.number_of_nodes()} account(s), {self.graph.number_of_edges()} link(s)"
        if self.selected not in self.graph:
            # Say so rather than leave the reader looking for a node that is not drawn.
            self.status.value = counts + "; the selected account is not in this graph: Expand selection draws its links"
            return
        self.status.value = counts
        if self.graph_view is not None:
            self._show_selection(self.selected)

    def _show_selection(self, account_id: str | None) -> None:
        # Set from Python: the observer below must not read it as a click in the browser.
        if self.graph_view is None:
            return
        self._showing_selection = True
        try:
            self.graph_view.selected_node = account_id
        finally:
            self._showing_selection = False

    def expand(self, hops: int | None = None) -> None:
        """Pivot: draw the accounts within ``hops`` links of the selection (all links, not only shown ones)."""
        if self.selected is None:
            show(self.details, text_output("Select an account first (click a node or use Find account)."))
            return
        hops = self.hops.value if hops is None else int(hops)
        minimum = self._view.state.min_edge_weight if self._view is not None else 0.0
        minimum = max(minimum, float(self.pivot_min_weight.value))
        self.draw(pivot_graph(self.data, self.selected, hops=hops, min_edge_weight=minimum,
                              signals=tuple(self.pivot_signals.value)),
                  title=f"Accounts within {hops} link(s) of the selection")

    def reset(self) -> None:
        """Go back to the graph of the current filters."""
        if self._view is not None:
            self.update(self._view)

    def _on_sigma_select(self, change: Mapping[str, Any]) -> None:
        if self._showing_selection:
            return
        if change["new"] is None:
            self.selected = None  # a click on the empty stage clears the selection (details stay)
        elif change["new"] != self.selected:
            self.select(change["new"])

    def _on_search(self, change: Mapping[str, Any]) -> None:
        query = change["new"].strip()
        if not query:
            return
        accounts = self.data.accounts
        exact = accounts["account_id"] == query
        found = accounts[exact] if exact.any() else accounts[search_accounts(accounts, query)]
        if found.empty:
            show(self.details, text_output("No account matches this search."))
            return
        # Best-scoring match first (ties by id): data is already sorted that way.
        self.select(str(found["account_id"].iloc[0]))
