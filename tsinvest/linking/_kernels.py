"""Compiled loops of the co-action sweep (numba): sort, sweep, route, aggregate.

Why compiled loops instead of numpy array steps: the work is one pass over
events and one over linked event pairs, with a small hash table; numpy can only
spell that as sorts and gathers of whole arrays, several times slower. numba
compiles these functions to machine code on first use and caches the result
next to this file (``cache=True``), so later processes load them in a fraction
of a second. Every function releases the GIL (``nogil=True``): the caller runs
chunks and partitions on several threads.

Nothing here knows about column names, strings or files: inputs are int32
codes and int64 nanoseconds, outputs are arrays.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "PARTITION_MULTIPLIERS",
    "sorted_events",
    "sweep_counts",
    "sweep_fill",
    "empty_rows",
    "group_rows",
    "aggregate_pairs",
    "dense_window_targets",
    "windowed_event_pairs",
    "warm_up",
]

# Odd 64-bit multipliers (as signed int64) for multiplicative hashing, one per
# level of partitioning; the aggregation table uses another one, so that the
# bits that chose a partition are not the bits that choose a slot.
PARTITION_MULTIPLIERS = (
    np.int64(0x9E3779B97F4A7C15 - 2**64),
    np.int64(0xC2B2AE3D27D4EB4F - 2**64),
    np.int64(0x165667B19E3779F9),
    np.int64(0x27D4EB2F165667C5),
)
_TABLE_MULTIPLIER = np.int64(0xD6E8FEB86659FD93 - 2**64)


@njit(nogil=True, cache=True)
def _counting_sort(
    keys: np.ndarray, key_count: int, values: np.ndarray, time: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stable counting sort of ``(keys, values, time)`` rows by key (``0..key_count-1``): linear.

    The sorted keys are written block by block, so only values and times are scattered.
    """
    starts = np.zeros(key_count + 1, np.int64)
    for key in keys:
        starts[key + 1] += 1
    for key in range(key_count):
        starts[key + 1] += starts[key]
    sorted_keys = np.empty_like(keys)
    for key in range(key_count):
        sorted_keys[starts[key] : starts[key + 1]] = key
    sorted_values = np.empty_like(values)
    sorted_time = np.empty_like(time)
    for row in range(len(keys)):
        key = keys[row]
        destination = starts[key]
        sorted_values[destination] = values[row]
        sorted_time[destination] = time[row]
        starts[key] = destination + 1
    return sorted_keys, sorted_values, sorted_time


@njit(nogil=True, cache=True)
def sorted_events(
    actor: np.ndarray, target: np.ndarray, time: np.ndarray, n_actors: int, n_targets: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Events sorted by (target, time, actor), exact (actor, target, time) duplicates dropped.

    Counting sorts by code are linear. Logs usually arrive in time order: then
    one stable counting sort by target gives (target, time) order and only
    runs of equal (target, time) need their actors ordered. Otherwise events
    are counting-sorted by actor, then by target, and each target's block is
    stably merge-sorted by time, which keeps the actor order among equal times.
    """
    n = len(target)
    in_time_order = True
    for row in range(1, n):
        if time[row] < time[row - 1]:
            in_time_order = False
            break
    if not in_time_order:
        actor, target, time = _counting_sort(actor, n_actors, target, time)
    target, actor, time = _counting_sort(target, n_targets, actor, time)
    begin = 0
    while begin < n:
        end = begin + 1
        while end < n and target[end] == target[begin]:
            end += 1
        if not in_time_order and end - begin > 1:
            by_time = np.argsort(time[begin:end], kind="mergesort")
            actor[begin:end] = actor[begin:end][by_time]
            time[begin:end] = time[begin:end][by_time]
        elif in_time_order:
            # Runs of equal time inside the block: order them by actor.
            run = begin
            while run < end:
                run_end = run + 1
                while run_end < end and time[run_end] == time[run]:
                    run_end += 1
                if run_end - run > 1:
                    actor[run:run_end] = np.sort(actor[run:run_end])
                run = run_end
        begin = end
    keep = np.ones(n, np.bool_)
    duplicates = 0
    for row in range(1, n):
        if actor[row] == actor[row - 1] and target[row] == target[row - 1] and time[row] == time[row - 1]:
            keep[row] = False
            duplicates += 1
    if duplicates:
        return actor[keep], target[keep], time[keep]
    return actor, target, time


@njit(nogil=True, cache=True)
def _partition_of(code: np.int64, bits: int, multiplier: np.int64) -> int | np.int64:
    if bits == 0:
        return 0
    return ((code * multiplier) >> np.int64(64 - bits)) & np.int64((1 << bits) - 1)


@njit(nogil=True, cache=True)
def sweep_counts(
    actor: np.ndarray, target: np.ndarray, time: np.ndarray, window_ns: int, n_actors: int, start: int, end: int,
    capacity: int, bits: int,
) -> tuple[np.ndarray, int, int]:
    """How many linked event pairs events ``start..`` give, per hash partition, up to ``capacity`` rows.

    Events are sorted by (target, time). For each event ``i`` the later
    events ``j`` on the same target at most ``window_ns`` later are its
    partners; each partner of another actor makes one row, in the partition
    of its pair code (``low_actor * n_actors + high_actor``). Counting stops
    before an event whose partners would pass ``capacity`` rows, so memory is
    bounded; the caller resumes there (if not even the first event fits,
    nothing is counted and the caller must grow ``capacity``).

    Returns ``(partition_starts, stop, rows)``: partition ``p`` of the rows
    that :func:`sweep_fill` writes for events ``start..stop`` is
    ``partition_starts[p]:partition_starts[p + 1]`` (``2**bits`` partitions).
    """
    multiplier = PARTITION_MULTIPLIERS[0]
    starts = np.zeros((1 << bits) + 1, np.int64)
    rows = 0
    stop = start
    while stop < end:
        reach = _window_end(target, time, window_ns, stop, end)
        if rows + (reach - stop - 1) > capacity:
            break
        event_actor = actor[stop]
        for partner in range(stop + 1, reach):
            partner_actor = actor[partner]
            if partner_actor != event_actor:
                starts[_partition_of(_pair_code(event_actor, partner_actor, n_actors), bits, multiplier) + 1] += 1
                rows += 1
        stop += 1
    for part in range(len(starts) - 1):
        starts[part + 1] += starts[part]
    return starts, stop, rows


@njit(nogil=True, cache=True)
def empty_rows(rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Uninitialised columns ``(pair, target, earliest, latest)`` for ``rows`` linked event pairs.

    Allocated here, on plain pages: numpy asks the kernel for huge pages,
    whose compaction costs seconds of system time on a fragmented machine.
    """
    return np.empty(rows, np.int64), np.empty(rows, np.int32), np.empty(rows, np.int64), np.empty(rows, np.int64)


@njit(nogil=True, cache=True)
def sweep_fill(
    actor: np.ndarray, target: np.ndarray, time: np.ndarray, window_ns: int, n_actors: int, start: int, stop: int,
    end: int, bits: int, slots: np.ndarray, pair: np.ndarray, row_target: np.ndarray, earliest: np.ndarray,
    latest: np.ndarray,
) -> None:
    """Write the rows counted by :func:`sweep_counts` for events ``start..stop`` (of ``..end``), each in its place.

    A row is ``(pair, target, earliest, latest)``: the pair code, the target
    and the times of the two events. The sweep reads those values in order
    anyway; writing them here spares the aggregation two random reads per row
    into the event arrays. The rows of partition ``p`` are written from
    ``slots[p]`` on, in sweep order, so the rows of one target stay together.
    """
    multiplier = PARTITION_MULTIPLIERS[0]
    slot = slots.copy()
    for position in range(start, stop):
        reach = _window_end(target, time, window_ns, position, end)
        event_actor = actor[position]
        for partner in range(position + 1, reach):
            partner_actor = actor[partner]
            if partner_actor == event_actor:
                continue
            code = _pair_code(event_actor, partner_actor, n_actors)
            part = _partition_of(code, bits, multiplier)
            destination = slot[part]
            slot[part] = destination + 1
            pair[destination] = code
            row_target[destination] = target[position]
            earliest[destination] = time[position]
            latest[destination] = time[partner]


@njit(nogil=True, cache=True, inline="always")
def _window_end(target: np.ndarray, time: np.ndarray, window_ns: int, position: int, end: int) -> int:
    """One past the last event on the target of ``position`` at most ``window_ns`` after it."""
    reach = position + 1
    while reach < end and target[reach] == target[position] and time[reach] - time[position] <= window_ns:
        reach += 1
    return reach


@njit(nogil=True, cache=True, inline="always")
def _pair_code(actor: int, other: int, n_actors: int) -> np.int64:
    """``low * n_actors + high`` of two different actor codes."""
    if actor < other:
        return np.int64(actor) * n_actors + other
    return np.int64(other) * n_actors + actor


@njit(nogil=True, cache=True)
def group_rows(
    pair: np.ndarray, target: np.ndarray, earliest: np.ndarray, latest: np.ndarray, bits: int, level: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows stably grouped by a level-``level`` hash partition of ``pair``; returns the rows and starts."""
    multiplier = PARTITION_MULTIPLIERS[level % 4]
    partition = np.empty(len(pair), np.int32)
    starts = np.zeros((1 << bits) + 1, np.int64)
    for row in range(len(pair)):
        part = _partition_of(pair[row], bits, multiplier)
        partition[row] = part
        starts[part + 1] += 1
    pair, target, earliest, latest = _scatter_by_partition(pair, target, earliest, latest, partition, starts)
    return pair, target, earliest, latest, starts


@njit(nogil=True, cache=True)
def _scatter_by_partition(
    pair: np.ndarray, target: np.ndarray, earliest: np.ndarray, latest: np.ndarray, partition: np.ndarray,
    starts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows stably reordered by ``partition``; ``starts[p + 1]`` holds partition counts and becomes the starts."""
    for part in range(len(starts) - 1):
        starts[part + 1] += starts[part]
    slot = starts[:-1].copy()
    out_pair = np.empty_like(pair)
    out_target = np.empty_like(target)
    out_earliest = np.empty_like(earliest)
    out_latest = np.empty_like(latest)
    for row in range(len(pair)):
        part = partition[row]
        destination = slot[part]
        out_pair[destination] = pair[row]
        out_target[destination] = target[row]
        out_earliest[destination] = earliest[row]
        out_latest[destination] = latest[row]
        slot[part] = destination + 1
    return out_pair, out_target, out_earliest, out_latest


# Columns of a row of the aggregation table: 32 bytes a pair, two pairs to a
# cache line, so a partition's table stays in the core's own cache. Most
# pairs meet on one target only: their state is this row alone (the target
# in COUNTS is their evidence); the evidence table is written from weight 2.
_KEY, _EARLIEST, _LATEST, _COUNTS = 0, 1, 2, 3
# COUNTS holds the weight in its high 32 bits and the last target in the low 32.
_LOW_BITS = np.int64(0xFFFFFFFF)


@njit(nogil=True, cache=True)
def _hash_slot(code: np.int64, mask: int) -> np.int64:
    return ((code * _TABLE_MULTIPLIER) >> np.int64(20)) & mask


@njit(nogil=True, cache=True)
def _grown_table(
    state: np.ndarray, evidence: np.ndarray, used: int, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A ``size``-slot index over the first ``used`` rows and both tables copied into room for ``size // 2``.

    Runs O(log pairs) times per call of :func:`aggregate_pairs`, so it costs nothing per row.
    """
    mask = size - 1
    index = np.full(size, -1, np.int32)
    for other in range(used):
        other_slot = _hash_slot(state[other, _KEY], mask)
        while index[other_slot] >= 0:
            other_slot = (other_slot + 1) & mask
        index[other_slot] = other
    bigger = np.empty((size // 2, 4), np.int64)
    bigger[:used] = state[:used]
    bigger_evidence = np.empty((size // 2, evidence.shape[1]), np.int32)
    bigger_evidence[:used] = evidence[:used]
    return index, bigger, bigger_evidence


@njit(nogil=True, cache=True)
def _kept_pairs(
    state: np.ndarray, evidence: np.ndarray, used: int, min_weight: int, evidence_size: int
) -> tuple[np.ndarray, ...]:
    """The output arrays of :func:`aggregate_pairs` from its table rows: pairs with weight >= min_weight."""
    kept = 0
    evidence_total = 0
    for entry in range(used):
        weight = state[entry, _COUNTS] >> 32
        if weight >= min_weight:
            kept += 1
            evidence_total += min(weight, evidence_size)
    out_pairs = np.empty(kept, np.int64)
    out_weight = np.empty(kept, np.int64)
    out_first = np.empty(kept, np.int64)
    out_last = np.empty(kept, np.int64)
    offsets = np.zeros(kept + 1, np.int64)
    evidence_targets = np.empty(evidence_total, np.int32)
    position = 0
    written = 0
    for entry in range(used):
        counts = state[entry, _COUNTS]
        weight = counts >> 32
        if weight < min_weight:
            continue
        out_pairs[position] = state[entry, _KEY]
        out_weight[position] = weight
        out_first[position] = state[entry, _EARLIEST]
        out_last[position] = state[entry, _LATEST]
        if weight == 1 and evidence_size > 0:
            evidence_targets[written] = counts & _LOW_BITS
            written += 1
        elif weight > 1:
            for index_in_list in range(min(weight, evidence_size)):
                evidence_targets[written] = evidence[entry, index_in_list]
                written += 1
        position += 1
        offsets[position] = written
    return out_pairs, out_weight, out_first, out_last, offsets, evidence_targets


@njit(nogil=True, cache=True, inline="always")
def _add_evidence(
    evidence: np.ndarray, entry: int, count: int, previous: int | np.int64, target: int | np.int64, evidence_size: int
) -> None:
    """Keep the ``evidence_size`` smallest targets of a pair, ascending, as its ``count + 1``-th target arrives."""
    if count == 1:  # the pair's first target lived in COUNTS until now
        evidence[entry, 0] = previous
    if count >= evidence_size:
        if target >= evidence[entry, evidence_size - 1]:
            return
        count = evidence_size - 1
    while count > 0 and evidence[entry, count - 1] > target:
        evidence[entry, count] = evidence[entry, count - 1]
        count -= 1
    evidence[entry, count] = target


@njit(nogil=True, cache=True)
def aggregate_pairs(
    pair: np.ndarray, target: np.ndarray, earliest: np.ndarray, latest: np.ndarray, min_weight: int,
    evidence_size: int,
) -> tuple[np.ndarray, ...]:
    """Per pair: distinct targets, earliest and latest linked action, smallest targets.

    Each row is a linked event pair as :func:`sweep_fill` writes it: the
    pair's code, the target both events are on, and the times of the earlier
    and the later event. Rows of one pair on one target must be contiguous
    among that pair's rows, which the sweep guarantees: it emits a target's
    rows together and routing is stable. A row whose target differs from the
    last one seen for its pair is then a new distinct target.

    The table is a compact open-addressing index (int32, linear probing, load
    at most 1/2) into 32-byte rows holding each pair's key, times, weight and
    last target, appended in order of first appearance, beside a table of
    the evidence of pairs of weight 2 and more; all grow by doubling.

    Returns ``(pairs, weight, first_ns, last_ns, evidence_offsets,
    evidence_targets)`` for pairs with weight >= ``min_weight``; the evidence
    of a pair is its ``evidence_size`` smallest target codes, ascending.
    """
    expected = min(len(pair), 1 << 22)
    size = 1024
    while size < 2 * expected:
        size *= 2
    mask = size - 1
    index = np.full(size, -1, np.int32)
    state = np.empty((size // 2, 4), np.int64)
    evidence = np.empty((size // 2, max(evidence_size, 1)), np.int32)
    used = 0
    for row in range(len(pair)):
        code = pair[row]
        slot = _hash_slot(code, mask)
        entry = index[slot]
        while entry >= 0 and state[entry, _KEY] != code:
            slot = (slot + 1) & mask
            entry = index[slot]
        row_target = np.int64(target[row])
        if entry < 0:
            if 2 * (used + 1) > size:  # grow: rehash the index, copy the rows
                size *= 2
                mask = size - 1
                index, state, evidence = _grown_table(state, evidence, used, size)
                slot = _hash_slot(code, mask)
                while index[slot] >= 0:
                    slot = (slot + 1) & mask
            entry = used
            used += 1
            index[slot] = entry
            state[entry, _KEY] = code
            state[entry, _EARLIEST] = earliest[row]
            state[entry, _LATEST] = latest[row]
            state[entry, _COUNTS] = (np.int64(1) << 32) | row_target
            continue
        if earliest[row] < state[entry, _EARLIEST]:
            state[entry, _EARLIEST] = earliest[row]
        if latest[row] > state[entry, _LATEST]:
            state[entry, _LATEST] = latest[row]
        counts = state[entry, _COUNTS]
        if row_target == counts & _LOW_BITS:
            continue
        count = counts >> 32
        state[entry, _COUNTS] = ((count + 1) << 32) | row_target
        if evidence_size > 0:
            _add_evidence(evidence, entry, count, counts & _LOW_BITS, row_target, evidence_size)
    return _kept_pairs(state, evidence, used, min_weight, evidence_size)


@njit(nogil=True, cache=True)
def dense_window_targets(target: np.ndarray, time: np.ndarray, window_ns: int, min_events: int) -> np.ndarray:
    """Mask of targets (by code) where some window of ``window_ns`` holds ``min_events`` events or more.

    Events are sorted by (target, time), so the window opened by event ``i``
    holds at least ``m`` events exactly when event ``i + m - 1`` has the same
    target and lies within the window: one pass.
    """
    n_targets = 0
    if len(target):
        n_targets = target.max() + 1
    dense = np.zeros(n_targets, np.bool_)
    lag = max(min_events - 1, 0)
    for event in range(len(target) - lag):
        other = event + lag
        if target[other] == target[event] and time[other] - time[event] <= window_ns:
            dense[target[event]] = True
    return dense


@njit(nogil=True, cache=True)
def windowed_event_pairs(target: np.ndarray, time: np.ndarray, window_ns: int) -> int:
    """Number of event pairs on one target at most ``window_ns`` apart (what the sweep would visit).

    Events are sorted by (target, time); a second pointer trails the first, so
    the count costs one pass however many pairs there are.
    """
    total = 0
    later = 0
    for event in range(len(target)):
        if later < event + 1:
            later = event + 1
        while later < len(target) and target[later] == target[event] and time[later] - time[event] <= window_ns:
            later += 1
        total += later - event - 1
    return total


def warm_up() -> None:
    """Compile (first run after install) or load (later runs) every kernel, on tiny inputs.

    Loading compiled kernels from numba's cache takes a few tenths of a second
    in a new process; the coordination loader runs this on a thread while
    DuckDB reads the file. ``make install`` runs it once, so the first
    investigation does not wait for the compiler.
    """
    actor = np.array([0, 1, 0, 1], dtype=np.int32)
    target = np.array([0, 0, 1, 1], dtype=np.int32)
    time = np.array([0, 1, 0, 1], dtype=np.int64)
    actor, target, time = sorted_events(actor, target, time, 2, 2)
    dense_window_targets(target, time, 10, 2)
    windowed_event_pairs(target, time, 10)
    starts, stop, rows = sweep_counts(actor, target, time, 10, 2, 0, 4, 8, 1)
    pair, row_target, earliest, latest = empty_rows(rows)
    sweep_fill(actor, target, time, 10, 2, 0, stop, 4, 1, starts[:-1], pair, row_target, earliest, latest)
    pair, row_target, earliest, latest, _ = group_rows(pair, row_target, earliest, latest, 1, 1)
    aggregate_pairs(pair, row_target, earliest, latest, 1, 5)


if __name__ == "__main__":  # make install: compile the kernels once
    warm_up()
