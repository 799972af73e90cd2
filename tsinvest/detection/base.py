"""What every detector plugs into: settings, the per-kind result, the detector interface.

A *detector* finds one kind of coordinated abuse. It declares the tables it
needs and its own named thresholds, and its :meth:`Detector.run` returns a
:class:`KindResult`: the edges it linked accounts with, its clusters (scored
and explained), which members are flagged, and what it left out (counts only).
:func:`tsinvest.detection.detect` runs every applicable detector and
assembles their results.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar

import numpy as np
import pandas as pd

from tsinvest.detection.linking import LOCAL_LINKING, Linking
from tsinvest.exceptions import ParameterError
from tsinvest.schemas import EDGE_COLUMNS

__all__ = ["DetectionSettings", "KindResult", "Detector", "judge_clusters", "empty_edges", "MEMBER_COLUMNS"]

#: Columns of :attr:`KindResult.members`.
MEMBER_COLUMNS = ("cluster_id", "account_id", "member_flagged", "member_coordinated_share")


@dataclass(frozen=True)
class DetectionSettings:
    """Settings every detector reads (see :func:`tsinvest.detection.detect`)."""

    seed: int
    window: float
    report_window: float
    as_of: pd.Timestamp | None
    n_permutations: int
    min_cluster_size: int
    progress: bool = False
    #: The engine of the linking stages (:mod:`tsinvest.detection.linking`).
    linking: Linking = LOCAL_LINKING


@dataclass
class KindResult:
    """What one detector found.

    Attributes
    ----------
    kind : str
    edges : DataFrame
        ``EDGE_COLUMNS``; weight as float64.
    clusters : DataFrame
        One row per cluster: ``cluster_id``, ``kind``, ``signal``, ``signals``,
        features, ``score``, ``flagged``, ``explanation``.
    members : DataFrame
        :data:`MEMBER_COLUMNS`: whether each member passes the kind's member
        rule (an account is flagged when its cluster is flagged *and* it does).
    exclusions : dict of str to int
        What the detector left out and why, as counts (never ids).
    """

    kind: str
    edges: pd.DataFrame
    clusters: pd.DataFrame
    members: pd.DataFrame
    exclusions: dict[str, int] = field(default_factory=dict)


class Detector(abc.ABC):
    """One kind of coordinated abuse.

    Subclasses set :attr:`kind`, :attr:`prefix` (of cluster ids),
    :attr:`required` (tables that must be present and non-empty) and
    :attr:`thresholds` (every decision rule, named and documented in the
    subclass), and implement :meth:`run`, :meth:`decide` and :meth:`describe`.
    """

    kind: ClassVar[str]
    prefix: ClassVar[str]
    required: ClassVar[tuple[str, ...]]
    thresholds: ClassVar[Mapping[str, float]] = MappingProxyType({})
    #: Kinds whose flagged clusters this kind explains better when they are
    #: mostly the same accounts (see :func:`tsinvest.detection.pipeline.detect`).
    supersedes: ClassVar[tuple[str, ...]] = ()

    def applies(self, tables: Mapping[str, pd.DataFrame]) -> bool:
        """Whether every required table is present with rows."""
        return all(name in tables and len(tables[name]) for name in self.required)

    def limits(self, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
        """The thresholds with ``overrides`` applied; unknown names are an error."""
        merged = dict(self.thresholds)
        unknown = sorted(set(overrides or {}) - set(merged))
        if unknown:
            raise ParameterError(
                f"thresholds['{self.kind}']: unknown name(s) {', '.join(unknown)}; "
                f"the names are {', '.join(sorted(merged))}"
            )
        merged.update(overrides or {})
        return merged

    @abc.abstractmethod
    def run(self, tables: Mapping[str, pd.DataFrame], settings: DetectionSettings,
            limits: Mapping[str, float]) -> KindResult:
        """Link, cluster, score and explain."""

    @staticmethod
    @abc.abstractmethod
    def decide(row: Mapping, limits: Mapping[str, float]) -> tuple[float, bool]:
        """Score (0-1) and flag one cluster from its features."""

    @staticmethod
    @abc.abstractmethod
    def describe(row: Mapping) -> list[str]:
        """The plain-language parts of one cluster's explanation (``row`` holds its features and ``flagged``)."""


def feature(row: Mapping, name: str, default: float = 0.0) -> float:
    """A feature of a cluster row as a float, ``default`` when missing or NaN."""
    value = row.get(name, default)
    try:
        if value is None or pd.isna(value):
            return default
    except (TypeError, ValueError):
        return default
    return float(value)


def empty_edges() -> pd.DataFrame:
    """An edge table with no rows and the canonical columns."""
    from tsinvest.schemas import STRING_DTYPE, TIMESTAMP_DTYPE

    dtypes = {"account_a": STRING_DTYPE, "account_b": STRING_DTYPE, "signal": STRING_DTYPE, "weight": "float64",
              "first_ts": TIMESTAMP_DTYPE, "last_ts": TIMESTAMP_DTYPE, "evidence": STRING_DTYPE}
    return pd.DataFrame({c: pd.Series(dtype=dtypes[c]) for c in EDGE_COLUMNS})


def _creation_note(row: Mapping) -> list[str]:
    burst = feature(row, "creation_burst_share", np.nan)
    size = feature(row, "size")
    # Fewer than 3 accounts created close together says nothing.
    if not np.isnan(burst) and size and round(burst * size) >= 3:
        return [f"{round(burst * size)} created within 2 hours"]
    return []


def judge_clusters(detector: Detector, features: pd.DataFrame, inside: pd.DataFrame,
                   limits: Mapping[str, float]) -> pd.DataFrame:
    """Score, flag and explain every cluster of one detector.

    Parameters
    ----------
    detector : Detector
    features : DataFrame
        One row per cluster (``cluster_id`` and the detector's features).
    inside : DataFrame
        The edges inside clusters (:func:`tsinvest.graph.communities.edges_within_clusters`),
        for the dominant signal and the list of signals.
    limits : mapping

    Returns
    -------
    DataFrame
        ``cluster_id``, ``kind``, ``signal``, ``signals``, the features,
        ``score``, ``flagged``, ``explanation``; sorted by score desc, cluster_id.
    """
    scored = features.copy()
    counts = inside.groupby(["cluster_id", "signal"]).size().rename("n").reset_index()
    counts = counts.sort_values(["cluster_id", "n", "signal"], ascending=[True, False, True], kind="mergesort")
    dominant = counts.drop_duplicates("cluster_id").set_index("cluster_id")["signal"]
    listed = counts.groupby("cluster_id")["signal"].agg(lambda s: ",".join(sorted(map(str, s))))
    scored.insert(1, "kind", detector.kind)
    scored.insert(2, "signal", scored["cluster_id"].map(dominant).astype("string"))
    scored.insert(3, "signals", scored["cluster_id"].map(listed).astype("string"))
    records = scored.to_dict(orient="records")
    decisions = [detector.decide(record, limits) for record in records]
    scored["score"] = np.array([round(float(score), 4) for score, _ in decisions], dtype="float64")
    scored["flagged"] = np.array([bool(flag) for _, flag in decisions], dtype=bool)
    scored["explanation"] = pd.array(
        ["; ".join(detector.describe({**record, "flagged": flag}) + _creation_note(record))
         + (". Flagged." if flag else ". Not flagged.")
         for record, (_, flag) in zip(records, decisions, strict=True)], dtype="string")
    scored = scored.sort_values(["score", "cluster_id"], ascending=[False, True], kind="mergesort")
    return scored.reset_index(drop=True)
