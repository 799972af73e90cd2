"""Property: no identifier-like token of the inputs survives redaction, whatever column it is in.

Hypothesis builds canonical tables where account ids, usernames, emails and
phone numbers sit in id columns, in closed-vocabulary columns (``status``,
``action``, ``target_type``, ``priority``, ``policy``), in extra columns
(``phone``, ``contact``) and inside free text (mentions in any letter case,
ids glued to letters, upper-case emails, phones with separators). The
redacted tables are written as every output file would be (safe CSV, JSON)
and scanned for every input token. The real notebook runs on such data are
in ``tests/notebooks/test_redacted_runs.py``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from tsinvest.reporting import Pseudonymiser
from tsinvest.reporting.dataset import pseudonymise_tables
from tsinvest.reporting.safe_export import to_safe_csv

PSEUDONYMISER = Pseudonymiser(b"property-test-key-5d1e8b2f9c4a7e3b6f0d2c8a1e9b4f7d")

# Distinctive shapes: pseudonyms are "<kind>_<hex>", so they never hold "z" or "q"
# nor a run of nine digits by more than a 1e-10 chance.
IDS = st.text(alphabet="0123456789", min_size=9, max_size=19)
NAMES = st.from_regex(r"zq[a-z0-9_]{3,10}", fullmatch=True)
PHONES = st.builds(lambda country, area, number: f"+{country} {area} {number[:4]} {number[4:]}",
                   st.integers(10, 99), st.integers(10, 99), st.text(alphabet="0123456789", min_size=8, max_size=8))


def _cased(text: str, flips: list[bool]) -> str:
    return "".join(char.upper() if flip else char for char, flip in zip(text, flips + [False] * len(text)))


@st.composite
def hostile_tables(draw):
    ids = draw(st.lists(IDS, min_size=3, max_size=6, unique=True))
    names = draw(st.lists(NAMES, min_size=3, max_size=6, unique=True))
    phones = draw(st.lists(PHONES, min_size=1, max_size=3, unique=True))
    emails = [f"{name}.mail@corp{index}.example.org" for index, name in enumerate(names[:2])]
    tokens = {"ids": ids, "names": names, "phones": phones, "emails": emails}
    flips = draw(st.lists(st.booleans(), min_size=12, max_size=12))

    def anything():
        """Any identifier-like spelling, or a plain vocabulary word."""
        kind = draw(st.sampled_from(["id", "mention", "email", "phone", "glued", "word"]))
        if kind == "id":
            return draw(st.sampled_from(ids))
        if kind == "mention":
            return "@" + _cased(draw(st.sampled_from(names)), flips)
        if kind == "email":
            return draw(st.sampled_from(emails)).upper()
        if kind == "phone":
            return draw(st.sampled_from(phones))
        if kind == "glued":
            return draw(st.sampled_from(["ref_", "x", "id:"])) + draw(st.sampled_from(ids)) + "x"
        return "active"

    rows = len(ids)
    accounts = pd.DataFrame({
        "account_id": ids,
        "created_at": pd.Timestamp("2026-01-01", tz="UTC"),
        "username": (names * rows)[:rows],
        "status": [anything() for _ in range(rows)],
        "country": [anything() for _ in range(rows)],
        "phone": [(phones * rows)[index] for index in range(rows)],
        "contact": [anything() for _ in range(rows)],
    })
    text = " ".join(anything() for _ in range(6))
    events = pd.DataFrame({
        "account_id": ids,
        "action": [anything() for _ in range(rows)],
        "target_id": list(reversed(ids)),
        "ts": pd.Timestamp("2026-03-02", tz="UTC"),
        "text": [f"{text} and {anything()}, {anything()}" for _ in range(rows)],
        "target_type": [anything() for _ in range(rows)],
    })
    escalations = pd.DataFrame({
        "ticket_id": [f"ESC-{value}" for value in ids],
        "channel": "partner",
        "subject_account_id": ids,
        "policy": [anything() for _ in range(rows)],
        "priority": [anything() for _ in range(rows)],
        "opened_at": pd.Timestamp("2026-03-02", tz="UTC"),
        "status": "open",
        "summary": [f"next step: contact {anything()} about {anything()}" for _ in range(rows)],
    })
    tables = {}
    for name, frame in {"accounts": accounts, "events": events, "escalations": escalations}.items():
        text_columns = [column for column in frame.columns if frame[column].dtype == object]
        tables[name] = frame.astype({column: "string" for column in text_columns})
    return tables, tokens


def _leaks(outputs: list[str], tokens: dict[str, list[str]]) -> list[str]:
    import re

    everything = "\n".join(outputs).casefold()
    leaks = [value for value in tokens["ids"] + tokens["names"] + tokens["emails"] + tokens["phones"]
             if value.casefold() in everything]
    # A phone's digits in any spacing (``+44 20 7946 0000``, ``442079460000``, ``44-20-...``).
    for phone in tokens["phones"]:
        digits = [char for char in phone if char.isdigit()]
        if re.search(r"(?<!\d)" + r"[\s().\-/+]*".join(digits) + r"(?!\d)", everything):
            leaks.append(phone)
    return leaks


@settings(max_examples=10, deadline=None)
@given(hostile_tables())
def test_the_scan_finds_identifiers_in_unredacted_tables(generated):
    tables, tokens = generated
    outputs = [frame.to_csv(index=False) for frame in tables.values()]
    assert set(tokens["ids"] + tokens["names"][:1] + tokens["phones"]) <= set(_leaks(outputs, tokens))


@settings(max_examples=40, deadline=None)
@given(hostile_tables())
def test_no_identifier_token_survives_in_any_output(generated):
    tables, tokens = generated
    redacted = pseudonymise_tables(tables, PSEUDONYMISER)
    with tempfile.TemporaryDirectory() as folder:
        outputs = []
        for name, frame in redacted.tables.items():
            outputs.append(to_safe_csv(frame, Path(folder) / f"{name}.csv").read_text(encoding="utf-8-sig"))
            outputs.append(frame.to_json(orient="records", force_ascii=False, date_format="iso"))
        # A "next steps" text built from redacted values, and the same text redacted as notebook prose would be.
        outputs.append(str(redacted.redactor().redact(" ".join(tables["escalations"]["summary"].tolist()))))
        outputs.append(" ".join(f"{item.table}.{item.column}: {item.reason}" for item in redacted.columns))
    leaks = _leaks(outputs, tokens)
    assert not leaks, f"{len(leaks)} input identifiers survived redaction"
    everything = "\n".join(outputs).casefold()
    # The declared vocabulary still reads as itself: redaction is default-deny, not blind.
    assert "partner" in everything and "open" in everything
