"""Findings an investigator attaches to a case: ranked clusters and per-cluster evidence.

:func:`findings_table` turns a :class:`tsinvest.detect.DetectionResult` into
the ranked table of flagged clusters with their explanations;
:func:`cluster_evidence` gathers, for one cluster, the evidence a reviewer
asks for: when its members acted together (hourly timeline of their actions
on shared targets), which devices/IPs they share, and which texts they
duplicated. All table work is DuckDB SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.plotting import safe_label

if TYPE_CHECKING:
    import duckdb
    import networkx as nx
    from matplotlib.figure import Figure

    from tsinvest.detection import DetectionResult
    from tsinvest.graph.tracking import ClusterComparison

__all__ = ["KIND_SEVERITY", "time_window", "rounded", "findings_table", "findings_summary", "network_summary",
           "link_table", "flagged_members", "ClusterEvidence", "cluster_evidence"]

_DECIMALS = 3

#: How much harm a cluster of each kind does, used to rank clusters whose
#: scores tie: a mass-report brigade gets innocent users enforced against and
#: an account farm is the infrastructure of every other abuse (3, 3); an
#: amplification ring distorts reach (2); copy-paste spam is the least harm (1).
#: Unknown kinds rank 0. Override with ``findings_table(severity=...)``.
KIND_SEVERITY = {"mass_report": 3, "farm": 3, "amplification": 2, "copy_paste": 1}


def rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """Floats rounded to 3 decimals, index reset, so displayed tables are identical across platforms.

    Examples
    --------
    >>> rounded(pd.DataFrame({"score": [0.12345], "id": ["007"]}, index=[4])).to_dict("records")
    [{'score': 0.123, 'id': '007'}]
    """
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
    from tsinvest.loading.timestamps import utc_bound
    from tsinvest.schemas import TABLES

    lower, upper = utc_bound(start, name="start"), utc_bound(end, name="end")
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


def _reach(detection: DetectionResult, tables: Mapping[str, pd.DataFrame] | None) -> pd.Series:
    """Distinct targets (videos acted on, accounts reported) per cluster, from the members' activity."""
    import duckdb

    memberships = detection.memberships
    empty = pd.Series(dtype="int64", name="reach")
    if tables is None or memberships is None or len(memberships) == 0:
        return empty
    parts = []
    connection = duckdb.connect()
    try:
        connection.register("members", pd.DataFrame({"account_id": memberships["account_id"].astype("string"),
                                                     "cluster_id": memberships["cluster_id"].astype("string")}))
        if "events" in tables and {"account_id", "target_id"} <= set(tables["events"].columns):
            connection.register("events", tables["events"])
            parts.append("SELECT account_id, 'video:' || target_id AS target FROM events")
        if "reports" in tables and {"reporter_id", "target_account_id"} <= set(tables["reports"].columns):
            connection.register("reports", tables["reports"])
            parts.append("SELECT reporter_id AS account_id, 'account:' || target_account_id AS target FROM reports")
        if not parts:
            return empty
        reach = connection.execute(
            f"""
            SELECT m.cluster_id, count(DISTINCT a.target)::BIGINT AS reach
            FROM members m JOIN ({' UNION ALL '.join(parts)}) a USING (account_id)
            GROUP BY m.cluster_id
            """
        ).df()
    finally:
        connection.close()
    return reach.set_index(reach["cluster_id"].astype(str))["reach"]


def findings_table(detection: DetectionResult, *, flagged_only: bool = True,
                   tables: Mapping[str, pd.DataFrame] | None = None,
                   severity: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Flagged clusters ranked by score, then severity of the kind, then reach; floats rounded.

    Parameters
    ----------
    detection : DetectionResult
    flagged_only : bool
        Keep flagged clusters only.
    tables : mapping of str to DataFrame, optional
        Canonical tables; with ``events``/``reports`` a ``reach`` column
        counts the distinct targets (videos acted on, accounts reported) of
        each cluster's members and breaks ties.
    severity : mapping of str to int, optional
        Kind -> severity, default :data:`KIND_SEVERITY`.

    Returns
    -------
    DataFrame
        ``rank, cluster_id, kind, size, score, severity, reach, signals,
        explanation`` (those present). Sorted by score rounded to 2 decimals
        (a difference in the third decimal is noise of the null model), then
        severity, reach and size descending, then cluster id: the top row is
        the most harmful cluster among the strongest, never the first id of a
        tie.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> clusters = pd.DataFrame({"cluster_id": ["b", "a", "c", "d"], "kind": ["copy_paste", "farm", "farm", "farm"],
    ...     "size": [3, 4, 5, 9], "score": [0.9, 0.9, 0.1, 0.9], "flagged": [True, True, False, True],
    ...     "explanation": ["x", "y", "z", "w"]})
    >>> findings_table(SimpleNamespace(clusters=clusters))[["rank", "cluster_id"]].to_dict("records")
    [{'rank': 1, 'cluster_id': 'd'}, {'rank': 2, 'cluster_id': 'a'}, {'rank': 3, 'cluster_id': 'b'}]
    """
    severity = dict(KIND_SEVERITY if severity is None else severity)
    clusters = detection.clusters
    if flagged_only and "flagged" in clusters.columns:
        clusters = clusters[clusters["flagged"].astype(bool)]
    clusters = clusters.copy()
    clusters["severity"] = (clusters["kind"].map(severity).fillna(0).astype("int64") if "kind" in clusters.columns
                            else 0)
    reach = _reach(detection, tables) if tables is not None else None
    if reach is not None:
        clusters["reach"] = clusters["cluster_id"].astype(str).map(reach).fillna(0).astype("int64")
    keys = ["_score", "severity", *(["reach"] if reach is not None else []),
            *(["size"] if "size" in clusters.columns else [])]
    clusters["_score"] = clusters["score"].astype(float).round(2)
    clusters = clusters.sort_values([*keys, "cluster_id"], ascending=[False] * len(keys) + [True], kind="mergesort")
    keep = [c for c in ("cluster_id", "kind", "size", "score", "severity", "reach", "signals", "explanation")
            if c in clusters.columns]
    table = rounded(clusters[keep])
    if "size" in table.columns:
        table["size"] = table["size"].astype("int64")
    table.insert(0, "rank", range(1, len(table) + 1))
    for column in ("signals",):
        if column in table.columns:
            table[column] = table[column].map(lambda v: ", ".join(v) if isinstance(v, list | tuple) else v)
    return table


def findings_summary(findings: pd.DataFrame, *, flagged_accounts: int,
                     comparison: ClusterComparison | None = None) -> pd.DataFrame:
    """The few lines a reader needs first: what was found, the top cluster, what changed over time.

    Parameters
    ----------
    findings : DataFrame
        Output of :func:`findings_table`.
    flagged_accounts : int
        Distinct flagged accounts.
    comparison : tsinvest.graph.tracking.ClusterComparison, optional
        Networks over time (e.g. first vs second half of the period).

    Returns
    -------
    DataFrame
        ``item, value``.

    Examples
    --------
    >>> findings = pd.DataFrame({"rank": [1], "cluster_id": ["farm-1"], "kind": ["farm"], "size": [9],
    ...                          "score": [1.0], "reach": [40], "explanation": ["shared devices"]})
    >>> findings_summary(findings, flagged_accounts=9)["value"].tolist()[:2]
    ['1 flagged cluster(s), 9 flagged account(s): 1 farm', 'farm-1: farm, 9 accounts, score 1.00, reach 40 targets']
    """
    kinds = findings["kind"].value_counts() if len(findings) else pd.Series(dtype="int64")
    ordered = sorted(kinds.items(), key=lambda item: (-item[1], item[0]))
    by_kind = ", ".join(f"{count} {kind}" for kind, count in ordered)
    items = [("what we found", f"{len(findings)} flagged cluster(s), {flagged_accounts} flagged account(s)"
                               + (f": {by_kind}" if by_kind else ""))]
    if len(findings):
        top = findings.iloc[0]
        reach = f", reach {int(top['reach'])} targets" if "reach" in findings.columns else ""
        items.append(("top cluster (score, then severity and reach)",
                      f"{top['cluster_id']}: {top['kind']}, {int(top['size'])} accounts, "
                      f"score {float(top['score']):.2f}{reach}"))
        if "explanation" in findings.columns:
            items.append(("why it is flagged", str(top["explanation"])))
    if comparison is not None:
        counts = comparison.counts()
        changed = ", ".join(f"{row.networks} {row.transition}" for row in counts.itertuples() if row.networks)
        items.append(("over time", changed or "no flagged network in either window"))
    items.append(("what to do", "Review the top cluster's evidence below, then attach the findings table and the "
                                "evidence files to the case." if len(findings) else
                                "Nothing flagged: check the time window and the thresholds before closing."))
    return pd.DataFrame({"item": pd.array([i for i, _ in items], dtype="string"),
                         "value": pd.array([v for _, v in items], dtype="string")})


def network_summary(ego: nx.Graph, seeds: Sequence[str], *, graph: nx.Graph | None = None) -> pd.DataFrame:
    """What a pivot found, first: how many accounts are near the seeds, through which kinds of links.

    Parameters
    ----------
    ego : networkx.Graph
        From :func:`tsinvest.graph.ego_network` (nodes carry ``hops``, edges ``signals``).
    seeds : list of str
        The accounts pivoted from.
    graph : networkx.Graph, optional
        The whole account graph, for its size.

    Returns
    -------
    DataFrame
        ``item, value`` (counts only: no account id).

    Examples
    --------
    >>> import networkx as nx
    >>> ego = nx.Graph()
    >>> ego.add_node("1", hops=0); ego.add_node("2", hops=1); ego.add_node("3", hops=2)
    >>> ego.add_edge("1", "2", signals=("shared_ip",)); ego.add_edge("2", "3", signals=("co_follow", "shared_ip"))
    >>> network_summary(ego, ["1"])["value"].tolist()[:3]
    ['1 seed account(s), 1 found in the data', '2 account(s): 1 at 1 link, 1 at 2 links',
     '2 link(s): shared_ip 2, co_follow 1']
    """
    seeds = [seeds] if isinstance(seeds, str) else list(seeds)
    hops = pd.Series(dict(ego.nodes(data="hops", default=0)), dtype="int64")
    near = hops[hops > 0]
    by_hop = near.value_counts().sort_index()
    signals: dict[str, int] = {}
    for *_, names in ego.edges(data="signals", default=()):
        for name in ([names] if isinstance(names, str) else names):
            signals[str(name)] = signals.get(str(name), 0) + 1
    by_count = sorted(signals.items(), key=lambda item: (-item[1], item[0]))
    link_text = ", ".join(f"{name} {count}" for name, count in by_count)
    items = [
        ("seeds", f"{len(seeds)} seed account(s), {sum(seed in ego for seed in seeds)} found in the data"),
        ("accounts near the seeds", f"{len(near)} account(s)" + (": " + ", ".join(
            f"{count} at {hop} link{'s' if hop > 1 else ''}" for hop, count in by_hop.items()) if len(near) else "")),
        ("links among them", f"{ego.number_of_edges()} link(s)" + (f": {link_text}" if link_text else "")),
    ]
    if graph is not None:
        items.append(("whole graph", f"{graph.number_of_nodes()} linked account(s), {graph.number_of_edges()} link(s)"))
    items.append(("what to do", "Check the strongest links below; shared devices and co-actions weigh more than "
                                "co-follows. Open a case file for an account that matters."
                  if len(near) else "The seeds have no links: check the ids, the window and as_of."))
    return pd.DataFrame({"item": pd.array([i for i, _ in items], dtype="string"),
                         "value": pd.array([v for _, v in items], dtype="string")})


def link_table(graph: nx.Graph) -> pd.DataFrame:
    """The links of an account graph as a reader's table: evidence as counts and examples, not JSON.

    Returns ``account_a, account_b, weight, signals, shared_items, examples,
    first_ts, last_ts``, strongest first (then ids). ``shared_items`` counts
    the evidence items (videos, devices, texts) over every signal;
    ``examples`` lists up to three.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.Graph()
    >>> G.add_edge("2", "1", weight=3.0, signals=("shared_ip",),
    ...            evidence={"shared_ip": '[{"value": "10.0.0.1", "accounts": 2}]'})
    >>> link_table(G)[["account_a", "account_b", "signals", "shared_items", "examples"]].values.tolist()
    [['1', '2', 'shared_ip', 1, '10.0.0.1']]
    """
    import json

    rows = []
    for a, b, attributes in graph.edges(data=True):
        first, second = sorted((str(a), str(b)))
        evidence = attributes.get("evidence") or {}
        if isinstance(evidence, str):
            evidence = {"": evidence}
        items: list[str] = []
        for signal in sorted(evidence):
            try:
                parsed = json.loads(evidence[signal]) if isinstance(evidence[signal], str) else evidence[signal]
            except ValueError:
                parsed = [evidence[signal]]
            parsed = parsed if isinstance(parsed, list) else [parsed]
            items += [str(item.get("value", item)) if isinstance(item, dict) else str(item) for item in parsed]
        signals = attributes.get("signals", ())
        rows.append({"account_a": first, "account_b": second, "weight": float(attributes.get("weight", 0.0)),
                     "signals": ", ".join(map(str, [signals] if isinstance(signals, str) else signals)),
                     "shared_items": len(items),
                     "examples": ", ".join(items[:3]) + (", …" if len(items) > 3 else ""),
                     "first_ts": attributes.get("first_ts"), "last_ts": attributes.get("last_ts")})
    table = pd.DataFrame(rows, columns=["account_a", "account_b", "weight", "signals", "shared_items", "examples",
                                        "first_ts", "last_ts"])
    table = table.astype({"account_a": "string", "account_b": "string", "signals": "string", "examples": "string",
                          "shared_items": "int64", "weight": "float64"})
    table = table.sort_values(["weight", "account_a", "account_b"], ascending=[False, True, True], kind="mergesort")
    return rounded(table)


def flagged_members(detection: DetectionResult) -> pd.DataFrame:
    """Flagged accounts with their cluster, kind and score, sorted by score desc then ids."""
    members = detection.memberships
    members = members[members["flagged"].astype(bool)]
    wanted = ("account_id", "cluster_id", "kind", "score", "member_coordinated_share")
    keep = [c for c in wanted if c in members.columns]
    members = members.sort_values(["score", "cluster_id", "account_id"], ascending=[False, True, True],
                                  kind="mergesort")
    return rounded(members[keep])


def _readable_evidence(edges: pd.DataFrame) -> pd.DataFrame:
    """Replace the JSON ``evidence`` list of each edge by ``shared_items`` (a count) and ``examples`` (first 3)."""
    import json

    def parse(text: object) -> list:
        if text is None or text is pd.NA or (isinstance(text, float) and pd.isna(text)):
            return []
        try:
            value = json.loads(str(text))
        except (TypeError, ValueError):
            return [str(text)]
        values = value if isinstance(value, list) else [value]
        # Attribute evidence is a list of {"value": ..., "accounts": n}; show the value itself.
        return [str(item.get("value", item)) if isinstance(item, dict) else str(item) for item in values]

    items = [parse(text) for text in edges["evidence"]]
    out = edges.drop(columns=["evidence"]).copy()
    out["shared_items"] = pd.array([len(found) for found in items], dtype="int64")
    out["examples"] = pd.array([", ".join(found[:3]) + (", …" if len(found) > 3 else "") for found in items],
                               dtype="string")
    return out


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
        Detection edges between members, strongest first; the JSON evidence
        list of each edge is shown as ``shared_items`` (how many) and
        ``examples`` (the first three).
    """

    cluster_id: str
    members: list[str]
    timeline: pd.DataFrame
    shared_attributes: pd.DataFrame
    duplicated_text: pd.DataFrame
    edges: pd.DataFrame

    def plot_timeline(self) -> Figure:
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
        from matplotlib.ticker import MaxNLocator

        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylabel("actions per hour")
        axes.set_title(safe_label(f"Cluster {self.cluster_id}: members' actions on shared targets (UTC)",
                                  max_chars=None))
        axes.legend(fontsize=7)
        figure.autofmt_xdate()
        return figure

    def frame(self) -> pd.DataFrame:
        """What the evidence holds, as an ``item, value`` table."""
        hours = self.timeline["hour"].nunique() if len(self.timeline) else 0
        items = [("cluster", self.cluster_id), ("members", str(len(self.members))),
                 ("hours with co-actions on shared targets", str(hours)),
                 ("shared devices/IPs", str(len(self.shared_attributes))),
                 ("duplicated texts", str(len(self.duplicated_text))),
                 ("links inside the cluster", str(len(self.edges)))]
        return pd.DataFrame({"item": pd.array([i for i, _ in items], dtype="string"),
                             "value": pd.array([v for _, v in items], dtype="string")})

    def _repr_html_(self) -> str:
        from tsinvest.reporting import safe_table_html

        return safe_table_html(self.frame(), caption="Evidence for the chosen cluster")

    def __repr__(self) -> str:
        return (
            f"ClusterEvidence(members={len(self.members)}, "
            f"timeline_hours={self.timeline['hour'].nunique() if len(self.timeline) else 0}, "
            f"shared_attributes={len(self.shared_attributes)}, duplicated_texts={len(self.duplicated_text)}, "
            f"edges={len(self.edges)})"
        )


def cluster_evidence(detection: DetectionResult, tables: Mapping[str, pd.DataFrame], cluster_id: str | None = None, *,
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
        ranked = findings_table(detection, tables=tables)
        if ranked.empty:
            raise ParameterError("no flagged cluster to show; lower the thresholds or check the data")
        cluster_id = str(ranked["cluster_id"].iloc[0])
    memberships = detection.memberships
    chosen = memberships["cluster_id"].astype(str) == str(cluster_id)
    members = sorted(memberships.loc[chosen, "account_id"].astype(str).unique())
    if not members:
        raise ParameterError("cluster_id is not a cluster of this detection result")
    connection = duckdb.connect()
    try:
        connection.execute("SET TimeZone = 'UTC'")
        connection.register("members", pd.DataFrame({"account_id": pd.array(members, dtype="string")}))
        timeline, duplicated = _shared_target_timeline(connection, tables.get("events"), max_rows)
        shared = _shared_attributes(connection, tables.get("logins"), max_rows)
    finally:
        connection.close()
    return ClusterEvidence(
        cluster_id=str(cluster_id),
        members=members,
        timeline=rounded(timeline),
        shared_attributes=rounded(shared),
        duplicated_text=rounded(duplicated),
        edges=rounded(_edges_inside(detection.edges, members, max_rows)),
    )


def _shared_target_timeline(connection: duckdb.DuckDBPyConnection, events: pd.DataFrame | None,
                            max_rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hourly actions of the members on targets two or more of them touched, and the texts they duplicated."""
    if events is None:
        return pd.DataFrame(), pd.DataFrame()
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
    if "text" not in events.columns:
        return timeline, pd.DataFrame()
    duplicated = connection.execute(
        f"""
        SELECT text, count(DISTINCT account_id)::BIGINT AS accounts, count(*)::BIGINT AS uses
        FROM events JOIN members USING (account_id)
        WHERE text IS NOT NULL AND length(trim(text)) > 0
        GROUP BY text HAVING count(DISTINCT account_id) >= 2
        ORDER BY accounts DESC, uses DESC, text LIMIT {int(max_rows)}
        """
    ).df()
    return timeline, duplicated


def _shared_attributes(connection: duckdb.DuckDBPyConnection, logins: pd.DataFrame | None,
                       max_rows: int) -> pd.DataFrame:
    """Devices and IPs used by two or more members."""
    if logins is None:
        return pd.DataFrame()
    connection.register("logins", logins)
    parts = [f"SELECT '{column}' AS attribute, {column} AS value, account_id FROM logins "
             f"JOIN members USING (account_id) WHERE {column} IS NOT NULL"
             for column in ("device_id", "ip") if column in logins.columns]
    if not parts:
        return pd.DataFrame()
    return connection.execute(
        f"""
        SELECT attribute, value, count(DISTINCT account_id)::BIGINT AS accounts
        FROM ({' UNION ALL '.join(parts)})
        GROUP BY ALL HAVING count(DISTINCT account_id) >= 2
        ORDER BY accounts DESC, attribute, value LIMIT {int(max_rows)}
        """
    ).df()


def _edges_inside(edges: pd.DataFrame, members: list[str], max_rows: int) -> pd.DataFrame:
    """The heaviest detection edges between two members, evidence made readable."""
    inside = edges[edges["account_a"].astype(str).isin(members) & edges["account_b"].astype(str).isin(members)]
    inside = inside.sort_values(["weight", "account_a", "account_b", "signal"], ascending=[False, True, True, True],
                                kind="mergesort").head(max_rows)
    return _readable_evidence(inside) if "evidence" in inside.columns else inside
