"""Cluster scoring inputs: per-cluster features, per-member coordination, a shuffle null model, a scan statistic.

The decision rules (thresholds, scores, explanations) belong to each kind's
detector in :mod:`tsinvest.detection`.
"""

from tsinvest.scoring.features import cluster_features, member_actions, member_coordination
from tsinvest.scoring.null_model import coaction_null
from tsinvest.scoring.scan import chance_bystanders, chance_waves

__all__ = ["cluster_features", "member_actions", "member_coordination", "coaction_null", "chance_waves",
           "chance_bystanders"]
