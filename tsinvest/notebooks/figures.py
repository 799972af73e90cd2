"""Static network figures for reports (matplotlib, no pyplot state).

Interactive exploration is the widgets' job; a report needs a picture that
renders the same in the notebook, in the HTML export and on paper. The
drawing itself is :func:`tsinvest.graph.draw.draw_account_graph`; this is the
report style of it (grey edges as wide as their weight, equal nodes).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from tsinvest.exceptions import ParameterError
from tsinvest.graph.draw import draw_account_graph

if TYPE_CHECKING:
    import networkx as nx
    from matplotlib.figure import Figure

__all__ = ["plot_network", "fold_groups"]

#: Groups a legend lists one by one; more are folded into one "other" entry.
MAX_LEGEND_GROUPS = 12


def plot_network(
    graph: nx.Graph,
    *,
    highlight: Iterable[str] = (),
    groups: dict[str, str] | None = None,
    seed: int = 7,
    title: str | None = None,
    max_nodes: int = 400,
    label_nodes: bool = False,
    figsize: tuple[float, float] = (8.0, 6.0),
) -> Figure:
    """Draw an account graph: node colour by group, edge width by weight, highlighted accounts ringed.

    Parameters
    ----------
    graph : networkx.Graph
        Account graph (e.g. from :func:`tsinvest.graph.account_graph` or
        :func:`tsinvest.graph.ego_network`).
    highlight : iterable of str
        Accounts to ring in black (the seeds of an ego network).
    groups : dict of str to str, optional
        Account -> group (e.g. cluster id) for colours; nodes outside any group
        are grey. Beyond 12 groups the smallest are folded into one
        ``other (N clusters)`` entry (:func:`fold_groups`), so the legend
        lists every account's colour instead of silently dropping groups.
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
    if groups:
        groups = fold_groups(groups, max_groups=MAX_LEGEND_GROUPS)
    return draw_account_graph(graph, highlight=highlight, groups=groups, title=title, label_nodes=label_nodes,
                              seed=seed, max_nodes=max_nodes, figsize=figsize)


def fold_groups(groups: dict[str, str], *, max_groups: int = MAX_LEGEND_GROUPS) -> dict[str, str]:
    """Keep the ``max_groups - 1`` largest groups (ties by name) and fold the rest into ``other (N clusters)``.

    Examples
    --------
    >>> folded = fold_groups({"1": "a", "2": "a", "3": "b", "4": "c"}, max_groups=2)
    >>> sorted(set(folded.values()))
    ['a', 'other (2 clusters)']
    """
    if max_groups < 2:
        raise ParameterError("fold_groups: max_groups must be at least 2")
    sizes: dict[str, int] = {}
    for group in groups.values():
        sizes[group] = sizes.get(group, 0) + 1
    if len(sizes) <= max_groups:
        return dict(groups)
    kept = {name for name, _ in sorted(sizes.items(), key=lambda item: (-item[1], str(item[0])))[: max_groups - 1]}
    other = f"other ({len(sizes) - len(kept)} clusters)"
    return {account: group if group in kept else other for account, group in groups.items()}
