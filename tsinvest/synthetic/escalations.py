"""Escalation tickets: the cases that land on an escalation specialist's desk.

Ordinary tickets from users, partners, regulators and internal teams, plus
tickets about the victims of planted brigades and about suspects of planted
campaigns, so notebooks can start from a ticket the way analysts do.

Examples
--------
>>> from tsinvest.synthetic.world import World
>>> from tsinvest.synthetic.organic import build_population
>>> world = World(seed=0)
>>> organic = build_population(world, np.random.default_rng(0), n_accounts=100, n_posts=20)
>>> tickets = add_escalations(world, np.random.default_rng(1), organic, n_organic=5, campaigns=[])
>>> world.escalations.size, tickets
(5, {'victim_tickets': [], 'suspect_tickets': []})
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tsinvest.synthetic.hostile import HOSTILE_STRINGS
from tsinvest.synthetic.organic import Organic
from tsinvest.synthetic.world import DAY, END, POLICIES, START, World, sample_times

__all__ = ["add_escalations", "PRIORITIES", "STATUSES", "SEVERITIES"]

PRIORITIES = ("urgent", "high", "normal", "low")
STATUSES = ("open", "in_progress", "resolved", "closed")
_SLA_HOURS = {"urgent": 4, "high": 24, "normal": 72, "low": 168}
_CHANNELS = np.array(["user", "partner", "regulator", "internal"], dtype=object)

#: Ordinary ticket topics, each worded the way its channel writes: a user asks for help, a partner
#: manager flags a creator, a regulator sends a formal notice, an internal team hands over.
_ORGANIC_TOPICS: tuple[dict[str, str], ...] = (
    {
        "user": "User appeal: says their video was removed for {policy} by mistake, asks for a second review",
        "partner": "Partner manager: a signed creator's video was removed for {policy}, asks for a second review",
        "regulator": 'Regulator request (ref. "DSA-Art20"): complaint about a removal for {policy}; '
                     "please set out the reasons and the redress offered",
        "internal": "Internal QA: removal for {policy} disputed by the creator, second review needed",
    },
    {
        "user": "User report: account keeps posting borderline {policy} content, wants it reviewed",
        "partner": "Partner flag: creator account posting borderline {policy} content, please review",
        "regulator": 'Regulator notice (ref. "DSA-Art16"): content reported as illegal ({policy}); '
                     "information on the measures taken is requested",
        "internal": "Internal: borderline {policy} content from a high-reach account, policy call needed",
    },
    {
        "user": "User: reported a video for {policy} days ago and nothing happened",
        "partner": "Partner flag: brand safety concern, ads shown next to {policy} content",
        "regulator": 'Regulator request (ref. "DSA-Art16"): notice about reported {policy} content, response due '
                     "by the stated deadline",
        "internal": "Internal: {policy} notice from a trusted flagger pending past its target time",
    },
    {
        "user": "User appeal: same clip removed for {policy} once and kept once, asks which rule applies",
        "partner": "Partner manager: inconsistent {policy} decisions on the same clip across accounts",
        "regulator": 'Regulator inquiry (ref. "DSA-Art34"): consistency of {policy} enforcement; '
                     "please describe the review process",
        "internal": "Internal QA: enforcement inconsistency, same clip removed once and kept once ({policy})",
    },
    {
        "user": "User report: account impersonating a public figure posts {policy} content, profile photo copied",
        "partner": (
            "Partner flag: account impersonating one of our creators posts {policy} content, profile photo copied"
        ),
        "regulator": 'Regulator notice (ref. "DSA-Art16"): account impersonating a public figure reported for '
                     "{policy}; information on the measures taken is requested",
        "internal": "Internal: lookalike account of a public figure reported for impersonation and {policy}",
    },
    {
        "user": "User report: a video removed for {policy} keeps being reuploaded with new captions",
        "partner": "Partner flag: repeated reuploads of a removed video, different captions",
        "regulator": 'Regulator notice (ref. "DSA-Art16"): content removed for {policy} is available again; '
                     "please confirm the measures taken",
        "internal": "Internal: reuploads of a video removed for {policy} evading the hash match",
    },
    {
        "user": "User: targeted with {policy} in comments after a live stream, wants help",
        "partner": "Partner manager: creator targeted with {policy} in comments after a live stream, please step in",
        "regulator": 'Regulator request (ref. "DSA-Art16"): notice about {policy} aimed at a user after a live stream; '
                     "response due by the stated deadline",
        "internal": "Internal: wave of {policy} in live-stream comments, needs a specialist",
    },
)
#: Tickets about brigade victims: one wording per draw, in the channel's own voice.
_VICTIM_SUMMARIES = {
    "user": (
        "Creator says their account is being mass-reported for {policy}; videos removed after a sudden wave of reports",
        "User appeal: account restricted after dozens of {policy} reports in one evening, claims a brigade",
        "User: my videos disappear after waves of {policy} reports from accounts I have never seen",
    ),
    "partner": (
        "Partner manager: top creator hit by coordinated false {policy} reports within minutes, please investigate",
        "Partner manager: signed creator's videos removed after a sudden wave of {policy} reports",
        "Partner flag: our creator is being mass-reported for {policy}, suspect a coordinated brigade",
    ),
}
_SUSPECT_SUMMARIES = {
    "amplification": {
        "internal": (
            "Internal: cluster of accounts resharing the same videos within seconds, suspected paid amplification"
        ),
        "partner": (
            "Partner flag: competitor's videos boosted by the same accounts within seconds, "
            "suspected paid amplification"
        ),
        "regulator": 'Regulator inquiry (ref. "DSA-Art34"): suspected inauthentic amplification of videos; '
                     "please describe the detection and measures taken",
    },
    "farm": {
        "internal": (
            "Internal: many new accounts logging in from the same devices and datacenter IPs, suspected account farm"
        ),
        "partner": (
            "Partner flag: waves of new accounts with templated names following our creators, suspected account farm"
        ),
        "regulator": 'Regulator inquiry (ref. "DSA-Art34"): suspected network of fake accounts; '
                     "please describe the detection and measures taken",
    },
    "copy_paste": {
        "internal": "Internal: identical promotional comments under many videos, suspected spam network",
        "partner": "Partner flag: identical promotional comments under many videos, suspected spam network",
        "regulator": 'Regulator notice (ref. "DSA-Art16"): identical scam comments reported under many videos; '
                     "information on the measures taken is requested",
    },
    "mass_report": {
        "internal": "Internal: reporters filing near-simultaneous reports on the same accounts",
        "partner": "Partner flag: the same accounts report our creators within minutes of each other",
        "regulator": 'Regulator inquiry (ref. "DSA-Art23"): suspected misuse of the reporting system by coordinated '
                     "accounts; please describe the measures taken",
    },
}
_SUSPECT_POLICY = {"amplification": "spam", "farm": "spam", "copy_paste": "spam", "mass_report": "harassment"}

#: Made-up requesters (any match with a real organisation is a coincidence).
_REQUESTERS = {
    "partner": ("Harbor Lane Media", "Quartz Creators Network", "Bluefin Music Group", "Northstar Sports Club",
                "Pepper & Pine Agency"),
    "regulator": ("Valoria Digital Services Coordinator", "Lumeria Media Authority", "Ostmark Online Safety Office"),
    "internal": ("Integrity Operations", "Policy QA", "Trusted Flagger Desk"),
}
_ASSIGNEES = ("agent-01", "agent-02", "agent-03", "agent-04", "agent-05", "agent-06")
SEVERITIES = ("low", "medium", "high", "critical")
_SEVERITY_OF_PRIORITY = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
#: Policies whose harm makes a ticket one level more severe than its SLA class.
_GRAVE_POLICIES = ("violent_extremism", "dangerous_challenge")


def _ticket_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    numbers = rng.choice(900_000, size=n, replace=False) + 100_000
    return np.array([f"ESC-{v}" for v in numbers.tolist()], dtype=object)


def _status(rng: np.random.Generator, opened: np.ndarray) -> np.ndarray:
    """Older tickets are more likely to be resolved or closed by the end of the data."""
    age_days = (END - opened) / DAY
    done = rng.random(len(opened)) < np.clip(age_days / 10, 0.05, 0.9)
    closed = rng.random(len(opened)) < 0.5
    in_progress = rng.random(len(opened)) < 0.4
    finished = np.where(closed, "closed", "resolved")
    return np.where(done, finished, np.where(in_progress, "in_progress", "open")).astype(object)


def _severity(rng: np.random.Generator, priority: np.ndarray, policy: np.ndarray) -> np.ndarray:
    """Severity follows the SLA class, one level up for grave policies, with some disagreement."""
    level = np.array([_SEVERITY_OF_PRIORITY[p] for p in priority.tolist()], dtype=np.int64)
    level += np.isin(policy, _GRAVE_POLICIES).astype(np.int64)
    level += np.where(rng.random(len(level)) < 0.2, rng.choice(np.array([-1, 1]), len(level)), 0)
    return np.array(SEVERITIES, dtype=object)[np.clip(level, 0, len(SEVERITIES) - 1)]


def _resolved_at(rng: np.random.Generator, opened: np.ndarray, due: np.ndarray, status: np.ndarray) -> np.ndarray:
    """Resolution times of resolved and closed tickets: about 60% within their SLA, all before the data ends."""
    sla = (due - opened).astype(float)
    took = np.maximum(sla * rng.lognormal(-0.3, 0.9, len(opened)), 900.0).astype(np.int64)
    late = opened + took >= END
    took[late] = ((END - 1 - opened[late]) * rng.uniform(0.1, 1.0, int(late.sum()))).astype(np.int64)
    done = np.isin(status, ("resolved", "closed"))
    return np.where(done, opened + np.maximum(took, 1), np.iinfo(np.int64).min)


@dataclass
class _Drafts:
    """Ticket columns gathered in parts (one array per part), concatenated once all are drawn."""

    subject: list[np.ndarray] = field(default_factory=list)
    channel: list[np.ndarray] = field(default_factory=list)
    policy: list[np.ndarray] = field(default_factory=list)
    priority: list[np.ndarray] = field(default_factory=list)
    opened: list[np.ndarray] = field(default_factory=list)
    summary: list[np.ndarray] = field(default_factory=list)
    kind: list[np.ndarray] = field(default_factory=list)

    def add(self, *, subject: np.ndarray, channel: np.ndarray, policy: np.ndarray, priority: np.ndarray,
            opened: np.ndarray, summary: np.ndarray, kind: str) -> None:
        self.subject.append(subject)
        self.channel.append(channel)
        self.policy.append(policy)
        self.priority.append(priority)
        self.opened.append(opened)
        self.summary.append(summary)
        self.kind.append(np.full(len(subject), kind, dtype=object))


def _add_organic_tickets(drafts: _Drafts, rng: np.random.Generator, organic: Organic, n: int) -> None:
    """Ordinary tickets, mostly about creators with an audience; a few quote hostile user text."""
    weights = np.sqrt(organic.followers + 1.0)
    subject = organic.accounts[rng.choice(len(organic.accounts), n, p=weights / weights.sum())]
    channels = rng.choice(_CHANNELS, n, p=[0.45, 0.2, 0.1, 0.25])
    policies = rng.choice(np.array(POLICIES, dtype=object), n)
    priority = rng.choice(np.array(PRIORITIES, dtype=object), n, p=[0.05, 0.25, 0.5, 0.2])
    opened = sample_times(rng, n)
    topics = rng.choice(len(_ORGANIC_TOPICS), n)
    texts = np.array([_ORGANIC_TOPICS[t][c].format(policy=p.replace("_", " "))
                      for t, c, p in zip(topics.tolist(), channels.tolist(), policies.tolist(), strict=True)],
                     dtype=object)
    hostile = np.flatnonzero(rng.random(n) < 0.08)
    texts[hostile] = [f"{t} - user wrote: {HOSTILE_STRINGS[int(rng.integers(0, len(HOSTILE_STRINGS)))]}"
                      for t in texts[hostile]]
    drafts.add(subject=subject, channel=channels, policy=policies, priority=priority, opened=opened,
               summary=texts, kind="organic")


def _add_victim_tickets(
    drafts: _Drafts, rng: np.random.Generator, campaign: dict[str, Any], account_index: dict[str, int]
) -> None:
    """Tickets from the targets of a mass-report campaign, hours after its first wave."""
    first_wave = np.datetime64(campaign["waves"][0].rstrip("Z"), "s").astype(np.int64)
    victims = np.array([account_index[v] for v in campaign["targets"]])
    k = len(victims)
    victim_channels = rng.choice(np.array(["user", "partner"], dtype=object), k)
    opened = np.minimum(first_wave + rng.integers(1800, 12 * 3600, k), END - 1)
    wording = int(rng.integers(0, len(_VICTIM_SUMMARIES["user"])))
    summary = np.array([_VICTIM_SUMMARIES[c][wording].format(policy=campaign["policy"].replace("_", " "))
                        for c in victim_channels.tolist()], dtype=object)
    drafts.add(subject=victims, channel=victim_channels, policy=np.full(k, campaign["policy"], dtype=object),
               priority=np.full(k, "high", dtype=object), opened=opened, summary=summary, kind="victim")


def _add_suspect_ticket(
    drafts: _Drafts, rng: np.random.Generator, campaign: dict[str, Any], account_index: dict[str, int]
) -> None:
    """One ticket about an account of the campaign, from an internal, partner or regulator channel."""
    suspect = account_index[campaign["accounts"][int(rng.integers(0, len(campaign["accounts"])))]]
    suspect_channel = str(rng.choice(["internal", "partner", "regulator"], p=[0.6, 0.3, 0.1]))
    priority = np.array([rng.choice(["urgent", "high"])], dtype=object)
    drafts.add(subject=np.array([suspect]), channel=np.array([suspect_channel], dtype=object),
               policy=np.array([_SUSPECT_POLICY[campaign["kind"]]], dtype=object), priority=priority,
               opened=sample_times(rng, 1, start=START + 7 * DAY),
               summary=np.array([_SUSPECT_SUMMARIES[campaign["kind"]][suspect_channel]], dtype=object),
               kind="suspect")


def _reach_requester_assignee(
    world: World, details: np.random.Generator, subject: np.ndarray, channel: np.ndarray, status: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reach (followers plus views), the requester of partner and regulator tickets, the assignee or None."""
    total = len(subject)
    followers = world.accounts.column("follower_count")[subject].astype(np.int64)
    # Reach: the subject's followers plus views of the videos concerned.
    reach = followers + np.round(followers * details.lognormal(0.0, 1.0, total)).astype(np.int64) \
        + details.integers(20, 2000, total)
    requester = np.full(total, None, dtype=object)
    for name, names in _REQUESTERS.items():
        rows = np.flatnonzero(channel == name)
        requester[rows] = details.choice(np.array(names, dtype=object), len(rows))
    assignee = details.choice(np.array(_ASSIGNEES, dtype=object), total)
    unassigned = (status == "open") & (details.random(total) < 0.35)
    assignee[unassigned] = None
    return reach, requester, assignee


def add_escalations(world: World, rng: np.random.Generator, organic: Organic, *, n_organic: int,
                    campaigns: list[dict]) -> dict:
    """Add ordinary, victim and suspect tickets; return the truth ticket lists.

    ``rng`` draws the tickets (subject, channel, policy, priority, times, ids,
    status) in the same order as earlier versions, so ticket ids and the truth
    lists do not change; the details added later (severity, reach, requester,
    assignee, resolution time) come from the world's own ``escalation-details``
    generator. Missing values (no resolution yet, no requester for a user, an
    unassigned open ticket) are None, written as empty fields.
    """
    drafts = _Drafts()
    _add_organic_tickets(drafts, rng, organic, int(n_organic))
    account_index = {account_id: i for i, account_id in enumerate(world.account_ids.tolist())}
    for campaign in campaigns:
        if campaign["kind"] == "mass_report":
            _add_victim_tickets(drafts, rng, campaign, account_index)
        if campaign["kind"] != "mass_report" or rng.random() < 0.5:
            _add_suspect_ticket(drafts, rng, campaign, account_index)
    subject_all = np.concatenate(drafts.subject)
    channel_all = np.concatenate(drafts.channel)
    policy_all = np.concatenate(drafts.policy)
    opened_all = np.concatenate(drafts.opened)
    priority_all = np.concatenate(drafts.priority)
    kind_all = np.concatenate(drafts.kind)
    tickets = _ticket_ids(rng, len(subject_all))
    status = _status(rng, opened_all)
    due = opened_all + np.array([_SLA_HOURS[p] * 3600 for p in priority_all.tolist()], dtype=np.int64)

    details = world.rng("escalation-details")
    reach, requester, assignee = _reach_requester_assignee(world, details, subject_all, channel_all, status)
    world.escalations.add(
        ticket_id=tickets, channel=channel_all, subject=subject_all, policy=policy_all,
        priority=priority_all, opened_at=opened_all, status=status, due_at=due,
        summary=np.concatenate(drafts.summary), resolved_at=_resolved_at(details, opened_all, due, status),
        assignee=assignee, requester=requester, reach=reach, severity=_severity(details, priority_all, policy_all),
    )
    return {
        "victim_tickets": sorted(tickets[kind_all == "victim"].tolist()),
        "suspect_tickets": sorted(tickets[kind_all == "suspect"].tolist()),
    }
