"""The command line: every sub-command is listed and has --help."""

import subprocess
import sys

import pytest

from tsinvest.cli import build_parser, main


def _subcommands():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


def test_help_lists_every_subcommand():
    result = subprocess.run(
        [sys.executable, "-m", "tsinvest", "--help"], capture_output=True, text=True, check=True
    )
    names = _subcommands()
    assert {"validate", "sample", "detect", "coordination"} <= set(names)
    for name in names:
        assert name in result.stdout


@pytest.mark.parametrize("name", _subcommands())
def test_every_subcommand_has_help(name, capsys):
    # argparse exits through SystemExit; `run --help` answers itself (it can also list a
    # notebook's parameters) and returns its exit code instead.
    try:
        code = main([name, "--help"])
    except SystemExit as exit_info:
        code = exit_info.code
    assert code == 0
    assert "usage: tsinvest " + name in capsys.readouterr().out
