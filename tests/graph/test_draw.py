"""draw_account_graph: what is shown, where, in which colour and size; user text drawn as typed."""

from __future__ import annotations

import io

import matplotlib
import networkx as nx
import numpy as np
import pytest
from matplotlib import colormaps
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba

from tsinvest.exceptions import ParameterError
from tsinvest.graph import draw_account_graph
from tsinvest.graph.draw import account_layout, most_linked_subgraph
from tsinvest.plotting import safe_label

HOSTILE = r"#$\undefinedmacro{x}$ and $\input{/etc/passwd}$"


def _ids(count: int) -> list[str]:
    # 19-digit ids with leading zeros, as the platform exports them
    return [f"{index * 7919:019d}" for index in range(1, count + 1)]


def _graph() -> nx.Graph:
    a, b, c, d, e = _ids(5)
    G = nx.Graph()
    G.add_node(a, score=1.7)  # clipped to 1
    G.add_node(b, score=0.5)
    G.add_node(c, score=-1.0)  # clipped to 0
    G.add_edge(a, b, weight=4.0, signal="co_report")
    G.add_edge(b, c, weight=2.0, signal="shared_ip")
    G.add_edge(c, d, weight=1.0, signal="mystery")
    G.add_edge(d, e, weight=1.0)
    return G


def _collections(figure):
    axes = figure.axes[0]
    lines = [c for c in axes.collections if isinstance(c, LineCollection)]
    nodes, *rings = [c for c in axes.collections if isinstance(c, PathCollection)]
    return lines, nodes, rings


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def test_layout_is_seeded_and_independent_of_insertion_order():
    G = _graph()
    reversed_graph = nx.Graph()
    reversed_graph.add_nodes_from(reversed(list(G.nodes(data=True))))
    reversed_graph.add_edges_from((v, u, data) for u, v, data in reversed(list(G.edges(data=True))))
    assert account_layout(G, seed=3) == account_layout(reversed_graph, seed=3)
    assert account_layout(G, seed=3) != account_layout(G, seed=4)
    assert account_layout(nx.Graph()) == {}


def test_nodes_sit_at_the_layout_positions_coloured_by_group_in_sorted_order():
    G = _graph()
    a, b, c, d, e = _ids(5)
    figure = draw_account_graph(G, groups={b: "z-group", a: "a-group", c: "a-group"}, seed=11)
    _, nodes, rings = _collections(figure)
    positions = account_layout(G, seed=11)
    order = sorted(G)
    assert np.allclose(nodes.get_offsets(), [positions[node] for node in order])
    palette = colormaps["tab20"]
    expected = {a: palette(0), c: palette(0), b: palette(1), d: (0.75, 0.75, 0.75, 1.0), e: (0.75, 0.75, 0.75, 1.0)}
    assert np.allclose(nodes.get_facecolors(), [expected[node] for node in order])
    assert list(nodes.get_sizes()) == [40.0] and rings == []
    legend = figure.axes[0].get_legend()
    assert legend.get_title().get_text() == "cluster"
    assert [text.get_text() for text in legend.get_texts()] == ["a-group", "z-group"]


def test_weight_widths_grey_edges_and_ring_three_times_the_node():
    G = _graph()
    figure = draw_account_graph(G, highlight=[_ids(5)[1]], node_size=50)
    (lines,), nodes, (ring,) = _collections(figure)
    # sorted pairs: (a,b) w4, (b,c) w2, (c,d) w1, (d,e) w1; widths 0.3 + 2.5 * w / 4
    assert np.allclose(lines.get_linewidths(), [2.8, 1.55, 0.925, 0.925])
    assert np.allclose(lines.get_colors(), [to_rgba("#555555", 0.35)])
    assert list(ring.get_sizes()) == [150.0] and list(nodes.get_sizes()) == [50.0]
    assert figure.axes[0].get_legend() is None


def test_signal_colours_score_sizes_and_legend():
    G = _graph()
    a, b, c, d, e = _ids(5)
    colours = {"co_report": "#d62728", "shared_ip": "#e377c2"}
    figure = draw_account_graph(G, node_size="score", edge_colours=colours, edge_width=0.8, highlight=[a],
                                groups={a: "c-1"})
    (lines,), nodes, (ring,) = _collections(figure)
    # drawn by signal, then pair: "" (d,e), co_report (a,b), mystery (c,d), shared_ip (b,c)
    grey = "#7f7f7f"
    assert np.allclose(lines.get_colors(), [to_rgba(x, 0.5) for x in (grey, "#d62728", grey, "#e377c2")])
    assert np.allclose(lines.get_linewidths(), [0.8])
    assert np.allclose(nodes.get_sizes(), [135.0, 75.0, 15.0, 15.0, 15.0])  # a, b, c, then no score
    assert list(ring.get_sizes()) == [160.0]
    legend = figure.axes[0].get_legend()
    assert legend.get_title().get_text() == "links / clusters"
    assert [text.get_text() for text in legend.get_texts()] == ["", "co_report", "mystery", "shared_ip", "c-1"]


def test_large_graphs_are_cut_to_the_best_linked_accounts_and_the_title_says_so():
    star = nx.star_graph(30)
    G = nx.relabel_nodes(star, {node: f"{node:019d}" for node in star})
    G.add_edge(f"{1:019d}", f"{2:019d}")
    kept = most_linked_subgraph(G, 3)
    assert sorted(kept) == [f"{0:019d}", f"{1:019d}", f"{2:019d}"]  # hub, then degree-2 leaves
    assert most_linked_subgraph(G, 100) is G
    figure = draw_account_graph(G, max_nodes=3, title="Ring")
    assert figure.axes[0].get_title() == "Ring (top 3 of 31 accounts by links)"
    assert len(_collections(figure)[1].get_offsets()) == 3
    assert draw_account_graph(G, max_nodes=3).axes[0].get_title() == "Account graph (top 3 of 31 accounts by links)"
    assert draw_account_graph(G).axes[0].get_title() == ""


def test_empty_graph_says_so():
    figure = draw_account_graph(nx.Graph(), empty_message="nothing for these filters")
    assert [text.get_text() for text in figure.axes[0].texts] == ["nothing for these filters"]
    assert _png(figure).startswith(b"\x89PNG")


def test_user_text_is_drawn_as_typed_even_with_usetex_on():
    G = nx.Graph([(f"{1:019d}", "00000$x$")])
    with matplotlib.rc_context({"text.usetex": True}):
        figure = draw_account_graph(G, title=HOSTILE, groups={f"{1:019d}": HOSTILE + "\u202e"},
                                    edge_colours={}, label_nodes=True)
        axes = figure.axes[0]
        texts = [axes.title, *axes.texts, *axes.get_legend().get_texts(), axes.get_legend().get_title()]
        assert not any(text.get_usetex() for text in texts)
        # Drawing raises (unknown mathtext macro, or no LaTeX installed) if anything is parsed.
        assert _png(figure).startswith(b"\x89PNG")
    assert axes.get_title() == safe_label(HOSTILE, max_chars=None)
    assert axes.title._preprocess_math(axes.get_title()) == (HOSTILE, False)
    assert sorted(text.get_text() for text in axes.texts) == ["…000001", r"…000\$x\$"]
    assert axes.get_legend().get_texts()[-1].get_text() == safe_label(HOSTILE, max_chars=None)


@pytest.mark.parametrize("seed", [1, 2])
def test_same_input_same_picture(seed):
    assert _png(draw_account_graph(_graph(), seed=seed)) == _png(draw_account_graph(_graph(), seed=seed))


def test_unknown_modes_are_refused_naming_the_parameter():
    with pytest.raises(ParameterError, match="node_size"):
        draw_account_graph(_graph(), node_size="degree")
    with pytest.raises(ParameterError, match="edge_width"):
        draw_account_graph(_graph(), edge_width="signal")
