"""``tsinvest coordination --engine spark``: the same edge files as the local engine."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq

from tsinvest.cli import main


def write_events(path):
    pd.DataFrame(
        {
            "account_id": [
                "0000000000000000001",
                "0000000000000000002",
                "0000000000000000001",
                "0000000000000000002",
                "9",
            ],
            "action": ["share", "share", "share", "like", "share"],
            "target_id": ["007", "007", "008", "008", "007"],
            "ts": [
                "2026-03-02T00:00:00Z",
                "2026-03-02T00:00:30Z",
                "2026-03-02T01:00:00Z",
                "2026-03-02T01:00:59Z",
                "2026-03-02T00:00:59.000001+00:00",
            ],
        }
    ).to_csv(path, index=False)


def test_spark_engine_writes_the_local_edges_in_microsecond_parquet(spark, tmp_path, capsys):
    events = tmp_path / "events.csv"
    write_events(events)
    local, remote = tmp_path / "local.parquet", tmp_path / "spark.parquet"
    assert main(["coordination", str(events), "--min-weight", "1", "--out", str(local), "--no-progress"]) == 0
    assert (
        main(
            [
                "coordination",
                str(events),
                "--min-weight",
                "1",
                "--out",
                str(remote),
                "--engine",
                "spark",
                "--spark-master",
                "local[2]",
            ]
        )
        == 0
    )
    assert "spark local[2]" in capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_parquet(remote), pd.read_parquet(local))
    assert len(pd.read_parquet(remote)) == 3
    for path in (local, remote):
        assert str(pq.read_schema(path).field("first_ts").type) == "timestamp[us, tz=UTC]"
    # Spark reads what the kit writes (it rejects TIMESTAMP(NANOS)).
    assert spark.read.parquet(str(remote)).count() == 3
