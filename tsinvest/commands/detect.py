"""``tsinvest detect DATA_DIR --out OUT_DIR``: find, score and explain coordinated clusters."""

from __future__ import annotations

import argparse
import sys

__all__ = ["NAME", "HELP", "configure", "run"]

NAME = "detect"
HELP = ("Detect coordinated account clusters (amplification, mass reports, farms, copy-paste) in a data folder; "
        "write clusters.csv, cluster_summary.csv, edges.csv and graph files.")


def _window(text: str):
    if text == "auto":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("--window takes seconds (e.g. 60) or 'auto'") from None


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data_dir", metavar="DATA_DIR", help="folder of canonical tables (accounts.csv, events.csv, ...)")
    parser.add_argument("--out", required=True, metavar="OUT_DIR", help="output folder (replaced atomically)")
    parser.add_argument("--seed", type=int, default=0, help="seed of Louvain and the null model (default 0)")
    parser.add_argument("--window", type=_window, default=None,
                        help="co-action window in seconds for shares/likes, or 'auto' to estimate it (default 600)")
    parser.add_argument("--report-window", type=float, default=None,
                        help="co-reporting window in seconds (default 3600)")
    parser.add_argument("--as-of", default=None, help="reference time for account ages, e.g. 2026-03-30T00:00:00Z")
    parser.add_argument("--permutations", type=int, default=199, help="null-model permutations (default 199)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def run(args: argparse.Namespace) -> int:
    from tsinvest.detect import detect

    result = detect(args.data_dir, seed=args.seed, window=args.window, report_window=args.report_window,
                    as_of=args.as_of, n_permutations=args.permutations, progress=not args.no_progress)
    out = result.write(args.out)
    flagged = result.clusters[result.clusters["flagged"]] if len(result.clusters) else result.clusters
    print(f"{len(result.clusters)} clusters, {len(flagged)} flagged, "
          f"{len(result.flagged_accounts())} accounts flagged; wrote {out}", file=sys.stdout)
    return 0
