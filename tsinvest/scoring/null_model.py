"""Is a cluster's co-action more than chance? A seeded shuffle null model.

Heavy users who like popular videos co-act with each other by chance: the more
two accounts act, the more often they land on the same video within a minute.
Fans who get a notification react to a new post within a minute or two, so
they co-act on every post without anyone coordinating them.
:func:`coaction_null` asks how much co-action the *same* members would show
if their timing carried no coordination beyond what each account does alone,
by shuffling times and recounting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from tsinvest.exceptions import ParameterError

__all__ = ["coaction_null"]


#: Scales of the statistic, as fractions of the window.
SCALES = (1.0, 0.1, 0.01)


def _coordinated_counts(key: np.ndarray, actor: np.ndarray, ns: np.ndarray, cluster: np.ndarray, window_ns: float,
                        n_clusters: int) -> np.ndarray:
    """Per cluster, coordinated actions counted at every scale of :data:`SCALES` and summed."""
    from tsinvest.linking.coordination import nearest_partner_gaps

    gaps = nearest_partner_gaps(key, actor, ns)
    total = np.zeros(n_clusters)
    for scale in SCALES:
        width = max(window_ns * scale, 1e9) if scale < 1 else window_ns
        total += np.bincount(cluster[gaps <= width], minlength=n_clusters)
    return total


def _shuffled_within(values: np.ndarray, group: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Permute ``values`` within groups; rows are sorted by ``group``, so each group is contiguous."""
    # One float sort instead of a two-key lexsort: group codes are small integers, so adding a uniform
    # [0, 1) draw orders rows by group, then randomly within it.
    order = np.argsort(group + rng.random(len(values)), kind="stable")
    shuffled = np.empty_like(values)
    shuffled[order] = values
    return shuffled


def coaction_null(actions: pd.DataFrame, memberships: pd.DataFrame, *, window: float,
                  n_permutations: int = 199, shuffle: Literal["account", "uniform"] = "account",
                  anchor: str | None = None, stratum: str | None = None, seed: int = 0, actor: str = "account_id",
                  target: str = "target_id", time: str = "ts", excluded_targets: Iterable[str] = (),
                  stop_after: int = 10, progress: bool = False) -> pd.DataFrame:
    """Observed co-action of each cluster against a shuffled null.

    The statistic counts *coordinated member actions* (actions of a member
    with another member of the same cluster on the same target close in
    time, as in :func:`tsinvest.scoring.member_coordination`) at three
    scales, ``window``, ``window / 10`` and ``window / 100`` (at least 1 s),
    and adds the counts: an action matched within seconds counts three
    times, one matched only within the window once.

    Parameters
    ----------
    actions : DataFrame
        The action table the clusters were found in.
    memberships : DataFrame
        ``account_id``, ``cluster_id``.
    window : float
        Seconds, as used to build the co-action edges.
    n_permutations : int
        Most null samples per cluster; the smallest reachable p-value is
        ``1 / (n + 1)``.
    shuffle : {"account", "uniform"}
        ``"account"``: each member's times are permuted among its own actions
        (keeps every account's volume, rhythm and targets; breaks only the
        alignment between accounts). ``"uniform"``: times are redrawn
        uniformly over the span of ``actions``, for tables where an account
        acts too rarely for a permutation to move anything (reports).
    anchor : str, optional
        Column of ``actions`` with a reference time per action, such as the
        publication time of the target video. With ``shuffle="account"``, a
        member's *delays* after the reference are permuted among its anchored
        actions instead of its clock times (actions without a reference keep
        the clock-time shuffle). Accounts that each react fast to new posts
        keep co-acting in the null, so fast reactions alone are not evidence
        of coordination; a ring acting at a time of its own choosing is.
    stratum : str, optional
        Column of ``actions`` (such as the creator of the target): times are
        permuted only among a member's actions with the same value. An
        account reacts to a creator it follows within a minute and to the
        rest of its feed hours later; mixing the two would make its fast
        reactions look coordinated in the null's eyes.
    seed : int
        Seed of the shuffles.
    actor, target, time : str
        Column names.
    excluded_targets : iterable of str
        Targets left out of the co-action edges (hot targets); their actions
        are not counted.
    stop_after : int
        Sequential stop (Besag and Clifford 1991): a cluster stops sampling
        once this many null samples reached its observed value, with p-value
        ``stop_after / samples``. Clusters well explained by chance stop after
        a few samples; only clusters that look coordinated get all
        ``n_permutations``. 0 turns the stop off.
    progress : bool
        Show a tqdm bar on stderr.

    Returns
    -------
    DataFrame
        ``cluster_id``, ``observed``, ``null_mean``, ``null_std``, ``z_score``,
        ``p_value``, ``permutations`` (samples drawn), sorted by cluster_id.

    Notes
    -----
    Each sample sorts the actions of the clusters still sampling and finds
    each action's nearest co-acting member
    (:func:`~tsinvest.linking.coordination.nearest_partner_gaps`): cost
    ``O(k * M log M)`` for ``k`` samples and ``M`` member actions, with no
    pair of actions formed, so a target that thousands of members acted on
    costs its rows, not their square. The statistic counts actions rather
    than (pair, target) links for that reason; it is as sensitive to a ring
    acting together and bounded by ``3 M``.

    Why several scales: a wide window (600 s) lets rings that spread their
    bursts over minutes link up, but the null then keeps much of a ring's
    alignment too (two shuffled delays land within 10 minutes of each other
    easily), so a test at the window alone misses rings whose members act
    seconds apart. Counting the same gaps at tighter scales costs nothing
    more (one sort gives every gap) and needs no multiple-testing correction,
    because it is one statistic.

    The p-value without a stop is ``(1 + #null >= observed) / (n + 1)``.
    With the sequential stop it is ``stop_after / samples`` for stopped
    clusters, which is valid (Besag and Clifford) and saves most of the work:
    organic clusters are the majority and stop within ``stop_after`` to a few
    dozen samples.

    Examples
    --------
    Three accounts acting together on ten videos, a few seconds apart, each
    also active elsewhere at other times:

    >>> import pandas as pd
    >>> rows = [(a, f"v{i}", i * 3600 + k) for i in range(10) for k, a in enumerate("abc")]
    >>> rows += [(a, f"x{a}{i}", 50000 + i * 977 + k * 131) for i in range(20) for k, a in enumerate("abc")]
    >>> acts = pd.DataFrame(rows, columns=["account_id", "target_id", "s"])
    >>> acts["ts"] = pd.to_datetime(acts["s"], unit="s", utc=True)
    >>> members = pd.DataFrame({"account_id": list("abc"), "cluster_id": ["c"] * 3})
    >>> result = coaction_null(acts, members, window=10, n_permutations=49, seed=1)
    >>> int(result["observed"][0]), bool(result["p_value"][0] <= 0.02)
    (90, True)
    """
    from tsinvest.scoring.features import member_actions

    if shuffle not in ("account", "uniform"):
        raise ParameterError("shuffle must be 'account' or 'uniform'")
    if n_permutations < 1 or stop_after < 0:
        raise ParameterError("n_permutations must be >= 1 and stop_after >= 0")
    if window < 0:
        raise ParameterError("window must be >= 0 seconds")
    frame = member_actions(actions, memberships, actor=actor, target=target, time=time,
                           extra=tuple(c for c in (anchor, stratum) if c))
    excluded = list(excluded_targets)
    if excluded:
        frame = frame[~frame["target"].isin(excluded)]
    clusters = sorted(memberships["cluster_id"].astype("string").unique().tolist())
    result = pd.DataFrame({"cluster_id": pd.array(clusters, dtype="string")})
    empty = dict(observed=0.0, null_mean=0.0, null_std=0.0, z_score=0.0, p_value=1.0, permutations=0)
    if frame.empty:
        return result.assign(**empty)
    all_ns = actions[time].dropna()
    span = ((all_ns.min() - pd.Timestamp(0, tz="UTC")).value, (all_ns.max() - pd.Timestamp(0, tz="UTC")).value)
    rows = _ShuffleRows.of(frame, anchor=anchor, stratum=stratum)
    names = frame["cluster_id"].drop_duplicates().sort_values().tolist()
    window_ns = float(window) * 1e9
    observed = _coordinated_counts(rows.key, rows.actor, rows.ns, rows.cluster, window_ns, len(names))
    sums, squares, exceed, drawn = _sample(rows, observed, window_ns=window_ns, span=span, shuffle=shuffle,
                                           n_permutations=n_permutations, stop_after=stop_after, seed=seed,
                                           progress=progress)
    drawn_safe = np.maximum(drawn, 1)
    mean = sums / drawn_safe
    variance = np.where(drawn > 1, (squares - drawn * mean**2) / np.maximum(drawn - 1, 1), 0.0)
    std = np.sqrt(np.clip(variance, 0.0, None))
    stopped_early = (exceed >= stop_after) & (stop_after > 0)
    p_value = np.where(stopped_early, exceed / drawn_safe, (1 + exceed) / (drawn + 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(std > 0, (observed - mean) / np.where(std > 0, std, 1), np.where(observed > mean, np.inf, 0.0))
    found = pd.DataFrame({
        "cluster_id": pd.array(names, dtype="string"), "observed": observed, "null_mean": mean,
        "null_std": std, "z_score": z, "p_value": p_value, "permutations": drawn,
    })
    result = result.merge(found, on="cluster_id", how="left").fillna(empty)
    result["permutations"] = result["permutations"].astype("int64")
    return result.sort_values("cluster_id").reset_index(drop=True)


@dataclass(frozen=True)
class _ShuffleRows:
    """Member actions sorted by (cluster, actor, anchored, stratum, time): each shuffle unit is contiguous."""

    cluster: np.ndarray
    actor: np.ndarray
    key: np.ndarray
    ns: np.ndarray
    anchored: np.ndarray
    reference: np.ndarray
    values: np.ndarray
    group: np.ndarray

    @classmethod
    def of(cls, frame: pd.DataFrame, *, anchor: str | None, stratum: str | None) -> _ShuffleRows:
        if anchor:
            published = frame[anchor].dt.tz_convert("UTC").dt.as_unit("ns")
            anchored = published.notna().to_numpy()
            reference = published.fillna(pd.Timestamp(0, tz="UTC")).astype("int64").to_numpy()
        else:
            anchored = np.zeros(len(frame), dtype=bool)
            reference = np.zeros(len(frame), dtype=np.int64)
        strata = (pd.factorize(frame[stratum].astype("string"), use_na_sentinel=True)[0].astype(np.int64) + 1
                  if stratum else np.zeros(len(frame), dtype=np.int64))
        order = np.lexsort((frame["ns"].to_numpy(), strata, anchored, frame["actor"].to_numpy(),
                            frame["cluster"].to_numpy()))
        cluster = frame["cluster"].to_numpy()[order]
        actor_codes = frame["actor"].to_numpy()[order]
        ns = frame["ns"].to_numpy()[order]
        anchored, reference, strata = anchored[order], reference[order], strata[order]
        unit = (cluster * (actor_codes.max() + 1) + actor_codes) * 2 + anchored
        group = pd.factorize(pd.MultiIndex.from_arrays([unit, strata]), sort=True)[0] if stratum else unit
        return cls(cluster=cluster, actor=actor_codes, key=frame["key"].to_numpy()[order], ns=ns, anchored=anchored,
                   reference=reference, values=np.where(anchored, ns - reference, ns), group=group)


def _sample(rows: _ShuffleRows, observed: np.ndarray, *, window_ns: float, span: tuple[int, int],
            shuffle: str, n_permutations: int, stop_after: int, seed: int,
            progress: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Null samples with the sequential stop: per cluster the sum and sum of squares, exceedances, samples drawn."""
    from tqdm.auto import tqdm

    n_clusters = len(observed)
    rng = np.random.default_rng(seed)
    sums = np.zeros(n_clusters)
    squares = np.zeros(n_clusters)
    exceed = np.zeros(n_clusters, dtype=np.int64)
    drawn = np.zeros(n_clusters, dtype=np.int64)
    active = np.ones(n_clusters, dtype=bool)
    live = np.ones(len(rows.key), dtype=bool)
    for _ in tqdm(range(n_permutations), desc="null model", unit="sample", disable=not progress, leave=False):
        if not active.any():
            break
        if shuffle == "account":
            shuffled = _shuffled_within(rows.values[live], rows.group[live], rng)
            times = np.where(rows.anchored[live], rows.reference[live] + shuffled, shuffled)
        else:
            times = rng.integers(span[0], span[1] + 1, int(live.sum()), dtype=np.int64)
        counts = _coordinated_counts(rows.key[live], rows.actor[live], times, rows.cluster[live], window_ns,
                                     n_clusters)
        sums[active] += counts[active]
        squares[active] += counts[active] ** 2
        exceed[active] += counts[active] >= observed[active]
        drawn[active] += 1
        if stop_after:
            stopped = active & (exceed >= stop_after)
            if stopped.any():
                active &= ~stopped
                live = active[rows.cluster]
    return sums, squares, exceed, drawn
