"""Co-action edges on both engines: one contract, the local engine as reference, Spark in local mode."""

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
from tsinvest.linking.coordination import HotTargetWarning
from tsinvest.linking.coordination import coordination_edges as local_edges
from tsinvest.schemas import EDGE_COLUMNS

ACCOUNTS = ["0001", "0002", "10", "9", "1234567890123456789", "0999999999999999999"]
TARGETS = ["t0", "t1", "007", 'q"uote', "x\\y", "é", "\U0001f600", "a\x00b", "\u202eevil", "=HYPERLINK(1)"]


def events_frame(rows, *, actor="account_id", target="target_id", time="ts") -> pd.DataFrame:
    """rows: (account, target, microseconds since the epoch)."""
    accounts, targets, micros = zip(*rows, strict=True) if rows else ((), (), ())
    return pd.DataFrame(
        {
            actor: pd.array(list(accounts), dtype="string"),
            target: pd.array(list(targets), dtype="string"),
            time: pd.to_datetime(np.asarray(micros, dtype="int64") * 1000, utc=True).as_unit("ns"),
        }
    )


def brute_force(rows, window_us, min_weight, evidence_size=5):
    """The definition pair by pair (test oracle only): (a, b, weight, first_us, last_us, evidence)."""
    linked: dict = {}
    for (a, ta, sa), (b, tb, sb) in itertools.combinations(rows, 2):
        if a == b or ta != tb or abs(sa - sb) > window_us:
            continue
        entry = linked.setdefault((min(a, b), max(a, b)), [set(), None, None])
        entry[0].add(ta)
        entry[1] = min(sa, sb) if entry[1] is None else min(entry[1], sa, sb)
        entry[2] = max(sa, sb) if entry[2] is None else max(entry[2], sa, sb)
    records = [
        (a, b, len(targets), first, last, json.dumps(sorted(targets)[:evidence_size]))
        for (a, b), (targets, first, last) in linked.items()
        if len(targets) >= min_weight
    ]
    return sorted(records, key=lambda r: (-r[2], r[0], r[1]))


def records(edges: pd.DataFrame):
    return [
        (r.account_a, r.account_b, int(r.weight), r.first_ts.value // 1000, r.last_ts.value // 1000, r.evidence)
        for r in edges.itertuples()
    ]


# --------------------------------------------------------------------------- contract, both engines

EDGE_CASES = {
    "tie at exactly the window links": ([("a", "t0", 0), ("b", "t0", 60_000_000)], 60, 1),
    "one microsecond past does not": ([("a", "t0", 0), ("b", "t0", 60_000_001)], 60, 1),
    "window zero links equal times only": ([("a", "t0", 5), ("b", "t0", 5), ("c", "t0", 6)], 0, 1),
    "times before 1970": ([("a", "t0", -90_000_000), ("b", "t0", -40_000_000), ("a", "t1", -1), ("b", "t1", 1)], 60, 1),
    "string order, not numbers": ([("9", "t0", 0), ("10", "t0", 1), ("9", "t1", 0), ("10", "t1", 1)], 60, 2),
    "linked twice on one target counts once": ([("a", "t0", 0), ("b", "t0", 1), ("a", "t0", 2), ("b", "t0", 3)], 60, 1),
    "same account twice is not a pair": ([("a", "t0", 0), ("a", "t0", 1)], 60, 1),
    "hostile target ids in evidence": ([(a, t, 7) for t in TARGETS for a in ("u1", "u2")], 60, 1),
    "exact duplicates": ([("a", "t0", 3), ("a", "t0", 3), ("b", "t0", 3)], 60, 1),
    "bucket boundary": ([("a", "t0", 59_999_999), ("b", "t0", 60_000_000), ("c", "t0", 119_999_999)], 60, 1),
}


@pytest.mark.parametrize("case", list(EDGE_CASES), ids=list(EDGE_CASES))
def test_edge_cases_match_the_definition(engine, case):
    rows, window, min_weight = EDGE_CASES[case]
    edges = engine(events_frame(rows), window=window, min_weight=min_weight)
    assert list(edges.columns) == list(EDGE_COLUMNS)
    assert records(edges) == brute_force(rows, window * 1_000_000, min_weight)


def test_output_types_signal_and_action_filter(engine):
    frame = events_frame([("a", "t0", 0), ("b", "t0", 1), ("c", "t0", 2)]).assign(
        action=pd.array(["share", "share", "like"], dtype="string")
    )
    edges = engine(frame, action="share", min_weight=1)
    assert edges["signal"].tolist() == ["co_share"]
    assert str(edges["weight"].dtype) == "float64"
    assert str(edges["first_ts"].dtype) == "datetime64[ns, UTC]"
    assert isinstance(edges["account_a"].dtype, pd.StringDtype)


def test_hot_target_is_excluded_reported_and_warned(engine):
    crowd = [(f"{i:04d}", "viral", i) for i in range(6)]
    ring = [("r1", "a", 0), ("r2", "a", 1), ("r1", "b", 0), ("r2", "b", 1)]
    with pytest.warns(HotTargetWarning):
        edges = engine(events_frame(crowd + ring), max_actors_per_window=5)
    assert edges.attrs["excluded_targets"] == ["viral"]
    assert records(edges) == brute_force(ring, 60_000_000, 2)


def test_empty_input_gives_an_empty_edge_table(engine):
    edges = engine(events_frame([]))
    assert list(edges.columns) == list(EDGE_COLUMNS) and len(edges) == 0


def test_missing_columns_are_reported_together(engine):
    frame = events_frame([("a", "t0", 0)]).rename(columns={"account_id": "who", "ts": "when"})
    with pytest.raises(ParameterError, match="'account_id'.*'ts'"):
        engine(frame)


@pytest.mark.parametrize("kwargs", [{"window": -1}, {"min_weight": 0}, {"max_actors_per_window": 1}])
def test_parameters_are_checked(engine, kwargs):
    with pytest.raises(ParameterError):
        engine(events_frame([("a", "t0", 0)]), **kwargs)


def test_parquet_and_csv_files_keep_string_ids(engine, tmp_path):
    rows = [
        ("0007", "00", 0),
        ("1234567890123456789", "00", 1_000_000),
        ("0007", "01", 0),
        ("1234567890123456789", "01", 5),
    ]
    frame = events_frame(rows)
    frame.to_parquet(tmp_path / "events.parquet", coerce_timestamps="us")
    frame.assign(ts=frame["ts"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")).to_csv(tmp_path / "events.csv", index=False)
    expected = brute_force(rows, 60_000_000, 2)
    assert records(engine(tmp_path / "events.parquet")) == expected
    assert records(engine(str(tmp_path / "events.csv"))) == expected


# --------------------------------------------------------------------------- Spark only


def test_spark_refuses_times_finer_than_a_microsecond(spark):
    from tsinvest.spark import coordination_edges

    frame = events_frame([("a", "t0", 0)])
    frame["ts"] = frame["ts"] + pd.Timedelta(nanoseconds=1)
    with pytest.raises(ParameterError, match="microsecond"):
        coordination_edges(frame, spark=spark)
    with pytest.raises(ParameterError, match="SparkSession"):
        coordination_edges(events_frame([("a", "t0", 0)]))


def test_spark_dataframe_and_catalogue_table_sources(spark):
    from tsinvest.spark import coordination_edges

    rows = [("a", "t0", 0), ("b", "t0", 1), ("a", "t1", 0), ("b", "t1", 2)]
    frame = spark.createDataFrame(
        [(a, t, pd.Timestamp(us * 1000, tz="UTC").to_pydatetime()) for a, t, us in rows],
        "account_id string, target_id string, ts timestamp",
    )
    frame.createOrReplaceTempView("tsinvest_test_events")
    expected = brute_force(rows, 60_000_000, 2)
    assert records(coordination_edges(frame).to_pandas()) == expected
    assert records(coordination_edges("tsinvest_test_events", spark=spark).to_pandas()) == expected


case_rows = st.lists(
    st.tuples(
        st.sampled_from(ACCOUNTS[:4]),
        st.sampled_from(TARGETS[:4]),
        st.integers(min_value=-3_000_000, max_value=3_000_000).map(lambda x: x * 7),
    ),
    max_size=14,
)


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    cases=st.lists(case_rows, min_size=20, max_size=40),
    window=st.sampled_from([0, 1, 5, 30]),
    min_weight=st.integers(1, 2),
)
def test_many_cases_in_one_spark_job_equal_the_local_engine(spark, cases, window, min_weight):
    """Property-based cases batched: ids prefixed per case (order within a case kept), one job, split after."""
    from tsinvest.spark import coordination_edges

    batch = [(f"{n:03d}|{a}", f"{n:03d}|{t}", us) for n, rows in enumerate(cases) for a, t, us in rows]
    result = coordination_edges(
        events_frame(batch), spark=spark, window=window, min_weight=min_weight, max_actors_per_window=3
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotTargetWarning)
        combined = result.to_pandas()
    for n, rows in enumerate(cases):
        prefix = f"{n:03d}|"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HotTargetWarning)
            expected = local_edges(events_frame(rows), window=window, min_weight=min_weight, max_actors_per_window=3)
        mine = combined[combined["account_a"].str.startswith(prefix)].reset_index(drop=True)
        for column in ("account_a", "account_b"):
            mine[column] = mine[column].str.slice(len(prefix))
        mine["evidence"] = pd.array(
            [json.dumps([t[len(prefix) :] for t in json.loads(e)]) for e in mine["evidence"]], dtype="string"
        )
        pd.testing.assert_frame_equal(mine, expected)
        excluded = [t[len(prefix) :] for t in combined.attrs["excluded_targets"] if t.startswith(prefix)]
        assert excluded == expected.attrs["excluded_targets"]


@settings(max_examples=2, deadline=None)
@given(texts=st.lists(st.text(max_size=8), min_size=30, max_size=60))
def test_json_escape_is_python_json_in_one_job(spark, texts):
    from pyspark.sql import functions as F

    from tsinvest.spark.coordination import json_escape_column

    frame = spark.createDataFrame([(i, t) for i, t in enumerate(texts)], "i int, t string")
    escaped = [row[0] for row in frame.orderBy("i").select(json_escape_column(F.col("t"))).collect()]
    assert escaped == [json.dumps(t)[1:-1] for t in texts]


def _busy_events(seed=5):
    rng = np.random.default_rng(seed)
    rows = [(f"u{rng.integers(0, 40):02d}", "busy", int(rng.integers(0, 20_000_000))) for _ in range(300)]
    rows += [
        (f"u{rng.integers(0, 40):02d}", f"quiet{rng.integers(0, 30)}", int(rng.integers(0, 10**9))) for _ in range(300)
    ]
    rows += [(f"v{i:02d}", "crowd", i * 1000) for i in range(30)]
    return events_frame(rows)


def test_hot_window_cap_equals_local_and_salting_does_not_change_edges(spark):
    from tsinvest.spark import coordination_edges

    frame = _busy_events()
    with pytest.warns(HotTargetWarning):
        expected = local_edges(frame, window=20, min_weight=1, max_actors_per_window=29)
    assert expected.attrs["excluded_targets"] == ["busy", "crowd"]
    with pytest.warns(HotTargetWarning):
        capped = coordination_edges(frame, spark=spark, window=20, min_weight=1, max_actors_per_window=29).to_pandas()
    pd.testing.assert_frame_equal(capped, expected)
    assert capped.attrs["excluded_targets"] == expected.attrs["excluded_targets"]

    uncapped = local_edges(frame, window=20, min_weight=1, max_actors_per_window=10**6)
    plain = coordination_edges(frame, spark=spark, window=20, min_weight=1, max_actors_per_window=10**6)
    salted = coordination_edges(
        frame, spark=spark, window=20, min_weight=1, max_actors_per_window=10**6, salt_partitions=4, salt_min_events=20
    )
    assert "salt" in salted.edges._jdf.queryExecution().optimizedPlan().toString()
    pd.testing.assert_frame_equal(plain.to_pandas(), uncapped)
    pd.testing.assert_frame_equal(salted.to_pandas(), uncapped)


def test_plan_joins_on_the_bucket_without_cartesian_or_nested_loop(spark):
    from tsinvest.spark import coordination_edges

    frame = _busy_events(seed=9)
    previous = spark.conf.get("spark.sql.autoBroadcastJoinThreshold")
    spark.conf.set("spark.sql.autoBroadcastJoinThreshold", "-1")  # once: the shuffle path must run too
    try:
        result = coordination_edges(frame, spark=spark, window=20, min_weight=1, max_actors_per_window=10**6)
        edges = result.to_pandas()
        plan = result.edges._jdf.queryExecution().executedPlan().toString()
    finally:
        spark.conf.set("spark.sql.autoBroadcastJoinThreshold", previous)
    assert "CartesianProduct" not in plan and "NestedLoopJoin" not in plan
    joins = [line for line in plan.splitlines() if "SortMergeJoin" in line]
    assert any("bucket" in line and "target" in line for line in joins), plan
    pd.testing.assert_frame_equal(edges, local_edges(frame, window=20, min_weight=1, max_actors_per_window=10**6))


def test_windowed_pairs_count_the_local_sweeps_rows(spark):
    """Pairs of two accounts only (one account's repeats are not pairs), ties counted once, hot targets out."""
    from tsinvest.linking.coordination import coordination_edges as local_engine
    from tsinvest.spark import coordination_edges

    rows = [("1", "t", 0), ("1", "t", 1_000_000), ("2", "t", 1_000_000), ("3", "t", 1_000_000), ("2", "t", 90_000_000),
            ("1", "u", 5), ("2", "u", 5), ("1", "u", 6)] + [(str(10 + n), "hot", n) for n in range(5)]
    frame = events_frame(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotTargetWarning)
        expected = local_engine(frame, window=60, min_weight=1, max_actors_per_window=4).attrs["stats"]
        result = coordination_edges(frame, spark=spark, window=60, min_weight=1, max_actors_per_window=4)
        assert result.windowed_pairs() == expected["windowed_pairs"] == 7
        result.to_pandas()
