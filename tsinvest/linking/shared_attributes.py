"""Accounts linked by a shared attribute: device, IP, e-mail/phone hash, payment id.

An account farm reuses a handful of phones and proxies; ban evaders come back
on the same device. But a shared value is only evidence when it is rare: a
carrier-grade NAT address or a popular default avatar is shared by hundreds of
unrelated people. :func:`shared_attribute_edges` therefore weights every shared
value by its rarity and drops "hub" values used by too many accounts.

Examples
--------
>>> import pandas as pd
>>> logins = pd.DataFrame({
...     "account_id": ["1", "2", "3"],
...     "device_id": ["d1", "d1", "d9"],
...     "ts": pd.to_datetime(["2026-03-02", "2026-03-03", "2026-03-04"], utc=True),
... })
>>> edges = shared_attribute_edges(logins, attributes=("device_id",))
>>> edges[["account_a", "account_b", "signal"]].to_dict("records")
[{'account_a': '1', 'account_b': '2', 'signal': 'shared_device_id'}]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.linking.edge_tables import empty_edges, finalise_edges
from tsinvest.loading.sql import quote_identifier, quote_literal
from tsinvest.schemas import require_columns

if TYPE_CHECKING:
    import duckdb

__all__ = ["shared_attribute_edges", "shared_attribute_sql", "value_weight"]


def value_weight(accounts_sharing: int) -> float:
    """Evidence one shared value contributes to each pair of its accounts.

    The Adamic-Adar weight ``1 / ln(n)`` for a value used by ``n`` accounts:
    a device shared by exactly two accounts counts 1.44, one shared by ten
    counts 0.43, one shared by a hundred 0.22.

    Examples
    --------
    >>> round(value_weight(2), 3), round(value_weight(300), 3)
    (1.443, 0.175)
    """
    if accounts_sharing < 2:
        raise ParameterError(
            "value_weight: accounts_sharing must be at least 2 (a value used by one account links nobody)"
        )
    return 1.0 / math.log(accounts_sharing)


# The edge query of shared_attribute_sql: {names} are SQL built there and validated numbers.
_SHARED_ATTRIBUTE_EDGES = """
        WITH observations AS ({observations}),
        account_values AS (
            SELECT attribute, value, account, min(ts) AS first_ts, max(ts) AS last_ts
            FROM observations GROUP BY attribute, value, account
        ),
        value_counts AS (
            SELECT attribute, value, count(*) AS accounts FROM account_values GROUP BY attribute, value
        ),
        value_weights AS (SELECT * FROM (VALUES {weights}) AS w(accounts, value_weight)),
        kept AS (
            SELECT v.attribute, v.value, v.account, v.first_ts, v.last_ts, c.accounts, w.value_weight
            FROM account_values v JOIN value_counts c ON v.attribute = c.attribute AND v.value = c.value
            JOIN value_weights w ON w.accounts = c.accounts
        ),
        pairs AS (
            SELECT a.attribute, a.value, a.accounts, a.value_weight,
                   a.account AS account_a, b.account AS account_b,
                   least(a.first_ts, b.first_ts) AS first_ts, greatest(a.last_ts, b.last_ts) AS last_ts
            FROM kept a JOIN kept b
              ON a.attribute = b.attribute AND a.value = b.value AND a.account < b.account
        ),
        grouped AS (
            SELECT account_a, account_b, 'shared_' || attribute AS signal,
                   __tsinvest_sorted_sum(value_weight) AS weight, min(first_ts) AS first_ts, max(last_ts) AS last_ts,
                   __tsinvest_json_top({max_evidence}, accounts, value, __, value, accounts) AS evidence
            FROM pairs
            GROUP BY account_a, account_b, attribute
        )
        SELECT * FROM grouped WHERE weight >= CAST('{min_weight!r}' AS DOUBLE)
        ORDER BY weight DESC, account_a, account_b, signal
    """


def shared_attribute_sql(
    table: str,
    attributes: Sequence[str],
    *,
    actor: str = "account_id",
    time: str | None = "ts",
    max_accounts_per_value: int = 50,
    min_weight: float = 0.0,
    max_evidence: int = 5,
) -> dict[str, str]:
    """The queries of :func:`shared_attribute_edges`, in DuckDB's dialect with :mod:`tsinvest.portable_sql` macros.

    One source for both engines: :func:`tsinvest.portable_sql.render` makes
    them DuckDB's, :func:`tsinvest.portable_sql.to_spark` Spark's. Parameters
    are validated numbers written as literals; column and table names are
    quoted identifiers, never data.

    Returns
    -------
    dict of str to str
        ``edges`` (the edge rows, sorted), ``hubs`` (hub values per
        attribute) and ``accounts`` (accounts with any value).

    Notes
    -----
    The Adamic-Adar weights come from :func:`value_weight` as a small table
    of literals (one row per possible account count), not from SQL's ``ln``:
    Spark's logarithm differs from the C library's in the last bit for about
    one count in a hundred.
    """
    time_sql = f"CAST({quote_identifier(time)} AS TIMESTAMPTZ)" if time is not None else "CAST(NULL AS TIMESTAMPTZ)"
    observations = " UNION ALL ".join(
        f"SELECT CAST({quote_identifier(actor)} AS VARCHAR) AS account, {quote_literal(column)} AS attribute, "
        f"CAST({quote_identifier(column)} AS VARCHAR) AS value, {time_sql} AS ts FROM {quote_identifier(table)} "
        f"WHERE {quote_identifier(column)} IS NOT NULL AND trim(CAST({quote_identifier(column)} AS VARCHAR)) <> '' "
        f"AND {quote_identifier(actor)} IS NOT NULL"
        for column in attributes
    )
    cap = int(max_accounts_per_value)
    weights = ", ".join(f"({n}, CAST('{value_weight(n)!r}' AS DOUBLE))" for n in range(2, cap + 1))
    edges = _SHARED_ATTRIBUTE_EDGES.format(
        observations=observations, weights=weights, max_evidence=int(max_evidence), min_weight=float(min_weight)
    )
    hubs = f"""
        WITH observations AS ({observations})
        SELECT attribute, count(*) AS hubs FROM (
            SELECT attribute, value FROM observations GROUP BY attribute, value
            HAVING count(DISTINCT account) > {cap}
        ) AS hub_values GROUP BY attribute ORDER BY attribute
    """
    accounts = f"WITH observations AS ({observations}) SELECT count(DISTINCT account) AS accounts FROM observations"
    return {"edges": edges, "hubs": hubs, "accounts": accounts}


def shared_attribute_edges(
    logins: pd.DataFrame,
    *,
    attributes: Sequence[str] = ("device_id", "ip"),
    actor: str = "account_id",
    time: str | None = "ts",
    max_accounts_per_value: int = 50,
    min_weight: float = 0.0,
    max_evidence: int = 5,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> pd.DataFrame:
    """Link accounts that used the same rare attribute value.

    Parameters
    ----------
    logins : DataFrame
        One row per observation (a login, a payment, an account record) with
        the ``actor`` column, the ``attributes`` columns and optionally a
        ``time`` column. Missing or empty values are ignored.
    attributes : sequence of str
        Columns whose shared values link accounts, e.g. ``device_id``, ``ip``,
        ``email_hash``, ``phone_hash``, ``payment_id``, ``avatar_hash``.
        Each gets its own signal, ``shared_<column>``.
    actor : str
        Account id column.
    time : str or None
        Timestamp column giving ``first_ts``/``last_ts``; None leaves them empty.
    max_accounts_per_value : int
        A value used by more accounts than this is a hub (carrier NAT, shared
        Wi-Fi, a default avatar) and is ignored.
    min_weight : float
        Drop edges whose weight is below this.
    max_evidence : int
        How many shared values (rarest first) to list in ``evidence``.
    connection : duckdb connection, optional
        Connection to run on; a private in-memory one by default.

    Returns
    -------
    DataFrame
        Columns :data:`~tsinvest.schemas.EDGE_COLUMNS`, one row per account
        pair and attribute, ``account_a < account_b``, sorted by weight
        descending then ids. ``evidence`` is a JSON array of
        ``{"value": ..., "accounts": n}`` (raw values; redaction happens at
        reporting). ``edges.attrs["hub_values_excluded"]`` maps each
        attribute to the number of hub values dropped (the values themselves
        are not reported); ``edges.attrs["accounts_seen"]`` is the number of
        accounts with any attribute value.

    Notes
    -----
    Rule: for each attribute, a value used by ``n`` distinct accounts with
    ``2 <= n <= max_accounts_per_value`` adds ``1 / ln(n)`` (Adamic-Adar, see
    :func:`value_weight`) to every pair of those accounts; the edge weight is
    the sum over the values the pair shares. A rare value therefore outweighs
    a common one and many shared values outweigh one. The weight does not
    depend on how many unrelated accounts were loaded, so results on a slice
    and on the whole data agree for the same pairs. The default cap of 50
    keeps a typical farm (tens of accounts on a few devices) and drops
    carrier NAT addresses shared by hundreds; lower it for IPs of a mobile
    population, raise it for rare identifiers such as payment ids.

    ``first_ts``/``last_ts`` span the two accounts' use of the shared values.
    Co-use years apart is weaker evidence than co-use the same day; this
    function does not discount it, look at the timestamps.

    Complexity: one DuckDB pass to count accounts per value, then a self-join
    per value, bounded by ``cap * (cap - 1) / 2`` pairs per value. The query
    (:func:`shared_attribute_sql`) is the one :func:`tsinvest.spark.shared_attribute_edges`
    runs on Spark; a pair's weight adds its values' weights in ascending order,
    so both engines give the same bits.

    Examples
    --------
    >>> import pandas as pd
    >>> logins = pd.DataFrame({
    ...     "account_id": ["1", "2", "3", "4", "5"],
    ...     "ip": ["10.0.0.1", "10.0.0.1", "100.64.0.1", "100.64.0.1", "100.64.0.1"],
    ...     "ts": pd.to_datetime(["2026-03-02"] * 5, utc=True),
    ... })
    >>> edges = shared_attribute_edges(logins, attributes=("ip",), max_accounts_per_value=2)
    >>> edges[["account_a", "account_b"]].values.tolist(), edges.attrs["hub_values_excluded"]
    ([['1', '2']], {'ip': 1})
    """
    import duckdb

    from tsinvest.portable_sql import render

    attributes = tuple(attributes)
    if not attributes:
        raise ParameterError("shared_attribute_edges: attributes= must name at least one column")
    if max_accounts_per_value < 2:
        raise ParameterError("shared_attribute_edges: max_accounts_per_value must be at least 2")
    if max_evidence < 1:
        raise ParameterError("shared_attribute_edges: max_evidence must be at least 1")
    if not isinstance(min_weight, (int, float)) or not math.isfinite(min_weight):
        raise ParameterError("shared_attribute_edges: min_weight must be a finite number")
    needed = {"actor": actor} | {f"attributes[{i}]": column for i, column in enumerate(attributes)}
    if time is not None:
        needed["time"] = time
    require_columns(logins, needed, name="shared_attribute_edges")

    columns = [actor, *attributes] + ([time] if time is not None else [])
    frame = logins.loc[:, list(dict.fromkeys(columns))]
    view = f"__tsinvest_shared_attributes_{id(frame)}"
    queries = {
        name: render(sql, "duckdb")
        for name, sql in shared_attribute_sql(
            view, attributes, actor=actor, time=time, max_accounts_per_value=max_accounts_per_value,
            min_weight=min_weight, max_evidence=max_evidence,
        ).items()
    }

    con = connection if connection is not None else duckdb.connect()
    try:
        con.register(view, frame)
        edges = con.execute(queries["edges"]).df()
        hubs = con.execute(queries["hubs"]).df()
        accounts_seen = int(con.execute(queries["accounts"]).fetchall()[0][0])
    finally:
        con.unregister(view)
        if connection is None:
            con.close()

    edges = finalise_edges(edges, presorted=True) if len(edges) else empty_edges()
    hub_counts = dict(zip(hubs["attribute"], hubs["hubs"].astype(int), strict=True))
    edges.attrs["hub_values_excluded"] = {column: int(hub_counts.get(column, 0)) for column in attributes}
    edges.attrs["accounts_seen"] = accounts_seen
    edges.attrs["max_accounts_per_value"] = max_accounts_per_value
    return edges
