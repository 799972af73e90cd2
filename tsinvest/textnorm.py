r"""Unicode-aware text keys for matching adversarial text, and safe display.

Abusers dodge exact matching with look-alike characters (Cyrillic ``а`` for
Latin ``a``), leetspeak (``fr33``), full-width or mathematical letters
(``ｆｒｅｅ``, ``𝐟𝐫𝐞𝐞``), invisible characters (zero-width space, soft hyphen)
and bidirectional overrides that reorder what a reviewer sees. Three functions:

* :func:`matching_key` folds all of that into one comparison key (not meant
  to be read: ``"PayPaI"`` and ``"paypal"`` both become ``"paypai"``);
* :func:`normalise_text` is the key used for copy-paste comparison: it also
  replaces URLs, @mentions and emoji runs with placeholder tokens, because
  spam variants rotate links, tagged accounts and emoji while the body stays;
* :func:`display_safe` keeps text readable but makes invisible and
  direction-changing characters visible as ``[U+202E]`` markers, so a saved
  notebook cannot be made to display something other than what was posted.

Only the standard library (:mod:`unicodedata`, :mod:`re`) is used.

Examples
--------
>>> matching_key("Frее  Mоnеy\u200b!!")   # Cyrillic е/о, zero-width space
'free money!!'
>>> normalise_text("Fr33 followers @bob https://x.io/a 🔥🔥")
'free foiiowers <mention> <url> <emoji>'
>>> display_safe("abc\u202edef")
'abc[U+202E]def'
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["matching_key", "normalise_text", "display_safe", "PLACEHOLDERS"]

#: Tokens :func:`normalise_text` substitutes for URLs, mentions and emoji runs.
PLACEHOLDERS = ("<url>", "<mention>", "<emoji>")

# Written by hand on purpose: the Unicode confusables data (UTS #39,
# confusables.txt, ~6 000 lines) is not in `unicodedata`, its "skeleton"
# maps to arbitrary prototypes rather than to Latin letters, and a dependency
# only for this table is not worth it. These are the look-alikes seen in
# abuse text (Cyrillic, Greek, Armenian and Latin variants NFKD does not
# decompose), already case-folded because the table is applied after
# casefold(). Extend it when a new evasion shows up.
_CONFUSABLES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i",
    "ј": "j", "ԁ": "d", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ү": "y", "ɡ": "g",
    "ь": "b", "п": "n", "г": "r", "з": "3", "ч": "4",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "ζ": "z", "η": "n", "ι": "i", "κ": "k",
    "μ": "u", "ν": "v", "ο": "o", "ρ": "p", "σ": "o", "τ": "t", "υ": "u", "χ": "x",
    "ω": "w",
    # Armenian
    "օ": "o", "ս": "u", "ո": "n", "հ": "h", "ց": "g", "զ": "q",
    # Latin letters that NFKD leaves alone
    "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t", "ɑ": "a", "ʀ": "r",
    "ɪ": "i", "ʏ": "y", "ᴀ": "a", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ᴋ": "k", "ᴍ": "m",
    "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ᴢ": "z",
    "ꜱ": "s", "ʜ": "h", "ɢ": "g", "ʟ": "l",
}

# Leetspeak, applied only inside tokens that also contain a letter so that
# numbers ("2026", "48213") stay numbers. "1", "l" and "|" all fold to "i"
# because "1" stands for either letter ("c1ick", "w1n").
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "|": "i", "l": "i"}
_LEET_TABLE = str.maketrans(_LEET)
_CONFUSABLE_TABLE = str.maketrans(_CONFUSABLES)
_LEET_TOKEN = re.compile(r"[\w@$|]+")
_WHITESPACE = re.compile(r"\s+")

# Invisible characters that are not "format" (Cf) characters but still render
# as nothing: combining grapheme joiner, Hangul fillers, Mongolian vowel
# separator (Cf in old Unicode versions), variation selectors.
_EXTRA_INVISIBLE = frozenset("\u034f\u115f\u1160\u3164\uffa0\u180e") | frozenset(
    chr(c) for c in range(0xFE00, 0xFE10)
)
# Fillers that display as blank; variation selectors are left visible-as-is
# by display_safe because they only pick emoji/text presentation.
_HIDDEN_FILLERS = frozenset("\u034f\u115f\u1160\u3164\uffa0\u180e")
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

_URL = r"(?:https?://|www\.)\S+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|ly|co|me|gg|xyz|link|site|shop|app|info|biz|ru|tk)\b(?:/\S*)?"
_MENTION = r"(?<![\w@])@[\w.]+"
_EMOJI = (
    r"[\u2190-\u21ff\u2300-\u23ff\u2460-\u24ff\u25a0-\u27bf\u2900-\u297f\u2b00-\u2bff\u3030\u303d\u3297\u3299"
    r"\U0001f000-\U0001faff\u200d\ufe0e\ufe0f\u20e3\U000e0020-\U000e007f]+"
)
_SPECIAL = re.compile(f"(?P<url>{_URL})|(?P<mention>{_MENTION})|(?P<emoji>{_EMOJI})", re.IGNORECASE)


def _is_invisible(char: str) -> bool:
    return unicodedata.category(char) == "Cf" or char in _EXTRA_INVISIBLE


def _fold(text: str) -> str:
    """NFKC, drop invisible characters, casefold: the shared first stage."""
    if text.isascii():  # fast path: ASCII has no format characters, NFKC is identity
        return text.casefold()
    text = unicodedata.normalize("NFKC", text)
    text = "".join(char for char in text if not _is_invisible(char))
    return text.casefold()


def _leet_token(match: re.Match[str]) -> str:
    token = match.group(0)
    # A token made only of digits/symbols is a number or punctuation, not leet.
    if any(char.isalpha() for char in token if char not in _LEET):
        return token.translate(_LEET_TABLE)
    return token


def _key_of_folded(text: str) -> str:
    # Decompose so accents and stacked "zalgo" marks become separate combining
    # characters, then drop them: "é" and "e" must compare equal.
    if not text.isascii():  # ASCII has no marks and no look-alikes to fold
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(char for char in decomposed if not unicodedata.combining(char))
        text = unicodedata.normalize("NFC", text).translate(_CONFUSABLE_TABLE)
    text = _LEET_TOKEN.sub(_leet_token, text)
    return _WHITESPACE.sub(" ", text).strip()


def matching_key(text: str) -> str:
    """Fold text into a key that is equal for visually equivalent variants.

    Parameters
    ----------
    text : str
        Any user text (comment, username, display name).

    Returns
    -------
    str
        The key: NFKC-normalised, case-folded, invisible (zero-width, bidi,
        soft hyphen, tag) characters removed, accents and combining marks
        removed, Cyrillic/Greek/Armenian look-alikes mapped to Latin,
        leetspeak folded inside alphabetic tokens (``0->o 1->i 3->e 4->a 5->s
        7->t @->a $->s``, and ``l`` and ``|`` to ``i`` like ``1``), runs of
        whitespace collapsed to one space and trimmed.

    Notes
    -----
    The key is for comparison only; it is lossy (``"hello"`` becomes
    ``"heiio"``) and drops diacritics in every script, which raises recall
    of matching at the price of merging a few genuinely different words.
    Digits are folded only inside tokens that contain a letter, so numbers
    survive. Cost is linear in the length of the text.

    Examples
    --------
    >>> matching_key("ＦＲＥＥ   𝐟𝐨𝐥𝐥𝐨𝐰𝐞𝐫𝐬")
    'free foiiowers'
    >>> matching_key("c1ick h3re, 2026") == matching_key("click here, 2026")
    True
    """
    return _key_of_folded(_fold(text))


def normalise_text(text: str) -> str:
    """Key for copy-paste comparison: :func:`matching_key` with placeholders.

    URLs become ``<url>``, @mentions ``<mention>`` and every run of emoji
    (with skin tones, joiners, keycaps, flags) one ``<emoji>``.

    Parameters
    ----------
    text : str
        Post or comment text.

    Returns
    -------
    str
        Normalised text with placeholder tokens separated by single spaces.

    Notes
    -----
    Emoji are replaced by a placeholder rather than stripped so that the
    position of decoration still counts a little towards similarity, while
    swapping 🔥 for 💯 changes nothing. Callers that measure the length of a
    text (``min_tokens``) should not count placeholders. URLs are detected
    before leetspeak folding so that ``bit.ly/4b3`` is not mangled into
    words. The rotating part of a link is discarded here on purpose; the
    domain is evidence to collect separately.

    Examples
    --------
    >>> normalise_text("Win at www.spam.example/x7 💰💰 via @Promo_Bot")
    'win at <url> <emoji> via <mention>'
    >>> normalise_text("Win at bit.ly/abc 🤑") == normalise_text("W1N  at  bit.ly/zzz 💸")
    True
    """
    folded = _fold(text)
    pieces: list[str] = []
    position = 0
    for match in _SPECIAL.finditer(folded):
        pieces.append(_key_of_folded(folded[position : match.start()]))
        pieces.append(f"<{match.lastgroup}>")
        position = match.end()
    pieces.append(_key_of_folded(folded[position:]))
    return _WHITESPACE.sub(" ", " ".join(pieces)).strip()


def _emoji_like(char: str) -> bool:
    return unicodedata.category(char) in ("So", "Sk") or char in "\ufe0f\u20e3"


def display_safe(text: str) -> str:
    r"""Make hidden characters visible so text displays as it really is.

    Bidirectional controls (RLO ``U+202E`` and friends), zero-width and other
    format characters, C0/C1 control characters (except tab and newline) and
    line/paragraph separators are replaced by a visible ``[U+XXXX]`` marker.
    A zero-width joiner between two emoji is kept, because it is part of an
    emoji sequence such as a family emoji, not an evasion.

    Parameters
    ----------
    text : str
        Text to show in a notebook, report or terminal.

    Returns
    -------
    str
        The text with every hidden character replaced by its marker; all
        other characters (including letters in any script) are unchanged.

    Notes
    -----
    This neutralises "Trojan Source"-style reordering and ANSI escape
    injection into terminals. It does not escape HTML; renderers do that.

    Examples
    --------
    >>> display_safe("invoice\u202egnp.exe")
    'invoice[U+202E]gnp.exe'
    >>> display_safe("a\u200bb\x1b[31m")
    'a[U+200B]b[U+001B][31m'
    >>> display_safe("line one\nline two")
    'line one\nline two'
    """
    out: list[str] = []
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        hidden = (
            char in _BIDI_CONTROLS
            or char in _HIDDEN_FILLERS
            or category in ("Cf", "Zl", "Zp")
            or (category == "Cc" and char not in "\t\n")
        )
        if hidden and char == "\u200d" and 0 < index < len(text) - 1:
            # A zero-width joiner between two emoji builds one emoji (family, flags): not hidden.
            hidden = not (_emoji_like(text[index - 1]) and _emoji_like(text[index + 1]))
        out.append(f"[U+{ord(char):04X}]" if hidden else char)
    return "".join(out)
