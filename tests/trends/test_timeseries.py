"""time_series: zero-filled UTC counts per period and group, from DataFrames and DuckDB relations."""

import duckdb
import pandas as pd
import pytest

from tsinvest.exceptions import ParameterError
from tsinvest.trends import time_series


def _frame(stamps, **columns):
    frame = pd.DataFrame({"ts": pd.to_datetime(stamps, utc=True)})
    for name, values in columns.items():
        frame[name] = pd.array(values, dtype="string")
    return frame


def test_empty_days_are_filled_with_zero():
    frame = _frame(["2026-03-02T10:00Z", "2026-03-05T10:00Z", "2026-03-05T11:00Z"])
    series = time_series(frame)
    assert series["period_start"].tolist() == list(pd.date_range("2026-03-02", "2026-03-05", freq="D", tz="UTC"))
    assert series["count"].tolist() == [1, 0, 0, 2]
    assert str(series["period_start"].dtype) == "datetime64[ns, UTC]"


def test_grouping_fills_every_group_over_the_same_periods_and_sorts():
    frame = _frame(["2026-03-02T10:00Z", "2026-03-04T10:00Z", "2026-03-04T11:00Z"],
                   policy=["spam", "hate", "spam"], country=["DE", "FR", "DE"])
    series = time_series(frame, by=["policy", "country"])
    assert series[["policy", "country"]].drop_duplicates().values.tolist() == [["hate", "FR"], ["spam", "DE"]]
    assert series.groupby("policy")["count"].apply(list).to_dict() == {"hate": [0, 0, 1], "spam": [1, 0, 1]}
    assert series["policy"].dtype == "string"


def test_distinct_counts_accounts_and_keeps_string_ids():
    frame = _frame(["2026-03-02T01:00Z", "2026-03-02T02:00Z", "2026-03-02T03:00Z"],
                   account_id=["0001234567890123456", "0001234567890123456", "9999999999999999999"])
    series = time_series(frame, distinct="account_id")
    assert series[["count", "distinct_count"]].values.tolist() == [[3, 2]]


def test_hourly_bins_in_utc_even_for_other_zones():
    stamps = pd.to_datetime(["2026-03-02T00:30:00+01:00", "2026-03-02T01:10:00+01:00"]).tz_convert("Europe/Berlin")
    frame = pd.DataFrame({"ts": stamps})
    series = time_series(frame, freq="H")
    # 00:30+01:00 is 23:30 UTC the day before: binned by UTC hour, not local.
    assert series["period_start"].tolist() == [pd.Timestamp("2026-03-01T23:00Z"), pd.Timestamp("2026-03-02T00:00Z")]
    assert series["count"].tolist() == [1, 1]


def test_weekly_periods_start_on_monday_utc():
    frame = _frame(["2026-03-04T10:00Z", "2026-03-08T23:59Z", "2026-03-09T00:00Z", "2026-03-25T00:00Z"])
    series = time_series(frame, freq="W")
    assert [p.day_name() for p in series["period_start"]] == ["Monday"] * 4
    assert series["count"].tolist() == [2, 1, 0, 1]


def test_explicit_bounds_trim_and_extend_and_never_use_the_clock():
    frame = _frame(["2026-03-01T10:00Z", "2026-03-03T10:00Z"])
    series = time_series(frame, start="2026-03-02T15:00Z", end="2026-03-06")
    assert series["period_start"].iloc[0] == pd.Timestamp("2026-03-02T00:00Z")  # start rounds down
    assert series["period_start"].iloc[-1] == pd.Timestamp("2026-03-05T00:00Z")  # end is exclusive
    assert series["count"].tolist() == [0, 1, 0, 0]
    empty = time_series(frame.iloc[:0], start="2026-03-02", end="2026-03-04")
    assert empty["count"].tolist() == [0, 0]


def test_duckdb_relation_input_matches_dataframe_input():
    frame = _frame(["2026-03-02T10:00Z", "2026-03-04T10:00Z", "2026-03-04T12:00Z"], policy=["a", "b", "a"])
    connection = duckdb.connect()
    relation = connection.from_df(frame)
    from_relation = time_series(relation, by="policy")
    pd.testing.assert_frame_equal(from_relation, time_series(frame, by="policy"))
    connection.register("reports_view", frame)
    pd.testing.assert_frame_equal(time_series("reports_view", by="policy", connection=connection), from_relation)


def test_errors_name_every_missing_column_and_reject_naive_times():
    frame = _frame(["2026-03-02T10:00Z"])
    with pytest.raises(ParameterError, match="'country'.*'policy'"):
        time_series(frame, by=["policy", "country"])
    with pytest.raises(ParameterError, match="time-zone-aware"):
        time_series(pd.DataFrame({"ts": pd.to_datetime(["2026-03-02T10:00"])}))
    with pytest.raises(ParameterError, match="freq"):
        time_series(frame, freq="M")
    with pytest.raises(ParameterError, match="before end"):
        time_series(frame, start="2026-03-05", end="2026-03-02")
