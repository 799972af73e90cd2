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


#: Commands that load tables; each takes the same input options (tsinvest.commands._options).
LOADING_COMMANDS = ["coordination", "detect", "emerging", "queue", "run", "trends", "validate"]
#: Commands that can show progress; each takes the same flag.
PROGRESS_COMMANDS = ["coordination", "detect", "run", "sample"]


def _options_of(name: str) -> dict[str, tuple]:
    """Every option string of a sub-command with what defines it (dest, choices, default, help)."""
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    sub = action.choices[name]
    return {option: (item.dest, item.choices and tuple(item.choices), item.default, item.help)
            for item in sub._actions for option in item.option_strings}


def test_the_lists_of_loading_and_progress_commands_are_complete():
    # A command with any input option (or progress flag) must be in the list, so it is checked below.
    names = _subcommands()
    assert sorted(name for name in names if "--timezone" in _options_of(name)) == LOADING_COMMANDS
    assert sorted(name for name in names if "--progress" in _options_of(name)) == PROGRESS_COMMANDS


@pytest.mark.parametrize("name", LOADING_COMMANDS)
def test_every_loading_command_has_the_same_input_options(name):
    reference = _options_of("validate")
    options = _options_of(name)
    for flag in ("--mapping", "--timezone", "--epoch-unit", "--on-error"):
        assert options[flag] == reference[flag], flag


@pytest.mark.parametrize("name", PROGRESS_COMMANDS)
def test_every_progress_command_has_the_same_flag(name):
    options = _options_of(name)
    assert options["--progress"] == options["--no-progress"] == _options_of("sample")["--progress"]


def _naive_reports(folder):
    folder.mkdir()
    rows = ["report_id,reporter_id,target_account_id,policy,ts"]
    rows += [f"r{i},00{i % 7},0042,spam,2026-03-0{1 + i % 5} 10:00:00" for i in range(40)]
    path = folder / "reports.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("name", ["trends", "emerging", "validate"])
def test_the_timezone_option_reaches_the_loader(name, tmp_path, capsys):
    path = _naive_reports(tmp_path / "data")
    extra = {"trends": ["--out", str(tmp_path / "o.csv")],
             "emerging": ["--out", str(tmp_path / "o.csv"), "--target", "2026-03-04/2026-03-06",
                          "--reference", "2026-03-01/2026-03-04", "--term-col", "policy", "--actor", "reporter_id"],
             "validate": []}[name]
    # Timestamps without an offset are refused unless the zone is given.
    assert main([name, str(path), *extra]) == 1
    capsys.readouterr()
    assert main([name, str(path), *extra, "--timezone", "Europe/Berlin"]) == 0
    assert capsys.readouterr().err == ""


def test_refresh_refuses_options_it_would_ignore(capsys):
    # Nothing is dropped silently: a refresh reads the sample as committed, so input options are an error.
    assert main(["run", "--refresh", "case_file", "--timezone", "Europe/Berlin"]) == 1
    assert "drop --redact and the input options" in capsys.readouterr().err
