"""Private numpy core of :mod:`tsinvest.linking.coordination`: encode, sort, sweep.

Nothing here knows about column names or files: it works on integer codes and
int64 nanosecond times, so every step is a vectorised array operation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

__all__ = [
    "EncodedEvents",
    "encode_strings",
    "sort_events",
    "chunk_bounds",
    "sweep_chunk",
    "dense_window_targets",
    "linked_pair_targets",
    "pair_summary",
]


@dataclass
class EncodedEvents:
    """Events as integer codes, sorted by (target, time, actor), exact duplicates removed.

    ``actor_names`` / ``target_names`` are pyarrow string arrays sorted in string
    order, so code order is string order (``account_a < account_b`` is ``code_a < code_b``).
    """

    actor: np.ndarray  # int32 codes
    target: np.ndarray  # int32 codes
    time: np.ndarray  # int64 nanoseconds since the epoch, UTC
    actor_names: object
    target_names: object
    rows: int  # rows read, before dropping duplicates


def encode_strings(column) -> tuple[np.ndarray, object]:
    """Return int32 codes and the sorted dictionary of a pyarrow string column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(column, pa.ChunkedArray) and column.num_chunks != 1:
        column = column.combine_chunks()
    elif isinstance(column, pa.ChunkedArray):
        column = column.chunk(0)
    unique = pc.unique(column)
    # Sorting the dictionary makes code order equal to string order, which gives
    # account_a < account_b and sorted evidence for free.
    unique = unique.take(pc.sort_indices(unique))
    codes = pc.index_in(column, value_set=unique).to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    return codes, unique


def sort_events(actor: np.ndarray, target: np.ndarray, time: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort by (target, time, actor) and drop exact (actor, target, time) duplicates."""
    n = len(actor)
    if n == 0:
        return actor, target, time
    # Rank times once so that (target, time rank) packs into one int64 sort key:
    # one argsort of int64 is much cheaper than a three-key lexsort.
    time_values, time_rank = np.unique(time, return_inverse=True)
    del time_values
    n_actors = int(actor.max()) + 1
    n_times = int(time_rank.max()) + 1
    if (int(target.max()) + 1) * n_times * n_actors < 2**62:
        key = (target.astype(np.int64) * n_times + time_rank) * n_actors + actor
        order = np.argsort(key, kind="stable")
        key = key[order]
        keep = np.empty(n, dtype=bool)
        keep[0] = True
        np.not_equal(key[1:], key[:-1], out=keep[1:])
        order = order[keep]
    else:
        order = np.lexsort((actor, time_rank, target))
        a, t, r = actor[order], target[order], time_rank[order]
        keep = np.empty(n, dtype=bool)
        keep[0] = True
        keep[1:] = (a[1:] != a[:-1]) | (t[1:] != t[:-1]) | (r[1:] != r[:-1])
        order = order[keep]
    return actor[order], target[order], time[order]


def chunk_bounds(target: np.ndarray, chunk_events: int) -> list[tuple[int, int]]:
    """Split sorted events into runs of whole targets holding about ``chunk_events`` events."""
    n = len(target)
    if n == 0:
        return []
    starts = np.flatnonzero(np.diff(target)) + 1
    starts = np.concatenate(([0], starts))
    bounds = []
    begin = 0
    while begin < n:
        # The first target start at or after begin + chunk_events closes the chunk;
        # a single target larger than a chunk becomes a chunk of its own.
        position = np.searchsorted(starts, begin + chunk_events, side="left")
        end = int(starts[position]) if position < len(starts) else n
        if end <= begin:
            end = n
        bounds.append((begin, end))
        begin = end
    return bounds


def dense_window_targets(target: np.ndarray, time: np.ndarray, window_ns: int, min_events: int) -> np.ndarray:
    """Targets where some window of ``window_ns`` holds at least ``min_events`` events.

    Events are sorted by (target, time), so the window opened by event ``i``
    holds at least ``m`` events exactly when event ``i + m - 1`` has the same
    target and lies within the window: one vectorised comparison.
    """
    lag = min_events - 1
    n = len(target)
    if lag <= 0:
        return np.unique(target)
    if n <= lag:
        return np.empty(0, dtype=target.dtype)
    first = np.arange(n - lag)
    dense = (target[first + lag] == target[first]) & (time[first + lag] - time[first] <= window_ns)
    return np.unique(target[first[dense]])


def sweep_chunk(
    actor: np.ndarray, target: np.ndarray, time: np.ndarray, window_ns: int
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Yield every pair of events on one target at most ``window_ns`` apart, lag by lag.

    Events must be sorted by (target, time). At lag ``k`` event ``i`` is compared
    with event ``i + k``; if they are on different targets or further apart than
    the window, so is every later lag for ``i``, so ``i`` leaves the active set.
    The work is therefore proportional to the number of windowed event pairs,
    not to the number of lags times the number of events.

    Yields ``(actor_low, actor_high, target, first_time, last_time)`` for the
    pairs of the lag whose two actors differ.
    """
    n = len(actor)
    index_type = np.int32 if n < 2**31 - 1 else np.int64
    active = np.arange(max(n - 1, 0), dtype=index_type)
    lag = 1
    while active.size:
        later = active + lag
        linked = (target[later] == target[active]) & (time[later] - time[active] <= window_ns)
        active = active[linked]
        later = later[linked]
        if not active.size:
            break
        actor_first = actor[active]
        actor_later = actor[later]
        different = actor_first != actor_later
        if different.any():
            first_sel = actor_first[different]
            later_sel = actor_later[different]
            yield (
                np.minimum(first_sel, later_sel),
                np.maximum(first_sel, later_sel),
                target[active[different]],
                time[active[different]],
                time[later[different]],
            )
        lag += 1
        # active is increasing, so dropping the events with no partner at the next
        # lag is a prefix cut.
        active = active[: np.searchsorted(active, n - lag, side="left")]


def _reduce_pair_targets(pair, target, first, last, n_targets_hint):
    """Unique (pair, target) rows with the earliest first and latest last time, sorted by (pair, target)."""
    if not len(pair):
        return pair, target, first, last
    low_target = int(target.min())
    span = int(target.max()) - low_target + 1
    if int(pair.max()) < (2**62) // span:
        key = pair * span + (target - low_target)
        order = np.argsort(key)
        key = key[order]
        starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    else:  # codes too large to pack into one int64: two-key sort
        order = np.lexsort((target, pair))
        p, t = pair[order], target[order]
        starts = np.flatnonzero(np.concatenate(([True], (p[1:] != p[:-1]) | (t[1:] != t[:-1]))))
    first = np.minimum.reduceat(first[order], starts)
    last = np.maximum.reduceat(last[order], starts)
    rows = order[starts]
    return pair[rows], target[rows], first, last


def linked_pair_targets(actor, target, time, window_ns, n_actors, *, buffer_rows=20_000_000):
    """Sweep one chunk; return its linked (pair, target, first, last) rows.

    ``pair = low_actor * n_actors + high_actor``. Rows are reduced whenever the
    buffer passes ``buffer_rows`` so a dense chunk cannot hold all its windowed
    event pairs at once. Also returns the number of windowed event pairs.
    """
    buffered: list[tuple] = []
    rows = 0
    windowed = 0
    for low, high, tgt, first, last in sweep_chunk(actor, target, time, window_ns):
        buffered.append((low.astype(np.int64) * n_actors + high, tgt, first, last))
        rows += len(low)
        windowed += len(low)
        if rows > buffer_rows:
            buffered = [_reduce_pair_targets(*(np.concatenate(part) for part in zip(*buffered)), None)]
            rows = len(buffered[0][0])
    if not buffered:
        empty = np.empty(0, dtype=np.int64)
        return (empty, np.empty(0, dtype=np.int32), empty, empty), 0
    reduced = _reduce_pair_targets(*(np.concatenate(part) for part in zip(*buffered)), None)
    return reduced, windowed


def pair_summary(pair, target, first, last, min_weight, evidence_size, n_targets):
    """Per pair with at least ``min_weight`` distinct targets: weight, first, last, evidence codes.

    Input rows are unique (pair, target). Returns ``(linked_pairs, pairs, weight, first, last,
    evidence_offsets, evidence_targets)``: the evidence of ``pairs[i]`` is
    ``evidence_targets[evidence_offsets[i]:evidence_offsets[i + 1]]``, ascending;
    ``linked_pairs`` counts the pairs of any weight.
    """
    linked_pairs = None
    if len(pair) and min_weight > 1:
        # Cheap pass on values only: which pairs reach min_weight.
        values = np.sort(pair)
        boundary = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1], [True])))
        counts = np.diff(boundary)
        linked_pairs = len(counts)
        kept = values[boundary[:-1][counts >= min_weight]]
        position = np.minimum(np.searchsorted(kept, pair), max(len(kept) - 1, 0))
        mask = kept[position] == pair if len(kept) else np.zeros(len(pair), dtype=bool)
        pair, target, first, last = pair[mask], target[mask], first[mask], last[mask]
    if not len(pair):
        empty = np.empty(0, dtype=np.int64)
        return linked_pairs or 0, empty, empty, empty, empty, np.zeros(1, dtype=np.int64), np.empty(0, dtype=np.int32)
    if int(pair.max()) < (2**62) // max(n_targets, 1):
        order = np.argsort(pair * n_targets + target)
    else:
        order = np.lexsort((target, pair))
    pair, target, first, last = pair[order], target[order], first[order], last[order]
    starts = np.flatnonzero(np.concatenate(([True], pair[1:] != pair[:-1])))
    weight = np.diff(np.concatenate((starts, [len(pair)])))
    first = np.minimum.reduceat(first, starts)
    last = np.maximum.reduceat(last, starts)
    # The first evidence_size rows of each group, without a loop over groups.
    rank = np.arange(len(pair)) - np.repeat(starts, weight)
    take = rank < evidence_size
    evidence_targets = target[take]
    evidence_offsets = np.concatenate(([0], np.cumsum(np.minimum(weight, evidence_size))))
    if linked_pairs is None:
        linked_pairs = len(starts)
    return linked_pairs, pair[starts], weight, first, last, evidence_offsets, evidence_targets
