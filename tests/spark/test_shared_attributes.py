"""Shared-attribute edges: the same query on DuckDB and Spark, the same table."""

from __future__ import annotations

import json

import pandas as pd
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tsinvest.linking.shared_attributes import shared_attribute_edges, value_weight

ACCOUNTS = ["0001", "1", "10", "9", "é", 'q"', "z"]
VALUES = ["d1", "d2", "0", "é\x01", 'a"b\\c', " ", "\u2028"]


def logins(rows) -> pd.DataFrame:
    accounts, devices, ips, seconds = zip(*rows, strict=True) if rows else ((), (), (), ())
    return pd.DataFrame(
        {
            "account_id": pd.array(list(accounts), dtype="string"),
            "device_id": pd.array(list(devices), dtype="string"),
            "ip": pd.array(list(ips), dtype="string"),
            "ts": pd.to_datetime([s * 1_000_000 for s in seconds], unit="us", utc=True).as_unit("ns"),
        }
    )


HAND_MADE = logins(
    [
        ("1", "d1", "10.0.0.1", 0),
        ("2", "d1", "10.0.0.1", 60),
        ("0001", "é\x01", None, -5),
        ("10", "é\x01", "10.0.0.1", 7),
        ("9", 'a"b\\c', "", 9),
        ("é", 'a"b\\c', "100.64.0.1", 3),
        ("x", "d9", "100.64.0.1", 1),
        ("y", "d9", "100.64.0.1", 2),
        ("z", None, "100.64.0.1", 4),
    ]
)


def test_both_engines_give_the_hand_computed_edges(linking):
    edges = linking.shared_attribute_edges(HAND_MADE, attributes=("device_id", "ip"), max_accounts_per_value=3)
    pairs = {
        (a, b, s): w for a, b, s, w in edges[["account_a", "account_b", "signal", "weight"]].itertuples(index=False)
    }
    assert pairs[("1", "2", "shared_device_id")] == value_weight(2)
    assert pairs[("1", "10", "shared_ip")] == value_weight(3)
    assert ("x", "y", "shared_ip") not in pairs  # 100.64.0.1 is used by four accounts: a hub
    assert edges.attrs["hub_values_excluded"] == {"device_id": 0, "ip": 1}
    evidence = edges.loc[(edges["account_a"] == "0001") & (edges["account_b"] == "10"), "evidence"].item()
    assert json.loads(evidence) == [{"value": "é\x01", "accounts": 2}]
    assert evidence == '[{"value":"é\\u0001","accounts":2}]'  # control escaped, non-ASCII kept, on both engines
    order = list(zip(-edges["weight"], edges["account_a"], edges["account_b"], edges["signal"], strict=True))
    assert order == sorted(order)


def test_spark_equals_local_exactly_with_attrs(spark):
    from tsinvest.spark import shared_attribute_edges as spark_edges

    for options in ({}, {"time": None, "max_evidence": 1}, {"min_weight": 1.0, "attributes": ("ip",)}):
        options = {"attributes": ("device_id", "ip"), "max_accounts_per_value": 3} | options
        expected = shared_attribute_edges(HAND_MADE, **options)
        result = spark_edges(HAND_MADE, spark=spark, **options).to_pandas()
        pd.testing.assert_frame_equal(result, expected, check_exact=True)
        assert result.attrs == expected.attrs


@settings(
    max_examples=2,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    cases=st.lists(
        st.lists(
            st.tuples(
                st.sampled_from(ACCOUNTS), st.sampled_from(VALUES), st.sampled_from(VALUES), st.integers(-100, 100)
            ),
            max_size=12,
        ),
        min_size=20,
        max_size=30,
    ),
    cap=st.integers(2, 4),
)
def test_many_cases_in_one_spark_job_equal_the_local_engine(spark, cases, cap):
    """Cases batched: account ids and values prefixed per case, one Spark job, split afterwards."""
    from tsinvest.spark import shared_attribute_edges as spark_edges

    def tag(n, value):
        # A blank value links nobody; prefixed it would not be blank.
        return value if value.strip(" ") == "" else f"{n:03d}|{value}"

    batch = [(tag(n, a), tag(n, d), tag(n, i), s) for n, rows in enumerate(cases) for a, d, i, s in rows]
    combined = spark_edges(
        logins(batch), spark=spark, attributes=("device_id", "ip"), max_accounts_per_value=cap
    ).to_pandas()
    for n, rows in enumerate(cases):
        prefix = f"{n:03d}|"
        expected = shared_attribute_edges(logins(rows), attributes=("device_id", "ip"), max_accounts_per_value=cap)
        mine = combined[combined["account_a"].str.startswith(prefix)].reset_index(drop=True)
        for column in ("account_a", "account_b"):
            mine[column] = mine[column].str.slice(len(prefix))
        mine["evidence"] = pd.array(
            [
                json.dumps(
                    [{"value": r["value"][len(prefix) :], "accounts": r["accounts"]} for r in json.loads(e)],
                    ensure_ascii=False,
                    separators=(",", ":"),
                )
                for e in mine["evidence"]
            ],
            dtype="string",
        )
        expected["evidence"] = pd.array(
            [json.dumps(json.loads(e), ensure_ascii=False, separators=(",", ":")) for e in expected["evidence"]],
            dtype="string",
        )
        pd.testing.assert_frame_equal(mine, expected, check_exact=True)
