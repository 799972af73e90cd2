"""The ``tsinvest sample`` command."""

from __future__ import annotations

import json

from tsinvest.cli import main


def test_sample_command_writes_a_sample(tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["sample", str(out), "--seed", "3", "--scale", "12000", "--adaptive"]) == 0
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert truth["seed"] == 3 and truth["scale"] == 12000 and truth["adaptive"] is True
    assert "12000 events" in capsys.readouterr().out


def test_sample_command_reports_a_bad_scale(tmp_path, capsys):
    assert main(["sample", str(tmp_path / "bad"), "--scale", "huge"]) == 1
    err = capsys.readouterr().err
    assert "tsinvest sample: error:" in err and "scale" in err
    assert not (tmp_path / "bad").exists()
