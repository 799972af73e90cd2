"""plot_network: the report style of draw_account_graph (grey edges as wide as their weight, equal nodes)."""

from __future__ import annotations

import networkx as nx
import numpy as np

from tsinvest.graph.draw import account_layout
from tsinvest.notebooks.figures import plot_network


def test_plot_network_report_style():
    ids = [f"{n:019d}" for n in range(1, 5)]
    G = nx.Graph([(ids[0], ids[1], {"weight": 2.0}), (ids[1], ids[2], {"weight": 1.0}), (ids[2], ids[3], {})])
    axes = plot_network(G, highlight=[ids[1]], groups={ids[0]: "c$1", ids[1]: "c$1"}, seed=5,
                        label_nodes=True).axes[0]
    lines, nodes, ring = axes.collections
    assert np.allclose(lines.get_linewidths(), [2.8, 1.55, 1.55])
    assert np.allclose(nodes.get_offsets(), [account_layout(G, seed=5)[n] for n in ids])
    assert list(nodes.get_sizes()) == [40.0] and list(ring.get_sizes()) == [120.0]
    assert axes.get_title() == ""  # no title asked for, graph not cut
    assert axes.get_legend().get_title().get_text() == "cluster"
    assert [text.get_text() for text in axes.get_legend().get_texts()] == [r"c\$1"]
    assert sorted(text.get_text() for text in axes.texts) == ["…" + n[-6:] for n in ids]
