"""Static network figures for reports (matplotlib, no pyplot state).

Interactive exploration is the widgets' job; a report needs a picture that
renders the same in the notebook, in the HTML export and on paper.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["plot_network"]


def plot_network(
    graph,
    *,
    highlight: Iterable[str] = (),
    groups: dict[str, str] | None = None,
    seed: int = 7,
    title: str | None = None,
    max_nodes: int = 400,
    label_nodes: bool = False,
    figsize: tuple[float, float] = (8.0, 6.0),
):
    """Draw an account graph: node colour by group, edge width by weight, highlighted accounts ringed.

    Parameters
    ----------
    graph : networkx.Graph
        Account graph (e.g. from :func:`tsinvest.graph.account_graph` or
        :func:`tsinvest.graph.ego_network`).
    highlight : iterable of str
        Accounts to ring in black (the seeds of an ego network).
    groups : dict of str to str, optional
        Account -> group (e.g. cluster id) for colours; nodes outside any group are grey.
    seed : int
        Seed of the spring layout, so the picture is the same on every run.
    title : str, optional
        Figure title (escaped for mathtext).
    max_nodes : int
        Larger graphs are cut to the ``max_nodes`` highest-degree accounts
        (ties by id); the title says so.
    label_nodes : bool
        Write the last 6 characters of each id next to its node.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.Graph([("1", "2", {"weight": 3.0}), ("2", "3", {"weight": 1.0})])
    >>> figure = plot_network(G, highlight=["2"], groups={"1": "c1", "2": "c1"})
    >>> len(figure.axes)
    1
    """
    import networkx as nx
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize, layout="constrained")
    axes = figure.add_subplot()
    axes.set_axis_off()
    shown = graph
    note = ""
    if graph.number_of_nodes() > max_nodes:
        ranked = sorted(graph.degree, key=lambda item: (-item[1], str(item[0])))[:max_nodes]
        shown = graph.subgraph(node for node, _ in ranked)
        note = f" (top {max_nodes} of {graph.number_of_nodes()} accounts by links)"
    if title is not None or note:
        axes.set_title(((title or "Account graph") + note).replace("$", r"\$"), usetex=False)
    if shown.number_of_nodes() == 0:
        axes.text(0.5, 0.5, "no linked accounts", ha="center", va="center")
        return figure

    # Sorted input makes the seeded layout independent of insertion order.
    ordered = nx.Graph()
    ordered.add_nodes_from(sorted(shown.nodes, key=str))
    ordered.add_edges_from(sorted((tuple(sorted((str(u), str(v)))) + ({"weight": float(d.get("weight", 1.0))},)
                                  for u, v, d in shown.edges(data=True))))
    positions = nx.spring_layout(ordered, seed=seed, weight="weight")

    groups = groups or {}
    names = sorted({groups[node] for node in ordered if node in groups})
    palette = colormaps["tab20"]
    colour_of = {name: palette(index % 20) for index, name in enumerate(names)}
    colours = [colour_of.get(groups.get(node), (0.75, 0.75, 0.75, 1.0)) for node in ordered]
    weights = [data["weight"] for _, _, data in ordered.edges(data=True)]
    top = max(weights, default=1.0) or 1.0
    nx.draw_networkx_edges(ordered, positions, ax=axes, width=[0.3 + 2.5 * w / top for w in weights],
                           alpha=0.35, edge_color="#555555")
    nx.draw_networkx_nodes(ordered, positions, ax=axes, node_size=40, node_color=colours, linewidths=0)
    marked = [node for node in ordered if node in set(map(str, highlight))]
    if marked:
        nx.draw_networkx_nodes(ordered, positions, nodelist=marked, ax=axes, node_size=120,
                               node_color="none", edgecolors="black", linewidths=1.5)
    if label_nodes:
        for node, (x, y) in positions.items():
            axes.text(x, y, "…" + node[-6:], fontsize=6, usetex=False)
    for name in names[:12]:
        axes.scatter([], [], color=colour_of[name], label=str(name).replace("$", r"\$"))
    if names:
        axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), title="cluster")
    return figure
