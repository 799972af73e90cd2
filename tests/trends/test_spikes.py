"""detect_spikes: seasonal baseline, short-series fallback, robust scores, grouping."""

import numpy as np
import pandas as pd
import pytest

from tsinvest.exceptions import ParameterError
from tsinvest.trends import detect_spikes, time_series

START = pd.Timestamp("2026-03-02T00:00Z")  # a Monday


def _daily(counts, start=START, **groups):
    frame = pd.DataFrame({"period_start": pd.date_range(start, periods=len(counts), freq="D"), "count": counts})
    for name, value in groups.items():
        frame.insert(0, name, value)
    return frame


def _noisy(days, *, seed, mean=30.0, saturday_factor=1.0):
    rng = np.random.default_rng(seed)
    dates = pd.date_range(START, periods=days, freq="D")
    rate = np.where(dates.day_of_week == 5, mean * saturday_factor, mean)
    return rng.poisson(rate)


def test_a_spike_is_flagged_with_expected_and_observed_counts():
    counts = _noisy(28, seed=1)
    counts[17] = 120
    spikes = detect_spikes(_daily(counts))
    flagged = spikes[spikes["flagged"]]
    assert flagged["period_start"].tolist() == [START + pd.Timedelta(days=17)]
    row = flagged.iloc[0]
    assert row["count"] == 120
    assert 20 <= row["expected"] <= 40
    assert row["score"] >= 4
    assert row["upper"] < 120
    assert row["baseline"] == "seasonal:weekday"


def test_a_busy_saturday_every_week_is_not_a_spike():
    counts = _noisy(28, seed=2, saturday_factor=3.0)
    spikes = detect_spikes(_daily(counts))
    assert not spikes["flagged"].any()
    saturdays = spikes[spikes["period_start"].dt.day_of_week == 5]
    assert (saturdays["expected"] > 60).all()  # compared with other Saturdays
    # The same data judged without the weekly rhythm does flag Saturdays: the season matters.
    robust = detect_spikes(_daily(counts), method="robust")
    assert (robust.loc[robust["flagged"], "period_start"].dt.day_of_week == 5).all()
    assert robust["flagged"].any()


def test_a_busy_saturday_spike_beyond_the_usual_saturday_is_flagged():
    counts = _noisy(28, seed=3, saturday_factor=3.0)
    counts[19] = 250  # Saturday 2026-03-21, about 2.8x a normal Saturday
    flagged = detect_spikes(_daily(counts)).query("flagged")
    assert flagged["period_start"].tolist() == [START + pd.Timedelta(days=19)]


def test_a_one_week_series_falls_back_and_says_so():
    spikes = detect_spikes(_daily([12, 10, 11, 9, 13, 55, 10]))
    assert set(spikes["baseline"]) == {"rolling_median:short_history"}
    assert spikes.loc[spikes["flagged"], "period_start"].tolist() == [START + pd.Timedelta(days=5)]
    assert spikes.loc[5, "expected"] == pytest.approx(10.5)  # median of days 2, 3, 4 and 6
    with pytest.raises(ParameterError, match="two full seasons"):
        detect_spikes(_daily([12, 10, 11, 9, 13, 55, 10]), method="seasonal")


def test_zero_filled_periods_take_part_and_missing_rows_become_zero():
    counts = [5] * 28
    counts[10] = 40
    frame = _daily(counts)
    gappy = frame.drop(index=[3, 4])  # absent periods are zero, not skipped
    spikes = detect_spikes(gappy, freq="D")
    assert len(spikes) == 28
    assert spikes.loc[[3, 4], "count"].tolist() == [0, 0]
    assert spikes.loc[spikes["flagged"], "period_start"].tolist() == [START + pd.Timedelta(days=10)]


def test_small_counts_do_not_flag_noise_but_flag_a_real_jump():
    counts = _noisy(28, seed=4, mean=1.0)
    assert not detect_spikes(_daily(counts))["flagged"].any()
    counts[20] = 15
    flagged = detect_spikes(_daily(counts)).query("flagged")
    assert flagged["period_start"].tolist() == [START + pd.Timedelta(days=20)]
    # 6 where 1 is expected scores 5 against the sqrt floor, but is not rare enough across many periods
    hourly_like = _daily([1] * 28)
    hourly_like.loc[20, "count"] = 6
    quiet = detect_spikes(hourly_like)
    assert quiet.loc[20, "score"] >= 4 and quiet.loc[20, "p_value"] > 1e-4 and not quiet["flagged"].any()
    # a jump from ~1 to 4 is under min_count and never flagged
    counts[20] = 4
    assert not detect_spikes(_daily(counts))["flagged"].any()


def test_drops_are_not_flagged():
    counts = _noisy(28, seed=5)
    counts[12] = 0
    spikes = detect_spikes(_daily(counts))
    assert not spikes["flagged"].any()
    assert spikes.loc[12, "score"] < -3


def test_hourly_series_uses_hour_of_week_and_ignores_the_daily_rhythm():
    hours = pd.date_range(START, periods=28 * 24, freq="h")
    rng = np.random.default_rng(6)
    rate = np.where((hours.hour >= 18) & (hours.hour <= 22), 40.0, 5.0)  # busy evenings
    counts = rng.poisson(rate)
    counts[24 * 17 + 3] = 60  # 03:00 on a quiet night
    spikes = detect_spikes(pd.DataFrame({"period_start": hours, "count": counts}))
    assert set(spikes["baseline"]) == {"seasonal:hour_of_week"}
    assert spikes.loc[spikes["flagged"], "period_start"].tolist() == [hours[24 * 17 + 3]]
    three_days = detect_spikes(pd.DataFrame({"period_start": hours[:72], "count": counts[:72]}))
    assert set(three_days["baseline"]) == {"seasonal:hour_of_day"}
    assert not three_days["flagged"].any()


def test_weekly_series_uses_a_rolling_baseline_from_time_series():
    stamps = []
    for week, n in enumerate([20, 22, 19, 21, 80, 20, 23, 18]):
        stamps += [START + pd.Timedelta(days=7 * week, hours=i % 100) for i in range(n)]
    frame = pd.DataFrame({"ts": pd.DatetimeIndex(stamps)})
    series = time_series(frame, freq="W")
    spikes = detect_spikes(series)
    assert set(spikes["baseline"]) == {"rolling_median:no_season"}
    assert spikes.loc[spikes["flagged"], "period_start"].tolist() == [START + pd.Timedelta(weeks=4)]


def test_groups_are_scored_separately_and_sorted_by_key_then_period():
    quiet = _daily(_noisy(28, seed=7), policy="spam")
    loud_counts = _noisy(28, seed=8)
    loud_counts[9] = 200
    loud = _daily(loud_counts, policy="hate")
    spikes = detect_spikes(pd.concat([quiet, loud], ignore_index=True))
    assert spikes["key"].unique().tolist() == ["policy=hate", "policy=spam"]
    assert spikes.columns[:2].tolist() == ["policy", "key"]
    assert spikes.loc[spikes["flagged"], ["key", "period_start"]].values.tolist() == [
        ["policy=hate", START + pd.Timedelta(days=9)]
    ]
    shuffled = pd.concat([quiet, loud]).sample(frac=1, random_state=0)
    pd.testing.assert_frame_equal(detect_spikes(shuffled), spikes)


def test_bad_inputs_raise_parameter_errors():
    with pytest.raises(ParameterError, match="'count'"):
        detect_spikes(pd.DataFrame({"period_start": [START]}))
    with pytest.raises(ParameterError, match="1 hour, 1 day or 1 week"):
        detect_spikes(pd.DataFrame({"period_start": [START, START + pd.Timedelta(minutes=5)], "count": [1, 2]}))
    single = detect_spikes(_daily([9]), freq="D")
    assert single["baseline"].tolist() == ["none:single_period"] and not single["flagged"].any()


@pytest.mark.parametrize("mean", [0.5, 1.5, 5.0, 50.0, 200.0])
def test_stationary_poisson_noise_is_rarely_flagged(mean):
    """Four weeks of pure noise, 100 seeds: under 1 % of days flagged, never more than 2 in one series.

    A per-series bound of one flag does not hold for every seed (seed 3980 at
    mean 1.5 flags two days), so the rate is measured over many series.
    """
    flags = []
    for seed in range(100):
        spikes = detect_spikes(_daily(_noisy(28, seed=seed, mean=mean)))
        assert np.isfinite(spikes["score"]).all()
        flags.append(int(spikes["flagged"].sum()))
    assert sum(flags) / (100 * 28) < 0.01
    assert max(flags) <= 2


def test_baselines_and_frequencies_are_read_only():
    from tsinvest.trends.inputs import FREQ_SQL, FREQ_TIMEDELTA
    from tsinvest.trends.spikes import BASELINES

    for table in (BASELINES, FREQ_SQL, FREQ_TIMEDELTA):
        with pytest.raises(TypeError):
            table["M"] = None
