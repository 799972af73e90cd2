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


OUTPUTS = ("clusters.csv", "cluster_summary.csv", "edges.csv", "exclusions.json", "parameters.json", "graph.json")


def assert_same_outputs(left, right) -> None:
    for name in OUTPUTS:
        assert (left / name).read_bytes() == (right / name).read_bytes(), name


@pytest.fixture(params=["sample", "generated"])
def folder(request, tmp_path_factory):
    """The sample data, and a generated folder with every switch of real data on (viral targets, NAT, ...)."""
    if request.param == "sample":
        from pathlib import Path

        return Path(__file__).resolve().parents[2] / "data_samples"
    from tsinvest.synthetic import generate_sample

    out = tmp_path_factory.mktemp("generated")
    generate_sample(out, seed=3, scale=10_000, switches="all", progress=False)
    return out


def test_scoped_spark_detect_equals_the_local_engine(spark, folder, tmp_path, monkeypatch, capsys):
    """Spark reads the tables (events as Parquet, logins as a catalogue table, the rest as CSV), links them,
    and the local stages read only the scoped rows: every output file equals the local engine's, byte for byte."""
    import tsinvest.detection
    from tsinvest.detection import detect
    from tsinvest.loading import load_dir

    seen = {}

    def recording_detect(tables, **options):
        seen.update({name: len(frame) for name, frame in tables.items()})
        return detect(tables, **options)

    reader = spark.read.option("header", True).option("escape", '"').option("multiLine", True)
    reader.csv(str(folder / "events.csv")).write.parquet(str(tmp_path / "events_parquet"))
    reader.csv(str(folder / "logins.csv")).createOrReplaceTempView("tsinvest_test_logins")
    monkeypatch.setattr(tsinvest.detection, "detect", recording_detect)
    assert main(["detect", str(folder), "--out", str(tmp_path / "spark"), "--no-progress", "--permutations", "19",
                 "--graph-formats", "json", "--engine", "spark", "--spark-master", "local[2]",
                 "--table", f"events={tmp_path / 'events_parquet'}", "--table", "logins=tsinvest_test_logins"]) == 0
    monkeypatch.undo()
    assert "linking on spark local[2]" in capsys.readouterr().out
    full = load_dir(folder)
    local = detect(full, n_permutations=19, progress=False)
    local.write(tmp_path / "local", graph_formats=("json",))
    assert_same_outputs(tmp_path / "spark", tmp_path / "local")
    assert local.parameters["kinds"] == ["amplification", "mass_report", "farm", "copy_paste", "ban_evasion"]
    assert local.clusters["flagged"].any()
    assert json.loads((tmp_path / "local" / "exclusions.json").read_text())["amplification"]["windowed_pairs"] > 0
    # Scoping collected part of the events and reports, not the tables (ban evasion reads logins whole).
    assert 0 < seen["events"] < len(full["events"]) and 0 < seen["reports"] < len(full["reports"])
    assert seen["logins"] == len(full["logins"]) and seen["escalations"] == 0


def refuse_collection(monkeypatch):
    """Make collecting an edge table fail: a refusal must come before it."""
    import tsinvest.spark.results

    def collected(*_args, **_kwargs):
        raise AssertionError("edges were collected before the component check")

    monkeypatch.setattr(tsinvest.spark.results, "edges_to_pandas", collected)


def test_a_component_too_large_is_refused_on_spark_before_edges_are_collected(spark, tmp_path, monkeypatch):
    from tsinvest.detection import detect
    from tsinvest.loading import load_dir
    from tsinvest.spark.detect import SparkLinking
    from tsinvest.spark.scoped import spark_detect
    from tsinvest.spark.tables import folder_sources

    write_folder(tmp_path)
    tables = load_dir(tmp_path)
    refuse_collection(monkeypatch)
    message = r"co-action edges: one connected component of the edges has 6 accounts, more than the 5 "
    with pytest.raises(ParameterError, match=message):
        spark_detect(folder_sources(tmp_path), spark=spark, kinds=("amplification",), max_component_accounts=5)
    with pytest.raises(ParameterError, match=message):
        detect(tables, kinds=("amplification",), progress=False, n_permutations=19,
               linking=SparkLinking(spark, max_component_accounts=5))


def test_missing_columns_unreadable_and_naive_times_are_reported_on_spark_by_table_and_column(spark, tmp_path):
    from tsinvest.spark.scoped import spark_detect

    (tmp_path / "events.csv").write_text("account_id,action,ts\n001,share,2026-03-02T00:00:00Z\n")
    (tmp_path / "logins.csv").write_text("account_id,ts\n001,yesterday\n002,\n003,2026-03-02T00:00:00Z\n"
                                         "004,2026-03-02 10:00:00\n005,2026-03-02T10:00:00+02:00\n")
    with pytest.raises(ParameterError, match=r"events: column 'target_id' is missing") as error:
        spark_detect({"events": str(tmp_path / "events.csv")}, spark=spark)
    assert "001" not in str(error.value)
    with pytest.raises(ParameterError) as error:
        spark_detect({"logins": str(tmp_path / "logins.csv")}, spark=spark)
    assert "logins: column 'ts' has 1 missing values" in str(error.value)
    assert "logins: column 'ts' has 1 values Spark cannot read as times" in str(error.value)
    # A time without an offset is refused, as the local loader refuses it without --timezone.
    assert "logins: column 'ts' has 1 times without a UTC offset" in str(error.value)
    assert "yesterday" not in str(error.value) and "2026-03-02 10:00:00" not in str(error.value)


def test_flooded_and_hot_targets_are_capped_on_spark_and_counted_as_locally(spark, tmp_path):
    """A flooded target and a hot one beside a ring: the caps run on whole tables, the counts match local."""
    from tsinvest.detection import detect
    from tsinvest.spark.scoped import spark_detect

    start = pd.Timestamp("2026-03-02T00:00:00Z")
    rows = [(f"a{i}", f"v{video}", start + pd.Timedelta(hours=video, seconds=5 * i))
            for video in range(6) for i in range(4)]
    rows += [(account, "hot", start + pd.Timedelta(hours=9, seconds=3 * n))
             for n, account in enumerate(["a0", "a1", "a2", "a3", "o0", "o1", "o2"])]
    rows += [(f"b{n % 2}", "flood", start + pd.Timedelta(hours=10, seconds=n)) for n in range(10)]
    rows += [(f"o{n}", f"v{n}", start + pd.Timedelta(days=1, hours=n)) for n in range(3)]
    events = pd.DataFrame(rows, columns=["account_id", "target_id", "ts"]).assign(action="share")
    events = events.astype({"account_id": "string", "target_id": "string", "action": "string"})
    options = dict(kinds=("amplification",), n_permutations=19,
                   thresholds={"amplification": {"max_actors_per_window": 5, "max_actions_per_window": 8}})
    local = detect({"events": events}, progress=False, **options)
    scoped = spark_detect({"events": spark.createDataFrame(events)}, spark=spark, **options)
    assert local.exclusions["amplification"]["flooded_targets"] == 1
    assert local.exclusions["amplification"]["hot_targets"] == 1
    assert local.exclusions["amplification"]["hot_target_actions"] == 7
    assert len(local.edges) > 0
    local.write(tmp_path / "local", graph_formats=("json",))
    scoped.write(tmp_path / "spark", graph_formats=("json",))
    assert_same_outputs(tmp_path / "spark", tmp_path / "local")
