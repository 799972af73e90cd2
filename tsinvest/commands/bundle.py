"""``tsinvest bundle``: zip a run folder into a deterministic evidence bundle.

Example::

    tsinvest run coordinated_abuse --data data_samples --out reports/coordinated_abuse
    tsinvest bundle reports/coordinated_abuse --out reports/coordinated_abuse.zip

The zip holds the report, the executed notebook, ``run.json``, the evidence
files (flagged accounts and edges as CSV and Excel, the graph file) and a
``manifest.json`` with every file's SHA-256.

``--redact`` bundles only a run folder written by ``tsinvest run --redact``
and refuses any other (plots of an ordinary run are images whose ids no text
replacement reaches); re-run with ``--redact`` instead. No key is needed:
the run folder is already pseudonymised.

The folder must match its ``run.json``: a symbolic link, a file the run did
not write or a file edited after the run is refused, naming the files. An
existing zip is never overwritten: ``--out`` naming one is an error, and
without ``--out`` the first free name (``RUN_DIR.zip``, ``RUN_DIR-2.zip``...)
is used.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["NAME", "HELP", "configure", "run"]

NAME = "bundle"
HELP = "zip a `tsinvest run` folder into an evidence bundle with a SHA-256 manifest"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="folder written by `tsinvest run`")
    parser.add_argument(
        "--out",
        metavar="BUNDLE.zip",
        help="zip to write; never overwritten (default: RUN_DIR.zip next to RUN_DIR, or RUN_DIR-2.zip, ... if taken)",
    )
    parser.add_argument(
        "--redact",
        action="store_true",
        help="shareable bundle: accept only a run folder made by `tsinvest run --redact`",
    )


def run(args: argparse.Namespace) -> int:
    from tsinvest.notebooks.bundle import build_bundle, default_bundle_path

    run_dir = Path(args.run_dir)
    out = Path(args.out) if args.out else default_bundle_path(run_dir)
    bundle = build_bundle(run_dir, out, redact=args.redact)
    print(f"bundle: {bundle.path} ({len(bundle.files)} files)")
    print(f"sha256: {bundle.sha256}")
    if args.redact:
        print("redacted: built from a redacted run")
    return 0
