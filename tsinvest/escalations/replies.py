"""Drafted replies per audience: partner update, regulator reply, internal hand-off, user reply.

A draft is plain-language text a specialist edits before sending, built from
a ticket's facts (:func:`reply_facts`) and a Jinja2 template. Templates are
files, so a team can replace them: pass ``template_dir`` holding any of
``partner``, ``regulator``, ``internal``, ``user`` as ``<audience>.md.j2``
(Markdown) or ``<audience>.html.j2`` (HTML); missing ones fall back to the
defaults shipped in ``tsinvest/escalations/templates/``.

Safety
------
* Templates run in Jinja2's :class:`~jinja2.sandbox.SandboxedEnvironment`
  (no attribute tricks, no imports) with ``StrictUndefined`` (a misspelt
  variable fails instead of printing nothing).
* Data is only ever a *value* handed to the template, never template source:
  a ticket summary containing ``{{ 7*7 }}`` or ``{% ... %}`` is printed as
  typed. Every value printed passes through a finaliser: HTML templates
  autoescape (``< > & " '`` become entities); Markdown templates escape the
  characters that would make markup (``\\ ` [ ] < > | #``) and fold line
  breaks, so a summary cannot open a link, an image, a heading, a table cell
  or raw HTML. Invisible
  and bidirectional characters become visible markers (``[U+202E]``).
* Identifiers: ``identifiers="raw"`` shows ticket and account ids;
  ``"pseudonyms"`` replaces them (also inside the summary) by keyed pseudonyms
  from a :class:`tsinvest.reporting.Pseudonymiser`; ``"none"`` replaces them by
  ``[ticket]`` / ``[account]``. In a ``tsinvest run --redact`` run the data is
  pseudonymised already, so drafts carry pseudonyms whatever this setting.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from tsinvest.escalations._sql import as_of_timestamp, escalations_select, has_table
from tsinvest.exceptions import MissingDependencyError, ParameterError

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

    from tsinvest.reporting import Pseudonymiser
    from tsinvest.workspace import Workspace

__all__ = ["AUDIENCES", "TEMPLATE_DIR", "ReplyFacts", "reply_facts", "draft_reply", "markdown_text"]

#: Audiences a draft can be written for; the default is the ticket's channel.
AUDIENCES = ("partner", "regulator", "internal", "user")
#: Folder of the default templates (package data).
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

# Characters that would open raw HTML, a link or image, code, a table cell or a heading. Emphasis
# markers (* and _) stay: they cannot hide or link anything, and ids such as acct_3f9a must copy cleanly.
_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`[]<>|#"})


def markdown_text(value: object) -> str:
    """A value as inert Markdown text: markup characters escaped, line breaks folded.

    Examples
    --------
    >>> print(markdown_text("![img](http://x) <b>hi</b>\\n# title"))
    !\\[img\\](http://x) \\<b\\>hi\\</b\\> \\# title
    """
    from tsinvest.textnorm import display_safe

    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    text = " ".join(str(value).splitlines())
    return display_safe(text).translate(_MARKDOWN_SPECIAL)


def _plain(value: object) -> str:
    from tsinvest.textnorm import display_safe

    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    return display_safe(str(value))


@dataclass(frozen=True)
class ReplyFacts:
    """The facts of one ticket a reply may use.

    Attributes
    ----------
    ticket_id, channel, policy, priority, status, subject_account_id : str
        From the ticket.
    severity, requester, assignee, summary : str or None
        From the ticket (None when empty).
    opened_at, due_at, resolved_at : Timestamp or None
        Ticket times (``resolved_at`` only if at or before ``as_of``).
    as_of : Timestamp
        When the facts were read.
    network_role : str or None
        ``member``, ``victim``, ``member and victim`` or None (see
        :func:`~tsinvest.escalations.ticket_networks`).
    network_kinds : tuple of str
        Plain names of the flagged networks the subject belongs to.
    cluster_ids : tuple of str
        Ids of those clusters (internal hand-offs only).
    reports_received, reports_from_flagged : int
        Reports against the subject up to ``as_of``, and those filed by
        flagged brigade members.
    enforcements : tuple of (str, Timestamp)
        Enforcement actions on the subject from the ticket's opening until
        its resolution (or ``as_of`` while open). Enforcements carry no
        ticket id, so an action taken for another reason is listed too.
    """

    ticket_id: str
    channel: str
    policy: str
    priority: str
    status: str
    subject_account_id: str
    as_of: pd.Timestamp
    opened_at: pd.Timestamp | None = None
    due_at: pd.Timestamp | None = None
    resolved_at: pd.Timestamp | None = None
    severity: str | None = None
    requester: str | None = None
    assignee: str | None = None
    summary: str | None = None
    network_role: str | None = None
    network_kinds: tuple[str, ...] = ()
    cluster_ids: tuple[str, ...] = ()
    reports_received: int = 0
    reports_from_flagged: int = 0
    enforcements: tuple[tuple[str, pd.Timestamp], ...] = field(default=())


def _value(row: Mapping, column: str) -> Any:
    value = row.get(column)
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    return value


def reply_facts(workspace: Workspace, ticket_id: str, *, as_of: str | pd.Timestamp,
                memberships: pd.DataFrame | None = None) -> ReplyFacts:
    """Read one ticket's facts from the workspace.

    Parameters
    ----------
    workspace : tsinvest.workspace.Workspace
        Holds ``escalations``; ``enforcements`` and ``reports`` are used when present.
    ticket_id : str
        The ticket (exact string).
    as_of : str or Timestamp
        Facts up to this time (ISO 8601; a time without an offset is UTC).
    memberships : DataFrame, optional
        ``DetectionResult.memberships``, to say whether the subject is in or
        was targeted by a flagged network.

    Returns
    -------
    ReplyFacts

    Examples
    --------
    >>> import pandas as pd
    >>> from tsinvest.workspace import Workspace
    >>> ws = Workspace()
    >>> ws.register("escalations", pd.DataFrame({
    ...     "ticket_id": ["T1"], "channel": ["partner"], "subject_account_id": ["007"], "policy": ["spam"],
    ...     "priority": ["high"], "status": ["open"], "opened_at": pd.to_datetime(["2026-03-02"], utc=True)}))
    >>> reply_facts(ws, "T1", as_of="2026-03-03T00:00:00Z").channel
    'partner'
    """
    from tsinvest.escalations.networks import KIND_NAMES, ticket_networks

    stamp = as_of_timestamp(as_of)
    if not isinstance(ticket_id, str) or not ticket_id:
        raise ParameterError("ticket_id must be a non-empty string (ids are exact strings)")
    found = workspace.sql(f"SELECT * FROM ({escalations_select(workspace)}) WHERE ticket_id = $ticket",
                          {"ticket": ticket_id})
    if found.empty:
        raise ParameterError("ticket_id was not found in the escalations table; check the id (ids are exact strings)")
    row = found.iloc[0].to_dict()
    resolved = _value(row, "resolved_at")
    if resolved is not None and resolved > stamp:
        resolved = None
    # Actions count from opening until the ticket was resolved (or as_of while it is open).
    params = {"subject": str(row["subject_account_id"]), "opened": row["opened_at"].to_pydatetime(),
              "until": (resolved if resolved is not None else stamp).to_pydatetime()}
    actions: tuple = ()
    if has_table(workspace, "enforcements"):
        done = workspace.sql(
            "SELECT action, ts FROM enforcements WHERE account_id = $subject AND ts >= $opened AND ts <= $until "
            "ORDER BY ts, action", params)
        actions = tuple((str(action), ts) for action, ts in zip(done["action"], done["ts"], strict=True))
    role: str | None = None
    kinds: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    received = flagged = 0
    if memberships is not None:
        networks = ticket_networks(workspace, memberships, as_of=stamp, open_only=False)
        mine = networks[networks["ticket_id"] == ticket_id]
        if len(mine):
            hit = mine.iloc[0]
            role = str(hit["role"])
            kinds = tuple(KIND_NAMES[k] for k in str(hit["network_kinds"]).split(", ") if k in KIND_NAMES)
            clusters = tuple(str(hit["cluster_ids"]).split(", ")) if _value(hit, "cluster_ids") else ()
            received, flagged = int(hit["reports_received"]), int(hit["reports_from_flagged"])
    return ReplyFacts(
        ticket_id=str(row["ticket_id"]), channel=str(row["channel"]), policy=str(row["policy"]),
        priority=str(row["priority"]), status=str(row["status"]), subject_account_id=str(row["subject_account_id"]),
        as_of=stamp, opened_at=_value(row, "opened_at"), due_at=_value(row, "due_at"),
        resolved_at=resolved,
        severity=_value(row, "severity"), requester=_value(row, "requester"), assignee=_value(row, "assignee"),
        summary=_value(row, "summary"), network_role=role, network_kinds=kinds, cluster_ids=clusters,
        reports_received=received, reports_from_flagged=flagged, enforcements=actions,
    )


def _identified(facts: ReplyFacts, identifiers: str, pseudonymiser: Pseudonymiser | None) -> ReplyFacts:
    """Facts with ids (also inside the summary) shown raw, as pseudonyms, or not at all."""
    from tsinvest.reporting.pseudonymise import TextRedactor

    if identifiers == "raw":
        return facts
    if identifiers == "pseudonyms":
        if pseudonymiser is None:
            raise ParameterError("identifiers='pseudonyms' needs pseudonymiser= (tsinvest.reporting.Pseudonymiser)")
        ticket = pseudonymiser.pseudonym(facts.ticket_id, kind="ticket")
        account = pseudonymiser.pseudonym(facts.subject_account_id, kind="acct")
    else:
        ticket, account = "[ticket]", "[account]"
    redactor = TextRedactor({facts.ticket_id: ticket, facts.subject_account_id: account})
    summary = None if facts.summary is None else str(redactor.redact(facts.summary))
    return replace(facts, ticket_id=ticket, subject_account_id=account, summary=summary)


def _environment(template_dir: str | os.PathLike | None, fmt: str) -> SandboxedEnvironment:
    try:
        import jinja2
        from jinja2.sandbox import SandboxedEnvironment
    except ImportError:  # pragma: no cover - jinja2 is a core dependency
        raise MissingDependencyError("jinja2", "all") from None
    folders = [str(TEMPLATE_DIR)]
    if template_dir is not None:
        folder = Path(template_dir)
        if not folder.is_dir():
            raise ParameterError("template_dir is not a folder; give the folder holding <audience>.md.j2 templates")
        folders.insert(0, str(folder))
    html = fmt == "html"
    return SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(folders),
        autoescape=html,
        finalize=_plain if html else markdown_text,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _day(stamp: object) -> str | None:
    return None if stamp is None else pd.Timestamp(stamp).strftime("%Y-%m-%d %H:%M UTC")


def draft_reply(
    facts: ReplyFacts,
    *,
    audience: Literal["partner", "regulator", "internal", "user"] | None = None,
    format: Literal["markdown", "html"] = "markdown",
    identifiers: Literal["raw", "pseudonyms", "none"] = "raw",
    pseudonymiser: Pseudonymiser | None = None,
    template_dir: str | os.PathLike | None = None,
    signature: str = "Trust & Safety escalations",
    max_actions: int = 5,
) -> str:
    """Draft a reply to one ticket for one audience, as Markdown or HTML text.

    Parameters
    ----------
    facts : ReplyFacts
        From :func:`reply_facts`.
    audience : {"partner", "regulator", "internal", "user"}, optional
        Who reads it; default the ticket's channel (an internal ticket gets
        the internal hand-off).
    format : {"markdown", "html"}
        Template flavour: ``<audience>.md.j2`` or ``<audience>.html.j2``.
    identifiers : {"raw", "pseudonyms", "none"}
        How ticket and account ids appear (see the module notes).
    pseudonymiser : tsinvest.reporting.Pseudonymiser, optional
        Needed for ``identifiers="pseudonyms"``.
    template_dir : path, optional
        A team's templates, tried before the defaults.
    signature : str
        Sign-off line.
    max_actions : int
        Enforcement actions listed (the first ones); the rest are counted.

    Returns
    -------
    str
        The draft. Nothing is sent anywhere.

    Examples
    --------
    >>> import pandas as pd
    >>> facts = ReplyFacts(ticket_id="T1", channel="partner", policy="spam", priority="high", status="open",
    ...                    subject_account_id="007", as_of=pd.Timestamp("2026-03-03", tz="UTC"),
    ...                    summary="Creator says {{ 7*7 }} reports came in", requester="Harbor Lane Media")
    >>> text = draft_reply(facts)
    >>> "49" in text, "{{ 7*7 }}" in text  # printed as typed, never evaluated
    (False, True)
    >>> print(text.splitlines()[0])
    Subject: Update on your escalation T1
    """
    import jinja2

    if not isinstance(facts, ReplyFacts):
        raise ParameterError("facts must be a ReplyFacts (build it with reply_facts)")
    chosen = audience or (facts.channel if facts.channel in AUDIENCES else "internal")
    if chosen not in AUDIENCES:
        raise ParameterError(f"audience must be one of {', '.join(AUDIENCES)}")
    if format not in ("markdown", "html"):
        raise ParameterError("format must be 'markdown' or 'html'")
    if identifiers not in ("raw", "pseudonyms", "none"):
        raise ParameterError("identifiers must be 'raw', 'pseudonyms' or 'none'")
    shown = _identified(facts, identifiers, pseudonymiser)
    context = _template_context(shown, signature=signature, max_actions=max_actions)
    name = f"{chosen}.{'html' if format == 'html' else 'md'}.j2"
    environment = _environment(template_dir, format)
    try:
        return environment.get_template(name).render(**context)
    except jinja2.TemplateNotFound:
        raise ParameterError(f"no template '{name}' in template_dir or the defaults") from None
    except jinja2.TemplateError as error:
        raise ParameterError(
            f"template '{name}' failed ({type(error).__name__}); "
            "check the variables it uses against draft_reply's notes"
        ) from None


def _template_context(shown: ReplyFacts, *, signature: str, max_actions: int) -> dict[str, object]:
    """The variables a reply template sees (see :func:`draft_reply`'s notes)."""
    is_open = shown.resolved_at is None and shown.status.lower() not in ("resolved", "closed")
    overdue = bool(is_open and shown.due_at is not None and shown.due_at < shown.as_of)
    context: dict[str, object] = {
        "ticket": shown.ticket_id,
        "account": shown.subject_account_id,
        "channel": shown.channel,
        "requester": shown.requester,
        "assignee": shown.assignee,
        "policy_name": shown.policy.replace("_", " "),
        "severity": shown.severity or "not set",
        "priority": shown.priority,
        "status": shown.status,
        "summary": shown.summary,
        "opened": _day(shown.opened_at),
        "due": _day(shown.due_at),
        "resolved": _day(shown.resolved_at),
        "as_of": _day(shown.as_of),
        "is_open": is_open,
        "overdue": overdue,
        "role": shown.network_role,
        "network_names": " and ".join(shown.network_kinds),
        "cluster_ids": ", ".join(shown.cluster_ids),
        "reports_received": shown.reports_received,
        "reports_from_flagged": shown.reports_from_flagged,
        "actions": [(action.replace("_", " "), _day(ts)) for action, ts in shown.enforcements[:max_actions]],
        "more_actions": max(0, len(shown.enforcements) - max_actions),
        "signature": signature,
    }
    return context
