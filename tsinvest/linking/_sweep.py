"""Private numpy core of :mod:`tsinvest.linking.coordination`: encode, sort, sweep.

Nothing here knows about column names or files: it works on integer codes and
int64 nanosecond times, so every step is a vectorised array operation.
"""

from __future__ import annotations

import math
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
    "linked_rows",
    "reduce_pair_targets",
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
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)  # one hash pass
    dictionary = column.dictionary
    # Sorting the dictionary makes code order equal to string order, which gives
    # account_a < account_b and sorted evidence for free; re-coding is one take.
    order = pc.sort_indices(dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    codes = rank[column.indices.to_numpy(zero_copy_only=False)]
    return codes, dictionary.take(pa.array(order))


def sort_events(actor: np.ndarray, target: np.ndarray, time: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort by (target, time, actor) and drop exact (actor, target, time) duplicates."""
    n = len(actor)
    if n == 0:
        return actor, target, time
    # Rank times once so that (target, time rank) packs into one int64 sort key:
    # one argsort of int64 is much cheaper than a three-key lexsort.
    # Logs usually arrive in time order; then the dense time rank needs no sort.
    in_order = bool(np.all(time[1:] >= time[:-1]))
    by_time = None if in_order else np.argsort(time, kind="stable")
    sorted_time = time if in_order else time[by_time]
    dense = np.empty(n, dtype=np.int64)
    dense[0] = 0
    np.cumsum(sorted_time[1:] != sorted_time[:-1], out=dense[1:])
    if in_order:
        time_rank = dense
    else:
        time_rank = np.empty(n, dtype=np.int64)
        time_rank[by_time] = dense
    del dense, sorted_time, by_time
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


def _pair_target_order(pair, target, n_targets):
    """Permutation sorting rows by (pair, target): one int64 argsort when the codes pack."""
    if not len(pair) or int(pair.max()) < (2**62) // max(n_targets, 1):
        return np.argsort(pair * n_targets + target)
    return np.lexsort((target, pair))


def reduce_pair_targets(pair, target, first, last, n_targets):
    """Unique (pair, target) rows with the earliest first and latest last time."""
    if not len(pair):
        return pair, target, first, last
    order = _pair_target_order(pair, target, n_targets)
    pair, target = pair[order], target[order]
    starts = np.flatnonzero(np.concatenate(([True], (pair[1:] != pair[:-1]) | (target[1:] != target[:-1]))))
    return pair[starts], target[starts], np.minimum.reduceat(first[order], starts), np.maximum.reduceat(last[order], starts)


def _spans_two_targets(pair: np.ndarray, target: np.ndarray, seed: int) -> np.ndarray:
    """Rows whose pair may be linked on two or more distinct targets (no false negatives).

    Pairs are hashed into buckets, and each bucket keeps the smallest and the
    largest target it saw (``np.minimum.at`` is linear, unlike a sort). A pair
    on two targets puts both in its bucket, so the bucket spans two targets; a
    pair on one target passes only if it shares its bucket with another pair.
    Most windowed pairs are one-off coincidences, so this drops most rows
    before the one sort that the exact count needs.
    """
    bits = int(min(25, max(10, math.ceil(math.log2(len(pair))) + 1)))
    # Multiplicative hashing in wrapping int64 arithmetic (fast in numpy);
    # the middle bits of the product are well mixed.
    multiplier = np.int64(seed - 2**64 if seed >= 2**63 else seed)
    bucket = pair * multiplier
    bucket >>= np.int64(24)
    bucket &= np.int64((1 << bits) - 1)
    smallest = np.full(1 << bits, np.iinfo(np.int32).max, dtype=np.int32)
    largest = np.full(1 << bits, -1, dtype=np.int32)
    np.minimum.at(smallest, bucket, target)
    np.maximum.at(largest, bucket, target)
    spans = largest > smallest  # one small boolean table to gather from
    del smallest, largest
    return spans[bucket]


def pair_summary(rows: list, min_weight, evidence_size, n_targets):
    """Per pair with at least ``min_weight`` distinct targets: weight, first, last, evidence codes.

    Rows may repeat a (pair, target). One sort by (pair, target) gives, in one
    pass, the distinct targets of each pair (its weight), its earliest and
    latest time and its smallest target codes (the evidence). Returns
    ``(pairs, weight, first, last, evidence_offsets, evidence_targets)``:
    the evidence of ``pairs[i]`` is
    ``evidence_targets[evidence_offsets[i]:evidence_offsets[i + 1]]``, ascending.
    ``rows`` is the list ``[pair, target, first, last]``; it is emptied, so
    the caller's arrays can be freed as soon as they are filtered.
    """
    pair, target, first, last = rows
    rows.clear()
    if min_weight >= 2:
        if len(pair) >= 100_000:
            spread = _spans_two_targets(pair, target, 0x9E3779B97F4A7C15)
            pair, target, first, last = pair[spread], target[spread], first[spread], last[spread]
    if not len(pair):
        empty = np.empty(0, dtype=np.int64)
        return np.empty(0, dtype=np.int64), empty, empty, empty, np.zeros(1, dtype=np.int64), np.empty(0, dtype=np.int32)
    order = _pair_target_order(pair, target, n_targets)
    pair, target = pair[order], target[order]
    new_pair = np.empty(len(pair), dtype=bool)
    new_pair[0] = True
    np.not_equal(pair[1:], pair[:-1], out=new_pair[1:])
    new_target = new_pair.copy()
    new_target[1:] |= target[1:] != target[:-1]
    pair_starts = np.flatnonzero(new_pair)
    weight = np.add.reduceat(new_target.astype(np.int64), pair_starts)
    first = np.minimum.reduceat(first[order], pair_starts)
    last = np.maximum.reduceat(last[order], pair_starts)
    kept = weight >= min_weight

    # Evidence: the first evidence_size distinct targets of each kept pair,
    # selected with ranks inside each pair instead of a loop over pairs.
    unique_rows = np.flatnonzero(new_target)
    group = np.cumsum(new_pair)[unique_rows] - 1
    first_unique_of_group = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1])))
    rank = np.arange(len(unique_rows)) - first_unique_of_group[group]
    chosen = unique_rows[(rank < evidence_size) & kept[group]]
    evidence_targets = target[chosen]
    counts = np.minimum(weight[kept], evidence_size)
    evidence_offsets = np.concatenate(([0], np.cumsum(counts)))
    return pair[pair_starts][kept], weight[kept], first[kept], last[kept], evidence_offsets, evidence_targets


def linked_rows(actor, target, time, window_ns, n_actors, n_targets, bounds, *, buffer_rows=40_000_000, progress=None):
    """Sweep every chunk; return (pair, target, first, last) rows and the windowed pair count.

    ``pair = low_actor * n_actors + high_actor``. Whenever the buffer passes
    ``buffer_rows`` it is reduced to unique (pair, target) rows, so memory
    follows the linked combinations, not the windowed event pairs.
    """
    buffered: list[tuple] = []
    rows = 0
    windowed = 0
    for begin, end in bounds if progress is None else progress(bounds):
        for low, high, tgt, first, last in sweep_chunk(actor[begin:end], target[begin:end], time[begin:end], window_ns):
            buffered.append((low.astype(np.int64) * n_actors + high, tgt, first, last))
            rows += len(low)
            windowed += len(low)
            if rows > buffer_rows:
                merged = (np.concatenate(part) for part in zip(*buffered))
                buffered = [reduce_pair_targets(*merged, n_targets)]
                rows = len(buffered[0][0])
                if rows > buffer_rows // 2:  # mostly distinct already: let the buffer grow
                    buffer_rows = 2 * rows
    if not buffered:
        empty = np.empty(0, dtype=np.int64)
        return [empty, np.empty(0, dtype=np.int32), empty, empty], windowed
    # Concatenate column by column, freeing each column's pieces as we go, so
    # the peak is one full copy plus one column, not two full copies.
    columns = [list(part) for part in zip(*buffered)]
    del buffered
    result = []
    for position in range(4):
        result.append(np.concatenate(columns[position]))
        columns[position] = None
    return result, windowed
