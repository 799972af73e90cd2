"""How much of a trend comes from flagged accounts: organic growth or a manufactured one.

Examples
--------
>>> import pandas as pd
>>> rows = pd.DataFrame({"account_id": ["01", "02", "03", "04"], "policy": ["spam", "spam", "spam", "hate"]})
>>> coordinated_share(rows, ["01", "02"], by="policy")[["policy", "total", "coordinated", "coordinated_share"]]
  policy  total  coordinated  coordinated_share
0   spam      3            2           0.666667
1   hate      1            0           0.000000
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.loading.sql import quote_identifier
from tsinvest.schemas import STRING_DTYPE, require_columns
from tsinvest.trends.inputs import as_columns, as_string_columns, to_relation

__all__ = ["coordinated_share", "ASSESSMENTS"]

#: Values of the ``assessment`` column.
ASSESSMENTS = ("organic", "mixed", "coordinated")


def _flagged_ids(flagged_accounts: Iterable[Any]) -> pd.DataFrame:
    if isinstance(flagged_accounts, (str, bytes)):
        raise ParameterError("flagged_accounts must be a collection of account ids, not a single string")
    if isinstance(flagged_accounts, pd.DataFrame):
        raise ParameterError(
            "flagged_accounts must be ids (a list, set or Series), not a DataFrame; pass frame['account_id']"
        )
    ids = pd.Series(list(flagged_accounts), dtype=object).dropna()
    if not all(isinstance(value, str) for value in ids):
        # Numbers lose leading zeros and 19-digit precision: refuse rather than guess.
        raise ParameterError("flagged_accounts must hold account ids as strings (ids are never numbers in tsinvest)")
    return pd.DataFrame({"flagged_id": pd.Series(ids.unique(), dtype=STRING_DTYPE)})


def coordinated_share(
    frame: Any,
    flagged_accounts: Iterable[str],
    *,
    by: str | Sequence[str] = ("policy",),
    actor: str = "account_id",
    mixed_at: float = 0.2,
    coordinated_at: float = 0.5,
    connection: Any = None,
) -> pd.DataFrame:
    """Share of each group's volume (and accounts) that comes from flagged accounts.

    Parameters
    ----------
    frame : pandas.DataFrame, duckdb.DuckDBPyRelation or str
        Rows to attribute: reports, events, or :func:`~tsinvest.trends.term_occurrences`
        output (then ``by="term"``). Add a period column to ``by`` for a share per period.
    flagged_accounts : iterable of str
        Account ids in flagged clusters (e.g. from the detection module), as strings.
    by : str or sequence of str, default ("policy",)
        Grouping columns (the spiking policy, term, ...).
    actor : str, default "account_id"
        Column holding the account responsible for each row (``reporter_id`` for reports).
    mixed_at, coordinated_at : float, default 0.2 and 0.5
        Volume shares at which ``assessment`` turns from ``organic`` to
        ``mixed`` and to ``coordinated``.
    connection : duckdb.DuckDBPyConnection, optional
        Where a relation or table name lives.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, then ``total``, ``coordinated`` (rows by flagged
        accounts), ``coordinated_share``, ``accounts``, ``coordinated_accounts``,
        ``account_share`` and ``assessment``; sorted by share descending, then
        total descending, then group.

    Notes
    -----
    A trend carried by a handful of flagged accounts is manufactured even if
    its volume is large; an organic trend has many unflagged accounts. Volume
    share answers "how much of what we see is the ring", account share "how
    much of the crowd is the ring"; both are given. The 0.2 / 0.5 cut-offs
    are reading aids (a fifth of the volume from flagged accounts already
    deserves a look, half means the trend would not exist without them), not
    statistical tests: flagged lists are incomplete, so shares are lower bounds.
    Runs as one DuckDB join and aggregate; O(rows + flagged accounts).
    """
    if not 0 <= mixed_at <= coordinated_at <= 1:
        raise ParameterError("need 0 <= mixed_at <= coordinated_at <= 1")
    import duckdb

    groups = as_columns(by)
    if not groups:
        raise ParameterError("by must name at least one column (the policy, term, ...)")
    private = duckdb.connect()
    relation, types = to_relation(frame, connection if connection is not None else private)
    require_columns(types, (actor, *groups), name="the table")
    flagged = _flagged_ids(flagged_accounts)
    selected = ", ".join(quote_identifier(g) for g in groups)
    actor_sql = f"CAST({quote_identifier(actor)} AS VARCHAR) AS actor"
    rows_in = relation.query("data", f"SELECT {selected}, {actor_sql} FROM data")
    private.register("rows_in", rows_in.to_arrow_table())
    private.register("flagged", flagged)
    group_sql = ", ".join(quote_identifier(g) for g in groups)
    result = private.execute(
        f"""
        SELECT {group_sql},
               count(*) AS total,
               count(*) FILTER (WHERE f.flagged_id IS NOT NULL) AS coordinated,
               count(DISTINCT r.actor) AS accounts,
               count(DISTINCT r.actor) FILTER (WHERE f.flagged_id IS NOT NULL) AS coordinated_accounts
        FROM rows_in r LEFT JOIN (SELECT DISTINCT flagged_id FROM flagged) f ON r.actor = f.flagged_id
        GROUP BY {group_sql}
        """
    ).df()
    result["coordinated_share"] = result["coordinated"] / result["total"]
    result["account_share"] = (result["coordinated_accounts"] / result["accounts"]).fillna(0.0)
    share = result["coordinated_share"]
    result["assessment"] = pd.array(
        np.select([share >= coordinated_at, share >= mixed_at], ["coordinated", "mixed"], default="organic"),
        dtype=STRING_DTYPE,
    )
    for column in ("total", "coordinated", "accounts", "coordinated_accounts"):
        result[column] = result[column].astype("int64")
    result = as_string_columns(result, groups)
    ordered = [*groups, "total", "coordinated", "coordinated_share", "accounts", "coordinated_accounts",
               "account_share", "assessment"]
    result = result[ordered].sort_values(
        ["coordinated_share", "total", *groups], ascending=[False, False, *[True] * len(groups)], kind="stable",
        na_position="last",
    )
    return result.reset_index(drop=True)
