"""Hostile strings: what real user content throws at an investigations kit.

Usernames, display names and texts on a video platform are attacker-controlled.
The sample data carries the classics so every consumer (CSV writer, HTML
report, spreadsheet export, notebook display) is exercised against them:
markup and script, spreadsheet formulas, bidirectional overrides, zero-width
characters, emoji, separators and quotes, newlines and very long values.

Examples
--------
>>> any("<script>" in value for value in HOSTILE_STRINGS)
True
>>> max(len(value) for value in LONG_VALUES) >= 2000
True
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

__all__ = ["HOSTILE_STRINGS", "LONG_VALUES", "HOMOGLYPHS", "ZERO_WIDTH", "inject_hostile", "obfuscate"]

HOSTILE_STRINGS: tuple[str, ...] = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(document.domain)>',
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    "+1",
    "-2",
    "@SUM(A1)",
    "\u202egnp.exe",  # right-to-left override: renders as "exe.png"
    "ad\u200bmin\u200d",  # zero-width space and joiner
    "🔥💀🫠 emoji only 👩‍👩‍👧",
    'comma, "double quotes", and \'single\'',
    "line one\nline two",
    "carriage\r\nreturn",
    "tab\tseparated",
    "semi;colon|pipe",
    "{{7*7}} ${7*7}",
    "Robert'); DROP TABLE accounts;--",
    "ｆｕｌｌｗｉｄｔｈ",
    "مرحبا بالعالم",
)

#: Values of 2000+ characters (column-width and truncation handling).
LONG_VALUES: tuple[str, ...] = (
    "follow for follow " * 120,
    "🔥" * 2100,
    ("a" * 1000) + "<script>alert(1)</script>" + ("b" * 1000),
)

#: Latin letter -> look-alike used to dodge exact-text matching.
HOMOGLYPHS = MappingProxyType({
    "a": "\u0430",  # Cyrillic a
    "e": "\u0435",  # Cyrillic e
    "o": "\u043e",  # Cyrillic o
    "p": "\u0440",  # Cyrillic er
    "c": "\u0441",  # Cyrillic es
    "i": "1",
    "s": "$",
    "l": "I",
})
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060")


def inject_hostile(
    values: np.ndarray,
    rng: np.random.Generator,
    *,
    fraction: float,
    long_values: int = 0,
    mode: str = "replace",
) -> np.ndarray:
    """Put hostile strings into a modest fraction of ``values`` (a copy).

    Every hostile string is used at least once when enough rows are chosen, so a
    test can rely on each being present.

    Parameters
    ----------
    values : numpy.ndarray of object
        Strings to spike.
    rng : numpy.random.Generator
    fraction : float
        Share of rows that receive a hostile string.
    long_values : int
        How many further rows receive a 2000+ character value.
    mode : {"replace", "append"}
        Replace the value, or append the hostile string to it.

    Examples
    --------
    >>> out = inject_hostile(np.array(["x"] * 100, dtype=object), np.random.default_rng(0), fraction=0.3)
    >>> sum(value != "x" for value in out)
    30
    """
    out = np.array(values, dtype=object, copy=True)
    n = len(out)
    k = min(n, int(round(fraction * n)))
    chosen = rng.choice(n, size=min(n, k + long_values), replace=False)
    hostile_rows, long_rows = chosen[:k], chosen[k:]
    picks = np.resize(np.arange(len(HOSTILE_STRINGS)), k)
    rng.shuffle(picks[len(HOSTILE_STRINGS) :])
    for row, pick in zip(hostile_rows.tolist(), picks.tolist(), strict=True):
        hostile = HOSTILE_STRINGS[pick]
        out[row] = hostile if mode == "replace" or out[row] is None else f"{out[row]} {hostile}"
    for i, row in enumerate(long_rows.tolist()):
        out[row] = LONG_VALUES[i % len(LONG_VALUES)]
    return out


def obfuscate(text: str, rng: np.random.Generator, *, strength: float = 0.25) -> str:
    """Disguise a copy-paste text: homoglyphs, zero-width characters, word swaps.

    Examples
    --------
    >>> out = obfuscate("claim your free coins now", np.random.default_rng(3), strength=0.5)
    >>> out != "claim your free coins now"
    True
    """
    words = text.split(" ")
    if len(words) > 3 and rng.random() < 0.7:
        i = int(rng.integers(0, len(words) - 1))
        words[i], words[i + 1] = words[i + 1], words[i]
    chars = []
    for char in " ".join(words):
        lower = char.lower()
        if lower in HOMOGLYPHS and rng.random() < strength:
            chars.append(HOMOGLYPHS[lower])
        else:
            chars.append(char)
        if char != " " and rng.random() < strength / 4:
            chars.append(ZERO_WIDTH[int(rng.integers(0, len(ZERO_WIDTH)))])
    return "".join(chars)
