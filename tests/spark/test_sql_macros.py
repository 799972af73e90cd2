"""The dialect macros give the same values on DuckDB and Spark, JSON escaping included."""

from __future__ import annotations

import json

import duckdb
import pytest

from tsinvest.exceptions import ParameterError
from tsinvest.portable_sql import render, to_spark

# Every ASCII character, the JSON-special ones, non-ASCII letters, an astral emoji,
# the line and paragraph separators, a byte-order mark and a C1 control.
HOSTILE = [chr(code) for code in range(128)] + ["é", "ß", "😀", "\u2028", "\u2029", "\ufeff", "\x85", "\\u0041"]


def test_json_top_escapes_every_character_the_same_on_both_engines(spark):
    """Evidence JSON: one query, DuckDB's and Spark's to_json byte for byte (control characters, non-ASCII)."""
    rows = [(f"g{i % 3}", i, f"x{character}y") for i, character in enumerate(HOSTILE)]
    sql = "SELECT g, __tsinvest_json_top(50, -n, value, __, value, n) AS evidence FROM {table} GROUP BY g ORDER BY g"
    con = duckdb.connect()
    con.execute("CREATE TABLE cases (g VARCHAR, n BIGINT, value VARCHAR)")
    con.executemany("INSERT INTO cases VALUES (?, ?, ?)", rows)
    local = con.execute(render(sql.format(table="cases"), "duckdb")).fetchall()
    spark.createDataFrame(rows, "g string, n bigint, value string").createOrReplaceTempView("tsinvest_macro_cases")
    remote = [tuple(row) for row in spark.sql(to_spark(sql.format(table="tsinvest_macro_cases"))).collect()]
    assert remote == local
    for group, evidence in local:
        records = json.loads(evidence)  # valid JSON, and it round-trips to the input
        expected = sorted((r for r in rows if r[0] == group), key=lambda r: -r[1])
        assert [(r["value"], r["n"]) for r in records] == [(r[2], r[1]) for r in expected]
    assert '"x\\u0001y"' in local[1][1] or '"x\\u0001y"' in local[0][1] or '"x\\u0001y"' in local[2][1]
    assert any('"xéy"' in evidence for _, evidence in local)  # non-ASCII kept as it is on both


def test_sorted_sum_and_periods_agree(spark):
    values = [0.1, 1e16, 0.7, -1e16, 0.3, 1 / 3]
    sql = "SELECT __tsinvest_sorted_sum(x) AS total FROM {table}"
    con = duckdb.connect()
    local = con.execute(render(sql.format(table="(SELECT unnest(?) AS x)"), "duckdb"), [values]).fetchall()[0][0]
    spark.createDataFrame([(v,) for v in values], "x double").createOrReplaceTempView("tsinvest_macro_sums")
    remote = spark.sql(to_spark(sql.format(table="tsinvest_macro_sums"))).collect()[0][0]
    assert remote == local == sum(sorted(values))
    periods = (
        "SELECT __tsinvest_period_series(lo, hi, week) AS p FROM "
        "(SELECT TIMESTAMP '2026-03-02 00:00:00' AS lo, TIMESTAMP '2026-03-30 00:00:00' AS hi) AS b ORDER BY p"
    )
    local_periods = [row[0] for row in con.execute(render(periods, "duckdb")).fetchall()]
    remote_periods = [row[0] for row in spark.sql(to_spark(periods)).collect()]
    assert remote_periods == local_periods and len(local_periods) == 4


def test_macro_misuse_is_named():
    with pytest.raises(ParameterError, match="json_top"):
        render("SELECT __tsinvest_json_top(3, a, b) FROM t", "duckdb")
    with pytest.raises(ParameterError, match="period_series"):
        render("SELECT __tsinvest_period_series(a, b, month) FROM t", "duckdb")
    with pytest.raises(ParameterError, match="unknown SQL macro"):
        render("SELECT __tsinvest_nothing(a) FROM t", "spark")
