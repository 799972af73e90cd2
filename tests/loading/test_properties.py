"""Property: random ids and hostile text survive CSV and JSONL round trips exactly."""

from __future__ import annotations

import csv
import json
import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tsinvest.loading import load_events

IDS = st.one_of(
    st.text(alphabet="0123456789", min_size=1, max_size=25),
    st.integers(min_value=0, max_value=10**19 - 1).map(lambda n: f"{n:019d}"),
)
# Hostile text: anything but surrogates (not encodable as UTF-8), NUL included;
# non-empty because an empty field means missing.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)
ROWS = st.lists(st.tuples(IDS, IDS, TEXT, TEXT), min_size=1, max_size=15)
TS = "2026-03-02T10:00:00Z"
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
pytestmark = pytest.mark.filterwarnings("ignore::tsinvest.loading.ValuesCleanedWarning")


def _visible(text: str) -> str:
    """Free text comes back exactly, except control characters, which become their visible symbols."""
    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", lambda m: "\u2421" if m[0] == "\x7f" else chr(0x2400 + ord(m[0])), text)


def _expect(frame, rows):
    assert frame["account_id"].tolist() == [r[0] for r in rows]
    assert frame["target_id"].tolist() == [r[1] for r in rows]
    assert frame["action"].tolist() == [_visible(r[2]) for r in rows]
    assert frame["text"].tolist() == [_visible(r[3]) for r in rows]


@SETTINGS
@given(rows=ROWS)
def test_csv_round_trip(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("csv") / "events.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["account_id", "target_id", "action", "text", "ts"])
        writer.writerows([[a, b, c, d, TS] for a, b, c, d in rows])
    _expect(load_events(path), rows)


@SETTINGS
@given(rows=ROWS, numeric=st.booleans())
def test_jsonl_round_trip(tmp_path_factory, rows, numeric):
    path = tmp_path_factory.mktemp("jsonl") / "events.jsonl"
    lines = []
    for a, b, c, d in rows:
        # Ids without leading zeros may be written as JSON numbers: they must come back as the same digits.
        account = int(a) if numeric and (a == "0" or not a.startswith("0")) else a
        lines.append(json.dumps({"account_id": account, "target_id": b, "action": c, "text": d, "ts": TS}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _expect(load_events(path), rows)


@SETTINGS
@given(rows=ROWS)
def test_dataframe_round_trip(rows):
    frame = pd.DataFrame(rows, columns=["account_id", "target_id", "action", "text"]).assign(ts=TS)
    _expect(load_events(frame), rows)
