"""Is a cluster's co-action more than chance? A seeded time-shuffle null model.

Heavy users who like popular videos co-act with each other by chance: the more
two accounts act, the more often they land on the same video within a minute.
:func:`coaction_null` asks how much co-action the *same* members would show if
their timing carried no coordination, by shuffling times and recounting.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from tsinvest.exceptions import ParameterError

__all__ = ["coaction_null"]


def _count_links(con, frame: pd.DataFrame, window: float) -> pd.DataFrame:
    con.register("shuffled", frame)
    try:
        return con.execute(
            """
            SELECT x.perm, x.cluster, count(DISTINCT (x.actor, y.actor, x.target)) AS links
            FROM shuffled x JOIN shuffled y
              ON x.perm = y.perm AND x.cluster = y.cluster AND x.target = y.target
             AND x.actor < y.actor AND abs(x.t - y.t) <= ?
            GROUP BY x.perm, x.cluster
            """,
            [float(window)],
        ).df()
    finally:
        con.unregister("shuffled")


def coaction_null(actions: pd.DataFrame, memberships: pd.DataFrame, *, window: float,
                  n_permutations: int = 199, shuffle: Literal["account", "uniform"] = "account",
                  seed: int = 0, actor: str = "account_id", target: str = "target_id", time: str = "ts",
                  batch: int = 25, progress: bool = False) -> pd.DataFrame:
    """Observed co-action of each cluster against a time-shuffled null.

    The statistic is the number of distinct (member pair, target) combinations
    where both members acted on the target within ``window`` seconds (the
    summed co-action weight inside the cluster).

    Parameters
    ----------
    actions : DataFrame
        The action table the clusters were found in.
    memberships : DataFrame
        ``account_id``, ``cluster_id``.
    window : float
        Seconds, as used to build the co-action edges.
    n_permutations : int
        Null samples; the smallest reachable p-value is ``1 / (n + 1)``.
    shuffle : {"account", "uniform"}
        ``"account"``: each member's action times are permuted among its own
        actions (keeps every account's volume, daily rhythm and targets; breaks
        only the alignment between accounts). ``"uniform"``: times are redrawn
        uniformly over the span of ``actions``, for tables where an account
        acts too rarely for a permutation to move anything (reports).
    seed : int
        Seed of the shuffles.
    actor, target, time : str
        Column names.
    batch : int
        Permutations per DuckDB query (bounds memory).
    progress : bool
        Show a tqdm bar on stderr.

    Returns
    -------
    DataFrame
        ``cluster_id``, ``observed``, ``null_mean``, ``null_std``, ``z_score``,
        ``p_value`` (``(1 + #null >= observed) / (n + 1)``), sorted by cluster_id.

    Notes
    -----
    Cost: the members' actions are copied ``n_permutations`` times and
    self-joined on (permutation, cluster, target) inside the window in DuckDB;
    roughly ``n_permutations * sum over targets of (member actions on it)^2``.

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
    (30, True)
    """
    from tqdm.auto import tqdm

    if shuffle not in ("account", "uniform"):
        raise ParameterError("shuffle must be 'account' or 'uniform'")
    if n_permutations < 1 or batch < 1:
        raise ParameterError("n_permutations and batch must be >= 1")
    missing = [c for c in (actor, target, time) if c not in actions.columns]
    if missing:
        raise ParameterError(f"actions lacks column(s) {', '.join(missing)}; pass actor=, target=, time=")
    import duckdb

    members = memberships[["account_id", "cluster_id"]].astype("string")
    seconds = (actions[time] - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy(dtype="float64")
    span = (np.nanmin(seconds), np.nanmax(seconds)) if len(seconds) else (0.0, 0.0)
    base = pd.DataFrame({"actor": actions[actor].astype("string"), "target": actions[target].astype("string"),
                         "t": seconds})
    base = base.merge(members.rename(columns={"account_id": "actor", "cluster_id": "cluster"}), on="actor")
    base = base.dropna().sort_values(["cluster", "actor", "t", "target"]).reset_index(drop=True)
    clusters = sorted(members["cluster_id"].unique().tolist())
    result = pd.DataFrame({"cluster_id": pd.array(clusters, dtype="string")})
    if base.empty:
        result = result.assign(observed=0.0, null_mean=0.0, null_std=0.0, z_score=0.0, p_value=1.0)
        return result
    group = pd.factorize(base["cluster"].astype(str) + "\x00" + base["actor"].astype(str))[0]
    t = base["t"].to_numpy()
    target_codes, target_names = pd.factorize(base["target"])
    cluster_codes, cluster_names = pd.factorize(base["cluster"])
    actor_codes, _ = pd.factorize(base["actor"])
    rng = np.random.default_rng(seed)
    n = len(base)

    null = np.zeros((len(cluster_names), n_permutations))
    with duckdb.connect() as con:
        observed_frame = pd.DataFrame({"perm": np.zeros(n, dtype=np.int32), "cluster": cluster_codes,
                                       "actor": actor_codes, "target": target_codes, "t": t})
        observed_links = _count_links(con, observed_frame, window)
        observed = np.zeros(len(cluster_names))
        observed[observed_links["cluster"].to_numpy()] = observed_links["links"].to_numpy()
        starts = range(0, n_permutations, batch)
        for start in tqdm(starts, desc="null model", unit="batch", disable=not progress, leave=False):
            count = min(batch, n_permutations - start)
            times = np.empty((count, n))
            for k in range(count):
                if shuffle == "account":
                    order = np.lexsort((rng.random(n), group))
                    times[k, order] = t
                else:
                    times[k] = rng.uniform(span[0], span[1], n)
            frame = pd.DataFrame({
                "perm": np.repeat(np.arange(start, start + count, dtype=np.int32), n),
                "cluster": np.tile(cluster_codes, count), "actor": np.tile(actor_codes, count),
                "target": np.tile(target_codes, count), "t": times.ravel(),
            })
            links = _count_links(con, frame, window)
            null[links["cluster"].to_numpy(), links["perm"].to_numpy()] = links["links"].to_numpy()
    mean = null.mean(axis=1)
    std = null.std(axis=1, ddof=1) if n_permutations > 1 else np.zeros(len(cluster_names))
    exceed = (null >= observed[:, None]).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(std > 0, (observed - mean) / np.where(std > 0, std, 1), np.where(observed > mean, np.inf, 0.0))
    found = pd.DataFrame({
        "cluster_id": pd.array(list(cluster_names), dtype="string"), "observed": observed, "null_mean": mean,
        "null_std": std, "z_score": z, "p_value": (1 + exceed) / (n_permutations + 1),
    })
    result = result.merge(found, on="cluster_id", how="left")
    result = result.fillna({"observed": 0.0, "null_mean": 0.0, "null_std": 0.0, "z_score": 0.0, "p_value": 1.0})
    return result.sort_values("cluster_id").reset_index(drop=True)
