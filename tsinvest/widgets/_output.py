"""Put tables, text and figures into an ipywidgets ``Output`` without a kernel.

Outputs are set as one ``outputs`` tuple (the widget's synced state), not
captured with ``with output:``: that works the same in a live kernel, in
tests without one, and replaces the content in one update (no flicker).
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import pandas as pd

__all__ = ["table_output", "text_output", "figure_output", "html_output", "show", "output_html", "static_bundle"]


def table_output(frame: pd.DataFrame, *, max_rows: int = 30, caption: str | None = None) -> dict:
    """A display_data entry holding an escaped table (:func:`tsinvest.reporting.display_table`)."""
    from tsinvest.reporting import display_table

    table = display_table(frame, max_rows=max_rows, caption=caption)
    return {"output_type": "display_data", "metadata": {},
            "data": {"text/html": table._repr_html_(), "text/plain": repr(table)}}


def html_output(markup: str, plain: str) -> dict:
    """A display_data entry of markup the caller has already escaped."""
    return {"output_type": "display_data", "metadata": {}, "data": {"text/html": markup, "text/plain": plain}}


def text_output(text: str) -> dict:
    """A display_data entry of plain text, escaped for HTML."""
    from tsinvest.textnorm import display_safe

    safe = display_safe(text)
    return html_output(f"<pre>{html.escape(safe, quote=True)}</pre>", safe)


def figure_output(figure: Any) -> dict:
    """A display_data entry with a PNG of a matplotlib figure (no pyplot state, no metadata)."""
    buffer = io.BytesIO()
    # Without a Software/date tag the PNG bytes depend on the picture only.
    figure.savefig(buffer, format="png", dpi=80, metadata={"Software": None})
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": encoded, "text/plain": "<Figure>"}}


def show(output: Any, *entries: dict) -> None:
    """Replace the content of an ``ipywidgets.Output``."""
    output.outputs = tuple(entries)


def output_html(output: Any) -> str:
    """All HTML (or plain text) currently in an ``Output``: what tests and tooltips read."""
    parts = []
    for entry in output.outputs:
        data = entry.get("data", {})
        parts.append(data.get("text/html", data.get("text/plain", "")))
    return "\n".join(parts)


def static_bundle(bundle: Any, what: str) -> dict:
    """A widget's display bundle whose plain-text form is a sentence for static reports, not a repr.

    A saved notebook or an HTML export cannot run widgets; where the widget
    view cannot render, readers see this text instead of
    ``VBox(children=(HBox(...``.
    """
    bundle = dict(bundle[0] if isinstance(bundle, tuple) else bundle or {})
    bundle["text/plain"] = (f"[{what}: interactive in JupyterLab or in the app (make app); "
                            "the tables and pictures below show the same filters]")
    return bundle
