"""Trends: volumes per period, spikes against a seasonal baseline, emerging terms, coordination share.

The usual path in a notebook::

    series = time_series(reports, by="policy")           # counts per day, zero-filled, UTC
    spikes = detect_spikes(series)                       # expected, score, flagged, baseline
    terms = emerging_terms(events, target=..., reference=...)
    coordinated_share(term_occurrences(events, start=..., end=...), flagged_ids, by="term")

Examples
--------
>>> sorted(__all__)[:3]
['coordinated_share', 'detect_spikes', 'emerging_terms']
"""

from tsinvest.trends.attribution import coordinated_share
from tsinvest.trends.emerging import emerging_terms, extract_hashtags, term_occurrences
from tsinvest.trends.plots import plot_emerging, plot_spikes
from tsinvest.trends.spikes import detect_spikes
from tsinvest.trends.timeseries import time_series

__all__ = [
    "time_series",
    "detect_spikes",
    "emerging_terms",
    "extract_hashtags",
    "term_occurrences",
    "coordinated_share",
    "plot_spikes",
    "plot_emerging",
]
