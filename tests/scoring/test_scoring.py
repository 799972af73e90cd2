import numpy as np
import pandas as pd
import pytest

from tsinvest.exceptions import ParameterError
from tsinvest.scoring import cluster_features, coaction_null, member_coordination, score_clusters


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
    assert (ring["coordinated_share"] == 1.0).all() and (ring["partners"] == 5).all()
    heavy = coordination[coordination["cluster_id"] == "heavy"]
    assert heavy["coordinated_share"].mean() < 0.5
    edges = pd.DataFrame({"account_a": ["r0", "r0"], "account_b": ["r1", "r2"], "signal": "co", "weight": [3.0, 1.0],
                          "first_ts": pd.NaT, "last_ts": pd.NaT, "evidence": ""})
    features = cluster_features(members, edges, coordination=coordination).set_index("cluster_id")
    assert features.loc["ring", "edges"] == 2 and features.loc["heavy", "edges"] == 0
    assert features.loc["ring", "coordinated_share"] == 1.0


def test_score_flags_ring_not_sparse_web_and_explains():
    features = pd.DataFrame({
        "cluster_id": ["ring", "fans", "farm"], "kind": ["amplification", "amplification", "farm"],
        "size": [12, 40, 10], "density": [0.95, 0.2, 0.9], "coordinated_share": [0.9, 0.15, np.nan],
        "coordinated_targets": [200, 60, np.nan], "median_gap_s": [6, 80, np.nan], "p_value": [0.005, 0.005, np.nan],
        "shared_values": [0, 0, 5], "creation_burst_share": [0.1, 0.0, 0.9], "template_share": [0.2, 0.1, 0.9],
    })
    scored = score_clusters(features).set_index("cluster_id")
    assert scored.loc["ring", "flagged"] and not scored.loc["fans", "flagged"] and scored.loc["farm", "flagged"]
    assert "within 6 s" in scored.loc["ring", "explanation"] and "Flagged." in scored.loc["ring", "explanation"]
    strict = score_clusters(features, thresholds={"amplification": {"min_size": 20}}).set_index("cluster_id")
    assert not strict.loc["ring", "flagged"]
    with pytest.raises(ParameterError):
        score_clusters(features, thresholds={"amplification": {"bogus": 1}})
