"""The ``tsinvest`` command line, for headless runs.

Sub-commands are found in :mod:`tsinvest.commands`: every module there defines
``NAME``, ``HELP``, ``configure(parser)`` and ``run(args) -> int`` (and
``ADD_HELP = False`` when it answers ``-h/--help`` itself). Adding a command is
adding a module; this file never changes for it. Options several commands
share are defined once in :mod:`tsinvest.commands._options`.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Iterator, Sequence
from types import ModuleType

from tsinvest import __version__, commands
from tsinvest.exceptions import TsinvestError

__all__ = ["main", "build_parser"]


def _command_modules() -> Iterator[ModuleType]:
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{commands.__name__}.{info.name}")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="tsinvest",
        description="Trust & Safety investigations kit: validate data, detect coordinated abuse, "
        "watch trends, run investigation notebooks.",
    )
    parser.add_argument("--version", action="version", version=f"tsinvest {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _command_modules():
        sub = subparsers.add_parser(module.NAME, help=module.HELP, description=module.HELP,
                                    add_help=getattr(module, "ADD_HELP", True))
        module.configure(sub)
        sub.set_defaults(handler=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except TsinvestError as error:
        print(f"tsinvest {args.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"tsinvest {args.command}: interrupted; no partial outputs were kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
