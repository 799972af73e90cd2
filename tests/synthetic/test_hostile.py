"""Hostile strings reach the files intact, in a modest share of rows."""

from __future__ import annotations

import numpy as np

from tsinvest.synthetic.hostile import HOMOGLYPHS, HOSTILE_STRINGS, LONG_VALUES, ZERO_WIDTH, inject_hostile, obfuscate


def test_every_hostile_string_survives_the_csv_round_trip(small):
    accounts, events = small["accounts"], small["events"]
    values = set(accounts["username"]) | set(accounts["display_name"]) | set(events["text"])
    for hostile in HOSTILE_STRINGS:
        assert any(hostile in value for value in values), repr(hostile)
    assert max(len(value) for value in values) >= 2000
    for column in ("username", "display_name"):
        assert accounts[column].map(len).max() >= 2000
    raw = (small.directory / "accounts.csv").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" in raw and "\u202e" in raw and "\u200b" in raw


def test_hostile_values_are_a_modest_fraction(small):
    accounts = small["accounts"]
    hostile = accounts["username"].map(lambda v: any(h in v for h in HOSTILE_STRINGS) or v in LONG_VALUES)
    assert 0.002 < hostile.mean() < 0.05


def test_inject_hostile_covers_each_string_once_enough_rows():
    values = np.array(["plain"] * 200, dtype=object)
    out = inject_hostile(values, np.random.default_rng(0), fraction=0.2, long_values=2)
    assert set(HOSTILE_STRINGS) <= set(out.tolist())
    assert sum(len(v) >= 2000 for v in out) == 2
    assert (values == "plain").all()  # input untouched


def test_obfuscate_uses_homoglyphs_and_zero_width_and_is_seeded():
    text = "claim your free coins now at this special place please"
    first = obfuscate(text, np.random.default_rng(4), strength=0.4)
    assert first == obfuscate(text, np.random.default_rng(4), strength=0.4)
    assert any(glyph in first for glyph in HOMOGLYPHS.values() if not glyph.isascii())
    assert any(mark in first for mark in ZERO_WIDTH)
