"""Pseudonymising whole tables and notebook parameters (tsinvest.reporting.dataset)."""

from __future__ import annotations

import pandas as pd

from tsinvest.reporting import Pseudonymiser, TextRedactor
from tsinvest.reporting.dataset import column_kind, pseudonymise_tables, translate_parameters
from tsinvest.schemas import TABLES

PSEUDONYMISER = Pseudonymiser(b"test-key-dataset-7c1f9e3a5b2d8f4c6e0a1b9d3f5e7c2a")


def test_every_schema_id_column_has_a_kind():
    for table, spec in TABLES.items():
        for column in spec.id_columns:
            assert column_kind(table, column) is not None, (table, column)
    assert column_kind("accounts", "username") == "user"
    assert column_kind("events", "action") is None
    assert column_kind("accounts", "recovery_email") == "email"
    assert column_kind("logins", "client_ip") == "ip"


def test_tables_are_consistent_across_columns_and_text():
    tables = {
        "accounts": pd.DataFrame({"account_id": ["00123", "456"], "username": ["maria.k", "bot_77"],
                                  "display_name": ["Maria K", None], "recovery_email": ["m@x.org", None]},
                                 dtype="string"),
        "events": pd.DataFrame({"account_id": ["456", "456"], "action": ["follow", "comment"],
                                "target_id": ["00123", "999"], "target_type": ["account", "video"],
                                "text": [None, "cc @maria.k and 00123, mail m@x.org"]}, dtype="string"),
        "escalations": pd.DataFrame({"ticket_id": ["ESC-1"], "subject_account_id": ["00123"],
                                     "summary": ["ESC-1 about bot_77"]}, dtype="string"),
    }
    redacted = pseudonymise_tables(tables, PSEUDONYMISER)
    accounts, events = redacted.tables["accounts"], redacted.tables["events"]
    maria = PSEUDONYMISER.pseudonym("00123", kind="acct")
    assert accounts["account_id"].tolist() == [maria, PSEUDONYMISER.pseudonym("456", kind="acct")]
    assert events.loc[0, "target_id"] == maria  # a follow points at the account's pseudonym
    assert events.loc[1, "target_id"] == PSEUDONYMISER.pseudonym("999", kind="content")
    text = events.loc[1, "text"]
    assert "maria.k" not in text and "00123" not in text and "m@x.org" not in text
    assert text.startswith("cc @" + accounts.loc[0, "username"])
    assert redacted.tables["escalations"].loc[0, "summary"].endswith(accounts.loc[1, "username"])
    assert "ESC-1" not in redacted.tables["escalations"].loc[0, "summary"]
    assert events["action"].tolist() == ["follow", "comment"]  # vocabularies untouched
    assert pd.isna(accounts.loc[1, "display_name"])
    assert "00123" not in repr(redacted)  # the mapping is never shown


def test_parameters_are_translated_with_the_same_key():
    redactor = TextRedactor({"maria.k": "user_x"})
    values, pairs = translate_parameters(
        {"seed_accounts": ["00123", "0042"], "ticket_id": None, "filter_search": "maria.k", "hops": 2},
        PSEUDONYMISER, redactor)
    assert values["seed_accounts"] == [PSEUDONYMISER.pseudonym("00123"), PSEUDONYMISER.pseudonym("0042")]
    assert values["ticket_id"] is None and values["hops"] == 2 and values["filter_search"] == "user_x"
    assert set(pairs) == {"00123", "0042"}  # ids absent from the data are pseudonymised too


def _treatments(redacted) -> dict[tuple[str, str], str]:
    return {(item.table, item.column): item.treatment for item in redacted.columns}


def test_redaction_is_default_deny_for_vocabularies_and_extra_columns():
    """Ids typed into "closed" columns and extra columns never come out raw; the record says why."""
    accounts = pd.DataFrame({
        "account_id": ["00123", "456"], "username": ["maria.k", "bot_77"],
        "country": ["DE", "@maria.k"], "status": ["active", "7208745241651240006"],
        "phone": ["+49 30 1234567", "+1 555 0100 222"], "notes": ["vip", "call me"],
        "follower_count": pd.array([3, 4], dtype="Int64"),
    }).astype({"account_id": "string", "username": "string", "country": "string", "status": "string",
               "phone": "string", "notes": "string"})
    events = pd.DataFrame({"account_id": ["456"], "action": ["share"], "target_id": ["v1"],
                           "target_type": ["ESC-9 mail m@x.org"], "text": ["ping @Maria.K"]}, dtype="string")
    escalations = pd.DataFrame({"ticket_id": ["ESC-9"], "channel": ["partner"], "subject_account_id": ["00123"],
                                "policy": ["spam"], "priority": ["p1 00123"], "status": ["open"],
                                "summary": ["call +49 30 1234567 re ref_00123"]}, dtype="string")
    redacted = pseudonymise_tables({"accounts": accounts, "events": events, "escalations": escalations}, PSEUDONYMISER)
    out = redacted.tables
    treatments = _treatments(redacted)
    assert out["accounts"]["country"].tolist()[0] == "DE" and "maria" not in out["accounts"]["country"].tolist()[1]
    assert out["accounts"]["status"].tolist()[0] == "active"
    assert out["accounts"]["status"].tolist()[1].startswith("value_")
    assert treatments[("accounts", "status")] == "partly-pseudonymised"
    assert treatments[("accounts", "phone")] == treatments[("accounts", "notes")] == "pseudonymised"
    assert out["accounts"]["phone"].str.startswith("phone_").all() and out["accounts"]["notes"].str.startswith("value_").all()
    assert out["accounts"]["follower_count"].tolist() == [3, 4] and treatments[("accounts", "follower_count")] == "raw"
    assert treatments[("events", "action")] == "raw" and treatments[("escalations", "channel")] == "raw"
    assert treatments[("events", "text")] == "text-redacted"
    assert out["events"]["text"].item() == "ping @" + out["accounts"]["username"].tolist()[0]
    summary = out["escalations"]["summary"].item()
    assert "1234567" not in summary and "00123" not in summary
    everything = "\n".join(frame.to_csv(index=False) for frame in out.values())
    for raw in ("maria.k", "Maria.K", "7208745241651240006", "1234567", "0100 222", "m@x.org", "ESC-9", "00123", "call me"):
        assert raw not in everything, raw
    # The record names columns and counts, never values.
    reasons = " ".join(item.reason for item in redacted.columns)
    assert "maria" not in reasons and "7208745241651240006" not in reasons
    assert {(item.table, item.column) for item in redacted.columns} == {
        (table, column) for table, frame in out.items() for column in frame.columns}
