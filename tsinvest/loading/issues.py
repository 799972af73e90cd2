"""Row issues and the Arrow helpers that loading's converters share.

:mod:`tsinvest.loading.timestamps` and :mod:`tsinvest.loading.validation` both
report bad rows as :class:`RowIssue` and scan text columns with Arrow kernels;
both import these from here, so neither imports the other for them.

Examples
--------
>>> import pandas as pd
>>> import pyarrow.compute as pc
>>> arrow_mask(pc.equal(arrow_text(pd.Series(["a", None, "b"])), "b")).tolist()
[False, False, True]
>>> number_to_text(12.0), number_to_text(0.5), number_to_text(True)
('12', None, 'true')
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["RowIssue", "MAX_EXACT_FLOAT", "arrow_text", "arrow_mask", "number_to_text"]

#: Integers above this are not exactly representable as a float (Excel number cells,
#: float columns): an id stored that way has already been rounded.
MAX_EXACT_FLOAT = 2**53


@dataclass(frozen=True)
class RowIssue:
    """Rows (frame positions, 0-based) of one column that break one rule.

    ``column`` is None for whole-row problems such as ragged rows.
    """

    column: str | None
    reason: str
    positions: np.ndarray


def arrow_text(series: pd.Series) -> pa.Array:
    """The values of a text column as a pyarrow string array (nulls for missing).

    Regex and substring tests run in Arrow's C++ kernels instead of a Python
    call per row, which matters on multi-million-row files.
    """
    import pyarrow as pa

    values = series.astype(object).to_numpy()
    return pa.array(values, type=pa.string(), from_pandas=True)


def arrow_mask(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Boolean numpy mask from an Arrow boolean array, nulls as False."""
    import pyarrow.compute as pc

    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def number_to_text(value: object) -> str | None:
    """Text of a non-string scalar; None when a float cannot be an exact id."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if value.is_integer() and abs(float(value)) < MAX_EXACT_FLOAT:
            return str(int(value))
        return None
    if isinstance(value, Decimal):
        # Parquet/SQL decimal: an integral decimal is its integer text ("123.00" -> "123").
        if value.is_finite() and value == value.to_integral_value():
            return str(int(value))
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
