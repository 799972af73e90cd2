"""Organic traps: innocent behaviour that looks like coordination at first glance.

A detector that flags these is wrong, and the tests of the detection code use
them as must-not-flag cases:

* :func:`viral_burst` - hundreds (thousands at larger scales) of unrelated
  accounts share one video within minutes; each acts on that one video only;
* :func:`fan_community` - fans reshare one creator's many posts, but over hours;
* :func:`carrier_nat` - one mobile-carrier IP behind hundreds of accounts;
* :func:`common_comments` - "nice", "lol", "🔥" from very many unrelated accounts;
* :func:`notification_fans` (adaptive samples only) - heavy users react within
  one or two minutes of each post of a creator they follow; each fan reacts to
  a random subset of posts, so they form a sparse web, not a clique.

Examples
--------
>>> from tsinvest.synthetic.world import World
>>> from tsinvest.synthetic.organic import build_population
>>> world = World(seed=0)
>>> organic = build_population(world, np.random.default_rng(0), n_accounts=400, n_posts=100)
>>> carrier_nat(world, np.random.default_rng(1), organic, number=1, size=250)["kind"]
'carrier_nat'
"""

from __future__ import annotations

import numpy as np

from tsinvest.synthetic.organic import (
    COMMON_COMMENTS,
    Organic,
    add_personal_logins,
    aged_created_at,
    display_names,
    organic_usernames,
    post_captions,
)
from tsinvest.synthetic.world import DAY, END, START, World, ip_addresses, iso, sample_times

__all__ = ["viral_burst", "fan_community", "carrier_nat", "common_comments", "notification_fans"]


def _ids(world: World, accounts: np.ndarray) -> list[str]:
    return sorted(set(world.account_ids[accounts].tolist()))


def _creator_posts(
    world: World, rng: np.random.Generator, creator: int, n: int, *, latest: int = END - DAY
) -> tuple[np.ndarray, np.ndarray]:
    posted = np.sort(sample_times(rng, n, start=START, end=latest))
    content = world.add_content(np.full(n, creator), posted)
    world.add_events(np.full(n, creator), "post", world.content_ids[content], posted, text=post_captions(rng, n))
    return content, posted


def viral_burst(world: World, rng: np.random.Generator, organic: Organic, *, number: int, size: int) -> dict:
    """Unrelated accounts pile onto one viral video within minutes."""
    creator = organic.take(rng, 1, weights=organic.followers + 1.0)[0]
    content, posted = _creator_posts(world, rng, creator, 1, latest=END - 2 * DAY)
    video = world.content_ids[content[0]]
    created = aged_created_at(rng, size)
    fans = world.add_accounts(
        created_at=created, usernames=organic_usernames(rng, size), display_names=display_names(rng, size),
        countries=rng.choice(np.array(["US", "GB", "BR", "MX", "DE", "FR", "PH"], dtype=object), size),
        followers=rng.integers(0, 300, size),
    )
    burst = int(posted[0] + rng.integers(600, 3 * 3600))
    ts = burst + np.minimum(rng.exponential(150.0, size), 900).astype(np.int64)
    world.add_events(fans, "share", np.full(size, video, dtype=object), ts)
    liked = rng.random(size) < 0.4
    world.add_events(fans[liked], "like", np.full(int(liked.sum()), video, dtype=object),
                     ts[liked] + rng.integers(1, 90, int(liked.sum())))
    add_personal_logins(world, rng, fans, size)
    return {
        "id": f"viral_burst-{number:02d}",
        "kind": "viral_burst",
        "accounts": _ids(world, fans),
        "targets": [str(video)],
        "start": iso(np.array([burst]))[0],
    }


def fan_community(world: World, rng: np.random.Generator, organic: Organic, *, number: int) -> dict:
    """Fans reshare many posts of one creator, spread over hours after each post."""
    creator = organic.take(rng, 1, weights=organic.followers + 1.0)[0]
    n_posts = int(rng.integers(15, 26))
    content, posted = _creator_posts(world, rng, creator, n_posts)
    fans = organic.take(rng, int(rng.integers(40, 81)), weights=organic.activity)
    joins = rng.random((n_posts, len(fans))) < 0.6
    post_index, fan_index = np.nonzero(joins)
    delay = np.clip(rng.lognormal(np.log(2.5 * 3600), 0.9, len(post_index)), 300, 2 * DAY)
    ts = np.minimum(posted[post_index] + delay.astype(np.int64), END - 1)
    world.add_events(fans[fan_index], "share", world.content_ids[content[post_index]], ts)
    return {
        "id": f"fan_community-{number:02d}",
        "kind": "fan_community",
        "accounts": _ids(world, fans),
        "targets": sorted(world.content_ids[content].tolist()),
        "creator": str(world.account_ids[creator]),
    }


def carrier_nat(world: World, rng: np.random.Generator, organic: Organic, *, number: int, size: int) -> dict:
    """Hundreds of ordinary accounts log in from one carrier-grade NAT address."""
    accounts = organic.take(rng, size)
    ip = str(ip_addresses(rng, 1, "mobile")[0])
    add_personal_logins(world, rng, accounts, size, fixed_ip=ip)
    # Everyone appears at least once, so the NAT really has ``size`` accounts.
    world.add_logins(
        accounts, sample_times(rng, size), np.full(size, ip, dtype=object),
        world.device_ids(accounts.astype(np.uint64) * np.uint64(4)),
        np.full(size, "Clipr/31.2 (Android 13; SM-A546B)", dtype=object),
    )
    return {"id": f"carrier_nat-{number:02d}", "kind": "carrier_nat", "accounts": _ids(world, accounts),
            "targets": [ip]}


def common_comments(world: World, rng: np.random.Generator, organic: Organic, *, number: int, size: int) -> dict:
    """Very many unrelated accounts post the same one-word comments."""
    accounts = organic.take(rng, size)
    per = rng.integers(1, 4, size)
    who = np.repeat(accounts, per)
    n = len(who)
    content = organic.popular_content(rng, n, before=START)
    world.add_events(who, "comment", world.content_ids[content], sample_times(rng, n),
                     text=rng.choice(COMMON_COMMENTS, n))
    return {
        "id": f"common_comments-{number:02d}",
        "kind": "common_comments",
        "accounts": _ids(world, accounts),
        "texts": COMMON_COMMENTS.tolist(),
    }


def notification_fans(world: World, rng: np.random.Generator, organic: Organic, *, number: int) -> dict:
    """Heavy users react within 1-2 minutes of a followed creator's posts (sparse web)."""
    creator = organic.take(rng, 1, weights=organic.followers + 1.0)[0]
    n_posts = 25
    content, posted = _creator_posts(world, rng, creator, n_posts, latest=END - 3600)
    fans = organic.take(rng, 60, weights=organic.activity**2)
    joins = rng.random((n_posts, len(fans))) < 0.25
    post_index, fan_index = np.nonzero(joins)
    ts = posted[post_index] + rng.integers(20, 121, len(post_index))
    world.add_events(fans[fan_index], "share", world.content_ids[content[post_index]], ts)
    liked = rng.random(len(ts)) < 0.5
    world.add_events(fans[fan_index][liked], "like", world.content_ids[content[post_index]][liked],
                     ts[liked] + rng.integers(1, 30, int(liked.sum())))
    return {
        "id": f"notification_fans-{number:02d}",
        "kind": "notification_fans",
        "accounts": _ids(world, fans),
        "targets": sorted(world.content_ids[content].tolist()),
        "creator": str(world.account_ids[creator]),
    }
