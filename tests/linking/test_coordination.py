"""Tests of tsinvest.linking.coordination: the definition against brute force, inputs, hot targets."""

from __future__ import annotations

import itertools
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tsinvest.exceptions import ParameterError
from tsinvest.linking import coordination
from tsinvest.linking.coordination import HotTargetWarning, coordination_edges
from tsinvest.schemas import EDGE_COLUMNS

ACCOUNTS = ["0001", "0002", "10", "9", "1234567890123456789", "0999999999999999999"]
TARGETS = ["t0", "t1", "t2", "007", "x"]


def events_frame(rows, *, actor="account_id", target="target_id", time="ts") -> pd.DataFrame:
    """rows: (account, target, seconds)."""
    accounts, targets, seconds = zip(*rows, strict=True) if rows else ((), (), ())
    return pd.DataFrame(
        {
            actor: pd.array(list(accounts), dtype="string"),
            target: pd.array(list(targets), dtype="string"),
            time: pd.to_datetime(np.asarray(seconds, dtype="float64") * 1e9, utc=True).as_unit("ns"),
        }
    )


def brute_force(rows, window, min_weight, evidence_size=5):
    """The definition, spelled out pair by pair (test oracle only)."""
    linked: dict[tuple[str, str], dict] = {}
    for (a, ta, sa), (b, tb, sb) in itertools.combinations(rows, 2):
        if a == b or ta != tb or abs(sa - sb) > window:
            continue
        key = (min(a, b), max(a, b))
        entry = linked.setdefault(key, {"targets": set(), "first": np.inf, "last": -np.inf})
        entry["targets"].add(ta)
        entry["first"] = min(entry["first"], sa, sb)
        entry["last"] = max(entry["last"], sa, sb)
    records = []
    for (a, b), entry in linked.items():
        if len(entry["targets"]) >= min_weight:
            records.append(
                {
                    "account_a": a,
                    "account_b": b,
                    "weight": len(entry["targets"]),
                    "first": entry["first"],
                    "last": entry["last"],
                    "evidence": json.dumps(sorted(entry["targets"])[:evidence_size]),
                }
            )
    records.sort(key=lambda r: (-r["weight"], r["account_a"], r["account_b"]))
    return records


def as_records(edges: pd.DataFrame):
    return [
        {
            "account_a": row.account_a,
            "account_b": row.account_b,
            "weight": int(row.weight),
            "first": row.first_ts.value / 1e9,
            "last": row.last_ts.value / 1e9,
            "evidence": row.evidence,
        }
        for row in edges.itertuples()
    ]


event_rows = st.lists(
    st.tuples(
        st.sampled_from(ACCOUNTS),
        st.sampled_from(TARGETS),
        # Whole seconds make exact ties at the window edge frequent; quarter
        # seconds exercise sub-second times.
        st.integers(0, 400).map(float) | st.integers(0, 1600).map(lambda q: q / 4),
    ),
    max_size=60,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=event_rows, window=st.sampled_from([0, 1, 10, 30, 60, 2.5]), min_weight=st.integers(1, 3))
def test_matches_brute_force(rows, window, min_weight):
    edges = coordination_edges(events_frame(rows), window=window, min_weight=min_weight, evidence_size=2)
    assert as_records(edges) == brute_force(rows, window, min_weight, evidence_size=2)


@settings(max_examples=25, deadline=None)
@given(rows=event_rows, window=st.sampled_from([0, 10, 60]))
def test_chunked_sweep_gives_the_same_edges(rows, window):
    whole = coordination_edges(events_frame(rows), window=window, min_weight=1)
    original = coordination._CHUNK_EVENTS
    coordination._CHUNK_EVENTS = 3
    try:
        chunked = coordination_edges(events_frame(rows), window=window, min_weight=1)
    finally:
        coordination._CHUNK_EVENTS = original
    pd.testing.assert_frame_equal(whole, chunked)


def test_tie_at_exactly_window_links_and_one_past_does_not():
    rows = [("a", "t1", 0), ("b", "t1", 60), ("a", "t2", 0), ("b", "t2", 60.000001)]
    edges = coordination_edges(events_frame(rows), window=60, min_weight=1)
    assert edges["evidence"].tolist() == ['["t1"]']


def test_pair_linked_twice_on_one_target_counts_once():
    rows = [("a", "t1", 0), ("b", "t1", 5), ("a", "t1", 500), ("b", "t1", 505)]
    assert coordination_edges(events_frame(rows), window=60, min_weight=2).empty
    edges = coordination_edges(events_frame(rows), window=60, min_weight=1)
    assert edges["weight"].tolist() == [1]
    assert edges["first_ts"].iloc[0] == pd.Timestamp(0, unit="s", tz="UTC")
    assert edges["last_ts"].iloc[0] == pd.Timestamp(505, unit="s", tz="UTC")


def test_same_account_twice_is_not_a_pair():
    rows = [("a", "t1", 0), ("a", "t1", 1), ("a", "t2", 0), ("a", "t2", 1)]
    assert coordination_edges(events_frame(rows), window=60, min_weight=1).empty


def test_output_contract_types_and_order():
    rows = [
        ("0002", "v1", 0), ("0001", "v1", 10), ("0003", "v1", 20),
        ("0002", "v2", 100), ("0001", "v2", 130),
        ("0003", "v3", 0), ("0002", "v3", 1),
    ]
    edges = coordination_edges(events_frame(rows), window=60, min_weight=1)
    assert tuple(edges.columns) == EDGE_COLUMNS
    assert edges[["account_a", "account_b", "weight"]].values.tolist() == [
        ["0001", "0002", 2], ["0002", "0003", 2], ["0001", "0003", 1],
    ]
    assert isinstance(edges["account_a"].dtype, pd.StringDtype)
    assert str(edges["first_ts"].dtype) == "datetime64[ns, UTC]"
    assert (edges["signal"] == "co_action").all()
    assert edges.attrs["stats"]["edges"] == 3
    assert edges.attrs["excluded_targets"] == []


def test_action_filter_and_default_signal():
    frame = events_frame([("a", "v", 0), ("b", "v", 1), ("a", "w", 0), ("b", "w", 1)])
    frame["action"] = pd.array(["share", "share", "like", "like"], dtype="string")
    edges = coordination_edges(frame, action="share", min_weight=1)
    assert edges["signal"].tolist() == ["co_share"]
    assert edges["evidence"].tolist() == ['["v"]']


def test_mass_report_columns():
    frame = events_frame(
        [("r1", "victim1", 0), ("r2", "victim1", 3), ("r1", "victim2", 50), ("r2", "victim2", 52)],
        actor="reporter_id", target="target_account_id",
    )
    edges = coordination_edges(frame, actor="reporter_id", target="target_account_id", signal="co_report")
    assert edges[["account_a", "account_b", "signal", "weight"]].values.tolist() == [["r1", "r2", "co_report", 2]]


def test_evidence_is_capped_and_sorted():
    rows = [(account, f"t{i:02d}", i * 1000) for i in range(8) for account in ("a", "b")]
    edges = coordination_edges(events_frame(rows), window=1, min_weight=1, evidence_size=3)
    assert edges["weight"].tolist() == [8]
    assert json.loads(edges["evidence"].iloc[0]) == ["t00", "t01", "t02"]


def test_hot_target_is_excluded_reported_and_warned():
    crowd = [(f"fan{i:03d}", "viral", i * 0.1) for i in range(30)]
    ring = [("a", "viral", 0), ("b", "viral", 1), ("a", "p1", 0), ("b", "p1", 1), ("a", "p2", 0), ("b", "p2", 1)]
    with pytest.warns(HotTargetWarning, match="1 target"):
        edges = coordination_edges(events_frame(crowd + ring), window=60, min_weight=1, max_actors_per_window=20)
    assert edges.attrs["excluded_targets"] == ["viral"]
    assert edges[["account_a", "account_b", "weight"]].values.tolist() == [["a", "b", 2]]
    # Many actions by few accounts do not make a target hot.
    spam = [("a", "busy", i * 0.5) for i in range(50)] + [("b", "busy", 3)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        edges = coordination_edges(events_frame(spam), window=60, min_weight=1, max_actors_per_window=20)
    assert edges["weight"].tolist() == [1]


def test_parquet_and_csv_files_keep_string_ids(tmp_path):
    rows = [("0001", "007", 0), ("1234567890123456789", "007", 30), ("0001", "08", 100),
            ("1234567890123456789", "08", 90)]
    frame = events_frame(rows)
    frame["action"] = pd.array(["share"] * 4, dtype="string")
    expected = coordination_edges(frame, min_weight=2)
    parquet = tmp_path / "events.parquet"
    frame.to_parquet(parquet)
    csv = tmp_path / "events.csv"
    text = frame.assign(ts=frame["ts"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    text.to_csv(csv, index=False)
    for source in (parquet, str(csv)):
        edges = coordination_edges(source, min_weight=2, action="share")
        assert edges[["account_a", "account_b", "weight", "evidence"]].values.tolist() == [
            ["0001", "1234567890123456789", 2, '["007", "08"]']
        ]
        pd.testing.assert_frame_equal(
            edges.drop(columns="signal"), expected.drop(columns="signal"), check_dtype=True
        )


def test_table_of_a_connection(tmp_path):
    import duckdb

    frame = events_frame([("a", "v", 0), ("b", "v", 1)])
    with duckdb.connect() as con:
        con.register("events_view", frame)
        con.execute("CREATE TABLE events AS SELECT * FROM events_view").fetchall()
        edges = coordination_edges("events", connection=con, min_weight=1)
    assert edges[["account_a", "account_b"]].values.tolist() == [["a", "b"]]


def test_empty_input_gives_an_empty_edge_table():
    edges = coordination_edges(events_frame([]), min_weight=1)
    assert tuple(edges.columns) == EDGE_COLUMNS
    assert edges.empty


def test_missing_columns_are_reported_together_without_values():
    frame = events_frame([("secret_account", "v", 0)]).rename(columns={"account_id": "who", "ts": "when"})
    with pytest.raises(ParameterError) as error:
        coordination_edges(frame)
    message = str(error.value)
    assert "'account_id'" in message and "'ts'" in message
    assert "secret_account" not in message


@pytest.mark.parametrize(
    "change, fragment",
    [
        (lambda f: f.assign(ts=f["ts"].dt.tz_localize(None)), "timezone-aware"),
        (lambda f: f.assign(account_id=np.arange(len(f))), "string ids"),
    ],
)
def test_bad_types_are_refused(change, fragment):
    with pytest.raises(ParameterError, match=fragment):
        coordination_edges(change(events_frame([("a", "v", 0), ("b", "v", 1)])))


@pytest.mark.parametrize(
    "kwargs", [{"window": -1}, {"min_weight": 0}, {"evidence_size": -1}, {"max_actors_per_window": 1}]
)
def test_parameters_are_checked(kwargs):
    with pytest.raises(ParameterError):
        coordination_edges(events_frame([("a", "v", 0)]), **kwargs)


def test_unknown_file_kind_and_missing_file(tmp_path):
    other = tmp_path / "events.json"
    other.write_text("{}")
    with pytest.raises(ParameterError, match="neither Parquet"):
        coordination_edges(other)
    with pytest.raises(ParameterError, match="not an existing file"):
        coordination_edges(tmp_path / "nope.parquet")


def _summary_tuple(summary):
    return (summary.pairs, summary.weight, summary.first, summary.last, summary.evidence_offsets,
            summary.evidence_targets)


def _sorted_by_pair(summary):
    """Partitions return pairs in hash order; compare them in pair order."""
    order = np.argsort(summary.pairs, kind="stable")
    counts = np.diff(summary.evidence_offsets)
    pieces = np.split(summary.evidence_targets, np.cumsum(counts)[:-1])
    return (
        summary.pairs[order], summary.weight[order], summary.first[order], summary.last[order],
        counts[order], np.concatenate([pieces[k] for k in order]) if len(order) else summary.evidence_targets,
    )


def test_partitions_streams_spill_batches_and_splits_keep_the_exact_summary(tmp_path, monkeypatch):
    from tsinvest.linking import _sweep

    rng = np.random.default_rng(3)
    n = 3000
    actor = rng.integers(0, 40, n).astype(np.int32)
    target = rng.integers(0, 30, n).astype(np.int32)
    time = rng.integers(0, 2000, n).astype(np.int64) * 10**9
    actor, target, time = _sweep.sort_events(actor, target, time)
    bounds = _sweep.chunk_bounds(target, 500)

    def run(partitions, budget, streams, batch_rows):
        with _sweep.PairRows(partitions, budget, streams=streams, directory=tmp_path) as rows:
            windowed = _sweep.sweep_into(rows, actor, target, time, 60 * 10**9, 40, bounds, batch_rows=batch_rows)
            summary = _sweep.summarize(rows, 2, 3, workers=streams)
            spilled = rows.spilled_rows
            assert rows.spill_directory is None or any(tmp_path.iterdir())
        return windowed, spilled, _sorted_by_pair(summary)

    windowed, spilled, expected = run(1, 1 << 40, 1, 10**9)
    assert spilled == 0 and windowed > 1000 and len(expected[0]) > 10
    # 16 partitions, a budget of ~50 rows (so rows go to disk many times), two
    # threads, and batches of 37 rows, which cut targets in the middle: a
    # target's rows then span several batches of one stream.
    windowed_small, spilled_small, got = run(16, 50 * 16, 2, 37)
    assert windowed_small == windowed and spilled_small > windowed // 2
    for left, right in zip(expected, got, strict=True):
        np.testing.assert_array_equal(left, right)
    assert list(tmp_path.iterdir()) == []  # the spill directory is removed

    # A batch smaller than one event's partners grows instead of stalling.
    windowed_tiny, _, tiny = run(4, 1 << 40, 1, 1)
    assert windowed_tiny == windowed
    for left, right in zip(expected, tiny, strict=True):
        np.testing.assert_array_equal(left, right)

    # Re-splitting big partitions before aggregation.
    monkeypatch.setattr(_sweep, "_SPLIT_ROWS", 100)
    _, _, split = run(2, 1 << 40, 2, 10**9)
    for left, right in zip(expected, split, strict=True):
        np.testing.assert_array_equal(left, right)

    # Every row written in place in one set of columns (the path under the
    # memory budget), with re-splitting still on: the same summary.
    in_memory = _sweep.sweep_in_memory(
        actor, target, time, 60 * 10**9, 40, bounds, bits=4, budget_bytes=1 << 40, workers=2
    )
    assert in_memory is not None
    columns, partition_starts = in_memory
    assert len(partition_starts) == 17 and partition_starts[-1] == windowed
    placed = _sorted_by_pair(_sweep.summarize_in_memory(columns, partition_starts, 2, 3, workers=2))
    for left, right in zip(expected, placed, strict=True):
        np.testing.assert_array_equal(left, right)
    row_bytes = _sweep.PairRows(1, 1).row_dtype.itemsize
    assert _sweep.sweep_in_memory(
        actor, target, time, 60 * 10**9, 40, bounds, bits=4, budget_bytes=windowed * row_bytes - 1
    ) is None


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(rows=event_rows, window=st.sampled_from([0, 10, 60]), min_weight=st.integers(1, 3))
def test_partitioned_spilled_run_matches_brute_force(rows, window, min_weight, tmp_path, monkeypatch):
    from tsinvest.linking import _sweep

    monkeypatch.setattr(coordination, "_CHUNK_EVENTS", 4)
    monkeypatch.setattr(coordination, "_BATCH_ROWS", 3)  # targets cut across batches
    monkeypatch.setattr(coordination, "_ROW_MEMORY_BYTES", 64)
    monkeypatch.setattr(coordination, "_SPILL_DIRECTORY", str(tmp_path))
    monkeypatch.setattr(coordination, "_partition_count", lambda events: 8)
    monkeypatch.setattr(_sweep, "_SPLIT_ROWS", 5)
    edges = coordination_edges(events_frame(rows), window=window, min_weight=min_weight, evidence_size=2)
    assert as_records(edges) == brute_force(rows, window, min_weight, evidence_size=2)
    assert not any(tmp_path.glob("tsinvest-coordination-*"))


@settings(max_examples=40, deadline=None)
@given(rows=event_rows, window=st.sampled_from([0, 10, 60]), min_weight=st.integers(1, 3))
def test_in_memory_run_with_small_chunks_and_partitions_matches_brute_force(rows, window, min_weight):
    from tsinvest.linking import _sweep

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(coordination, "_CHUNK_EVENTS", 4)
        patch.setattr(coordination, "_partition_count", lambda events: 8)
        patch.setattr(_sweep, "_SPLIT_ROWS", 5)
        edges = coordination_edges(events_frame(rows), window=window, min_weight=min_weight, evidence_size=2)
    assert edges.attrs["stats"]["spilled_pairs"] == 0
    assert as_records(edges) == brute_force(rows, window, min_weight, evidence_size=2)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 70_000), st.integers(0, 6)), max_size=80
    ),
    in_time_order=st.booleans(),
)
def test_sort_events_orders_and_drops_exact_duplicates(rows, in_time_order):
    from tsinvest.linking import _sweep

    if in_time_order:
        rows = sorted(rows, key=lambda row: row[2])
    actor = np.array([r[0] for r in rows], dtype=np.int32)
    target = np.array([r[1] for r in rows], dtype=np.int32)
    time = np.array([r[2] for r in rows], dtype=np.int64)
    got = _sweep.sort_events(actor, target, time)
    expected = sorted(set(rows), key=lambda r: (r[1], r[2], r[0]))
    assert list(zip(*(column.tolist() for column in got), strict=True)) == expected or (not rows and not len(got[0]))


@pytest.mark.parametrize(
    "make_column",
    [
        lambda pa, pc, values: pa.array(values),
        lambda pa, pc, values: pa.chunked_array([pa.array(values[:2]), pa.array(values[2:])]),
        # Chunks that arrive dictionary-encoded each with their own dictionary.
        lambda pa, pc, values: pa.chunked_array(
            [pc.dictionary_encode(pa.array(values[:2])), pc.dictionary_encode(pa.array(values[2:]))]
        ),
    ],
)
def test_encode_strings_codes_follow_string_order(make_column):
    import pyarrow as pa
    import pyarrow.compute as pc

    from tsinvest.linking import _sweep

    values = ["0999", "10", "9", "0999", "1234567890123456789", "10"]
    codes, names = _sweep.encode_strings(make_column(pa, pc, values))
    assert names.to_pylist() == sorted(set(values))
    assert [names[int(code)].as_py() for code in codes] == values
    empty_codes, empty_names = _sweep.encode_strings(pa.chunked_array([], type=pa.string()))
    assert len(empty_codes) == 0 and len(empty_names) == 0


def test_hot_target_warning_is_the_exceptions_class_re_exported():
    import tsinvest.exceptions

    assert coordination.HotTargetWarning is tsinvest.exceptions.HotTargetWarning
    assert "HotTargetWarning" in coordination.__all__ and "HotTargetWarning" in tsinvest.exceptions.__all__


@pytest.mark.parametrize("max_weight", [5, 70_000])
def test_output_order_is_weight_descending_then_pair_code(max_weight):
    rng = np.random.default_rng(11)
    n_actors = 300
    pairs = rng.choice(n_actors * n_actors, size=2000, replace=False).astype(np.int64)
    weight = rng.integers(1, max_weight + 1, size=len(pairs)).astype(np.int64)
    order = coordination._output_order(weight, pairs, n_actors)
    expected = np.lexsort((pairs % n_actors, pairs // n_actors, -weight))
    np.testing.assert_array_equal(order, expected)
    assert len(coordination._output_order(weight[:0], pairs[:0], n_actors)) == 0


def test_ragged_take_reorders_whole_lists():
    offsets = np.array([0, 2, 2, 5, 6])
    values = np.array([10, 11, 20, 21, 22, 30], dtype=np.int32)
    new_offsets, new_values = coordination._ragged_take(offsets, values, np.array([3, 0, 2, 1]))
    assert new_offsets.tolist() == [0, 1, 3, 6, 6]
    assert new_values.tolist() == [30, 10, 11, 20, 21, 22]
