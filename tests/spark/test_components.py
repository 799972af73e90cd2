"""Connected components on Spark DataFrames equal tsinvest.graph.components (networkx)."""

from __future__ import annotations

import networkx as nx
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tsinvest.graph import components

NODES = ["0001", "1", "10", "9", "a", "b", "c", "d", "e", "f", "g", "h", "é", "z"]


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    graphs=st.lists(
        st.lists(st.tuples(st.sampled_from(NODES), st.sampled_from(NODES)), max_size=14), min_size=6, max_size=10
    ),
    min_size=st.integers(1, 3),
)
def test_components_equal_networkx_batched(spark, graphs, min_size):
    """Graphs batched in one Spark run (node ids prefixed per graph), split afterwards."""
    from tsinvest.spark import connected_components

    rows = [(f"{n}|{a}", f"{n}|{b}") for n, edges in enumerate(graphs) for a, b in edges if a != b]
    frame = spark.createDataFrame(rows or [("x", "x")], "account_a string, account_b string")
    if not rows:
        frame = frame.limit(0)
    got = connected_components(frame, min_size=min_size).toPandas().astype("string")
    expected = components(nx.Graph([(a, b) for a, b in rows]), min_size=min_size)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected)


def test_a_long_path_converges(spark):
    from tsinvest.spark import connected_components

    path = [(f"n{i:03d}", f"n{i + 1:03d}") for i in range(0, 60)][::-1]
    frame = spark.createDataFrame(path, "account_a string, account_b string")
    got = connected_components(frame).toPandas().astype("string")
    pd.testing.assert_frame_equal(got, components(nx.Graph(path)))
