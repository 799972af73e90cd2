"""adaptive=True adds evasive adversaries and the notification-fans trap."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from tsinvest.synthetic.hostile import HOMOGLYPHS, ZERO_WIDTH


def _seconds(frame: pd.DataFrame) -> pd.Series:
    return (frame["ts_time"] - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(seconds=1)


def _adaptive(sample, kind):
    return [entry for entry in sample.entries(kind) if entry.get("adaptive")]


def test_adaptive_adds_each_kind_and_keeps_the_basic_ones(adaptive, small):
    assert adaptive.truth["adaptive"] is True
    for kind in ("amplification", "mass_report", "farm", "copy_paste"):
        assert len(_adaptive(adaptive, kind)) >= 2
        assert [e for e in adaptive.entries(kind) if not e["adaptive"]]
        assert not _adaptive(small, kind)


def test_adaptive_accounts_are_aged_with_ordinary_names(adaptive):
    accounts = adaptive["accounts"].set_index("account_id")
    start = pd.Timestamp(adaptive.truth["start"])
    for kind in ("amplification", "farm"):
        for entry in _adaptive(adaptive, kind):
            created = accounts.loc[entry["accounts"], "created_at_time"]
            assert created.max() - created.min() > pd.Timedelta(days=60)
            assert (created < start).all()
            assert not accounts.loc[entry["accounts"], "username"].str.fullmatch(r"user_\d{5}").any()


def test_adaptive_amplification_is_spread_over_minutes(adaptive):
    events = adaptive["events"]
    for ring in _adaptive(adaptive, "amplification"):
        shares = events[(events["action"] == "share") & events["account_id"].isin(set(ring["accounts"]))
                        & events["target_id"].isin(set(ring["targets"]))].copy()
        shares["t"] = _seconds(shares)
        spread = shares.groupby("target_id")["t"].agg(lambda t: t.max() - t.min())
        assert spread.median() > 120 and spread.max() <= 600


def test_adaptive_logins_use_residential_proxies(adaptive):
    logins = adaptive["logins"]
    for kind in ("amplification", "farm"):
        for entry in _adaptive(adaptive, kind):
            own = logins[logins["account_id"].isin(set(entry["accounts"]))]
            assert own["ip"].nunique() > 0.9 * len(own)
            devices = own.groupby("device_id")["account_id"].nunique()
            assert (devices > 1).sum() <= 2  # devices shared rarely


def test_adaptive_copy_paste_text_is_obfuscated(adaptive):
    events = adaptive["events"]
    marks = set(ZERO_WIDTH) | {g for g in HOMOGLYPHS.values() if not g.isascii()}
    for group in _adaptive(adaptive, "copy_paste"):
        texts = events.loc[events["account_id"].isin(set(group["accounts"])) & (events["action"] == "comment"), "text"]
        assert texts.map(lambda t: any(m in t for m in marks)).mean() > 0.8


def test_notification_fans_react_within_two_minutes_as_a_sparse_web(adaptive, small):
    assert not small.entries("notification_fans", "traps")
    (trap,) = adaptive.entries("notification_fans", "traps")
    events = adaptive["events"]
    posts = events[events["target_id"].isin(set(trap["targets"])) & (events["action"] == "post")]
    posted = dict(zip(posts["target_id"], _seconds(posts), strict=True))
    shares = events[events["account_id"].isin(set(trap["accounts"])) & (events["action"] == "share")
                    & events["target_id"].isin(set(trap["targets"]))]
    delay = _seconds(shares) - shares["target_id"].map(posted)
    assert delay.between(10, 120).all()
    sets = shares.groupby("account_id")["target_id"].agg(set)
    overlap = [len(a & b) / len(a | b) for a, b in itertools.combinations(sets.tolist(), 2)]
    assert np.mean(overlap) < 0.35  # a sparse web, not a clique
    activity = events["account_id"].value_counts()
    assert activity.reindex(trap["accounts"]).median() > 3 * activity.median()  # heavy users
