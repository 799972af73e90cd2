"""Per-cluster features: shape, weights, coordinated share, creation tightness, names, text.

Everything here works on a *membership table* (``account_id``, ``cluster_id``,
see :mod:`tsinvest.graph.communities`), the edge table of the cluster's signal
and small per-member slices of the raw tables. The one join over actions runs
in DuckDB.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsinvest.exceptions import ParameterError

__all__ = ["member_coordination", "cluster_features", "FEATURE_COLUMNS"]

#: Feature columns of :func:`cluster_features`, in order.
FEATURE_COLUMNS = (
    "size", "edges", "density", "mean_weight", "total_weight",
    "actions", "coordinated_share", "coordinated_targets", "median_gap_s", "top_source_share",
    "creation_span_hours", "creation_burst_share", "median_age_days", "template_share",
    "shared_values", "duplicated_texts",
)


def _check(frame: pd.DataFrame, columns, name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ParameterError(f"{name} lacks column(s) {', '.join(missing)}; pass the column names as keyword arguments")


def member_coordination(actions: pd.DataFrame, memberships: pd.DataFrame, *, window: float,
                        actor: str = "account_id", target: str = "target_id", time: str = "ts",
                        source: str | None = None) -> pd.DataFrame:
    """How much of each member's activity is coordinated with the rest of its cluster.

    An action of a member is *coordinated* when another member of the same
    cluster acted on the same target within ``window`` seconds of it.

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

    Returns
    -------
    DataFrame
        One row per (cluster_id, account_id): ``actions``, ``coordinated``
        (counts), ``coordinated_share``, ``partners`` (distinct members it
        co-acted with), ``median_gap_s`` (median seconds to its nearest
        co-acting partner), ``top_source`` / ``top_source_coordinated`` (the
        source most of its coordinated actions went to, and how many did).

    Notes
    -----
    One DuckDB self-join of the members' actions on (cluster, target) within
    the window; cost grows with the number of member actions per target.

    Examples
    --------
    >>> import pandas as pd
    >>> acts = pd.DataFrame({"account_id": ["1", "2", "1", "2"], "target_id": ["v", "v", "w", "x"],
    ...     "ts": pd.to_datetime([0, 5, 100, 9000], unit="s", utc=True)})
    >>> members = pd.DataFrame({"account_id": ["1", "2"], "cluster_id": ["c", "c"]})
    >>> member_coordination(acts, members, window=60)[["account_id", "actions", "coordinated"]].values.tolist()
    [['1', 2, 1], ['2', 2, 1]]
    """
    import duckdb

    _check(actions, [actor, target, time] + ([source] if source else []), "actions")
    _check(memberships, ["account_id", "cluster_id"], "memberships")
    if window < 0:
        raise ParameterError("window must be >= 0 seconds")
    frame = pd.DataFrame({
        "actor": actions[actor].astype("string"),
        "target": actions[target].astype("string"),
        "t": (actions[time] - pd.Timestamp(0, tz="UTC")).dt.total_seconds().astype("float64"),
        "source": actions[source].astype("string") if source else pd.Series(pd.NA, index=actions.index, dtype="string"),
    })
    members = memberships[["account_id", "cluster_id"]].astype("string")
    with duckdb.connect() as con:
        con.register("acts", frame)
        con.register("members", members)
        result = con.execute(
            """
            WITH m AS (
                SELECT row_number() OVER () AS rid, mb.cluster_id, a.actor, a.target, a.t, a.source
                FROM acts a JOIN members mb ON a.actor = mb.account_id
            ),
            pairs AS (
                SELECT x.rid, x.cluster_id, x.actor, x.source, y.actor AS partner, abs(x.t - y.t) AS gap
                FROM m x JOIN m y
                  ON x.cluster_id = y.cluster_id AND x.target = y.target AND x.actor <> y.actor
                 AND abs(x.t - y.t) <= ?
            ),
            per_action AS (
                SELECT rid, cluster_id, actor, any_value(source) AS source, min(gap) AS gap FROM pairs
                GROUP BY rid, cluster_id, actor
            ),
            sources AS (
                SELECT cluster_id, actor, source, count(*) AS n,
                       row_number() OVER (PARTITION BY cluster_id, actor ORDER BY count(*) DESC, source) AS r
                FROM per_action WHERE source IS NOT NULL GROUP BY cluster_id, actor, source
            ),
            totals AS (SELECT cluster_id, actor, count(*) AS actions FROM m GROUP BY cluster_id, actor),
            coordinated AS (
                SELECT cluster_id, actor, count(*) AS coordinated, median(gap) AS median_gap_s
                FROM per_action GROUP BY cluster_id, actor
            ),
            partners AS (SELECT cluster_id, actor, count(DISTINCT partner) AS partners FROM pairs GROUP BY cluster_id, actor)
            SELECT mb.cluster_id, mb.account_id,
                   coalesce(t.actions, 0) AS actions, coalesce(c.coordinated, 0) AS coordinated,
                   coalesce(p.partners, 0) AS partners, c.median_gap_s,
                   s.source AS top_source, coalesce(s.n, 0) AS top_source_coordinated
            FROM members mb
            LEFT JOIN totals t ON t.cluster_id = mb.cluster_id AND t.actor = mb.account_id
            LEFT JOIN coordinated c ON c.cluster_id = mb.cluster_id AND c.actor = mb.account_id
            LEFT JOIN partners p ON p.cluster_id = mb.cluster_id AND p.actor = mb.account_id
            LEFT JOIN sources s ON s.cluster_id = mb.cluster_id AND s.actor = mb.account_id AND s.r = 1
            ORDER BY mb.cluster_id, mb.account_id
            """,
            [float(window)],
        ).df()
    for column in ("cluster_id", "account_id", "top_source"):
        result[column] = result[column].astype("string")
    for column in ("actions", "coordinated", "partners", "top_source_coordinated"):
        result[column] = result[column].astype("int64")
    result["median_gap_s"] = result["median_gap_s"].astype("float64")
    result["coordinated_share"] = np.where(result["actions"] > 0, result["coordinated"] / result["actions"].clip(lower=1), 0.0)
    columns = ["cluster_id", "account_id", "actions", "coordinated", "coordinated_share", "partners",
               "median_gap_s", "top_source", "top_source_coordinated"]
    return result[columns].reset_index(drop=True)


def _longest_burst_share(hours: np.ndarray, width: float) -> float:
    """Largest share of values inside any interval of ``width`` (two-pointer over sorted values)."""
    if hours.size == 0:
        return float("nan")
    values = np.sort(hours)
    ends = np.searchsorted(values, values + width, side="right")
    return float((ends - np.arange(values.size)).max() / values.size)


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
    import json

    _check(memberships, ["account_id", "cluster_id"], "memberships")
    members = memberships[["account_id", "cluster_id"]].astype("string")
    cluster_of = dict(zip(members["account_id"], members["cluster_id"]))
    sizes = members.groupby("cluster_id").size().rename("size").astype("float64")
    features = pd.DataFrame(index=sizes.index)
    features["size"] = sizes

    e = edges[["account_a", "account_b", "signal", "weight", "evidence"]].copy()
    e["ca"] = e["account_a"].astype("string").map(cluster_of)
    e["cb"] = e["account_b"].astype("string").map(cluster_of)
    inside = e[e["ca"].notna() & (e["ca"] == e["cb"])]
    pair_weight = inside.groupby(["ca", "account_a", "account_b"])["weight"].sum().reset_index()
    per_cluster = pair_weight.groupby("ca")["weight"].agg(["count", "sum"])
    features["edges"] = per_cluster["count"].reindex(features.index).fillna(0).astype("float64")
    features["total_weight"] = per_cluster["sum"].reindex(features.index).fillna(0).astype("float64")
    possible = features["size"] * (features["size"] - 1) / 2
    features["density"] = np.where(possible > 0, features["edges"] / possible.clip(lower=1), 0.0)
    features["mean_weight"] = np.where(features["edges"] > 0, features["total_weight"] / features["edges"].clip(lower=1), 0.0)

    # Shared attribute values and duplicated texts from the evidence of edges inside clusters.
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

    nan = pd.Series(np.nan, index=features.index, dtype="float64")
    if coordination is not None and len(coordination):
        c = coordination.groupby("cluster_id").agg(
            actions=("actions", "sum"), coordinated=("coordinated", "sum"), median_gap_s=("median_gap_s", "median"))
        features["actions"] = c["actions"].reindex(features.index).astype("float64")
        features["coordinated_share"] = (c["coordinated"] / c["actions"].clip(lower=1)).reindex(features.index)
        features["coordinated_targets"] = c["coordinated"].reindex(features.index).astype("float64")
        features["median_gap_s"] = c["median_gap_s"].reindex(features.index)
        src = coordination.dropna(subset=["top_source"]).groupby(["cluster_id", "top_source"])["top_source_coordinated"].sum()
        top = src.groupby(level="cluster_id").max() if len(src) else pd.Series(dtype="float64")
        features["top_source_share"] = (top / c["coordinated"].clip(lower=1)).reindex(features.index)
    else:
        for column in ("actions", "coordinated_share", "coordinated_targets", "median_gap_s", "top_source_share"):
            features[column] = nan

    for column in ("creation_span_hours", "creation_burst_share", "median_age_days", "template_share"):
        features[column] = nan
    if accounts is not None and len(accounts):
        from tsinvest.linking.account_features import username_template_share

        _check(accounts, ["account_id", "created_at"], "accounts")
        info = accounts.drop_duplicates("account_id").assign(account_id=lambda f: f["account_id"].astype("string"))
        joined = members.merge(info, on="account_id", how="left")
        hours = (joined["created_at"] - pd.Timestamp(0, tz="UTC")).dt.total_seconds() / 3600.0
        joined["hours"] = hours
        reference = pd.Timestamp(as_of) if as_of is not None else None
        for cid, group in joined.groupby("cluster_id"):
            h = group["hours"].dropna().to_numpy()
            if h.size:
                features.loc[cid, "creation_span_hours"] = float(h.max() - h.min())
                features.loc[cid, "creation_burst_share"] = _longest_burst_share(h, burst_hours)
                if reference is not None:
                    age = (reference - group["created_at"].dropna()).dt.total_seconds() / 86400.0
                    features.loc[cid, "median_age_days"] = float(age.median())
            if "username" in group:
                features.loc[cid, "template_share"] = username_template_share(group["username"].dropna())
    features = features.reset_index(names="cluster_id")
    features["cluster_id"] = features["cluster_id"].astype("string")
    return features[["cluster_id", *FEATURE_COLUMNS]].sort_values("cluster_id").reset_index(drop=True)
