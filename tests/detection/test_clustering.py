"""cluster_family: dense components whole, sparse ones split by Leiden, hidden dense groups split out."""

import numpy as np
import pandas as pd

from tsinvest.detection.clustering import SPLIT_MIN_ACCOUNTS, cluster_family
from tsinvest.graph.communities import leiden


def _ring_in_a_web(seed: int = 3) -> pd.DataFrame:
    """A 12-account clique whose members also touch a sparse 600-account web (blend-in activity)."""
    rng = np.random.default_rng(seed)
    web = [f"w{i:03d}" for i in range(600)]
    ring = [f"r{i:02d}" for i in range(12)]
    rows = [(web[i], web[j], 2.0) for i in range(600) for j in rng.choice(600, 2, replace=False) if i != j]
    for i in range(12):
        rows += [(ring[i], ring[j], 2.0) for j in range(i + 1, 12)]
        rows += [(ring[i], web[j], 2.0) for j in rng.choice(600, 12, replace=False)]
    return pd.DataFrame(rows, columns=["account_a", "account_b", "weight"])


def _density(edges: pd.DataFrame, members: set[str]) -> float:
    inner = edges[edges["account_a"].isin(members) & edges["account_b"].isin(members)]
    pairs = {tuple(sorted(pair)) for pair in zip(inner["account_a"], inner["account_b"], strict=True)}
    return len(pairs) / (len(members) * (len(members) - 1) / 2)


def _cluster_holding_most_of_the_ring(table: pd.DataFrame) -> set[str]:
    ring_rows = table[table["account_id"].str.startswith("r")]
    biggest = ring_rows.groupby("cluster_id").size().sort_values(ascending=False).index[0]
    return set(table.loc[table["cluster_id"] == biggest, "account_id"])


def test_a_clique_merged_into_a_sparse_community_is_split_out():
    edges = _ring_in_a_web()
    merged = _cluster_holding_most_of_the_ring(leiden(edges, seed=0, min_size=3))
    # Modularity's resolution limit: the ring drowns in a large community of its neighbours.
    assert len(merged) >= SPLIT_MIN_ACCOUNTS and _density(edges, merged) < 0.5

    found = _cluster_holding_most_of_the_ring(cluster_family(edges, seed=0, min_size=3, prefix="amp"))
    assert sum(account.startswith("r") for account in found) >= 10
    assert _density(edges, found) >= 0.5


def test_a_homogeneous_sparse_group_is_not_split():
    """Forty accounts each linked to six random others: no dense group inside, so one cluster stays."""
    rng = np.random.default_rng(5)
    rows = [(f"a{i:02d}", f"a{j:02d}", 2.0) for i in range(40) for j in rng.choice(40, 6, replace=False) if i != j]
    edges = pd.DataFrame(rows, columns=["account_a", "account_b", "weight"])
    plain = leiden(edges, seed=0, min_size=3)
    family = cluster_family(edges, seed=0, min_size=3, prefix="amp", dense_component=0.9)
    assert family.groupby("cluster_id").size().sort_values().tolist() == plain.groupby("cluster_id").size(
    ).sort_values().tolist()


def test_a_loose_whole_component_also_yields_its_parts():
    """Two 10-cliques joined by 21 edges: one component of density 0.58, whole at ``dense_component`` 0.5.
    Below ``also_split_below`` its two cliques are added beside it, so one account sits in two clusters."""
    left = [f"a{i}" for i in range(10)]
    right = [f"b{i}" for i in range(10)]
    rows = [(group[i], group[j], 1.0) for group in (left, right) for i in range(10) for j in range(i + 1, 10)]
    rows += [(left[i], right[j], 1.0) for i in range(10) for j in range(10) if i - j >= 4]
    edges = pd.DataFrame(rows, columns=["account_a", "account_b", "weight"])
    assert 0.5 <= _density(edges, set(left + right)) < 0.7

    whole = cluster_family(edges, seed=0, min_size=5, prefix="rep")
    assert whole.groupby("cluster_id").size().tolist() == [20]
    both = cluster_family(edges, seed=0, min_size=5, prefix="rep", also_split_below=0.7)
    clusters = {frozenset(members) for members in both.groupby("cluster_id")["account_id"].agg(set)}
    assert clusters == {frozenset(left), frozenset(right), frozenset(left + right)}


def _two_cliques_beside_a_web(large: int, small: int, cross: tuple[int, int]) -> tuple[pd.DataFrame, list, list]:
    """Two cliques joined by light edges, a chain of 20 hanging off them, and a separate 2,000-account web."""
    rng = np.random.default_rng(7)
    web = [f"w{i:04d}" for i in range(2000)]
    rows = [(web[i], web[j], 2.0) for i in range(2000) for j in rng.choice(2000, 2, replace=False) if i != j]
    left, right = [f"a{i:02d}" for i in range(large)], [f"b{i:02d}" for i in range(small)]
    chain = [f"t{i:02d}" for i in range(20)]
    rows += [(group[i], group[j], 1.0) for group in (left, right) for i in range(len(group))
             for j in range(i + 1, len(group))]
    rows += [(a, b, 0.3) for a in left[:cross[0]] for b in right[:cross[1]]]
    rows += [(chain[i], chain[j], 1.0) for i in range(20) for j in range(i + 1, min(i + 4, 20))]
    rows += [(chain[0], left[0], 0.3)]
    return pd.DataFrame(rows, columns=["account_a", "account_b", "weight"]), left, right


def _clusters(table: pd.DataFrame) -> list[set[str]]:
    return [set(members) for members in table.groupby("cluster_id")["account_id"].agg(set)]


def test_a_loose_leiden_community_of_fifty_also_yields_its_parts():
    """Cliques of 34 and 16 joined by 126 light edges sit in a sparse component beside a big web. Leiden on all
    of it keeps them as one community of 50, density 0.66 (the resolution limit: the web makes the graph big);
    split on its own edges, it yields both."""
    edges, large, small = _two_cliques_beside_a_web(34, 16, (14, 9))
    merged = set(large + small)
    assert merged in _clusters(leiden(edges, seed=0, min_size=5))
    assert len(merged) >= SPLIT_MIN_ACCOUNTS and 0.5 <= _density(edges, merged) < 0.7

    family = _clusters(cluster_family(edges, seed=0, min_size=5, prefix="farm", dense_component=0.5,
                                      also_split_below=0.7))
    assert merged in family and set(large) in family and set(small) in family
    without = _clusters(cluster_family(edges, seed=0, min_size=5, prefix="farm", dense_component=0.5))
    assert set(small) not in without


def test_a_loose_leiden_community_under_fifty_is_not_parted():
    """The same shape with cliques of 20 and 10: small communities are not parted (organic co-followers would
    yield focused little groups)."""
    edges, large, small = _two_cliques_beside_a_web(20, 10, (8, 7))
    merged = set(large + small)
    assert merged in _clusters(leiden(edges, seed=0, min_size=5))
    family = _clusters(cluster_family(edges, seed=0, min_size=5, prefix="farm", dense_component=0.5,
                                      also_split_below=0.7))
    assert merged in family and set(small) not in family
