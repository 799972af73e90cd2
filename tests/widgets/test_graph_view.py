"""The sigma.js graph view: payload, in-place updates, and a bundle that needs no network."""

from __future__ import annotations

import re
from pathlib import Path

import networkx as nx

from tsinvest.widgets.graph_view import NO_CLUSTER_COLOUR, GraphView, cluster_colours, graph_payload

STATIC = Path(__file__).resolve().parents[2] / "tsinvest" / "widgets" / "static"


def test_bundle_is_self_contained_and_licensed():
    bundle = (STATIC / "graph_view.js").read_text(encoding="utf-8")
    assert str(GraphView._esm) == bundle  # anywidget serves this very file
    # No URL to fetch and no module import left for the browser to resolve: everything is inlined.
    assert re.search(r"https?://", bundle) is None
    # (graphology's Graph has an ``import(data)`` method: a static import would read ``import x from "..."``.)
    assert re.search(r"""(^|[;\n])import\s*(\w+\s*from|\{|\*|["'])""", bundle) is None
    assert re.search(r"""import\(\s*["'`]""", bundle) is None
    assert re.search(r"export\s*\{\s*\w+ as default\s*\};?\s*$", bundle.split("/*! ")[0].rstrip())
    licences = (STATIC / "THIRD_PARTY_LICENSES.txt").read_text(encoding="utf-8")
    assert "==== sigma 3." in licences and "==== graphology 0." in licences and licences.count("MIT") >= 2


def test_payload_keeps_ids_as_strings_and_colours_by_cluster_and_signal():
    G = nx.Graph()
    G.add_node("007", label="<b>x</b>", cluster="rep-1", score=0.5)
    G.add_node("10", label="y", cluster="amp-1", score=2.0)  # scores outside [0, 1] are clipped
    G.add_node("9", label="z", cluster="none", score=0.0)
    G.add_edge("9", "007", signal="co_report", weight=1.0)
    G.add_edge("007", "10", signal="unknown", weight=4.0)
    positions = {"007": (0.0, 0.0), "10": (1.0, 0.0), "9": (0.0, 1.0)}
    nodes, edges = graph_payload(G, positions, signal_colours={"co_report": "#d62728"})
    assert nodes["key"] == ["007", "10", "9"] and nodes["label"][0] == "<b>x</b>"  # text, drawn on a canvas
    assert nodes["size"] == [5.0, 8.0, 2.0]
    assert nodes["color"] == [cluster_colours(["amp-1", "rep-1"])["rep-1"], "#1f77b4", NO_CLUSTER_COLOUR]
    assert edges == {"source": ["007", "007"], "target": ["10", "9"], "size": [4.0, 0.5 + 3.5 / 4],
                     "color": ["#7f7f7f", "#d62728"]}


def test_show_graph_replaces_the_data_of_the_same_view():
    view = GraphView(height=200)
    first = nx.Graph([("1", "2", {"signal": "co_follow", "weight": 1.0})])
    view.show_graph(first, {"1": (0.0, 0.0), "2": (1.0, 1.0)}, signal_colours={})
    view.selected_node = "2"
    second = nx.Graph([("3", "4", {"signal": "co_follow", "weight": 1.0})])
    view.show_graph(second, {"3": (0.0, 0.0), "4": (1.0, 1.0)}, signal_colours={})
    assert view.nodes["key"] == ["3", "4"] and view.edges["source"] == ["3"] and view.version == 2
    assert view.selected_node == "2"  # the explorer decides what stays selected
