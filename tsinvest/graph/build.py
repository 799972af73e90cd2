"""Build one account graph out of many edge tables, and pivot from accounts.

Every linking signal (co-action, shared devices/IPs, copy-paste text) returns
an edge table with :data:`tsinvest.schemas.EDGE_COLUMNS`. :func:`account_graph`
merges them into one undirected :class:`networkx.Graph` whose edges remember
*which* signals link the pair, with a weight and the evidence per signal, so an
analyst can ask "why are these two linked?" of any edge.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx
import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.schemas import EDGE_COLUMNS, require_columns

__all__ = ["account_graph", "ego_network", "combine_edges"]


def _evidence_text(values: pd.Series) -> str:
    # Evidence may come as strings, lists or dicts; one stable text per
    # (pair, signal) keeps the graph exportable and the output deterministic.
    parts: list[str] = []
    for value in values:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            continue
        if isinstance(value, (list, tuple, set)):
            parts.extend(str(v) for v in value)
        else:
            parts.append(str(value))
    return "; ".join(sorted(dict.fromkeys(parts)))


def combine_edges(*edge_frames: pd.DataFrame) -> pd.DataFrame:
    """Stack edge tables into one, one row per (account pair, signal).

    Rows of the same pair and signal are merged: weights add up, the time span
    widens, evidence texts are joined.

    Parameters
    ----------
    *edge_frames : DataFrame
        Tables with :data:`tsinvest.schemas.EDGE_COLUMNS`. Pairs are put in
        order (``account_a < account_b``) and self-pairs are dropped.

    Returns
    -------
    DataFrame
        :data:`~tsinvest.schemas.EDGE_COLUMNS`, evidence as text, sorted by
        account_a, account_b, signal.

    Examples
    --------
    >>> import pandas as pd
    >>> e = pd.DataFrame({"account_a": ["2", "1"], "account_b": ["1", "2"],
    ...     "signal": ["coaction", "coaction"], "weight": [1.0, 2.0],
    ...     "first_ts": pd.to_datetime(["2026-03-02T00:00:00Z"] * 2),
    ...     "last_ts": pd.to_datetime(["2026-03-02T00:00:05Z"] * 2),
    ...     "evidence": ["t1", "t2"]})
    >>> combine_edges(e)[["account_a", "account_b", "weight", "evidence"]]
      account_a account_b  weight evidence
    0         1         2     3.0   t1; t2
    """
    frames = []
    for number, frame in enumerate(edge_frames):
        require_columns(frame, EDGE_COLUMNS, name=f"edge table #{number + 1} (made by tsinvest.linking)")
        frames.append(frame[list(EDGE_COLUMNS)])
    if not frames or all(len(f) == 0 for f in frames):
        empty = pd.DataFrame({c: pd.Series(dtype="string") for c in EDGE_COLUMNS})
        empty["weight"] = pd.Series(dtype="float64")
        empty["first_ts"] = pd.Series(dtype="datetime64[ns, UTC]")
        empty["last_ts"] = pd.Series(dtype="datetime64[ns, UTC]")
        return empty
    edges = pd.concat([f for f in frames if len(f)], ignore_index=True)
    a = edges["account_a"].astype("string")
    b = edges["account_b"].astype("string")
    swap = a > b
    edges["account_a"] = a.where(~swap, b)
    edges["account_b"] = b.where(~swap, a)
    edges = edges[edges["account_a"] != edges["account_b"]]
    edges["signal"] = edges["signal"].astype("string")
    edges["weight"] = edges["weight"].astype("float64")
    edges = edges.sort_values(["account_a", "account_b", "signal"], kind="mergesort")
    key = ["account_a", "account_b", "signal"]
    repeated = edges.duplicated(key, keep=False)
    single = edges[~repeated]
    if not isinstance(single["evidence"].dtype, pd.StringDtype):
        # Lists or dicts of evidence become text; string columns already are (one pass, not one call per edge).
        single = single.assign(evidence=single["evidence"].map(lambda v: _evidence_text([v])))
    else:
        single = single.assign(evidence=single["evidence"].fillna(""))
    grouped = edges[repeated].groupby(key, sort=True, observed=True)
    merged = grouped.agg(
        weight=("weight", "sum"),
        first_ts=("first_ts", "min"),
        last_ts=("last_ts", "max"),
        evidence=("evidence", _evidence_text),
    ).reset_index() if repeated.any() else single.iloc[:0]
    combined = pd.concat([single, merged], ignore_index=True).sort_values(key, kind="mergesort")
    # Rounded so that the summation order of a parallel engine cannot change the output bytes.
    combined["weight"] = combined["weight"].round(9)
    combined = combined.reset_index(drop=True)
    combined["evidence"] = combined["evidence"].astype("string")
    return combined[list(EDGE_COLUMNS)]


def account_graph(*edge_frames: pd.DataFrame, accounts: pd.DataFrame | None = None,
                  account_column: str = "account_id") -> nx.Graph:
    """Merge edge tables into one weighted, typed account graph.

    Parameters
    ----------
    *edge_frames : DataFrame
        Edge tables with :data:`tsinvest.schemas.EDGE_COLUMNS`, from any signal.
    accounts : DataFrame, optional
        Account attributes (e.g. the canonical ``accounts`` table). Its columns
        become node attributes of the accounts that are in the graph; accounts
        without edges are not added.
    account_column : str
        Id column of ``accounts``.

    Returns
    -------
    networkx.Graph
        Nodes are account ids (str). Each edge has ``weight`` (sum over
        signals), ``signals`` (sorted tuple of signal names), ``weights``
        (dict signal -> weight), ``evidence`` (dict signal -> text),
        ``first_ts`` / ``last_ts`` (UTC timestamps). ``G.graph["signals"]``
        lists every signal present.

    Notes
    -----
    Weights of different signals are on different scales (co-actions, shared
    devices, duplicated texts); the summed ``weight`` is a convenience for
    layout and community detection, the per-signal ``weights`` are what to
    reason with. Cost is O(E log E) for the grouping plus O(E) to build.

    Examples
    --------
    >>> import pandas as pd
    >>> ts = pd.to_datetime(["2026-03-02T00:00:00Z"] * 2)
    >>> coaction = pd.DataFrame({"account_a": ["1", "1"], "account_b": ["2", "3"],
    ...     "signal": "coaction", "weight": [3.0, 1.0], "first_ts": ts, "last_ts": ts,
    ...     "evidence": ["v1; v2; v3", "v1"]})
    >>> shared = pd.DataFrame({"account_a": ["1"], "account_b": ["2"], "signal": ["shared_device"],
    ...     "weight": [1.0], "first_ts": ts[:1], "last_ts": ts[:1], "evidence": ["device d9"]})
    >>> G = account_graph(coaction, shared)
    >>> G.edges["1", "2"]["signals"], G.edges["1", "2"]["weight"]
    (('coaction', 'shared_device'), 4.0)
    >>> G.edges["2", "1"]["weights"]
    {'coaction': 3.0, 'shared_device': 1.0}
    """
    combined = combine_edges(*edge_frames)
    G = nx.Graph()
    G.graph["signals"] = tuple(sorted(combined["signal"].dropna().unique().tolist()))
    G.add_edges_from(_pair_edges(combined))
    if accounts is not None and len(G):
        _add_account_attributes(G, accounts, account_column)
    return G


def _pair_edges(combined: pd.DataFrame) -> list[tuple[str, str, dict[str, Any]]]:
    """One (account_a, account_b, attributes) per pair from the (pair, signal) rows sorted by pair."""
    # One pass over the rows, sorted by pair, so each pair's signals arrive together; O(E).
    current: tuple[str, str] | None = None
    data: dict[str, Any] = {}
    edge_list: list[tuple[str, str, dict[str, Any]]] = []
    for row in combined.itertuples(index=False):
        pair = (str(row.account_a), str(row.account_b))
        if pair != current:
            if current is not None:
                edge_list.append((*current, data))
            current = pair
            data = {"weight": 0.0, "signals": (), "weights": {}, "evidence": {},
                    "first_ts": row.first_ts, "last_ts": row.last_ts}
        data["weight"] = round(data["weight"] + float(row.weight), 9)
        data["signals"] = data["signals"] + (str(row.signal),)
        data["weights"][str(row.signal)] = float(row.weight)
        data["evidence"][str(row.signal)] = row.evidence
        if pd.notna(row.first_ts) and (pd.isna(data["first_ts"]) or row.first_ts < data["first_ts"]):
            data["first_ts"] = row.first_ts
        if pd.notna(row.last_ts) and (pd.isna(data["last_ts"]) or row.last_ts > data["last_ts"]):
            data["last_ts"] = row.last_ts
    if current is not None:
        edge_list.append((*current, data))
    return edge_list


def _add_account_attributes(G: nx.Graph, accounts: pd.DataFrame, account_column: str) -> None:
    """Columns of ``accounts`` become attributes of the accounts already in ``G`` (missing values left out)."""
    if account_column not in accounts.columns:
        raise ParameterError(f"accounts has no column '{account_column}'; pass account_column=")
    present = accounts[accounts[account_column].astype("string").isin(list(G.nodes))]
    present = present.drop_duplicates(account_column)
    attributes = present.set_index(present[account_column].astype("string")).drop(columns=[account_column])
    for node, values in attributes.to_dict(orient="index").items():
        G.nodes[str(node)].update({k: v for k, v in values.items() if not _is_missing(v)})


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def ego_network(G: nx.Graph, seeds: str | Iterable[str], hops: int = 1, *,
                signals: Iterable[str] | None = None) -> nx.Graph:
    """Accounts within ``hops`` links of the seed accounts ("pivot from this account").

    Parameters
    ----------
    G : networkx.Graph
        An account graph (see :func:`account_graph`).
    seeds : str or iterable of str
        Account id(s) to pivot from.
    hops : int
        How many links away to go (0 = only the seeds).
    signals : iterable of str, optional
        Follow only edges carrying one of these signals (e.g. ``["shared_device"]``).

    Returns
    -------
    networkx.Graph
        Copy of the induced subgraph; each node has ``hops`` (distance to the
        nearest seed) and ``seed`` (bool).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.path_graph(["a", "b", "c", "d"])
    >>> sorted(ego_network(G, "b", hops=1))
    ['a', 'b', 'c']
    >>> ego_network(G, ["a"], hops=2).nodes["c"]["hops"]
    2
    """
    if isinstance(seeds, str):
        seeds = [seeds]
    seeds = [str(s) for s in seeds]
    if hops < 0:
        raise ParameterError("hops must be 0 or more")
    absent = sum(1 for s in seeds if s not in G)
    if absent:
        raise ParameterError(f"{absent} of {len(seeds)} seed account(s) are not in the graph; "
                             "check the ids or build the graph from more signals")
    wanted = None if signals is None else set(signals)

    def usable(u: str, v: str) -> bool:
        return wanted is None or bool(wanted.intersection(G.edges[u, v].get("signals", ())))

    distance = {s: 0 for s in seeds}
    frontier = sorted(set(seeds))
    for step in range(1, hops + 1):
        following = []
        for node in frontier:
            for neighbour in G.neighbors(node):
                if neighbour not in distance and usable(node, neighbour):
                    distance[neighbour] = step
                    following.append(neighbour)
        frontier = sorted(set(following))
        if not frontier:
            break
    sub = G.subgraph(distance).copy()
    if wanted is not None:
        sub.remove_edges_from([(u, v) for u, v in list(sub.edges) if not usable(u, v)])
    seed_set = set(seeds)
    for node in sub.nodes:
        sub.nodes[node]["hops"] = distance[node]
        sub.nodes[node]["seed"] = node in seed_set
    return sub
