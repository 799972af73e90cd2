"""``tsinvest detect --engine spark``: Spark links, the rest runs locally; the outputs are the local ones."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tsinvest.cli import main
from tsinvest.exceptions import ParameterError

SCRIPT = "limited time offer get ten thousand real followers fast visit our page now"


def write_folder(folder) -> None:
    """A ring that shares every video within seconds, a device farm, a copy-paste campaign and organic noise."""
    start = pd.Timestamp("2026-03-02T00:00:00Z")
    events, logins = [], []
    ring = [f"00000000000000001{i:02d}" for i in range(6)]
    for video in range(8):
        for position, account in enumerate(ring):
            events.append((account, "share", f"0{video}", start + pd.Timedelta(hours=video, seconds=3 * position), ""))
    events.append((ring[0], "like", "00", start + pd.Timedelta(seconds=1), ""))  # a pair of one account: not linked
    for n in range(30):  # organic: one share each, spread over days
        events.append((f"9{n:02d}", "share", f"0{n % 8}", start + pd.Timedelta(hours=11 * n + 5), ""))
    campaign = [f"7{i}" for i in range(5)]
    for i, account in enumerate(campaign):
        for day in range(3):
            text = SCRIPT.upper() if i % 2 else SCRIPT + f' "now" é\x01 {"!" * i}'
            events.append((account, "comment", f"p{day}", start + pd.Timedelta(days=day, minutes=i), text))
    farm = [f"5{i}" for i in range(6)]
    for i, account in enumerate(farm):
        for device in ("dA", "dB"):
            logins.append((account, start + pd.Timedelta(minutes=i), f"10.0.0.{i % 2}", device))
    for n in range(20):
        logins.append((f"9{n:02d}", start + pd.Timedelta(minutes=n), f"100.64.0.{n}", f"organic{n}"))
    frame = pd.DataFrame(events, columns=["account_id", "action", "target_id", "ts", "text"])
    frame["ts"] = frame["ts"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    frame.to_csv(folder / "events.csv", index=False)
    table = pd.DataFrame(logins, columns=["account_id", "ts", "ip", "device_id"])
    table["ts"] = table["ts"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    table.to_csv(folder / "logins.csv", index=False)


def test_spark_detect_writes_the_local_outputs(spark, tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    write_folder(data)
    options = ["--no-progress", "--permutations", "19", "--graph-formats", "json"]
    assert main(["detect", str(data), "--out", str(tmp_path / "local"), *options]) == 0
    assert main(["detect", str(data), "--out", str(tmp_path / "spark"), *options, "--engine", "spark",
                 "--spark-master", "local[2]"]) == 0
    assert "linking on spark local[2]" in capsys.readouterr().out
    for name in ("clusters.csv", "cluster_summary.csv", "edges.csv", "exclusions.json", "parameters.json",
                 "graph.json"):
        assert (tmp_path / "spark" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    clusters = pd.read_csv(tmp_path / "local" / "cluster_summary.csv")
    assert {"farm", "copy_paste"} <= set(clusters.loc[clusters["flagged"], "kind"])
    assert "amplification" in set(clusters["kind"])
    assert json.loads((tmp_path / "local" / "exclusions.json").read_text())["amplification"]["windowed_pairs"] > 0


def test_a_component_too_large_for_the_local_community_step_is_refused(spark, tmp_path):
    from tsinvest.detection import detect
    from tsinvest.loading import load_dir
    from tsinvest.spark.detect import SparkLinking

    write_folder(tmp_path)
    tables = load_dir(tmp_path)
    with pytest.raises(ParameterError, match=r"co-action edges: one connected component of the edges has 6 accounts"):
        detect(tables, kinds=("amplification",), progress=False, n_permutations=19,
               linking=SparkLinking(spark, max_component_accounts=5))
