"""Where the detectors' heavy linking stages run: the local engine, or another one (:mod:`tsinvest.spark.detect`).

The detectors call the three stages through :attr:`DetectionSettings.linking
<tsinvest.detection.base.DetectionSettings>`; an engine returns the same
pandas edge tables (``attrs`` included), so clustering, scoring and the
outputs do not depend on where the edges were computed.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Linking", "LOCAL_LINKING"]


class Linking:
    """The local engine's linking stages; other engines subclass it and override the three methods.

    Each method takes the local function's arguments (passed through as
    they are) and returns its pandas result.
    """

    name = "local"

    def coordination_edges(self, events: Any, **options: Any) -> Any:
        """:func:`tsinvest.linking.coordination.coordination_edges`."""
        from tsinvest.linking.coordination import coordination_edges

        return coordination_edges(events, **options)

    def shared_attribute_edges(self, table: Any, **options: Any) -> Any:
        """:func:`tsinvest.linking.shared_attributes.shared_attribute_edges`."""
        from tsinvest.linking.shared_attributes import shared_attribute_edges

        return shared_attribute_edges(table, **options)

    def copy_paste_edges(self, events: Any, **options: Any) -> Any:
        """:func:`tsinvest.linking.copy_paste.copy_paste_edges`."""
        from tsinvest.linking.copy_paste import copy_paste_edges

        return copy_paste_edges(events, **options)


#: The default: everything on this machine.
LOCAL_LINKING = Linking()
