"""Which canonical table a file holds: the --table option, else the file stem."""

import pytest

from tsinvest.cli import main
from tsinvest.exceptions import ParameterError
from tsinvest.loading import table_for_file


def test_stem_or_explicit_table():
    assert table_for_file("exports/logins.parquet") == "logins"
    assert table_for_file("exports/march.csv", "reports") == "reports"


def test_unknown_stem_names_the_file_and_the_tables():
    with pytest.raises(ParameterError) as error:
        table_for_file("exports/march.csv")
    assert "march.csv" in str(error.value) and "--table" in str(error.value) and "escalations" in str(error.value)


def test_validate_and_trends_cli_use_the_same_rule(tmp_path, capsys):
    path = tmp_path / "march.csv"
    path.write_text("report_id,reporter_id,target_account_id,policy,ts\n1,2,3,spam,2026-03-02T10:00:00Z\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    assert main(["trends", str(path), "--out", str(tmp_path / "spikes.csv")]) == 1
    errors = capsys.readouterr().err
    assert errors.count("cannot tell which table 'march.csv' holds") == 2
    assert main(["validate", str(path), "--table", "reports"]) == 0


def test_folder_without_the_asked_table(tmp_path, capsys):
    (tmp_path / "reports.csv").write_text("report_id\n", encoding="utf-8")
    assert main(["validate", str(tmp_path), "--table", "events"]) == 1
    assert "holds no 'events' file" in capsys.readouterr().err
