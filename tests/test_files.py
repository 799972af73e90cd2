"""tsinvest.files: a failed write or folder build leaves the old content and no stray files."""

from __future__ import annotations

import stat

import pytest

from tsinvest.files import atomic_write, replace_folder, staged_folder, write_text


def test_a_failed_folder_build_keeps_the_old_folder_and_leaves_nothing_behind(tmp_path):
    out = tmp_path / "run"
    write_text(out / "old.txt", "old")
    with pytest.raises(RuntimeError), staged_folder(out) as staging:
        write_text(staging / "new.txt", "new")
        raise RuntimeError("detector failed")
    assert [path.name for path in out.iterdir()] == ["old.txt"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run"]


def test_a_finished_folder_replaces_the_old_one_whole(tmp_path):
    out = tmp_path / "run"
    write_text(out / "old.txt", "old")
    with staged_folder(out) as staging:
        write_text(staging / "new.txt", "new")
    assert [path.name for path in out.iterdir()] == ["new.txt"]
    assert stat.S_IMODE((out / "new.txt").stat().st_mode) == 0o600
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run"]


def test_staged_folder_refuses_a_file_in_the_way(tmp_path):
    (tmp_path / "run").write_text("a file")
    with pytest.raises(Exception, match="not a folder"), staged_folder(tmp_path / "run"):
        pass
    assert (tmp_path / "run").read_text() == "a file"


def test_replace_folder_moves_a_file_too(tmp_path):
    source = write_text(tmp_path / "new.txt", "new")
    assert replace_folder(source, tmp_path / "report.txt").read_text() == "new"
    assert not source.exists()


def test_a_failed_file_write_leaves_no_temporary_file(tmp_path):
    with pytest.raises(ValueError), atomic_write(tmp_path / "a.csv") as temporary:
        temporary.write_text("half")
        raise ValueError("writer failed")
    assert list(tmp_path.iterdir()) == []
