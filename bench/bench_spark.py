"""Benchmark: co-action edges on the local engine and on Spark local[2], side by side, same events.

Usage::

    .venv/bin/python bench/bench_spark.py --events 1000000
    .venv/bin/python bench/bench_spark.py --events 1000000 5000000 --hot

The events are ``bench/bench_coordination.py``'s synthetic week (Zipf accounts
and targets, 20 planted rings), written once as microsecond Parquet under
``bench/out/``. Each engine runs in a fresh child process from the raw Parquet
file to a pandas edge table (window 60 s, min weight 2):

* local: ``tsinvest.linking.coordination.coordination_edges``; wall time and
  peak RSS;
* Spark: ``tsinvest.spark.coordination_edges`` on ``local_session("local[2]")``;
  wall split into *session* (JVM start), *checks* (read, bucket, exact
  hot-window check: the excluded-target table) and *compute* (edges to
  pandas); peak memory of the JVM (``VmHWM``) plus the Python driver; per
  stage: tasks, shuffle records and bytes read and written, max and median
  task time (Spark's status store, read through the JVM: the UI is off).

Both print a SHA-256 of the edge table sorted by (account_a, account_b), times
as integer microseconds: equal hashes mean equal edges, evidence included.

``--hot`` adds a viral moment to the 1M-event file (3,000 accounts acting on
one target inside 60 s, 8,000 more over its next hour) and runs Spark capped
(default cap 500: the target is excluded), uncapped, and uncapped with
salting (8 salts), plus the local engine capped and uncapped.

``--detect N [N ...]`` generates a sample folder of about N events
(``tsinvest.synthetic.generate_sample``, CSV files, under ``bench/out/``) and
runs, each engine in a fresh child process from the files: the
shared-attribute edges (logins' devices and IPs), the copy-paste candidates
(events' texts), the hourly trend series (events by action), and the whole
``detect`` (local: ``load_dir`` + ``detect``; Spark: ``spark_detect``, the
tables read, linked and scoped on Spark, the scoped rows finished locally).
The Spark runs split wall time into session / checks (reading and checking
the tables on Spark) / compute, report JVM + Python peak memory and the
shuffle figures per stage; every run prints a hash of its result (for
``detect``, of the written output files): equal hashes, equal results.

``--stages DATA_DIR`` runs the other heavy stages on a data folder (the
sample: ``data_samples``) on both engines in one process each: shared-attribute
edges (logins' devices and IPs), copy-paste candidates (events' texts) and the
hourly trend series (events by action); wall times, rows, and whether the
pandas results are equal (``DataFrame.equals``, ``attrs`` included).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _coordination_bench():
    spec = importlib.util.spec_from_file_location("bench_coordination", HERE / "bench_coordination.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def events_file(events: int, seed: int) -> Path:
    path, _ = _coordination_bench().generate(events, zipf=1.0, seed=seed)
    return path


def hot_file(events: int, seed: int) -> Path:
    """The week plus one viral moment (a target hit by thousands of accounts within minutes)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    base = events_file(events, seed)
    path = base.with_name(base.stem + "_hot.parquet")
    if path.exists():
        return path
    table = pq.read_table(base)
    rng = np.random.default_rng(seed)
    accounts = np.unique(table.column("account_id").to_numpy())
    start = int(table.column("ts").cast(pa.int64()).to_numpy().min()) + 3600 * 10**6
    burst = rng.choice(accounts, size=3000, replace=False)
    tail = rng.choice(accounts, size=8000)
    micros = np.concatenate(
        [start + rng.integers(0, 60 * 10**6, size=3000), start + rng.integers(0, 3600 * 10**6, size=8000)]
    )
    extra = pa.table(
        {
            "account_id": pa.array(np.concatenate([burst, tail]), type=pa.string()),
            "action": pa.array(["share"] * len(micros), type=pa.string()),
            "target_id": pa.array(["viral"] * len(micros), type=pa.string()),
            "ts": pa.array(micros, type=pa.timestamp("us", tz="UTC")),
        }
    )
    temp = path.with_suffix(".tmp")
    pq.write_table(pa.concat_tables([table, extra.cast(table.schema)]), temp)
    os.replace(temp, path)
    return path


def edge_hash(edges) -> str:
    """SHA-256 of the edge table sorted by pair, times as integer microseconds."""
    frame = edges.sort_values(["account_a", "account_b"]).reset_index(drop=True)
    lines = [
        "\t".join(
            (
                r.account_a,
                r.account_b,
                r.signal,
                str(int(r.weight)),
                str(r.first_ts.value // 1000),
                str(r.last_ts.value // 1000),
                r.evidence,
            )
        )
        for r in frame.itertuples()
    ]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_local(path: Path, cap: int) -> dict:
    import warnings

    from tsinvest.linking.coordination import coordination_edges

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        edges = coordination_edges(path, window=60, min_weight=2, max_actors_per_window=cap)
    seconds = time.perf_counter() - started
    return {
        "engine": "local",
        "seconds": seconds,
        "peak_mib": _peak_mib(),
        "edges": len(edges),
        "excluded": len(edges.attrs["excluded_targets"]),
        "windowed_pairs": edges.attrs["stats"]["windowed_pairs"],
        "hash": edge_hash(edges),
    }


def _jvm_peak_mib(spark) -> float:
    pid = spark.sparkContext._jvm.ProcessHandle.current().pid()
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _stages(spark, after: int) -> list[dict]:
    """Per completed stage with id > ``after``: tasks, shuffle I/O, max and median task time (ms)."""
    context = spark.sparkContext
    store = context._jsc.sc().statusStore()
    gateway = context._gateway
    listed = store.stageList(None, False, False, gateway.new_array(gateway.jvm.double, 0), None)
    rows = []
    for position in range(listed.size()):
        stage = listed.apply(position)
        if stage.stageId() <= after:
            continue
        tasks = store.taskList(stage.stageId(), stage.attemptId(), 100_000)
        durations = [
            tasks.apply(i).duration().get() for i in range(tasks.size()) if tasks.apply(i).duration().isDefined()
        ]
        rows.append(
            {
                "stage": stage.stageId(),
                "tasks": stage.numTasks(),
                "name": stage.name().split(" at ")[0],
                "read_records": stage.shuffleReadRecords(),
                "read_mib": stage.shuffleReadBytes() / 2**20,
                "write_records": stage.shuffleWriteRecords(),
                "write_mib": stage.shuffleWriteBytes() / 2**20,
                "max_task_ms": max(durations, default=0),
                "median_task_ms": statistics.median(durations) if durations else 0,
            }
        )
    return sorted(rows, key=lambda row: row["stage"])


def _last_stage(spark) -> int:
    tracker = spark.sparkContext.statusTracker()
    ids = [
        s
        for job in tracker.getJobIdsForGroup(None)
        for s in (tracker.getJobInfo(job).stageIds if tracker.getJobInfo(job) else [])
    ]
    return max(ids, default=-1)


def run_spark(path: Path, cap: int, salts: int) -> dict:
    import warnings

    started = time.perf_counter()
    from tsinvest.spark import coordination_edges, local_session

    spark = local_session("local[2]", driver_memory="6g", app_name="tsinvest-bench")
    session = time.perf_counter() - started

    began = time.perf_counter()
    result = coordination_edges(
        str(path),
        spark=spark,
        window=60,
        min_weight=2,
        max_actors_per_window=cap,
        salt_partitions=salts,
        salt_min_events=1000,
    )
    excluded = result.excluded_targets.count()
    checks = time.perf_counter() - began
    before = _last_stage(spark)

    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        edges = result.to_pandas()
    compute = time.perf_counter() - began
    stages = _stages(spark, before)
    return {
        "engine": f"spark local[2]{' salted x' + str(salts) if salts > 1 else ''}",
        "seconds": session + checks + compute,
        "session_s": session,
        "checks_s": checks,
        "compute_s": compute,
        "peak_mib": _jvm_peak_mib(spark) + _peak_mib(),
        "jvm_peak_mib": _jvm_peak_mib(spark),
        "python_peak_mib": _peak_mib(),
        "edges": len(edges),
        "excluded": excluded,
        "hash": edge_hash(edges),
        "stages": stages,
    }


def child(kind: str, path: Path, cap: int, salts: int) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--path", str(path), "--cap", str(cap), "--salts", str(salts)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def report(label: str, run: dict) -> None:
    line = f"  {run['engine']:<24} {run['seconds']:8.1f} s"
    if "session_s" in run:
        line += f"  (session {run['session_s']:.1f} + checks {run['checks_s']:.1f} + compute {run['compute_s']:.1f})"
    line += f"  peak {run['peak_mib']:,.0f} MiB"
    if "jvm_peak_mib" in run:
        line += f" (JVM {run['jvm_peak_mib']:,.0f} + Python {run['python_peak_mib']:,.0f})"
    line += f"  edges {run['edges']:,}  excluded {run['excluded']}  hash {run['hash']}"
    print(line, flush=True)
    for stage in run.get("stages", []):
        if not (stage["read_records"] or stage["write_records"] or stage["max_task_ms"]):
            continue  # a stage skipped because its shuffle output was reused
        print(
            f"      stage {stage['stage']:>3} {stage['name'][:22]:<22} tasks {stage['tasks']:>4}"
            f"  shuffle read {stage['read_records']:>12,} rec {stage['read_mib']:>8.1f} MiB"
            f"  write {stage['write_records']:>12,} rec {stage['write_mib']:>8.1f} MiB"
            f"  task max {stage['max_task_ms'] / 1000:>6.1f} s median {stage['median_task_ms'] / 1000:>6.1f} s",
            flush=True,
        )


def run_stages(folder: Path) -> None:
    """The shared-attribute, copy-paste and trend stages, local then Spark, on one data folder."""
    from tsinvest.linking.copy_paste import copy_paste_edges
    from tsinvest.linking.shared_attributes import shared_attribute_edges
    from tsinvest.loading import load_dir
    from tsinvest.spark import copy_paste_edges as spark_copy_paste
    from tsinvest.spark import local_session
    from tsinvest.spark import shared_attribute_edges as spark_shared
    from tsinvest.spark import time_series as spark_series
    from tsinvest.trends import time_series

    tables = load_dir(folder)
    events, logins = tables["events"], tables["logins"]
    stages = {
        "shared attributes": (
            lambda: shared_attribute_edges(logins, attributes=("device_id", "ip")),
            lambda spark: spark_shared(logins, spark=spark, attributes=("device_id", "ip")).to_pandas(),
        ),
        "copy-paste": (
            lambda: copy_paste_edges(events, min_weight=1, progress=False),
            lambda spark: spark_copy_paste(events, spark=spark, min_weight=1).to_pandas(),
        ),
        "trend series": (
            lambda: time_series(events, freq="H", by="action", distinct="account_id"),
            lambda spark: spark_series(events, spark=spark, freq="H", by="action", distinct="account_id"),
        ),
    }
    started = time.perf_counter()
    spark = local_session("local[2]", app_name="tsinvest-bench-stages")
    print(
        f"stages on {folder.name} ({len(events):,} events, {len(logins):,} logins); "
        f"Spark session {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    for name, (local, remote) in stages.items():
        started = time.perf_counter()
        expected = local()
        local_seconds = time.perf_counter() - started
        started = time.perf_counter()
        result = remote(spark)
        spark_seconds = time.perf_counter() - started
        equal = result.equals(expected) and result.attrs == expected.attrs
        print(
            f"  {name}: {len(expected):,} rows; local {local_seconds:.2f} s, spark {spark_seconds:.1f} s "
            f"({spark_seconds / max(local_seconds, 1e-9):.0f}x); equal: {equal}",
            flush=True,
        )
    spark.stop()


def sample_folder(events: int, seed: int) -> Path:
    """A generated sample folder of about ``events`` events (written once under ``bench/out/``)."""
    from tsinvest.synthetic import generate_sample

    out = HERE / "out" / f"sample_{events}_seed{seed}"
    if not (out / "events.csv").exists():
        generate_sample(out, seed=seed, scale=events, progress=False)
    return out


def frame_hash(frame) -> str:
    """SHA-256 of a result table written as CSV (dtypes and order included)."""
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()[:16]


def detection_hash(result) -> str:
    """SHA-256 over the files ``DetectionResult.write`` writes (graph as JSON)."""
    import tempfile

    digest = hashlib.sha256()
    with tempfile.TemporaryDirectory() as folder:
        out = result.write(Path(folder) / "out", graph_formats=("json",))
        for path in sorted(out.iterdir()):
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _local_stage(stage: str, tables: dict):
    from tsinvest.linking.copy_paste import copy_paste_edges
    from tsinvest.linking.shared_attributes import shared_attribute_edges
    from tsinvest.trends import time_series

    if stage == "shared-attributes":
        return shared_attribute_edges(tables["logins"], attributes=("device_id", "ip"))
    if stage == "copy-paste":
        return copy_paste_edges(tables["events"], min_weight=1, progress=False)
    return time_series(tables["events"], freq="H", by="action", distinct="account_id")


def _spark_stage(stage: str, tables: dict, spark):
    from tsinvest.spark import copy_paste_edges, shared_attribute_edges, time_series

    if stage == "shared-attributes":
        return shared_attribute_edges(tables["logins"], attributes=("device_id", "ip")).to_pandas()
    if stage == "copy-paste":
        return copy_paste_edges(tables["events"], min_weight=1).to_pandas()
    return time_series(tables["events"], spark=spark, freq="H", by="action", distinct="account_id")


STAGE_TABLES = {"shared-attributes": "logins", "copy-paste": "events", "trend-series": "events"}


def run_local_folder(folder: Path, stage: str, permutations: int) -> dict:
    """One stage (or ``detect``) on the local engine: checks = loading and validating the tables."""
    from tsinvest.detection import detect
    from tsinvest.loading import load_dir, load_table
    from tsinvest.loading.loaders import find_table_files

    began = time.perf_counter()
    if stage == "detect":
        tables = load_dir(folder)
    else:
        name = STAGE_TABLES[stage]
        tables = {name: load_table(find_table_files(folder)[name], name)}
    checks = time.perf_counter() - began
    began = time.perf_counter()
    if stage == "detect":
        result = detect(tables, n_permutations=permutations, progress=False)
        digest, rows = detection_hash(result), len(result.edges)
    else:
        frame = _local_stage(stage, tables)
        digest, rows = frame_hash(frame), len(frame)
    compute = time.perf_counter() - began
    return {"engine": "local", "seconds": checks + compute, "checks_s": checks, "compute_s": compute,
            "peak_mib": _peak_mib(), "rows": rows, "hash": digest}


def run_spark_folder(folder: Path, stage: str, permutations: int) -> dict:
    """One stage (or ``detect``) on Spark local[2], the tables read by Spark from the folder's files."""
    import warnings

    started = time.perf_counter()
    from tsinvest.spark import local_session
    from tsinvest.spark.scoped import spark_detect
    from tsinvest.spark.tables import canonical_tables, folder_sources

    spark = local_session("local[2]", driver_memory="6g", app_name="tsinvest-bench")
    session = time.perf_counter() - started
    before = _last_stage(spark)
    began = time.perf_counter()
    sources = folder_sources(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if stage == "detect":
            result = spark_detect(sources, spark=spark, n_permutations=permutations)
            checks = result.stage_seconds["spark_read"]
            digest, rows, stage_seconds = detection_hash(result), len(result.edges), result.stage_seconds
        else:
            stage_seconds = {}
            name = STAGE_TABLES[stage]
            tables = {name: canonical_tables(spark, {name: sources[name]})[name].persist()}
            tables[name].count()
            checks = time.perf_counter() - began
            frame = _spark_stage(stage, tables, spark)
            digest, rows = frame_hash(frame), len(frame)
    compute = time.perf_counter() - began - checks
    return {"engine": "spark local[2]", "seconds": session + checks + compute, "session_s": session,
            "checks_s": checks, "compute_s": compute, "peak_mib": _jvm_peak_mib(spark) + _peak_mib(),
            "jvm_peak_mib": _jvm_peak_mib(spark), "python_peak_mib": _peak_mib(), "rows": rows, "hash": digest,
            "stage_seconds": stage_seconds, "stages": _stages(spark, before)}


DETECT_STAGES = ("shared-attributes", "copy-paste", "trend-series", "detect")


def run_detect_bench(events_list: list[int], seed: int, permutations: int,
                     stages: tuple[str, ...] = DETECT_STAGES) -> None:
    """Every heavy stage and the whole ``detect`` on generated folders, local and Spark side by side."""
    for events in events_list:
        folder = sample_folder(events, seed)
        size = sum(path.stat().st_size for path in folder.glob("*.csv")) / 2**20
        print(f"{events:,}-event sample folder ({size:.0f} MiB CSV), {permutations} null samples; "
              f"load average {os.getloadavg()[0]:.1f}", flush=True)
        for stage in stages:
            local = child_folder("local-folder", folder, stage, permutations)
            spark = child_folder("spark-folder", folder, stage, permutations)
            print(f" {stage} (load average {os.getloadavg()[0]:.1f})", flush=True)
            for run in (local, spark):
                run.setdefault("edges", run["rows"])
                run.setdefault("excluded", "-")
                report(stage, {**run, "stages": []})
            shuffle_summary(spark["stages"])
            if spark["stage_seconds"]:
                print(f"      stage seconds: {spark['stage_seconds']}", flush=True)
            print(f"  hashes equal: {local['hash'] == spark['hash']}; Spark / local wall "
                  f"{spark['seconds'] / local['seconds']:.1f}x (compute only "
                  f"{spark['compute_s'] / max(local['compute_s'], 1e-9):.1f}x)", flush=True)


def shuffle_summary(stages: list[dict]) -> None:
    """Totals over a run's Spark stages, and its stage with the most shuffle output."""
    if not stages:
        return
    busiest = max(stages, key=lambda stage: stage["write_records"])
    slowest = max(stages, key=lambda stage: stage["max_task_ms"])
    print(f"      {len(stages)} stages; shuffle read {sum(st['read_records'] for st in stages):,} rec "
          f"{sum(st['read_mib'] for st in stages):.1f} MiB, write {sum(st['write_records'] for st in stages):,} rec "
          f"{sum(st['write_mib'] for st in stages):.1f} MiB; most written: stage {busiest['stage']} "
          f"({busiest['name'][:22]}) {busiest['write_records']:,} rec {busiest['write_mib']:.1f} MiB; slowest task "
          f"{slowest['max_task_ms'] / 1000:.1f} s (stage {slowest['stage']}, median "
          f"{slowest['median_task_ms'] / 1000:.1f} s)", flush=True)


def child_folder(kind: str, folder: Path, stage: str, permutations: int) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--path", str(folder), "--stage", stage,
         "--permutations", str(permutations)],
        check=True, stdout=subprocess.PIPE, text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--hot", action="store_true", help="also run the viral-moment file (capped, uncapped, salted)")
    parser.add_argument("--child", choices=["local", "spark", "local-folder", "spark-folder"])
    parser.add_argument("--stage", default="detect")
    parser.add_argument("--permutations", type=int, default=199, help="null samples of detect (default 199)")
    parser.add_argument("--detect", type=int, nargs="+", metavar="N",
                        help="run the stages and the whole detect on generated folders of about N events")
    parser.add_argument("--only", nargs="+", choices=DETECT_STAGES, metavar="STAGE",
                        help=f"with --detect, run only these of {', '.join(DETECT_STAGES)}")
    parser.add_argument("--path", type=Path)
    parser.add_argument("--cap", type=int, default=500)
    parser.add_argument("--salts", type=int, default=1)
    parser.add_argument(
        "--stages",
        type=Path,
        metavar="DATA_DIR",
        help="run only the shared-attribute, copy-paste and trend stages on this data folder",
    )
    args = parser.parse_args()
    if args.stages:
        run_stages(args.stages)
        return 0
    if args.child in ("local-folder", "spark-folder"):
        runner = run_local_folder if args.child == "local-folder" else run_spark_folder
        print(json.dumps(runner(args.path, args.stage, args.permutations)))
        return 0
    if args.detect:
        run_detect_bench(args.detect, args.seed, args.permutations, tuple(args.only or DETECT_STAGES))
        return 0
    if args.child:
        run = run_local(args.path, args.cap) if args.child == "local" else run_spark(args.path, args.cap, args.salts)
        print(json.dumps(run))
        return 0

    print(f"cores {len(os.sched_getaffinity(0))}, load average {os.getloadavg()[0]:.1f}", flush=True)
    for events in args.events:
        path = events_file(events, args.seed)
        print(
            f"{events:,} events ({path.stat().st_size / 2**20:.0f} MiB Parquet), window 60 s, min weight 2", flush=True
        )
        local, spark = child("local", path, 500, 1), child("spark", path, 500, 1)
        report("local", local)
        report("spark", spark)
        ratio = spark["seconds"] / local["seconds"]
        print(
            f"  hashes equal: {local['hash'] == spark['hash']}; Spark / local wall {ratio:.1f}x"
            f" (compute only {spark['compute_s'] / local['seconds']:.1f}x)",
            flush=True,
        )
    if args.hot:
        path = hot_file(min(args.events), args.seed)
        print(f"hot: {min(args.events):,} events + one viral moment (3,000 accounts in 60 s on one target)", flush=True)
        runs = [
            ("local capped (500)", child("local", path, 500, 1)),
            ("local uncapped", child("local", path, 10**9, 1)),
            ("spark capped (500)", child("spark", path, 500, 1)),
            ("spark uncapped", child("spark", path, 10**9, 1)),
            ("spark uncapped salted", child("spark", path, 10**9, 8)),
        ]
        for label, run in runs:
            print(f" {label}", flush=True)
            report(label, run)
        hashes = {label: run["hash"] for label, run in runs}
        capped_equal = hashes["local capped (500)"] == hashes["spark capped (500)"]
        uncapped = {hashes["local uncapped"], hashes["spark uncapped"], hashes["spark uncapped salted"]}
        print(
            f"  capped hashes equal: {capped_equal}; uncapped, salted and local uncapped equal: {len(uncapped) == 1}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
