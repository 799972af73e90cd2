"""Samples shared by the synthetic-data tests (generated once per test session)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tsinvest.synthetic import generate_sample

TABLES = ("accounts", "events", "reports", "logins", "enforcements", "escalations")


class Sample:
    """A generated sample read back as plain strings (no type inference)."""

    def __init__(self, directory: Path, truth: dict):
        self.directory = directory
        self.truth = truth
        self.tables = {
            name: pd.read_csv(directory / f"{name}.csv", dtype=str, keep_default_na=False) for name in TABLES
        }
        for frame in self.tables.values():
            for column in ("ts", "created_at", "opened_at", "due_at"):
                if column in frame:
                    frame[column + "_time"] = pd.to_datetime(frame[column], utc=True)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def entries(self, kind: str, section: str = "campaigns") -> list[dict]:
        return [entry for entry in self.truth[section] if entry["kind"] == kind]


@pytest.fixture(scope="session")
def small(tmp_path_factory) -> Sample:
    directory = tmp_path_factory.mktemp("small") / "sample"
    truth = generate_sample(directory, seed=7, scale="small")
    assert json.loads((directory / "truth.json").read_text(encoding="utf-8")) == truth
    return Sample(directory, truth)


@pytest.fixture(scope="session")
def adaptive(tmp_path_factory) -> Sample:
    directory = tmp_path_factory.mktemp("adaptive") / "sample"
    return Sample(directory, generate_sample(directory, seed=11, scale=30_000, adaptive=True))
