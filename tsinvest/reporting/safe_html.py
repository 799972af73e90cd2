r"""HTML tables that show hostile usernames as text, never as markup.

A username such as ``<img src=x onerror=alert(1)>`` rendered raw into a
notebook or a shared HTML report runs script in the reader's browser; an
RLO character (U+202E) makes ``exe.gpj`` read as something else. Here every
dynamic value goes through two steps, in this order:

1. :func:`tsinvest.textnorm.display_safe` replaces bidirectional controls,
   zero-width and other invisible or control characters by a visible
   ``[U+202E]``-style marker (a reviewer sees that a trick was attempted
   instead of being fooled by it; a ``<bdi>`` wrapper would only stop the
   text leaking into its neighbours, not stop it reordering itself);
2. :func:`html.escape` with ``quote=True`` turns ``& < > " '`` into entities.

The table is built from strings by this module, not by pandas: ``to_html``
and ``Styler`` escape cells only when asked and headers separately, and the
Styler adds a random id per render, which would make saved notebooks differ
run to run.

Examples
--------
>>> import pandas as pd
>>> print(safe_table_html(pd.DataFrame({"username": ["<b>x</b>"]})))
<table class="tsinvest-table">
<thead><tr><th>username</th></tr></thead>
<tbody>
<tr><td style="text-align: left">&lt;b&gt;x&lt;/b&gt;</td></tr>
</tbody>
</table>
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.textnorm import display_safe

__all__ = ["cell_text", "safe_table_html", "SafeTable", "display_table"]


def cell_text(value: object, *, max_chars: int = 300) -> str:
    """The visible, unescaped text of one cell: what a reader should see.

    Missing values are empty; floats show 6 significant digits; text longer
    than ``max_chars`` is cut with ``…``; hidden characters become markers.

    Examples
    --------
    >>> cell_text("pay\u202eexe"), cell_text(None), cell_text(0.1234567), cell_text("x" * 5, max_chars=3)
    ('pay[U+202E]exe', '', '0.123457', 'xxx…')
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else format(value, ".6g")
    text = str(value)
    if len(text) > max_chars:
        # Cut before making markers visible so a marker is never split in half.
        text = text[:max_chars] + "…"
    return display_safe(text)


def _escaped(value: object, max_chars: int) -> str:
    return html.escape(cell_text(value, max_chars=max_chars), quote=True)


def safe_table_html(
    frame: pd.DataFrame,
    *,
    max_rows: int = 50,
    max_chars: int = 300,
    index: bool = False,
    caption: str | None = None,
) -> str:
    """Render a DataFrame as an HTML table with every header and cell escaped.

    Parameters
    ----------
    frame : DataFrame
        Table to show.
    max_rows : int, default 50
        Rows shown; when the frame is longer a caption says how many of how
        many. Keeps notebooks small and limits how much personal data a
        shared notebook carries.
    max_chars : int, default 300
        Characters shown per cell before cutting with ``…``.
    index : bool, default False
        Whether to show the index as a first column.
    caption : str, optional
        Text shown above the table (escaped like any cell).

    Returns
    -------
    str
        ``<table>`` markup containing only ``table caption thead tbody tr
        th td`` elements and text.

    Examples
    --------
    >>> frame = pd.DataFrame({"username": ['"onmouseover=alert(1)', "ok"], "score": [0.5, 0.25]})
    >>> out = safe_table_html(frame, max_rows=1)
    >>> "&quot;onmouseover=alert(1)" in out, "showing 1 of 2 rows" in out
    (True, True)
    """
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError("safe_table_html: expected a pandas DataFrame")
    if not isinstance(max_rows, int) or max_rows < 0:
        raise ParameterError("safe_table_html: max_rows must be a non-negative integer")
    if not isinstance(max_chars, int) or max_chars < 1:
        raise ParameterError("safe_table_html: max_chars must be a positive integer")
    shown = frame.iloc[:max_rows]
    captions = [caption] if caption else []
    if len(frame) > max_rows:
        captions.append(f"showing {max_rows} of {len(frame)} rows")
    lines = ['<table class="tsinvest-table">']
    if captions:
        lines.append("<caption>" + html.escape(" — ".join(captions), quote=True) + "</caption>")
    headers = ([shown.index.name or ""] if index else []) + list(shown.columns)
    lines.append("<thead><tr>" + "".join(f"<th>{_escaped(name, max_chars)}</th>" for name in headers) + "</tr></thead>")
    lines.append("<tbody>")
    # Notebook CSS right-aligns every cell; text (explanations, usernames) reads better left-aligned.
    # The attribute is a constant, never built from data.
    openings = [
        "<td>" if pd.api.types.is_numeric_dtype(dtype) else '<td style="text-align: left">'
        for dtype in shown.dtypes
    ]
    for label, row in zip(shown.index, shown.itertuples(index=False, name=None), strict=True):
        cells = "".join(
            f"{opening}{_escaped(value, max_chars)}</td>" for opening, value in zip(openings, row, strict=True)
        )
        head = f"<th>{_escaped(label, max_chars)}</th>" if index else ""
        lines.append(f"<tr>{head}{cells}</tr>")
    lines.append("</tbody>")
    lines.append("</table>")
    return "\n".join(lines)


@dataclass(frozen=True)
class SafeTable:
    """A notebook display object whose HTML is :func:`safe_table_html` output.

    Attributes
    ----------
    html : str
        The escaped table markup.
    rows, columns : int
        Shape of the full frame (not only the rows shown).
    """

    html: str
    rows: int
    columns: int

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        # The plain-text form is saved next to the HTML in .ipynb files; it
        # stays value-free so a notebook stripped to text leaks nothing.
        return f"SafeTable({self.rows} rows x {self.columns} columns)"


def display_table(
    frame: pd.DataFrame,
    *,
    max_rows: int = 50,
    max_chars: int = 300,
    index: bool = False,
    caption: str | None = None,
) -> SafeTable:
    """Wrap a frame for notebook display so hostile text shows as text.

    Make it the last expression of a cell (or pass it to
    ``IPython.display.display``); parameters as :func:`safe_table_html`.

    Examples
    --------
    >>> table = display_table(pd.DataFrame({"username": ["</script><script>alert(1)</script>"]}))
    >>> table
    SafeTable(1 rows x 1 columns)
    >>> "<script>" in table._repr_html_()
    False
    """
    markup = safe_table_html(frame, max_rows=max_rows, max_chars=max_chars, index=index, caption=caption)
    return SafeTable(html=markup, rows=len(frame), columns=len(frame.columns))
