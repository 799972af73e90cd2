"""Tests for tsinvest.linking.account_features."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tsinvest.exceptions import ParameterError
from tsinvest.linking.account_features import (
    account_age_days,
    cluster_creation_bursts,
    cluster_template_shares,
    creation_burst,
    username_template,
    username_template_share,
)


def _accounts() -> pd.DataFrame:
    farm = pd.date_range("2026-03-05T02:00Z", periods=30, freq="10min")
    organic = pd.date_range("2024-01-01T00:00Z", periods=30, freq="17D")
    frame = pd.DataFrame(
        {
            "account_id": [f"{i:019d}" for i in range(60)],
            "created_at": list(farm) + list(organic),
            "username": [f"user_{48213 + 37 * i}" for i in range(30)]
            + ["maria.k", "dj_tom", "xx_lena_xx", "bob1985", "sunny", "k.o.d.a"] * 5,
        }
    )
    frame["account_id"] = frame["account_id"].astype("string")
    return frame


def test_farm_is_a_tight_burst_and_organic_is_not():
    accounts = _accounts()
    farm = creation_burst(accounts, accounts["account_id"][:30])
    organic = creation_burst(accounts, accounts["account_id"][30:])
    assert farm.accounts == 30 and farm.missing == 0
    assert farm.mad_hours < 3 and farm.share_within_window == 1.0
    assert farm.span_hours == pytest.approx(29 * 10 / 60)
    assert organic.mad_hours > 24 * 100 and organic.share_within_window < 0.1
    assert farm.median_created_at.tzinfo is not None


def test_outliers_do_not_hide_a_burst():
    accounts = _accounts()
    members = list(accounts["account_id"][:30]) + list(accounts["account_id"][30:33])
    burst = creation_burst(accounts, members)
    assert burst.mad_hours < 3
    assert burst.share_within_window == pytest.approx(30 / 33)


def test_missing_members_and_leading_zero_ids():
    accounts = _accounts()
    burst = creation_burst(accounts, ["0000000000000000000", "0", "missing"])
    assert (burst.accounts, burst.missing) == (1, 2)  # "0" must not match "000...0"
    empty = creation_burst(accounts, [])
    assert empty.accounts == 0 and math.isnan(empty.mad_hours) and empty.median_created_at is None


def test_username_templates():
    names = pd.Series(["user_48213", "USER_90327", "ｕｓｅｒ_１２３４５", "maria.k", None, "Мария_77"])
    assert username_template(names).tolist() == ["aaaa_99999", "aaaa_99999", "aaaa_99999", "aaaaa.a", pd.NA, "aaaaa_99"]
    farm = _accounts()["username"][:30]
    organic = _accounts()["username"][30:]
    assert username_template_share(farm) == 1.0
    assert username_template_share(organic) < 0.5
    assert username_template_share(pd.Series([], dtype="string")) == 0.0
    assert username_template_share(pd.Series(["anna_12", "michael_904", "x"]), collapse_runs=True) == pytest.approx(2 / 3)


def test_account_age_reads_a_naive_as_of_as_utc():
    accounts = _accounts()
    ages = account_age_days(accounts, pd.Timestamp("2026-03-06T02:00Z"))
    assert ages.index.dtype == "string"
    assert ages.loc["0000000000000000000"] == pytest.approx(1.0)
    assert ages.loc["0000000000000000059"] > 0
    pd.testing.assert_series_equal(account_age_days(accounts, "2026-03-06T02:00"), ages)
    with pytest.raises(ParameterError, match="as_of is required"):
        account_age_days(accounts, None)
    with pytest.raises(ParameterError, match="'created_at'"):
        account_age_days(accounts.drop(columns="created_at"), "2026-03-06Z")


def test_many_clusters_at_once_match_one_cluster_at_a_time():
    """The per-cluster features of cluster_features, computed for all clusters in one pass, equal the
    one-cluster functions, including exact 2-hour gaps (the burst window's edge), missing times and names."""
    import numpy as np

    rng = np.random.default_rng(8)
    rows = 400
    created = pd.Series(pd.to_datetime(1_772_000_000 + 7200 * rng.integers(0, 50, rows)
                                       + rng.choice([0, 1, 3600], rows), unit="s", utc=True))
    created[rng.random(rows) < 0.05] = pd.NaT
    names = pd.Series([f"{rng.choice(['user_', 'anna.', 'bot'])}{rng.integers(0, 10 ** rng.integers(1, 5))}"
                       for _ in range(rows)], dtype="string")
    names[rng.random(rows) < 0.05] = pd.NA
    table = pd.DataFrame({"account_id": [f"{i:019d}" for i in range(rows)], "created_at": created,
                          "username": names, "cluster_id": [f"c{k:02d}" for k in rng.integers(0, 30, rows)]})
    table.loc[table["cluster_id"] == "c07", "username"] = pd.NA
    bursts = cluster_creation_bursts(table["created_at"], table["cluster_id"])
    shares = cluster_template_shares(table["username"], table["cluster_id"])
    for cluster_id, group in table.groupby("cluster_id"):
        one = creation_burst(group, group["account_id"])
        assert bursts.loc[cluster_id, "span_hours"] == one.span_hours
        assert bursts.loc[cluster_id, "largest_burst_share"] == one.largest_burst_share
        assert shares.loc[cluster_id] == username_template_share(group["username"].dropna())
    assert shares.loc["c07"] == 0.0
