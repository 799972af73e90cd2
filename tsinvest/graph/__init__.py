"""Account graphs: build them from edge tables, find clusters in them, export them."""

from tsinvest.graph.build import account_graph, ego_network
from tsinvest.graph.communities import cluster_id_for, components, k_core, louvain
from tsinvest.graph.draw import draw_account_graph

__all__ = ["account_graph", "ego_network", "components", "louvain", "k_core", "cluster_id_for", "draw_account_graph"]
