"""Canonical form of the weighted edge tables that shared-attribute and copy-paste links produce.

Both producers build their edges in DuckDB and finish them here, so the two
tables have the same columns, dtypes (``weight`` float64, UTC timestamps,
string ids) and order (weight desc, then ids).

Examples
--------
>>> import pandas as pd
>>> edges = pd.DataFrame({
...     "account_a": ["1", "1"], "account_b": ["3", "2"], "signal": ["s", "s"], "weight": [1, 2],
...     "first_ts": ["2026-03-02", "2026-03-02"], "last_ts": ["2026-03-03", "2026-03-03"], "evidence": ["", ""],
... })
>>> finalise_edges(edges)[["account_b", "weight"]].to_dict("records")
[{'account_b': '2', 'weight': 2.0}, {'account_b': '3', 'weight': 1.0}]
>>> len(empty_edges()), str(empty_edges()["weight"].dtype)
(0, 'float64')
"""

from __future__ import annotations

import pandas as pd

from tsinvest.schemas import EDGE_COLUMNS, STRING_DTYPE, TIMESTAMP_DTYPE

__all__ = ["empty_edges", "finalise_edges"]


def empty_edges() -> pd.DataFrame:
    """An edge table with no rows and the canonical dtypes."""
    return finalise_edges(pd.DataFrame({column: [] for column in EDGE_COLUMNS}))


def finalise_edges(edges: pd.DataFrame, *, presorted: bool = False) -> pd.DataFrame:
    """Canonical dtypes and order of an edge table (weight desc, then ids).

    ``presorted=True`` trusts an SQL ``ORDER BY weight DESC, account_a,
    account_b, signal`` (DuckDB compares strings byte-wise, the same order
    as Python for UTF-8) and skips the pandas sort, the slowest step on
    millions of edges.
    """
    edges = edges.loc[:, list(EDGE_COLUMNS)].copy()
    for column in ("account_a", "account_b", "signal", "evidence"):
        edges[column] = edges[column].astype(STRING_DTYPE)
    edges["weight"] = edges["weight"].astype("float64")
    for column in ("first_ts", "last_ts"):
        edges[column] = pd.to_datetime(edges[column], utc=True).astype(TIMESTAMP_DTYPE)
    if not presorted:
        edges = edges.sort_values(
            ["weight", "account_a", "account_b", "signal"], ascending=[False, True, True, True], kind="mergesort"
        )
    return edges.reset_index(drop=True)
