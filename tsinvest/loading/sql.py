"""SQL inputs are data: one SELECT, read-only, no files, no network, no extensions.

A ``.sql`` file or a ``.duckdb`` database handed over by a partner is *data*,
like a CSV: loading it must never write a file, attach a database, read a local
file, download an extension or change a setting. Three walls, each enough on
its own for the common attacks:

1. **One SELECT.** The text is split with DuckDB's own parser
   (:func:`duckdb.extract_statements`): exactly one statement, of type SELECT
   (``SELECT``, ``WITH``, ``FROM``, ``VALUES``, ``TABLE``). ``COPY``,
   ``ATTACH``, ``INSTALL``, ``LOAD``, ``PRAGMA``, ``SET``, ``CALL``, ``EXPORT``
   and a second statement are refused.
2. **No file or network readers.** The parsed tree (``json_serialize_sql``)
   is walked: table functions other than ``range``, ``generate_series`` and
   ``unnest`` (``read_text``, ``read_csv``, ``glob``, ``query``, ...) and table
   names that are paths (``FROM '/etc/passwd'``) are refused.
3. **A sandboxed connection.** Queries run on a fresh in-memory DuckDB (or the
   ``.duckdb`` file opened read-only) with ``enable_external_access=false``,
   extension autoinstall and autoload off and the configuration locked, so a
   view stored in a database cannot read local files either.

Query *text* passed by the analyst in Python (``load_table("SELECT ...")``) is
the analyst's own code: it must still be one SELECT and cannot install or load
extensions, but it may read files the analyst names.

Examples
--------
>>> check_single_select("SELECT 1 AS account_id", source="q.sql")
>>> check_single_select("SELECT 1; COPY (SELECT 1) TO 'x.csv'", source="q.sql")
Traceback (most recent call last):
...
tsinvest.exceptions.UnsafeInputError: q.sql: refused: holds 2 SQL statements; a SQL input may hold exactly one ...
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from tsinvest.exceptions import ParameterError, UnsafeInputError

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "quote_identifier",
    "quote_literal",
    "SANDBOX_CONFIG",
    "ALLOWED_TABLE_FUNCTIONS",
    "check_single_select",
    "check_references",
    "sandboxed_connection",
    "trusted_connection",
]

#: DuckDB settings of the connection an untrusted SQL input runs on.
SANDBOX_CONFIG: Mapping[str, bool] = MappingProxyType({
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
})
#: Table functions that only compute values (no file, network or catalog access).
ALLOWED_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})

_REFUSED = "a SQL input may hold exactly one SELECT query"


def quote_identifier(name: object) -> str:
    """Quote a column or table name for DuckDB SQL; names come from users and files.

    The one way tsinvest puts a name into SQL text: double quotes around it,
    inner double quotes doubled, so no name can end the identifier.

    Examples
    --------
    >>> print(quote_identifier('x" OR 1=1 --'))
    "x"" OR 1=1 --"
    """
    return '"' + str(name).replace('"', '""') + '"'


def quote_literal(text: object) -> str:
    """Quote a text value (a file path, a pattern) as a DuckDB string literal.

    Values are passed as query parameters wherever DuckDB allows; this is for
    the places it does not (a path in ``read_parquet``).

    Examples
    --------
    >>> quote_literal("it's.csv")
    "'it''s.csv'"
    """
    return "'" + str(text).replace("'", "''") + "'"


def check_single_select(query: str, *, source: str) -> None:
    """Raise :class:`UnsafeInputError` unless ``query`` is exactly one SELECT statement.

    Uses DuckDB's parser, so comments, quoting and semicolons inside strings
    are handled as DuckDB itself would.
    """
    import duckdb

    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ParameterError(f"{source}: the SQL query could not be parsed ({detail})") from None
    if len(statements) != 1:
        raise UnsafeInputError(f"{source}: refused: holds {len(statements)} SQL statements; {_REFUSED}")
    kind = statements[0].type.name
    if kind != "SELECT":
        raise UnsafeInputError(
            f"{source}: refused: {kind} statement; {_REFUSED} (no COPY, ATTACH, INSTALL, LOAD, PRAGMA, SET)"
        )


def _walk(node: object, functions: set[str], tables: set[str]) -> None:
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "TABLE_FUNCTION":
            function = node.get("function") or {}
            functions.add(str(function.get("function_name", "")).lower())
        elif kind == "BASE_TABLE":
            tables.add(str(node.get("table_name", "")))
        for value in node.values():
            _walk(value, functions, tables)
    elif isinstance(node, list):
        for value in node:
            _walk(value, functions, tables)


def _looks_like_path(name: str) -> bool:
    return any(mark in name for mark in ("/", "\\", ".", ":", "~"))


def check_references(query: str, *, source: str) -> None:
    """Raise :class:`UnsafeInputError` if the query names a file reader or a file path.

    Run after :func:`check_single_select` (only SELECT statements serialise).
    """
    connection = sandboxed_connection()
    try:
        serialised = connection.execute("SELECT json_serialize_sql(?)", [query]).fetchall()[0][0]
    finally:
        connection.close()
    tree = json.loads(serialised)
    if tree.get("error"):
        raise UnsafeInputError(f"{source}: refused: the query could not be inspected; {_REFUSED}")
    functions: set[str] = set()
    tables: set[str] = set()
    _walk(tree.get("statements", []), functions, tables)
    readers = sorted(functions - ALLOWED_TABLE_FUNCTIONS)
    if readers:
        raise UnsafeInputError(
            f"{source}: refused: calls the table function(s) {', '.join(readers)}; a SQL input may not read "
            "files, URLs or catalogs (only range, generate_series and unnest are allowed)"
        )
    paths = sorted(name for name in tables if _looks_like_path(name))
    if paths:
        raise UnsafeInputError(
            f"{source}: refused: reads {len(paths)} file path(s) as tables; a SQL input may only read tables "
            "of its own database"
        )


def sandboxed_connection(database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that cannot reach files, the network or extensions.

    ``database`` other than ``":memory:"`` is opened read-only.
    """
    import duckdb

    if database == ":memory:":
        return duckdb.connect(config=dict(SANDBOX_CONFIG))
    return duckdb.connect(database, read_only=True, config=dict(SANDBOX_CONFIG))


def trusted_connection() -> duckdb.DuckDBPyConnection:
    """A fresh connection for the analyst's own query text: files allowed, no extension downloads."""
    import duckdb

    return duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
