"""One SQL source for DuckDB and Spark: a portable subset, a few dialect macros, SQLGlot for the rest.

Queries are written once in DuckDB's dialect, using only what SQLGlot
transpiles faithfully, plus macros for the few things that do not (written
``__tsinvest_<name>(arguments)`` so SQLGlot passes them through as unknown
functions): exact floor division of integers, an ordered distinct list, an
interpolated quantile. :func:`render` expands the macros for DuckDB;
:func:`to_spark` transpiles with SQLGlot, then expands them for Spark.

Every query built this way is tested on both engines
(``tests/spark/test_peer_definitions.py``): a transpiler can change meaning
without an error (an ordered ``list(x ORDER BY k)`` silently lost its order in
a feasibility study), so equality of results, not a clean transpile, is the check.

Examples
--------
>>> render("SELECT __tsinvest_floor_div(us, 60) AS bucket FROM events", "duckdb")
'SELECT ((us) - (((us) % (60)) + (60)) % (60)) // (60) AS bucket FROM events'
"""

from __future__ import annotations

import re

from tsinvest.exceptions import MissingDependencyError, ParameterError

__all__ = ["MACROS", "render", "to_spark"]

#: Dialect forms of each macro; ``{0}``, ``{1}`` are the macro's arguments.
MACROS = {
    # Exact floor(x / w) for integers, negative x included (times before 1970).
    "floor_div": {"duckdb": "(({0}) - ((({0}) % ({1})) + ({1})) % ({1})) // ({1})", "spark": "(({0}) - pmod({0}, {1})) div ({1})"},
    # Sorted list of distinct values (string order = UTF-8 byte order on both engines).
    "sorted_distinct": {"duckdb": "list_sort(list(DISTINCT {0}))", "spark": "array_sort(collect_set({0}))"},
    # Linear interpolation between closest ranks (R's quantile type 7, numpy's default).
    "quantile": {"duckdb": "quantile_cont({0}, {1})", "spark": "percentile({0}, {1})"},
}

_MACRO = re.compile(r"__tsinvest_([a-z_]+)\(([^()]*)\)", re.IGNORECASE)


def render(sql: str, dialect: str) -> str:
    """Expand the ``__tsinvest_*`` macros of ``sql`` for ``dialect`` (``"duckdb"`` or ``"spark"``).

    Macro arguments are simple expressions (names, numbers) without parentheses.
    """
    if dialect not in ("duckdb", "spark"):
        raise ParameterError("dialect must be 'duckdb' or 'spark'")

    def expand(match: re.Match) -> str:
        name = match.group(1).lower()
        if name not in MACROS:
            raise ParameterError(f"unknown SQL macro '{name}'; known: {', '.join(sorted(MACROS))}")
        arguments = [argument.strip() for argument in match.group(2).split(",")]
        return MACROS[name][dialect].format(*arguments)

    return _MACRO.sub(expand, sql)


def to_spark(sql: str) -> str:
    """Transpile DuckDB-dialect ``sql`` (with macros) to Spark SQL.

    Examples
    --------
    >>> to_spark("SELECT a, __tsinvest_quantile(w, 0.5) AS q FROM t GROUP BY a ORDER BY a")
    'SELECT a, percentile(w, 0.5) AS q FROM t GROUP BY a ORDER BY a NULLS LAST'
    """
    try:
        import sqlglot
    except ImportError:
        raise MissingDependencyError("sqlglot", "spark") from None
    (transpiled,) = sqlglot.transpile(sql, read="duckdb", write="spark")
    return render(transpiled, "spark")
