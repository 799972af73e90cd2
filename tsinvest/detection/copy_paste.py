"""Copy-paste campaigns: accounts posting the same script, obfuscated or not."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import pandas as pd

from tsinvest.detection.base import MEMBER_COLUMNS, DetectionSettings, Detector, KindResult, feature, judge_clusters
from tsinvest.detection.clustering import cluster_family

__all__ = ["CopyPaste"]


class CopyPaste(Detector):
    """Near-identical texts (MinHash LSH over normalised text) linking the accounts that posted them.

    Thresholds
    ----------
    similarity
        Estimated Jaccard similarity of two texts' character shingles at which
        they match. 0.55, because a script disguised with two or three word
        substitutions ("claim" for "grab", "money" for "cash") keeps about
        60% of its shingles; homoglyphs, leetspeak and zero-width characters
        are folded away before (:func:`tsinvest.textnorm.normalise_text`).
    min_tokens
        Words a text needs to be compared (placeholders not counted). 8,
        because organic comments are short stock phrases recombined ("can't
        believe" + "so good" + "tbh") that heavy commenters repeat verbatim
        across thousands of accounts' feeds, while a campaign's script is a
        sentence or two.
    max_accounts_per_text
        A text posted by more accounts is a common phrase ("nice", "first"),
        not a script: left out and counted.
    edge_min_weight
        Matched posts a pair needs for an edge.
    dense_component
        A component at least this dense stays one cluster.
    min_size, min_density, min_duplicated_per_member
        Cluster rule: heavy organic commenters reuse stock phrases twice now
        and then; campaigns push their script about a dozen times per pair.
    """

    kind = "copy_paste"
    prefix = "copy"
    required = ("events",)
    thresholds = MappingProxyType({
        "similarity": 0.55, "min_tokens": 8, "max_accounts_per_text": 10, "edge_min_weight": 2.0,
        "dense_component": 0.5,
        "min_size": 4, "min_density": 0.2, "min_duplicated_per_member": 3.0,
    })

    def applies(self, tables: Mapping[str, pd.DataFrame]) -> bool:
        events = tables.get("events")
        return events is not None and len(events) > 0 and "text" in events.columns

    def run(self, tables: Mapping[str, pd.DataFrame], settings: DetectionSettings,
            limits: Mapping[str, float]) -> KindResult:
        from tsinvest.graph.communities import edges_among_members, edges_within_clusters
        from tsinvest.scoring import cluster_features

        copy_paste_edges = settings.linking.copy_paste_edges
        edges = copy_paste_edges(tables["events"], threshold=limits["similarity"], min_tokens=int(limits["min_tokens"]),
                                 max_accounts_per_text=int(limits["max_accounts_per_text"]),
                                 min_weight=limits["edge_min_weight"], progress=False, seed=settings.seed + 1)
        exclusions = {"common_texts": int(edges.attrs.get("common_texts_excluded", 0)),
                      "short_texts": int(edges.attrs.get("short_texts_skipped", 0))}
        edges.attrs = {}
        edges = edges.assign(weight=edges["weight"].astype("float64"))
        memberships = cluster_family(edges, seed=settings.seed, min_size=settings.min_cluster_size,
                                     prefix=self.prefix, dense_component=limits["dense_component"])
        if memberships.empty:
            return KindResult(self.kind, edges, pd.DataFrame(columns=["cluster_id"]),
                              pd.DataFrame(columns=list(MEMBER_COLUMNS)), exclusions)
        inside = edges_within_clusters(edges, memberships)
        features = cluster_features(memberships, edges_among_members(edges, memberships),
                                    accounts=tables.get("accounts"), as_of=settings.as_of)
        clusters = judge_clusters(self, features, inside, limits)
        members = memberships.assign(member_flagged=True, member_coordinated_share=float("nan"))
        return KindResult(self.kind, edges, clusters, members[list(MEMBER_COLUMNS)], exclusions)

    @staticmethod
    def decide(row: Mapping, limits: Mapping[str, float]) -> tuple[float, bool]:
        density = feature(row, "density")
        per_pair = feature(row, "duplicated_texts") / max(1.0, feature(row, "edges"))
        score = 0.5 * min(1.0, density) + 0.5 * min(1.0, per_pair / 5.0)
        flagged = (feature(row, "size") >= limits["min_size"] and density >= limits["min_density"]
                   and per_pair >= limits["min_duplicated_per_member"])
        return score, flagged

    @staticmethod
    def describe(row: Mapping) -> list[str]:
        return [f"{int(feature(row, 'size'))} accounts posted near-identical text "
                f"({int(feature(row, 'duplicated_texts'))} matched posts)", f"density {feature(row, 'density'):.2f}"]
