"""The detectors :func:`tsinvest.detection.detect` runs, in order.

Adding a kind is one new module with a :class:`~tsinvest.detection.base.Detector`
subclass plus one line here.
"""

from __future__ import annotations

from types import MappingProxyType

from tsinvest.detection.amplification import Amplification
from tsinvest.detection.ban_evasion import BanEvasion
from tsinvest.detection.base import Detector
from tsinvest.detection.copy_paste import CopyPaste
from tsinvest.detection.farm import Farm
from tsinvest.detection.mass_report import MassReport

__all__ = ["DETECTORS", "KINDS", "DEFAULT_THRESHOLDS"]

#: Detector per kind, in the order they run.
DETECTORS: MappingProxyType[str, Detector] = MappingProxyType({
    detector.kind: detector for detector in (Amplification(), MassReport(), Farm(), CopyPaste(), BanEvasion())
})
#: The kinds of abuse detected.
KINDS = tuple(DETECTORS)
#: Every detector's default thresholds, by kind (read-only).
DEFAULT_THRESHOLDS = MappingProxyType({kind: detector.thresholds for kind, detector in DETECTORS.items()})
