"""Planted campaigns: the properties detectors rely on actually hold in the data."""

from __future__ import annotations

import difflib
import itertools
import re

import numpy as np
import pandas as pd


def _seconds(series: pd.Series) -> np.ndarray:
    return series.astype("int64").to_numpy() // 10**9 if series.dtype.kind == "M" else series.to_numpy()


def _ts(frame: pd.DataFrame) -> pd.Series:
    return (frame["ts_time"] - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(seconds=1)


def test_amplification_members_share_the_same_videos_within_seconds(small):
    events = small["events"]
    for ring in small.entries("amplification"):
        members = set(ring["accounts"])
        shares = events[(events["action"] == "share") & events["account_id"].isin(members)
                        & events["target_id"].isin(set(ring["targets"]))].copy()
        shares["t"] = _ts(shares)
        spread = shares.groupby("target_id")["t"].agg(lambda t: t.max() - t.min())
        assert len(spread) == len(ring["targets"]) >= 15
        assert (spread <= 60).all(), ring["id"]
        per_target = shares.groupby("target_id")["account_id"].nunique()
        assert per_target.mean() >= 0.75 * len(members)  # near-clique
        # Most of each member's activity is the coordinated part.
        own = events[events["account_id"].isin(members)]
        coordinated = own["target_id"].isin(set(ring["targets"]))
        assert coordinated.mean() > 0.6
        assert (own.groupby("account_id")["target_id"].nunique() >= 10).all()


def test_brigade_reports_hit_victims_within_minutes(small):
    reports = small["reports"]
    for brigade in small.entries("mass_report"):
        hits = reports[reports["reporter_id"].isin(set(brigade["accounts"]))].copy()
        assert set(hits["target_account_id"]) == set(brigade["targets"])
        assert (hits["policy"] == brigade["policy"]).all()
        hits["t"] = _ts(hits)
        for wave in brigade["waves"]:
            start = int(pd.Timestamp(wave).timestamp())
            in_wave = hits[(hits["t"] >= start) & (hits["t"] < start + 3600)]
            assert in_wave["t"].max() - in_wave["t"].min() <= 10 * 60
            assert in_wave["reporter_id"].nunique() >= 0.7 * len(brigade["accounts"])
        assert hits["report_id"].is_unique


def test_farms_share_devices_and_ips_and_were_created_in_a_burst(small):
    logins, accounts = small["logins"], small["accounts"].set_index("account_id")
    template = re.compile(r"^(user_\d{5}|[a-z]+\.[a-z]\d{4})$")
    for farm in small.entries("farm"):
        members = farm["accounts"]
        own = logins[logins["account_id"].isin(set(members))]
        devices = own.groupby("device_id")["account_id"].nunique()
        assert own["device_id"].nunique() <= 4 and (devices >= 2).all()
        assert set(own["device_id"]) | set(own["ip"]) >= set(farm["targets"])
        shared_ip = own[own["ip"].isin(set(farm["targets"]))].groupby("ip")["account_id"].nunique()
        assert (shared_ip >= 2).all() and len(shared_ip) >= 1
        created = accounts.loc[members, "created_at_time"]
        assert created.max() - created.min() <= pd.Timedelta(hours=2)
        assert accounts.loc[members, "username"].map(template.match).notna().all()


def test_copy_paste_text_is_near_identical_but_not_synchronised(small):
    events = small["events"]
    for group in small.entries("copy_paste"):
        comments = events[(events["action"] == "comment") & events["account_id"].isin(set(group["accounts"]))]
        assert set(comments["target_id"]) == set(group["targets"]) and len(group["targets"]) >= 50
        texts = comments["text"].tolist()
        pairs = itertools.islice(itertools.combinations(texts, 2), 300)
        ratios = [difflib.SequenceMatcher(None, a, b).ratio() for a, b in pairs]
        assert np.median(ratios) > 0.8 and len(set(texts)) > len(texts) / 2
        gaps = np.diff(np.sort(_ts(comments).to_numpy()))
        assert np.median(gaps) > 10 * 60  # spread over weeks, not bursts


def test_planted_accounts_also_act_organically(small):
    events = small["events"]
    for entry in small.truth["campaigns"]:
        own = events[events["account_id"].isin(set(entry["accounts"]))]
        outside = own[~own["target_id"].isin(set(entry["targets"]))]
        assert len(outside) >= len(entry["accounts"]), entry["id"]
