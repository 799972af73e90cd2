"""Co-action networks as published tools define them, to reproduce their networks on tsinvest's data.

tsinvest's own weight (:func:`tsinvest.linking.coordination.coordination_edges`)
counts the **distinct targets** two accounts acted on within the window. Two
well-known peers count differently:

* **CooRTweet** (Righetti & Balluff, R; ``detect_groups`` then
  ``generate_coordinated_network``): the weight of a pair is the number of
  *content pairs*, i.e. pairs of actions (one by each account, on one object,
  at most ``time_window`` apart). ``min_participation`` drops accounts with
  fewer actions, before and after pairing; ``edge_weight`` keeps the edges
  above that percentile of the weight distribution (``subgraph = 1``).
* **Coordination Network Toolkit** (QUT Digital Observatory, Python;
  ``compute_co_retweet_parallel`` and its siblings): *directed* weights,
  ``user_1 -> user_2`` counting the actions of ``user_1`` that ``user_2``
  matched within ``time_window`` (before or after); ``min_edge_weight`` keeps
  edges with at least that weight.

The three agree on which pairs are linked; they differ exactly where an
account acted on one object several times inside the window (repeated shares
of one video add content pairs and directed counts, not distinct targets).

=========================  ==========================  ==================================
tsinvest parameter          CooRTweet                   Coordination Network Toolkit
=========================  ==========================  ==================================
``actor``                   ``account_id``              ``user_id``
``target``                  ``object_id``               ``repost_id`` (``url``, ``reply_id``)
``time``                    ``timestamp_share``         ``timestamp``
``window``                  ``time_window``             ``time_window``
``min_participation``       ``min_participation``       (none)
``edge_weight_percentile``  ``edge_weight``             (none)
``min_weight``              (none; use 1)               ``min_edge_weight``
``definition``              ``"content_pairs"``         ``"directed"``
=========================  ==========================  ==================================

An action is a row after dropping exact (actor, target, time) duplicates, as
everywhere in tsinvest (the peers count duplicate rows with distinct message
ids twice). The query is one SQL source run by DuckDB here and, through
SQLGlot, by Spark (:func:`tsinvest.spark.peer_coordination_edges`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from tsinvest.exceptions import ParameterError

if TYPE_CHECKING:
    import duckdb

__all__ = ["DEFINITIONS", "peer_edges_sql", "peer_coordination_edges"]

#: Weight definitions: tsinvest's, CooRTweet's, the Coordination Network Toolkit's.
DEFINITIONS = ("targets", "content_pairs", "directed")

Definition = Literal["targets", "content_pairs", "directed"]


def _is_integer_at_least(value: object, least: int) -> bool:
    return isinstance(value, int) and value >= least


def check_peer_parameters(
    definition: object,
    window: object,
    min_weight: object,
    min_participation: object,
    edge_weight_percentile: object,
    evidence_size: object,
) -> None:
    """Validate the parameters shared by both engines (one message listing every problem)."""
    problems = []
    if definition not in DEFINITIONS:
        problems.append(f"definition must be one of {', '.join(repr(d) for d in DEFINITIONS)}")
    if not isinstance(window, (int, float)) or isinstance(window, bool) or not np.isfinite(window) or window < 0:
        problems.append("window must be a finite number of seconds >= 0")
    if not _is_integer_at_least(min_weight, 1):
        problems.append("min_weight must be an integer >= 1")
    if not _is_integer_at_least(min_participation, 1):
        problems.append("min_participation must be an integer >= 1")
    if edge_weight_percentile is not None and not (
        isinstance(edge_weight_percentile, (int, float)) and 0 <= edge_weight_percentile <= 1
    ):
        problems.append("edge_weight_percentile must be None or a number in [0, 1]")
    if not _is_integer_at_least(evidence_size, 0):
        problems.append("evidence_size must be an integer >= 0")
    if problems:
        raise ParameterError("; ".join(problems))


def _participation_sql(min_participation: int) -> tuple[str, str]:
    """The ``active`` accounts query and the ``participating`` CTEs (accounts in enough linked actions)."""
    active = (
        f"SELECT actor FROM deduplicated GROUP BY actor HAVING count(*) >= {int(min_participation)}"
        if min_participation > 1
        else "SELECT DISTINCT actor FROM deduplicated"
    )
    qualified = (
        """, contents AS (
            SELECT left_actor AS actor, target, left_t AS t FROM linked
            UNION SELECT right_actor AS actor, target, right_t AS t FROM linked
        ), qualified AS (
            SELECT actor FROM contents GROUP BY actor HAVING count(*) >= {m}
        ), participating AS (
            SELECT linked.* FROM linked
            LEFT JOIN qualified AS q1 ON linked.left_actor = q1.actor
            LEFT JOIN qualified AS q2 ON linked.right_actor = q2.actor
            WHERE q1.actor IS NOT NULL OR q2.actor IS NOT NULL
        )""".format(m=int(min_participation))
        if min_participation > 1
        else ", participating AS (SELECT * FROM linked)"
    )
    return active, qualified


def _actions_sql(definition: Definition) -> tuple[str, str]:
    """The ``actions`` CTEs of a weight definition and the weight aggregate over them."""
    if definition == "directed":
        oriented = """, oriented AS (
            SELECT DISTINCT left_actor AS account_a, right_actor AS account_b, target, left_t AS t, right_t AS other
            FROM participating
            UNION ALL
            SELECT DISTINCT right_actor AS account_a, left_actor AS account_b, target, right_t AS t, left_t AS other
            FROM participating
        ), actions AS (
            SELECT account_a, account_b, target, t, min(least(t, other)) AS earlier, max(greatest(t, other)) AS later
            FROM oriented GROUP BY account_a, account_b, target, t
        )"""
        weight = "count(*)"
    else:
        oriented = """, actions AS (
            SELECT least(left_actor, right_actor) AS account_a, greatest(left_actor, right_actor) AS account_b,
                   target, left_t AS earlier, right_t AS later
            FROM participating
        )"""
        weight = "count(DISTINCT target)" if definition == "targets" else "count(*)"
    return oriented, weight


def _kept_pairs_sql(min_weight: int, edge_weight_percentile: float | None) -> tuple[str, str]:
    """The optional percentile ``threshold`` CTE and the condition a pair must meet to be kept."""
    threshold = (
        f", threshold AS (SELECT __tsinvest_quantile(weight, {float(edge_weight_percentile)!r}) AS value FROM pairs)"
        if edge_weight_percentile is not None
        else ""
    )
    keep = f"weight >= {int(min_weight)}" + (
        " AND weight > (SELECT value FROM threshold)" if edge_weight_percentile is not None else ""
    )
    return threshold, keep


def peer_edges_sql(
    definition: Definition,
    window_units: int,
    *,
    min_weight: int = 1,
    min_participation: int = 1,
    edge_weight_percentile: float | None = None,
    events: str = "events",
) -> str:
    """The edge query in DuckDB's dialect with ``__tsinvest_*`` macros (see :mod:`tsinvest.portable_sql`).

    ``events`` names a relation ``(actor, target, t)`` with ``t`` an integer
    time in any unit; ``window_units`` is the window in that unit. Returns
    ``(account_a, account_b, weight, first_t, last_t, targets)`` sorted by
    weight descending, then ``account_a``, ``account_b``; ``targets`` is the
    sorted list of distinct linked targets.

    Notes
    -----
    No self-join on the target: actions are keyed by ``(target, bucket)``
    (``bucket = floor(t / W)``), each bucket joined with itself and the next,
    then filtered on ``0 <= dt <= W`` (``O(N + P)`` for ``P`` windowed action
    pairs, as the local sweep). Each unordered action pair is kept once
    (``dt > 0``, or at equal times the smaller account on the left).
    """
    width = max(int(window_units), 1)
    active, qualified = _participation_sql(min_participation)
    oriented, weight = _actions_sql(definition)
    source = "actions"
    threshold, keep = _kept_pairs_sql(min_weight, edge_weight_percentile)
    return f"""
        WITH deduplicated AS (
            SELECT DISTINCT actor, target, t FROM {events}
        ), active AS (
            {active}
        ), keyed AS (
            SELECT d.actor, d.target, d.t, __tsinvest_floor_div(d.t, {width}) AS bucket
            FROM deduplicated AS d JOIN active AS a ON d.actor = a.actor
        ), expanded AS (
            SELECT actor, target, t, bucket AS join_bucket FROM keyed
            UNION ALL
            SELECT actor, target, t, bucket - 1 AS join_bucket FROM keyed
        ), linked AS (
            SELECT l.actor AS left_actor, r.actor AS right_actor, l.target AS target, l.t AS left_t, r.t AS right_t
            FROM keyed AS l JOIN expanded AS r ON l.target = r.target AND l.bucket = r.join_bucket
            WHERE r.t - l.t BETWEEN 0 AND {int(window_units)} AND l.actor <> r.actor
              AND (r.t > l.t OR l.actor < r.actor)
        ){qualified}{oriented}, pairs AS (
            SELECT account_a, account_b, {weight} AS weight, min(earlier) AS first_t, max(later) AS last_t,
                   __tsinvest_sorted_distinct(target) AS targets
            FROM {source} GROUP BY account_a, account_b
        ){threshold}
        SELECT account_a, account_b, weight, first_t, last_t, targets
        FROM pairs WHERE {keep}
        ORDER BY weight DESC, account_a, account_b
    """


def evidence_text(targets: Iterable[str], evidence_size: int) -> str:
    """``json.dumps`` of the first ``evidence_size`` targets (already sorted): the kit's evidence format."""
    return json.dumps(list(targets)[:evidence_size])


def peer_coordination_edges(
    source: pd.DataFrame | str | os.PathLike,
    *,
    definition: Definition = "targets",
    actor: str = "account_id",
    target: str = "target_id",
    time: str = "ts",
    action: str | None = None,
    action_column: str = "action",
    window: float = 60,
    min_weight: int = 1,
    min_participation: int = 1,
    edge_weight_percentile: float | None = None,
    signal: str | None = None,
    evidence_size: int = 5,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> pd.DataFrame:
    """Co-action edges weighted as tsinvest, CooRTweet or the Coordination Network Toolkit weigh them.

    Parameters
    ----------
    source : DataFrame, str or path
        As :func:`tsinvest.linking.coordination.coordination_edges`.
    definition : {"targets", "content_pairs", "directed"}
        ``"targets"``: distinct targets per pair (tsinvest's weight, the
        default). ``"content_pairs"``: pairs of actions (CooRTweet).
        ``"directed"``: rows ``account_a -> account_b`` counting the actions
        of ``account_a`` matched by ``account_b`` (Coordination Network
        Toolkit); both directions are listed.
    actor, target, time, action, action_column, signal, evidence_size, connection
        As the local engine.
    window : float
        Seconds (``time_window`` of both peers); inclusive.
    min_weight : int
        Keep edges with at least this weight (the toolkit's ``min_edge_weight``).
    min_participation : int
        CooRTweet's ``min_participation``: accounts with fewer actions are
        dropped before pairing, and a pair of actions is kept only if one of
        its accounts has at least this many paired actions. 1 disables it.
    edge_weight_percentile : float, optional
        CooRTweet's ``edge_weight``: keep edges whose weight is strictly above
        this quantile (linear interpolation, R's type 7) of the weights of all
        edges before ``min_weight``.

    Returns
    -------
    DataFrame
        ``EDGE_COLUMNS``. Undirected definitions have ``account_a <
        account_b``; ``"directed"`` lists each direction as its own row.
        ``first_ts`` / ``last_ts``: earliest and latest action of the
        counted action pairs; ``evidence``: the first ``evidence_size``
        distinct linked targets in string order. Sorted by weight descending,
        then ``account_a``, ``account_b``.

    Raises
    ------
    ParameterError
        A column is missing, ids are not strings, or a parameter is out of range.

    Notes
    -----
    With ``definition="targets"`` and no participation or percentile filter
    the edges equal :func:`~tsinvest.linking.coordination.coordination_edges`
    without its hot-target cap (the peers have none). Runs the bucket-join
    query of :func:`peer_edges_sql` in DuckDB: ``O(N + P)`` for ``N`` actions
    and ``P`` windowed action pairs, ``P`` held by DuckDB (which spills).

    Examples
    --------
    One account shares v1 twice within the minute; the other once.

    >>> import pandas as pd
    >>> shares = pd.DataFrame({
    ...     "account_id": pd.array(["a", "a", "b", "a", "b"], dtype="string"),
    ...     "target_id": pd.array(["v1", "v1", "v1", "v2", "v2"], dtype="string"),
    ...     "ts": pd.to_datetime([0, 20, 10, 500, 505], unit="s", utc=True),
    ... })
    >>> for definition in ("targets", "content_pairs", "directed"):
    ...     edges = peer_coordination_edges(shares, definition=definition)
    ...     print(definition, edges[["account_a", "account_b", "weight"]].values.tolist())
    targets [['a', 'b', 2.0]]
    content_pairs [['a', 'b', 3.0]]
    directed [['a', 'b', 3.0], ['b', 'a', 2.0]]
    """
    check_peer_parameters(definition, window, min_weight, min_participation, edge_weight_percentile, evidence_size)
    import duckdb
    import pyarrow as pa

    from tsinvest.linking import coordination as local
    from tsinvest.schemas import EDGE_COLUMNS, STRING_DTYPE, TIMESTAMP_DTYPE

    window_ns = int(round(float(window) * 1_000_000_000))
    if isinstance(source, pd.DataFrame):
        actors, targets, nanoseconds = local._frame_to_arrow(source, actor, target, time, action, action_column)
    elif isinstance(source, (str, os.PathLike)):
        actors, targets, nanoseconds = local._file_to_arrow(
            source, actor, target, time, action, action_column, connection
        )
    else:
        raise ParameterError("source must be a pandas DataFrame or a path to a Parquet or CSV file")
    from tsinvest.portable_sql import render

    sql = render(
        peer_edges_sql(
            definition, window_ns, min_weight=min_weight, min_participation=min_participation,
            edge_weight_percentile=edge_weight_percentile,
        ),
        "duckdb",
    )
    table = pa.table({"actor": actors, "target": targets, "t": pa.array(np.asarray(nanoseconds, dtype=np.int64))})
    with duckdb.connect() as con:
        con.register("events", table)
        result = local._arrow(con, sql)
    rows = len(result)
    name = signal if signal is not None else (f"co_{action}" if action is not None else "co_action")
    return pd.DataFrame(
        {
            "account_a": pd.array(result.column("account_a").to_pylist(), dtype=STRING_DTYPE),
            "account_b": pd.array(result.column("account_b").to_pylist(), dtype=STRING_DTYPE),
            "signal": pd.Series(name, index=range(rows), dtype=STRING_DTYPE),
            "weight": np.asarray(result.column("weight").to_numpy(), dtype=np.float64),
            "first_ts": _timestamps(result.column("first_t").to_numpy(), TIMESTAMP_DTYPE),
            "last_ts": _timestamps(result.column("last_t").to_numpy(), TIMESTAMP_DTYPE),
            "evidence": pd.array(
                [evidence_text(t, evidence_size) for t in result.column("targets").to_pylist()], dtype=STRING_DTYPE
            ),
        },
        columns=list(EDGE_COLUMNS),
    )


def _timestamps(nanoseconds: Any, dtype: Any) -> pd.Series:
    as_datetimes = pd.Series(np.asarray(nanoseconds, dtype=np.int64).astype("datetime64[ns]"))
    return as_datetimes.dt.tz_localize("UTC").astype(dtype)
