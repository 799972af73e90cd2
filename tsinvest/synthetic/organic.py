"""Organic background: ordinary people using the platform.

Heavy-tailed activity (a few accounts do most of the work), heavy-tailed
content popularity, creators with follower counts, a daily and weekly rhythm,
accounts of many ages, ordinary usernames, logins from a few personal devices
and home or mobile IPs, ordinary reports across policies and the enforcements
that follow some of them. Every step is vectorised numpy so ``scale="large"``
(millions of events) stays fast.

Examples
--------
>>> from tsinvest.synthetic.world import World
>>> world = World(seed=0)
>>> organic = build_population(world, np.random.default_rng(0), n_accounts=50, n_posts=20)
>>> add_interactions(world, np.random.default_rng(1), organic, 200)
>>> world.events.size
220
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tsinvest.synthetic.hostile import inject_hostile
from tsinvest.synthetic.world import (
    ACTION_CODE,
    DAY,
    END,
    POLICIES,
    START,
    World,
    ip_addresses,
    sample_times,
    weighted_choice,
)

__all__ = [
    "Organic",
    "FIRST_NAMES",
    "COMMON_COMMENTS",
    "COUNTRIES",
    "USER_AGENTS",
    "organic_usernames",
    "templated_usernames",
    "display_names",
    "comment_texts",
    "post_captions",
    "aged_created_at",
    "build_population",
    "add_interactions",
    "add_reports",
    "add_logins",
    "add_enforcements",
    "add_personal_logins",
    "sprinkle_activity",
]

FIRST_NAMES = np.array(
    [
        "mia", "leo", "emma", "noah", "ava", "liam", "zoe", "lucas", "aria", "omar", "sofia", "mateo", "chloe", "ethan",
        "lina", "yusuf", "nora", "ali", "maya", "kai", "elena", "ivan", "hana", "jin", "priya", "arjun", "fatima",
        "diego", "camila", "joao", "ana", "tom", "lea", "finn", "nina", "ruby", "sam", "alex", "jade", "max", "amara",
        "kofi", "zara", "ravi", "mei", "yuki", "sara", "luca", "ines", "hugo", "nadia", "felix", "iris", "theo", "luna",
        "ezra", "amir", "rosa", "dani",
    ],
    dtype=object,
)
_WORDS = np.array(
    [
        "sunny", "dancer", "vibes", "daily", "official", "music", "cooks", "gamer", "travels", "art", "moon", "star",
        "pixel", "lofi", "skate", "bakes", "fitness", "memes", "studio", "nomad", "wave", "cosmic", "bloom", "coffee",
        "chill", "dreams", "fox", "wolf", "panda", "tiger", "ocean", "city", "glow", "retro", "neon", "velvet", "maple",
        "echo", "storm", "cloud",
    ],
    dtype=object,
)
_LAST = np.array(
    [
        "silva", "smith", "garcia", "kim", "nguyen", "muller", "rossi", "khan", "ali", "chen", "novak", "ivanova",
        "santos", "lopez", "patel", "sato", "dubois", "jansen", "kowalski", "yilmaz", "okafor", "mensah", "haddad",
        "park", "cohen",
    ],
    dtype=object,
)
_DECOR = np.array(["", "", "", "", " ✨", " 🌙", " 🎧", " 🇧🇷", " 💫", " 🌸", " ⚽", " 🎮"], dtype=object)

COUNTRIES = np.array(
    ["US", "BR", "ID", "MX", "GB", "DE", "FR", "PH", "TR", "IN", "JP", "KR", "NG", "EG", "ES", "IT", "PL", "CA",
     "AU", "VN", "TH", "SA", "PK", "AR", "CO"],
    dtype=object,
)
_COUNTRY_WEIGHTS = np.array([18, 10, 9, 7, 6, 5, 5, 5, 4, 4, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], dtype=float)

USER_AGENTS = np.array(
    [
        "Clipr/31.4 (iPhone; iOS 17.3)",
        "Clipr/31.4 (iPhone; iOS 16.6)",
        "Clipr/31.2 (Android 14; Pixel 8)",
        "Clipr/31.2 (Android 13; SM-A546B)",
        "Clipr/31.1 (Android 12; Redmi Note 11)",
        "Clipr/30.9 (Android 11; moto g9)",
        "Clipr/31.4 (iPad; iPadOS 17.2)",
        "Mozilla/5.0 (Windows NT 10.0) Chrome/122.0",
        "Mozilla/5.0 (Macintosh) Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64) Firefox/123.0",
    ],
    dtype=object,
)

#: Very short comments that huge numbers of unrelated people post. Identical
#: text on its own is not copy-paste spam.
COMMON_COMMENTS = np.array(["nice", "lol", "🔥", "wow", "😂😂", "first", "❤️", "omg", "haha", "same"], dtype=object)
_OPENERS = ["omg", "wow", "this is", "literally", "no way", "bro", "ok but", "honestly", "lmao", "can't believe",
            "who else", "me when", "POV:", "not me", "the way", "ngl", "imagine", "yall"]
_MIDDLES = ["so good", "the best thing today", "my favourite", "too funny", "iconic", "so relatable",
            "a whole mood", "underrated", "on repeat", "giving me life", "pure talent", "the vibe",
            "so satisfying", "actually genius", "my whole personality now", "hitting different"]
_ENDINGS = ["", "!!", " 😂", " 🔥", " ❤️", " 😭", "...", " fr", " tbh", " #fyp", " 💀", " #foryou"]
_QUESTIONS = ["where is this?", "what song is this", "recipe pls", "part 2??", "how did you do that",
              "tutorial please", "who is the artist", "is this real", "what app is this", "link?"]
_CAPTIONS = ["new video", "trying this trend", "day in my life", "cooking dinner", "morning routine",
             "had to post this", "my cat again", "weekend mood", "rate my outfit", "tutorial",
             "storytime", "behind the scenes", "first try", "this took 3 hours", "road trip", "gym check",
             "duet me", "can you do it?", "sunset", "practice session"]
HASHTAGS = np.array(
    ["#fyp", "#foryou", "#viral", "#dance", "#funny", "#food", "#cat", "#dog", "#fashion", "#gaming",
     "#music", "#travel", "#art", "#makeup", "#fitness", "#comedy", "#diy", "#football", "#anime", "#booktok",
     "#cooking", "#skincare", "#tutorial", "#asmr", "#love", "#trend", "#duet", "#pov", "#learnontiktok", "#cars"],
    dtype=object,
)
_HASHTAG_WEIGHTS = 1.0 / np.arange(1, len(HASHTAGS) + 1) ** 0.9


def organic_usernames(rng: np.random.Generator, n: int) -> np.ndarray:
    """Ordinary-looking usernames (``mia_sunny``, ``leo.chen94``, ``thepixelfox``).

    Examples
    --------
    >>> len(organic_usernames(np.random.default_rng(0), 3))
    3
    """
    first = rng.choice(FIRST_NAMES, n)
    word = rng.choice(_WORDS, n)
    last = rng.choice(_LAST, n)
    pattern = rng.integers(0, 6, n)
    number = rng.integers(0, 100, n)
    year = rng.integers(70, 100, n) % 100
    out = []
    for f, w, l, p, num, y in zip(  # noqa: E741 - f, w, l: first name, word, last name
        first, word, last, pattern.tolist(), number.tolist(), year.tolist(), strict=True
    ):
        if p == 0:
            out.append(f"{f}_{w}")
        elif p == 1:
            out.append(f"{f}.{l}{y:02d}")
        elif p == 2:
            out.append(f"the{w}{f}")
        elif p == 3:
            out.append(f"{w}.{w}.{f}" if num < 10 else f"{w}{f}{num}")
        elif p == 4:
            out.append(f"{f}{l}")
        else:
            out.append(f"{f}_{l}_{w}")
    return np.array(out, dtype=object)


def templated_usernames(rng: np.random.Generator, n: int, *, style: str = "user") -> np.ndarray:
    """Farm-style generated usernames: ``user_48213`` or ``mia.k2291``.

    Examples
    --------
    >>> templated_usernames(np.random.default_rng(0), 1)[0].startswith("user_")
    True
    """
    digits = rng.integers(10_000, 100_000, n) if style == "user" else rng.integers(1000, 10_000, n)
    if style == "user":
        return np.array([f"user_{d}" for d in digits.tolist()], dtype=object)
    first = rng.choice(FIRST_NAMES, n)
    letter = rng.choice(np.array(list("abcdefghjklmnoprstvwz"), dtype=object), n)
    return np.array([f"{f}.{c}{d}" for f, c, d in zip(first, letter, digits.tolist(), strict=True)], dtype=object)


def display_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Display names such as ``Mia Silva 🌙``."""
    first = rng.choice(FIRST_NAMES, n)
    last = rng.choice(_LAST, n)
    decor = rng.choice(_DECOR, n)
    return np.array([f"{f.title()} {surname.title()}{d}" for f, surname, d in zip(first, last, decor, strict=True)],
                    dtype=object)


def comment_texts(rng: np.random.Generator, n: int, *, common_share: float = 0.25) -> np.ndarray:
    """Organic comment texts: common one-worders, short reactions and questions."""
    pool = np.array(
        [f"{o} {m}{e}" for o in _OPENERS for m in _MIDDLES for e in _ENDINGS] + _QUESTIONS, dtype=object
    )
    out = pool[rng.integers(0, len(pool), n)]
    common = rng.random(n) < common_share
    out[common] = rng.choice(COMMON_COMMENTS, int(common.sum()))
    return out


def post_captions(rng: np.random.Generator, n: int, *, extra_hashtag: str | None = None) -> np.ndarray:
    """Post captions with one to four hashtags (Zipf-popular tags)."""
    caption = rng.choice(np.array(_CAPTIONS, dtype=object), n)
    k = rng.integers(1, 5, n)
    tags = rng.choice(len(HASHTAGS), size=(n, 4), p=_HASHTAG_WEIGHTS / _HASHTAG_WEIGHTS.sum())
    out = []
    for c, count, row in zip(caption, k.tolist(), tags.tolist(), strict=True):
        chosen = " ".join(dict.fromkeys(HASHTAGS[t] for t in row[:count]))
        out.append(f"{c} {extra_hashtag} {chosen}" if extra_hashtag else f"{c} {chosen}")
    return np.array(out, dtype=object)


def aged_created_at(rng: np.random.Generator, n: int, *, years: float = 1.6, oldest_years: float = 7.5) -> np.ndarray:
    """Creation times spread over years before the window (recent ones more common)."""
    oldest = oldest_years * 365 * DAY
    age = 3 * DAY + rng.exponential(years * 365 * DAY, n)
    # Redraw rather than clip: clipping would pile accounts onto one instant,
    # which looks exactly like a farm's creation burst.
    too_old = age > oldest
    age[too_old] = rng.uniform(3 * DAY, oldest, int(too_old.sum()))
    return (START - age).astype(np.int64)


@dataclass
class Organic:
    """The organic population and content, shared by every later generator."""

    accounts: np.ndarray
    activity: np.ndarray
    followers: np.ndarray
    creator_weight: np.ndarray
    content: np.ndarray
    popularity: np.ndarray
    content_posted: np.ndarray
    content_creator: np.ndarray
    reserved: np.ndarray = field(default=None)  # type: ignore[arg-type]  # filled in __post_init__

    def __post_init__(self) -> None:
        if self.reserved is None:
            self.reserved = np.zeros(len(self.accounts), dtype=bool)

    def take(self, rng: np.random.Generator, n: int, *, weights: np.ndarray | None = None) -> np.ndarray:
        """Draw ``n`` distinct organic accounts not yet used by a trap or campaign."""
        free = np.flatnonzero(~self.reserved)
        p = None
        if weights is not None:
            p = weights[free] / weights[free].sum()
        chosen = rng.choice(free, size=min(n, len(free)), replace=False, p=p)
        self.reserved[chosen] = True
        return self.accounts[chosen]

    def popular_content(self, rng: np.random.Generator, n: int, *, before: int | None = None) -> np.ndarray:
        """Content indices drawn by popularity, optionally posted before a time."""
        mask = np.ones(len(self.content), dtype=bool) if before is None else self.content_posted < before
        candidates = np.flatnonzero(mask)
        return self.content[candidates[weighted_choice(rng, n, self.popularity[candidates])]]


def build_population(world: World, rng: np.random.Generator, *, n_accounts: int, n_posts: int) -> Organic:
    """Organic accounts, their old videos, and their in-window post events."""
    created = aged_created_at(rng, n_accounts)
    activity = rng.lognormal(0.0, 1.3, n_accounts)
    is_creator = rng.random(n_accounts) < 0.3
    creator_weight = np.where(is_creator, rng.lognormal(0.0, 1.6, n_accounts), 0.02)
    followers = np.round(creator_weight * rng.lognormal(4.0, 1.5, n_accounts)).astype(np.int64)
    usernames = inject_hostile(organic_usernames(rng, n_accounts), rng, fraction=0.01, long_values=1)
    names = inject_hostile(display_names(rng, n_accounts), rng, fraction=0.025, long_values=3, mode="append")
    countries = rng.choice(COUNTRIES, n_accounts, p=_COUNTRY_WEIGHTS / _COUNTRY_WEIGHTS.sum())
    status = np.where(rng.random(n_accounts) < 0.985, "active",
                      np.where(rng.random(n_accounts) < 0.6, "suspended", "deactivated"))
    accounts = world.add_accounts(
        created_at=created, usernames=usernames, display_names=names, countries=countries,
        followers=followers, status=status.astype(object),
    )
    creator_p = creator_weight / creator_weight.sum()
    # Old videos (posted before the window) keep getting views; in-window posts add to them.
    n_old = max(int(n_posts * 1.5), 50)
    old_creators = weighted_choice(rng, n_old, creator_p)
    old_posted = np.maximum(START - rng.integers(DAY, 180 * DAY, n_old), created[old_creators] + 3600)
    new_creators = weighted_choice(rng, n_posts, creator_p)
    new_posted = sample_times(rng, n_posts)
    content = world.add_content(accounts[np.concatenate([old_creators, new_creators])],
                                np.concatenate([old_posted, new_posted]))
    world.add_events(
        accounts[new_creators], "post", world.content_ids[content[n_old:]], new_posted,
        text=post_captions(rng, n_posts),
    )
    all_creators = np.concatenate([old_creators, new_creators])
    popularity = np.sqrt(followers[all_creators] + 10.0) * rng.lognormal(0.0, 1.5, len(content))
    return Organic(
        accounts=accounts, activity=activity, followers=followers, creator_weight=creator_weight,
        content=content, popularity=popularity, content_posted=world.content.column("posted_at")[content],
        content_creator=all_creators,
    )


_INTERACTIONS = np.array([ACTION_CODE[a] for a in ("share", "like", "comment", "follow", "duet", "stitch")])
_INTERACTION_P = np.array([0.16, 0.5, 0.16, 0.1, 0.04, 0.04])


def add_interactions(world: World, rng: np.random.Generator, organic: Organic, n: int) -> None:
    """Add ``n`` organic likes, shares, comments, follows, duets and stitches."""
    n = int(n)
    if n <= 0:
        return
    local = weighted_choice(rng, n, organic.activity)
    actions = rng.choice(_INTERACTIONS, n, p=_INTERACTION_P)
    ts = sample_times(rng, n)
    content_pick = weighted_choice(rng, n, organic.popularity)
    # A video cannot be watched before it is posted: move those events to old videos.
    too_early = ts < organic.content_posted[content_pick]
    old = np.flatnonzero(organic.content_posted < START)
    old_p = organic.popularity[old] / organic.popularity[old].sum()
    content_pick[too_early] = old[weighted_choice(rng, int(too_early.sum()), old_p)]
    targets = world.content_ids[organic.content[content_pick]]
    follow = actions == ACTION_CODE["follow"]
    followee = weighted_choice(rng, int(follow.sum()), organic.followers + 5.0)
    self_follow = followee == local[follow]
    followee[self_follow] = (followee[self_follow] + 1) % len(organic.accounts)
    targets[follow] = world.account_ids[organic.accounts[followee]]
    text = np.full(n, None, dtype=object)
    comment = actions == ACTION_CODE["comment"]
    text[comment] = inject_hostile(comment_texts(rng, int(comment.sum())), rng, fraction=0.004, long_values=2,
                                   mode="append")
    world.add_events(organic.accounts[local], actions, targets, ts, text=text)


_POLICY_P = np.array([0.3, 0.2, 0.1, 0.04, 0.06, 0.12, 0.18])


def add_reports(
    world: World,
    rng: np.random.Generator,
    organic: Organic,
    n: int,
    *,
    policy_p: np.ndarray | None = None,
    start: int = START,
    end: int = END,
) -> None:
    """Add ``n`` ordinary user reports, most about a video, some about an account."""
    n = int(n)
    if n <= 0:
        return
    p = _POLICY_P if policy_p is None else policy_p
    reporters = organic.accounts[weighted_choice(rng, n, np.sqrt(organic.activity))]
    ts = sample_times(rng, n, start=start, end=end)
    about_content = rng.random(n) < 0.7
    pick = weighted_choice(rng, n, organic.popularity)
    valid = organic.content_posted[pick] <= ts
    about_content &= valid
    weights = np.sqrt(organic.followers + 5.0)
    targets = organic.accounts[weighted_choice(rng, n, weights)]
    targets[about_content] = organic.accounts[organic.content_creator[pick[about_content]]]
    content_ids = np.full(n, None, dtype=object)
    content_ids[about_content] = world.content_ids[organic.content[pick[about_content]]]
    same = targets == reporters
    targets[same] = organic.accounts[(np.searchsorted(organic.accounts, targets[same]) + 1) % len(organic.accounts)]
    content_ids[same] = None
    policies = rng.choice(np.array(POLICIES, dtype=object), n, p=p / p.sum())
    world.add_reports(reporters, targets, policies, ts, content_ids)


def add_enforcements(world: World, rng: np.random.Generator, *, share: float = 0.12) -> None:
    """Enforce on a share of the reports so far, hours after the report."""
    n_reports = world.reports.size
    chosen = np.flatnonzero(rng.random(n_reports) < share)
    ts = world.reports.column("ts")[chosen] + (rng.lognormal(np.log(6 * 3600), 1.0, len(chosen))).astype(np.int64)
    keep = ts < END
    chosen, ts = chosen[keep], ts[keep]
    content = world.reports.column("content_id")[chosen]
    has_content = np.array([c is not None for c in content], dtype=bool)
    account_action = rng.choice(np.array(["warn", "suspend", "ban"], dtype=object), len(chosen), p=[0.7, 0.25, 0.05])
    action = np.where(has_content & (rng.random(len(chosen)) < 0.85), "remove_content", account_action).astype(object)
    content = np.where(action == "remove_content", content, np.array(None, dtype=object))
    world.add_enforcements(world.reports.column("target")[chosen], action, world.reports.column("policy")[chosen], ts,
                           content)


def add_personal_logins(world: World, rng: np.random.Generator, accounts: np.ndarray, n: int, *,
                        weights: np.ndarray | None = None, start: int | None = None, proxy: bool = False,
                        fixed_ip: str | None = None) -> None:
    """``n`` logins of ``accounts`` from their own devices and home or mobile IPs.

    ``proxy=True`` gives every login a fresh residential IP (residential proxies);
    ``fixed_ip`` puts every login behind one address (a carrier NAT).
    """
    n = int(n)
    if n <= 0 or len(accounts) == 0:
        return
    local = rng.integers(0, len(accounts), n) if weights is None else weighted_choice(rng, n, weights)
    who = accounts[local]
    lo = world.account_created[who] if start is None else np.maximum(world.account_created[who], start)
    lo = np.maximum(lo, START)
    ts = sample_times(rng, n)
    early = ts < lo
    ts[early] = lo[early] + (rng.random(int(early.sum())) * (END - lo[early])).astype(np.int64)
    # Each account owns 1-3 devices; the device id derives from (account, slot).
    n_devices = 1 + (_hash(who, 11) % 100 < 35) + (_hash(who, 13) % 100 < 10)
    slot = rng.integers(0, 3, n) % n_devices
    devices = world.device_ids(who.astype(np.uint64) * np.uint64(4) + slot.astype(np.uint64))
    # Home IP is stable per account (derived from the account), mobile IPs vary.
    home_rng_values = _hash(who, 17)
    home = np.array(
        [f"{_RES[v % len(_RES)]}.{(v >> 8) % 256}.{(v >> 16) % 256}.{1 + (v >> 24) % 254}"
         for v in home_rng_values.tolist()],
        dtype=object,
    )
    if fixed_ip is not None:
        ips = np.full(n, fixed_ip, dtype=object)
    elif proxy:
        ips = ip_addresses(rng, n, "residential")
    else:
        mobile = rng.random(n) < 0.4
        ips = home
        ips[mobile] = ip_addresses(rng, int(mobile.sum()), "mobile")
    agents = USER_AGENTS[(_hash(who, 19) + (rng.random(n) < 0.1)) % len(USER_AGENTS)]
    world.add_logins(who, ts, ips, devices, agents)


_RES = [24, 31, 37, 47, 68, 71, 73, 76, 77, 79, 81, 82, 86, 88, 90, 92, 94, 98, 109, 151, 176, 178, 188, 189, 201, 217]


def _hash(values: np.ndarray, salt: int) -> np.ndarray:
    """A cheap deterministic per-value hash (stable per account across calls)."""
    x = np.asarray(values, dtype=np.uint64) + np.uint64(salt * 0x632BE59BD9B4E019 % 2**63)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(31))) * np.uint64(0x9E3779B97F4A7C15)
        x = x ^ (x >> np.uint64(29))
    return (x >> np.uint64(8)).astype(np.int64)


def add_logins(world: World, rng: np.random.Generator, organic: Organic, n: int) -> None:
    """Organic logins: active accounts log in more often (square-root of activity)."""
    add_personal_logins(world, rng, organic.accounts, n, weights=np.sqrt(organic.activity))


def sprinkle_activity(world: World, rng: np.random.Generator, organic: Organic, accounts: np.ndarray,
                      *, low: int = 2, high: int = 8) -> None:
    """A little ordinary activity (likes, follows) by planted accounts, spread in time."""
    counts = rng.integers(low, high + 1, len(accounts))
    who = np.repeat(accounts, counts)
    n = len(who)
    if n == 0:
        return
    lo = np.maximum(world.account_created[who], START)
    ts = lo + (rng.random(n) * (END - lo)).astype(np.int64)
    actions = np.where(rng.random(n) < 0.8, ACTION_CODE["like"], ACTION_CODE["follow"])
    targets = world.content_ids[organic.popular_content(rng, n, before=START)]
    follow = actions == ACTION_CODE["follow"]
    targets[follow] = world.account_ids[organic.accounts[rng.integers(0, len(organic.accounts), int(follow.sum()))]]
    world.add_events(who, actions, targets, ts)
