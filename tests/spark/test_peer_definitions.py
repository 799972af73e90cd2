"""Peer-compatible co-action definitions: the peers' rules spelled out, then the same SQL on DuckDB and Spark."""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tsinvest.exceptions import ParameterError
from tsinvest.linking.coordination import coordination_edges
from tsinvest.linking.peer_definitions import peer_coordination_edges
from tsinvest.portable_sql import render, to_spark

ACCOUNTS = ["0001", "10", "9", "u"]
TARGETS = ["t0", "t1", "é", 'q"']


def frame(rows) -> pd.DataFrame:
    accounts, targets, micros = zip(*rows, strict=True) if rows else ((), (), ())
    return pd.DataFrame(
        {
            "account_id": pd.array(list(accounts), dtype="string"),
            "target_id": pd.array(list(targets), dtype="string"),
            "ts": pd.to_datetime(np.asarray(micros, dtype="int64") * 1000, utc=True).as_unit("ns"),
        }
    )


def peers_by_hand(rows, window_us, definition, min_participation=1, percentile=None, min_weight=1):
    """CooRTweet's detect_groups + generate_coordinated_network and the toolkit's directed count, by hand."""
    rows = sorted(set(rows))
    per_account = Counter(a for a, _, _ in rows)
    rows = [r for r in rows if per_account[r[0]] >= min_participation]
    pairs = [
        (x, y)
        for x, y in itertools.combinations(rows, 2)
        if x[0] != y[0] and x[1] == y[1] and abs(x[2] - y[2]) <= window_us
    ]
    if min_participation > 1:
        contents = {r for pair in pairs for r in pair}
        qualified = {a for a, n in Counter(r[0] for r in contents).items() if n >= min_participation}
        pairs = [(x, y) for x, y in pairs if x[0] in qualified or y[0] in qualified]
    weights: dict = defaultdict(set)
    for x, y in pairs:
        if definition == "directed":
            weights[(x[0], y[0])].add(x)
            weights[(y[0], x[0])].add(y)
        else:
            key = (min(x[0], y[0]), max(x[0], y[0]))
            weights[key].add(x[1] if definition == "targets" else (x, y))
    edges = {key: len(values) for key, values in weights.items()}
    if percentile is not None and edges:
        threshold = np.quantile(list(edges.values()), percentile)
        edges = {key: w for key, w in edges.items() if w > threshold}
    return sorted(((a, b, w) for (a, b), w in edges.items() if w >= min_weight), key=lambda e: (-e[2], e[0], e[1]))


def triples(edges):
    return [(r.account_a, r.account_b, int(r.weight)) for r in edges.itertuples()]


rows_strategy = st.lists(
    st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(TARGETS), st.integers(-40, 40).map(lambda x: x * 500_000)),
    max_size=16,
)


@settings(max_examples=60, deadline=None)
@given(
    rows=rows_strategy,
    window=st.sampled_from([0, 1, 5, 10]),
    definition=st.sampled_from(["targets", "content_pairs", "directed"]),
    min_participation=st.integers(1, 3),
    percentile=st.sampled_from([None, 0.0, 0.5, 0.9]),
)
def test_local_definitions_match_the_peers_rules(rows, window, definition, min_participation, percentile):
    edges = peer_coordination_edges(
        frame(rows),
        definition=definition,
        window=window,
        min_participation=min_participation,
        edge_weight_percentile=percentile,
    )
    assert triples(edges) == peers_by_hand(rows, window * 1_000_000, definition, min_participation, percentile)


@settings(max_examples=30, deadline=None)
@given(rows=rows_strategy, window=st.sampled_from([0, 5, 10]), min_weight=st.integers(1, 2))
def test_targets_definition_is_the_kits_own_edges(rows, window, min_weight):
    expected = coordination_edges(frame(rows), window=window, min_weight=min_weight, max_actors_per_window=10**6)
    got = peer_coordination_edges(frame(rows), window=window, min_weight=min_weight)
    pd.testing.assert_frame_equal(got, expected)


def test_definitions_differ_only_on_repeated_actions_inside_the_window():
    once = [("a", "v1", 0), ("b", "v1", 1_000_000), ("a", "v2", 0), ("b", "v2", 2_000_000)]
    weights = {d: triples(peer_coordination_edges(frame(once), definition=d)) for d in ("targets", "content_pairs")}
    assert weights["targets"] == weights["content_pairs"] == [("a", "b", 2)]
    repeated = once + [("a", "v1", 3_000_000)]
    assert triples(peer_coordination_edges(frame(repeated), definition="targets")) == [("a", "b", 2)]
    assert triples(peer_coordination_edges(frame(repeated), definition="content_pairs")) == [("a", "b", 3)]
    assert triples(peer_coordination_edges(frame(repeated), definition="directed")) == [("a", "b", 3), ("b", "a", 2)]


def test_parameters_are_checked_together():
    with pytest.raises(ParameterError, match="definition.*min_participation"):
        peer_coordination_edges(frame([]), definition="coortweet", min_participation=0)


def test_macros_render_for_both_dialects():
    sql = "SELECT __tsinvest_floor_div(t, 7) AS b, __tsinvest_sorted_distinct(x) AS l FROM e"
    assert "pmod(t, 7)" in to_spark(sql) and "array_sort(collect_set(x))" in to_spark(sql)
    assert "list_sort(list(DISTINCT x))" in render(sql, "duckdb")
    with pytest.raises(ParameterError, match="unknown SQL macro"):
        render("SELECT __tsinvest_nope(x)", "duckdb")


@settings(max_examples=1, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    cases=st.lists(rows_strategy, min_size=25, max_size=40),
    window=st.sampled_from([0, 5, 10]),
    min_participation=st.integers(1, 3),
)
def test_spark_runs_the_same_sql_as_duckdb_batched(spark, cases, window, min_participation):
    """Every definition on Spark equals DuckDB: cases batched into one job each, ids prefixed, split after."""
    from tsinvest.spark import peer_coordination_edges as spark_edges

    batch = [(f"{n:02d}|{a}", f"{n:02d}|{t}", us) for n, rows in enumerate(cases) for a, t, us in rows]
    for definition in ("targets", "content_pairs", "directed"):
        combined = spark_edges(
            frame(batch), spark=spark, definition=definition, window=window, min_participation=min_participation
        ).to_pandas()
        for n, rows in enumerate(cases):
            prefix = f"{n:02d}|"
            mine = combined[combined["account_a"].str.startswith(prefix)].reset_index(drop=True)
            for column in ("account_a", "account_b"):
                mine[column] = mine[column].str.slice(len(prefix))
            mine["evidence"] = pd.array(
                [json.dumps([t[len(prefix) :] for t in json.loads(e)]) for e in mine["evidence"]], dtype="string"
            )
            expected = peer_coordination_edges(
                frame(rows), definition=definition, window=window, min_participation=min_participation
            )
            pd.testing.assert_frame_equal(mine, expected)


def test_spark_percentile_threshold_equals_duckdb(spark):
    from tsinvest.spark import peer_coordination_edges as spark_edges

    rng = np.random.default_rng(3)
    rows = [
        (f"a{rng.integers(0, 12)}", f"t{rng.integers(0, 6)}", int(rng.integers(0, 30)) * 1_000_000) for _ in range(120)
    ]
    for percentile in (0.75,):
        expected = peer_coordination_edges(
            frame(rows), definition="content_pairs", window=10, min_participation=3, edge_weight_percentile=percentile
        )
        assert len(expected) > 0
        got = spark_edges(
            frame(rows),
            spark=spark,
            definition="content_pairs",
            window=10,
            min_participation=3,
            edge_weight_percentile=percentile,
        ).to_pandas()
        pd.testing.assert_frame_equal(got, expected)
