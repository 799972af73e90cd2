"""Optional structures that make a sample look like real platform data.

Each switch adds one structure that real folders have and the default sample
does not. All are off by default, so ``tsinvest sample data_samples --seed 7
--scale small`` stays byte-identical. Traps (organic, must not be flagged):

* ``viral`` - several videos shared by thousands of organic accounts within minutes;
* ``heavy_users`` - a few accounts with 10,000+ events each;
* ``notification_fans`` - heavy users who share a big creator's new posts within ~90 s;
* ``carrier_nat`` - one carrier-NAT IP behind hundreds of accounts, among them
  new accounts and accounts banned before those were created;
* ``common_comments`` - "nice", "lol", emoji posted by thousands of accounts.

Adversaries (planted, must be found):

* ``blend_in_rings`` - amplification rings on 5-20 targets each whose members
  also like popular videos in about the volume of their coordinated shares;
* ``substituted_spam`` - copy-paste spam where each message has word
  substitutions, one Cyrillic or digit homoglyph and one zero-width character;
* ``ban_evasion`` - new accounts tied to enforced (banned/suspended) accounts
  through shared devices, IPs, username templates and follows of the same
  targets; the enforcements are added to ``enforcements``.

Adversary parameters (group sizes, timing spread, blend-in share, obfuscation
rate, aged or new accounts, target popularity) are drawn per group from wide
ranges and written into each truth entry's ``parameters``.

Examples
--------
>>> sorted(TRAP_SWITCHES) == sorted(set(SWITCHES) - set(ADVERSARY_SWITCHES))
True
>>> resolve_switches("viral,ban_evasion")
('viral', 'ban_evasion')
>>> len(resolve_switches("all")) == len(SWITCHES)
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from types import MappingProxyType

import numpy as np

from tsinvest.exceptions import ParameterError
from tsinvest.synthetic.hostile import HOMOGLYPHS, ZERO_WIDTH
from tsinvest.synthetic.organic import (
    COMMON_COMMENTS,
    Organic,
    add_personal_logins,
    aged_created_at,
    comment_texts,
    display_names,
    organic_usernames,
    post_captions,
    sprinkle_activity,
)
from tsinvest.synthetic.world import (
    ACTION_CODE,
    DAY,
    END,
    POLICIES,
    START,
    World,
    ip_addresses,
    iso,
    sample_times,
    weighted_choice,
)

__all__ = [
    "SWITCHES",
    "TRAP_SWITCHES",
    "ADVERSARY_SWITCHES",
    "resolve_switches",
    "add_switched",
    "viral_videos",
    "heavy_users",
    "notification_fans",
    "carrier_nat",
    "common_comments",
    "blend_in_ring",
    "substituted_spam",
    "ban_evasion",
    "substitute",
]

#: Every switch and what it adds, in the order they are applied.
SWITCHES = MappingProxyType({
    "viral": "several videos shared by thousands of organic accounts within minutes",
    "heavy_users": "a few organic accounts with 10,000+ events each",
    "notification_fans": "heavy users sharing a big creator's new posts within ~90 s",
    "carrier_nat": "a carrier-NAT IP with hundreds of accounts, new ones and banned ones among them",
    "common_comments": "'nice', 'lol', emoji posted by thousands of accounts",
    "blend_in_rings": "amplification rings with blend-in likes of popular videos, 5-20 targets each",
    "substituted_spam": "copy-paste spam with word substitutions, a homoglyph and a zero-width character per message",
    "ban_evasion": "new accounts tied to enforced accounts through devices, IPs, username templates, follows",
})
TRAP_SWITCHES = ("viral", "heavy_users", "notification_fans", "carrier_nat", "common_comments")
ADVERSARY_SWITCHES = ("blend_in_rings", "substituted_spam", "ban_evasion")


def resolve_switches(switches: str | Iterable[str] | None) -> tuple[str, ...]:
    """Validate switch names (a comma-separated string, ``"all"``, ``"traps"`` or names).

    Returns them in application order (the order of :data:`SWITCHES`).

    Examples
    --------
    >>> resolve_switches(None), resolve_switches("traps")[:2]
    ((), ('viral', 'heavy_users'))
    """
    if switches is None:
        return ()
    names = switches.split(",") if isinstance(switches, str) else list(switches)
    chosen: set[str] = set()
    for name in (str(n).strip() for n in names):
        if not name:
            continue
        if name == "all":
            chosen.update(SWITCHES)
        elif name == "traps":
            chosen.update(TRAP_SWITCHES)
        elif name == "adversaries":
            chosen.update(ADVERSARY_SWITCHES)
        elif name in SWITCHES:
            chosen.add(name)
        else:
            raise ParameterError(
                f"switches: unknown switch; choose from {', '.join(SWITCHES)}, or all / traps / adversaries"
            )
    return tuple(name for name in SWITCHES if name in chosen)


def _ids(world: World, accounts: np.ndarray) -> list[str]:
    return sorted(set(world.account_ids[np.asarray(accounts, dtype=np.int64)].tolist()))


def _loguniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def _free_organic(
    organic: Organic, rng: np.random.Generator, n: int, *, weights: np.ndarray | None = None
) -> np.ndarray:
    """``n`` distinct organic accounts not reserved by a campaign or trap, WITHOUT reserving them.

    Viral sharers and common commenters are ordinary accounts that also do
    everything else; they may overlap with other traps, as in real data.
    """
    free = np.flatnonzero(~organic.reserved)
    n = min(int(n), len(free))
    p = None if weights is None else weights[free] / weights[free].sum()
    return organic.accounts[rng.choice(free, size=n, replace=False, p=p)]


def _new_posts(
    world: World, rng: np.random.Generator, creator: int, n: int, *, start: int, end: int
) -> tuple[np.ndarray, np.ndarray]:
    posted = np.sort(sample_times(rng, n, start=start, end=end))
    content = world.add_content(np.full(n, creator), posted)
    world.add_events(np.full(n, creator), "post", world.content_ids[content], posted, text=post_captions(rng, n))
    return content, posted


def _new_accounts(world: World, rng: np.random.Generator, n: int, *, aged_share: float,
                  newest: int = START, names: np.ndarray | None = None) -> np.ndarray:
    """Adversary accounts: a share aged (years old), the rest created in the weeks before ``newest``."""
    aged = rng.random(n) < aged_share
    created = newest - rng.integers(DAY, 60 * DAY, n)
    created[aged] = aged_created_at(rng, int(aged.sum()), years=2.0)
    return world.add_accounts(
        created_at=created, usernames=organic_usernames(rng, n) if names is None else names,
        display_names=display_names(rng, n),
        countries=rng.choice(np.array(["US", "BR", "ID", "IN", "PH", "MX", "TR", "DE"], dtype=object), n),
        followers=rng.integers(0, 500, n),
    )


def _engage_popular(world: World, rng: np.random.Generator, organic: Organic, who: np.ndarray, *,
                    share_p: float = 0.15, comment_p: float = 0.1, start: int | None = None) -> None:
    """Likes, shares and comments of popular videos by ``who`` (one event each), at ordinary times."""
    n = len(who)
    if n == 0:
        return
    ts = sample_times(rng, n)
    if start is not None:
        lo = np.maximum(np.asarray(start), START)
        early = ts < lo
        ts[early] = lo[early] + (rng.random(int(early.sum())) * (END - lo[early])).astype(np.int64)
    pick = weighted_choice(rng, n, organic.popularity)
    too_early = ts < organic.content_posted[pick]
    old = np.flatnonzero(organic.content_posted < START)
    pick[too_early] = old[weighted_choice(rng, int(too_early.sum()), organic.popularity[old])]
    draw = rng.random(n)
    actions = np.where(draw < share_p, ACTION_CODE["share"],
                       np.where(draw < share_p + comment_p, ACTION_CODE["comment"], ACTION_CODE["like"]))
    text = np.full(n, None, dtype=object)
    comment = actions == ACTION_CODE["comment"]
    text[comment] = comment_texts(rng, int(comment.sum()))
    world.add_events(who, actions, world.content_ids[organic.content[pick]], ts, text=text)


# -- traps -------------------------------------------------------------------

def viral_videos(world: World, rng: np.random.Generator, organic: Organic, *, number: int, size: int) -> dict:
    """One video shared by ``size`` organic accounts within minutes (plus likes)."""
    creator = organic.take(rng, 1, weights=organic.followers + 1.0)[0]
    content, posted = _new_posts(world, rng, creator, 1, start=START, end=END - 2 * DAY)
    video = world.content_ids[content[0]]
    sharers = _free_organic(organic, rng, size)
    mean_delay = _loguniform(rng, 30, 300)
    burst = int(posted[0] + rng.integers(300, 2 * 3600))
    ts = burst + np.minimum(rng.exponential(mean_delay, len(sharers)), 1800).astype(np.int64)
    world.add_events(sharers, "share", np.full(len(sharers), video, dtype=object), ts)
    liked = rng.random(len(sharers)) < 0.5
    world.add_events(sharers[liked], "like", np.full(int(liked.sum()), video, dtype=object),
                     ts[liked] + rng.integers(1, 60, int(liked.sum())))
    return {
        "id": f"viral_videos-{number:02d}", "kind": "viral_videos", "accounts": _ids(world, sharers),
        "targets": [str(video)], "start": iso(np.array([burst]))[0],
        "parameters": {"sharers": int(len(sharers)), "mean_delay_seconds": round(mean_delay, 1)},
    }


def heavy_users(world: World, rng: np.random.Generator, organic: Organic, *, number: int, n_users: int) -> dict:
    """Organic accounts with 10,000-20,000 events each (likes, shares, comments of popular videos)."""
    users = organic.take(rng, n_users, weights=organic.activity)
    per_user = rng.integers(10_000, 20_001, len(users))
    who = np.repeat(users, per_user)
    _engage_popular(world, rng, organic, who, share_p=0.25, comment_p=0.1)
    return {
        "id": f"heavy_users-{number:02d}", "kind": "heavy_users", "accounts": _ids(world, users),
        "parameters": {"events_per_user": [int(per_user.min()), int(per_user.max())]},
    }


def notification_fans(world: World, rng: np.random.Generator, organic: Organic, *, number: int,
                      n_fans: int = 100) -> dict:
    """Heavy users who share a big creator's new posts within ~90 s (each fan a random subset of posts)."""
    creator = organic.take(rng, 1, weights=organic.followers + 1.0)[0]
    n_posts = int(rng.integers(15, 41))
    content, posted = _new_posts(world, rng, creator, n_posts, start=START, end=END - 3600)
    fans = organic.take(rng, n_fans, weights=organic.activity**2)
    join = float(rng.uniform(0.15, 0.5))
    median_delay = float(rng.uniform(25, 60))
    joins = rng.random((n_posts, len(fans))) < join
    post_index, fan_index = np.nonzero(joins)
    delay = np.clip(rng.lognormal(math.log(median_delay), 0.5, len(post_index)), 5, 150).astype(np.int64)
    ts = posted[post_index] + delay
    world.add_events(fans[fan_index], "share", world.content_ids[content[post_index]], ts)
    liked = rng.random(len(ts)) < 0.5
    world.add_events(fans[fan_index][liked], "like", world.content_ids[content[post_index]][liked],
                     ts[liked] + rng.integers(1, 30, int(liked.sum())))
    # Heavy users: hundreds of ordinary actions each besides the creator's posts.
    _engage_popular(world, rng, organic, np.repeat(fans, rng.integers(100, 600, len(fans))))
    return {
        "id": f"notification_fans-{number:02d}", "kind": "notification_fans", "accounts": _ids(world, fans),
        "targets": sorted(world.content_ids[content].tolist()), "creator": str(world.account_ids[creator]),
        "parameters": {"posts": n_posts, "join_rate": round(join, 3), "median_delay_seconds": round(median_delay, 1)},
    }


def carrier_nat(world: World, rng: np.random.Generator, organic: Organic, *, number: int, size: int) -> dict:
    """A carrier-NAT IP behind ``size`` accounts; some are banned, some created after the bans.

    The ban-evasion trap: new accounts behind the same address as enforced
    accounts, related by nothing but the carrier.
    """
    accounts = organic.take(rng, size)
    ip = str(ip_addresses(rng, 1, "mobile")[0])
    n_banned = int(rng.integers(2, 6))
    banned = accounts[:n_banned]
    ban_ts = START + rng.integers(DAY, 10 * DAY, n_banned)
    world.add_enforcements(banned, "ban", rng.choice(np.array(POLICIES, dtype=object), n_banned), ban_ts)
    n_new = int(rng.integers(30, 81))
    new = world.add_accounts(
        created_at=START + rng.integers(11 * DAY, 20 * DAY, n_new), usernames=organic_usernames(rng, n_new),
        display_names=display_names(rng, n_new), followers=rng.integers(0, 50, n_new),
    )
    everyone = np.concatenate([accounts, new])
    add_personal_logins(world, rng, everyone, len(everyone), fixed_ip=ip)
    # Everyone appears at least once, so the NAT really has all these accounts.
    lo = np.maximum(world.account_created[everyone], START)
    world.add_logins(everyone, lo + (rng.random(len(everyone)) * (END - lo)).astype(np.int64),
                     np.full(len(everyone), ip, dtype=object),
                     world.device_ids(everyone.astype(np.uint64) * np.uint64(4)),
                     np.full(len(everyone), "Clipr/31.2 (Android 13; SM-A546B)", dtype=object))
    add_personal_logins(world, rng, new, 2 * n_new)
    sprinkle_activity(world, rng, organic, new, low=3, high=12)
    return {
        "id": f"carrier_nat-{number:02d}", "kind": "carrier_nat", "accounts": _ids(world, everyone), "targets": [ip],
        "parameters": {"accounts": int(len(everyone)), "banned": n_banned, "new_after_bans": n_new},
    }


_SHORT_COMMENTS = np.concatenate(
    [COMMON_COMMENTS, np.array(["nice!", "lol", "🔥🔥🔥", "😍", "👏", "yes", "love it", "W"], dtype=object)]
)


def common_comments(world: World, rng: np.random.Generator, organic: Organic, *, number: int, size: int) -> dict:
    """Thousands of organic accounts post the same very short comments, often on the same videos."""
    accounts = _free_organic(organic, rng, size)
    who = np.repeat(accounts, rng.integers(1, 5, len(accounts)))
    n = len(who)
    # Short comments pile onto popular videos: many of them on the same few.
    content = organic.popular_content(rng, n, before=START)
    weights = 1.0 / np.arange(1, len(_SHORT_COMMENTS) + 1)
    text = _SHORT_COMMENTS[weighted_choice(rng, n, weights)]
    world.add_events(who, "comment", world.content_ids[content], sample_times(rng, n), text=text)
    return {
        "id": f"common_comments-{number:02d}", "kind": "common_comments", "accounts": _ids(world, accounts),
        "texts": sorted(set(_SHORT_COMMENTS.tolist())),
    }


# -- adversaries ---------------------------------------------------------------

def blend_in_ring(world: World, rng: np.random.Generator, organic: Organic, *, number: int,
                  adaptive: bool = False) -> dict:
    """An amplification ring on 5-20 targets whose members blend in with ordinary likes.

    Drawn per ring: size 6-40, targets 5-20, join rate 0.6-0.95, timing
    spread 5 s-5 min (plain) or 1-10 min (adaptive), blend-in volume 0.5-2x
    the coordinated volume, share of aged accounts, and whether the targets
    are the beneficiary's new videos or already popular ones.
    """
    size = int(rng.integers(6, 41))
    n_targets = int(rng.integers(5, 21))
    join = float(rng.uniform(0.6, 0.95))
    spread = _loguniform(rng, 60, 600) if adaptive else _loguniform(rng, 5, 300)
    blend = float(rng.uniform(0.5, 2.0))
    aged_share = float(rng.uniform(0.5, 1.0)) if adaptive else float(rng.uniform(0.0, 0.7))
    popular_targets = bool(rng.random() < 0.4)
    members = _new_accounts(world, rng, size, aged_share=aged_share)
    if popular_targets:
        targets = np.unique(organic.popular_content(rng, 4 * n_targets, before=START))[:n_targets]
        n_targets = len(targets)
        burst = sample_times(rng, n_targets, start=START + DAY, end=END - DAY)
        target_ids = world.content_ids[targets]
    else:
        beneficiary = _new_accounts(world, rng, 1, aged_share=1.0)[0]
        content, posted = _new_posts(world, rng, beneficiary, n_targets, start=START, end=END - DAY)
        burst = posted + rng.integers(120, 4 * 3600, n_targets)
        target_ids = world.content_ids[content]
    joins = rng.random((n_targets, size)) < join
    joins[np.arange(n_targets), rng.integers(0, size, n_targets)] = True
    joins[np.arange(n_targets), rng.integers(0, size, n_targets)] = True
    t_index, m_index = np.nonzero(joins)
    offsets = np.minimum(rng.lognormal(math.log(spread / 3), 0.8, len(t_index)), spread)
    ts = np.minimum(burst[t_index] + offsets.astype(np.int64), END - 1)
    who = members[m_index]
    world.add_events(who, "share", target_ids[t_index], ts)
    liked = rng.random(len(who)) < 0.4
    world.add_events(who[liked], "like", target_ids[t_index][liked],
                     np.minimum(ts[liked] + rng.integers(1, 120, int(liked.sum())), END - 1))
    # Blend-in: ordinary engagement in about the volume of the coordinated shares.
    coordinated = np.bincount(m_index, minlength=size)
    blend_counts = rng.poisson(blend * np.maximum(coordinated, 1))
    blend_who = np.repeat(members, blend_counts)
    _engage_popular(world, rng, organic, blend_who, share_p=0.3, comment_p=0.05,
                    start=world.account_created[blend_who])
    add_personal_logins(world, rng, members, size * int(rng.integers(2, 6)), proxy=adaptive)
    return {
        "id": f"amplification-{number:02d}", "kind": "amplification", "accounts": _ids(world, members),
        "targets": sorted(target_ids.tolist()), "adaptive": adaptive, "blend_in": True,
        "parameters": {"size": size, "targets": n_targets, "join_rate": round(join, 3),
                       "spread_seconds": round(spread, 1), "blend_in_ratio": round(blend, 3),
                       "aged_share": round(aged_share, 3), "popular_targets": popular_targets},
    }


#: Word -> substitutes a spammer rotates between messages.
SUBSTITUTIONS = MappingProxyType({
    "free": ("gratis", "FREE", "no-cost"), "claim": ("grab", "get", "collect"), "now": ("today", "asap", "rn"),
    "money": ("cash", "$$$", "income"), "click": ("tap", "press", "open"), "link": ("url", "site", "page"),
    "win": ("score", "earn", "take"), "easy": ("simple", "quick", "fast"), "join": ("enter", "hop into", "come to"),
    "profile": ("bio", "page", "account"), "guaranteed": ("100%", "for sure", "promised"),
    "message": ("dm", "text", "ping"), "today": ("tonight", "this week", "now"),
})
_SPAM_BASES = (
    "claim your free money now, click the link in my profile and win big today {n}",
    "easy money guaranteed, join my group today and claim your free bonus, message me {n}",
    "win free followers now, click my profile link, easy and guaranteed, join today {n}",
    "free crypto today only, claim now through the link in profile, guaranteed money {n}",
    "message me now to win free gift cards, easy claim, link in my profile today {n}",
)
_DIGIT_GLYPHS = {"o": "0", "i": "1", "l": "1", "e": "3", "a": "4", "s": "5"}


def substitute(text: str, rng: np.random.Generator, *, substitutions: int = 2) -> str:
    """A spam message disguised: word substitutions, one homoglyph, one zero-width character.

    Examples
    --------
    >>> base = "claim your free money now, click the link"
    >>> out = substitute(base, np.random.default_rng(1))
    >>> out != base and any(z in out for z in ZERO_WIDTH)
    True
    """
    words = text.split(" ")
    swappable = [i for i, w in enumerate(words) if w.strip(",.").lower() in SUBSTITUTIONS]
    for i in rng.permutation(swappable)[:substitutions].tolist():
        core = words[i].strip(",.")
        options = SUBSTITUTIONS[core.lower()]
        words[i] = words[i].replace(core, options[int(rng.integers(0, len(options)))])
    text = " ".join(words)
    letters = [i for i, c in enumerate(text) if c in HOMOGLYPHS or c in _DIGIT_GLYPHS]
    if letters:
        i = letters[int(rng.integers(0, len(letters)))]
        glyphs = [g for g in (HOMOGLYPHS.get(text[i]), _DIGIT_GLYPHS.get(text[i])) if g]
        text = text[:i] + glyphs[int(rng.integers(0, len(glyphs)))] + text[i + 1:]
    j = int(rng.integers(1, len(text)))
    return text[:j] + ZERO_WIDTH[int(rng.integers(0, len(ZERO_WIDTH)))] + text[j:]


def substituted_spam(world: World, rng: np.random.Generator, organic: Organic, *, number: int,
                     adaptive: bool = False) -> dict:
    """Copy-paste spam whose messages differ by substitutions, a homoglyph and a zero-width character.

    Drawn per group: size 5-30, 3-20 messages per member, obfuscation rate
    (share of messages disguised; 0.3-0.8 plain, 0.8-1.0 adaptive), two or
    three substitutions per message, share of aged accounts.
    """
    size = int(rng.integers(5, 31))
    rate = float(rng.uniform(0.8, 1.0)) if adaptive else float(rng.uniform(0.3, 0.8))
    n_subs = int(rng.integers(2, 4)) if adaptive else 2
    aged_share = float(rng.uniform(0.3, 1.0)) if adaptive else float(rng.uniform(0.0, 0.5))
    members = _new_accounts(world, rng, size, aged_share=aged_share)
    base = _SPAM_BASES[int(rng.integers(0, len(_SPAM_BASES)))]
    who = np.repeat(members, rng.integers(3, 21, size))
    n = len(who)
    ts = sample_times(rng, n)
    lo = np.maximum(world.account_created[who], START)
    early = ts < lo
    ts[early] = lo[early] + (rng.random(int(early.sum())) * (END - lo[early])).astype(np.int64)
    content = organic.popular_content(rng, n, before=START)
    numbers = rng.integers(2, 99, n).tolist()
    disguised = (rng.random(n) < rate).tolist()
    texts = [substitute(base.format(n=k), rng, substitutions=n_subs) if d else base.format(n=k)
             for k, d in zip(numbers, disguised, strict=True)]
    world.add_events(who, "comment", world.content_ids[content], ts, text=np.array(texts, dtype=object))
    blend_who = np.repeat(members, rng.integers(2, 15, size))
    _engage_popular(world, rng, organic, blend_who, start=world.account_created[blend_who])
    add_personal_logins(world, rng, members, size * int(rng.integers(2, 5)), proxy=adaptive)
    return {
        "id": f"copy_paste-{number:02d}", "kind": "copy_paste", "accounts": _ids(world, members),
        "targets": sorted(set(world.content_ids[content].tolist())), "adaptive": adaptive, "template": base,
        "substituted": True,
        "parameters": {"size": size, "messages": n, "obfuscation_rate": round(rate, 3), "substitutions": n_subs,
                       "aged_share": round(aged_share, 3)},
    }


_STEMS = np.array([
    "nightfox", "sunnyvibe", "ghostrider", "mialuna", "skyline", "kingzed", "lunabae", "darkstar", "prettyme",
    "bossbabe", "cryptoking", "lilsnow", "redpanda", "bigdreams", "goldrush", "rosequeen", "wildcat", "silentwolf",
], dtype=object)


_PHONE_AGENT = "Clipr/31.4 (iPhone; iOS 17.3)"


def _banned_history(
    world: World, rng: np.random.Generator, banned: np.ndarray, ban_ts: np.ndarray, home_ips: np.ndarray,
    devices: np.ndarray, followed: np.ndarray,
) -> None:
    """Logins from the operator's phone and home, and its follows, before each enforcement."""
    n_follow = len(followed)
    for k in range(len(banned)):
        before = int(rng.integers(5, 20))
        ts = START + (rng.random(before) * (ban_ts[k] - START)).astype(np.int64)
        world.add_logins(np.full(before, banned[k]), ts, np.full(before, home_ips[k], dtype=object),
                         np.full(before, devices[k], dtype=object), np.full(before, _PHONE_AGENT, dtype=object))
        f_ts = START + (rng.random(n_follow) * (ban_ts[k] - START)).astype(np.int64)
        world.add_events(np.full(n_follow, banned[k]), "follow", world.account_ids[followed], f_ts)


def _evader_traces(
    world: World, rng: np.random.Generator, evaders: np.ndarray, created: np.ndarray, ties: np.ndarray,
    devices: np.ndarray, home_ips: np.ndarray, followed: np.ndarray, *, adaptive: bool,
) -> None:
    """Logins and follows of each new account; ``ties`` columns: device, IP, template, follows.

    ``devices`` and ``home_ips`` are those of each new account's operator account.
    """
    n_follow = len(followed)
    for i in range(len(evaders)):
        n_logins = int(rng.integers(4, 15))
        ts = created[i] + (rng.random(n_logins) * (END - created[i])).astype(np.int64)
        device = np.full(n_logins, devices[i] if ties[i, 0] else world.new_devices(1)[0], dtype=object)
        if ties[i, 1]:
            ip = np.full(n_logins, home_ips[i], dtype=object)
        else:
            ip = ip_addresses(rng, n_logins, "residential" if adaptive else "mobile")
        world.add_logins(np.full(n_logins, evaders[i]), ts, ip, device, np.full(n_logins, _PHONE_AGENT, dtype=object))
        if ties[i, 3]:
            keep = followed[rng.random(n_follow) < 0.8]
            f_ts = created[i] + (rng.random(len(keep)) * (END - created[i])).astype(np.int64)
            world.add_events(np.full(len(keep), evaders[i]), "follow", world.account_ids[keep], f_ts)


def ban_evasion(world: World, rng: np.random.Generator, organic: Organic, *, number: int,
                adaptive: bool = False) -> dict:
    """Banned accounts come back as new accounts tied to them.

    One operator: 1-3 enforced accounts (ban or suspend, a row in
    ``enforcements``) and 1-4 new accounts per enforced one, created hours to
    days after the enforcement. Each new account carries at least two of the
    four ties (shared device, shared IP, same username template, follows of
    the same targets), each with a tie rate drawn per group (0.6-0.95 plain,
    0.4-0.8 adaptive, where the IP is a residential proxy more often).
    """
    n_banned = int(rng.integers(1, 4))
    tie_rate = float(rng.uniform(0.4, 0.8)) if adaptive else float(rng.uniform(0.6, 0.95))
    stem = str(rng.choice(_STEMS))
    digits = int(rng.integers(2, 5))
    separator = str(rng.choice(["_", ".", ""]))

    def names(k: int) -> np.ndarray:
        values = rng.integers(10 ** (digits - 1), 10**digits, k)
        return np.array([f"{stem}{separator}{v}" for v in values.tolist()], dtype=object)

    banned = world.add_accounts(
        created_at=aged_created_at(rng, n_banned, years=1.0), usernames=names(n_banned),
        display_names=display_names(rng, n_banned), followers=rng.integers(0, 2000, n_banned),
        status=np.full(n_banned, "banned", dtype=object),
    )
    ban_ts = START + rng.integers(2 * DAY, 14 * DAY, n_banned)
    action = np.where(rng.random(n_banned) < 0.7, "ban", "suspend").astype(object)
    world.add_enforcements(banned, action, rng.choice(np.array(POLICIES, dtype=object), n_banned), ban_ts)
    # The operator's own phone and home address, and the accounts it follows.
    devices = world.new_devices(n_banned)
    home_ips = ip_addresses(rng, n_banned, "residential")
    n_follow = int(rng.integers(5, 16))
    followed = organic.accounts[rng.choice(len(organic.accounts), n_follow, replace=False)]
    _banned_history(world, rng, banned, ban_ts, home_ips, devices, followed)
    per_banned = rng.integers(1, 5, n_banned)
    owner = np.repeat(np.arange(n_banned), per_banned)
    n_new = len(owner)
    created = ban_ts[owner] + rng.integers(3600, 5 * DAY, n_new)
    ties = rng.random((n_new, 4)) < tie_rate
    # At least two ties each: an evader with one weak trace is no evidence.
    for row in np.flatnonzero(ties.sum(axis=1) < 2).tolist():
        ties[row, rng.choice(4, 2, replace=False)] = True
    template = ties[:, 2]
    usernames = organic_usernames(rng, n_new)
    usernames[template] = names(int(template.sum()))
    evaders = world.add_accounts(
        created_at=created, usernames=usernames, display_names=display_names(rng, n_new),
        followers=rng.integers(0, 30, n_new),
    )
    _evader_traces(world, rng, evaders, created, ties, devices[owner], home_ips[owner], followed, adaptive=adaptive)
    sprinkle_activity(world, rng, organic, evaders, low=2, high=10)
    tie_names = ("shared_device", "shared_ip", "username_template", "same_follows")
    return {
        "id": f"ban_evasion-{number:02d}", "kind": "ban_evasion", "accounts": _ids(world, evaders),
        "targets": _ids(world, banned), "enforced_accounts": _ids(world, banned), "adaptive": adaptive,
        "ties": {name: int(ties[:, j].sum()) for j, name in enumerate(tie_names)},
        "parameters": {"enforced": n_banned, "new_accounts": n_new, "tie_rate": round(tie_rate, 3),
                       "follow_targets": n_follow},
    }


# -- orchestration ---------------------------------------------------------------

def _groups(base: int, n_events: int) -> int:
    factor = n_events / 44_000
    return base + (int(2 * math.log2(factor)) if factor > 1 else 0)


def add_switched(world: World, organic: Organic, *, n_events: int, switches: tuple[str, ...],
                 adaptive: bool) -> dict:
    """Add the structures of ``switches``; return their truth entries.

    Returns
    -------
    dict
        ``campaigns`` and ``traps`` (lists of truth entries).
    """
    campaigns: list[dict] = []
    traps: list[dict] = []
    n_accounts = len(organic.accounts)
    if "viral" in switches:
        count = int(world.rng("switch-viral-count").integers(3, 6))
        size = int(min(np.clip(n_events / 130, 300, 20_000), 0.6 * n_accounts))
        for number in range(1, count + 1):
            traps.append(viral_videos(world, world.rng(f"switch-viral-{number}"), organic, number=number, size=size))
    if "heavy_users" in switches:
        traps.append(heavy_users(world, world.rng("switch-heavy"), organic, number=1,
                                 n_users=int(np.clip(n_events // 250_000, 2, 20))))
    if "notification_fans" in switches:
        for number in range(1, (1 if n_events < 200_000 else 2) + 1):
            traps.append(notification_fans(world, world.rng(f"switch-notify-{number}"), organic, number=10 + number))
    if "carrier_nat" in switches:
        rng = world.rng("switch-nat")
        size = int(min(int(rng.integers(300, 1500)), 0.15 * n_accounts))
        traps.append(carrier_nat(world, rng, organic, number=11, size=size))
    if "common_comments" in switches:
        size = int(min(np.clip(n_events / 25, 1000, 40_000), 0.7 * n_accounts))
        traps.append(common_comments(world, world.rng("switch-common"), organic, number=11, size=size))
    for switch, _kind, make in (("blend_in_rings", "amplification", blend_in_ring),
                               ("substituted_spam", "copy_paste", substituted_spam),
                               ("ban_evasion", "ban_evasion", ban_evasion)):
        if switch not in switches:
            continue
        count = int(world.rng(f"switch-{switch}-count").integers(3, 7)) + _groups(0, n_events)
        for number in range(1, count + 1):
            campaigns.append(make(world, world.rng(f"switch-{switch}-{number}"), organic, number=20 + number,
                                  adaptive=adaptive))
    return {"campaigns": campaigns, "traps": traps}
