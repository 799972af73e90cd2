r"""Text helpers shared by every matplotlib figure of tsinvest.

Figures label things with strings that come from users (hashtags, group
keys, cluster and action names). :func:`safe_label` makes such a string safe
to hand to matplotlib: ``$`` is escaped so mathtext never parses it, and
control or format characters are dropped. Callers still switch TeX off on
the text itself (``usetex=False``), since ``rcParams["text.usetex"]`` may be
on in the analyst's session.

Examples
--------
>>> safe_label("#win$$ now")
'#win\\$\\$ now'
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

__all__ = ["safe_label"]


def safe_label(text: Any, *, max_chars: int | None = 60) -> str:
    r"""Make a user string safe and readable as matplotlib text.

    Control and format characters (newlines, bidi overrides, zero-width) are
    dropped, long strings are cut with an ellipsis, and every ``$`` is
    escaped as ``\$`` so mathtext shows it literally.

    Parameters
    ----------
    text : object
        The string (anything else is turned into one; ``None`` and NaN give ``"<NA>"``).
    max_chars : int or None
        Longer strings are cut to this many characters, the last one an
        ellipsis; ``None`` keeps the whole string (titles, legend entries).

    Returns
    -------
    str

    Examples
    --------
    >>> safe_label("a\u202eb\nc" + "x" * 80, max_chars=8)
    'abcxxxx…'
    >>> safe_label("cost $5 to $9", max_chars=None)
    'cost \\$5 to \\$9'
    """
    text = "<NA>" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    text = "".join(char for char in text if unicodedata.category(char)[0] != "C")
    if max_chars is not None and len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    return text.replace("$", r"\$")
