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

import numpy as np

from tsinvest.synthetic.hostile import HOSTILE_STRINGS
from tsinvest.synthetic.organic import Organic
from tsinvest.synthetic.world import DAY, END, POLICIES, START, World, sample_times

__all__ = ["add_escalations", "PRIORITIES", "STATUSES"]

PRIORITIES = ("urgent", "high", "normal", "low")
STATUSES = ("open", "in_progress", "resolved", "closed")
_SLA_HOURS = {"urgent": 4, "high": 24, "normal": 72, "low": 168}
_CHANNELS = np.array(["user", "partner", "regulator", "internal"], dtype=object)

_ORGANIC_SUMMARIES = [
    "User appeal: says their video was removed by mistake, asks for a second review",
    "Partner flag: creator account posting borderline content, please review",
    'Regulator request (ref. "DSA-Art16"): notice about reported content, response due',
    "Internal QA: enforcement inconsistency, same clip removed once and kept once",
    "User report: impersonation of a public figure, profile photo copied",
    "Partner flag: repeated reuploads of a removed video, different captions",
    "User: being harassed in comments after a live stream, wants help",
]
_VICTIM_SUMMARIES = [
    "Creator says their account is being mass-reported for {policy}; videos removed after a sudden wave of reports",
    "Partner manager: top creator hit by coordinated false {policy} reports within minutes, please investigate",
    "User appeal: account restricted after dozens of {policy} reports in one evening, claims a brigade",
]
_SUSPECT_SUMMARIES = {
    "amplification": "Internal: cluster of accounts resharing the same videos within seconds, suspected paid amplification",
    "farm": "Internal: many new accounts logging in from the same devices and datacenter IPs, suspected account farm",
    "copy_paste": "Partner flag: identical promotional comments under many videos, suspected spam network",
    "mass_report": "Internal: reporters filing near-simultaneous reports on the same accounts",
}
_SUSPECT_POLICY = {"amplification": "spam", "farm": "spam", "copy_paste": "spam", "mass_report": "harassment"}


def _ticket_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    numbers = rng.choice(900_000, size=n, replace=False) + 100_000
    return np.array([f"ESC-{v}" for v in numbers.tolist()], dtype=object)


def _status(rng: np.random.Generator, opened: np.ndarray) -> np.ndarray:
    """Older tickets are more likely to be resolved or closed by the end of the data."""
    age_days = (END - opened) / DAY
    done = rng.random(len(opened)) < np.clip(age_days / 10, 0.05, 0.9)
    closed = rng.random(len(opened)) < 0.5
    in_progress = rng.random(len(opened)) < 0.4
    return np.where(done, np.where(closed, "closed", "resolved"), np.where(in_progress, "in_progress", "open")).astype(object)


def add_escalations(world: World, rng: np.random.Generator, organic: Organic, *, n_organic: int,
                    campaigns: list[dict]) -> dict:
    """Add ordinary, victim and suspect tickets; return the truth ticket lists."""
    subject, channel, policy, priority, opened, summary, kind = [], [], [], [], [], [], []
    # Ordinary tickets, mostly about creators with an audience.
    n = int(n_organic)
    weights = np.sqrt(organic.followers + 1.0)
    subject.append(organic.accounts[rng.choice(len(organic.accounts), n, p=weights / weights.sum())])
    channel.append(rng.choice(_CHANNELS, n, p=[0.45, 0.2, 0.1, 0.25]))
    policy.append(rng.choice(np.array(POLICIES, dtype=object), n))
    priority.append(rng.choice(np.array(PRIORITIES, dtype=object), n, p=[0.05, 0.25, 0.5, 0.2]))
    opened.append(sample_times(rng, n))
    texts = rng.choice(np.array(_ORGANIC_SUMMARIES, dtype=object), n)
    hostile = np.flatnonzero(rng.random(n) < 0.08)
    texts[hostile] = [f"{t} - user wrote: {HOSTILE_STRINGS[int(rng.integers(0, len(HOSTILE_STRINGS)))]}" for t in texts[hostile]]
    summary.append(texts)
    kind.append(np.full(n, "organic", dtype=object))
    account_index = {account_id: i for i, account_id in enumerate(world.account_ids.tolist())}
    for campaign in campaigns:
        if campaign["kind"] == "mass_report":
            first_wave = np.datetime64(campaign["waves"][0].rstrip("Z"), "s").astype(np.int64)
            victims = np.array([account_index[v] for v in campaign["targets"]])
            k = len(victims)
            subject.append(victims)
            channel.append(rng.choice(np.array(["user", "partner"], dtype=object), k))
            policy.append(np.full(k, campaign["policy"], dtype=object))
            priority.append(np.full(k, "high", dtype=object))
            opened.append(np.minimum(first_wave + rng.integers(1800, 12 * 3600, k), END - 1))
            template = _VICTIM_SUMMARIES[int(rng.integers(0, len(_VICTIM_SUMMARIES)))]
            summary.append(np.full(k, template.format(policy=campaign["policy"].replace("_", " ")), dtype=object))
            kind.append(np.full(k, "victim", dtype=object))
        if campaign["kind"] != "mass_report" or rng.random() < 0.5:
            suspect = account_index[campaign["accounts"][int(rng.integers(0, len(campaign["accounts"])))]]
            subject.append(np.array([suspect]))
            channel.append(np.array([rng.choice(["internal", "partner", "regulator"], p=[0.6, 0.3, 0.1])], dtype=object))
            policy.append(np.array([_SUSPECT_POLICY[campaign["kind"]]], dtype=object))
            priority.append(np.array([rng.choice(["urgent", "high"])], dtype=object))
            opened.append(sample_times(rng, 1, start=START + 7 * DAY))
            summary.append(np.array([_SUSPECT_SUMMARIES[campaign["kind"]]], dtype=object))
            kind.append(np.array(["suspect"], dtype=object))
    subject_all = np.concatenate(subject)
    opened_all = np.concatenate(opened)
    priority_all = np.concatenate(priority)
    kind_all = np.concatenate(kind)
    tickets = _ticket_ids(rng, len(subject_all))
    due = opened_all + np.array([_SLA_HOURS[p] * 3600 for p in priority_all.tolist()], dtype=np.int64)
    world.escalations.add(
        ticket_id=tickets, channel=np.concatenate(channel), subject=subject_all, policy=np.concatenate(policy),
        priority=priority_all, opened_at=opened_all, status=_status(rng, opened_all), due_at=due,
        summary=np.concatenate(summary),
    )
    return {
        "victim_tickets": sorted(tickets[kind_all == "victim"].tolist()),
        "suspect_tickets": sorted(tickets[kind_all == "suspect"].tolist()),
    }
