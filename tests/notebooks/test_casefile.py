from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tsinvest.detection import DetectionResult
from tsinvest.exceptions import ParameterError
from tsinvest.loading import load_dir
from tsinvest.notebooks.casefile import BrigadeRule, case_file, check_case_ids, preflight
from tsinvest.schemas import EDGE_COLUMNS

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
    summary = dict(zip(case.summary["item"], case.summary["value"], strict=False))
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
                   -ordered["shared_ips"], ordered["account_id"], strict=False))
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
    summary = dict(zip(case.summary["item"], case.summary["value"], strict=False))
    assert summary["profile"] == "account not in the accounts table"
    assert case.next_steps[-1].startswith("Attach the summary")


# --- verdict, brigade rule, ticket facts, ban evasion, id checks -------------------------------------

def _popular_victim(brigade_reports: int = 85, organic_reports: int = 108):
    """A creator with many organic reporters and a smaller brigade, built by hand (no sample data)."""
    t = lambda *s: pd.to_datetime(list(s), utc=True)  # noqa: E731
    victim = "000777"
    brigade = [f"09{i:04d}" for i in range(29)]
    organic = [f"05{i:04d}" for i in range(organic_reports)]
    accounts = pd.DataFrame({
        "account_id": pd.array([victim, *brigade, *organic], dtype="string"),
        "username": pd.array(["creator", *[f"b{i}" for i in range(29)], *[f"o{i}" for i in range(organic_reports)]],
                             dtype="string"),
        "created_at": t(*["2025-01-01"] * (1 + 29 + organic_reports)),
    })
    start = pd.Timestamp("2026-03-10T20:00Z")
    brigade_rows = [(f"r-b{i:04d}", brigade[i % len(brigade)], start + pd.Timedelta(minutes=i))
                    for i in range(brigade_reports)]
    # Organic reports spread over three weeks, one per reporter.
    organic_rows = [(f"r-o{i:04d}", organic[i], pd.Timestamp("2026-03-02T00:00Z") + pd.Timedelta(hours=5 * i))
                    for i in range(organic_reports)]
    rows = brigade_rows + organic_rows
    reports = pd.DataFrame({
        "report_id": pd.array([row[0] for row in rows], dtype="string"),
        "reporter_id": pd.array([row[1] for row in rows], dtype="string"),
        "target_account_id": pd.array([victim] * len(rows), dtype="string"),
        "policy": pd.array(["spam"] * len(rows), dtype="string"),
        "ts": pd.to_datetime([row[2] for row in rows], utc=True),
    })
    escalations = pd.DataFrame({
        "ticket_id": pd.array(["ESC-1", "ESC-2"], dtype="string"),
        "channel": pd.array(["partner", "regulator"], dtype="string"),
        "subject_account_id": pd.array([victim, brigade[0]], dtype="string"),
        "policy": pd.array(["spam", "spam"], dtype="string"),
        "priority": pd.array(["high", "urgent"], dtype="string"),
        "opened_at": t("2026-03-11T08:00Z", "2026-03-12T08:00Z"),
        "status": pd.array(["open", "open"], dtype="string"),
        "due_at": t("2026-03-12T08:00Z", "2026-04-12T08:00Z"),
        "summary": pd.array(["Top creator hit by false spam reports <script>alert(1)</script>", "x"], dtype="string"),
    })
    memberships = pd.DataFrame({
        "account_id": pd.array(brigade + organic[:2], dtype="string"),
        "cluster_id": pd.array(["rep-brigade"] * 29 + ["amp-fans"] * 2, dtype="string"),
        "kind": pd.array(["mass_report"] * 29 + ["amplification"] * 2, dtype="string"),
        "score": [0.9] * 29 + [0.2] * 2,
        "flagged": [True] * 29 + [False] * 2,
    })
    clusters = pd.DataFrame({"cluster_id": ["rep-brigade", "amp-fans"], "kind": ["mass_report", "amplification"],
                             "size": [29, 2], "score": [0.9, 0.2], "flagged": [True, False]})
    edges = pd.DataFrame({column: pd.array([], dtype="string") for column in EDGE_COLUMNS})
    detection = DetectionResult(memberships=memberships, clusters=clusters, edges=edges)
    tables = {"accounts": accounts, "reports": reports, "escalations": escalations}
    return tables, detection, victim


def test_popular_victim_of_a_diluted_brigade_is_protected_not_punished():
    tables, detection, victim = _popular_victim()
    case = case_file(tables, ticket_id="ESC-1", as_of="2026-03-30T00:00:00Z", detection=detection)
    assert len(case.reports_received) == 193
    # 85 of 193 (44 %): a share-only rule at 50 % would miss it; the count rule catches it.
    assert case.next_steps[0].startswith("Do not enforce on reports alone: 85 of 193 reports (44%)")
    assert "mass-report brigade" in case.verdict.found
    assert case.verdict.action.startswith("Do not enforce")
    assert case.verdict.confidence == "medium"
    breakdown = case.reporter_clusters.set_index("reporter_cluster")
    assert breakdown.loc["rep-brigade", "reports"] == 85 and bool(breakdown.loc["rep-brigade", "flagged"])
    assert breakdown.loc["rep-brigade", "share"] == pytest.approx(85 / 193, abs=1e-3)
    assert breakdown.loc["(no cluster)", "reports"] == 106
    assert breakdown.loc["amp-fans", "reports"] == 2 and not bool(breakdown.loc["amp-fans", "flagged"])
    assert case.reporter_clusters["reports"].sum() == 193
    summary = dict(zip(case.summary["item"], case.summary["value"], strict=False))
    assert summary["reports from flagged clusters"].startswith("85 of 193 (44%)")
    assert summary["reporters' flagged clusters"] == "rep-brigade"


def test_brigade_thresholds_are_overridable_and_documented_defaults_hold():
    tables, detection, _ = _popular_victim()
    strict = case_file(tables, ticket_id="ESC-1", as_of="2026-03-30T00:00:00Z", detection=detection,
                       brigade_rule=BrigadeRule(min_count=100))
    assert "mass-report brigade" not in strict.verdict.found
    assert not strict.next_steps[0].startswith("Do not enforce")
    # A majority of flagged reports is enough alone, and is 'high' once the count rule also holds.
    assert BrigadeRule().fires(3, 5) and BrigadeRule().confidence(3, 5) == "medium"
    assert BrigadeRule().confidence(150, 193) == "high"
    # A few flagged reporters among thousands of organic reports do not decide a case.
    assert not BrigadeRule().fires(25, 1000)
    with pytest.raises(ParameterError, match="min_count"):
        BrigadeRule(min_count=0)


def test_case_opens_with_the_verdict_and_the_ticket_facts_escaped():
    tables, detection, _ = _popular_victim()
    case = case_file(tables, ticket_id="ESC-1", as_of="2026-03-13T08:00:00Z", detection=detection)
    facts = dict(zip(case.ticket["item"], case.ticket["value"], strict=False))
    assert facts["channel"] == "partner" and facts["due"] == "2026-03-12 08:00 UTC"
    assert facts["due status"] == "OVERDUE by 24 h at as_of"
    assert facts["summary"].startswith("Top creator hit by false spam reports")
    markup = case._repr_html_()
    assert markup.index("Verdict") < markup.index("Ticket")
    assert markup.index("What we found") < markup.index("What to do") < markup.index("How sure")
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    assert not repr(case).startswith("CaseFile(")
    assert repr(case).startswith("What we found: The account is the target of a likely mass-report brigade")
    assert case.verdict_frame()["item"].tolist() == ["What we found", "What to do", "How sure"]


def test_ban_evasion_check_flags_a_new_account_of_a_banned_operator():
    t = lambda *s: pd.to_datetime(list(s), utc=True)  # noqa: E731
    # A population of unrelated accounts, so the model's u probabilities are realistic.
    others = [f"1{i:05d}" for i in range(400)]
    accounts = pd.DataFrame({
        "account_id": pd.array(["0042", "0043", *others], dtype="string"),
        "username": pd.array(["spammer_0101", "spammer_0102", *[f"{chr(97 + i % 26)}person{i}x" for i in range(400)]],
                             dtype="string"),
        "created_at": t("2025-01-01", "2026-03-20", *[f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(400)]),
    })
    logins = pd.DataFrame({
        "account_id": pd.array(["0042", "0043", *others], dtype="string"),
        "device_id": pd.array(["dev-x", "dev-x", *[f"d{i}" for i in range(400)]], dtype="string"),
        "ip": pd.array(["ip-x", "ip-x", *[f"i{i}" for i in range(400)]], dtype="string"),
        "ts": t("2026-03-05", "2026-03-21", *["2026-03-10"] * 400),
    })
    enforcements = pd.DataFrame({"account_id": pd.array(["0042"], dtype="string"),
                                 "action": pd.array(["ban"], dtype="string"),
                                 "policy": pd.array(["spam"], dtype="string"), "ts": t("2026-03-06")})
    tables = {"accounts": accounts, "logins": logins, "enforcements": enforcements}
    case = case_file(tables, account_id="0043", as_of="2026-03-30T00:00:00Z")
    assert case.ban_evasion[["enforced_account", "new_account", "subject_role"]].values.tolist() == [
        ["0042", "0043", "new account"]]
    assert "shared device" in case.ban_evasion["agreements"].iloc[0]
    assert case.verdict.found.startswith("Possible ban evasion")
    # Before the new account existed there is nothing to flag.
    early = case_file(tables, account_id="0042", as_of="2026-03-19T00:00:00Z")
    assert early.ban_evasion.empty
    off = case_file(tables, account_id="0043", as_of="2026-03-30T00:00:00Z", check_ban_evasion=False)
    assert off.ban_evasion.empty


def test_ids_are_checked_in_a_second_without_loading_everything():
    ticket = load_dir(SAMPLE)["escalations"]["ticket_id"].iloc[0]
    assert check_case_ids(SAMPLE, ticket_id=ticket)
    with pytest.raises(ParameterError, match="ticket_id was not found") as caught:
        check_case_ids(SAMPLE, ticket_id="ESC-NOPE-424242")
    assert "ESC-NOPE-424242" not in str(caught.value)
    with pytest.raises(ParameterError, match="account_id was not found"):
        check_case_ids(SAMPLE, account_id="00123")
    with pytest.raises(ParameterError, match="not the subject"):
        check_case_ids(SAMPLE, ticket_id=ticket, account_id="00123")
    with pytest.raises(ParameterError, match="data_dir is not a folder"):
        check_case_ids(SAMPLE / "missing", account_id="00123")
    # The notebook default ticket_id applies when only account_id is given on the command line.
    with pytest.raises(ParameterError, match="not the subject"):
        preflight("case_file", {"data_dir": str(SAMPLE), "account_id": "00123"},
                  {"ticket_id": repr(ticket), "account_id": "None"})


def test_run_case_file_with_a_wrong_ticket_fails_before_execution(tmp_path, capsys):
    from tsinvest.cli import main

    out = tmp_path / "case"
    code = main(["run", "case_file", "--data", str(SAMPLE), "-p", "ticket_id", "ESC-NOPE-424242", "--out", str(out)])
    assert code == 1
    error = capsys.readouterr().err
    assert "ticket_id was not found in the escalations table" in error
    assert "cell" not in error and "ESC-NOPE-424242" not in error
    assert not out.exists()
