"""Time the whole :func:`tsinvest.detect.detect` on generated folders; print per-stage time, peak memory, events/s.

Usage::

    python bench/bench_detect.py --events 1000000 5000000          # targets: 1M <= 30 s / 2 GB, 5M <= 3 min / 6 GB
    python bench/bench_detect.py --events 50000 --timeout 900       # what the current code manages
    python bench/bench_detect.py --events 200000 --switches viral --generator independent

Data. The project's generator (:func:`tsinvest.synthetic.generate_sample`)
writes all six tables with the switches given (default ``all``: viral videos
shared by thousands within minutes, heavy users with 10k+ events, notification
fans, a carrier-NAT IP, very common comments, blend-in rings, substituted spam,
ban evaders); ``--generator independent`` uses ``bench/independent/``. Folders
are cached in ``bench/out/detect_<generator>_<events>_s<seed>_<switches>/``
(git-ignored) and reused.

What is timed. ``detect(folder, seed=0)`` from the folder on disk to the
finished result, in a fresh child process (so generation does not count
towards memory). Per-stage wall time comes from ``result.stage_seconds``
(load, one stage per kind, assemble). Peak memory is the
child's ``ru_maxrss`` plus the largest ``ru_maxrss`` of its own children
(``resource.getrusage``); next to each stage, the peak so far (``VmHWM`` read
after loading and after each detector), which shows the stage that set the
peak. ``--timeout`` stops a run that does not finish and says so.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def _high_water_mib() -> int | None:
    """Peak resident memory of this process so far (Linux ``VmHWM``), or None elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmHWM"))
    except (OSError, StopIteration):
        return None


def _record_peaks(peaks: dict) -> None:
    """Note the peak memory after loading and after each detector (wraps them; detect itself is unchanged)."""
    from tsinvest.detection import pipeline
    from tsinvest.detection.registry import DETECTORS

    load = pipeline._load

    def loading(*args, **kwargs):
        tables = load(*args, **kwargs)
        peaks["load"] = _high_water_mib()
        return tables

    pipeline._load = loading
    for kind, detector in DETECTORS.items():
        run = detector.run

        def running(*args, _run=run, _kind=kind, **kwargs):
            found = _run(*args, **kwargs)
            peaks[_kind] = _high_water_mib()
            return found

        detector.run = running


def _worker(folder: str, permutations: int | None) -> int:
    from tsinvest.detect import detect

    kwargs = {} if permutations is None else {"n_permutations": permutations}
    peaks: dict = {}
    _record_peaks(peaks)
    started, cpu_started = time.perf_counter(), time.process_time()
    result = detect(folder, seed=0, progress=False, **kwargs)
    total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    stages = result.stage_seconds
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    flagged = result.memberships[result.memberships["flagged"].astype(bool)]
    print("RESULT " + json.dumps({
        "total_seconds": total, "cpu_seconds": cpu,
        "stage_seconds": {str(k): float(v) for k, v in stages.items()} if isinstance(stages, dict) else None,
        "maxrss_kib": own, "children_maxrss_kib": children, "peak_mib_after": peaks,
        "clusters": int(len(result.clusters)), "flagged_clusters": int(result.clusters["flagged"].astype(bool).sum()),
        "flagged_accounts": {str(k): int(v) for k, v in flagged.groupby("kind")["account_id"].nunique().items()},
        "edges": int(len(result.edges)),
    }), flush=True)
    return 0


def _folder(generator: str, events: int, seed: int, switches: str) -> tuple[Path, dict]:
    tag = switches.replace(",", "+") or "none"
    folder = OUT / f"detect_{generator}_{events}_s{seed}_{tag}"
    if (folder / "truth.json").exists():
        return folder, json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    started = time.perf_counter()
    if generator == "project":
        from tsinvest.synthetic import generate_sample

        truth = generate_sample(folder, seed=seed, scale=events, switches=switches or None, progress=False)
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent / "independent"))
        from generator import generate  # noqa: E402

        truth = generate(folder, seed=seed, events=events)
    print(f"generated {folder.name} in {time.perf_counter() - started:.1f} s", flush=True)
    return folder, truth


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--generator", choices=("project", "independent"), default="project")
    parser.add_argument("--switches", default="all", help="generator switches (project generator), default all")
    parser.add_argument("--permutations", type=int, help="null-model permutations (default: detect's own)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before a detect run is stopped")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return _worker(args.worker, args.permutations)

    OUT.mkdir(exist_ok=True)
    for events in args.events:
        folder, truth = _folder(args.generator, events, args.seed, args.switches if args.generator == "project" else "")
        counts = truth["counts"]
        print(f"folder          {folder}")
        print("rows            " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        load = os.getloadavg()
        command = [sys.executable, __file__, "--worker", str(folder)]
        if args.permutations is not None:
            command += ["--permutations", str(args.permutations)]
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 start_new_session=True)
        try:
            out, err = child.communicate(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
            elapsed = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            print(f"detect          DID NOT FINISH within {args.timeout:.0f} s (stopped after {elapsed:.0f} s); "
                  f"peak RSS so far >= {peak / 1024:,.0f} MiB")
            continue
        if child.returncode != 0:
            print(f"detect          FAILED (exit {child.returncode}):\n{err[-3000:]}")
            continue
        line = next(x for x in out.splitlines() if x.startswith("RESULT "))
        figures = json.loads(line[len("RESULT "):])
        total = figures["total_seconds"]
        peak = figures["maxrss_kib"] + figures["children_maxrss_kib"]
        print(f"load average    {load[0]:.1f} before, {os.getloadavg()[0]:.1f} after")
        print(f"events          {counts['events']:,}")
        # On a shared machine wall time waits for other processes; CPU time (all threads) does not.
        print(f"detect seconds  {total:.1f} (CPU {figures['cpu_seconds']:.1f} s over all threads)")
        stages = figures["stage_seconds"]
        if stages:
            width = max(len(k) for k in stages)
            peaks = figures.get("peak_mib_after") or {}
            for stage, seconds in stages.items():
                peak_text = f"  peak so far {peaks[stage]:,} MiB" if peaks.get(stage) else ""
                print(f"  {stage:<{width}}  {seconds:8.2f} s  {100 * seconds / total:5.1f} %{peak_text}")
        print(f"events/s        {counts['events'] / total:,.0f}")
        print(f"peak RSS        {peak / 1024:,.0f} MiB (detect process {figures['maxrss_kib'] / 1024:,.0f} MiB, "
              f"its children {figures['children_maxrss_kib'] / 1024:,.0f} MiB)")
        print(f"clusters        {figures['clusters']} ({figures['flagged_clusters']} flagged), "
              f"edges {figures['edges']:,}")
        print(f"flagged         {figures['flagged_accounts']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
