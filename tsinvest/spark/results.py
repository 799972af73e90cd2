"""Edge tables computed by Spark, collected as the local engine returns them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tsinvest.schemas import EDGE_COLUMNS

__all__ = ["SparkEdgeTable", "edges_to_pandas", "utc_timestamps"]


def edges_to_pandas(edges: Any, *, weight_dtype: str = "float64") -> Any:
    """Collect a Spark edge table (:data:`~tsinvest.schemas.EDGE_COLUMNS`) with the local engine's dtypes.

    Ids, signal and evidence as pandas strings, ``weight`` as ``weight_dtype``,
    times as nanosecond UTC timestamps; the row order is Spark's (the queries sort).
    """
    import pandas as pd

    from tsinvest.schemas import STRING_DTYPE, TIMESTAMP_DTYPE

    table = edges.select(*EDGE_COLUMNS).toArrow()
    columns = {}
    for name in EDGE_COLUMNS:
        values = table.column(name).to_pandas()
        if name in ("first_ts", "last_ts"):
            values = pd.to_datetime(values, utc=True).astype(TIMESTAMP_DTYPE)
        elif name == "weight":
            values = values.astype(weight_dtype)
        else:
            values = pd.array(values, dtype=STRING_DTYPE)
        columns[name] = values
    frame = pd.DataFrame(columns, columns=list(EDGE_COLUMNS))
    frame.index = pd.RangeIndex(len(frame))
    return frame


@dataclass
class SparkEdgeTable:
    """An edge table Spark computes lazily, with the counts the local function reports.

    Attributes
    ----------
    edges : pyspark.sql.DataFrame
        :data:`~tsinvest.schemas.EDGE_COLUMNS`, sorted as the local engine sorts.
    attrs : dict
        What the local function puts in ``edges.attrs`` (small counts, computed
        when the table is defined).
    """

    edges: Any
    attrs: dict = field(default_factory=dict)

    def to_pandas(self) -> Any:
        """The edges as the local engine returns them (same columns, dtypes, order and ``attrs``)."""
        frame = edges_to_pandas(self.edges)
        frame.attrs.update(self.attrs)
        return frame


def utc_timestamps(values: Any) -> Any:
    """Naive-UTC or aware timestamps from Spark as the kit's nanosecond UTC timestamps."""
    import pandas as pd

    from tsinvest.schemas import TIMESTAMP_DTYPE

    values = pd.to_datetime(values)
    if values.dt.tz is None:
        values = values.dt.tz_localize("UTC")
    return values.astype(TIMESTAMP_DTYPE)
