"""The independent generator (bench/independent) and the quality scoring of bench/quality.py."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]


def _module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def independent():
    return _module(REPO / "bench" / "independent" / "generator.py", "independent_generator")


@pytest.fixture(scope="module")
def folder(independent, tmp_path_factory):
    out = tmp_path_factory.mktemp("independent") / "folder"
    return out, independent.generate(out, seed=1234, events=20_000, adaptive=True)


def test_written_without_the_project_generator():
    lines = (REPO / "bench" / "independent" / "generator.py").read_text(encoding="utf-8").splitlines()
    imports = [line.strip() for line in lines if line.strip().startswith(("import ", "from "))]
    assert imports and not [line for line in imports if "tsinvest" in line]


def test_same_seed_same_bytes(independent, tmp_path):
    independent.generate(tmp_path / "a", seed=3, events=20_000)
    independent.generate(tmp_path / "b", seed=3, events=20_000)
    for name in ("accounts.csv", "events.csv", "reports.csv", "logins.csv", "enforcements.csv", "truth.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_loads_with_the_project_loader_and_truth_is_consistent(folder):
    from tsinvest.loading import load_dir

    out, truth = folder
    tables = load_dir(out)
    accounts = set(tables["accounts"]["account_id"])
    kinds = {c["kind"] for c in truth["campaigns"]}
    assert kinds == {"amplification", "mass_report", "farm", "copy_paste", "ban_evasion"}
    assert {t["kind"] for t in truth["traps"]} == {"viral_videos", "heavy_users", "notification_fans", "carrier_nat",
                                                   "common_comments", "fan_community"}
    for entry in truth["campaigns"] + truth["traps"]:
        assert set(entry["accounts"]) <= accounts, entry["id"]
    for entry in truth["campaigns"]:
        assert "parameters" in entry
    assert json.loads((out / "truth.json").read_text(encoding="utf-8")) == truth
    enforced = set(tables["enforcements"]["account_id"])
    assert all(set(c["enforced_accounts"]) <= enforced for c in truth["campaigns"] if c["kind"] == "ban_evasion")


def test_id_formats_include_19_digits_and_leading_zeros(folder):
    out, _ = folder
    ids = pd.read_csv(out / "accounts.csv", dtype=str, keep_default_na=False)["account_id"]
    assert ids.str.fullmatch(r"[1-9]\d{18}").any()
    assert ids.str.fullmatch(r"0\d{18}").any()
    assert ids.str.fullmatch(r"0\d{7,11}").any()
    assert ids.is_unique


def test_quality_scores_precision_recall_and_traps():
    quality = _module(REPO / "bench" / "quality.py", "bench_quality")
    truth = {
        "campaigns": [{"id": "amplification-01", "kind": "amplification", "accounts": ["a1", "a2"]},
                      {"id": "ban_evasion-01", "kind": "ban_evasion", "accounts": ["e1"], "enforced_accounts": ["b1"]}],
        "traps": [{"id": "viral_videos-01", "kind": "viral_videos", "accounts": ["v1", "v2"]}],
    }

    class Result:
        memberships = pd.DataFrame({
            "account_id": ["a1", "v1", "e1", "b1", "x"], "cluster_id": ["c1", "c1", "c2", "c2", "c3"],
            "kind": ["amplification", "amplification", "ban_evasion", "ban_evasion", "farm"],
            "flagged": [True, True, True, True, False],
        })

    report = quality.evaluate(Result(), truth)
    assert report["kinds"]["amplification"]["precision"] == 0.5
    assert report["kinds"]["amplification"]["recall"] == 0.5
    # The enforced account an evader is tied to is the same operator: not a false positive.
    assert report["kinds"]["ban_evasion"]["precision"] == 1.0
    assert report["traps"] == {"viral_videos": 1, "any_trap": 1}
    assert set(quality.TUNING_SEEDS).isdisjoint(quality.EVALUATION_SEEDS) and len(quality.EVALUATION_SEEDS) >= 20
