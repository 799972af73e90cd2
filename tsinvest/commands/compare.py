"""``tsinvest compare RUN_A RUN_B``: follow networks between two detection runs (new, grown, merged, ...)."""

from __future__ import annotations

import argparse

__all__ = ["NAME", "HELP", "configure", "run"]

NAME = "compare"
HELP = ("Compare two `tsinvest detect --out` folders: match clusters by member overlap and list networks that are "
        "new, grown, merged, split, shrunk, gone or stable, with lineage ids that survive membership change.")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_a", metavar="RUN_A", help="earlier detect output folder (with clusters.csv)")
    parser.add_argument("run_b", metavar="RUN_B", help="later detect output folder (with clusters.csv)")
    parser.add_argument("--out", metavar="FILE.csv", help="write the transitions as a formula-safe CSV")
    parser.add_argument("--threshold", type=float, default=0.3,
                        help="least Jaccard overlap of members for two clusters to be one network (default 0.3)")
    parser.add_argument("--growth", type=float, default=0.2,
                        help="relative size change that counts as grown/shrunk (default 0.2)")
    parser.add_argument("--flagged-only", action="store_true",
                        help="list only networks with a flagged cluster in either run")
    parser.add_argument("--top", type=int, default=20, help="rows printed (default 20; the CSV has all)")


def run(args: argparse.Namespace) -> int:
    from tsinvest.graph.tracking import compare_clusters, read_run
    from tsinvest.reporting import safe_frame, to_safe_csv

    comparison = compare_clusters(read_run(args.run_a), read_run(args.run_b), threshold=args.threshold,
                                  growth=args.growth, flagged_only=args.flagged_only)
    counts = comparison.counts()
    print("networks: " + ", ".join(f"{row.transition} {row.networks}" for row in counts.itertuples()))
    shown = comparison.transitions.head(max(args.top, 0))
    if len(shown):
        # safe_frame neutralises formula-like text before printing to a terminal someone may paste into a sheet.
        print(safe_frame(shown).to_string(index=False))
    if args.out:
        to_safe_csv(comparison.transitions, args.out, id_columns=["lineage_id", "clusters_before", "clusters_after"])
        print(f"wrote {args.out}")
    return 0
