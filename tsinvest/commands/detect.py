"""``tsinvest detect DATA_DIR --out OUT_DIR``: find, score and explain coordinated clusters."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tsinvest.detection import DetectionResult

from tsinvest.commands._options import (
    add_input_options,
    add_progress_option,
    input_options_given,
    load_options,
    show_progress,
)

__all__ = ["NAME", "HELP", "configure", "run"]

NAME = "detect"
HELP = ("Detect coordinated account clusters (amplification, mass reports, farms, copy-paste, ban evasion) in a "
        "data folder (or, with --engine spark, tables Spark reads); write clusters.csv, cluster_summary.csv, "
        "edges.csv, exclusions.json and graph files.")


def _window(text: str) -> float | str:
    if text == "auto":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("--window takes seconds (e.g. 60) or 'auto'") from None


def configure(parser: argparse.ArgumentParser) -> None:
    from tsinvest.detection import DEFAULT_GRAPH_FORMATS, KINDS

    parser.add_argument("data_dir", metavar="DATA_DIR", nargs="?", default=None,
                        help="folder of canonical tables (accounts.csv, events.csv, ...); with --engine spark it may "
                             "be left out when --table names every table")
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
                        default=list(DEFAULT_GRAPH_FORMATS),
                        help="graph files to write (default: graphml json; GEXF on request; none: --graph-formats)")
    add_progress_option(parser)
    parser.add_argument("--engine", choices=("local", "spark"), default="local",
                        help="where the heavy linking stages run: local (default) or spark (pip install "
                             "'tsinvest[spark]'; same outputs, clustering stays local)")
    parser.add_argument("--spark-master", default="local[2]", metavar="URL",
                        help="Spark master URL with --engine spark (default local[2])")
    parser.add_argument("--table", action="append", default=[], metavar="NAME=SOURCE",
                        help="with --engine spark: read canonical table NAME from SOURCE, a catalogue table "
                             "(warehouse.events), a path or URI Spark reads (Parquet folder, CSV, JSON lines); "
                             "repeat per table; overrides DATA_DIR's file of that table")
    parser.add_argument("--max-component-accounts", type=int, default=None, metavar="N",
                        help="with --engine spark: refuse an edge table with a connected component of more "
                             "accounts (default 1,000,000), checked on Spark before edges are collected")


def _spark_sources(args: argparse.Namespace) -> dict[str, Any]:
    """The tables Spark reads: DATA_DIR's files, then the --table ones."""
    from tsinvest.exceptions import ParameterError
    from tsinvest.spark.tables import folder_sources, parse_table_option

    if input_options_given(args):
        raise ParameterError("--mapping, --timezone, --epoch-unit and --on-error are options of the local loader; "
                             "with --engine spark rename and convert the columns in the source (a view)")
    sources: dict[str, Any] = dict(folder_sources(args.data_dir)) if args.data_dir is not None else {}
    sources.update(parse_table_option(text) for text in args.table)
    if not sources:
        raise ParameterError("--engine spark needs DATA_DIR or at least one --table NAME=SOURCE")
    return sources


def _detect(args: argparse.Namespace) -> DetectionResult:
    """Local ``detect`` on DATA_DIR, or ``spark_detect`` on the tables Spark reads."""
    from tsinvest.detection import detect
    from tsinvest.exceptions import ParameterError

    kinds = tuple(args.kinds) if args.kinds else None
    if args.engine != "spark":
        if args.table or args.max_component_accounts is not None:
            raise ParameterError("--table and --max-component-accounts need --engine spark")
        if args.data_dir is None:
            raise ParameterError("DATA_DIR is required (a folder of canonical tables)")
        return detect(args.data_dir, seed=args.seed, window=args.window, report_window=args.report_window,
                      as_of=args.as_of, n_permutations=args.permutations, kinds=kinds,
                      progress=show_progress(args), **load_options(args))
    from tsinvest.spark import local_session
    from tsinvest.spark.components import MAX_COMPONENT_ACCOUNTS
    from tsinvest.spark.scoped import spark_detect

    sources = _spark_sources(args)
    limit = MAX_COMPONENT_ACCOUNTS if args.max_component_accounts is None else args.max_component_accounts
    return spark_detect(sources, spark=local_session(args.spark_master, app_name="tsinvest-detect"),
                        seed=args.seed, window=args.window, report_window=args.report_window, as_of=args.as_of,
                        n_permutations=args.permutations, kinds=kinds, max_component_accounts=limit,
                        progress=show_progress(args))


def run(args: argparse.Namespace) -> int:
    result = _detect(args)
    out = result.write(args.out, graph_formats=tuple(args.graph_formats), progress=show_progress(args))
    flagged = result.clusters[result.clusters["flagged"]] if len(result.clusters) else result.clusters
    print(f"{len(result.clusters)} clusters, {len(flagged)} flagged, "
          f"{len(result.flagged_accounts())} accounts flagged; wrote {out}", file=sys.stdout)
    print(f"window {result.parameters['window']:g} s ({result.parameters['window_choice']})", file=sys.stdout)
    if args.engine == "spark":
        print(f"linking on spark {args.spark_master}; the local stages read only the scoped rows", file=sys.stdout)
    for kind, counts in result.exclusions.items():
        left_out = ", ".join(f"{name.replace('_', ' ')} {count}" for name, count in counts.items())
        print(f"  {kind}: {left_out or 'nothing left out'}", file=sys.stdout)
    return 0
