"""Private core of :mod:`tsinvest.linking.coordination`: encode, sort, sweep, summarise.

Nothing here knows about column names or files: it works on integer codes and
int64 nanosecond times. The loops are compiled (:mod:`tsinvest.linking._kernels`);
this module holds the data flow around them: chunks of whole targets swept on
threads, linked event pairs routed into hash partitions that spill to disk
past a memory budget, and partitions summarised one by one.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tsinvest.linking import _kernels

# A progress wrapper: ``progress(iterable, total=None)`` returns an iterable over the same items.
Progress = Callable[..., Iterable[Any]]

__all__ = [
    "EncodedEvents",
    "encode_strings",
    "sort_events",
    "chunk_bounds",
    "dense_window_targets",
    "PairRows",
    "sweep_into",
    "sweep_in_memory",
    "PairSummary",
    "summarize_rows",
    "summarize",
    "summarize_in_memory",
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
    actor_names: Any  # pyarrow string array
    target_names: Any  # pyarrow string array
    rows: int  # rows read, before dropping duplicates


def encode_strings(column: Any) -> tuple[np.ndarray, Any]:
    """Return int32 codes and the sorted dictionary of a pyarrow string column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(column, pa.ChunkedArray) and column.num_chunks == 0:
        column = pa.array([], type=column.type)
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)  # one hash pass, chunk by chunk
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    dictionary = chunks[0].dictionary
    if any(not _same_array(chunk.dictionary, dictionary) for chunk in chunks[1:]):
        # Encoding a chunked column shares one dictionary across its chunks;
        # a column that arrived dictionary-encoded per chunk is unified first.
        chunks = pa.chunked_array(chunks).unify_dictionaries().chunks
        dictionary = chunks[0].dictionary
    indices = [chunk.indices.to_numpy(zero_copy_only=False) for chunk in chunks]
    # Sorting the dictionary makes code order equal to string order, which gives
    # account_a < account_b and sorted evidence for free; re-coding is one take.
    order = pc.sort_indices(dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    codes = rank[np.concatenate(indices) if len(indices) > 1 else indices[0]]
    return codes, dictionary.take(pa.array(order))


def _same_array(left: Any, right: Any) -> bool:
    """The same Arrow array (same length and buffers), without comparing values."""
    return len(left) == len(right) and all(
        (a is None and b is None) or (a is not None and b is not None and a.address == b.address)
        for a, b in zip(left.buffers(), right.buffers(), strict=False)
    )


def sort_events(actor: np.ndarray, target: np.ndarray, time: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort by (target, time, actor) and drop exact (actor, target, time) duplicates.

    Linear counting sorts by code (see :func:`tsinvest.linking._kernels.sorted_events`).
    """
    if len(actor) == 0:
        return actor, target, time
    # One array layout for every source (Arrow buffers arrive read-only), so
    # the kernels compile once.
    return _kernels.sorted_events(
        np.require(actor, np.int32, ["C", "W"]),
        np.require(target, np.int32, ["C", "W"]),
        np.require(time, np.int64, ["C", "W"]),
        int(actor.max()) + 1,
        int(target.max()) + 1,
    )


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
    """Codes of targets where some window of ``window_ns`` holds at least ``min_events`` events."""
    return np.flatnonzero(_kernels.dense_window_targets(target, time, window_ns, min_events)).astype(target.dtype)


# One linked event pair: its pair code, its target, the times of its two events.
_ROW_DTYPE = np.dtype([("pair", "<i8"), ("earliest", "<i8"), ("latest", "<i8"), ("target", "<i4")])
_COLUMNS = ("pair", "target", "earliest", "latest")


class PairRows:
    """Linked event pairs ``(pair, target, earliest, latest)`` held in hash partitions of ``pair``, per stream.

    A pair always lands in the same partition, so partitions can be summarised
    independently and their results concatenated; small partitions keep the
    aggregation's hash table in cache. Each sweep thread writes its own
    *stream*: a thread sweeps whole targets one after the other, so inside a
    stream the rows of one target are contiguous, which the aggregation relies
    on (:func:`tsinvest.linking._kernels.aggregate_pairs`). Past
    ``budget_bytes`` of rows held in memory, every (stream, partition) is
    appended to its own file in a private temporary directory (removed by
    :meth:`close`), so memory is bounded by the budget plus one partition,
    whatever the number of rows.
    """

    def __init__(
        self,
        partitions: int,
        budget_bytes: int,
        *,
        streams: int = 1,
        directory: str | None = None,
    ) -> None:
        if partitions < 1 or partitions > 2**16 or partitions & (partitions - 1):
            raise ValueError("partitions must be a power of two between 1 and 65536")
        self.partitions = partitions
        self.bits = partitions.bit_length() - 1
        self.streams = streams
        self.budget_bytes = budget_bytes
        self.row_dtype = _ROW_DTYPE
        self.directory = directory
        self.spill_directory: str | None = None
        self.spilled_rows = 0
        self._pieces: list[list[list[tuple]]] = [[[] for _ in range(partitions)] for _ in range(streams)]
        self._bytes = 0
        self._lock = threading.Lock()

    def add(self, stream: int, columns: tuple[np.ndarray, ...], starts: np.ndarray) -> None:
        """Append rows (``_COLUMNS``) already grouped by partition (``starts[p]:starts[p + 1]``) to ``stream``."""
        if not len(columns[0]):
            return
        with self._lock:
            pieces = self._pieces[stream]
            for position in np.flatnonzero(np.diff(starts)):
                begin, end = starts[position], starts[position + 1]
                pieces[position].append(tuple(column[begin:end] for column in columns))
            self._bytes += len(columns[0]) * self.row_dtype.itemsize
            if self._bytes > self.budget_bytes:
                self._spill()

    def _path(self, stream: int, position: int) -> str:
        assert self.spill_directory is not None  # set by the first spill
        return os.path.join(self.spill_directory, f"partition-{position:05d}-{stream:02d}.rows")

    def _spill(self) -> None:
        if self.spill_directory is None:
            self.spill_directory = tempfile.mkdtemp(prefix="tsinvest-coordination-", dir=self.directory)
        for stream, partitions in enumerate(self._pieces):
            for position, pieces in enumerate(partitions):
                if not pieces:
                    continue
                rows = np.empty(sum(len(piece[0]) for piece in pieces), dtype=self.row_dtype)
                offset = 0
                for piece in pieces:
                    stop = offset + len(piece[0])
                    for name, values in zip(_COLUMNS, piece, strict=True):
                        rows[name][offset:stop] = values
                    offset = stop
                with open(self._path(stream, position), "ab") as handle:
                    rows.tofile(handle)
                self.spilled_rows += len(rows)
                pieces.clear()
        self._bytes = 0

    def take(self, position: int) -> tuple[np.ndarray, ...]:
        """All rows of one partition (``_COLUMNS``), stream after stream, each from disk then memory; emptied."""
        columns: list[list[np.ndarray]] = [[] for _ in _COLUMNS]
        for stream in range(self.streams):
            with self._lock:
                pieces = self._pieces[stream][position]
                self._pieces[stream][position] = []
                self._bytes -= sum(len(piece[0]) for piece in pieces) * self.row_dtype.itemsize
            if self.spill_directory is not None and os.path.exists(self._path(stream, position)):
                rows = np.fromfile(self._path(stream, position), dtype=self.row_dtype)
                os.remove(self._path(stream, position))
                for column, name in zip(columns, _COLUMNS, strict=True):
                    column.append(np.ascontiguousarray(rows[name]))
                del rows
            for column, values in zip(columns, zip(*pieces, strict=True) if pieces else [()] * 4, strict=True):
                column.extend(values)
        if not columns[0]:
            return tuple(np.empty(0, self.row_dtype[name]) for name in _COLUMNS)
        return tuple(np.concatenate(column) if len(column) > 1 else column[0] for column in columns)

    def close(self) -> None:
        self._pieces = [[[] for _ in range(self.partitions)] for _ in range(self.streams)]
        if self.spill_directory is not None:
            shutil.rmtree(self.spill_directory, ignore_errors=True)
            self.spill_directory = None

    def __enter__(self) -> PairRows:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def sweep_into(
    rows: PairRows,
    actor: np.ndarray,
    target: np.ndarray,
    time: np.ndarray,
    window_ns: int,
    n_actors: int,
    bounds: list[tuple[int, int]],
    *,
    batch_rows: int = 2_000_000,
    progress: Progress | None = None,
) -> int:
    """Sweep every chunk of ``bounds`` into ``rows``; return the number of windowed event pairs.

    ``pair = low_actor * n_actors + high_actor``. Chunks run on ``rows.streams``
    threads, each writing its own stream; a chunk is swept in batches of at
    most ``batch_rows`` rows (more when one event alone has more partners).
    """
    def one_chunk(stream: int, bound: tuple[int, int]) -> int:
        position, end = bound
        capacity, windowed = batch_rows, 0
        while position < end:
            starts, next_position, emitted = _kernels.sweep_counts(
                actor, target, time, window_ns, n_actors, position, end, capacity, rows.bits
            )
            if next_position == position:  # one event has more partners than a batch holds
                capacity *= 2
                continue
            columns = _kernels.empty_rows(emitted)
            _kernels.sweep_fill(
                actor, target, time, window_ns, n_actors, position, next_position, end, rows.bits, starts[:-1],
                *columns,
            )
            rows.add(stream, columns, starts)
            windowed += emitted
            position = next_position
        return windowed

    return sum(_run_streams(one_chunk, bounds, rows.streams, progress))


# No batch limit: sweep_counts then counts a whole chunk at once.
_UNLIMITED_ROWS = 1 << 62


def sweep_in_memory(
    actor: np.ndarray,
    target: np.ndarray,
    time: np.ndarray,
    window_ns: int,
    n_actors: int,
    bounds: list[tuple[int, int]],
    *,
    bits: int,
    budget_bytes: int,
    workers: int = 1,
    progress: Progress | None = None,
) -> tuple[tuple[np.ndarray, ...], np.ndarray] | None:
    """Every linked row in one set of columns (``_COLUMNS``), grouped by partition; None past ``budget_bytes``.

    A first pass counts the rows of every (chunk, partition); if they fit in
    the budget, a second pass writes each row straight to its final place:
    partition ``p`` is ``partition_starts[p]:partition_starts[p + 1]``, its
    rows chunk after chunk, in sweep order inside a chunk (chunks hold whole
    targets, so the rows of one target stay together). Unlike
    :class:`PairRows`, no partition is ever copied to be summarised; past the
    budget the caller uses :class:`PairRows`, which can spill to disk.
    Returns ``(columns, partition_starts)``.
    """
    partitions = 1 << bits

    def count(stream: int, bound: tuple[int, int]) -> np.ndarray:
        starts, _, _ = _kernels.sweep_counts(
            actor, target, time, window_ns, n_actors, bound[0], bound[1], _UNLIMITED_ROWS, bits
        )
        return np.diff(starts)

    counts = np.array(_run_streams(count, bounds, workers), dtype=np.int64).reshape(len(bounds), partitions)
    totals = counts.sum(axis=0)
    if int(totals.sum()) * _ROW_DTYPE.itemsize > budget_bytes:
        return None
    partition_starts = np.concatenate(([0], np.cumsum(totals))).astype(np.int64)
    # Chunk c writes its rows of partition p after those of the chunks before it.
    chunk_slots = partition_starts[:-1] + np.cumsum(counts, axis=0) - counts
    columns = _kernels.empty_rows(int(partition_starts[-1]))

    def fill(stream: int, chunk: int) -> None:
        begin, end = bounds[chunk]
        _kernels.sweep_fill(
            actor, target, time, window_ns, n_actors, begin, end, end, bits, chunk_slots[chunk], *columns
        )

    _run_streams(fill, range(len(bounds)), workers, progress)
    return columns, partition_starts


def _run_streams(
    function: Callable[[int, Any], Any], items: Iterable[Any], workers: int, progress: Progress | None = None
) -> list[Any]:
    """``[function(stream, item) for item in items]`` on ``workers`` threads; ``stream`` numbers the thread."""
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        iterator = items if progress is None else progress(items)
        return [function(0, item) for item in iterator]
    from concurrent.futures import ThreadPoolExecutor

    local = threading.local()
    numbers = itertools.count()

    def name_thread() -> None:
        local.stream = next(numbers)

    with ThreadPoolExecutor(max_workers=workers, initializer=name_thread) as pool:
        results: Iterable[Any] = pool.map(lambda item: function(local.stream, item), items)
        if progress is not None:
            results = progress(results, total=len(items))
        return list(results)


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
        if len(parts) == 1:
            return parts[0]
        counts = np.concatenate([np.diff(part.evidence_offsets) for part in parts])
        return cls(
            np.concatenate([part.pairs for part in parts]),
            np.concatenate([part.weight for part in parts]),
            np.concatenate([part.first for part in parts]),
            np.concatenate([part.last for part in parts]),
            np.concatenate(([0], np.cumsum(counts))).astype(np.int64),
            np.concatenate([part.evidence_targets for part in parts]),
        )


# A partition with more rows than this is split again (by another hash, stably)
# before aggregation, so hash tables stay cache-sized however skewed the data.
_SPLIT_ROWS = 4_000_000


def summarize_rows(
    columns: tuple[np.ndarray, ...], min_weight: int, evidence_size: int, *, level: int = 1
) -> PairSummary:
    """Exact per-pair summary of linked rows (``_COLUMNS``; all rows of a pair must be here, in stream order)."""
    pair, target, earliest, latest = columns
    if len(pair) > _SPLIT_ROWS and level < len(_kernels.PARTITION_MULTIPLIERS):
        *grouped, starts = _kernels.group_rows(pair, target, earliest, latest, 4, level)
        return PairSummary.concatenate(
            [
                summarize_rows(tuple(column[begin:end] for column in grouped), min_weight, evidence_size,
                               level=level + 1)
                for begin, end in zip(starts[:-1], starts[1:], strict=True)
            ]
        )
    return PairSummary(*_kernels.aggregate_pairs(pair, target, earliest, latest, min_weight, evidence_size))


def summarize(rows: PairRows, min_weight: int, evidence_size: int, *, workers: int = 1) -> PairSummary:
    """Summaries of every partition of ``rows``, concatenated (pairs never span partitions)."""

    def one_partition(stream: int, position: int) -> PairSummary:
        return summarize_rows(rows.take(position), min_weight, evidence_size)

    return PairSummary.concatenate(_run_streams(one_partition, range(rows.partitions), workers))


def summarize_in_memory(
    columns: tuple[np.ndarray, ...], partition_starts: np.ndarray, min_weight: int, evidence_size: int, *,
    workers: int = 1,
) -> PairSummary:
    """Summaries of every partition of :func:`sweep_in_memory`'s rows, concatenated."""

    def one_partition(stream: int, position: int) -> PairSummary:
        begin, end = partition_starts[position], partition_starts[position + 1]
        return summarize_rows(tuple(column[begin:end] for column in columns), min_weight, evidence_size)

    return PairSummary.concatenate(_run_streams(one_partition, range(len(partition_starts) - 1), workers))
