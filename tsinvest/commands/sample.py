"""``tsinvest sample``: write a synthetic sample with planted abuse and ground truth."""

from __future__ import annotations

import argparse
import sys

from tsinvest.commands._options import add_progress_option, show_progress

__all__ = ["NAME", "HELP", "configure", "run"]

NAME = "sample"
HELP = "Write synthetic sample data (6 CSV tables + truth.json) with planted abuse; synthetic, never real."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out_dir", metavar="OUT_DIR", help="directory to write (created if missing)")
    parser.add_argument("--seed", type=int, default=7, help="random seed; same seed, identical files (default 7)")
    parser.add_argument(
        "--scale",
        default="small",
        help="small (~44k events), medium (~500k), large (~5M) or a number of events (default small)",
    )
    parser.add_argument(
        "--adaptive", action="store_true", help="add evasive adversaries and the notification-fans trap"
    )
    parser.add_argument(
        "--switches",
        default=None,
        help="comma-separated structures of real data, all off by default: viral, heavy_users, notification_fans, "
        "carrier_nat, common_comments, blend_in_rings, substituted_spam, ban_evasion; or traps, adversaries, all",
    )
    add_progress_option(parser)


def run(args: argparse.Namespace) -> int:
    from tsinvest.synthetic import generate_sample

    truth = generate_sample(
        args.out_dir,
        seed=args.seed,
        scale=args.scale,
        adaptive=args.adaptive,
        switches=args.switches,
        progress=show_progress(args),
    )
    counts = truth["counts"]
    print(
        f"wrote {args.out_dir}: {counts['accounts']} accounts, {counts['events']} events, "
        f"{counts['reports']} reports, {counts['logins']} logins; "
        f"{len(truth['campaigns'])} planted campaigns, {len(truth['traps'])} traps",
        file=sys.stdout,
    )
    return 0
