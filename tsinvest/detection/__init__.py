"""Detection of coordinated abuse: one detector per kind, one pipeline that runs them.

==================  ==========================================  ===============
kind                edges                                       module
==================  ==========================================  ===============
amplification       same videos shared/liked within ``window``  amplification
mass_report         same (victim, policy) reported within hour  mass_report
farm                rare shared devices/IPs; same rare follows  farm
copy_paste          near-identical texts                        copy_paste
ban_evasion         new accounts linked to enforced ones        ban_evasion
==================  ==========================================  ===============
"""

from tsinvest.detection.base import DetectionSettings, Detector, KindResult
from tsinvest.detection.pipeline import (
    DEFAULT_GRAPH_FORMATS,
    DEFAULT_REPORT_WINDOW,
    DEFAULT_WINDOW,
    DetectionResult,
    detect,
)
from tsinvest.detection.registry import DEFAULT_THRESHOLDS, DETECTORS, KINDS

__all__ = ["detect", "DetectionResult", "Detector", "DetectionSettings", "KindResult", "DETECTORS", "KINDS",
           "DEFAULT_THRESHOLDS", "DEFAULT_WINDOW", "DEFAULT_REPORT_WINDOW", "DEFAULT_GRAPH_FORMATS"]
