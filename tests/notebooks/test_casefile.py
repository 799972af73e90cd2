from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tsinvest.exceptions import ParameterError
from tsinvest.loading import load_dir
from tsinvest.notebooks.casefile import case_file

SAMPLE = Path(__file__).resolve().parents[2] / "data_samples"
AS_OF = "2026-03-30T00:00:00Z"


@pytest.fixture(scope="module")
def tables():
    return load_dir(SAMPLE)


@pytest.fixture(scope="module")
def truth():
    return json.loads((SAMPLE / "truth.json").read_text())


def _campaign(truth, kind):
    return next(c for c in truth["campaigns"] if c["kind"] == kind)


def test_victim_ticket_case_shows_the_brigade(tables, truth):
    ticket = truth["escalations"]["victim_tickets"][0]
    case = case_file(tables, ticket_id=ticket, as_of=AS_OF)
    escalations = tables["escalations"].set_index("ticket_id")
    assert case.account_id == escalations.loc[ticket, "subject_account_id"]
    assert case.ticket_id == ticket
    received = tables["reports"][tables["reports"]["target_account_id"] == case.account_id]
    assert len(case.reports_received) == len(received) > 0
    assert case.reports_received["ts"].is_monotonic_increasing
    assert case.reports_received["report_id"].dtype == "string"
    brigade = set(_campaign(truth, "mass_report")["accounts"]) | {
        a for c in truth["campaigns"] if c["kind"] == "mass_report" for a in c["accounts"]}
    assert case.reports_received["reporter_id"].isin(brigade).any()
    assert any("mass-report" in step for step in case.next_steps)
    summary = dict(zip(case.summary["item"], case.summary["value"]))
    assert summary["reports received"].startswith(f"{len(received)} from ")
    assert ticket in summary["ticket"]
    assert (case.related_escalations["relation"] == "subject").any()
    assert case.timeline["count"].sum() >= len(received)


def test_farm_account_links_only_to_farm_mates_and_leading_zeros_survive(tables, truth):
    farm = _campaign(truth, "farm")
    subject = farm["accounts"][0]
    case = case_file(tables, account_id=subject, as_of=AS_OF)
    assert case.profile["account_id"].tolist() == [subject]
    by_device = case.linked_accounts[case.linked_accounts["shared_devices"] > 0]
    assert len(by_device) >= 2
    farms = {a for c in truth["campaigns"] if c["kind"] == "farm" for a in c["accounts"]}
    assert set(by_device["account_id"]) <= farms
    assert subject not in set(case.linked_accounts["account_id"])
    ordered = case.linked_accounts
    key = list(zip(-(ordered["shared_devices"] + ordered["coordination_weight"]), -ordered["shared_devices"],
                   -ordered["shared_ips"], ordered["account_id"]))
    assert key == sorted(key)


def test_carrier_nat_address_is_not_a_link(tables, truth):
    nat = next(t for t in truth["traps"] if t["kind"] == "carrier_nat")
    case = case_file(tables, account_id=nat["accounts"][0], as_of=AS_OF)
    # Hundreds of strangers behind one NAT address: with the default cap none of them is linked by IP.
    by_ip = set(case.linked_accounts.loc[case.linked_accounts["shared_ips"] > 0, "account_id"])
    assert not by_ip & set(nat["accounts"])
    loose = case_file(tables, account_id=nat["accounts"][0], as_of=AS_OF, max_sharing=10_000)
    assert (loose.linked_accounts["shared_ips"] > 0).sum() > 50


def test_as_of_hides_later_rows(tables, truth):
    ticket = truth["escalations"]["victim_tickets"][0]
    full = case_file(tables, ticket_id=ticket, as_of=AS_OF)
    first_report = full.reports_received["ts"].min()
    early = case_file(tables, ticket_id=ticket, as_of=first_report - pd.Timedelta(seconds=1))
    assert early.reports_received.empty
    assert len(early.timeline) < len(full.timeline)


def test_user_errors_name_the_parameter_not_the_value(tables):
    with pytest.raises(ParameterError, match="ticket_id or account_id"):
        case_file(tables, as_of=AS_OF)
    with pytest.raises(ParameterError) as caught:
        case_file(tables, ticket_id="ESC-NOPE-424242", as_of=AS_OF)
    assert "ESC-NOPE-424242" not in str(caught.value)
    ticket = tables["escalations"]["ticket_id"].iloc[0]
    with pytest.raises(ParameterError, match="not the subject"):
        case_file(tables, ticket_id=ticket, account_id="00123", as_of=AS_OF)
    with pytest.raises(ParameterError, match="as_of"):
        case_file(tables, account_id="00123", as_of="next tuesday")


def test_unknown_account_gives_an_empty_but_complete_case(tables):
    case = case_file(tables, account_id="00123", as_of=AS_OF)
    assert case.profile.empty and case.reports_received.empty and case.linked_accounts.empty
    summary = dict(zip(case.summary["item"], case.summary["value"]))
    assert summary["profile"] == "account not in the accounts table"
    assert case.next_steps[-1].startswith("Attach the summary")
