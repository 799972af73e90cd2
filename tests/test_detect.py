"""detect() on the committed sample: the quality bar, outputs, determinism, CLI."""

import json
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from tsinvest.cli import main
from tsinvest.detect import detect

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples"
KINDS = ("amplification", "mass_report", "farm", "copy_paste")


@pytest.fixture(scope="module")
def truth():
    return json.loads((SAMPLE / "truth.json").read_text())


@pytest.fixture(scope="module")
def result():
    # Fewer permutations keep the test fast; the flags do not depend on them
    # beyond the p-value floor (1/50 < 0.01 would fail, so 99).
    return detect(SAMPLE, seed=0, n_permutations=99, progress=False)


@pytest.mark.parametrize("kind", KINDS)
def test_precision_and_recall_per_kind(result, truth, kind):
    planted = {a for c in truth["campaigns"] if c["kind"] == kind for a in c["accounts"]}
    found = set(result.flagged_accounts(kind))
    assert planted, "sample has campaigns of every kind"
    assert len(found & planted) / len(found) >= 0.95
    assert len(found & planted) / len(planted) >= 0.95


def test_no_trap_account_flagged(result, truth):
    planted = {a for c in truth["campaigns"] for a in c["accounts"]}
    flagged = set(result.flagged_accounts())
    for trap in truth["traps"]:
        assert not (set(trap["accounts"]) - planted) & flagged, trap["kind"]


def test_summary_explains_and_is_sorted(result):
    clusters = result.clusters
    assert list(clusters.columns[:7]) == ["cluster_id", "kind", "signal", "signals", "size", "score", "flagged"]
    flagged = clusters[clusters["flagged"]]
    assert flagged["explanation"].str.endswith("Flagged.").all()
    assert flagged["explanation"].str.contains("accounts").all()
    assert clusters["score"].is_monotonic_decreasing
    m = result.memberships
    assert m["account_id"].str.len().eq(19).all()  # 19-digit ids survive, leading zeros included


def test_write_outputs_atomically_and_cli(tmp_path, result, capsys):
    out = result.write(tmp_path / "out")
    names = sorted(p.name for p in out.iterdir())
    assert names == ["cluster_summary.csv", "clusters.csv", "edges.csv", "exclusions.json",
                     "graph.graphml", "graph.json", "parameters.json"]
    assert all((out / name).stat().st_mode & 0o777 == 0o600 for name in names)
    assert set(json.loads((out / "exclusions.json").read_text())) == set(result.parameters["kinds"])
    clusters = pd.read_csv(out / "clusters.csv", dtype={"account_id": str}, encoding="utf-8-sig")
    assert {"account_id", "cluster_id", "signal", "score", "flagged"} <= set(clusters.columns)
    graph = nx.read_graphml(out / "graph.graphml")
    assert graph.number_of_edges() == len(result.graph.edges)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    # Deterministic: a second run with the same seed writes identical files.
    code = main(["detect", str(SAMPLE), "--out", str(tmp_path / "cli"), "--seed", "0", "--permutations", "99",
                 "--no-progress"])
    assert code == 0 and "flagged" in capsys.readouterr().out
    for name in ("clusters.csv", "cluster_summary.csv", "edges.csv", "exclusions.json", "parameters.json"):
        assert (tmp_path / "cli" / name).read_bytes() == (out / name).read_bytes(), name


def test_bad_input_is_a_clear_error(tmp_path):
    assert main(["detect", str(tmp_path / "missing"), "--out", str(tmp_path / "o"), "--no-progress"]) == 1
    assert not (tmp_path / "o").exists()


def test_adaptive_sample_quality(tmp_path):
    """Evasive campaigns (aged accounts, minutes of jitter, proxies, obfuscated text) and notification fans."""
    from tsinvest.synthetic import generate_sample

    truth = generate_sample(tmp_path / "adaptive", seed=4, adaptive=True, progress=False)
    result = detect(tmp_path / "adaptive", seed=0, n_permutations=99, progress=False)
    for kind in KINDS:
        planted = {a for c in truth["campaigns"] if c["kind"] == kind for a in c["accounts"]}
        found = set(result.flagged_accounts(kind))
        assert len(found & planted) / len(found) >= 0.9, kind
        assert len(found & planted) / len(planted) >= 0.9, kind
    planted_any = {a for c in truth["campaigns"] for a in c["accounts"]}
    fans = {a for t in truth["traps"] if t["kind"] == "notification_fans" for a in t["accounts"]} - planted_any
    assert fans and not fans & set(result.flagged_accounts())


def test_auto_window_and_bad_window(tmp_path):
    events = pd.DataFrame({"account_id": ["1", "2"] * 3, "action": "share",
                           "target_id": ["v1", "v1", "v2", "v2", "v3", "v3"],
                           "ts": pd.to_datetime([0, 5, 100, 104, 900, 903], unit="s", utc=True)})
    result = detect({"events": events}, window="auto", n_permutations=9, progress=False)
    assert 0 < result.parameters["window"] < 600
    from tsinvest.exceptions import ParameterError

    with pytest.raises(ParameterError):
        detect({"events": events}, window="sometimes", progress=False)
