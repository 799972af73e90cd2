"""Could a cluster's waves be chance bursts of its targets' own traffic? A scan statistic.

A popular creator is reported dozens of times a day by people who never met.
Among those reporters, a handful will by chance have reported within the same
hour, and the co-action sweep links exactly them: the cluster was *selected*
for being a burst. A shuffle of the members' own times (see
:func:`~tsinvest.scoring.null_model.coaction_null`) cannot see that selection,
because it asks how often these few accounts would meet, not how often some
few of the target's many reporters would. :func:`chance_waves` asks the second
question: given how many actions each target received over the table's span,
how many windows as crowded as the cluster's tightest wave would a process
without any coordination produce. :func:`chance_bystanders` asks how many of
the targets' other actions chance alone puts inside a cluster's waves: the
bystanders that a member who acted once cannot be told from.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from tsinvest.exceptions import ParameterError

__all__ = ["chance_bystanders", "chance_waves"]

#: Wave sizes tried per (cluster, target): the tightest window holding ``m`` of
#: the members' actions, for ``m`` on this grid (and the whole wave).
#: A geometric grid keeps the cost at ``O(R log R)`` for ``R`` member actions
#: while a brigade of 20 in two minutes and six reports strung over an hour are
#: both measured near their own size.
WAVE_SIZES = (2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 1024, 2048, 4096)


def _expected_bursts(m: np.ndarray, width: np.ndarray, rate: np.ndarray, span: float) -> np.ndarray:
    """Expected number of windows of ``width`` seconds holding ``m`` events of a Poisson stream, over ``span``.

    Alm's approximation to the scan statistic (Glaz, Naus and Wallenstein,
    *Scan Statistics*, 2001, ch. 2): ``P(N(w) >= m) + (T - w) / w (m - psi)
    p(m; psi)`` with ``psi = rate * w``, the expected number of declumped
    windows in which the count reaches ``m``. Computed in logs: the values of
    a brigade underflow otherwise.
    """
    from scipy.stats import poisson

    psi = rate * width
    tail = poisson.logsf(m - 1, psi)
    with np.errstate(divide="ignore", invalid="ignore"):
        crowd = (np.log(np.maximum(span - width, 1.0)) - np.log(width) + np.log(np.maximum(m - psi, 1e-300))
                 + poisson.logpmf(m, psi))
    expected = np.exp(np.logaddexp(tail, crowd))
    # Fewer events than the stream brings on average is no burst at all.
    return np.where(m > psi, expected, np.inf)


def chance_waves(actions: pd.DataFrame, memberships: pd.DataFrame, *, actor: str = "account_id",
                 target: str = "target_id", time: str = "ts", min_width: float = 1.0) -> pd.DataFrame:
    """How many waves like each cluster's would its targets' own traffic produce by chance.

    For every target at least two members acted on, take the members' actions
    on it, and for each wave size ``m`` (:data:`WAVE_SIZES`) the shortest time
    ``w`` holding ``m`` of them. Model all actions on the target (the members'
    included, which only makes chance likelier) as a Poisson stream at the
    target's mean rate over the table's span ``T``, and compute the expected
    number of windows of ``w`` holding ``m`` actions (Alm's approximation to
    the scan statistic). A target's value is its smallest such expectation,
    capped at 1; a cluster's is the product over its targets: waves on
    independent targets are independent chances.

    Parameters
    ----------
    actions : DataFrame
        One row per action: ``actor``, ``target``, ``time`` (tz-aware).
    memberships : DataFrame
        ``account_id``, ``cluster_id``.
    actor, target, time : str
        Column names in ``actions``.
    min_width : float
        Seconds; a wave in one second is measured as one second wide.

    Returns
    -------
    DataFrame
        ``cluster_id`` (sorted), ``chance_waves`` (in [0, 1]; 1 when no target
        was acted on by two members), ``wave_targets`` (targets measured).

    Notes
    -----
    The statistic answers the selection the co-action sweep makes: six of a
    famous account's 150 reporters who reported within the same hour look,
    to a shuffle of their own six times, like a one-in-a-million meeting,
    while bursts of six among 150 reports a week happen by chance on a
    famous account once every few weeks (a value of 0.01-0.3), and a brigade
    of 15 in ten minutes stays below 1e-20. The Poisson stream ignores the
    daily rhythm (reports are rarer at night), which makes daytime bursts
    look slightly less likely than they are: the threshold leaves room.
    Cost: one sort of the ``R`` member actions and one pass per wave size,
    ``O(R log R)``; counting each target's actions is one hash group-by over
    the table.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [("a", "famous", h * 1200) for h in range(400)]          # 3 reports an hour, all week
    >>> rows += [(f"b{i}", "quiet", 50_000 + 30 * i) for i in range(8)]  # 8 reports in 4 minutes
    >>> acts = pd.DataFrame(rows, columns=["account_id", "target_id", "s"])
    >>> acts["ts"] = pd.to_datetime(acts["s"], unit="s", utc=True)
    >>> members = pd.DataFrame({"account_id": [f"b{i}" for i in range(8)], "cluster_id": "c"})
    >>> float(chance_waves(acts, members)["chance_waves"][0]) < 1e-9
    True
    """
    if min_width <= 0:
        raise ParameterError("min_width must be > 0 seconds")
    waves = _member_waves(actions, memberships, actor=actor, target=target, time=time, min_width=min_width)
    if waves is None:
        return _unmeasured(memberships).assign(chance_waves=1.0, wave_targets=0)
    codes, seconds, first, last = waves.codes, waves.seconds, waves.first, waves.last
    sizes = last - first + 1
    rate = waves.traffic / waves.span
    # The whole wave first, then the tightest m of it for every m on the grid.
    best = _expected_bursts(sizes.astype("float64"), np.maximum(seconds[last] - seconds[first], min_width), rate,
                            waves.span)
    for m in WAVE_SIZES:
        if m >= sizes.max():
            break
        same = codes[m - 1:] == codes[:len(codes) - m + 1]
        widths = pd.Series(seconds[m - 1:][same] - seconds[:len(seconds) - m + 1][same]).groupby(
            codes[:len(codes) - m + 1][same]).min()
        where = widths.index.to_numpy()
        candidate = _expected_bursts(np.full(len(where), float(m)), np.maximum(widths.to_numpy(), min_width),
                                     rate[where], waves.span)
        best[where] = np.minimum(best[where], candidate)
    per_target = pd.DataFrame({"cluster_id": waves.cluster_ids, "log_chance": np.log(np.clip(best, 1e-300, 1.0))})
    per_cluster = per_target.groupby("cluster_id").agg(log_chance=("log_chance", "sum"),
                                                       wave_targets=("log_chance", "size"))
    result = _unmeasured(memberships).merge(per_cluster.reset_index(), on="cluster_id", how="left")
    return pd.DataFrame({"cluster_id": result["cluster_id"],
                         "chance_waves": np.exp(result["log_chance"].fillna(0.0).to_numpy()),
                         "wave_targets": result["wave_targets"].fillna(0).astype("int64").to_numpy()})


def chance_bystanders(actions: pd.DataFrame, memberships: pd.DataFrame, *, actor: str = "account_id",
                      target: str = "target_id", time: str = "ts", wave_gap: float = 3600.0,
                      min_width: float = 1.0) -> pd.DataFrame:
    """How many of its targets' other actions chance alone puts inside each cluster's waves.

    A brigade member who reported once, inside the wave, looks exactly like
    someone who happened to report the same victim for the same reason in
    the same minutes: popular accounts are reported all day. Nothing in the
    report tells them apart, but the victims' own traffic says how many such
    bystanders to expect. For every target at least two members acted on, the
    members' actions fall into waves (a pause longer than ``wave_gap`` starts
    a new one); the actions on the target by everyone else, spread evenly
    over the table's span, put ``rate x width`` of them inside each wave.

    Parameters
    ----------
    actions : DataFrame
        One row per action: ``actor``, ``target``, ``time`` (tz-aware).
    memberships : DataFrame
        ``account_id``, ``cluster_id``: the members whose waves are measured
        (the flagged ones, so a bystander does not widen the wave).
    actor, target, time : str
        Column names in ``actions``.
    wave_gap : float
        Seconds; members' actions on one target further apart are two waves.
    min_width : float
        Seconds; a wave in one second is measured as one second wide.

    Returns
    -------
    DataFrame
        ``cluster_id`` (sorted), ``expected_bystanders`` (0 when no target was
        acted on by two members).

    Notes
    -----
    The even spread ignores the daily rhythm, like :func:`chance_waves`.
    On 160 folders of ``bench/quality.py`` (seeds 17000-17019 and
    18000-18019, both generators and settings) the 719 flagged brigades
    expected 3.9 bystanders in all (at most 0.41 in one brigade) and 2 were
    flagged; the 520 tuning folders of the round before had flagged 12 (0.023
    a folder, against 0.025 expected here): the bystanders the member rule
    lets in are about as many as chance brings. Cost: one sort of the ``R``
    member actions, ``O(R log R)``, and one hash group-by over the table for
    the targets' traffic.

    Examples
    --------
    Eight reports in four minutes of an account that others report three
    times an hour: chance puts about 0.2 of those reports inside the wave.

    >>> import pandas as pd
    >>> rows = [(f"o{h}", "victim", h * 1200) for h in range(400)]
    >>> rows += [(f"b{i}", "victim", 50_010 + 30 * i) for i in range(8)]
    >>> acts = pd.DataFrame(rows, columns=["account_id", "target_id", "s"])
    >>> acts["ts"] = pd.to_datetime(acts["s"], unit="s", utc=True)
    >>> members = pd.DataFrame({"account_id": [f"b{i}" for i in range(8)], "cluster_id": "c"})
    >>> round(float(chance_bystanders(acts, members)["expected_bystanders"][0]), 2)
    0.18
    """
    if min_width <= 0 or wave_gap <= 0:
        raise ParameterError("wave_gap and min_width must be > 0 seconds")
    waves = _member_waves(actions, memberships, actor=actor, target=target, time=time, min_width=min_width)
    if waves is None:
        return _unmeasured(memberships).assign(expected_bystanders=0.0)
    codes, seconds = waves.codes, waves.seconds
    new_wave = np.r_[True, (codes[1:] != codes[:-1]) | (np.diff(seconds) > wave_gap)]
    starts = np.flatnonzero(new_wave)
    ends = np.r_[starts[1:], len(seconds)] - 1
    widths = np.bincount(codes[starts], weights=np.maximum(seconds[ends] - seconds[starts], min_width),
                         minlength=len(waves.first))
    others = np.maximum(waves.traffic - (waves.last - waves.first + 1), 0.0)
    per_target = pd.DataFrame({"cluster_id": waves.cluster_ids, "expected_bystanders": others / waves.span * widths})
    per_cluster = per_target.groupby("cluster_id")["expected_bystanders"].sum().reset_index()
    result = _unmeasured(memberships).merge(per_cluster, on="cluster_id", how="left")
    return result.assign(expected_bystanders=result["expected_bystanders"].fillna(0.0))


class _Waves(NamedTuple):
    """Member actions on the targets two members acted on, sorted by (cluster, target, time).

    ``codes`` numbers the (cluster, target) keys 0..K-1 row by row;
    ``first``/``last`` are each key's first and last row; ``traffic`` is
    every action on the key's target in the table; ``cluster_ids`` each key's
    cluster; ``span`` the table's span in seconds.
    """

    codes: np.ndarray
    seconds: np.ndarray
    first: np.ndarray
    last: np.ndarray
    traffic: np.ndarray
    cluster_ids: np.ndarray
    span: float


def _unmeasured(memberships: pd.DataFrame) -> pd.DataFrame:
    """One row per cluster (sorted ``cluster_id``), to fill in."""
    clusters = sorted(memberships["cluster_id"].astype("string").unique().tolist())
    return pd.DataFrame({"cluster_id": pd.array(clusters, dtype="string")})


def _member_waves(actions: pd.DataFrame, memberships: pd.DataFrame, *, actor: str, target: str, time: str,
                  min_width: float) -> _Waves | None:
    """The members' actions on the targets at least two of them acted on; ``None`` when there are none."""
    from tsinvest.scoring.features import member_actions

    frame = member_actions(actions, memberships, actor=actor, target=target, time=time)
    if frame.empty:
        return None
    all_times = actions[time].dropna()
    span = max((all_times.max() - all_times.min()).total_seconds(), min_width)
    frame = frame.sort_values(["key", "ns"], kind="mergesort")
    actors = frame.groupby("key")["actor"].nunique()
    frame = frame[frame["key"].isin(actors.index[actors >= 2])]
    if frame.empty:
        return None
    keys = frame["key"].to_numpy()
    starts = np.r_[True, keys[1:] != keys[:-1]]
    first = np.flatnonzero(starts)
    traffic = actions[target].astype("string").value_counts()
    return _Waves(codes=np.cumsum(starts) - 1, seconds=frame["ns"].to_numpy() / 1e9, first=first,
                  last=np.r_[first[1:], len(keys)] - 1,
                  traffic=traffic.reindex(frame["target"].to_numpy()[first]).to_numpy(dtype="float64"),
                  cluster_ids=frame["cluster_id"].to_numpy()[first], span=span)
