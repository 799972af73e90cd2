"""The app's caches: validated tables and detection results keyed by the input files' hashes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tsinvest.widgets.cache import cache_key, cached_detect, cached_load

SAMPLE = Path(__file__).resolve().parents[2] / "data_samples"


@pytest.fixture()
def small_data(tmp_path):
    """A few rows of the sample (ids with leading zeros included), so detection runs in a second."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("accounts", "events", "logins", "reports"):
        frame = pd.read_csv(SAMPLE / f"{name}.csv", dtype=str, keep_default_na=False)
        frame.head(400).to_csv(folder / f"{name}.csv", index=False)
    return folder


def test_tables_cache_round_trips_exactly_and_follows_file_changes(small_data, tmp_path):
    cache = tmp_path / "cache"
    first = cached_load(small_data, cache_dir=cache)
    again = cached_load(small_data, cache_dir=cache)
    assert list(first) == list(again)
    for name in first:
        pd.testing.assert_frame_equal(first[name], again[name])
    assert not list(cache.rglob("*.pkl")) and not list(cache.rglob("*.pickle"))
    key = cache_key(small_data, {"validated": True})
    accounts = small_data / "accounts.csv"
    accounts.write_text(accounts.read_text() + "", encoding="utf-8")
    assert cache_key(small_data, {"validated": True}) == key
    lines = accounts.read_text().splitlines()
    accounts.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    assert cache_key(small_data, {"validated": True}) != key
    assert len(cached_load(small_data, cache_dir=cache)["accounts"]) == len(first["accounts"]) - 1


def test_detection_cache_hit_equals_the_fresh_result(tmp_path):
    cache = tmp_path / "cache"
    cached_load(SAMPLE, cache_dir=cache)
    tables = cached_load(SAMPLE, cache_dir=cache)  # read back from Parquet: detection must run on these too
    fresh = cached_detect(tables, data_dir=SAMPLE, cache_dir=cache, seed=3, as_of="2026-03-30T00:00:00Z")
    hit = cached_detect(tables, data_dir=SAMPLE, cache_dir=cache, seed=3, as_of="2026-03-30T00:00:00Z")
    assert (fresh.parameters["cache"], hit.parameters["cache"]) == ("miss", "hit")
    assert len(fresh.clusters) > 0
    for name in ("memberships", "clusters", "edges"):
        pd.testing.assert_frame_equal(getattr(fresh, name).reset_index(drop=True), getattr(hit, name),
                                      check_dtype=False)
    assert sorted(hit.graph.edges) == sorted(fresh.graph.edges)
    assert dict(hit.graph.nodes(data=True)) == dict(fresh.graph.nodes(data=True))
    assert hit.exclusions == fresh.exclusions
    assert cache_key(SAMPLE, {"seed": 3}) != cache_key(SAMPLE, {"seed": 4})
    assert not [path for path in cache.iterdir() if path.name.endswith(".partial")]
