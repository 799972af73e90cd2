"""Planted abuse: the coordinated campaigns the kit must find.

Four kinds, each returning its ground-truth entry:

* :func:`amplification` - a ring shares the same videos within seconds of each
  other, on many distinct videos (near-clique, most of their activity);
* :func:`mass_report` - a brigade reports the same victim accounts for one
  policy within minutes, in one or more waves;
* :func:`farm` - accounts created in a burst with templated usernames, logging
  in from a handful of shared devices and datacenter IPs;
* :func:`copy_paste` - near-identical comment text with small variations on
  many videos, deliberately NOT synchronised in time.

``adaptive=True`` gives the evasive variant of each: aged accounts with
ordinary names, coordination spread over minutes, residential-proxy logins
(a fresh IP per login, devices rarely shared) and obfuscated text.

Examples
--------
>>> from tsinvest.synthetic.world import World
>>> from tsinvest.synthetic.organic import build_population
>>> world = World(seed=0)
>>> organic = build_population(world, np.random.default_rng(0), n_accounts=200, n_posts=100)
>>> entry = amplification(world, np.random.default_rng(1), organic, number=1)
>>> entry["id"], entry["kind"], 8 <= len(entry["accounts"]) <= 30
('amplification-01', 'amplification', True)
"""

from __future__ import annotations

import numpy as np

from tsinvest.synthetic.hostile import obfuscate
from tsinvest.synthetic.organic import (
    USER_AGENTS,
    Organic,
    add_personal_logins,
    aged_created_at,
    display_names,
    organic_usernames,
    post_captions,
    sprinkle_activity,
    templated_usernames,
)
from tsinvest.synthetic.world import DAY, END, START, World, ip_addresses, iso, sample_times

__all__ = ["amplification", "mass_report", "farm", "copy_paste", "SPAM_TEMPLATES", "spam_variant"]


def _ids(world: World, accounts: np.ndarray) -> list[str]:
    return sorted(world.account_ids[accounts].tolist())


def _campaign_accounts(world: World, rng: np.random.Generator, n: int, *, adaptive: bool,
                       recent_days: tuple[int, int] = (20, 200), templated_share: float = 0.0) -> np.ndarray:
    """New accounts for a campaign: aged and ordinary-looking when adaptive."""
    if adaptive:
        created = aged_created_at(rng, n, years=2.0)
        names = organic_usernames(rng, n)
    else:
        created = START - rng.integers(recent_days[0] * DAY, recent_days[1] * DAY, n)
        names = organic_usernames(rng, n)
        templated = rng.random(n) < templated_share
        names[templated] = templated_usernames(rng, int(templated.sum()), style="user")
    followers = rng.integers(0, 400 if adaptive else 60, n)
    return world.add_accounts(
        created_at=created, usernames=names, display_names=display_names(rng, n),
        countries=rng.choice(np.array(["US", "BR", "ID", "IN", "PH", "NG", "VN"], dtype=object), n),
        followers=followers,
    )


def _posts(world: World, rng: np.random.Generator, creator: int, n: int, *, hashtag: str | None = None,
           latest: int = END - 6 * 3600) -> tuple[np.ndarray, np.ndarray]:
    """``n`` in-window videos posted by one creator: (content indices, posted_at)."""
    posted = np.sort(sample_times(rng, n, start=max(START, int(world.account_created[creator])), end=latest))
    content = world.add_content(np.full(n, creator), posted)
    world.add_events(np.full(n, creator), "post", world.content_ids[content], posted,
                     text=post_captions(rng, n, extra_hashtag=hashtag))
    return content, posted


def amplification(world: World, rng: np.random.Generator, organic: Organic, *, number: int,
                  adaptive: bool = False) -> dict:
    """An amplification ring boosting one beneficiary's videos.

    Members share each video within seconds (``adaptive``: within 2-10 minutes)
    of each other; each member joins about 85% of the bursts (near-clique).
    """
    size = int(rng.integers(8, 31))
    members = _campaign_accounts(world, rng, size, adaptive=adaptive, templated_share=0.3)
    beneficiary = _campaign_accounts(world, rng, 1, adaptive=True)[0]
    n_targets = int(rng.integers(15, 36))
    tag = f"#{rng.choice(['glow', 'drip', 'hype', 'promo', 'deal'])}{int(rng.integers(100, 999))}"
    content, posted = _posts(world, rng, beneficiary, n_targets, hashtag=tag)
    burst_start = posted + rng.integers(120, 3 * 3600, n_targets)
    joins = rng.random((n_targets, size)) < 0.85
    joins[np.arange(n_targets), rng.integers(0, size, n_targets)] = True
    joins[np.arange(n_targets), rng.integers(0, size, n_targets)] = True
    target_index, member_index = np.nonzero(joins)
    if adaptive:
        spread = rng.uniform(120, 600, n_targets)
        offsets = rng.uniform(0, 1, len(target_index)) * spread[target_index]
    else:
        offsets = np.minimum(rng.gamma(2.0, 4.0, len(target_index)), 45)
    ts = np.minimum(burst_start[target_index] + offsets.astype(np.int64), END - 1)
    who = members[member_index]
    targets = world.content_ids[content[target_index]]
    world.add_events(who, "share", targets, ts)
    liked = rng.random(len(who)) < 0.5
    like_ts = np.minimum(ts[liked] + rng.integers(1, 20 if not adaptive else 240, int(liked.sum())), END - 1)
    world.add_events(who[liked], "like", targets[liked], like_ts)
    sprinkle_activity(world, rng, organic, members, low=2, high=6)
    add_personal_logins(world, rng, members, size * int(rng.integers(3, 7)), proxy=adaptive)
    add_personal_logins(world, rng, np.array([beneficiary]), int(rng.integers(3, 8)))
    return {
        "id": f"amplification-{number:02d}",
        "kind": "amplification",
        "accounts": _ids(world, members),
        "targets": sorted(world.content_ids[content].tolist()),
        "adaptive": adaptive,
        "beneficiary": str(world.account_ids[beneficiary]),
        "hashtag": tag,
    }


_BRIGADE_POLICIES = np.array(["harassment", "hate_speech", "nudity", "spam", "violent_extremism"], dtype=object)


def mass_report(world: World, rng: np.random.Generator, organic: Organic, *, number: int,
                adaptive: bool = False) -> dict:
    """A mass-report brigade: many reporters hit the same victims within minutes."""
    size = int(rng.integers(10, 31))
    reporters = _campaign_accounts(world, rng, size, adaptive=adaptive)
    victims = organic.take(rng, int(rng.integers(1, 4)), weights=organic.followers + 1.0)
    policy = str(rng.choice(_BRIGADE_POLICIES))
    n_waves = int(rng.integers(1, 4))
    wave_starts = np.sort(sample_times(rng, n_waves, start=START + 2 * DAY, end=END - 3 * 3600))
    window = rng.uniform(1200, 3600, n_waves) if adaptive else rng.uniform(120, 480, n_waves)
    rows = []
    for wave in range(n_waves):
        hits = rng.random((size, len(victims))) < 0.9
        r, v = np.nonzero(hits)
        ts = wave_starts[wave] + (rng.random(len(r)) * window[wave]).astype(np.int64)
        rows.append((reporters[r], victims[v], ts))
    who = np.concatenate([row[0] for row in rows])
    target = np.concatenate([row[1] for row in rows])
    ts = np.concatenate([row[2] for row in rows])
    # Point at one of the victim's videos when they have one posted before the report.
    content_ids = np.full(len(who), None, dtype=object)
    creator_world = organic.accounts[organic.content_creator]
    for victim in victims.tolist():
        videos = np.flatnonzero(creator_world == victim)
        rows_of_victim = np.flatnonzero(target == victim)
        if len(videos) == 0:
            continue
        pick = videos[rng.integers(0, len(videos), len(rows_of_victim))]
        ok = (organic.content_posted[pick] <= ts[rows_of_victim]) & (rng.random(len(rows_of_victim)) < 0.7)
        content_ids[rows_of_victim[ok]] = world.content_ids[organic.content[pick[ok]]]
    world.add_reports(who, target, policy, ts, content_ids)
    sprinkle_activity(world, rng, organic, reporters, low=2, high=8)
    add_personal_logins(world, rng, reporters, size * int(rng.integers(2, 5)), proxy=adaptive)
    return {
        "id": f"mass_report-{number:02d}",
        "kind": "mass_report",
        # Only reporters that filed at least one report: with one wave and one victim a member
        # skips the brigade one time in ten, and an account that did nothing is no evidence.
        "accounts": _ids(world, reporters[np.isin(reporters, who)]),
        "targets": _ids(world, victims),
        "adaptive": adaptive,
        "policy": policy,
        "waves": iso(wave_starts).tolist(),
    }


_FARM_AGENT = "Dalvik/2.1.0 (Linux; U; Android 9; SM-G960F Build/PPR1.180610.011)"


def farm(world: World, rng: np.random.Generator, organic: Organic, *, number: int, adaptive: bool = False) -> dict:
    """An account farm: burst-created, templated names, shared devices and IPs.

    The adaptive farm uses aged accounts with ordinary names, logs in through
    residential proxies (a fresh IP every login) and shares a device only
    rarely; what still links it is following the same customers.
    """
    size = int(rng.integers(8, 31))
    if adaptive:
        created = aged_created_at(rng, size, years=2.5)
        names = organic_usernames(rng, size)
    else:
        burst = int(START + rng.integers(-10, 14) * DAY + rng.integers(0, DAY))
        created = burst + np.sort(rng.integers(0, int(rng.uniform(1800, 7200)), size))
        names = templated_usernames(rng, size, style="user" if rng.random() < 0.5 else "name")
    display = np.full(size, None, dtype=object) if not adaptive else display_names(rng, size)
    members = world.add_accounts(
        created_at=created, usernames=names, display_names=display,
        countries=np.full(size, str(rng.choice(["US", "VN", "BD", "RU", "ID"])), dtype=object),
        followers=rng.integers(0, 25, size),
    )
    logins_per = rng.integers(3, 11, size)
    who = np.repeat(members, logins_per)
    n = len(who)
    lo = np.maximum(world.account_created[who], START)
    ts = lo + (rng.random(n) * (END - lo)).astype(np.int64)
    if adaptive:
        shared_devices = world.new_devices(int(rng.integers(1, 3)))
        add_personal_logins(world, rng, members, n, proxy=True)
        # Rarely shared: a few members sometimes use one of one or two phones.
        sharers = rng.choice(members, size=max(2, size // 5), replace=False)
        k = len(sharers) * 2
        share_who = np.repeat(sharers, 2)
        share_lo = np.maximum(world.account_created[share_who], START)
        world.add_logins(
            share_who, share_lo + (rng.random(k) * (END - share_lo)).astype(np.int64),
            ip_addresses(rng, k, "residential"), rng.choice(shared_devices, k), rng.choice(USER_AGENTS, k),
        )
        targets = sorted(shared_devices.tolist())
    else:
        devices = world.new_devices(int(rng.integers(2, 5)))
        ips = ip_addresses(rng, int(rng.integers(1, 4)), "datacenter")
        # The first login happens right at sign-up, as farms do.
        first = np.r_[0, np.cumsum(logins_per)[:-1]]
        at_signup = created >= START
        ts[first[at_signup]] = created[at_signup]
        login_ips = rng.choice(ips, n)
        stray = rng.random(n) < 0.15
        login_ips[stray] = ip_addresses(rng, int(stray.sum()), "residential")
        world.add_logins(who, ts, login_ips, rng.choice(devices, n), np.full(n, _FARM_AGENT, dtype=object))
        targets = sorted(devices.tolist() + ips.tolist())
    # What farms are for: following and liking the same paying customers.
    customers = organic.accounts[rng.choice(len(organic.accounts), int(rng.integers(3, 7)), replace=False)]
    follow = rng.random((size, len(customers))) < 0.7
    f_member, f_customer = np.nonzero(follow)
    f_who = members[f_member]
    f_lo = np.maximum(world.account_created[f_who], START)
    f_ts = f_lo + (rng.random(len(f_who)) * (END - f_lo)).astype(np.int64)
    world.add_events(f_who, "follow", world.account_ids[customers[f_customer]], f_ts)
    sprinkle_activity(world, rng, organic, members, low=1, high=4)
    return {
        "id": f"farm-{number:02d}",
        "kind": "farm",
        "accounts": _ids(world, members),
        "targets": targets,
        "adaptive": adaptive,
        "customers": _ids(world, customers),
    }


SPAM_TEMPLATES = (
    "FREE coins giveaway!! claim yours before midnight at {url} only {n} left {emoji}",
    "I made ${n}00 in one day with this app no joke, check my bio and use code {code} {emoji}",
    "follow me and I follow back 100% promise lets grow together, dm me the code {code} {emoji}",
    "hot singles near you want to chat tonight, click the link in my profile {url} {emoji}",
    "crypto signal group is FREE this week only, join now at {url} and earn {n}x {emoji}",
    "get verified blue tick in 24 hours guaranteed, message me on telegram {code} {emoji}",
)
_EMOJI = ["🔥", "💰", "😍", "✅", "🚀", "💯", "👉", "🎁", ""]


def spam_variant(template: str, rng: np.random.Generator) -> str:
    """One near-identical rendering of a spam template (small random variations).

    Examples
    --------
    >>> spam_variant(SPAM_TEMPLATES[0], np.random.default_rng(0)).lower().startswith("free coins")
    True
    """
    slug = "".join(rng.choice(list("abcdefghjkmnpqrstuvwxyz23456789"), 5))
    text = template.format(
        url=f"{rng.choice(['bit.ly', 'tinyurl.com', 'cutt.ly'])}/{slug}",
        n=int(rng.integers(2, 99)),
        code=f"{rng.choice(['WIN', 'GO', 'VIP', 'FREE'])}{int(rng.integers(10, 99))}",
        emoji=rng.choice(_EMOJI),
    ).strip()
    if rng.random() < 0.3:
        words = text.split(" ")
        i = int(rng.integers(0, len(words)))
        words[i] = words[i].upper()
        text = " ".join(words)
    if rng.random() < 0.2:
        text += "!!"
    if rng.random() < 0.15:
        text = text.replace(" ", "  ", 1)
    return text


def copy_paste(world: World, rng: np.random.Generator, organic: Organic, *, number: int,
               adaptive: bool = False) -> dict:
    """Copy-paste comment spam: near-identical text on many videos, at unrelated times."""
    size = int(rng.integers(8, 21))
    members = _campaign_accounts(world, rng, size, adaptive=adaptive, recent_days=(10, 120), templated_share=0.4)
    template = SPAM_TEMPLATES[(number - 1) % len(SPAM_TEMPLATES)]
    per_member = rng.integers(6, 21, size)
    who = np.repeat(members, per_member)
    n = len(who)
    # Independent times per comment: copy-paste spam is NOT synchronised.
    lo = np.maximum(world.account_created[who], START)
    ts = sample_times(rng, n)
    early = ts < lo
    ts[early] = lo[early] + (rng.random(int(early.sum())) * (END - lo[early])).astype(np.int64)
    content = organic.popular_content(rng, n, before=START)
    texts = [spam_variant(template, rng) for _ in range(n)]
    if adaptive:
        texts = [obfuscate(text, rng, strength=0.2) for text in texts]
    world.add_events(who, "comment", world.content_ids[content], ts, text=np.array(texts, dtype=object))
    sprinkle_activity(world, rng, organic, members, low=1, high=5)
    add_personal_logins(world, rng, members, size * int(rng.integers(2, 5)), proxy=adaptive)
    return {
        "id": f"copy_paste-{number:02d}",
        "kind": "copy_paste",
        "accounts": _ids(world, members),
        "targets": sorted(set(world.content_ids[content].tolist())),
        "adaptive": adaptive,
        "template": template,
    }
