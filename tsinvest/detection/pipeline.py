"""One call from a data folder to scored, explained clusters of coordinated accounts.

:func:`detect` loads the tables, settles the settings, runs every registered
detector whose tables are present (:data:`tsinvest.detection.registry.DETECTORS`)
and assembles their results into one :class:`DetectionResult`.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import numpy as np
import pandas as pd

from tsinvest.detection.base import DetectionSettings, KindResult
from tsinvest.detection.linking import LOCAL_LINKING, Linking
from tsinvest.exceptions import ParameterError
from tsinvest.loading.timestamps import utc_bound
from tsinvest.schemas import CLUSTER_SUMMARY, EDGES, MEMBERSHIPS, conform

__all__ = ["DetectionResult", "detect", "DEFAULT_WINDOW", "DEFAULT_REPORT_WINDOW", "MIN_AUTO_WINDOW",
           "DEFAULT_GRAPH_FORMATS"]

#: Seconds within which two shares/likes of one video count as co-action. Wide
#: enough for rings that spread their bursts over minutes to evade
#: seconds-level detection; the cluster rules (coordinated share, density,
#: null model) keep the fans that a wide window also links from being flagged.
DEFAULT_WINDOW = 600.0
#: Seconds within which two reports of one account count as co-reporting
#: (brigades spread waves over tens of minutes).
DEFAULT_REPORT_WINDOW = 3600.0
#: Smallest window ``window="auto"`` returns: pages that cross-post in the same
#: second make the estimate 0 s, which would link only exact ties.
MIN_AUTO_WINDOW = 10.0

#: What :func:`detect` reads: a folder of canonical tables or frames keyed by table name.
DataArgument = str | os.PathLike | Mapping[str, pd.DataFrame]
#: A column mapping for :func:`tsinvest.loading.load_dir` (a dict or a YAML/JSON file).
MappingArgument = Mapping[str, str] | str | Path | None
#: Graph files :meth:`DetectionResult.write` can add.
GraphFormat = Literal["graphml", "gexf", "json"]
#: The graph files written unless asked otherwise. GraphML opens in Gephi,
#: yEd and Cytoscape and is written as a stream; GEXF (Gephi only) is built
#: as one XML tree in memory by networkx (0.8 GB more at a million events),
#: so it is written on request only.
DEFAULT_GRAPH_FORMATS: tuple[GraphFormat, ...] = ("graphml", "json")

_MEMBERSHIP_COLUMNS = list(MEMBERSHIPS.required)
_FIRST_CLUSTER_COLUMNS = list(CLUSTER_SUMMARY.required)


@dataclass
class DetectionResult:
    """What :func:`detect` found.

    Attributes
    ----------
    memberships : DataFrame
        One row per (account, cluster): ``account_id``, ``cluster_id``,
        ``kind``, ``signal`` (the cluster's dominant signal), ``score``,
        ``flagged`` (the account is flagged in this cluster) and
        ``member_coordinated_share``. Sorted by score desc, cluster_id,
        account_id. Written as ``clusters.csv``.
    clusters : DataFrame
        One row per cluster: ``cluster_id``, ``kind``, ``signals``, ``size``,
        ``score``, ``flagged``, features, ``explanation``. Written as
        ``cluster_summary.csv``.
    edges : DataFrame
        Every edge of every signal (``EDGE_COLUMNS``). Written as ``edges.csv``.
    parameters : dict
        The settings used (seed, windows, as_of, thresholds, ...). Written
        as ``parameters.json``.
    exclusions : dict
        Per kind, what was left out and why, as counts (never ids): hot
        targets, hub devices/IPs, common texts. Written as ``exclusions.json``.
    accounts : DataFrame, optional
        The accounts table, for node attributes of :attr:`graph`.
    stage_seconds : dict
        Wall time per stage (load, each kind, assemble); not written, since
        it differs from run to run.
    """

    memberships: pd.DataFrame
    clusters: pd.DataFrame
    edges: pd.DataFrame
    parameters: dict[str, Any] = field(default_factory=dict)
    exclusions: dict[str, dict[str, int]] = field(default_factory=dict)
    accounts: pd.DataFrame | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)

    @cached_property
    def graph(self) -> nx.Graph:
        """Account graph of all edges; nodes carry ``clusters``, ``kind``, ``flagged`` (built on first use)."""
        from tsinvest.graph import account_graph

        graph = account_graph(self.edges, accounts=self.accounts)
        best = self.memberships.sort_values(["account_id", "score", "cluster_id"], ascending=[True, False, True],
                                            kind="mergesort")
        clusters = best.groupby("account_id", sort=True)["cluster_id"].agg(lambda s: sorted(s.tolist()))
        flagged = best.groupby("account_id", sort=True)["flagged"].any()
        kinds = best.drop_duplicates("account_id").set_index("account_id")["kind"]
        for account in clusters.index:
            if account in graph:
                graph.nodes[account]["clusters"] = clusters[account]
                graph.nodes[account]["flagged"] = bool(flagged[account])
                graph.nodes[account]["kind"] = str(kinds[account])
        return graph

    def flagged_accounts(self, kind: str | None = None) -> list[str]:
        """Sorted ids of flagged accounts (optionally of one kind)."""
        rows = self.memberships[self.memberships["flagged"]]
        if kind is not None:
            rows = rows[rows["kind"] == kind]
        return sorted(rows["account_id"].astype(str).unique().tolist())

    def write(self, out_dir: str | os.PathLike, *,
              graph_formats: tuple[GraphFormat, ...] = DEFAULT_GRAPH_FORMATS, progress: bool = False) -> Path:
        """Write all outputs into ``out_dir`` atomically (temporary folder, then rename).

        Files (mode 0600): ``clusters.csv``, ``cluster_summary.csv``,
        ``edges.csv`` (formula-safe CSV, ids as text, see
        :func:`tsinvest.reporting.to_safe_csv`), ``exclusions.json``,
        ``parameters.json`` and ``graph.graphml`` / ``graph.gexf`` /
        ``graph.json`` for the asked ``graph_formats``. An existing
        ``out_dir`` is replaced only once the new one is complete.
        ``progress`` shows a bar on stderr, one step per file (the graph
        files of a million-event run take about a minute).
        """
        from tqdm.auto import tqdm

        from tsinvest.files import staged_folder, write_json
        from tsinvest.graph import export
        from tsinvest.reporting import to_safe_csv

        suffix = {"graphml": "graphml", "gexf": "gexf", "json": "json"}
        unknown = [name for name in graph_formats if name not in suffix]
        if unknown:
            raise ParameterError("graph_formats may hold 'graphml', 'gexf', 'json'")
        out = Path(out_dir)
        if out.exists() and not out.is_dir():
            raise ParameterError("out_dir exists and is not a folder; choose another --out")
        with staged_folder(out) as staging:
            ids = sorted({*MEMBERSHIPS.id_columns, *CLUSTER_SUMMARY.id_columns, *EDGES.id_columns})
            to_safe_csv(self.memberships, staging / "clusters.csv", id_columns=ids)
            to_safe_csv(self.clusters, staging / "cluster_summary.csv", id_columns=ids)
            edges = self.edges.copy()
            for column in ("first_ts", "last_ts"):
                edges[column] = edges[column].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
            to_safe_csv(edges, staging / "edges.csv", id_columns=ids)
            write_json(staging / "exclusions.json", self.exclusions)
            write_json(staging / "parameters.json", self.parameters)
            bar = tqdm(graph_formats, desc="graph files", unit="file", file=sys.stderr, disable=not progress,
                       leave=False)
            for name in bar:
                bar.set_postfix_str(f"graph.{suffix[name]}")
                export.write_graph(self.graph, staging / f"graph.{suffix[name]}", format=name)
            for path in staging.iterdir():
                path.chmod(0o600)
        return out


def _load(data: DataArgument, *, mapping: MappingArgument = None, timezone: str | None = None,
          epoch_unit: Literal["s", "ms"] | None = None,
          on_error: Literal["raise", "quarantine"] = "raise") -> dict[str, pd.DataFrame]:
    if isinstance(data, Mapping):
        return dict(data)
    if isinstance(data, (str, os.PathLike)):
        from tsinvest.loading import load_dir

        path = Path(data)
        if not path.is_dir():
            raise ParameterError(
                f"data: '{path.name}' is not a folder; pass a folder of canonical tables (accounts.csv, "
                "events.csv, ...) or a dict of DataFrames")
        return load_dir(path, mapping=mapping, timezone=timezone, epoch_unit=epoch_unit, on_error=on_error)
    raise ParameterError("data must be a folder path or a dict of table name -> DataFrame")


def _as_of(tables: Mapping[str, pd.DataFrame], as_of: pd.Timestamp | str | None) -> pd.Timestamp | None:
    if as_of is not None:
        return utc_bound(as_of, name="as_of")
    # The latest observed time: results never depend on when the code runs.
    latest = [frame["ts"].max() for name, frame in tables.items() if name in ("events", "reports", "logins")
              and "ts" in frame and len(frame)]
    return max(latest) if latest else None


def _window(window: float | str | None, events: pd.DataFrame | None) -> tuple[float, str]:
    """The co-action window in seconds and how it was chosen."""
    from tsinvest.detection.amplification import ENGAGEMENT_ACTIONS

    if window is None:
        return DEFAULT_WINDOW, "default"
    if isinstance(window, str):
        if window != "auto":
            raise ParameterError(f"window={window!r}: pass a number of seconds or 'auto'")
        from tsinvest.linking.coordination import estimate_coordination_window

        engaged = None if events is None else events[events["action"].isin(ENGAGEMENT_ACTIONS)]
        if engaged is None or engaged.empty:
            raise ParameterError("window='auto' needs share or like events to estimate from; "
                                 "pass window= in seconds instead")
        try:
            estimate = float(estimate_coordination_window(engaged))
        except ParameterError as error:
            raise ParameterError(f"window='auto' could not be estimated ({error}); pass window= in seconds") from None
        if estimate < MIN_AUTO_WINDOW:
            return MIN_AUTO_WINDOW, (f"auto: estimated {estimate:g} s (same-second reactions), raised to the "
                                     f"{MIN_AUTO_WINDOW:g} s floor")
        return estimate, f"auto: estimated {estimate:g} s from the quickest reactions"
    if not isinstance(window, (int, float, np.integer, np.floating)) or not np.isfinite(window) or window <= 0:
        raise ParameterError(f"window={window!r}: pass a positive number of seconds or 'auto'")
    return float(window), "given"


def detect(data: DataArgument, *, seed: int = 0, window: float | Literal["auto"] | None = None,
           report_window: float | None = None, as_of: pd.Timestamp | str | None = None, n_permutations: int = 199,
           min_cluster_size: int = 3, thresholds: Mapping[str, Mapping[str, float]] | None = None,
           kinds: tuple[str, ...] | None = None, mapping: MappingArgument = None, timezone: str | None = None,
           epoch_unit: Literal["s", "ms"] | None = None,
           on_error: Literal["raise", "quarantine"] = "raise", progress: bool = True,
           linking: Linking = LOCAL_LINKING) -> DetectionResult:
    """Find, score and explain clusters of coordinated accounts in a data folder.

    Parameters
    ----------
    data : path or dict of DataFrame
        A folder of canonical tables (loaded with :func:`tsinvest.loading.load_dir`)
        or already loaded frames keyed by table name. Each detector runs when
        its tables are present: events (amplification, copy-paste,
        co-following), reports (mass reports), logins (shared devices/IPs),
        accounts + logins + enforcements (ban evasion).
    seed : int
        Seed of Leiden and of the null model.
    window : float or "auto", optional
        Co-action window in seconds for shares/likes (default
        :data:`DEFAULT_WINDOW`, 600 s). ``"auto"`` estimates it from the data
        (:func:`tsinvest.linking.coordination.estimate_coordination_window`,
        CooRnet-style), never below :data:`MIN_AUTO_WINDOW`.
    report_window : float, optional
        Co-reporting window in seconds (default :data:`DEFAULT_REPORT_WINDOW`).
    as_of : Timestamp or str, optional
        Reference time for account ages; default the latest time in the data.
    n_permutations : int
        Most null-model samples per cluster (the null stops early for
        clusters that chance explains).
    min_cluster_size : int
        Smallest cluster reported.
    thresholds : mapping, optional
        Per kind, overrides of the detector's thresholds
        (:data:`tsinvest.detection.registry.DEFAULT_THRESHOLDS`).
    kinds : tuple of str, optional
        Run only these kinds (default every kind whose tables are present).
    mapping, timezone, epoch_unit, on_error
        Input options of :func:`tsinvest.loading.load_dir`, used when ``data``
        is a folder.
    progress : bool
        Progress per stage on stderr.
    linking : Linking
        Engine of the heavy linking stages (co-action, shared attributes,
        copy-paste); the local one by default, or
        :class:`tsinvest.spark.detect.SparkLinking`. Same outputs.

    Returns
    -------
    DetectionResult

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [(f"00{m}", f"v{v}", 3600 * v + m) for v in range(8) for m in range(5)]
    >>> events = pd.DataFrame(rows, columns=["account_id", "target_id", "s"]).assign(action="share")
    >>> events["ts"] = pd.to_datetime(events.pop("s"), unit="s", utc=True)
    >>> result = detect({"events": events}, seed=1, n_permutations=99, progress=False)
    >>> result.flagged_accounts("amplification")
    ['000', '001', '002', '003', '004']
    """
    from tqdm.auto import tqdm

    from tsinvest.detection.registry import DETECTORS

    if not isinstance(n_permutations, (int, np.integer)) or n_permutations < 1:
        raise ParameterError(f"n_permutations={n_permutations!r}: pass an integer >= 1")
    unknown = sorted(set(thresholds or {}) - set(DETECTORS)) + sorted(set(kinds or ()) - set(DETECTORS))
    if unknown:
        raise ParameterError(f"unknown kind(s) {', '.join(unknown)} in thresholds/kinds; kinds are "
                             f"{', '.join(DETECTORS)}")
    limits = {kind: detector.limits((thresholds or {}).get(kind)) for kind, detector in DETECTORS.items()}
    stage_seconds: dict[str, float] = {}
    clock = time.perf_counter()
    tables = _load(data, mapping=mapping, timezone=timezone, epoch_unit=epoch_unit, on_error=on_error)
    stage_seconds["load"] = round(time.perf_counter() - clock, 3)
    window_seconds, window_note = _window(window, tables.get("events"))
    report_seconds = DEFAULT_REPORT_WINDOW if report_window is None else report_window
    if not isinstance(report_seconds, (int, float, np.integer, np.floating)) or not report_seconds > 0:
        raise ParameterError(f"report_window={report_window!r}: pass a positive number of seconds")
    settings = DetectionSettings(seed=int(seed), window=window_seconds, report_window=float(report_seconds),
                                 as_of=_as_of(tables, as_of), n_permutations=int(n_permutations),
                                 min_cluster_size=int(min_cluster_size), progress=progress, linking=linking)
    chosen = [detector for kind, detector in DETECTORS.items()
              if (kinds is None or kind in kinds) and detector.applies(tables)]
    results: list[KindResult] = []
    bar = tqdm(chosen, desc="detect", unit="kind", file=sys.stderr, disable=not progress, leave=False)
    for detector in bar:
        bar.set_postfix_str(detector.kind)
        clock = time.perf_counter()
        results.append(detector.run(tables, settings, limits[detector.kind]))
        stage_seconds[detector.kind] = round(time.perf_counter() - clock, 3)
    bar.close()
    clock = time.perf_counter()
    results = _apply_precedence(results, limits)
    result = _assemble(results, tables)
    stage_seconds["assemble"] = round(time.perf_counter() - clock, 3)
    result.parameters.update({
        "seed": settings.seed, "window": settings.window, "window_choice": window_note,
        "report_window": settings.report_window,
        "as_of": None if settings.as_of is None else settings.as_of.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "n_permutations": settings.n_permutations, "min_cluster_size": settings.min_cluster_size,
        "tables": sorted(tables), "kinds": [detector.kind for detector in chosen],
        "thresholds": {detector.kind: limits[detector.kind] for detector in chosen},
    })
    result.stage_seconds = stage_seconds
    return result


def _apply_precedence(results: list[KindResult], limits: Mapping[str, Mapping[str, float]]) -> list[KindResult]:
    """Report accounts under the kind that explains them best (``Detector.supersedes``), saying so.

    A flagged cluster of a superseded kind that is mostly the accounts of the
    superseding kind's flagged clusters is unflagged whole; in the others,
    those accounts are not flagged again (a farm cluster that swallowed a
    banned operator's new accounts through one shared device keeps its own
    members; the evaders are reported as ban evasion, once).
    """
    from tsinvest.detection.registry import DETECTORS

    by_kind = {found.kind: found for found in results}
    for found in results:
        superseded = DETECTORS[found.kind].supersedes
        if not superseded or found.clusters.empty:
            continue
        flagged_clusters = found.clusters.loc[found.clusters["flagged"], "cluster_id"]
        accounts = set(found.members.loc[found.members["cluster_id"].isin(flagged_clusters), "account_id"])
        for kind in superseded:
            other = by_kind.get(kind)
            if other is None or other.clusters.empty or not accounts:
                continue
            by_kind[kind] = _superseded(other, accounts, found.kind, limits[found.kind]["min_superseded_share"])
    return [by_kind[found.kind] for found in results]


def _superseded(other: KindResult, accounts: set[str], by_kind: str, share_needed: float) -> KindResult:
    """``other`` with the clusters (mostly) and members that ``by_kind`` explains unflagged."""
    inside = other.members.assign(mine=other.members["account_id"].isin(accounts))
    share = inside.groupby("cluster_id")["mine"].mean()
    flagged = set(other.clusters.loc[other.clusters["flagged"], "cluster_id"])
    explained = set(share[share >= share_needed].index) & flagged
    partly = set(share[(share > 0) & (share < share_needed)].index) & flagged
    if not explained and not partly:
        return other
    clusters = other.clusters.copy()
    rows = clusters["cluster_id"].isin(explained)
    clusters.loc[rows, "flagged"] = False
    clusters.loc[rows, "explanation"] = (clusters.loc[rows, "explanation"].str.replace(
        "Flagged.", "", regex=False) + f"Not flagged as {other.kind}: mostly the accounts of a {by_kind} cluster.")
    members = other.members.copy()
    moved = members["cluster_id"].isin(partly) & inside["mine"].to_numpy() & members["member_flagged"].astype(bool)
    members.loc[moved, "member_flagged"] = False
    counts = members.loc[moved].groupby("cluster_id").size()
    rows = clusters["cluster_id"].isin(counts.index)
    clusters.loc[rows, "explanation"] = clusters.loc[rows].apply(
        lambda row: f"{row['explanation']} {counts[row['cluster_id']]} member(s) reported as {by_kind} instead.",
        axis=1)
    return KindResult(other.kind, other.edges, clusters, members, other.exclusions)


def _assemble(results: list[KindResult], tables: Mapping[str, pd.DataFrame]) -> DetectionResult:
    from tsinvest.graph.build import combine_edges

    members, summaries = [], []
    for found in results:
        if found.clusters.empty:
            continue
        summaries.append(found.clusters)
        rows = found.members.merge(found.clusters[["cluster_id", "kind", "signal", "score", "flagged"]],
                                   on="cluster_id")
        rows["flagged"] = rows["flagged"].astype(bool) & rows["member_flagged"].astype(bool)
        members.append(rows[_MEMBERSHIP_COLUMNS])
    memberships = (pd.concat(members, ignore_index=True) if members
                   else pd.DataFrame({c: pd.Series(dtype="object") for c in _MEMBERSHIP_COLUMNS}))
    memberships = conform(memberships, MEMBERSHIPS)
    memberships = memberships.sort_values(["score", "cluster_id", "account_id"], ascending=[False, True, True],
                                          kind="mergesort").reset_index(drop=True)
    if summaries:
        clusters = pd.concat(summaries, ignore_index=True)
        clusters = clusters.sort_values(["score", "cluster_id"], ascending=[False, True], kind="mergesort")
        rest = [c for c in clusters.columns if c not in _FIRST_CLUSTER_COLUMNS and c != "explanation"]
        clusters = clusters[_FIRST_CLUSTER_COLUMNS + rest + ["explanation"]].reset_index(drop=True)
        # Parallel sums may differ in the last bits between runs; six decimals
        # keep the written summary byte-identical for a seed.
        numeric = [c for c in rest if pd.api.types.is_float_dtype(clusters[c])]
        clusters[numeric] = clusters[numeric].round(6)
    else:
        clusters = pd.DataFrame(columns=_FIRST_CLUSTER_COLUMNS + ["explanation"])
    clusters = conform(clusters, CLUSTER_SUMMARY)
    edges = combine_edges(*[found.edges for found in results]) if results else combine_edges()
    exclusions = {found.kind: dict(sorted(found.exclusions.items())) for found in results}
    return DetectionResult(memberships=memberships, clusters=clusters, edges=edges, exclusions=exclusions,
                           accounts=tables.get("accounts"))
