"""Organic traps: the innocent look-alikes hold the properties that make them traps."""

from __future__ import annotations

import pandas as pd


def _seconds(frame: pd.DataFrame) -> pd.Series:
    return (frame["ts_time"] - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(seconds=1)


def test_viral_burst_accounts_act_on_one_video_within_minutes(small):
    (trap,) = small.entries("viral_burst", "traps")
    events = small["events"]
    own = events[events["account_id"].isin(set(trap["accounts"]))]
    assert len(trap["accounts"]) >= 200
    assert (own.groupby("account_id")["target_id"].nunique() == 1).all()
    assert set(own["target_id"]) == set(trap["targets"])
    shares = _seconds(own[own["action"] == "share"])
    assert shares.max() - shares.min() <= 15 * 60


def test_fan_community_reshares_many_posts_over_hours(small):
    (trap,) = small.entries("fan_community", "traps")
    events = small["events"]
    posts = events[events["target_id"].isin(set(trap["targets"])) & (events["action"] == "post")]
    posted = dict(zip(posts["target_id"], _seconds(posts), strict=True))
    shares = events[events["account_id"].isin(set(trap["accounts"])) & events["target_id"].isin(set(trap["targets"]))
                    & (events["action"] == "share")]
    delays = _seconds(shares) - shares["target_id"].map(posted)
    assert len(trap["targets"]) >= 15 and (delays > 0).all()
    assert delays.median() > 3600
    assert shares.groupby("account_id")["target_id"].nunique().median() >= 8


def test_carrier_nat_ip_has_hundreds_of_accounts(small):
    (trap,) = small.entries("carrier_nat", "traps")
    logins = small["logins"]
    behind = logins.loc[logins["ip"] == trap["targets"][0], "account_id"]
    assert behind.nunique() >= 250
    assert set(behind) == set(trap["accounts"])
    own_devices = logins[logins["account_id"].isin(set(trap["accounts"]))].groupby("device_id")["account_id"].nunique()
    assert (own_devices == 1).all()  # each keeps their own phone


def test_common_comments_come_from_very_many_accounts(small):
    (trap,) = small.entries("common_comments", "traps")
    comments = small["events"][small["events"]["action"] == "comment"]
    posters = comments[comments["text"].isin(set(trap["texts"]))].groupby("text")["account_id"].nunique()
    assert (posters >= 50).all() and set(posters.index) == set(trap["texts"])


def test_traps_do_not_overlap_campaigns(small):
    planted = {a for entry in small.truth["campaigns"] for a in entry["accounts"]}
    for trap in small.truth["traps"]:
        assert not planted & set(trap["accounts"]), trap["id"]
