"""Former home of :func:`detect`; kept so that ``from tsinvest.detect import detect`` keeps working.

The pipeline lives in :mod:`tsinvest.detection` (one detector per kind).
"""

from tsinvest.detection import DEFAULT_REPORT_WINDOW, DEFAULT_WINDOW, DetectionResult, detect
from tsinvest.detection.amplification import ENGAGEMENT_ACTIONS

__all__ = ["DetectionResult", "detect", "DEFAULT_WINDOW", "DEFAULT_REPORT_WINDOW", "ENGAGEMENT_ACTIONS"]
