"""Tests of window estimation and multi-scale co-action edges."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsinvest.exceptions import ParameterError
from tsinvest.linking.coordination import (
    coordination_edges,
    coordination_edges_multiscale,
    estimate_coordination_window,
)


def frame(rows):
    accounts, targets, seconds = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "account_id": pd.array(list(accounts), dtype="string"),
            "target_id": pd.array(list(targets), dtype="string"),
            "ts": pd.to_datetime(np.asarray(seconds, dtype="int64"), unit="s", utc=True),
        }
    )


def reference_window(rows, quantile, share):
    """The estimator spelled out target by target (test oracle only)."""
    data = sorted(set(rows), key=lambda r: (r[1], r[2], r[0]))
    gaps, spreads = [], []
    for _, group in pd.DataFrame(data, columns=["a", "t", "s"]).groupby("t", sort=True):
        actors, seconds = group["a"].tolist(), group["s"].tolist()
        others = [i for i, a in enumerate(actors) if a != actors[0]]
        if not others:
            continue
        reach = max(math.ceil(share * len(actors)), 2) - 1
        gaps.append(seconds[others[0]] - seconds[0])
        spreads.append(seconds[max(reach, others[0])] - seconds[0])
    threshold = np.quantile(gaps, quantile, method="lower")
    return float(np.median([s for g, s in zip(gaps, spreads, strict=True) if g <= threshold]))


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["01", "02", "3", "4"]), st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 500)),
        min_size=1,
        max_size=40,
    ),
    quantile=st.sampled_from([0.1, 0.5, 1.0]),
    share=st.sampled_from([0.5, 0.9, 1.0]),
)
def test_estimate_matches_reference(rows, quantile, share):
    if all(len({a for a, t, _ in rows if t == target}) < 2 for target in {t for _, t, _ in rows}):
        with pytest.raises(ParameterError, match="two accounts"):
            estimate_coordination_window(frame(rows), quantile=quantile, share=share)
        return
    assert estimate_coordination_window(frame(rows), quantile=quantile, share=share) == reference_window(
        rows, quantile, share
    )


def test_estimate_finds_the_ring_speed():
    rng = np.random.default_rng(0)
    rows = []
    # Organic targets: a handful of accounts over hours.
    for target in range(200):
        for account in rng.choice(500, size=5, replace=False):
            rows.append((f"u{account}", f"organic{target}", int(rng.integers(0, 86_400))))
    # A ring of 10 accounts hitting 30 targets within 8 seconds.
    for target in range(30):
        start = int(rng.integers(0, 86_400))
        for account in range(10):
            rows.append((f"ring{account}", f"pushed{target}", start + int(rng.integers(0, 8))))
    window = estimate_coordination_window(frame(rows), quantile=0.1)
    assert 0 < window <= 8


def test_estimate_parameters_are_checked():
    with pytest.raises(ParameterError, match="quantile"):
        estimate_coordination_window(frame([("a", "v", 0)]), quantile=0)
    with pytest.raises(ParameterError, match="share"):
        estimate_coordination_window(frame([("a", "v", 0)]), share=1.5)


def test_multiscale_equals_separate_runs_and_nests():
    rng = np.random.default_rng(5)
    rows = [(f"a{rng.integers(0, 12)}", f"t{rng.integers(0, 15)}", int(rng.integers(0, 3000))) for _ in range(400)]
    data = frame(rows)
    scanned = coordination_edges_multiscale(data, windows=(600, 10, 60), min_weight=2)
    assert scanned["window"].drop_duplicates().tolist() == [10.0, 60.0, 600.0]
    for window in (10, 60, 600):
        alone = coordination_edges(data, window=window, min_weight=2)
        part = scanned[scanned["window"] == window].drop(columns="window").reset_index(drop=True)
        pd.testing.assert_frame_equal(part, alone)
    small = scanned[scanned["window"] == 10].set_index(["account_a", "account_b"])["weight"]
    large = scanned[scanned["window"] == 600].set_index(["account_a", "account_b"])["weight"]
    assert (large.reindex(small.index) >= small).all()
    assert set(scanned.attrs["excluded_targets"]) == {10.0, 60.0, 600.0}
