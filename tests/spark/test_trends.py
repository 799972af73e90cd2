"""Trend time series: the local query transpiled, the same series on Spark."""

from __future__ import annotations

import pandas as pd
import pytest

from tsinvest.trends import time_series


def reports() -> pd.DataFrame:
    times = [
        "2026-03-02T10:00Z",
        "2026-03-02T11:00Z",
        "2026-03-04T09:00Z",
        None,
        "2026-03-08T23:59:59.999999Z",
        "2026-03-09T00:00Z",
        "1969-12-31T23:00:00.5Z",
    ]
    return pd.DataFrame(
        {
            "ts": pd.to_datetime(times, utc=True, format="ISO8601"),
            "policy": pd.array(["spam", "spam", "hate", "x", None, "é\x01", "spam"], dtype="string"),
            "country": pd.array(["DE", "FR", "DE", "DE", "DE", "FR", "FR"], dtype="string"),
            "account_id": pd.array(["1", "2", "1", "3", "4", "0001", "1"], dtype="string"),
        }
    )


CASES = [
    {"by": "policy", "start": "2026-03-01"},
    {"freq": "H", "distinct": "account_id", "start": "2026-03-02", "end": "2026-03-03"},
    {"freq": "W", "by": ("policy", "country"), "start": "2026-02-20", "end": "2026-03-20"},
    {"freq": "W", "distinct": "account_id"},
    {"freq": "D", "start": "2026-03-05", "end": "2026-03-09T12:00Z"},
]


@pytest.mark.parametrize("options", CASES)
def test_spark_equals_local(spark, options):
    from tsinvest.spark import time_series as spark_series

    expected = time_series(reports(), **options)
    pd.testing.assert_frame_equal(spark_series(reports(), spark=spark, **options), expected, check_exact=True)
    assert expected["count"].sum() > 0


def test_weeks_start_on_monday_on_spark(spark):
    from tsinvest.spark import time_series as spark_series

    series = spark_series(reports(), spark=spark, freq="W", start="2026-03-01")
    assert set(series["period_start"].dt.dayofweek) == {0}
    # start (a Sunday) rounds down to Monday 23 February; 2-8 March holds Sunday 23:59:59.999999 too
    assert series["count"].tolist() == [0, 4, 1]
