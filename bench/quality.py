"""Detection quality on the synthetic sample: account-level precision/recall per planted kind.

Usage::

    python bench/quality.py [--seeds 1 2 3] [--adaptive] [--scale small] [--verbose]

For each seed it generates a sample (``tsinvest.synthetic.generate_sample``),
runs :func:`tsinvest.detect.detect` at default settings and prints, per kind:

* precision: among accounts flagged in clusters of kind X, the share that are
  truly members of X campaigns;
* recall: the share of X campaign accounts flagged in a cluster of kind X;
* trap hits: accounts of each trap (viral_burst, fan_community, carrier_nat,
  notification_fans, ...) flagged in any cluster (must be 0).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

KINDS = ("amplification", "mass_report", "farm", "copy_paste")


def evaluate(result, truth: dict) -> dict:
    """Per-kind precision/recall and trap hits of one detection result against truth."""
    members = result.memberships
    flagged = members[members["flagged"]]
    scores = {}
    for kind in KINDS:
        planted = {a for c in truth["campaigns"] if c["kind"] == kind for a in c["accounts"]}
        found = set(flagged.loc[flagged["kind"] == kind, "account_id"].astype(str))
        precision = len(found & planted) / len(found) if found else (1.0 if not planted else 0.0)
        recall = len(found & planted) / len(planted) if planted else 1.0
        scores[kind] = {"precision": precision, "recall": recall, "flagged": len(found), "planted": len(planted)}
    planted_any = {a for c in truth["campaigns"] for a in c["accounts"]}
    all_flagged = set(flagged["account_id"].astype(str))
    traps = {}
    for trap in truth["traps"]:
        accounts = set(trap["accounts"]) - planted_any
        traps[trap["kind"]] = traps.get(trap["kind"], 0) + len(accounts & all_flagged)
    return {"kinds": scores, "traps": traps}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--adaptive", action="store_true")
    parser.add_argument("--scale", default="small")
    parser.add_argument("--data", help="evaluate this existing sample folder (with truth.json) instead")
    parser.add_argument("--verbose", action="store_true", help="list flagged clusters with their true labels")
    args = parser.parse_args(argv)

    from tsinvest.detect import detect
    from tsinvest.synthetic import generate_sample

    floor = 0.9 if args.adaptive else 0.95
    failures = 0
    print(f"{'seed':>5} {'kind':<14} {'precision':>9} {'recall':>7} {'flagged':>8} {'planted':>8}   traps flagged")
    runs = [(None, Path(args.data))] if args.data else [(seed, None) for seed in args.seeds]
    for seed, folder in runs:
        with tempfile.TemporaryDirectory() as tmp:
            if folder is None:
                folder = Path(tmp) / "sample"
                generate_sample(folder, seed=seed, scale=args.scale, adaptive=args.adaptive, progress=False)
            truth = json.loads((folder / "truth.json").read_text())
            started = time.perf_counter()
            result = detect(folder, seed=0, progress=False)
            elapsed = time.perf_counter() - started
            report = evaluate(result, truth)
            trap_text = ", ".join(f"{k}={v}" for k, v in sorted(report["traps"].items()))
            for index, kind in enumerate(KINDS):
                s = report["kinds"][kind]
                ok = s["precision"] >= floor and s["recall"] >= floor
                failures += not ok
                print(f"{str(truth['seed']):>5} {kind:<14} {s['precision']:>9.3f} {s['recall']:>7.3f} {s['flagged']:>8} "
                      f"{s['planted']:>8}   {trap_text if index == 0 else ''}{'' if ok else '  <-- below ' + str(floor)}")
            bad_traps = {k: v for k, v in report["traps"].items() if v and (args.adaptive or k != "notification_fans")}
            failures += bool(bad_traps)
            print(f"      detect took {elapsed:.1f} s")
            if args.verbose:
                label = {}
                for c in truth["campaigns"] + truth["traps"]:
                    for a in c["accounts"]:
                        label.setdefault(a, c["id"])
                m = result.memberships
                for cid, group in m[m["flagged"]].groupby("cluster_id"):
                    counts = group["account_id"].astype(str).map(label).fillna("organic").value_counts().to_dict()
                    print(f"      {group['kind'].iloc[0]:<14} {cid} {counts}")
    print("OK" if not failures else f"{failures} check(s) below the bar")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
