"""Private numpy core of :mod:`tsinvest.linking.coordination`: encode, sort, sweep.

Nothing here knows about column names or files: it works on integer codes and
int64 nanosecond times, so every step is a vectorised array operation.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import threading
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
    "PairRows",
    "sweep_into",
    "PairSummary",
    "summarize_rows",
    "summarize",
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


def _stable_code_order(codes: np.ndarray) -> np.ndarray:
    """Stable sort permutation of non-negative int32 codes: LSD radix on 16-bit digits.

    numpy's stable sort of 16-bit keys is a radix sort, linear and about twice
    as fast as a stable sort of the int32 codes themselves.
    """
    order = np.argsort((codes & 0xFFFF).astype(np.uint16), kind="stable")
    if int(codes.max()) >= 1 << 16:
        high = (codes[order] >> 16).astype(np.uint16)
        order = order[np.argsort(high, kind="stable")]
    return order


def sort_events(actor: np.ndarray, target: np.ndarray, time: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort by (target, time, actor) and drop exact (actor, target, time) duplicates."""
    n = len(actor)
    if n == 0:
        return actor, target, time
    if bool(np.all(time[1:] >= time[:-1])):
        # Logs usually arrive in time order: a stable sort by target alone then
        # gives (target, time) order. Only rows sharing a target and a time need
        # their actors ordered (and exact duplicates dropped); they are few.
        order = _stable_code_order(target)
        target, time = target[order], time[order]
        actor = actor[order]
        del order
        tie = (target[1:] == target[:-1]) & (time[1:] == time[:-1])
        if not tie.any():
            return actor, target, time
        in_tie = np.zeros(n, dtype=bool)
        in_tie[1:] |= tie
        in_tie[:-1] |= tie
        rows = np.flatnonzero(in_tie)
        group = np.cumsum(np.concatenate(([True], ~tie)))[rows]  # tie groups keep their place
        rows = rows[np.lexsort((actor[rows], group))]
        actor[in_tie] = actor[rows]  # targets and times are equal inside a group
        duplicate = np.zeros(n, dtype=bool)
        duplicate[1:] = tie & (actor[1:] == actor[:-1])
        if duplicate.any():
            keep = ~duplicate
            return actor[keep], target[keep], time[keep]
        return actor, target, time
    # Rank times once so that (target, time rank) packs into one int64 sort key:
    # one argsort of int64 is much cheaper than a three-key lexsort.
    by_time = np.argsort(time, kind="stable")
    sorted_time = time[by_time]
    dense = np.empty(n, dtype=np.int64)
    dense[0] = 0
    np.cumsum(sorted_time[1:] != sorted_time[:-1], out=dense[1:])
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


# Odd 64-bit multipliers (as signed int64) for multiplicative hashing. The
# partition hash and the prefilter hash must differ, or every pair of one
# partition would share the prefilter's bits.
_PARTITION_MULTIPLIERS = (
    np.int64(0x9E3779B97F4A7C15 - 2**64),
    np.int64(0xC2B2AE3D27D4EB4F - 2**64),
    np.int64(0x165667B19E3779F9),
    np.int64(0x27D4EB2F165667C5),
)
_PREFILTER_MULTIPLIER = np.int64(0xD6E8FEB86659FD93 - 2**64)
_ROW_DTYPE_32 = np.dtype([("pair", "<i8"), ("first", "<i4"), ("later", "<i4")])
_ROW_DTYPE_64 = np.dtype([("pair", "<i8"), ("first", "<i8"), ("later", "<i8")])


def sweep_chunk(
    actor: np.ndarray, target: np.ndarray, time: np.ndarray, window_ns: int, begin: int, end: int
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Yield every pair of events on one target at most ``window_ns`` apart, lag by lag.

    Events must be sorted by (target, time) and ``begin:end`` must hold whole
    targets. At lag ``k`` event ``i`` is compared with event ``i + k``; if they
    are on different targets or further apart than the window, so is every
    later lag for ``i``, so ``i`` leaves the active set. The work is therefore
    proportional to the number of windowed event pairs, not to the number of
    lags times the number of events.

    Yields ``(first_index, later_index, first_actor, later_actor)`` (indices
    into the whole arrays, ``first_index < later_index``) for the pairs of the
    lag whose two actors differ.
    """
    index_type = np.int32 if len(actor) < 2**31 - 1 else np.int64
    actor, target, time = actor[begin:end], target[begin:end], time[begin:end]
    n = end - begin
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
            yield active[different] + begin, later[different] + begin, actor_first[different], actor_later[different]
        lag += 1
        # active is increasing, so dropping the events with no partner at the next
        # lag is a prefix cut.
        active = active[: np.searchsorted(active, n - lag, side="left")]


def _partition_ids(pair: np.ndarray, bits: int, level: int) -> np.ndarray:
    """Top ``bits`` bits of a multiplicative hash of ``pair`` (one multiplier per level)."""
    mixed = pair * _PARTITION_MULTIPLIERS[level % len(_PARTITION_MULTIPLIERS)]
    mixed >>= np.int64(64 - bits)
    mixed &= np.int64((1 << bits) - 1)
    return mixed.astype(np.uint8 if bits <= 8 else np.uint16)


def _split_by_partition(ids: np.ndarray, count: int, columns: tuple) -> list[tuple]:
    """Group the rows of ``columns`` by partition id: one radix sort (stable, 8/16-bit keys)."""
    order = np.argsort(ids, kind="stable")
    cuts = np.cumsum(np.bincount(ids, minlength=count))[:-1]
    return list(zip(*(np.split(column[order], cuts) for column in columns)))


class PairRows:
    """Linked event pairs ``(pair, first, later)`` routed into hash partitions of ``pair``.

    A pair always lands in the same partition, so partitions can be summarised
    independently and their results concatenated. Partitions are small enough
    for their sorts and hash tables to stay in cache (several times faster than
    one big sort). Past ``budget_bytes`` of rows held in memory, every
    partition is appended to its own file in a private temporary directory
    (removed by :meth:`close`), so the memory is bounded by the budget plus one
    partition, whatever the number of rows.
    """

    def __init__(self, partitions: int, budget_bytes: int, *, wide_indices: bool = False, directory=None):
        if partitions < 1 or partitions > 2**16 or partitions & (partitions - 1):
            raise ValueError("partitions must be a power of two between 1 and 65536")
        self.partitions = partitions
        self.bits = partitions.bit_length() - 1
        self.budget_bytes = budget_bytes
        self.row_dtype = _ROW_DTYPE_64 if wide_indices else _ROW_DTYPE_32
        self.directory = directory
        self.spill_directory: str | None = None
        self.spilled_rows = 0
        self._pieces: list[list[tuple]] = [[] for _ in range(partitions)]
        self._bytes = 0
        self._lock = threading.Lock()

    def add(self, pair: np.ndarray, first: np.ndarray, later: np.ndarray) -> None:
        """Route rows to their partitions; spill everything to disk past the budget."""
        if not len(pair):
            return
        if self.partitions == 1:
            routed = [(pair, first, later)]
        else:
            routed = _split_by_partition(_partition_ids(pair, self.bits, 0), self.partitions, (pair, first, later))
        with self._lock:
            for position, piece in enumerate(routed):
                if len(piece[0]):
                    self._pieces[position].append(piece)
            self._bytes += len(pair) * self.row_dtype.itemsize
            if self._bytes > self.budget_bytes:
                self._spill()

    def _path(self, position: int) -> str:
        return os.path.join(self.spill_directory, f"partition-{position:05d}.rows")

    def _spill(self) -> None:
        if self.spill_directory is None:
            self.spill_directory = tempfile.mkdtemp(prefix="tsinvest-coordination-", dir=self.directory)
        for position, pieces in enumerate(self._pieces):
            if not pieces:
                continue
            rows = np.empty(sum(len(piece[0]) for piece in pieces), dtype=self.row_dtype)
            offset = 0
            for pair, first, later in pieces:
                stop = offset + len(pair)
                rows["pair"][offset:stop] = pair
                rows["first"][offset:stop] = first
                rows["later"][offset:stop] = later
                offset = stop
            with open(self._path(position), "ab") as handle:
                rows.tofile(handle)
            self.spilled_rows += len(rows)
            pieces.clear()
        self._bytes = 0

    def take(self, position: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All rows of one partition (from disk and memory); the partition is emptied."""
        with self._lock:
            pieces = self._pieces[position]
            self._pieces[position] = []
            self._bytes -= sum(len(piece[0]) for piece in pieces) * self.row_dtype.itemsize
        columns = [list(column) for column in zip(*pieces)] if pieces else [[], [], []]
        if self.spill_directory is not None and os.path.exists(self._path(position)):
            rows = np.fromfile(self._path(position), dtype=self.row_dtype)
            os.remove(self._path(position))
            for column, name in zip(columns, ("pair", "first", "later")):
                column.insert(0, np.ascontiguousarray(rows[name]))
            del rows
        if not columns[0]:
            index_type = self.row_dtype["first"]
            return np.empty(0, np.int64), np.empty(0, index_type), np.empty(0, index_type)
        return tuple(np.concatenate(column) if len(column) > 1 else column[0] for column in columns)

    def close(self) -> None:
        self._pieces = [[] for _ in range(self.partitions)]
        if self.spill_directory is not None:
            shutil.rmtree(self.spill_directory, ignore_errors=True)
            self.spill_directory = None

    def __enter__(self) -> PairRows:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def sweep_into(
    rows: PairRows, actor, target, time, window_ns, n_actors, bounds, *, batch_rows=2_000_000, workers=1, progress=None
) -> int:
    """Sweep every chunk of ``bounds`` into ``rows``; return the number of windowed event pairs.

    ``pair = low_actor * n_actors + high_actor``. Chunks run on ``workers``
    threads (numpy releases the GIL in its array loops).
    """

    def one_chunk(bound) -> int:
        begin, end = bound
        buffered, held, windowed = [], 0, 0
        for first, later, actor_first, actor_later in sweep_chunk(actor, target, time, window_ns, begin, end):
            low = np.minimum(actor_first, actor_later).astype(np.int64)
            low *= n_actors
            low += np.maximum(actor_first, actor_later)
            buffered.append((low, first, later))
            held += len(low)
            windowed += len(low)
            if held >= batch_rows:
                rows.add(*(np.concatenate(column) for column in zip(*buffered)))
                buffered, held = [], 0
        if buffered:
            rows.add(*(np.concatenate(column) for column in zip(*buffered)))
        return windowed

    return sum(_run(one_chunk, bounds, workers, progress))


def _run(function, items, workers, progress=None) -> list:
    """``[function(item) for item in items]`` on ``workers`` threads, with an optional progress wrapper."""
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        iterator = items if progress is None else progress(items)
        return [function(item) for item in iterator]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = pool.map(function, items)
        if progress is not None:
            results = progress(results, total=len(items))
        return list(results)


def _pair_target_order(pair, target, n_targets):
    """Permutation sorting rows by (pair, target): one int64 argsort when the codes pack."""
    if not len(pair) or int(pair.max()) < (2**62) // max(n_targets, 1):
        return np.argsort(pair * n_targets + target)
    return np.lexsort((target, pair))


def _spans_two_targets(pair: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Rows whose pair may be linked on two or more distinct targets (no false negatives).

    Pairs are hashed into buckets, and each bucket keeps the smallest and the
    largest target it saw (``np.minimum.at`` is linear, unlike a sort). A pair
    on two targets puts both in its bucket, so the bucket spans two targets; a
    pair on one target passes only if it shares its bucket with another pair.
    Most windowed pairs are one-off coincidences, so this drops most rows
    before the one sort that the exact count needs.
    """
    bits = int(min(25, max(10, math.ceil(math.log2(max(len(pair), 2))) + 1)))
    # The middle bits of the wrapping int64 product are well mixed.
    bucket = pair * _PREFILTER_MULTIPLIER
    bucket >>= np.int64(24)
    bucket &= np.int64((1 << bits) - 1)
    smallest = np.full(1 << bits, np.iinfo(np.int32).max, dtype=np.int32)
    largest = np.full(1 << bits, -1, dtype=np.int32)
    np.minimum.at(smallest, bucket, target)
    np.maximum.at(largest, bucket, target)
    spans = largest > smallest  # one small boolean table to gather from
    del smallest, largest
    return spans[bucket]


@dataclass
class PairSummary:
    """Per linked pair: weight, earliest and latest linked action, evidence target codes.

    The evidence of ``pairs[k]`` is ``evidence_targets[evidence_offsets[k]:evidence_offsets[k + 1]]``.
    """

    pairs: np.ndarray  # int64 low * n_actors + high
    weight: np.ndarray  # int64 distinct targets
    first: np.ndarray  # int64 nanoseconds
    last: np.ndarray  # int64 nanoseconds
    evidence_offsets: np.ndarray  # int64, len(pairs) + 1
    evidence_targets: np.ndarray  # int32 target codes, ascending per pair

    @classmethod
    def concatenate(cls, parts: list[PairSummary]) -> PairSummary:
        if not parts:
            empty = np.empty(0, dtype=np.int64)
            return cls(empty, empty, empty, empty, np.zeros(1, dtype=np.int64), np.empty(0, dtype=np.int32))
        counts = np.concatenate([np.diff(part.evidence_offsets) for part in parts])
        return cls(
            np.concatenate([part.pairs for part in parts]),
            np.concatenate([part.weight for part in parts]),
            np.concatenate([part.first for part in parts]),
            np.concatenate([part.last for part in parts]),
            np.concatenate(([0], np.cumsum(counts))).astype(np.int64),
            np.concatenate([part.evidence_targets for part in parts]),
        )


# A partition with more rows than this is split again (by another hash) before
# its sort, so sorts stay cache-sized however skewed the data.
_SPLIT_ROWS = 4_000_000
# Below this many rows the prefilter costs more than it saves.
_PREFILTER_ROWS = 50_000


def summarize_rows(
    pair, first, later, target, time, min_weight, evidence_size, n_targets, *, level=1
) -> PairSummary:
    """Exact per-pair summary of linked rows (all rows of a pair must be here).

    ``first`` / ``later`` index ``target`` and ``time``; events are sorted by
    (target, time), so the earlier event of a row is ``first`` and its time is
    the row's earliest action. One sort by (pair, target) gives, in one pass,
    the distinct targets of each pair (its weight), its earliest and latest
    action and its smallest target codes (the evidence).
    """
    if len(pair) > _SPLIT_ROWS and level < 4:
        ids = _partition_ids(pair, 4, level)
        return PairSummary.concatenate(
            [
                summarize_rows(*piece, target, time, min_weight, evidence_size, n_targets, level=level + 1)
                for piece in _split_by_partition(ids, 16, (pair, first, later))
            ]
        )
    row_target = target[first]
    if min_weight >= 2 and len(pair) >= _PREFILTER_ROWS:
        spread = _spans_two_targets(pair, row_target)
        pair, first, later, row_target = pair[spread], first[spread], later[spread], row_target[spread]
    if not len(pair):
        return PairSummary.concatenate([])
    order = _pair_target_order(pair, row_target, n_targets)
    pair, row_target = pair[order], row_target[order]
    new_pair = np.empty(len(pair), dtype=bool)
    new_pair[0] = True
    np.not_equal(pair[1:], pair[:-1], out=new_pair[1:])
    new_target = new_pair.copy()
    new_target[1:] |= row_target[1:] != row_target[:-1]
    pair_starts = np.flatnonzero(new_pair)
    weight = np.add.reduceat(new_target, pair_starts, dtype=np.int64)
    kept = weight >= min_weight
    starts = pair_starts[kept]
    earliest = np.minimum.reduceat(time[first[order]], pair_starts)[kept]
    latest = np.maximum.reduceat(time[later[order]], pair_starts)[kept]

    # Evidence: the first evidence_size distinct targets of each kept pair,
    # selected with ranks inside each pair instead of a loop over pairs.
    unique_rows = np.flatnonzero(new_target)
    group = np.cumsum(new_pair)[unique_rows] - 1
    first_unique_of_group = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1])))
    rank = np.arange(len(unique_rows)) - first_unique_of_group[group]
    chosen = unique_rows[(rank < evidence_size) & kept[group]]
    counts = np.minimum(weight[kept], evidence_size)
    return PairSummary(
        pair[starts],
        weight[kept],
        earliest,
        latest,
        np.concatenate(([0], np.cumsum(counts))).astype(np.int64),
        row_target[chosen],
    )


def summarize(rows: PairRows, target, time, min_weight, evidence_size, n_targets, *, workers=1) -> PairSummary:
    """Summaries of every partition of ``rows``, concatenated (pairs never span partitions)."""

    def one_partition(position: int) -> PairSummary:
        return summarize_rows(*rows.take(position), target, time, min_weight, evidence_size, n_targets)

    return PairSummary.concatenate(_run(one_partition, range(rows.partitions), workers))
