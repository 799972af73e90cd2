"""Hostile-string tests for tsinvest.textnorm."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsinvest.textnorm import display_safe, matching_key, normalise_text

CLEAN = "free followers click here"

OBFUSCATED = [
    "FREE FOLLOWERS CLICK HERE",
    "fr\u0435\u0435 f\u043ell\u043ew\u0435rs cli\u0441k h\u0435r\u0435",  # Cyrillic е о с
    "fr33 f0ll0w3rs c1ick h3r3",  # leetspeak
    "f\u200br\u200ce\u200de\u2060 follo\ufeffwers click\u00ad here",  # zero-width, soft hyphen
    "\u202efree followers\u202c click here",  # bidi override
    "ｆｒｅｅ ｆｏｌｌｏｗｅｒｓ ｃｌｉｃｋ ｈｅｒｅ",  # full-width
    "𝐟𝐫𝐞𝐞 𝐟𝐨𝐥𝐥𝐨𝐰𝐞𝐫𝐬 𝐜𝐥𝐢𝐜𝐤 𝐡𝐞𝐫𝐞",  # mathematical bold
    "fre\u0301e\u0338 followers   click\u00a0\u3000here",  # combining marks, odd spaces
    "fr\u03b5\u03b5 f\u03bfllows\u03b5rs click here".replace("llows", "llow"),  # Greek ε ο
    "FR\u0395\u0395 FOLLOWERS CLICK HERE",  # Greek capital epsilon
    "\u0192ree followers click here".replace("\u0192", "f"),
]


@pytest.mark.parametrize("variant", OBFUSCATED)
def test_obfuscated_variants_share_the_key(variant):
    assert matching_key(variant) == matching_key(CLEAN)


def test_key_of_clean_text_is_readable_apart_from_l_folding():
    assert matching_key("  Free\tMoney\n") == "free money"
    assert matching_key("PayPaI") == matching_key("paypal") == "paypai"


def test_numbers_are_not_leet_folded():
    assert matching_key("born 2013 in 1975") == "born 2013 in 1975"
    assert matching_key("m0n3y") == "money"


def test_key_removes_every_format_character():
    hostile = "a\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2060\ufeff\U000e0041b"
    assert matching_key(hostile) == "ab"


def test_zalgo_is_stripped():
    zalgo = "h\u0336\u0321e\u0334\u031b\u0327l\u0335p" + "\u0337" * 30
    assert matching_key(zalgo) == matching_key("help")


def test_non_latin_scripts_survive():
    assert matching_key("東京 タワー") == "東京 タワー"
    assert matching_key("مرحبا") == "مرحبا"


def test_empty_and_whitespace_only():
    assert matching_key("") == ""
    assert matching_key(" \u200b\u3000\n") == ""
    assert normalise_text("") == ""


def test_normalise_text_placeholders():
    text = "Get 1000 followers at https://spam.example/a?b=1 now @friend 🔥🔥 💯"
    assert normalise_text(text) == "get 1000 foiiowers at <url> now <mention> <emoji> <emoji>"
    # Rotating links, mentions and emoji do not change the key.
    other = "GET 1000 f0ll0wers at http://other.example/zzz now @someone_else 💸 😀"
    assert normalise_text(other) == normalise_text(text)


def test_emoji_sequences_are_one_placeholder():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467 great \U0001f44d\U0001f3fd \U0001f1fa\U0001f1f8"
    assert normalise_text(family) == "<emoji> great <emoji> <emoji>"


def test_email_like_at_is_not_a_mention_but_leet():
    assert normalise_text("c@sh prize") == "cash prize"


def test_display_safe_reveals_hidden_characters():
    assert display_safe("abc\u202edcba") == "abc[U+202E]dcba"
    assert display_safe("x\u200by\u2066z\u00adw") == "x[U+200B]y[U+2066]z[U+00AD]w"
    assert display_safe("\x1b[2J\x07") == "[U+001B][2J[U+0007]"
    assert display_safe("a\u2028b") == "a[U+2028]b"
    assert display_safe("tab\tand\nnewline") == "tab\tand\nnewline"


def test_display_safe_keeps_emoji_joiners():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert display_safe(family) == family
    assert display_safe("a\u200db") == "a[U+200D]b"


def test_display_safe_keeps_visible_text():
    text = "Ünïcödé 東京 مرحبا 🔥"
    assert display_safe(text) == text


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_properties_on_arbitrary_text(text):
    key = matching_key(text)
    # Idempotent, no invisible or bidi characters, no surrounding or doubled space.
    assert matching_key(key) == key
    assert not any(unicodedata.category(c) == "Cf" for c in key)
    assert key == key.strip() and "  " not in key
    normalised = normalise_text(text)
    assert not any(unicodedata.category(c) == "Cf" for c in normalised)
    safe = display_safe(text)
    assert not any(c in safe for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200e\u200f")
