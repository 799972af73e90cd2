"""Fixtures shared by tests in several folders."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

from tsinvest.loading import load_dir

# Property tests draw the same examples on every run (CI included): a failure
# is reproducible, and a run never fails by drawing a new example by chance.
settings.register_profile("deterministic", derandomize=True, database=None)
settings.load_profile("deterministic")

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples"


@pytest.fixture(scope="module")
def recent_sample() -> dict[str, pd.DataFrame]:
    """The bundled sample cut to its last three days of activity (from 2026-03-27).

    Enough for every detector, small enough to run several times per test module.
    Module-scoped: each module gets its own copy, so one module's edits never reach another.
    """
    loaded = load_dir(SAMPLE)
    start = pd.Timestamp("2026-03-27", tz="UTC")
    for name in ("events", "reports", "logins", "enforcements"):
        loaded[name] = loaded[name][loaded[name]["ts"] >= start].reset_index(drop=True)
    return loaded
