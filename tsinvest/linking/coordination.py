"""Co-action (coordination) networks: accounts acting on the same targets within seconds.

Coordinated abuse leaves one trace whatever its kind: the same accounts act on
the same things at almost the same time, again and again. Amplification rings
share and like the same videos, comment pods comment together, brigades report
the same victim. :func:`coordination_edges` turns any action table into an
account-to-account edge table (``EDGE_COLUMNS``) counting, for each pair, on how
many distinct targets the two accounts acted within ``window`` seconds of each
other.

Examples
--------
>>> import pandas as pd
>>> shares = pd.DataFrame({
...     "account_id": pd.array(["001", "002", "001", "002", "003"], dtype="string"),
...     "target_id": pd.array(["v1", "v1", "v2", "v2", "v2"], dtype="string"),
...     "ts": pd.to_datetime([0, 30, 600, 610, 5000], unit="s", utc=True),
... })
>>> edges = coordination_edges(shares, window=60, min_weight=2)
>>> edges[["account_a", "account_b", "weight", "evidence"]].to_dict("records")
[{'account_a': '001', 'account_b': '002', 'weight': 2.0, 'evidence': '["v1", "v2"]'}]
"""

from __future__ import annotations

import json
import math
import os
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tsinvest.exceptions import HotTargetWarning, ParameterError
from tsinvest.loading.readers import duckdb_reader
from tsinvest.loading.sql import quote_identifier
from tsinvest.schemas import EDGE_COLUMNS, STRING_DTYPE, TIMESTAMP_DTYPE, require_columns

if TYPE_CHECKING:
    import duckdb

    from tsinvest.linking import _sweep

# Account and target id columns as pyarrow string arrays, and the times as int64 nanoseconds.
ArrowEvents = tuple[Any, Any, np.ndarray]

__all__ = [
    "coordination_edges",
    "coordination_edges_multiscale",
    "estimate_coordination_window",
    "nearest_partner_gaps",
    "HotTargetWarning",
    "DEFAULT_MAX_ACTORS_PER_WINDOW",
]

#: Default cap on distinct accounts acting on one target inside one window; see
#: the Notes of :func:`coordination_edges`.
DEFAULT_MAX_ACTORS_PER_WINDOW = 500

# Events per sweep chunk (whole targets). Bounds the working arrays of the
# sweep and gives the worker threads pieces to share.
_CHUNK_EVENTS = 250_000
# Linked event pairs a sweep thread emits at a time (28 bytes a row, twice over
# while they are routed to partitions).
_BATCH_ROWS = 2_000_000
# Linked event pairs held in memory before every hash partition is appended
# to its file on disk (28 bytes a row: pair code, target, two times).
_ROW_MEMORY_BYTES = 1 << 30
# Where partitions spill (None: the system temporary directory, $TMPDIR).
_SPILL_DIRECTORY = None


def _workers() -> int:
    """Threads for the sweep and the partition sorts: the usable cores, at most 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def _partition_count(events: int) -> int:
    """Hash partitions of the linked pairs: about one per 20,000 events, a power of two <= 1024.

    Linked pairs grow faster than events, so partitions still too big for a
    cache-sized sort are split again when summarised.
    """
    return 1 << int(min(10, max(0, math.ceil(math.log2(max(events, 1) / 20_000)))))



# --------------------------------------------------------------------------- loading


def _arrow(con: duckdb.DuckDBPyConnection, sql: str, parameters: Sequence[Any] = ()) -> Any:
    """Run a query and return a pyarrow Table (duckdb 1.1 to 2.x spell this differently)."""
    relation = con.sql(sql, params=list(parameters) or None)
    to_table = getattr(relation, "to_arrow_table", None) or relation.arrow
    return to_table()


def _check_parameters(window: float, min_weight: int, evidence_size: int, max_actors_per_window: int | None) -> int:
    problems = []
    if not isinstance(window, (int, float, np.integer, np.floating)) or not math.isfinite(window) or window < 0:
        problems.append("window must be a finite number of seconds >= 0")
    if not isinstance(min_weight, (int, np.integer)) or min_weight < 1:
        problems.append("min_weight must be an integer >= 1")
    if not isinstance(evidence_size, (int, np.integer)) or evidence_size < 0:
        problems.append("evidence_size must be an integer >= 0")
    if max_actors_per_window is not None and (not isinstance(max_actors_per_window, (int, np.integer))
                                              or max_actors_per_window < 2):
        problems.append("max_actors_per_window must be an integer >= 2, or None to keep every target")
    if problems:
        raise ParameterError("; ".join(problems))
    return int(round(float(window) * 1_000_000_000))


def _named_columns(actor: str, target: str, time: str, action: str | None, action_column: str) -> dict[str, str | None]:
    """The columns the caller named, by parameter; ``action_column`` only counts with ``action``."""
    return {"actor": actor, "target": target, "time": time,
            "action_column": action_column if action is not None else None}


def _frame_to_arrow(
    frame: pd.DataFrame, actor: str, target: str, time: str, action: str | None, action_column: str
) -> ArrowEvents:
    import pyarrow as pa

    require_columns(frame, _named_columns(actor, target, time, action, action_column), name="coordination_edges")
    # Only the three columns travel on: no stage copies the whole table.
    columns = list(dict.fromkeys([actor, target, time]))
    if action is not None:
        frame = frame.loc[frame[action_column].astype(STRING_DTYPE) == action, columns]
    else:
        frame = frame[columns]
    times = frame[time]
    if not isinstance(times.dtype, pd.DatetimeTZDtype):
        raise ParameterError(
            f"column '{time}' must hold timezone-aware UTC timestamps; load the table with "
            "tsinvest.loading or convert it with pd.to_datetime(..., utc=True)"
        )
    for column in dict.fromkeys((actor, target)):
        dtype = frame[column].dtype
        if not (isinstance(dtype, (pd.StringDtype, pd.CategoricalDtype)) or pd.api.types.is_object_dtype(dtype)):
            raise ParameterError(
                f"column '{column}' must hold string ids (found {dtype}); ids are never numbers "
                "because leading zeros and 19-digit ids must survive. Load the table with tsinvest.loading."
            )
    present = frame[actor].notna() & frame[target].notna() & times.notna()
    frame = frame.loc[present]
    nanoseconds = frame[time].dt.tz_convert("UTC").dt.as_unit("ns").astype("int64").to_numpy()

    def strings(column: str) -> Any:
        try:
            return pa.array(frame[column].astype(STRING_DTYPE), type=pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            raise ParameterError(f"column '{column}' must hold string ids") from None

    return strings(actor), strings(target), nanoseconds


def _relation_sql(source: str | os.PathLike, connection: duckdb.DuckDBPyConnection | None) -> str:
    """SQL naming the rows of a file, or of a table in ``connection``."""
    path = Path(source)
    if path.exists():
        # A folder is a partitioned Parquet data set.
        reader = duckdb_reader(path / "**" / "*.parquet", glob=True) if path.is_dir() else duckdb_reader(path)
        if reader is None:
            raise ParameterError(
                f"source file '{path.name}' is neither Parquet nor CSV/TSV nor JSON Lines (formats DuckDB reads "
                "in place); convert it or pass a DataFrame"
            )
        return reader
    if connection is not None and isinstance(source, str):
        tables = {row[0] for row in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if source in tables:
            return quote_identifier(source)
    raise ParameterError(
        f"source '{path.name}' is not an existing file{' or a table of connection' if connection is not None else ''}; "
        "check the path"
    )


def _file_to_arrow(
    source: str | os.PathLike,
    actor: str,
    target: str,
    time: str,
    action: str | None,
    action_column: str,
    connection: duckdb.DuckDBPyConnection | None,
) -> ArrowEvents:
    import duckdb

    own = connection is None
    con = connection if connection is not None else duckdb.connect()
    try:
        if own:
            # Timestamp text without an offset, or naive Parquet timestamps, means UTC.
            con.execute("SET TimeZone = 'UTC'").fetchall()
        relation = _relation_sql(source, con)
        columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
        require_columns(columns, _named_columns(actor, target, time, action, action_column), name="coordination_edges")
        where = [f"{quote_identifier(c)} IS NOT NULL" for c in (actor, target, time)]
        parameters: list[Any] = []
        if action is not None:
            where.append(f"CAST({quote_identifier(action_column)} AS VARCHAR) = ?")
            parameters.append(action)
        sql = (
            f"SELECT CAST({quote_identifier(actor)} AS VARCHAR) AS actor, "
            f"CAST({quote_identifier(target)} AS VARCHAR) AS target, "
            f"epoch_ns(CAST({quote_identifier(time)} AS TIMESTAMPTZ)) AS ns FROM {relation} WHERE {' AND '.join(where)}"
        )
        try:
            table = _arrow(con, sql, parameters)
        except duckdb.ConversionException:
            raise ParameterError(
                f"column '{time}' holds values that are not timestamps; fix them or validate the file "
                "with tsinvest.loading first"
            ) from None
    finally:
        if own:
            con.close()
    nanoseconds = table.column("ns").to_numpy()
    return table.column("actor"), table.column("target"), nanoseconds


def _load_events(
    source: pd.DataFrame | str | os.PathLike,
    actor: str,
    target: str,
    time: str,
    action: str | None,
    action_column: str,
    connection: duckdb.DuckDBPyConnection | None,
) -> _sweep.EncodedEvents:
    # numba loads here, not at import: importing this module stays light.
    from tsinvest.linking import _kernels

    # Loading the compiled kernels takes a few tenths of a second in a new
    # process; it overlaps with reading (DuckDB and Arrow release the GIL).
    warming = threading.Thread(target=_kernels.warm_up, name="tsinvest-kernels", daemon=True)
    warming.start()
    try:
        return _encoded_events(source, actor, target, time, action, action_column, connection)
    finally:
        warming.join()


def _encoded_events(
    source: pd.DataFrame | str | os.PathLike,
    actor: str,
    target: str,
    time: str,
    action: str | None,
    action_column: str,
    connection: duckdb.DuckDBPyConnection | None,
) -> _sweep.EncodedEvents:
    if isinstance(source, pd.DataFrame):
        actor_strings, target_strings, nanoseconds = _frame_to_arrow(source, actor, target, time, action, action_column)
    elif isinstance(source, (str, os.PathLike)):
        actor_strings, target_strings, nanoseconds = _file_to_arrow(
            source, actor, target, time, action, action_column, connection
        )
    else:
        raise ParameterError("source must be a pandas DataFrame or a path to a Parquet or CSV file")
    rows = len(nanoseconds)
    # Arrow's hashing releases the GIL: the two columns are encoded at once.
    from concurrent.futures import ThreadPoolExecutor

    from tsinvest.linking import _sweep

    with ThreadPoolExecutor(max_workers=min(2, _workers())) as pool:
        (actor_codes, actor_names), (target_codes, target_names) = pool.map(
            _sweep.encode_strings, (actor_strings, target_strings)
        )
    del actor_strings, target_strings
    actor_codes, target_codes, nanoseconds = _sweep.sort_events(
        actor_codes, target_codes, np.asarray(nanoseconds, dtype=np.int64)
    )
    return _sweep.EncodedEvents(actor_codes, target_codes, nanoseconds, actor_names, target_names, rows)


# --------------------------------------------------------------------------- hot targets


def _hot_targets(events: _sweep.EncodedEvents, window_ns: int, max_actors: int) -> np.ndarray:
    """Codes of targets with more than ``max_actors`` distinct actors inside one window."""
    # A window can only hold more than max_actors accounts if it holds more than
    # max_actors events: cheap vectorised test first, exact distinct count after.
    from tsinvest.linking import _sweep

    dense = _sweep.dense_window_targets(events.target, events.time, window_ns, max_actors + 1)
    if not dense.size:
        return dense
    import duckdb
    import pyarrow as pa

    rows = np.isin(events.target, dense)
    candidates = pa.table(
        {"target": events.target[rows], "ns": events.time[rows], "actor": events.actor[rows]}
    )
    with duckdb.connect() as con:
        con.register("candidates", candidates)
        hot = con.execute(
            f"""
            SELECT target FROM (
                SELECT target, count(DISTINCT actor) OVER (
                    PARTITION BY target ORDER BY ns
                    RANGE BETWEEN CURRENT ROW AND {int(window_ns)} FOLLOWING) AS actors
                FROM candidates)
            GROUP BY target HAVING max(actors) > ? ORDER BY target
            """,
            [int(max_actors)],
        ).fetchnumpy()["target"]
    return np.asarray(hot, dtype=np.int32)


# --------------------------------------------------------------------------- core


def _json_strings(names: Any) -> Any:
    """The json.dumps text of each string, without its quotes (escapes only where needed)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    # json.dumps escapes quotes, backslashes, control and non-ASCII characters;
    # ids almost never hold any, so only those few go through json.dumps.
    unsafe = pc.match_substring_regex(names, r'[^\x20-\x7e]|["\\]')
    if not pc.any(unsafe).as_py():
        return names
    escaped = [json.dumps(value)[1:-1] for value in pc.filter(names, unsafe).to_pylist()]
    return pc.replace_with_mask(names, unsafe, pa.array(escaped, type=pa.string()))


def _evidence_json(target_names: Any, offsets: np.ndarray, codes: np.ndarray) -> Any:
    """One ``json.dumps(list_of_ids)`` string per pair, built column-wise."""
    import pyarrow as pa
    import pyarrow.compute as pc

    # Large (64-bit offset) strings: at 50M events the evidence of all pairs passes
    # the 2 GiB that one ordinary Arrow string array can hold.
    text_type = pa.large_string()
    count = len(offsets) - 1
    if not len(codes):
        return pa.array(["[]"] * count, type=text_type)
    if len(codes) < len(target_names) // 8:  # escape only the ids used
        used, codes = np.unique(codes, return_inverse=True)
        target_names = target_names.take(pa.array(used))
    escaped = _json_strings(target_names).take(pa.array(codes)).cast(text_type)
    lists = pa.LargeListArray.from_arrays(pa.array(offsets.astype(np.int64)), escaped)
    joined = pc.binary_join(lists, pa.scalar('", "', text_type))
    text = pc.binary_join_element_wise(
        pa.scalar('["', text_type), joined, pa.scalar('"]', text_type), pa.scalar("", text_type)
    )
    lengths = np.diff(offsets)
    if (lengths == 0).any():  # evidence_size == 0
        text = pc.if_else(pa.array(lengths == 0), pa.scalar("[]", text_type), text)
    return text


def _timestamps(nanoseconds: np.ndarray) -> pd.Series:
    return pd.Series(nanoseconds.astype("datetime64[ns]")).dt.tz_localize("UTC").astype(TIMESTAMP_DTYPE)


def _strings(array: Any) -> pd.api.extensions.ExtensionArray:
    return pd.array(array.to_pandas(), dtype=STRING_DTYPE)


def _check_windowed_pairs(target: np.ndarray, times: np.ndarray, window_ns: int, max_windowed_pairs: int) -> None:
    from tsinvest.linking import _kernels

    needed = int(_kernels.windowed_event_pairs(target, times, window_ns))
    if needed > max_windowed_pairs:
        raise ParameterError(
            f"the co-action network needs {needed:,} windowed event pairs, more than max_windowed_pairs "
            f"({max_windowed_pairs:,}); pass max_actors_per_window (CLI: --max-actors-per-window 500) to leave "
            "out hot targets, a smaller window, or a higher max_windowed_pairs"
        )


def _swept_pairs(
    actor: np.ndarray,
    target: np.ndarray,
    times: np.ndarray,
    *,
    window_ns: int,
    n_actors: int,
    min_weight: int,
    evidence_size: int,
    progress: bool,
) -> tuple[_sweep.PairSummary, int, int]:
    """Sweep the events into hash partitions and summarise each pair: (summary, windowed pairs, spilled pairs)."""
    from tqdm.auto import tqdm

    from tsinvest.linking import _sweep

    bounds = _sweep.chunk_bounds(target, _CHUNK_EVENTS)
    bar = None
    if progress:
        bar = lambda items, total=None: tqdm(items, total=total, desc="coordination", unit="chunk", leave=False)  # noqa: E731
    workers = _workers()
    partitions = _partition_count(len(target))
    in_memory = _sweep.sweep_in_memory(
        actor, target, times, window_ns, n_actors, bounds, bits=partitions.bit_length() - 1,
        budget_bytes=_ROW_MEMORY_BYTES, workers=workers, progress=bar,
    )
    if in_memory is not None:
        columns, partition_starts = in_memory
        summary = _sweep.summarize_in_memory(columns, partition_starts, min_weight, evidence_size, workers=workers)
        return summary, int(partition_starts[-1]), 0
    with _sweep.PairRows(partitions, _ROW_MEMORY_BYTES, streams=workers, directory=_SPILL_DIRECTORY) as rows:
        windowed_pairs = _sweep.sweep_into(
            rows, actor, target, times, window_ns, n_actors, bounds, batch_rows=_BATCH_ROWS, progress=bar
        )
        summary = _sweep.summarize(rows, min_weight, evidence_size, workers=workers)
        spilled_rows = rows.spilled_rows
    return summary, windowed_pairs, spilled_rows


def _output_order(weight: np.ndarray, pairs: np.ndarray, n_actors: int) -> np.ndarray:
    """The permutation that sorts pairs by weight descending, then by (low, high) code: string order."""
    count = len(pairs)
    max_weight = int(weight.max(initial=0))
    index_bits = max(count - 1, 1).bit_length()
    if n_actors * n_actors << index_bits >= 2**63 or max_weight >= 2**16:
        return np.lexsort((pairs % n_actors, pairs // n_actors, -weight))
    # Pair codes are unique: sorting them with the row number in their low
    # bits is a plain int64 sort (about twice as fast as argsort); a stable
    # radix sort of the 16-bit weights then puts the heaviest pairs first.
    keys = (pairs << index_bits) | np.arange(count)
    keys.sort()
    by_pair = keys & ((1 << index_bits) - 1)
    by_weight = np.argsort((max_weight - weight[by_pair]).astype(np.uint16), kind="stable")
    return by_pair[by_weight]


def _ragged_take(offsets: np.ndarray, values: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lists ``values[offsets[k]:offsets[k + 1]]`` for ``k`` in ``order``, as new offsets and values."""
    lengths = np.diff(offsets)[order]
    new_offsets = np.zeros(len(order) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    positions = np.repeat(offsets[:-1][order] - new_offsets[:-1], lengths) + np.arange(new_offsets[-1])
    return new_offsets, values[positions]


def _edge_frame(events: _sweep.EncodedEvents, summary: _sweep.PairSummary, n_actors: int, signal: str) -> pd.DataFrame:
    """The edge table of the summarised pairs, weight desc then ids."""
    import pyarrow as pa

    # Code order is string order: sorting by codes sorts by ids.
    order = _output_order(summary.weight, summary.pairs, n_actors)
    pairs, weight, first, last = summary.pairs[order], summary.weight[order], summary.first[order], summary.last[order]
    # The evidence lists are put in order as numbers, before they become text.
    offsets, evidence_codes = _ragged_take(summary.evidence_offsets, summary.evidence_targets, order)
    evidence = _evidence_json(events.target_names, offsets, evidence_codes)

    return pd.DataFrame(
        {
            "account_a": _strings(events.actor_names.take(pa.array(pairs // n_actors))),
            "account_b": _strings(events.actor_names.take(pa.array(pairs % n_actors))),
            "signal": pd.Series(signal, index=range(len(weight)), dtype=STRING_DTYPE),
            "weight": weight.astype(np.float64),  # float64 like every edge table (schemas.EDGES)
            "first_ts": _timestamps(first),
            "last_ts": _timestamps(last),
            "evidence": _strings(evidence),
        },
        columns=list(EDGE_COLUMNS),
    )


def _edges_for_window(
    events: _sweep.EncodedEvents,
    *,
    window_ns: int,
    min_weight: int,
    signal: str,
    evidence_size: int,
    max_actors_per_window: int | None,
    progress: bool,
    max_windowed_pairs: int | None = None,
) -> pd.DataFrame:
    import pyarrow as pa

    if max_actors_per_window is None:
        hot = np.empty(0, dtype=np.int32)
    else:
        hot = _hot_targets(events, window_ns, max_actors_per_window)
    actor, target, times = events.actor, events.target, events.time
    if hot.size:
        keep = ~np.isin(target, hot)
        actor, target, times = actor[keep], target[keep], times[keep]
    if max_windowed_pairs is not None:
        _check_windowed_pairs(target, times, window_ns, max_windowed_pairs)
    n_actors = max(len(events.actor_names), 1)
    summary, windowed_pairs, spilled_rows = _swept_pairs(
        actor,
        target,
        times,
        window_ns=window_ns,
        n_actors=n_actors,
        min_weight=min_weight,
        evidence_size=evidence_size,
        progress=progress,
    )
    edges = _edge_frame(events, summary, n_actors, signal)
    excluded = events.target_names.take(pa.array(hot)).to_pylist() if hot.size else []
    edges.attrs["excluded_targets"] = excluded
    edges.attrs["stats"] = {
        "events": int(events.rows),
        "distinct_events": int(len(events.actor)),
        "windowed_pairs": int(windowed_pairs),
        "spilled_pairs": int(spilled_rows),
        "edges": int(len(edges)),
        "excluded_targets": len(excluded),
        "window": window_ns / 1_000_000_000,
    }
    if excluded:
        warnings.warn(
            f"{len(excluded)} target(s) left out: more than {max_actors_per_window} distinct accounts acted on "
            "each inside one window (viral content, not a coordination signal); their ids are in "
            "edges.attrs['excluded_targets']",
            HotTargetWarning,
            stacklevel=3,
        )
    return edges


def coordination_edges(
    source: pd.DataFrame | str | os.PathLike,
    *,
    actor: str = "account_id",
    target: str = "target_id",
    time: str = "ts",
    action: str | None = None,
    action_column: str = "action",
    window: float = 60,
    min_weight: int = 2,
    signal: str | None = None,
    evidence_size: int = 5,
    max_actors_per_window: int | None = DEFAULT_MAX_ACTORS_PER_WINDOW,
    max_windowed_pairs: int | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Link accounts that repeatedly act on the same targets within ``window`` seconds.

    Two different accounts are *linked on a target* when both acted on it within
    ``window`` seconds of each other (``|t_a - t_b| <= window``, inclusive). The
    weight of a pair is the number of **distinct** targets they are linked on;
    a pair linked several times on one target counts once.

    Parameters
    ----------
    source : DataFrame, str or path
        The action table. A DataFrame needs string id columns and a tz-aware
        time column. A path to a Parquet or CSV file is queried in place with
        DuckDB (CSV columns are read as text, so ids keep leading zeros; times
        without an offset are read as UTC). With ``connection``, ``source`` may
        also name a table or view of that connection.
    actor, target, time : str
        Columns holding the acting account, the acted-on thing and the time.
        A mass-report brigade is ``actor="reporter_id", target="target_account_id"``.
    action : str, optional
        Keep only rows whose ``action_column`` equals this (``"share"``).
    action_column : str
        Column holding the action name; read only when ``action`` is given.
    window : float
        Seconds; two actions at most this far apart are linked.
    min_weight : int
        Keep pairs linked on at least this many distinct targets.
    signal : str, optional
        Value of the ``signal`` column; ``f"co_{action}"`` or ``"co_action"``.
    evidence_size : int
        How many shared target ids to list in ``evidence``.
    max_actors_per_window : int or None
        Targets on which more than this many distinct accounts acted inside one
        window are left out and listed (see Notes). ``None`` keeps every
        target: the exact definition.
    max_windowed_pairs : int, optional
        Refuse, with a :class:`ParameterError` naming the options, when the
        kept targets would produce more windowed event pairs than this
        (counted exactly in one pass before the sweep). A guard for the exact
        definition on data with hot targets.
    connection : duckdb.DuckDBPyConnection, optional
        Connection to query files or tables with; a private one by default.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    DataFrame
        Columns ``EDGE_COLUMNS``, one row per pair with ``account_a <
        account_b`` (string order), sorted by weight descending, then
        ``account_a``, ``account_b``:

        * ``weight``: distinct targets the pair is linked on;
        * ``first_ts`` / ``last_ts``: over every pair of actions (one by each
          account, on one target, at most ``window`` apart), the earliest and
          the latest of the two action times;
        * ``evidence``: JSON array (``json.dumps``) of the first
          ``evidence_size`` linked target ids in string order.

        ``attrs["excluded_targets"]`` lists the hot targets left out (sorted);
        ``attrs["stats"]`` counts events, windowed event pairs, pairs spilled
        to disk and edges.

    Raises
    ------
    ParameterError
        A column is missing, ids are not strings, times are not tz-aware, or a
        parameter is out of range.

    Warns
    -----
    HotTargetWarning
        When targets were excluded (only counts in the message).

    Notes
    -----
    *Algorithm (sort and sweep).* Accounts and targets are dictionary-encoded
    to int32 codes in string order (Arrow), events are sorted by (target,
    time, actor) with linear counting sorts and exact (account, target, time)
    duplicates dropped. Each event is then compared with the next events of
    its target while they are inside the window; the first one outside ends
    its scan, because every later one is too. Each windowed event pair is
    thus produced once, without a self-join on target. Pairs are coded as one
    int64 (``low * n_accounts + high``) and routed into hash partitions of that
    code (a pair never spans two); each partition is aggregated on its own in
    one pass over a cache-sized hash table (weight, earliest and latest
    action, smallest targets). The loops are compiled with numba
    (``tsinvest/linking/_kernels.py``); chunks and partitions run on up to
    four threads.

    *Complexity.* ``O(N + P)`` time, where ``N`` is the number of events and
    ``P`` the number of windowed event pairs (pairs of events on one target at
    most ``window`` apart), plus ``O(N log N)`` only when the log is not in
    time order. Memory ``O(N)`` plus at most 1 GiB of event pairs (28 bytes
    each). A first pass counts the pairs of every partition: when they fit in
    that budget, each is written once, straight to its partition's place;
    past it, partitions are filled in batches and every partition is
    appended to its own file in a private temporary directory (``$TMPDIR``,
    removed at the end), so ``P`` costs disk, not memory. ``P`` grows with the square of the number of
    actions inside one window on one target, which is what the hot-target
    rule bounds.

    *Hot targets.* A target on which more than ``max_actors_per_window``
    distinct accounts acted inside one window (viral video, trending sound)
    would add up to ``max_actors_per_window**2 / 2`` pairs per window while
    saying nothing about coordination: thousands of strangers reacting to the
    same thing at once is popularity. Those targets are left out entirely,
    reported in ``attrs["excluded_targets"]`` and by a :class:`HotTargetWarning`,
    so nothing disappears silently. The default, 500, is well above the size of
    the rings and brigades this kit hunts (tens to a few hundred accounts); an
    investigator looking at one viral target can raise it. Repeated actions by
    the same account on one target are all kept (they can change ``first_ts``
    and ``last_ts``), so a target spammed by few accounts is not excluded but
    costs sweep time proportional to its actions per window.

    Examples
    --------
    A mass-report brigade: three reporters hit the same two victims within a minute.

    >>> import pandas as pd
    >>> reports = pd.DataFrame({
    ...     "reporter_id": pd.array(["r1", "r2", "r3", "r1", "r2", "r3"], dtype="string"),
    ...     "target_account_id": pd.array(["v1", "v1", "v1", "v2", "v2", "v2"], dtype="string"),
    ...     "ts": pd.to_datetime([0, 10, 20, 900, 905, 950], unit="s", utc=True),
    ... })
    >>> edges = coordination_edges(reports, actor="reporter_id", target="target_account_id",
    ...                            signal="co_report")
    >>> edges[["account_a", "account_b", "signal", "weight"]].to_dict("records")
    [{'account_a': 'r1', 'account_b': 'r2', 'signal': 'co_report', 'weight': 2.0},
     {'account_a': 'r1', 'account_b': 'r3', 'signal': 'co_report', 'weight': 2.0},
     {'account_a': 'r2', 'account_b': 'r3', 'signal': 'co_report', 'weight': 2.0}]
    """
    window_ns = _check_parameters(window, min_weight, evidence_size, max_actors_per_window)
    events = _load_events(source, actor, target, time, action, action_column, connection)
    return _edges_for_window(
        events,
        window_ns=window_ns,
        min_weight=min_weight,
        signal=signal if signal is not None else (f"co_{action}" if action is not None else "co_action"),
        evidence_size=evidence_size,
        max_actors_per_window=max_actors_per_window,
        progress=progress,
        max_windowed_pairs=max_windowed_pairs,
    )



def coordination_edges_multiscale(
    source: pd.DataFrame | str | os.PathLike,
    *,
    windows: Sequence[float] = (10, 60, 600),
    actor: str = "account_id",
    target: str = "target_id",
    time: str = "ts",
    action: str | None = None,
    action_column: str = "action",
    min_weight: int = 2,
    signal: str | None = None,
    evidence_size: int = 5,
    max_actors_per_window: int = DEFAULT_MAX_ACTORS_PER_WINDOW,
    connection: duckdb.DuckDBPyConnection | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Co-action edges at several windows at once, each row tagged with its window.

    Adaptive operators space their actions out to slip under a fixed window;
    scanning several scales shows a pair that is linked at 600 s but not at
    60 s. The input is read and sorted once; each window then costs one sweep.

    Parameters
    ----------
    windows : sequence of float
        Windows in seconds, e.g. ``(10, 60, 600)``.
    Other parameters
        As :func:`coordination_edges`.

    Returns
    -------
    DataFrame
        ``EDGE_COLUMNS`` plus ``window`` (seconds, float), sorted by window,
        then weight descending, ``account_a``, ``account_b``.
        ``attrs["excluded_targets"]`` maps each window to its excluded targets.

    Notes
    -----
    Costs one load and sort plus one sweep per window; the largest window
    dominates (see :func:`coordination_edges`). Edges at a larger window are a
    superset of those at a smaller one, with weights at least as large.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({
    ...     "account_id": pd.array(["a", "b", "a", "b"], dtype="string"),
    ...     "target_id": pd.array(["v1", "v1", "v2", "v2"], dtype="string"),
    ...     "ts": pd.to_datetime([0, 5, 1000, 1100], unit="s", utc=True),
    ... })
    >>> edges = coordination_edges_multiscale(events, windows=(10, 600), min_weight=1)
    >>> edges[["window", "account_a", "account_b", "weight"]].to_dict("records")
    [{'window': 10.0, 'account_a': 'a', 'account_b': 'b', 'weight': 1.0},
     {'window': 600.0, 'account_a': 'a', 'account_b': 'b', 'weight': 2.0}]
    """
    windows = sorted({float(w) for w in windows})
    if not windows:
        raise ParameterError("windows must list at least one window in seconds")
    nanoseconds = [_check_parameters(w, min_weight, evidence_size, max_actors_per_window) for w in windows]
    events = _load_events(source, actor, target, time, action, action_column, connection)
    frames, excluded = [], {}
    for seconds, window_ns in zip(windows, nanoseconds, strict=True):
        edges = _edges_for_window(
            events,
            window_ns=window_ns,
            min_weight=min_weight,
            signal=signal if signal is not None else (f"co_{action}" if action is not None else "co_action"),
            evidence_size=evidence_size,
            max_actors_per_window=max_actors_per_window,
            progress=progress,
        )
        excluded[seconds] = edges.attrs["excluded_targets"]
        frames.append(edges.assign(window=seconds))
    result = pd.concat(frames, ignore_index=True)
    result.attrs = {"excluded_targets": excluded}
    return result


def estimate_coordination_window(
    source: pd.DataFrame | str | os.PathLike,
    *,
    actor: str = "account_id",
    target: str = "target_id",
    time: str = "ts",
    action: str | None = None,
    action_column: str = "action",
    quantile: float = 0.1,
    share: float = 0.5,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> float:
    """Estimate a coordination window (seconds) from the data, in the spirit of CooRnet.

    For every target acted on by at least two accounts, measure how long the
    second account took after the first. Keep the quickest ``quantile`` of
    targets (those reacted to suspiciously fast) and return the median time
    they took to collect ``share`` of all their actions.

    Parameters
    ----------
    quantile : float
        Fraction of quickest targets kept, in (0, 1]. CooRnet's ``q``.
    share : float
        Fraction of a target's actions to reach, in (0, 1]. CooRnet's ``p``.
    Other parameters
        As :func:`coordination_edges`.

    Returns
    -------
    float
        Seconds; pass it as ``window=`` to :func:`coordination_edges`.

    Raises
    ------
    ParameterError
        Bad ``quantile``/``share``, or no target with actions from two accounts.

    Notes
    -----
    Adapted from CooRnet's ``estimate_coord_interval`` (Giglietto, Righetti,
    Rossi): a fixed 60 s window is easy for an adaptive operator to dodge,
    while the speed of the quickest reactions in the data itself moves with
    the platform and the campaign. Time to reach ``share`` of a target's
    actions counts actions (after dropping exact duplicates) and is at least
    the time to the second action. ``O(N log N)`` for the sort, then linear.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({
    ...     "account_id": pd.array(["a", "b", "c", "a", "b", "a", "d"], dtype="string"),
    ...     "target_id": pd.array(["v1", "v1", "v1", "v2", "v2", "v3", "v3"], dtype="string"),
    ...     "ts": pd.to_datetime([0, 4, 9, 100, 400, 1000, 3000], unit="s", utc=True),
    ... })
    >>> estimate_coordination_window(events, quantile=0.34)
    4.0
    """
    problems = []
    if not (isinstance(quantile, (int, float)) and 0 < quantile <= 1):
        problems.append("quantile must be in (0, 1]")
    if not (isinstance(share, (int, float)) and 0 < share <= 1):
        problems.append("share must be in (0, 1]")
    if problems:
        raise ParameterError("; ".join(problems))
    events = _load_events(source, actor, target, time, action, action_column, connection)
    codes, times, actors = events.target, events.time, events.actor
    if not len(codes):
        raise ParameterError("no events to estimate a window from; check the action filter")
    starts = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
    counts = np.diff(np.concatenate((starts, [len(codes)])))
    # Position of the first action by an account other than the first one.
    other = actors != np.repeat(actors[starts], counts)
    positions = np.where(other, np.arange(len(codes)), len(codes))
    second = np.minimum.reduceat(positions, starts)
    reacted = second < len(codes)
    if not reacted.any():
        raise ParameterError("no target has actions from two accounts; a window cannot be estimated")
    starts, counts, second = starts[reacted], counts[reacted], second[reacted]
    gap = times[second] - times[starts]
    quick = gap <= np.quantile(gap, quantile, method="lower")
    reach = starts + np.maximum(np.ceil(share * counts).astype(np.int64), 2) - 1
    reach = np.maximum(reach, second)
    spread = (times[reach] - times[starts])[quick]
    return float(np.median(spread)) / 1_000_000_000


def nearest_partner_gaps(key: np.ndarray, actor: np.ndarray, time: np.ndarray) -> np.ndarray:
    """For each action, the time to the nearest action of another account on the same key.

    This is the per-action form of the co-action definition used by
    :func:`coordination_edges`: an action is *co-acted within a window* when
    its gap is at most the window (inclusive). ``key`` is the target, or a
    (cluster, target) code when only members of one cluster may count.

    Parameters
    ----------
    key, actor : ndarray of int
        Integer codes (e.g. from ``pd.factorize``).
    time : ndarray of int or float
        Action times in one unit (nanoseconds keep ties exact).

    Returns
    -------
    ndarray of float64
        Gap per action in the unit of ``time``, in input order; ``inf`` when
        no other account acted on the key.

    Notes
    -----
    Actions are sorted by (key, time) and cut into runs of one account.
    The nearest action of *another* account is the last action of the
    previous run or the first of the next run (when they share the key), so
    one sort and a few vectorised passes give every gap: ``O(N log N)`` time,
    ``O(N)`` memory, whatever the number of accounts on one key. No pair of
    actions is ever formed.

    Examples
    --------
    >>> import numpy as np
    >>> nearest_partner_gaps(np.array([0, 0, 0, 1]), np.array([7, 7, 8, 7]), np.array([0, 10, 14, 3])).tolist()
    [14.0, 4.0, 4.0, inf]
    """
    key = np.asarray(key)
    actor = np.asarray(actor)
    time = np.asarray(time)
    count = len(key)
    if not (len(actor) == len(time) == count):
        raise ParameterError("key, actor and time must have the same length")
    gaps = np.full(count, np.inf)
    if count < 2:
        return gaps
    # Ties in time need no order by actor: tied actions of two accounts are 0 apart whichever comes first.
    order = np.lexsort((time, key))
    k, a, t = key[order], actor[order], time[order].astype(np.float64)
    new_run = np.ones(count, dtype=bool)
    new_run[1:] = (k[1:] != k[:-1]) | (a[1:] != a[:-1])
    run = np.cumsum(new_run) - 1
    starts = np.flatnonzero(new_run)
    ends = np.append(starts[1:], count) - 1
    run_key = k[starts]
    previous = np.maximum(run - 1, 0)
    has_previous = (run > 0) & (run_key[previous] == k)
    following = np.minimum(run + 1, len(starts) - 1)
    has_following = (run + 1 < len(starts)) & (run_key[following] == k)
    before = np.where(has_previous, t - t[ends[previous]], np.inf)
    after = np.where(has_following, t[starts[following]] - t, np.inf)
    gaps[order] = np.minimum(before, after)
    return gaps
