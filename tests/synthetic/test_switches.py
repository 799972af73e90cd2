"""Generator switches: each structure is present with the asked properties, truth is consistent, all off by default."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.synthetic.conftest import Sample
from tsinvest.cli import main
from tsinvest.exceptions import ParameterError
from tsinvest.linking.account_features import username_template
from tsinvest.synthetic import SWITCHES, generate_sample
from tsinvest.synthetic.generate import FILES
from tsinvest.synthetic.hostile import HOMOGLYPHS, ZERO_WIDTH
from tsinvest.synthetic.switches import SUBSTITUTIONS, resolve_switches


@pytest.fixture(scope="module")
def switched(tmp_path_factory) -> Sample:
    directory = tmp_path_factory.mktemp("switched") / "sample"
    return Sample(directory, generate_sample(directory, seed=5, scale=20_000, switches="all"))


@pytest.fixture(scope="module")
def switched_adaptive(tmp_path_factory) -> Sample:
    directory = tmp_path_factory.mktemp("switched_adaptive") / "sample"
    return Sample(directory, generate_sample(directory, seed=6, scale=20_000, switches="all", adaptive=True))


def _seconds(series: pd.Series) -> np.ndarray:
    return ((series - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy()


def _traps(sample: Sample, kind: str) -> list[dict]:
    return sample.entries(kind, "traps")


def test_switches_off_give_the_default_bytes(small, tmp_path):
    generate_sample(tmp_path / "none", seed=7, scale="small", switches="")
    generate_sample(tmp_path / "empty", seed=7, scale="small", switches=[])
    for name in FILES:
        default = (small.directory / name).read_bytes()
        assert (tmp_path / "none" / name).read_bytes() == default, name
        assert (tmp_path / "empty" / name).read_bytes() == default, name
    assert "switches" not in small.truth


def test_same_seed_and_switches_give_identical_bytes(tmp_path):
    first = generate_sample(tmp_path / "a", seed=9, scale=12_000, switches="all", adaptive=True)
    second = generate_sample(tmp_path / "b", seed=9, scale=12_000, switches="all", adaptive=True)
    third = generate_sample(tmp_path / "c", seed=10, scale=12_000, switches="all", adaptive=True)
    assert first == second
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    # Parameters are drawn per seed: another seed draws other group sizes and spreads.
    params = lambda truth: [c.get("parameters") for c in truth["campaigns"] if "parameters" in c]  # noqa: E731
    assert params(first) != params(third)


def test_truth_lists_switches_and_every_id_exists(switched):
    assert switched.truth["switches"] == list(SWITCHES)
    accounts = set(switched["accounts"]["account_id"])
    ids = [entry["id"] for entry in switched.truth["campaigns"] + switched.truth["traps"]]
    assert len(ids) == len(set(ids))
    for entry in switched.truth["campaigns"] + switched.truth["traps"]:
        assert entry["accounts"] and set(entry["accounts"]) <= accounts, entry["id"]
        assert entry["accounts"] == sorted(set(entry["accounts"]))
    planted = {a for c in switched.truth["campaigns"] for a in c["accounts"] + c.get("enforced_accounts", [])}
    trapped = {a for t in switched.truth["traps"] for a in t["accounts"]}
    # Adversaries are their own accounts, never organic trap accounts.
    assert not planted & trapped
    kinds = {c["kind"] for c in switched.truth["campaigns"]}
    assert kinds == {"amplification", "mass_report", "farm", "copy_paste", "ban_evasion"}
    for kind in ("viral_videos", "heavy_users", "notification_fans", "carrier_nat", "common_comments"):
        assert _traps(switched, kind), kind


def test_viral_videos_are_shared_by_hundreds_within_minutes(switched):
    events = switched["events"]
    traps = _traps(switched, "viral_videos")
    assert 3 <= len(traps) <= 5
    for trap in traps:
        shares = events[(events["action"] == "share") & (events["target_id"] == trap["targets"][0])]
        assert set(shares["account_id"]) == set(trap["accounts"])
        assert len(trap["accounts"]) >= 300
        t = np.sort(_seconds(shares["ts_time"]))
        # Most sharers within ten minutes of the first: one co-action window holds hundreds of accounts.
        assert (t - t[0] <= 600).mean() >= 0.5 and t[-1] - t[0] <= 1800 + 7200
        # Ordinary accounts: they do other things too.
        other = events[events["account_id"].isin(trap["accounts"]) & (events["target_id"] != trap["targets"][0])]
        assert other["account_id"].nunique() > 0.5 * len(trap["accounts"])


def test_heavy_users_have_ten_thousand_events(switched):
    counts = switched["events"]["account_id"].value_counts()
    (trap,) = _traps(switched, "heavy_users")
    assert len(trap["accounts"]) >= 2
    assert all(counts[account] >= 10_000 for account in trap["accounts"])


def test_notification_fans_share_new_posts_within_about_90_seconds(switched):
    events = switched["events"]
    (trap,) = _traps(switched, "notification_fans")
    assert len(trap["accounts"]) == 100
    posts = events[(events["action"] == "post") & events["target_id"].isin(trap["targets"])]
    posted = dict(zip(posts["target_id"], _seconds(posts["ts_time"]), strict=True))
    shares = events[(events["action"] == "share") & events["target_id"].isin(trap["targets"])
                    & events["account_id"].isin(trap["accounts"])]
    delay = _seconds(shares["ts_time"]) - shares["target_id"].map(posted).to_numpy()
    assert (delay > 0).all() and (delay <= 150).all() and np.median(delay) <= 90
    # Heavy users: far more activity than the median account.
    counts = events["account_id"].value_counts()
    assert counts.reindex(trap["accounts"]).min() >= 100 > counts.median()


def test_carrier_nat_has_hundreds_of_accounts_bans_and_newcomers(switched):
    logins = switched["logins"]
    (trap,) = [t for t in _traps(switched, "carrier_nat") if "parameters" in t]
    behind = logins[logins["ip"] == trap["targets"][0]]
    assert behind["account_id"].nunique() == len(trap["accounts"]) >= 250
    enforced = switched["enforcements"]
    banned = enforced[enforced["account_id"].isin(trap["accounts"]) & (enforced["action"] == "ban")]
    assert len(banned) >= 2
    accounts = switched["accounts"].set_index("account_id")
    created = accounts.loc[trap["accounts"], "created_at_time"]
    assert (created > banned["ts_time"].max()).sum() >= 30


def test_common_comments_by_thousands(switched):
    events = switched["events"]
    (trap,) = [t for t in _traps(switched, "common_comments") if t["id"] == "common_comments-11"]
    comments = events[(events["action"] == "comment") & events["text"].isin(trap["texts"])]
    # Thousands at scale; in a small sample, bounded by the organic accounts left free.
    assert comments["account_id"].nunique() >= min(1000, 0.3 * len(switched["accounts"]))
    assert set(trap["accounts"]) <= set(comments["account_id"])
    assert comments.loc[comments["text"] == "nice", "account_id"].nunique() >= 100


def test_blend_in_rings_have_5_to_20_targets_and_ordinary_volume(switched):
    events = switched["events"]
    rings = [c for c in switched.entries("amplification") if c.get("blend_in")]
    assert len(rings) >= 3
    for ring in rings:
        assert 5 <= len(ring["targets"]) <= 20
        own = events[events["account_id"].isin(ring["accounts"])]
        coordinated = own[(own["action"] == "share") & own["target_id"].isin(ring["targets"])]
        ordinary = own[~own["target_id"].isin(ring["targets"]) & (own["action"] != "post")]
        assert 0.3 <= len(ordinary) / len(coordinated) <= 3.5, ring["id"]
        spread = ring["parameters"]["spread_seconds"]
        # Members may also share a popular target on their own; the burst itself stays within the spread.
        shares = coordinated.assign(t=_seconds(coordinated["ts_time"]))
        burst = shares.groupby("target_id")["t"].transform("median")
        assert ((shares["t"] - burst).abs() <= spread + 1).mean() >= 0.8, ring["id"]


def test_substituted_spam_messages_carry_substitution_homoglyph_and_zero_width(switched_adaptive):
    events = switched_adaptive["events"]
    groups = [c for c in switched_adaptive.entries("copy_paste") if c.get("substituted")]
    assert groups
    for group in groups:
        texts = events.loc[events["account_id"].isin(group["accounts"]) & (events["action"] == "comment"), "text"]
        disguised = texts[texts.map(lambda t: any(z in t for z in ZERO_WIDTH))]
        assert len(disguised) >= 0.7 * len(texts)
        assert len(set(disguised)) > 0.8 * len(disguised)  # each message differs
        glyphs = set(HOMOGLYPHS.values()) | set("013454")
        for text in disguised:
            assert sum(z in text for z in ZERO_WIDTH) == 1
            assert any(ch in glyphs for ch in text)
        substitutes = {s for options in SUBSTITUTIONS.values() for s in options}
        assert disguised.map(lambda t, substitutes=substitutes: any(s in t for s in substitutes)).mean() > 0.8


def test_ban_evaders_are_new_accounts_tied_to_enforced_ones(switched):
    accounts = switched["accounts"].set_index("account_id")
    logins, events, enforced = switched["logins"], switched["events"], switched["enforcements"]
    groups = switched.entries("ban_evasion")
    assert len(groups) >= 3
    for group in groups:
        rows = enforced[enforced["account_id"].isin(group["enforced_accounts"])]
        assert set(rows["account_id"]) == set(group["enforced_accounts"])
        assert set(rows["action"]) <= {"ban", "suspend"}
        first_enforced = rows["ts_time"].min()
        created = accounts.loc[group["accounts"], "created_at_time"]
        assert (created > first_enforced).all()
        old_devices = set(logins.loc[logins["account_id"].isin(group["enforced_accounts"]), "device_id"])
        old_ips = set(logins.loc[logins["account_id"].isin(group["enforced_accounts"]), "ip"])
        old_templates = set(username_template(accounts.loc[group["enforced_accounts"], "username"]))
        old_follows = set(events.loc[events["account_id"].isin(group["enforced_accounts"])
                                     & (events["action"] == "follow"), "target_id"])
        for evader in group["accounts"]:
            own = logins[logins["account_id"] == evader]
            follows = set(events.loc[(events["account_id"] == evader) & (events["action"] == "follow"), "target_id"])
            ties = [
                bool(set(own["device_id"]) & old_devices),
                bool(set(own["ip"]) & old_ips),
                username_template(pd.Series([accounts.loc[evader, "username"]])).iloc[0] in old_templates,
                len(follows & old_follows) >= 2,
            ]
            assert sum(ties) >= 2, group["id"]


def test_unknown_switch_is_a_parameter_error(tmp_path):
    with pytest.raises(ParameterError, match="switches"):
        generate_sample(tmp_path / "x", seed=1, scale=10_000, switches="viral,nonsense")
    assert not (tmp_path / "x").exists()
    assert resolve_switches("adversaries") == ("blend_in_rings", "substituted_spam", "ban_evasion")


def test_sample_command_takes_switches(tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["sample", str(out), "--seed", "2", "--scale", "12000", "--switches", "viral,ban_evasion",
                 "--no-progress"]) == 0
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert truth["switches"] == ["viral", "ban_evasion"]
    assert {t["kind"] for t in truth["traps"]} >= {"viral_videos"}
    assert {c["kind"] for c in truth["campaigns"]} >= {"ban_evasion"}
