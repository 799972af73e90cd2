"""On the committed sample data: the planted report spike and emerging hashtag are found at
default settings, and the organic background raises no spike."""

import json
from pathlib import Path

import pandas as pd
import pytest

from tsinvest.loading import load_table
from tsinvest.trends import coordinated_share, detect_spikes, emerging_terms, time_series

SAMPLES = Path(__file__).resolve().parents[2] / "data_samples"


@pytest.fixture(scope="module")
def truth():
    return json.loads((SAMPLES / "truth.json").read_text())


@pytest.fixture(scope="module")
def reports():
    return load_table(SAMPLES / "reports.csv", "reports")


@pytest.fixture(scope="module")
def events():
    return load_table(SAMPLES / "events.csv", "events")


def _brigade_reporters(truth):
    return sorted({a for c in truth["campaigns"] if c["kind"] == "mass_report" for a in c["accounts"]})


def _daily_spikes(reports, truth):
    series = time_series(reports, by="policy", start=truth["start"], end=truth["end"])
    return detect_spikes(series)


def _in_spike(row, spike):
    day_end = row["period_start"] + pd.Timedelta(days=1)
    return (row["policy"] == spike["policy"] and row["period_start"] < pd.Timestamp(spike["end"])
            and day_end > pd.Timestamp(spike["start"]))


def test_planted_report_spike_is_flagged_with_expected_below_observed(reports, truth):
    spikes = _daily_spikes(reports, truth)
    assert set(spikes["baseline"]) == {"seasonal:weekday"}
    for spike in truth["trends"]["report_spikes"]:
        rows = spikes[spikes["flagged"]]
        hits = rows[rows.apply(_in_spike, axis=1, spike=spike)]
        assert len(hits) >= 1
        assert (hits["count"] > hits["upper"]).all() and (hits["count"] > 2 * hits["expected"]).all()


def test_no_false_spike_on_the_organic_background(reports, truth):
    spike = truth["trends"]["report_spikes"][0]
    organic = reports[~reports["reporter_id"].isin(_brigade_reporters(truth))]
    flagged = _daily_spikes(organic, truth).query("flagged")
    assert len(flagged) >= 1
    assert flagged.apply(_in_spike, axis=1, spike=spike).all()
    # With the planted spike's window taken out too, nothing at all is flagged.
    inside = (organic["policy"] == spike["policy"]) & organic["ts"].between(
        pd.Timestamp(spike["start"]), pd.Timestamp(spike["end"]), inclusive="left")
    assert not _daily_spikes(organic[~inside], truth)["flagged"].any()
    # Hourly counts of 0-3 per policy: the Poisson guard keeps the background quiet there too.
    hourly = detect_spikes(time_series(organic, by="policy", freq="H", start=truth["start"], end=truth["end"]))
    assert set(hourly["baseline"]) == {"seasonal:hour_of_week"}
    late = hourly.query("flagged")
    assert late.apply(lambda row: row["policy"] == spike["policy"] and pd.Timestamp(spike["start"])
                      <= row["period_start"] < pd.Timestamp(spike["end"]), axis=1).all()


def test_every_other_flag_on_the_full_data_is_a_mass_report_brigade(reports, truth):
    spike = truth["trends"]["report_spikes"][0]
    flagged = _daily_spikes(reports, truth).query("flagged")
    others = flagged[~flagged.apply(_in_spike, axis=1, spike=spike)]
    reports = reports.assign(period_start=reports["ts"].dt.floor("D"))
    shares = coordinated_share(reports, _brigade_reporters(truth), by=["policy", "period_start"], actor="reporter_id")
    merged = others.merge(shares, on=["policy", "period_start"])
    assert len(merged) == len(others)
    assert (merged["coordinated"] >= merged["count"] - merged["upper"]).all()  # the excess is the brigade
    spike_days = flagged[flagged.apply(_in_spike, axis=1, spike=spike)].merge(shares, on=["policy", "period_start"])
    assert (spike_days["assessment"] == "organic").all()  # the planted spike is organic in origin


def test_emerging_hashtag_is_top_and_new_at_default_settings(events, truth):
    for planted in truth["trends"]["emerging_hashtags"]:
        terms = emerging_terms(events, target=(planted["start"], truth["end"]),
                               reference=(truth["start"], planted["start"]))
        top = terms.iloc[0]
        assert top["term"] == planted["hashtag"] and bool(top["is_new"])
        assert top["first_seen"] >= pd.Timestamp(planted["start"])
        assert terms["is_new"].sum() == 1  # no organic hashtag looks new
        # Last week against the three before: still first, though no longer new.
        last_week = emerging_terms(
            events, target=("2026-03-23", truth["end"]), reference=(truth["start"], "2026-03-23")
        )
        assert last_week.iloc[0]["term"] == planted["hashtag"] and not bool(last_week.iloc[0]["is_new"])


def test_events_series_by_action_covers_every_day(events, truth):
    series = time_series(events, by="action", distinct="account_id", start=truth["start"], end=truth["end"])
    assert series.groupby("action").size().eq(28).all()
    assert (series["distinct_count"] <= series["count"]).all()
    assert series["count"].sum() == events["ts"].between(pd.Timestamp(truth["start"]), pd.Timestamp(truth["end"]),
                                                          inclusive="left").sum()
