from __future__ import annotations

import base64

from tsinvest.widgets._output import output_html
from tsinvest.widgets.explorer import SIGNAL_COLOURS, GraphExplorer, explorer_graph, pivot_graph, plot_explorer_graph
from tsinvest.widgets.panel import FilterPanel
from tsinvest.widgets.timeline import TimelineWidget, coaction_timeline

from .conftest import HOSTILE


def test_explorer_graph_attributes(data, tables):
    G = explorer_graph(data.edges, data)
    ids = tables["ids"]
    assert G.number_of_nodes() == 8 and G.number_of_edges() == 7
    assert G.nodes[ids[0]]["cluster"] == "amp-1" and G.nodes[ids[0]]["score"] == 0.9
    assert G.nodes[ids[3]]["label"] == HOSTILE  # escaped by the renderers, kept verbatim as data
    assert G.edges[ids[1], ids[2]]["signal"] == "shared_device"


def test_static_picture_colours_links_by_signal_and_sizes_accounts_by_score(data, tables):
    from matplotlib.colors import to_rgba

    G = explorer_graph(data.edges, data)
    ids = tables["ids"]
    axes = plot_explorer_graph(G, highlight=[ids[0]]).axes[0]
    lines, nodes, ring = axes.collections
    edge_signals = sorted((G.edges[e]["signal"], tuple(sorted(e))) for e in G.edges)
    assert [tuple(c) for c in lines.get_colors()] == [to_rgba(SIGNAL_COLOURS[s], 0.5) for s, _ in edge_signals]
    scores = [G.nodes[n]["score"] for n in sorted(G)]
    assert list(nodes.get_sizes()) == [15 + 120 * min(1.0, max(0.0, s)) for s in scores]
    assert list(ring.get_sizes()) == [160.0]
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert axes.get_title() == "Linked accounts" and legend == ["co_report", "coaction", "shared_device", "amp-1",
                                                                "org-1", "rep-1"]
    empty = plot_explorer_graph(G.subgraph([])).axes[0]
    assert [text.get_text() for text in empty.texts] == ["no linked accounts for these filters"]


def test_pivot_follows_every_link(data, tables):
    ids = tables["ids"]
    assert sorted(pivot_graph(data, ids[2], hops=1)) == sorted(ids[:3])
    assert sorted(pivot_graph(data, ids[8], hops=2)) == [ids[8]]  # no links: the account alone
    assert sorted(pivot_graph(data, ids[0], hops=1, min_edge_weight=8)) == sorted(ids[:2])


def test_static_explorer_follows_panel_and_shows_details(data, tables):
    panel = FilterPanel(data)
    explorer = GraphExplorer(data, panel=panel, backend="static")
    assert explorer.graph.number_of_nodes() == 8
    png_before = explorer.drawing.children[0].outputs[0]["data"]["image/png"]
    assert base64.b64decode(png_before).startswith(b"\x89PNG")
    panel.min_score.value = 0.8
    assert sorted(explorer.graph) == sorted(tables["ids"][:3])
    assert explorer.drawing.children[0].outputs[0]["data"]["image/png"] != png_before
    explorer.search.value = "<img"
    assert explorer.selected == tables["ids"][3]
    details = output_html(explorer.details)
    assert "&lt;img src=x onerror=alert(1)&gt;" in details and "<img" not in details
    assert "rep-1" in details and "&lt;script&gt;alert(2)&lt;/script&gt;" in details
    explorer.hops.value = 1
    explorer.expand()
    assert sorted(explorer.graph) == sorted(tables["ids"][3:6])
    explorer.reset()
    assert sorted(explorer.graph) == sorted(tables["ids"][:3])


def test_sigma_explorer_updates_one_graph_view_in_place(data, tables):
    panel = FilterPanel(data)
    explorer = GraphExplorer(data, panel=panel, backend="sigma")
    view = explorer.graph_view
    assert view is not None and explorer.drawing.children == (view,)
    ids = tables["ids"]
    assert view.nodes["key"] == sorted(ids[:8]) and view.version == 1
    colour_of = dict(zip(view.nodes["key"], view.nodes["color"], strict=True))
    position_of = dict(zip(view.nodes["key"], zip(view.nodes["x"], view.nodes["y"], strict=True), strict=True))
    assert colour_of[ids[0]] == colour_of[ids[1]] != colour_of[ids[3]]
    edge_colours = {(a, b): c for a, b, c in zip(view.edges["source"], view.edges["target"], view.edges["color"],
                                                 strict=True)}
    assert edge_colours[tuple(sorted((ids[1], ids[2])))] == SIGNAL_COLOURS["shared_device"]

    panel.min_score.value = 0.8  # a filter change: the same widget gets the new graph
    assert explorer.graph_view is view and explorer.drawing.children == (view,) and view.version == 2
    assert view.nodes["key"] == sorted(ids[:3])
    # Clusters keep their colour and accounts their place whatever the filters show.
    assert dict(zip(view.nodes["key"], view.nodes["color"], strict=True)) == {k: colour_of[k] for k in ids[:3]}
    positions = zip(view.nodes["x"], view.nodes["y"], strict=True)
    assert dict(zip(view.nodes["key"], positions, strict=True)) == {k: position_of[k] for k in ids[:3]}

    view.selected_node = ids[0]  # what a click in the browser does
    assert explorer.selected == ids[0] and "ring_a1" in output_html(explorer.details)
    explorer.search.value = "ring_a2"  # Find account selects the node in the view (the browser zooms onto it)
    assert explorer.selected == ids[1] and view.selected_node == ids[1]
    explorer.expand(hops=1)
    assert explorer.graph_view is view and view.nodes["key"] == sorted(ids[:3]) and view.selected_node == ids[1]
    panel.min_score.value = 0.5
    assert view.nodes["key"] == sorted(ids[:6]) and view.version == 4
    assert view.selected_node == ids[1]
    panel.min_score.value = 0.65  # the selection is still drawn: it stays selected
    assert view.selected_node == ids[1] and explorer.selected == ids[1]
    view.selected_node = None  # a click on the empty stage
    assert explorer.selected is None
    panel.min_score.value = 0.5
    assert view.selected_node is None


def test_sigma_pivot_lays_out_new_accounts_beside_the_known_ones(data, tables):
    ids = tables["ids"]
    explorer = GraphExplorer(data, backend="sigma")
    before = dict(zip(explorer.graph_view.nodes["key"], explorer.graph_view.nodes["x"], strict=True))
    explorer.select(ids[8])  # no links: the pivot is the account alone, placed by its own layout
    assert explorer.status.value.startswith("8 account(s), 7 link(s); the selected account is not in this graph")
    explorer.expand(hops=2)
    assert explorer.graph_view.nodes["key"] == [ids[8]] and explorer.graph_view.selected_node == ids[8]
    explorer.reset()
    assert dict(zip(explorer.graph_view.nodes["key"], explorer.graph_view.nodes["x"], strict=True)) == before


def test_coaction_timeline_counts_shared_targets_only(data, tables):
    members = tables["ids"][:3]
    timeline = coaction_timeline(data.events, members)
    # v1 shared by 3 (10:00 bucket), v2 liked by 2 members (12:00); v3 posted by one member only.
    assert timeline[["action", "actions", "accounts"]].to_dict("records") == [
        {"action": "share", "actions": 3, "accounts": 3}, {"action": "like", "actions": 2, "accounts": 2}]
    assert str(timeline["bucket"].dtype) == "datetime64[ns, UTC]"
    reports = coaction_timeline(data.events, tables["ids"][3:6], reports=data.reports, freq="1d")
    assert reports[["action", "actions", "targets"]].to_dict("records") == [
        {"action": "report", "actions": 2, "targets": 1}]


def test_timeline_widget_follows_panel_and_selection(data):
    panel = FilterPanel(data)
    timeline = TimelineWidget(data, panel=panel)
    assert timeline.cluster.value == "amp-1" and timeline.timeline["actions"].sum() == 5
    timeline.cluster.value = "rep-1"
    assert timeline.timeline["action"].tolist() == ["report"]
    shown = timeline.output.outputs
    panel.min_edge_weight.value = 1  # same cluster and events: the figure is not drawn again
    assert timeline.output.outputs is shown and timeline.cluster.value == "rep-1"
    panel.actions.value = ("like",)
    timeline.cluster.value = "amp-1"
    assert timeline.timeline["action"].tolist() == ["like"]
    panel.min_score.value = 0.95
    assert timeline.cluster.options == () and timeline.timeline.empty
    assert "image/png" in timeline.output.outputs[0]["data"]


def test_pivot_can_be_limited_by_link_type_and_weight(data, tables):
    ids = tables["ids"]
    # From ring a's first account, coaction links reach the ring; the shared device link alone reaches no one new.
    assert sorted(pivot_graph(data, ids[0], hops=2, signals=["coaction"])) == sorted(ids[:3])
    assert sorted(pivot_graph(data, ids[0], hops=2, signals=["shared_device"])) == [ids[0]]
    explorer = GraphExplorer(data, backend="static")
    explorer.select(ids[0])
    explorer.pivot_signals.value = ("shared_device",)
    explorer.expand(hops=2)
    assert sorted(explorer.graph) == [ids[0]]
    explorer.pivot_signals.value = explorer.pivot_signals.options
    explorer.pivot_min_weight.value = 8
    explorer.expand(hops=2)
    assert sorted(explorer.graph) == sorted(ids[:2])
