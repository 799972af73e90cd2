"""Detection quality on data it was not tuned on: precision/recall per kind, worst case, trap hits.

Usage::

    python bench/quality.py                                  # evaluation seeds 26000-26019, both generators, settings
    python bench/quality.py --tuning                         # tuning seeds 2000-2019, 3000-3019, ..., 25000-25019
    python bench/quality.py --seeds 1000 1001 --generator independent --setting adaptive --size 20000
    python bench/quality.py --data FOLDER                    # one existing folder with truth.json

Seeds. TUNING seeds (2000-2019, 3000-3019, ..., 25000-25019) are for whoever
tunes ``detect``; EVALUATION seeds (26000-26019) are never looked at while
tuning. Earlier rounds tuned on 1-5 and evaluated on 1000-1019, tuned on
2000-2019 and evaluated on 3000-3019, then evaluated on 4000-4019, 5000-5019,
6000-6019, 7000-7019, 8000-8019, 9000-9019, 10000-10019, 11000-11019,
12000-12019, 13000-13019, 14000-14019, 15000-15019, 16000-16019,
17000-17019, 18000-18019, 19000-19019, 20000-20019, 21000-21019,
22000-22019, 23000-23019, 24000-24019 and 25000-25019;
evaluation results that were read become tuning data, so each round moves
to a new evaluation set (see bench/README.md). Each seed also draws the adversaries' parameters (group
sizes, timing spread, blend-in share, obfuscation rate, aged or new accounts,
target popularity), so 20 seeds are 20 parameter draws per setting.

Generators. ``project``: :func:`tsinvest.synthetic.generate_sample` with its
switches; ``independent``: ``bench/independent/generator.py``, written
without ``tsinvest.synthetic`` and with other modelling choices.

Settings. ``plain``: the project's generator with the trap switches plus
``blend_in_rings`` and ``ban_evasion``; the independent one without
evasions. ``adaptive``: every evasion on (project: ``adaptive=True`` and all
switches; independent: ``--adaptive``).

For each folder :func:`tsinvest.detect.detect` runs at its defaults and we print
per kind (amplification, mass_report, farm, copy_paste, ban_evasion):

* precision: among accounts flagged in clusters of kind X, the share that are
  planted members of X (for ban_evasion the enforced accounts an evader is
  tied to also count as right: same operator); ``n/a`` when none is flagged;
* recall: the share of planted X members flagged in a cluster of kind X;
* trap hits: accounts of each trap type (viral_burst, viral_videos,
  fan_community, carrier_nat, common_comments, notification_fans,
  heavy_users) flagged in any cluster; they must be 0. Most organic accounts
  belong to some trap group (independent adaptive 18009: 2,200 of 2,461, the
  commenters of common short texts alone 1,670), so a trap hit is in effect
  any organic account flagged; the summary says as what they were flagged.

The summary gives the WORST precision and recall per kind over the seeds
(with the seed) and the bar: >= 0.95 plain, >= 0.9 adaptive, no trap flagged.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

KINDS = ("amplification", "mass_report", "farm", "copy_paste", "ban_evasion")
TUNING_SEEDS = tuple(seed for start in range(2000, 26000, 1000) for seed in range(start, start + 20))
EVALUATION_SEEDS = tuple(range(26000, 26020))
PROJECT_PLAIN_SWITCHES = ("traps", "blend_in_rings", "ban_evasion")
BARS = {"plain": 0.95, "adaptive": 0.9}


def evaluate(result, truth: dict) -> dict:
    """Per-kind precision/recall and trap hits of one detection result against truth."""
    members = result.memberships
    flagged = members[members["flagged"].astype(bool)]
    scores = {}
    for kind in KINDS:
        entries = [c for c in truth["campaigns"] if c["kind"] == kind]
        planted = {a for c in entries for a in c["accounts"]}
        right = planted | {a for c in entries for a in c.get("enforced_accounts", [])}
        found = set(flagged.loc[flagged["kind"] == kind, "account_id"].astype(str))
        precision = len(found & right) / len(found) if found else math.nan
        recall = len(found & planted) / len(planted) if planted else math.nan
        scores[kind] = {"precision": precision, "recall": recall, "flagged": len(found), "planted": len(planted)}
    planted_any = {a for c in truth["campaigns"] for a in c["accounts"] + c.get("enforced_accounts", [])}
    all_flagged = set(flagged["account_id"].astype(str))
    traps: dict[str, int] = {}
    for trap in truth["traps"]:
        accounts = set(trap["accounts"]) - planted_any
        traps[trap["kind"]] = traps.get(trap["kind"], 0) + len(accounts & all_flagged)
    # Trap types overlap (a viral sharer may also be behind the NAT): distinct accounts once.
    trapped = {a for trap in truth["traps"] for a in trap["accounts"]} - planted_any
    traps["any_trap"] = len(trapped & all_flagged)
    # As what they were flagged: most organic accounts belong to some trap group (commenters of the
    # common short texts alone are a large share), so a trap hit is any organic false positive.
    hits = flagged[flagged["account_id"].astype(str).isin(trapped)]
    trap_hits_as = {str(kind): int(n) for kind, n in hits.drop_duplicates(["account_id", "kind"])
                    .groupby("kind", observed=True).size().items()}
    return {"kinds": scores, "traps": traps, "trap_hits_as": trap_hits_as, "trap_accounts": len(trapped)}


def make_folder(generator: str, setting: str, seed: int, size: int, folder: Path) -> dict:
    """Generate one folder; return its truth."""
    if generator == "project":
        from tsinvest.synthetic import generate_sample

        adaptive = setting == "adaptive"
        switches = "all" if adaptive else ",".join(PROJECT_PLAIN_SWITCHES)
        return generate_sample(folder, seed=seed, scale=size, adaptive=adaptive, switches=switches, progress=False)
    sys.path.insert(0, str(Path(__file__).resolve().parent / "independent"))
    from generator import generate  # noqa: E402  (bench/independent/generator.py)

    return generate(folder, seed=seed, events=size, adaptive=setting == "adaptive")


def _fmt(value: float) -> str:
    return "  n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:5.3f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", help="seeds to run (default: the evaluation seeds 26000-26019)")
    parser.add_argument("--tuning", action="store_true",
                        help="run the tuning seeds 2000-2019, 3000-3019, ..., 25000-25019 instead")
    parser.add_argument("--generator", choices=("project", "independent", "both"), default="both")
    parser.add_argument("--setting", choices=("plain", "adaptive", "both"), default="both")
    parser.add_argument("--size", type=int, default=40_000, help="events per generated folder (default 40000)")
    parser.add_argument("--data", help="evaluate this existing folder (with truth.json) instead")
    parser.add_argument("--json", help="also write every run's figures to this JSON file")
    parser.add_argument("--verbose", action="store_true", help="list flagged clusters with their true labels")
    args = parser.parse_args(argv)

    from tsinvest.detect import detect

    if args.tuning:
        seeds, label = list(TUNING_SEEDS), "TUNING"
    elif args.seeds:
        seeds = args.seeds
        label = "TUNING" if set(seeds) <= set(TUNING_SEEDS) else "EVALUATION"
        if set(seeds) & set(TUNING_SEEDS) and not set(seeds) <= set(TUNING_SEEDS):
            label = "MIXED (tuning and other seeds)"
    else:
        seeds, label = list(EVALUATION_SEEDS), "EVALUATION"
    generators = ("project", "independent") if args.generator == "both" else (args.generator,)
    settings = ("plain", "adaptive") if args.setting == "both" else (args.setting,)
    print("tuning seeds: 2000-2019, 3000-3019, ..., 25000-25019 (every thousand); "
          f"evaluation seeds: {EVALUATION_SEEDS[0]}-{EVALUATION_SEEDS[-1]}")
    print(f"this run: {label} seeds {seeds}, generators {list(generators)}, settings {list(settings)}, "
          f"size {args.size}")

    runs = []
    if args.data:
        adaptive = json.loads((Path(args.data) / "truth.json").read_text())["adaptive"]
        plan = [("folder", "adaptive" if adaptive else "plain", None)]
    else:
        plan = [(g, s, seed) for g in generators for s in settings for seed in seeds]
    print(f"{'generator':<11} {'setting':<8} {'seed':>5} {'kind':<14} {'prec':>5} {'recall':>6} {'flagged':>7} "
          f"{'planted':>7}   trap accounts flagged")
    for generator, setting, seed in plan:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(args.data) if args.data else Path(tmp) / "folder"
            started = time.perf_counter()
            truth = (json.loads((folder / "truth.json").read_text(encoding="utf-8")) if args.data
                     else make_folder(generator, setting, seed, args.size, folder))
            made = time.perf_counter() - started
            started = time.perf_counter()
            result = detect(folder, seed=0, progress=False)
            took = time.perf_counter() - started
            report = evaluate(result, truth)
        trap_text = ", ".join(f"{k}={v}" for k, v in sorted(report["traps"].items()))
        for index, kind in enumerate(KINDS):
            s = report["kinds"][kind]
            print(f"{generator:<11} {setting:<8} {str(truth['seed']):>5} {kind:<14} {_fmt(s['precision'])} "
                  f"{_fmt(s['recall']):>6} {s['flagged']:>7} {s['planted']:>7}   {trap_text if index == 0 else ''}")
        print(f"{'':<11} {'':<8} {'':>5} events {truth['counts']['events']:,}, generated in {made:.1f} s, "
              f"detect {took:.1f} s", flush=True)
        if args.verbose:
            label_of = {}
            for c in truth["campaigns"] + truth["traps"]:
                for a in c["accounts"]:
                    label_of.setdefault(a, c["id"])
            m = result.memberships
            for cid, group in m[m["flagged"].astype(bool)].groupby("cluster_id"):
                counts = group["account_id"].astype(str).map(label_of).fillna("organic").value_counts().to_dict()
                print(f"      {group['kind'].iloc[0]:<14} {cid} {counts}")
        runs.append({"generator": generator, "setting": setting, "seed": truth["seed"], "seconds": took, **report})

    failures = _summary(runs)
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=1, default=str) + "\n", encoding="utf-8")
    print("OK: every kind at or above the bar, no trap flagged" if not failures
          else f"{failures} check(s) below the bar")
    return 0 if not failures else 1


def _summary(runs: list[dict]) -> int:
    failures = 0
    print()
    print("WORST CASE per kind (over seeds; n/a = nothing flagged / nothing planted)")
    for generator, setting in sorted({(r["generator"], r["setting"]) for r in runs}):
        group = [r for r in runs if (r["generator"], r["setting"]) == (generator, setting)]
        bar = BARS[setting]
        print(f"{generator} / {setting}: {len(group)} seed(s), bar {bar}")
        print(f"  {'kind':<14} {'mean P':>6} {'worst P':>7} {'(seed)':>6} {'mean R':>6} {'worst R':>7} {'(seed)':>6}")
        for kind in KINDS:
            line = f"  {kind:<14}"
            ok = True
            for metric in ("precision", "recall"):
                # NaN precision (nothing flagged) is no false positive; recall then shows the miss.
                numeric = [(r["kinds"][kind][metric], r["seed"]) for r in group
                           if not math.isnan(r["kinds"][kind][metric])]
                mean = sum(v for v, _ in numeric) / len(numeric) if numeric else math.nan
                worst = min(numeric) if numeric else (math.nan, None)
                ok &= math.isnan(worst[0]) or worst[0] >= bar
                if metric == "recall" and math.isnan(worst[0]) and any(r["kinds"][kind]["planted"] for r in group):
                    ok = False
                line += f" {_fmt(mean):>6} {_fmt(worst[0]):>7} {str(worst[1] if worst[1] is not None else ''):>6}"
            failures += not ok
            print(line + ("" if ok else "   <-- below the bar"))
        trap_kinds = sorted({k for r in group for k in r["traps"]})
        totals = {k: sum(r["traps"].get(k, 0) for r in group) for k in trap_kinds}
        worst = {k: max(r["traps"].get(k, 0) for r in group) for k in trap_kinds}
        print("  trap accounts flagged (total over seeds / worst seed): "
              + ", ".join(f"{k}={totals[k]}/{worst[k]}" for k in trap_kinds))
        hit_kinds = sorted({k for r in group for k in r.get("trap_hits_as", {})})
        if hit_kinds:
            print("  ... flagged as: " + ", ".join(
                f"{k}={sum(r.get('trap_hits_as', {}).get(k, 0) for r in group)}" for k in hit_kinds))
        print(f"  trap accounts per folder: {min(r['trap_accounts'] for r in group)}-"
              f"{max(r['trap_accounts'] for r in group)} (a trap hit is any flagged account of a trap group)")
        # One check per setting: no trap account flagged (any_trap counts each account once).
        failures += int(totals.get("any_trap", 0) > 0)
    return failures


if __name__ == "__main__":
    sys.exit(main())
