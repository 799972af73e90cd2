"""Drafted replies: every audience, both formats, data never run as a template, no raw id when redacted."""

from __future__ import annotations

import pytest

from tsinvest.escalations.replies import AUDIENCES, ReplyFacts, draft_reply, reply_facts
from tsinvest.exceptions import ParameterError
from tsinvest.reporting import Pseudonymiser

from .conftest import AS_OF, memberships_frame

TEMPLATE_DATA = "Please check {{ 7*7 }} and {% for i in range(3) %}x{% endfor %} and {{ ''.__class__ }}"


@pytest.fixture()
def victim_facts(desk) -> ReplyFacts:
    return reply_facts(desk, "ESC-D", as_of=AS_OF, memberships=memberships_frame())


def test_facts_from_the_workspace(victim_facts, desk):
    assert (victim_facts.channel, victim_facts.network_role) == ("user", "victim")
    assert (victim_facts.reports_received, victim_facts.reports_from_flagged) == (5, 3)
    assert victim_facts.enforcements == ()  # D's only enforcement is after as_of
    farm = reply_facts(desk, "ESC-C", as_of=AS_OF, memberships=memberships_frame())
    assert farm.network_role == "member" and farm.network_kinds == ("account farm",)
    assert [action for action, _ in farm.enforcements] == ["suspend"]
    late = reply_facts(desk, "ESC-H", as_of=AS_OF)
    assert late.resolved_at is None  # resolved after as_of: still open in the draft


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_every_audience_drafts_from_the_facts(victim_facts, audience, fmt):
    text = draft_reply(victim_facts, audience=audience, format=fmt)
    assert "ESC-D" in text
    if audience != "user":
        assert "3 of the 5 reports" in text or "of which 3 from flagged" in text or "5 reports we received" in text
    assert "Trust &amp; Safety" in text if fmt == "html" else "Trust & Safety escalations" in text


def test_default_audience_is_the_channel(desk):
    regulator = reply_facts(desk, "ESC-C", as_of=AS_OF)
    text = draft_reply(regulator)
    assert text.startswith("Subject: Response to request ESC-C")
    assert "later than the deadline" in text  # C is 44 h overdue at as_of
    assert draft_reply(reply_facts(desk, "ESC-E", as_of=AS_OF)).startswith("Subject: Hand-off: ESC-E")


@pytest.mark.parametrize("audience", AUDIENCES)
def test_data_is_never_template_syntax(victim_facts, audience):
    from dataclasses import replace

    facts = replace(victim_facts, summary=TEMPLATE_DATA, requester="{{ config }}")
    markdown = draft_reply(facts, audience=audience)
    html = draft_reply(facts, audience=audience, format="html")
    for text in (markdown, html):
        assert "49" not in text and "xxx" not in text and "<class" not in text
    if audience != "user":  # the user reply does not quote the summary
        assert "{% for i in range(3) %}" in html and "{{ 7*7 }}" in html
        assert "{{ 7*7 }}" in markdown  # shown as typed
    if audience in ("partner", "regulator"):
        assert "{{ config }}" in html


def test_markup_in_data_is_inert(victim_facts):
    from dataclasses import replace

    facts = replace(victim_facts, summary="<script>alert(1)</script> [link](http://x) \u202e\n# heading",
                    audience=None) if False else replace(
        victim_facts, summary="<script>alert(1)</script> [link](http://x) \u202e\n# heading")
    html = draft_reply(facts, audience="internal", format="html")
    assert "<script>" not in html and "&lt;script&gt;" in html and "[U+202E]" in html and "\u202e" not in html
    markdown = draft_reply(facts, audience="internal")
    assert "\\<script\\>" in markdown and "\\[link\\]" in markdown and "\n# heading" not in markdown


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("fmt", ["markdown", "html"])
@pytest.mark.parametrize("identifiers", ["pseudonyms", "none"])
def test_redacted_drafts_contain_no_raw_id(desk, audience, fmt, identifiers):
    from dataclasses import replace

    facts = reply_facts(desk, "ESC-C", as_of=AS_OF, memberships=memberships_frame())
    facts = replace(facts, summary="Ticket ESC-C about account farm1 (see farm1's videos)")
    pseudonymiser = Pseudonymiser(bytes.fromhex("5f1c9a7be0d24486a3f1c02e9b7d6e4a18c3f5a90b2e4d6f71a8c9e0d3b5f7a2"))
    text = draft_reply(facts, audience=audience, format=fmt, identifiers=identifiers, pseudonymiser=pseudonymiser)
    assert "ESC-C" not in text and "farm1" not in text
    if identifiers == "pseudonyms":
        assert pseudonymiser.pseudonym("ESC-C", kind="ticket") in text


def test_pseudonyms_need_a_key(victim_facts):
    with pytest.raises(ParameterError, match="pseudonymiser"):
        draft_reply(victim_facts, identifiers="pseudonyms")


def test_a_team_template_replaces_the_default(victim_facts, tmp_path):
    (tmp_path / "partner.md.j2").write_text("Hi {{ requester or 'there' }}, re {{ ticket }}: {{ summary }}\n",
                                            encoding="utf-8")
    text = draft_reply(victim_facts, audience="partner", template_dir=tmp_path)
    assert text == "Hi there, re ESC-D: summary of ESC-D\n"
    # Audiences the team did not replace fall back to the shipped templates.
    assert draft_reply(victim_facts, audience="regulator", template_dir=tmp_path).startswith("Subject: Response")


def test_sandbox_stops_a_hostile_template(victim_facts, tmp_path):
    (tmp_path / "partner.md.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8")
    with pytest.raises(ParameterError, match="partner.md.j2"):
        draft_reply(victim_facts, audience="partner", template_dir=tmp_path)
    (tmp_path / "user.md.j2").write_text("{{ no_such_variable }}", encoding="utf-8")
    with pytest.raises(ParameterError, match="user.md.j2"):
        draft_reply(victim_facts, audience="user", template_dir=tmp_path)


def test_unknown_ticket_names_no_value(desk):
    with pytest.raises(ParameterError, match="ticket_id was not found") as info:
        reply_facts(desk, "ESC-404-secret", as_of=AS_OF)
    assert "ESC-404-secret" not in str(info.value)


def test_bad_options(victim_facts):
    with pytest.raises(ParameterError, match="audience"):
        draft_reply(victim_facts, audience="press")
    with pytest.raises(ParameterError, match="format"):
        draft_reply(victim_facts, format="pdf")
    with pytest.raises(ParameterError, match="template_dir"):
        draft_reply(victim_facts, template_dir="/no/such/folder")
