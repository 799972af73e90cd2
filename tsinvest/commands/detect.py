"""``tsinvest detect DATA_DIR --out OUT_DIR``: find, score and explain coordinated clusters."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tsinvest.detection.linking import Linking

from tsinvest.commands._options import add_input_options, add_progress_option, load_options, show_progress

__all__ = ["NAME", "HELP", "configure", "run"]

NAME = "detect"
HELP = ("Detect coordinated account clusters (amplification, mass reports, farms, copy-paste, ban evasion) in a "
        "data folder; write clusters.csv, cluster_summary.csv, edges.csv, exclusions.json and graph files.")


def _window(text: str) -> float | str:
    if text == "auto":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("--window takes seconds (e.g. 60) or 'auto'") from None


def configure(parser: argparse.ArgumentParser) -> None:
    from tsinvest.detection import KINDS

    parser.add_argument("data_dir", metavar="DATA_DIR",
                        help="folder of canonical tables (accounts.csv, events.csv, ...)")
    parser.add_argument("--out", required=True, metavar="OUT_DIR", help="output folder (replaced atomically)")
    add_input_options(parser)
    parser.add_argument("--seed", type=int, default=0, help="seed of Leiden and the null model (default 0)")
    parser.add_argument("--window", type=_window, default=None,
                        help="co-action window in seconds for shares/likes, or 'auto' to estimate it (default 600)")
    parser.add_argument("--report-window", type=float, default=None,
                        help="co-reporting window in seconds (default 3600)")
    parser.add_argument("--as-of", default=None, help="reference time for account ages, e.g. 2026-03-30T00:00:00Z")
    parser.add_argument("--permutations", type=int, default=199, help="most null-model samples (default 199)")
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=None, help="run only these kinds")
    parser.add_argument("--graph-formats", nargs="*", choices=("graphml", "gexf", "json"),
                        default=["graphml", "gexf", "json"], help="graph files to write (none: --graph-formats)")
    add_progress_option(parser)
    parser.add_argument("--engine", choices=("local", "spark"), default="local",
                        help="where the heavy linking stages run: local (default) or spark (pip install "
                             "'tsinvest[spark]'; same outputs, clustering stays local)")
    parser.add_argument("--spark-master", default="local[2]", metavar="URL",
                        help="Spark master URL with --engine spark (default local[2])")


def _linking(args: argparse.Namespace) -> Linking:
    """The linking engine the options ask for (a Spark session is started only for --engine spark)."""
    from tsinvest.detection.linking import LOCAL_LINKING

    if args.engine != "spark":
        return LOCAL_LINKING
    from tsinvest.spark import local_session
    from tsinvest.spark.detect import SparkLinking

    return SparkLinking(local_session(args.spark_master, app_name="tsinvest-detect"))


def run(args: argparse.Namespace) -> int:
    from tsinvest.detection import detect

    result = detect(args.data_dir, seed=args.seed, window=args.window, report_window=args.report_window,
                    as_of=args.as_of, n_permutations=args.permutations,
                    kinds=tuple(args.kinds) if args.kinds else None, progress=show_progress(args),
                    linking=_linking(args), **load_options(args))
    out = result.write(args.out, graph_formats=tuple(args.graph_formats))
    flagged = result.clusters[result.clusters["flagged"]] if len(result.clusters) else result.clusters
    print(f"{len(result.clusters)} clusters, {len(flagged)} flagged, "
          f"{len(result.flagged_accounts())} accounts flagged; wrote {out}", file=sys.stdout)
    print(f"window {result.parameters['window']:g} s ({result.parameters['window_choice']})", file=sys.stdout)
    if args.engine == "spark":
        print(f"linking on spark {args.spark_master}", file=sys.stdout)
    for kind, counts in result.exclusions.items():
        left_out = ", ".join(f"{name.replace('_', ' ')} {count}" for name, count in counts.items())
        print(f"  {kind}: {left_out or 'nothing left out'}", file=sys.stdout)
    return 0
