"""Static pictures of account graphs (matplotlib Figures, no pyplot state).

Interactive exploration is the widgets' job; a report needs a picture that
renders the same in the notebook, in the HTML export and on paper. Every
static network figure of tsinvest goes through :func:`draw_account_graph`;
:func:`account_layout` gives the seeded positions it uses, so an interactive
drawing of the same graph can share them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

import networkx as nx

from tsinvest.exceptions import ParameterError
from tsinvest.plotting import safe_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["draw_account_graph", "account_layout", "most_linked_subgraph"]

_GREY = (0.75, 0.75, 0.75, 1.0)  # nodes outside every group
_OTHER_SIGNAL_COLOUR = "#7f7f7f"  # edges whose signal has no colour of its own


def most_linked_subgraph(graph: nx.Graph, max_nodes: int) -> nx.Graph:
    """The ``max_nodes`` accounts with the most links (ties by id), as a subgraph view.

    A graph small enough is returned as is.

    Examples
    --------
    >>> G = nx.Graph([("1", "2"), ("1", "3"), ("2", "3"), ("3", "4")])
    >>> sorted(most_linked_subgraph(G, 2))
    ['1', '3']
    """
    if graph.number_of_nodes() <= max_nodes:
        return graph
    ranked = sorted(graph.degree, key=lambda item: (-item[1], str(item[0])))[:max_nodes]
    return graph.subgraph(node for node, _ in ranked)


def account_layout(graph: nx.Graph, *, seed: int = 7) -> dict[str, tuple[float, float]]:
    """Seeded spring layout of an account graph, independent of insertion order.

    Parameters
    ----------
    graph : networkx.Graph
        Account graph; an edge's ``weight`` (default 1) pulls its ends together.
    seed : int
        Seed of the spring layout.

    Returns
    -------
    dict of str to (float, float)
        Account id -> position.

    Examples
    --------
    >>> G = nx.Graph([("2", "1", {"weight": 3.0}), ("3", "2", {})])
    >>> H = nx.Graph([("3", "2", {}), ("2", "1", {"weight": 3.0})])
    >>> account_layout(G, seed=1) == account_layout(H, seed=1)
    True
    """
    if graph.number_of_nodes() == 0:
        return {}
    # Sorted input makes the seeded layout independent of insertion order.
    ordered = nx.Graph()
    ordered.add_nodes_from(sorted(map(str, graph.nodes)))
    ordered.add_edges_from(sorted(tuple(sorted((str(u), str(v)))) + ({"weight": float(data.get("weight", 1.0))},)
                                  for u, v, data in graph.edges(data=True)))
    positions = nx.spring_layout(ordered, seed=seed, weight="weight")
    return {node: (float(x), float(y)) for node, (x, y) in positions.items()}


def draw_account_graph(
    graph: nx.Graph,
    *,
    highlight: Iterable[str] = (),
    groups: Mapping[str, object] | None = None,
    node_size: float | Literal["score"] = 40.0,
    edge_colours: Mapping[str, str] | None = None,
    edge_width: float | Literal["weight"] = "weight",
    title: str | None = None,
    empty_message: str = "no linked accounts",
    label_nodes: bool = False,
    seed: int = 7,
    max_nodes: int = 400,
    figsize: tuple[float, float] = (8.0, 6.0),
) -> Figure:
    """Draw an account graph: colour by group, size by score, highlighted accounts ringed.

    Parameters
    ----------
    graph : networkx.Graph
        Account graph (e.g. from :func:`tsinvest.graph.account_graph`,
        :func:`tsinvest.graph.ego_network` or
        :func:`tsinvest.widgets.explorer.explorer_graph`).
    highlight : iterable of str
        Accounts to ring in black (the seeds of an ego network, the selection).
    groups : mapping of str to object, optional
        Account -> group (e.g. cluster id) for colours (``tab20``, groups in
        sorted order); accounts outside every group are grey.
    node_size : float or "score"
        Marker area of every node in points², or ``"score"``: 15 to 135 from
        the node attribute ``score`` clipped to [0, 1]. The highlight ring is
        three times a fixed size, or 160 (just outside the largest node) with
        ``"score"``.
    edge_colours : mapping of str to str, optional
        Signal -> colour: edges take the colour of their ``signal`` attribute
        (grey for signals not in the mapping) and the legend lists the
        signals (at most 10) before the groups (at most 10). Without it,
        edges are dark grey and the legend lists at most 12 groups.
    edge_width : float or "weight"
        Line width of every edge, or ``"weight"``: 0.3 to 2.8 in proportion to
        the edge ``weight``.
    title : str, optional
        Figure title. Without a title the figure has none, unless the graph
        was cut. Like every label, it goes through
        :func:`tsinvest.plotting.safe_label` and is drawn without TeX.
    empty_message : str
        Text drawn when there is no account to show.
    label_nodes : bool
        Write the last 6 characters of each id next to its node.
    seed : int
        Seed of the spring layout (:func:`account_layout`), so the picture is
        the same on every run.
    max_nodes : int
        Larger graphs are cut to the ``max_nodes`` best-linked accounts
        (:func:`most_linked_subgraph`); the title says so.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ParameterError
        If ``node_size`` or ``edge_width`` is a string other than its mode.

    Notes
    -----
    The spring layout dominates: O(iterations * n²) in the shown accounts,
    which ``max_nodes`` bounds. Coloured edges are drawn more opaque
    (alpha 0.5 instead of 0.35) so their colour reads.

    Examples
    --------
    >>> G = nx.Graph([("1", "2", {"weight": 3.0, "signal": "co_report"}),
    ...               ("2", "3", {"weight": 1.0, "signal": "shared_ip"})])
    >>> figure = draw_account_graph(G, highlight=["2"], groups={"1": "c$1", "2": "c$1"},
    ...                             edge_colours={"co_report": "#d62728"}, title="Ring $1")
    >>> axes = figure.axes[0]
    >>> axes.get_title(), [text.get_text() for text in axes.get_legend().get_texts()]
    ('Ring \\\\$1', ['co_report', 'shared_ip', 'c\\\\$1'])
    """
    import matplotlib

    if isinstance(node_size, str) and node_size != "score":
        raise ParameterError("node_size must be a number or 'score'")
    if isinstance(edge_width, str) and edge_width != "weight":
        raise ParameterError("edge_width must be a number or 'weight'")
    # rcParams["text.usetex"] may be on in the analyst's session; labels come from users and must never
    # reach LaTeX. Texts read the setting when they are created, so the whole figure is built without it.
    with matplotlib.rc_context({"text.usetex": False}):
        return _draw(graph, highlight=highlight, groups=groups, node_size=node_size, edge_colours=edge_colours,
                     edge_width=edge_width, title=title, empty_message=empty_message, label_nodes=label_nodes,
                     seed=seed, max_nodes=max_nodes, figsize=figsize)


def _draw(
    graph: nx.Graph,
    *,
    highlight: Iterable[str],
    groups: Mapping[str, object] | None,
    node_size: float | Literal["score"],
    edge_colours: Mapping[str, str] | None,
    edge_width: float | Literal["weight"],
    title: str | None,
    empty_message: str,
    label_nodes: bool,
    seed: int,
    max_nodes: int,
    figsize: tuple[float, float],
) -> Figure:
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize, layout="constrained")
    axes = figure.add_subplot()
    axes.set_axis_off()
    shown = most_linked_subgraph(graph, max_nodes)
    note = ""
    if shown is not graph:
        note = f" (top {max_nodes} of {graph.number_of_nodes()} accounts by links)"
    if title is not None or note:
        axes.set_title(safe_label((title or "Account graph") + note, max_chars=None), usetex=False)
    if shown.number_of_nodes() == 0:
        axes.text(0.5, 0.5, empty_message, ha="center", va="center")
        return figure

    positions = account_layout(shown, seed=seed)
    groups = groups or {}
    found: set[Any] = {groups[node] for node in positions if node in groups}
    names = sorted(found)
    palette = colormaps["tab20"]
    colour_of = {name: palette(index % 20) for index, name in enumerate(names)}
    signals = _draw_edges(axes, shown, positions, edge_colours=edge_colours, edge_width=edge_width)
    _draw_nodes(axes, shown, positions, groups=groups, colour_of=colour_of, node_size=node_size,
                highlight=highlight, label_nodes=label_nodes)
    _draw_legend(axes, signals, names, colour_of, edge_colours)
    axes.autoscale_view()
    return figure


def _draw_edges(
    axes: Axes,
    shown: nx.Graph,
    positions: Mapping[str, tuple[float, float]],
    *,
    edge_colours: Mapping[str, str] | None,
    edge_width: float | Literal["weight"],
) -> list[str]:
    """Draw the links as one line collection; returns the signals that have a colour in the legend."""
    from matplotlib.collections import LineCollection

    edges = [(tuple(sorted((str(u), str(v)))), data) for u, v, data in shown.edges(data=True)]
    signals = sorted({str(data.get("signal", "")) for _, data in edges}) if edge_colours is not None else []
    # A fixed drawing order (by signal, then pair) keeps overlapping lines the same on every run.
    edges.sort(key=lambda edge: (str(edge[1].get("signal", "")) if signals else "", edge[0]))
    if not edges:
        return signals
    weights = [float(data.get("weight", 1.0)) for _, data in edges]
    top = max(weights) or 1.0
    widths = [0.3 + 2.5 * weight / top for weight in weights] if edge_width == "weight" else float(edge_width)
    colours = ([edge_colours.get(str(data.get("signal", "")), _OTHER_SIGNAL_COLOUR) for _, data in edges]
               if edge_colours is not None else "#555555")
    axes.add_collection(LineCollection([(positions[u], positions[v]) for (u, v), _ in edges], colors=colours,
                                       linewidths=widths, alpha=0.5 if edge_colours is not None else 0.35,
                                       zorder=1))
    return signals


def _draw_nodes(
    axes: Axes,
    shown: nx.Graph,
    positions: Mapping[str, tuple[float, float]],
    *,
    groups: Mapping[str, object],
    colour_of: Mapping[object, tuple[float, float, float, float]],
    node_size: float | Literal["score"],
    highlight: Iterable[str],
    label_nodes: bool,
) -> None:
    """Draw the accounts coloured by group and sized by score, ring the highlighted ones, label if asked."""
    nodes = sorted(positions)
    attributes = {str(node): data for node, data in shown.nodes(data=True)}
    sizes: float | list[float]
    if node_size == "score":
        sizes = [15 + 120 * max(0.0, min(1.0, float(attributes[node].get("score", 0.0)))) for node in nodes]
        ring = 160.0
    else:
        sizes = float(node_size)
        ring = 3 * sizes
    axes.scatter([positions[node][0] for node in nodes], [positions[node][1] for node in nodes], s=sizes,
                 c=[colour_of.get(groups.get(node), _GREY) for node in nodes], linewidths=0, zorder=2)
    highlighted = set(map(str, highlight))
    marked = [node for node in nodes if node in highlighted]
    if marked:
        axes.scatter([positions[node][0] for node in marked], [positions[node][1] for node in marked], s=ring,
                     facecolors="none", edgecolors="black", linewidths=1.5, zorder=3)
    if label_nodes:
        for node in nodes:
            x, y = positions[node]
            axes.text(x, y, safe_label("…" + node[-6:], max_chars=None), fontsize=6, usetex=False)


def _draw_legend(
    axes: Axes,
    signals: list[str],
    names: list[object],
    colour_of: Mapping[object, tuple[float, float, float, float]],
    edge_colours: Mapping[str, str] | None,
) -> None:
    """The legend must fit beside the drawing: 12 groups alone, or 10 signals and 10 groups."""
    from matplotlib.lines import Line2D

    coloured = edge_colours is not None
    handles = []
    if edge_colours is not None:
        handles = [Line2D([], [], color=edge_colours.get(signal, _OTHER_SIGNAL_COLOUR),
                          label=safe_label(signal, max_chars=None)) for signal in signals[:10]]
    handles += [Line2D([], [], marker="o", linestyle="", color=colour_of[name],
                       label=safe_label(name, max_chars=None)) for name in names[: 10 if coloured else 12]]
    if handles:
        axes.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0),
                    title="links / clusters" if coloured else "cluster")
