"""One SQL source for DuckDB and Spark: a portable subset, a few dialect macros, SQLGlot for the rest.

Queries are written once in DuckDB's dialect, using only what SQLGlot
transpiles faithfully, plus macros for the few things that do not (written
``__tsinvest_<name>(arguments)`` so SQLGlot passes them through as unknown
functions): exact floor division of integers, an ordered distinct list, an
interpolated quantile, a sum in a fixed order, an ordered top-n list of
records as JSON. :func:`render` expands the macros for DuckDB;
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
from types import MappingProxyType

from tsinvest.exceptions import MissingDependencyError, ParameterError

__all__ = ["MACROS", "VARIADIC_MACROS", "render", "to_spark"]

#: Dialect forms of each macro; ``{0}``, ``{1}`` are the macro's arguments.
MACROS = MappingProxyType({
    # Exact floor(x / w) for integers, negative x included (times before 1970).
    "floor_div": {
        "duckdb": "(({0}) - ((({0}) % ({1})) + ({1})) % ({1})) // ({1})",
        "spark": "(({0}) - pmod({0}, {1})) div ({1})",
    },
    # Sorted list of distinct values (string order = UTF-8 byte order on both engines).
    "sorted_distinct": {"duckdb": "list_sort(list(DISTINCT {0}))", "spark": "array_sort(collect_set({0}))"},
    # Linear interpolation between closest ranks (R's quantile type 7, numpy's default).
    "quantile": {"duckdb": "quantile_cont({0}, {1})", "spark": "percentile({0}, {1})"},
    # Sum of doubles added in ascending order: the same bits on both engines and
    # from run to run (a plain sum adds in whatever order rows arrive).
    "sorted_sum": {
        "duckdb": "list_reduce(list_sort(list({0})), lambda x, y: x + y)",
        "spark": "aggregate(array_sort(collect_list({0})), CAST(0 AS DOUBLE), (x, y) -> x + y)",
    },
    # A time as a naive UTC timestamp (Spark sessions here run in UTC).
    "utc_naive": {"duckdb": "timezone('UTC', {0})", "spark": "CAST({0} AS TIMESTAMP_NTZ)"},
    # One row per period from lo (inclusive) to hi (exclusive); {2} is hour, day or week.
    "period_series": {
        "duckdb": "unnest(generate_series({0}, {1} - {step}, {step}))",
        "spark": "explode(sequence({0}, {1} - {step}, {step}))",
    },
})

_PERIOD_STEPS = {"hour": "INTERVAL 1 HOUR", "day": "INTERVAL 1 DAY", "week": "INTERVAL 7 DAY"}

#: Variadic macros, expanded by a function of the arguments and the dialect.
#: ``json_top(n, key..., __, field...)``: the JSON array of the first ``n``
#: records ``{field: value, ...}`` of the group, ordered by the keys (a key
#: written ``-x`` sorts descending; keys are numbers, ids or texts without
#: nulls). Both engines write JSON the same way (``to_json``: no spaces, ``"``,
#: ``\\`` and control characters escaped, other characters as they are;
#: tested on every ASCII character and beyond).
VARIADIC_MACROS = ("json_top",)

_MACRO = re.compile(r"__tsinvest_([a-z_]+)\(([^()]*)\)", re.IGNORECASE)


def render(sql: str, dialect: str) -> str:
    """Expand the ``__tsinvest_*`` macros of ``sql`` for ``dialect`` (``"duckdb"`` or ``"spark"``).

    Macro arguments are simple expressions (names, numbers) without parentheses.
    """
    if dialect not in ("duckdb", "spark"):
        raise ParameterError("dialect must be 'duckdb' or 'spark'")

    def expand(match: re.Match) -> str:
        name = match.group(1).lower()
        if name not in MACROS and name not in VARIADIC_MACROS:
            known = ", ".join(sorted([*MACROS, *VARIADIC_MACROS]))
            raise ParameterError(f"unknown SQL macro '{name}'; known: {known}")
        arguments = [argument.strip() for argument in match.group(2).split(",")]
        if name == "json_top":
            return _json_top(arguments, dialect)
        if name == "period_series":
            if len(arguments) != 3 or arguments[2].lower() not in _PERIOD_STEPS:
                raise ParameterError("period_series takes (lo, hi, hour|day|week)")
            return MACROS[name][dialect].format(*arguments, step=_PERIOD_STEPS[arguments[2].lower()])
        return MACROS[name][dialect].format(*arguments)

    return _MACRO.sub(expand, sql)


def _json_top(arguments: list[str], dialect: str) -> str:
    """Expand ``json_top(n, key..., __, field...)`` (see :data:`VARIADIC_MACROS`)."""
    if "__" not in arguments or arguments.index("__") < 2 or arguments.index("__") == len(arguments) - 1:
        raise ParameterError("json_top takes (limit, key, ..., __, field, ...) with at least one key and one field")
    split = arguments.index("__")
    limit, keys, fields = arguments[0], arguments[1:split], arguments[split + 1 :]
    if dialect == "duckdb":
        record = ", ".join(f"'{field}': {field}" for field in fields)
        order = ", ".join(f"{key[1:]} DESC" if key.startswith("-") else key for key in keys)
        return f"to_json(list({{{record}}} ORDER BY {order})[1:{limit}])::VARCHAR"
    # Spark sorts an array of structs field by field: the keys first, then the fields.
    parts = [f"'k{i}', {key}" for i, key in enumerate(keys)] + [f"'v{i}', {field}" for i, field in enumerate(fields)]
    record = ", ".join(f"'{field}', r.v{i}" for i, field in enumerate(fields))
    return (
        f"to_json(transform(slice(array_sort(collect_list(named_struct({', '.join(parts)}))), 1, {limit}), "
        f"r -> named_struct({record})))"
    )


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
