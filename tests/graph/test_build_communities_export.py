import json

import networkx as nx
import pandas as pd
import pytest

from tsinvest.exceptions import ParameterError
from tsinvest.graph import account_graph, cluster_id_for, components, ego_network, k_core, louvain
from tsinvest.graph.export import edge_table, write_edge_csv, write_gexf, write_graphml, write_node_link_json

TS = pd.Timestamp("2026-03-02T00:00:00Z")


def edges(rows, signal):
    frame = pd.DataFrame(rows, columns=["account_a", "account_b", "weight"])
    return frame.assign(signal=signal, first_ts=TS, last_ts=TS + pd.Timedelta(seconds=5),
                        evidence=["e"] * len(frame))


def test_account_graph_merges_signals_and_orders_pairs():
    g = account_graph(edges([("0001", "0002", 2.0), ("0002", "0001", 1.0)], "co_share"),
                      edges([("0001", "0002", 0.5)], "shared_device_id"))
    data = g.edges["0001", "0002"]
    assert data["weights"] == {"co_share": 3.0, "shared_device_id": 0.5}
    assert data["signals"] == ("co_share", "shared_device_id")
    assert data["weight"] == 3.5
    assert set(g.nodes) == {"0001", "0002"}  # leading zeros kept


def test_account_graph_attaches_account_attributes_and_rejects_bad_frames():
    accounts = pd.DataFrame({"account_id": ["1", "2", "9"], "username": ["a", "b", "z"]})
    g = account_graph(edges([("1", "2", 1.0)], "s"), accounts=accounts)
    assert g.nodes["1"]["username"] == "a" and "9" not in g
    with pytest.raises(ParameterError, match="lacks column"):
        account_graph(pd.DataFrame({"account_a": ["1"]}))


def test_ego_network_hops_and_signal_filter():
    g = account_graph(edges([("a", "b", 1.0), ("b", "c", 1.0)], "s1"), edges([("c", "d", 1.0)], "s2"))
    assert sorted(ego_network(g, "a", hops=2)) == ["a", "b", "c"]
    assert sorted(ego_network(g, "b", hops=5, signals=["s1"])) == ["a", "b", "c"]
    with pytest.raises(ParameterError, match="not in the graph"):
        ego_network(g, "zzz")


def test_components_louvain_stable_ids_and_order_independence():
    ring = [(str(i), str(j), 5.0) for i in range(6) for j in range(i + 1, 6)]
    other = [(str(i), str(j), 5.0) for i in range(10, 16) for j in range(i + 1, 16)]
    frame = edges(ring + other + [("0", "10", 1.0)], "s")
    a = louvain(account_graph(frame), seed=3)
    b = louvain(account_graph(frame.iloc[::-1]), seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert a.groupby("cluster_id").size().tolist() == [6, 6]
    assert cluster_id_for([str(i) for i in range(6)]) in set(a["cluster_id"])
    assert components(account_graph(frame))["cluster_id"].nunique() == 1


def test_k_core_drops_periphery():
    g = nx.complete_graph(["a", "b", "c", "d"])
    g.add_edge("d", "tail")
    core = k_core(g, 3)
    assert sorted(core) == ["a", "b", "c", "d"] and core.nodes["a"]["core_number"] == 3


def test_exports_round_trip_with_lists_and_dicts(tmp_path):
    g = account_graph(edges([("0001", "0002", 2.0)], "co_share"), edges([("0001", "0002", 1.0)], "shared_ip"))
    g.nodes["0001"]["clusters"] = ["amp-1", "farm-2"]
    write_graphml(g, tmp_path / "g.graphml")
    write_gexf(g, tmp_path / "g.gexf")
    write_node_link_json(g, tmp_path / "g.json")
    write_edge_csv(g, tmp_path / "e.csv")
    back = nx.read_graphml(tmp_path / "g.graphml")
    assert json.loads(back.edges["0001", "0002"]["weights"]) == {"co_share": 2.0, "shared_ip": 1.0}
    assert json.loads(back.nodes["0001"]["clusters"]) == ["amp-1", "farm-2"]
    assert len(nx.read_gexf(tmp_path / "g.gexf").edges) == 1
    assert json.loads((tmp_path / "g.json").read_text())["edges"][0]["first_ts"] == "2026-03-02T00:00:00Z"
    csv = pd.read_csv(tmp_path / "e.csv", dtype=str)
    assert csv.loc[0, "account_a"] == "0001"
    assert list(tmp_path.glob("*.tmp")) == []
    assert edge_table(g).loc[0, "weight"] == 3.0


def test_xml_exports_survive_characters_xml_cannot_store(tmp_path):
    """A NUL or control character in a username or an id neither stops GraphML/GEXF nor breaks the file."""
    g = account_graph(edges([("0001\x00", "0002", 2.0)], "co_share"))
    g.nodes["0002"]["username"] = "=cmd|\x07\x1f<script>\u202e\ud800"
    for write, read in ((write_graphml, nx.read_graphml), (write_gexf, nx.read_gexf)):
        path = write(g, tmp_path / f"g.{write.__name__}")
        back = read(path)
        assert sorted(back.nodes) == ["0001\ufffd", "0002"]
        assert back.nodes["0002"]["username"] == "=cmd|\ufffd\ufffd<script>\u202e\ufffd"
    # JSON can hold every character: the id stays as it was.
    write_node_link_json(g, tmp_path / "g.json")
    assert {node["id"] for node in json.loads((tmp_path / "g.json").read_text())["nodes"]} == {"0001\x00", "0002"}


def test_leiden_depends_on_the_pairs_and_seed_only():
    """Row order, the direction of a pair and split rows of one pair change nothing; ids stay text."""
    import numpy as np

    from tsinvest.graph.communities import leiden

    rng = np.random.default_rng(4)
    ids = [f"{rng.integers(10**17, 10**18)}{i % 10}" for i in range(60)]
    rows = [(ids[i], ids[j], 1.0) for block in range(3) for i in range(20 * block, 20 * block + 20)
            for j in range(i + 1, 20 * block + 20) if rng.random() < 0.6]
    rows += [(ids[0], ids[25], 1.0), (ids[30], ids[45], 1.0)]
    edges = pd.DataFrame(rows, columns=["account_a", "account_b", "weight"])
    found = leiden(edges, seed=3, min_size=2)
    assert sorted(found.groupby("cluster_id").size().tolist()) == [20, 20, 20]
    assert set(found["account_id"]) == set(ids)
    shuffled = edges.sample(frac=1.0, random_state=1).rename(columns={"account_a": "account_b",
                                                                       "account_b": "account_a"})
    halves = pd.concat([edges.assign(weight=0.5), edges.assign(weight=0.5)], ignore_index=True)
    pd.testing.assert_frame_equal(leiden(shuffled, seed=3, min_size=2), found)
    pd.testing.assert_frame_equal(leiden(halves, seed=3, min_size=2), found)


def test_coded_pairs_drop_missing_ids_and_self_pairs():
    from tsinvest.graph.communities import coded_pairs

    edges = pd.DataFrame({"account_a": ["0042", None, "x", "0042"], "account_b": ["x", "x", "x", "x"],
                          "weight": [1.0, 5.0, 7.0, 2.0]}).astype({"account_a": "string", "account_b": "string"})
    names, low, high, weight = coded_pairs(edges)
    assert [(names[a], names[b]) for a, b in zip(low, high, strict=True)] == [("0042", "x")]
    assert weight.tolist() == [3.0]
