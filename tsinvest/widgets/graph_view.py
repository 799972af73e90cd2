"""The explorer's live graph: one WebGL drawing updated in place.

:class:`GraphView` is an `anywidget <https://anywidget.dev>`_ around sigma.js
and graphology. ipysigma (the library used before) reads its data, camera and
selection only when the view first renders, so every filter change needed a
new widget (and a new WebGL context, until the browser refused more) and
"Find account" could not move the camera. This view keeps one renderer for its
whole life: :meth:`GraphView.show_graph` replaces the nodes and edges in place,
and setting :attr:`GraphView.selected_node` highlights the account and zooms
onto it.

The JavaScript is built from ``tsinvest/widgets/js`` (sigma.js and graphology,
MIT licences in ``static/THIRD_PARTY_LICENSES.txt``) into
``static/graph_view.js``, which ships with the package: no CDN, works offline.
Labels are drawn on a canvas as text, never as HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import networkx as nx

from tsinvest.exceptions import MissingDependencyError

try:
    import anywidget
    import traitlets
except ImportError:  # pragma: no cover - anywidget is in the notebooks extra
    raise MissingDependencyError("anywidget", "notebooks") from None

__all__ = ["GraphView", "graph_payload", "cluster_colours"]

_STATIC = Path(__file__).with_name("static")
#: Colour of accounts outside every cluster and of links whose signal has no colour of its own.
NO_CLUSTER_COLOUR = "#bfbfbf"
OTHER_SIGNAL_COLOUR = "#7f7f7f"
# matplotlib's tab20, so the live graph and the static picture colour clusters alike.
_TAB20 = ["#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896", "#9467bd",
          "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7", "#bcbd22", "#dbdb8d",
          "#17becf", "#9edae5"]


def cluster_colours(clusters: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Cluster id -> colour, in sorted id order (``"none"`` is grey).

    Examples
    --------
    >>> cluster_colours(["rep-1", "amp-1", "none"])
    {'amp-1': '#1f77b4', 'rep-1': '#aec7e8', 'none': '#bfbfbf'}
    """
    named = sorted({str(cluster) for cluster in clusters} - {"none"})
    colours = {cluster: _TAB20[index % len(_TAB20)] for index, cluster in enumerate(named)}
    if "none" in clusters:
        colours["none"] = NO_CLUSTER_COLOUR
    return colours


def graph_payload(graph: nx.Graph, positions: Mapping[str, tuple[float, float]], *,
                  signal_colours: Mapping[str, str], cluster_colour: Mapping[str, str] | None = None,
                  size_range: tuple[float, float] = (2.0, 8.0),
                  edge_size_range: tuple[float, float] = (0.5, 4.0)) -> tuple[dict[str, list], dict[str, list]]:
    """Column-wise nodes and edges for the browser, in sorted order.

    Nodes carry ``key`` (the account id, a string), ``label``, ``x``, ``y``,
    ``size`` (from ``score`` in [0, 1]) and ``color`` (from ``cluster``);
    edges carry ``source``, ``target``, ``size`` (from ``weight``, scaled to
    the graph's heaviest link) and ``color`` (from ``signal``). Columns rather
    than one dict per item keep the message small.

    Notes
    -----
    O(n log n + m log m) for n accounts and m links (the sorts); the browser
    rebuilds its graph from the columns in O(n + m).

    Examples
    --------
    >>> G = nx.Graph()
    >>> G.add_node("01", label="a", cluster="c-1", score=1.0); G.add_node("02", label="b", cluster="none", score=0.0)
    >>> G.add_edge("02", "01", signal="co_report", weight=2.0)
    >>> nodes, edges = graph_payload(G, {"01": (0.0, 1.0), "02": (1.0, 0.0)}, signal_colours={"co_report": "#d62728"})
    >>> nodes["key"], nodes["size"], nodes["color"]
    (['01', '02'], [8.0, 2.0], ['#1f77b4', '#bfbfbf'])
    >>> edges
    {'source': ['01'], 'target': ['02'], 'size': [4.0], 'color': ['#d62728']}
    """
    keys = sorted(str(node) for node in graph.nodes)
    attributes = graph.nodes
    colours = cluster_colour if cluster_colour is not None else cluster_colours(
        [str(attributes[key].get("cluster", "none")) for key in keys])
    low, high = size_range
    nodes: dict[str, list] = {"key": keys, "label": [], "x": [], "y": [], "size": [], "color": []}
    for key in keys:
        data = attributes[key]
        x, y = positions[key]
        score = min(1.0, max(0.0, float(data.get("score", 0.0))))
        nodes["label"].append(str(data.get("label", key)))
        nodes["x"].append(float(x))
        nodes["y"].append(float(y))
        nodes["size"].append(low + (high - low) * score)
        nodes["color"].append(colours.get(str(data.get("cluster", "none")), NO_CLUSTER_COLOUR))
    pairs = sorted((min(str(u), str(v)), max(str(u), str(v)), data) for u, v, data in graph.edges(data=True))
    heaviest = max((float(data.get("weight", 1.0)) for *_, data in pairs), default=1.0) or 1.0
    edge_low, edge_high = edge_size_range
    edges: dict[str, list] = {
        "source": [u for u, _, _ in pairs], "target": [v for _, v, _ in pairs],
        "size": [edge_low + (edge_high - edge_low) * max(0.0, float(d.get("weight", 1.0))) / heaviest
                 for *_, d in pairs],
        "color": [signal_colours.get(str(d.get("signal", "")), OTHER_SIGNAL_COLOUR) for *_, d in pairs],
    }
    return nodes, edges


class GraphView(anywidget.AnyWidget):
    """A graph drawn with sigma.js (WebGL), updated in place.

    Parameters
    ----------
    height : int
        Height of the drawing in pixels.

    Attributes
    ----------
    selected_node : str or None
        The selected account id: a click in the browser sets it; setting it
        from Python highlights the account and moves the camera onto it.
    version : int
        Incremented by every :meth:`show_graph`; the browser redraws on it.

    Examples
    --------
    >>> view = GraphView(height=300)
    >>> G = nx.Graph([("1", "2", {"signal": "co_follow", "weight": 1.0})])
    >>> view.show_graph(G, {"1": (0.0, 0.0), "2": (1.0, 1.0)}, signal_colours={})
    >>> view.nodes["key"], view.version
    (['1', '2'], 1)
    """

    _esm = _STATIC / "graph_view.js"
    nodes: traitlets.Dict = traitlets.Dict(
        {"key": [], "label": [], "x": [], "y": [], "size": [], "color": []}).tag(sync=True)
    edges: traitlets.Dict = traitlets.Dict({"source": [], "target": [], "size": [], "color": []}).tag(sync=True)
    selected_node = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    height = traitlets.Int(500).tag(sync=True)
    version = traitlets.Int(0).tag(sync=True)

    def show_graph(self, graph: nx.Graph, positions: Mapping[str, tuple[float, float]], *,
                   signal_colours: Mapping[str, str], cluster_colour: Mapping[str, str] | None = None) -> None:
        """Replace the drawn graph (one message to the browser; the renderer is kept)."""
        nodes, edges = graph_payload(graph, positions, signal_colours=signal_colours, cluster_colour=cluster_colour)
        with self.hold_sync():
            self.nodes = nodes
            self.edges = edges
            self.version += 1
