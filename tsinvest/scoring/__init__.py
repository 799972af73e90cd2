"""Cluster scoring: per-cluster features, a time-shuffle null model, scores with explanations."""

from tsinvest.scoring.features import cluster_features, member_coordination
from tsinvest.scoring.null_model import coaction_null
from tsinvest.scoring.scores import DEFAULT_THRESHOLDS, score_clusters

__all__ = ["cluster_features", "member_coordination", "coaction_null", "score_clusters", "DEFAULT_THRESHOLDS"]
