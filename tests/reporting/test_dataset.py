"""Pseudonymising whole tables and notebook parameters (tsinvest.reporting.dataset)."""

from __future__ import annotations

import pandas as pd

from tsinvest.reporting import Pseudonymiser, TextRedactor
from tsinvest.reporting.dataset import column_kind, pseudonymise_tables, translate_parameters
from tsinvest.schemas import TABLES

PSEUDONYMISER = Pseudonymiser(b"t" * 32)


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
