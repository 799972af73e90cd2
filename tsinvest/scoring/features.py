"""Per-cluster features: shape, weights, coordinated share, creation tightness, names, text.

Everything here works on a *membership table* (``account_id``, ``cluster_id``,
see :mod:`tsinvest.graph.communities`), the edge table of the cluster's signal
and small per-member slices of the raw tables. Co-action per member is
counted with one sort, never a self-join on target.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.schemas import require_columns

__all__ = ["member_actions", "member_coordination", "cluster_features", "FEATURE_COLUMNS"]

#: Feature columns of :func:`cluster_features`, in order.
FEATURE_COLUMNS = (
    "size", "edges", "density", "mean_weight", "total_weight",
    "actions", "coordinated_share", "coordinated_targets", "median_gap_s", "top_source_share", "burst_share",
    "creation_span_hours", "creation_burst_share", "median_age_days", "template_share",
    "shared_values", "duplicated_texts",
)


def member_actions(actions: pd.DataFrame, memberships: pd.DataFrame, *, actor: str = "account_id",
                   target: str = "target_id", time: str = "ts",
                   extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """The actions of cluster members, one row per (cluster, action), with integer codes.

    Returns ``cluster_id``, ``account_id``, ``target`` (strings), ``cluster``,
    ``actor``, ``key`` (int64 codes; ``key`` is one code per (cluster,
    target)), ``ns`` (int64 nanoseconds) and the ``extra`` columns. Rows with
    a missing actor, target or time are not actions and are left out.
    """
    require_columns(actions, [actor, target, time, *extra], name="actions")
    require_columns(memberships, ["account_id", "cluster_id"], name="memberships")
    members = memberships[["account_id", "cluster_id"]].astype("string").drop_duplicates()
    frame = pd.DataFrame({"account_id": actions[actor].astype("string"), "target": actions[target].astype("string"),
                          "time": actions[time]})
    for column in extra:
        frame[column] = actions[column].array
    frame = frame.dropna(subset=["account_id", "target", "time"])
    frame = frame.merge(members, on="account_id", how="inner", sort=False)
    frame["ns"] = frame.pop("time").dt.tz_convert("UTC").dt.as_unit("ns").astype("int64")
    frame["cluster"] = pd.factorize(frame["cluster_id"], sort=True)[0].astype(np.int64)
    frame["actor"] = pd.factorize(frame["account_id"], sort=True)[0].astype(np.int64)
    target_codes, target_names = pd.factorize(frame["target"], sort=True)
    frame["key"] = frame["cluster"] * max(len(target_names), 1) + target_codes
    return frame.reset_index(drop=True)


def _window_counts(keys: np.ndarray, seconds: np.ndarray, query_keys: np.ndarray, query_seconds: np.ndarray,
                   window: float) -> np.ndarray:
    """Rows with the query's key within ``window`` seconds of the query time (both sides, inclusive)."""
    span = int(seconds.max() - seconds.min()) + 2 * int(np.ceil(window)) + 2 if len(seconds) else 1
    base = seconds.min() - int(np.ceil(window)) - 1 if len(seconds) else 0
    combined = np.sort(keys.astype(np.int64) * span + (seconds - base))
    query = query_keys.astype(np.int64) * span + (query_seconds - base)
    reach = int(np.floor(window))
    upper = np.searchsorted(combined, query + reach, side="right")
    return upper - np.searchsorted(combined, query - reach, side="left")


def _burst_share(actions: pd.DataFrame, members: pd.DataFrame, *, window: float, target: str, time: str) -> np.ndarray:
    """Per member action: share of the actions on its target within ``window`` that came from its cluster."""
    if members.empty:
        return np.zeros(0)
    valid = actions[[target, time]].dropna()
    target_codes, target_names = pd.factorize(valid[target].astype("string"), sort=True)
    seconds = (valid[time].dt.tz_convert("UTC").dt.as_unit("ns").astype("int64").to_numpy() // 1_000_000_000)
    member_seconds = members["ns"].to_numpy() // 1_000_000_000
    member_targets = pd.Index(target_names).get_indexer(members["target"])
    everyone = _window_counts(target_codes, seconds, member_targets, member_seconds, window)
    cluster = _window_counts(members["key"].to_numpy(), member_seconds, members["key"].to_numpy(), member_seconds,
                             window)
    return cluster / np.maximum(everyone, 1)


def member_coordination(actions: pd.DataFrame, memberships: pd.DataFrame, *, window: float,
                        actor: str = "account_id", target: str = "target_id", time: str = "ts",
                        source: str | None = None, excluded_targets: Iterable[str] = ()) -> pd.DataFrame:
    """How much of each member's activity is coordinated with the rest of its cluster.

    An action of a member is *coordinated* when another member of the same
    cluster acted on the same target within ``window`` seconds of it (the
    definition of :func:`tsinvest.linking.coordination.coordination_edges`,
    per action: :func:`~tsinvest.linking.coordination.nearest_partner_gaps`).

    Parameters
    ----------
    actions : DataFrame
        Action table (events or reports) with ``actor``, ``target``, ``time``
        and optionally ``source`` (who posted the target).
    memberships : DataFrame
        ``account_id``, ``cluster_id``.
    window : float
        Seconds.
    actor, target, time, source : str
        Column names.
    excluded_targets : iterable of str
        Targets left out of the co-action edges (hot targets): actions on them
        count as actions, never as coordinated ones.

    Returns
    -------
    DataFrame
        One row per (cluster_id, account_id): ``actions``, ``coordinated``
        (counts), ``coordinated_share``, ``median_gap_s`` (median seconds to
        the nearest co-acting member, over coordinated actions),
        ``burst_share`` (mean over its coordinated actions of the share of all
        actions on that target within ``window`` that came from its cluster),
        ``top_source`` / ``top_source_coordinated`` (the source most of its
        coordinated actions went to, and how many did).

    Notes
    -----
    One sort of the members' actions by (cluster, target, time):
    ``O(M log M)`` for ``M`` member actions, however many members acted on
    one target, and binary searches of the ``N`` actions sorted by (target,
    time) for ``burst_share``: ``O((N + M) log N)``. No self-join, so a viral
    video inside a cluster costs no more than its rows.

    ``burst_share`` tells a ring from a crowd: when a ring boosts a video,
    the accounts acting on it in those minutes are mostly the ring; when a
    video goes viral, the accounts a clustering puts together are a slice of
    the thousands acting on it at once.

    Examples
    --------
    >>> import pandas as pd
    >>> acts = pd.DataFrame({"account_id": ["1", "2", "1", "2"], "target_id": ["v", "v", "w", "x"],
    ...     "ts": pd.to_datetime([0, 5, 100, 9000], unit="s", utc=True)})
    >>> members = pd.DataFrame({"account_id": ["1", "2"], "cluster_id": ["c", "c"]})
    >>> member_coordination(acts, members, window=60)[["account_id", "actions", "coordinated"]].values.tolist()
    [['1', 2, 1], ['2', 2, 1]]
    """
    from tsinvest.linking.coordination import nearest_partner_gaps

    if window < 0:
        raise ParameterError("window must be >= 0 seconds")
    frame = member_actions(actions, memberships, actor=actor, target=target, time=time,
                           extra=(source,) if source else ())
    gaps = nearest_partner_gaps(frame["key"].to_numpy(), frame["actor"].to_numpy(), frame["ns"].to_numpy()) / 1e9
    excluded = frame["target"].isin(list(excluded_targets)).to_numpy(dtype=bool)
    frame["coordinated"] = (gaps <= float(window)) & ~excluded
    frame["gap"] = np.where(frame["coordinated"], gaps, np.nan)
    share = _burst_share(actions, frame, window=window, target=target, time=time)
    frame["burst_share"] = np.where(frame["coordinated"], share, np.nan)
    per_member = frame.groupby(["cluster_id", "account_id"], sort=True).agg(
        actions=("coordinated", "size"), coordinated=("coordinated", "sum"), median_gap_s=("gap", "median"),
        burst_share=("burst_share", "mean"))
    members = memberships[["cluster_id", "account_id"]].astype("string").drop_duplicates()
    result = members.merge(per_member.reset_index(), on=["cluster_id", "account_id"], how="left")
    if source:
        sources = frame[frame["coordinated"]].dropna(subset=[source])
        counts = sources.groupby(["cluster_id", "account_id", source], sort=True).size().rename("n").reset_index()
        counts = counts.sort_values(["cluster_id", "account_id", "n", source], ascending=[True, True, False, True],
                                    kind="mergesort").drop_duplicates(["cluster_id", "account_id"])
        counts = counts.rename(columns={source: "top_source", "n": "top_source_coordinated"})
        result = result.merge(counts, on=["cluster_id", "account_id"], how="left")
    else:
        result["top_source"] = pd.NA
        result["top_source_coordinated"] = 0
    for column in ("cluster_id", "account_id", "top_source"):
        result[column] = result[column].astype("string")
    for column in ("actions", "coordinated", "top_source_coordinated"):
        result[column] = result[column].fillna(0).astype("int64")
    result["median_gap_s"] = result["median_gap_s"].astype("float64")
    result["burst_share"] = result["burst_share"].astype("float64")
    result["coordinated_share"] = np.where(result["actions"] > 0,
                                           result["coordinated"] / result["actions"].clip(lower=1), 0.0)
    columns = ["cluster_id", "account_id", "actions", "coordinated", "coordinated_share",
               "median_gap_s", "burst_share", "top_source", "top_source_coordinated"]
    return result[columns].sort_values(["cluster_id", "account_id"]).reset_index(drop=True)


def cluster_features(memberships: pd.DataFrame, edges: pd.DataFrame, *,
                     coordination: pd.DataFrame | None = None,
                     accounts: pd.DataFrame | None = None,
                     as_of: pd.Timestamp | str | None = None,
                     burst_hours: float = 2.0) -> pd.DataFrame:
    """One row of features per cluster.

    Parameters
    ----------
    memberships : DataFrame
        ``account_id``, ``cluster_id``.
    edges : DataFrame
        Edges (``EDGE_COLUMNS``) of the signal(s) the clusters were found with.
    coordination : DataFrame, optional
        Output of :func:`member_coordination` for these clusters; gives
        ``actions``, ``coordinated_share``, ``median_gap_s``, ``top_source_share``.
    accounts : DataFrame, optional
        Accounts table (``account_id``, ``created_at``, ``username``); gives the
        creation and username features.
    as_of : Timestamp or str, optional
        Reference time for ``median_age_days`` (never the wall clock).
    burst_hours : float
        Width of the creation-burst window.

    Returns
    -------
    DataFrame
        ``cluster_id`` plus :data:`FEATURE_COLUMNS`, sorted by cluster_id.
        ``density`` = linked pairs / possible pairs; ``coordinated_share`` =
        coordinated member actions / member actions; ``top_source_share`` =
        share of coordinated actions on targets of the single most common
        source (one creator); ``creation_burst_share`` = largest share of
        members created within ``burst_hours``; ``template_share`` = share of
        usernames with the most common shape; ``shared_values`` = distinct
        shared device/IP values in the evidence; ``duplicated_texts`` =
        copy-paste matched posts (sum of copy-paste weights).

    Examples
    --------
    >>> import pandas as pd
    >>> members = pd.DataFrame({"account_id": ["1", "2", "3"], "cluster_id": ["c"] * 3})
    >>> edges = pd.DataFrame({"account_a": ["1", "1"], "account_b": ["2", "3"], "signal": "co_action",
    ...     "weight": [4.0, 2.0], "first_ts": pd.NaT, "last_ts": pd.NaT, "evidence": ""})
    >>> f = cluster_features(members, edges)
    >>> f[["size", "edges", "density", "mean_weight"]].values.tolist()
    [[3.0, 2.0, 0.6666666666666666, 3.0]]
    """
    from tsinvest.graph.communities import edges_within_clusters

    require_columns(memberships, ["account_id", "cluster_id"], name="memberships")
    members = memberships[["account_id", "cluster_id"]].astype("string")
    sizes = members.groupby("cluster_id").size().rename("size").astype("float64")
    features = pd.DataFrame(index=sizes.index)
    features["size"] = sizes
    # An account may sit in several clusters (a farm's device cluster and its co-follow cluster).
    inside = edges_within_clusters(edges[["account_a", "account_b", "signal", "weight", "evidence"]], members)
    inside = inside.rename(columns={"cluster_id": "ca"})
    _add_shape(features, inside)
    _add_evidence(features, inside)
    _add_coordination(features, coordination)
    _add_accounts(features, members, accounts, as_of=as_of, burst_hours=burst_hours)
    features = features.reset_index(names="cluster_id")
    features["cluster_id"] = features["cluster_id"].astype("string")
    return features[["cluster_id", *FEATURE_COLUMNS]].sort_values("cluster_id").reset_index(drop=True)


def _add_shape(features: pd.DataFrame, inside: pd.DataFrame) -> None:
    """``edges``, ``total_weight``, ``density``, ``mean_weight`` from the edges inside each cluster."""
    pair_weight = inside.groupby(["ca", "account_a", "account_b"])["weight"].sum().reset_index()
    per_cluster = pair_weight.groupby("ca")["weight"].agg(["count", "sum"])
    features["edges"] = per_cluster["count"].reindex(features.index).fillna(0).astype("float64")
    features["total_weight"] = per_cluster["sum"].reindex(features.index).fillna(0).astype("float64")
    possible = features["size"] * (features["size"] - 1) / 2
    features["density"] = np.where(possible > 0, features["edges"] / possible.clip(lower=1), 0.0)
    features["mean_weight"] = np.where(features["edges"] > 0,
                                       features["total_weight"] / features["edges"].clip(lower=1), 0.0)


def _add_evidence(features: pd.DataFrame, inside: pd.DataFrame) -> None:
    """``shared_values`` and ``duplicated_texts`` from the evidence of edges inside clusters."""
    import json

    shared_rows = inside[inside["signal"].astype("string").str.startswith("shared_")]
    shared_counts = {}
    for cid, group in shared_rows.groupby("ca"):
        values = set()
        for text in group["evidence"].dropna():
            try:
                parsed = json.loads(text)
            except (TypeError, ValueError):
                continue
            for item in parsed if isinstance(parsed, list) else []:
                values.add(str(item.get("value")) if isinstance(item, dict) else str(item))
        shared_counts[cid] = len(values)
    features["shared_values"] = pd.Series(shared_counts, dtype="float64").reindex(features.index).fillna(0.0)
    copies = inside[inside["signal"] == "copy_paste"].groupby("ca")["weight"].sum()
    features["duplicated_texts"] = copies.reindex(features.index).fillna(0.0).astype("float64")


def _add_coordination(features: pd.DataFrame, coordination: pd.DataFrame | None) -> None:
    """Co-action features from :func:`member_coordination` (NaN without it)."""
    if coordination is None or not len(coordination):
        for column in ("actions", "coordinated_share", "coordinated_targets", "median_gap_s", "top_source_share",
                       "burst_share"):
            features[column] = np.nan
        return
    weighted = coordination.assign(burst=coordination["burst_share"].fillna(0) * coordination["coordinated"])
    c = weighted.groupby("cluster_id").agg(
        actions=("actions", "sum"), coordinated=("coordinated", "sum"), median_gap_s=("median_gap_s", "median"),
        burst=("burst", "sum"))
    features["burst_share"] = (c["burst"] / c["coordinated"].clip(lower=1)).reindex(features.index)
    features["actions"] = c["actions"].reindex(features.index).astype("float64")
    features["coordinated_share"] = (c["coordinated"] / c["actions"].clip(lower=1)).reindex(features.index)
    features["coordinated_targets"] = c["coordinated"].reindex(features.index).astype("float64")
    features["median_gap_s"] = c["median_gap_s"].reindex(features.index)
    sources = coordination.dropna(subset=["top_source"])
    per_source = sources.groupby(["cluster_id", "top_source"])["top_source_coordinated"].sum()
    top = per_source.groupby(level="cluster_id").max() if len(per_source) else pd.Series(dtype="float64")
    features["top_source_share"] = (top / c["coordinated"].clip(lower=1)).reindex(features.index)


def _add_accounts(features: pd.DataFrame, members: pd.DataFrame, accounts: pd.DataFrame | None, *,
                  as_of: pd.Timestamp | str | None, burst_hours: float) -> None:
    """Creation span and burst, median age and username templates (:mod:`tsinvest.linking.account_features`)."""
    from tsinvest.linking.account_features import account_age_days, cluster_creation_bursts, cluster_template_shares

    for column in ("creation_span_hours", "creation_burst_share", "median_age_days", "template_share"):
        features[column] = np.nan
    if accounts is None or not len(accounts):
        return
    require_columns(accounts, ["account_id", "created_at"], name="accounts")
    info = accounts.drop_duplicates("account_id").assign(account_id=lambda f: f["account_id"].astype("string"))
    joined = members.merge(info, on="account_id", how="left")
    if as_of is not None:
        ages = account_age_days(joined, as_of).to_numpy()
        features["median_age_days"] = pd.Series(ages).groupby(joined["cluster_id"].to_numpy()).median()
    bursts = cluster_creation_bursts(joined["created_at"], joined["cluster_id"], burst_hours=burst_hours)
    features["creation_span_hours"] = bursts["span_hours"].reindex(features.index)
    features["creation_burst_share"] = bursts["largest_burst_share"].reindex(features.index)
    if "username" in joined:
        features["template_share"] = cluster_template_shares(joined["username"], joined["cluster_id"]).reindex(
            features.index)
