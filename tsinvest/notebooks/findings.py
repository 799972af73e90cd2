"""Findings an investigator attaches to a case: ranked clusters and per-cluster evidence.

:func:`findings_table` turns a :class:`tsinvest.detect.DetectionResult` into
the ranked table of flagged clusters with their explanations;
:func:`cluster_evidence` gathers, for one cluster, the evidence a reviewer
asks for: when its members acted together (hourly timeline of their actions
on shared targets), which devices/IPs they share, and which texts they
duplicated. All table work is DuckDB SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.plotting import safe_label

__all__ = ["time_window", "findings_table", "flagged_members", "ClusterEvidence", "cluster_evidence"]

_DECIMALS = 3


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """Round floats so displayed tables are identical across platforms (shared by the notebook helpers)."""
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column].round(_DECIMALS)
    return frame.reset_index(drop=True)


def time_window(tables: Mapping[str, pd.DataFrame], *, start: str | None = None,
                end: str | None = None) -> dict[str, pd.DataFrame]:
    """Keep rows of each activity table with ``start <= time < end`` (accounts are kept whole).

    The time column is the first of the table's canonical time columns
    (``ts``, ``opened_at``). ``None`` bounds are open. Naive bounds are UTC.

    Examples
    --------
    >>> events = pd.DataFrame({"account_id": ["1", "2"],
    ...     "ts": pd.to_datetime(["2026-03-02T00:00Z", "2026-03-09T00:00Z"], utc=True)})
    >>> time_window({"events": events}, start="2026-03-05")["events"]["account_id"].tolist()
    ['2']
    """
    from tsinvest.schemas import TABLES

    def bound(value: str | None, name: str) -> pd.Timestamp | None:
        if value is None:
            return None
        try:
            stamp = pd.Timestamp(value)
        except (TypeError, ValueError):
            raise ParameterError(f"{name} must be an ISO 8601 time such as 2026-03-02T00:00:00Z") from None
        return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")

    lower, upper = bound(start, "start"), bound(end, "end")
    kept = {}
    for name, frame in tables.items():
        spec = TABLES.get(name)
        if spec is None or name == "accounts" or not spec.time_columns or (lower is None and upper is None):
            kept[name] = frame
            continue
        times = frame[spec.time_columns[0]]
        mask = pd.Series(True, index=frame.index)
        if lower is not None:
            mask &= times >= lower
        if upper is not None:
            mask &= times < upper
        kept[name] = frame[mask.fillna(False)]
    return kept


def findings_table(detection, *, flagged_only: bool = True) -> pd.DataFrame:
    """Flagged clusters ranked by score (desc, then cluster id), floats rounded.

    Columns: ``rank, cluster_id, kind, size, score, signals, explanation``
    (those present in ``detection.clusters``).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> clusters = pd.DataFrame({"cluster_id": ["b", "a", "c"], "kind": ["farm"] * 3, "size": [3, 4, 5],
    ...     "score": [0.9, 0.9, 0.1], "flagged": [True, True, False], "explanation": ["x", "y", "z"]})
    >>> findings_table(SimpleNamespace(clusters=clusters))[["rank", "cluster_id"]].to_dict("records")
    [{'rank': 1, 'cluster_id': 'a'}, {'rank': 2, 'cluster_id': 'b'}]
    """
    clusters = detection.clusters
    if flagged_only and "flagged" in clusters.columns:
        clusters = clusters[clusters["flagged"].astype(bool)]
    clusters = clusters.sort_values(["score", "cluster_id"], ascending=[False, True], kind="mergesort")
    keep = [c for c in ("cluster_id", "kind", "size", "score", "signals", "explanation") if c in clusters.columns]
    table = _rounded(clusters[keep])
    table.insert(0, "rank", range(1, len(table) + 1))
    for column in ("signals",):
        if column in table.columns:
            table[column] = table[column].map(lambda v: ", ".join(v) if isinstance(v, list | tuple) else v)
    return table


def flagged_members(detection) -> pd.DataFrame:
    """Flagged accounts with their cluster, kind and score, sorted by score desc then ids."""
    members = detection.memberships
    members = members[members["flagged"].astype(bool)]
    keep = [c for c in ("account_id", "cluster_id", "kind", "score", "member_coordinated_share") if c in members.columns]
    members = members.sort_values(["score", "cluster_id", "account_id"], ascending=[False, True, True], kind="mergesort")
    return _rounded(members[keep])


@dataclass(frozen=True)
class ClusterEvidence:
    """Evidence for one cluster.

    Attributes
    ----------
    cluster_id : str
    members : list of str
        Sorted member ids.
    timeline : DataFrame
        ``hour, action, actions, accounts, targets``: members' actions on
        targets that at least two members acted on, per UTC hour.
    shared_attributes : DataFrame
        ``attribute, value, accounts``: devices/IPs used by two or more members.
    duplicated_text : DataFrame
        ``text, accounts, uses``: texts posted by two or more members.
    edges : DataFrame
        Detection edges between members, strongest first.
    """

    cluster_id: str
    members: list[str]
    timeline: pd.DataFrame
    shared_attributes: pd.DataFrame
    duplicated_text: pd.DataFrame
    edges: pd.DataFrame

    def plot_timeline(self):
        """Hourly co-actions of the members (matplotlib Figure, not attached to pyplot)."""
        from matplotlib.figure import Figure

        figure = Figure(figsize=(9, 3), layout="constrained")
        axes = figure.add_subplot()
        if self.timeline.empty:
            axes.text(0.5, 0.5, "no shared-target actions", ha="center", va="center")
            axes.set_axis_off()
            return figure
        for action, rows in self.timeline.groupby("action", sort=True):
            axes.scatter(pd.to_datetime(rows["hour"], utc=True), rows["actions"], s=10,
                         label=safe_label(action, max_chars=None))
        axes.set_ylabel("actions per hour")
        axes.set_title(safe_label(f"Cluster {self.cluster_id}: members' actions on shared targets (UTC)", max_chars=None))
        axes.legend(fontsize=7)
        figure.autofmt_xdate()
        return figure

    def __repr__(self) -> str:
        return (
            f"ClusterEvidence(members={len(self.members)}, timeline_hours={self.timeline['hour'].nunique() if len(self.timeline) else 0}, "
            f"shared_attributes={len(self.shared_attributes)}, duplicated_texts={len(self.duplicated_text)}, edges={len(self.edges)})"
        )


def cluster_evidence(detection, tables: Mapping[str, pd.DataFrame], cluster_id: str | None = None, *,
                     max_rows: int = 50) -> ClusterEvidence:
    """Gather the evidence for one cluster (default: the top-ranked flagged cluster).

    Parameters
    ----------
    detection : DetectionResult
    tables : mapping of str to DataFrame
        Canonical tables (``events``, ``logins`` used when present).
    cluster_id : str, optional
        Which cluster; default the first row of :func:`findings_table`.
    max_rows : int
        Rows kept per evidence table.

    Returns
    -------
    ClusterEvidence
    """
    import duckdb

    if cluster_id is None:
        ranked = findings_table(detection)
        if ranked.empty:
            raise ParameterError("no flagged cluster to show; lower the thresholds or check the data")
        cluster_id = str(ranked["cluster_id"].iloc[0])
    memberships = detection.memberships
    members = sorted(memberships.loc[memberships["cluster_id"].astype(str) == str(cluster_id), "account_id"].astype(str).unique())
    if not members:
        raise ParameterError("cluster_id is not a cluster of this detection result")
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.register("members", pd.DataFrame({"account_id": pd.array(members, dtype="string")}))
    empty = pd.DataFrame()
    timeline, shared, duplicated = empty, empty, empty
    events = tables.get("events")
    if events is not None:
        connection.register("events", events)
        timeline = connection.execute(
            """
            WITH mine AS (SELECT e.* FROM events e JOIN members USING (account_id)),
            shared_targets AS (SELECT target_id FROM mine GROUP BY target_id HAVING count(DISTINCT account_id) >= 2)
            SELECT strftime(date_trunc('hour', ts), '%Y-%m-%d %H:00') AS hour, action,
                   count(*)::BIGINT AS actions, count(DISTINCT account_id)::BIGINT AS accounts,
                   count(DISTINCT target_id)::BIGINT AS targets
            FROM mine JOIN shared_targets USING (target_id)
            GROUP BY ALL ORDER BY hour, action
            """
        ).df()
        if "text" in events.columns:
            duplicated = connection.execute(
                f"""
                SELECT text, count(DISTINCT account_id)::BIGINT AS accounts, count(*)::BIGINT AS uses
                FROM events JOIN members USING (account_id)
                WHERE text IS NOT NULL AND length(trim(text)) > 0
                GROUP BY text HAVING count(DISTINCT account_id) >= 2
                ORDER BY accounts DESC, uses DESC, text LIMIT {int(max_rows)}
                """
            ).df()
    logins = tables.get("logins")
    if logins is not None:
        connection.register("logins", logins)
        parts = [f"SELECT '{column}' AS attribute, {column} AS value, account_id FROM logins JOIN members USING (account_id) "
                 f"WHERE {column} IS NOT NULL" for column in ("device_id", "ip") if column in logins.columns]
        if parts:
            shared = connection.execute(
                f"""
                SELECT attribute, value, count(DISTINCT account_id)::BIGINT AS accounts
                FROM ({' UNION ALL '.join(parts)})
                GROUP BY ALL HAVING count(DISTINCT account_id) >= 2
                ORDER BY accounts DESC, attribute, value LIMIT {int(max_rows)}
                """
            ).df()
    connection.close()
    edges = detection.edges
    inside = edges[edges["account_a"].astype(str).isin(members) & edges["account_b"].astype(str).isin(members)]
    inside = inside.sort_values(["weight", "account_a", "account_b", "signal"], ascending=[False, True, True, True],
                                kind="mergesort").head(max_rows)
    return ClusterEvidence(
        cluster_id=str(cluster_id),
        members=members,
        timeline=_rounded(timeline),
        shared_attributes=_rounded(shared),
        duplicated_text=_rounded(duplicated),
        edges=_rounded(inside),
    )
