import numpy as np
import pandas as pd
import pytest

from tsinvest.exceptions import ParameterError
from tsinvest.scoring import chance_bystanders, chance_waves, cluster_features, coaction_null, member_coordination


def ring_and_heavy_users(seed=0):
    """A ring acting together on 20 videos, plus heavy users hitting popular videos at random times."""
    rng = np.random.default_rng(seed)
    rows = []
    for video in range(20):
        start = video * 7200
        rows += [(f"r{m}", f"ring{video}", start + int(rng.integers(0, 20))) for m in range(6)]
    for user in range(6):
        for _ in range(300):
            rows.append((f"h{user}", f"pop{int(rng.integers(0, 15))}", int(rng.integers(0, 20 * 7200))))
    frame = pd.DataFrame(rows, columns=["account_id", "target_id", "s"])
    frame["ts"] = pd.to_datetime(frame.pop("s"), unit="s", utc=True)
    members = pd.DataFrame({"account_id": [f"r{m}" for m in range(6)] + [f"h{u}" for u in range(6)],
                            "cluster_id": ["ring"] * 6 + ["heavy"] * 6})
    return frame, members


def test_null_model_separates_ring_from_heavy_users():
    actions, members = ring_and_heavy_users()
    null = coaction_null(actions, members, window=60, n_permutations=39, seed=5).set_index("cluster_id")
    assert null.loc["ring", "p_value"] <= 0.05 and null.loc["ring", "z_score"] > 5
    assert null.loc["heavy", "p_value"] > 0.05
    again = coaction_null(actions, members, window=60, n_permutations=39, seed=5).set_index("cluster_id")
    pd.testing.assert_frame_equal(null, again)


def test_member_coordination_and_features():
    actions, members = ring_and_heavy_users()
    coordination = member_coordination(actions, members, window=60)
    ring = coordination[coordination["cluster_id"] == "ring"]
    assert (ring["coordinated_share"] == 1.0).all() and (ring["coordinated"] == 20).all()
    heavy = coordination[coordination["cluster_id"] == "heavy"]
    assert heavy["coordinated_share"].mean() < 0.5
    edges = pd.DataFrame({"account_a": ["r0", "r0"], "account_b": ["r1", "r2"], "signal": "co", "weight": [3.0, 1.0],
                          "first_ts": pd.NaT, "last_ts": pd.NaT, "evidence": ""})
    features = cluster_features(members, edges, coordination=coordination).set_index("cluster_id")
    assert features.loc["ring", "edges"] == 2 and features.loc["heavy", "edges"] == 0
    assert features.loc["ring", "coordinated_share"] == 1.0


def test_null_model_keeps_notification_fans_unflagged_with_publication_anchor():
    """Fans react within 90 s of every post: co-action explained by their own reaction speed."""
    rng = np.random.default_rng(3)
    rows = []
    for post in range(30):
        published = post * 5 * 3600
        for fan in range(12):
            if rng.random() < 0.8:
                rows.append((f"f{fan}", f"p{post}", published + int(rng.integers(5, 90)), published))
    frame = pd.DataFrame(rows, columns=["account_id", "target_id", "s", "p"])
    frame["ts"] = pd.to_datetime(frame.pop("s"), unit="s", utc=True)
    frame["published"] = pd.to_datetime(frame.pop("p"), unit="s", utc=True)
    members = pd.DataFrame({"account_id": [f"f{f}" for f in range(12)], "cluster_id": "fans"})
    clock = coaction_null(frame, members, window=600, n_permutations=99, seed=2)
    anchored = coaction_null(frame, members, window=600, n_permutations=99, seed=2, anchor="published")
    assert clock["p_value"][0] <= 0.01  # a clock-time shuffle calls fans coordinated
    assert anchored["p_value"][0] > 0.05  # a delay shuffle does not
    assert anchored["permutations"][0] < 99  # and stops early


def test_one_target_shared_by_20000_accounts_in_one_window_stays_linear():
    """Member coordination and the null model never form pairs of actions: 20,000 rows stay 20,000 rows."""
    accounts = [f"{i:05d}" for i in range(20_000)]
    frame = pd.DataFrame({"account_id": accounts, "target_id": "viral",
                          "ts": pd.to_datetime(np.arange(20_000) % 300, unit="s", utc=True)})
    members = pd.DataFrame({"account_id": accounts, "cluster_id": "big"})
    coordination = member_coordination(frame, members, window=600)
    assert (coordination["coordinated"] == 1).all()
    null = coaction_null(frame, members, window=600, n_permutations=20, seed=0)
    assert null["observed"][0] == 3 * 20_000 and null["permutations"][0] == 10  # stops after 10 ties
    excluded = member_coordination(frame, members, window=600, excluded_targets=["viral"])
    assert (excluded["coordinated"] == 0).all() and (excluded["actions"] == 1).all()


def reports_of(rows):
    frame = pd.DataFrame(rows, columns=["account_id", "target_id", "s"])
    frame["ts"] = pd.to_datetime(frame.pop("s"), unit="s", utc=True)
    return frame


def test_chance_waves_weighs_a_burst_against_its_targets_own_traffic():
    """Six reports within 45 minutes: likely by chance for an account reported every 75 minutes for three weeks,
    not for one reported by nobody else; a second quiet target makes a cluster less likely still."""
    background = [(f"o{i}", "famous", 4500 * i) for i in range(400)]
    wave = [(f"p{k}", "famous", 900_000 + 500 * k) for k in range(6)]
    quiet = [(f"q{k}", "quiet", 900_000 + 500 * k) for k in range(6)]
    twice = [(f"q{k}", "quiet2", 1_200_000 + 60 * k) for k in range(6)]
    members = pd.DataFrame({"account_id": [f"p{k}" for k in range(6)] + [f"q{k}" for k in range(6)] + ["o1"],
                            "cluster_id": ["pile_on"] * 6 + ["brigade"] * 6 + ["alone"]})
    one = chance_waves(reports_of(background + wave + quiet), members).set_index("cluster_id")
    assert 0.01 < one.loc["pile_on", "chance_waves"] < 1
    assert one.loc["brigade", "chance_waves"] < 1e-6
    assert one.loc["alone", "chance_waves"] == 1.0 and one.loc["alone", "wave_targets"] == 0
    two = chance_waves(reports_of(background + wave + quiet + twice), members).set_index("cluster_id")
    assert two.loc["brigade", "wave_targets"] == 2
    assert two.loc["brigade", "chance_waves"] < one.loc["brigade", "chance_waves"]


def test_chance_bystanders_spreads_the_victims_other_reports_over_the_members_waves():
    """400 other reports of the victim over the span; the brigade's two waves of 210 s each (a day apart, so two
    waves, not one of a day) hold 2 x 210 s of that traffic; a quiet victim adds nothing; a lone member, no wave."""
    others = [(f"o{h}", "victim", h * 1200) for h in range(400)]
    brigade = [(f"b{i}", "victim", 100_000 + 30 * i) for i in range(8)]
    brigade += [(f"b{i}", "victim", 186_400 + 30 * i) for i in range(8)]
    brigade += [(f"b{i}", "quiet", 300_000 + 30 * i) for i in range(8)]
    members = pd.DataFrame({"account_id": [f"b{i}" for i in range(8)] + ["o3"],
                            "cluster_id": ["brigade"] * 8 + ["alone"]})
    result = chance_bystanders(reports_of(others + brigade), members, wave_gap=3600).set_index("cluster_id")
    span = 399 * 1200
    assert result.loc["brigade", "expected_bystanders"] == pytest.approx(400 / span * 2 * 210)
    assert result.loc["alone", "expected_bystanders"] == 0.0
    one_wave = chance_bystanders(reports_of(others + brigade), members, wave_gap=2 * 86400).set_index("cluster_id")
    assert one_wave.loc["brigade", "expected_bystanders"] == pytest.approx(400 / span * (86_400 + 210))
    with pytest.raises(ParameterError, match="wave_gap"):
        chance_bystanders(reports_of(others), members, wave_gap=0)


def test_chance_waves_on_20000_reporters_of_one_target_in_one_window_stays_linear():
    """One target reported by 20,000 members within five minutes: a pass per wave size, no pairs."""
    accounts = [f"{i:05d}" for i in range(20_000)]
    frame = pd.DataFrame({"account_id": accounts, "target_id": "victim",
                          "ts": pd.to_datetime(np.arange(20_000) % 300, unit="s", utc=True)})
    result = chance_waves(frame, pd.DataFrame({"account_id": accounts, "cluster_id": "big"}))
    assert result["wave_targets"][0] == 1 and result["chance_waves"][0] < 1e-6
