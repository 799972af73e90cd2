"""An independent generator of coordinated-abuse folders, for measuring detection honestly.

Written from scratch with numpy and pandas only: it imports nothing from
``tsinvest`` so that rules tuned on ``tsinvest.synthetic`` cannot pass here
by sharing its modelling choices. Different on purpose:

* time: 21 days from Monday 2025-10-06, timestamps with milliseconds and a
  ``+00:00`` offset; a diurnal rhythm from a sinusoid (thinning), not hour weights;
* organic engagement as Hawkes-like cascades: immigrant events per video at
  Poisson times, each event spawning Poisson(branching) children after
  lognormal delays, generation by generation (vectorised per generation);
* activity and popularity Pareto (tail index drawn per seed), not lognormal;
* account ids in three formats: 19-digit snowflake-like numbers (creation time
  in the high bits), zero-padded numbers of 8-12 digits (``000048213977``)
  and 19-digit numbers with a leading zero; video ids ``v`` + 12 base-36
  characters; devices as UUIDs; some IPv6 logins;
* usernames from another vocabulary (``koala.breeze``, ``ritu_x93``, unicode names).

Kinds planted (same names as the project's truth): ``amplification`` (rings
with blend-in likes, 5-20 targets each), ``mass_report``, ``farm``,
``copy_paste`` (word substitutions, a homoglyph and a zero-width character
per message when adaptive) and ``ban_evasion``. Traps: ``viral_videos``,
``heavy_users``, ``notification_fans``, ``carrier_nat`` (with bans and new
accounts behind it), ``common_comments``, ``fan_community``. Parameters are
drawn per seed and per group from wide ranges and written to ``truth.json``.

Usage::

    python bench/independent/generator.py OUT_DIR --seed 1000 --events 40000 [--adaptive]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["generate", "KINDS", "TRAPS"]

KINDS = ("amplification", "mass_report", "farm", "copy_paste", "ban_evasion")
TRAPS = ("viral_videos", "heavy_users", "notification_fans", "carrier_nat", "common_comments", "fan_community")
START = int(pd.Timestamp("2025-10-06T00:00:00Z").timestamp())
DAYS = 21
END = START + DAYS * 86_400
DAY = 86_400

_SYLLABLES = np.array(["ka", "ri", "to", "mu", "ne", "sa", "lo", "vi", "da", "pe", "zu", "ha", "mi", "ko", "ra", "ne",
                       "ta", "yu", "bo", "li"], dtype=object)
_NOUNS = np.array(["koala", "breeze", "mango", "pixel", "comet", "lotus", "ember", "harbor", "maple", "quartz", "river",
                   "saffron", "tundra", "velvet", "willow", "yonder", "zephyr", "cobalt", "dune", "fern", "grove",
                   "indigo", "jasper", "lagoon"], dtype=object)
_UNICODE = np.array(["ana\u00efs", "j\u00falia", "\u0441\u0430\u0448\u0430", "\u674e\u534e", "\u0645\u0631\u064a\u0645",
                     "s\u00f8ren", "\u00e7a\u011fla", "\u0928\u0940\u0924\u093e"], dtype=object)
_HOSTILE = ["<script>alert(1)</script>", "=HYPERLINK(\"http://x\",\"y\")", "None", "import os", "\u202eevil",
            "a\u200bb", "+SUM(1)"]
_REACTIONS = np.array(["so true", "hahaha this", "need this", "where is this place", "this made my day",
                       "can't stop watching", "who's here after the news", "the ending though", "big mood",
                       "tell me more", "saving this", "legend", "instant follow", "again please"], dtype=object)
_SHORT = np.array(["nice", "lol", "wow", "\U0001F525", "\U0001F602", "\u2764\ufe0f", "omg", "first", "yes",
                   "\U0001F44F", "lmao", "cute"], dtype=object)
_POLICIES = np.array(["harassment", "spam", "hate_speech", "nudity", "misinformation", "violent_extremism",
                      "dangerous_challenge"], dtype=object)
_AGENTS = np.array(["Reel/9.1 iOS 17.5", "Reel/9.1 Android 14", "Reel/9.0 Android 12", "Mozilla/5.0 Chrome/126",
                    "Reel/8.7 iPadOS 16"], dtype=object)
_SPAM = (
    "get paid daily working from home only two hours a day send me a message for the details {n}",
    "exclusive giveaway for my followers grab a free phone just register with the link in bio {n}",
    "stop scrolling and check my page for the best crypto picks of the week guaranteed profit {n}",
    "want more views on your videos our team can help you grow fast visit my profile now {n}",
)
_SUBSTITUTES = {
    "daily": ["every day", "each day"], "message": ["dm", "text"], "details": ["info", "infos"],
    "giveaway": ["give away", "raffle"], "free": ["gratis", "complimentary"], "grab": ["claim", "take"],
    "best": ["top", "greatest"], "guaranteed": ["sure", "certain"], "profit": ["gains", "returns"],
    "fast": ["quickly", "rapidly"], "visit": ["check", "see"], "now": ["today", "asap"], "link": ["url", "site"],
    "register": ["sign up", "enroll"], "help": ["assist", "boost"], "week": ["month", "day"],
}
_GLYPHS = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440", "x": "\u0445", "i": "1", "l": "1"}
_ZW = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


class _Ids:
    """Unique id strings in several formats."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.used: set[str] = set()

    def _unique(self, make, n: int) -> np.ndarray:
        out: list[str] = []
        while len(out) < n:
            for value in make(n - len(out)):
                if value not in self.used:
                    self.used.add(value)
                    out.append(value)
        return np.array(out, dtype=object)

    def accounts(self, created: np.ndarray) -> np.ndarray:
        n = len(created)
        kind = self.rng.choice(3, n, p=[0.6, 0.25, 0.15])
        out = np.empty(n, dtype=object)
        snow = np.flatnonzero(kind == 0)
        if len(snow):
            # Snowflake-like: milliseconds since 2010 in the high bits, random low bits.
            ms = (created[snow] - 1_262_304_000).astype(np.int64) * 1000
            low = self.rng.integers(0, 2**22, len(snow))
            values = (ms << 22 | low) % (8 * 10**18) + 10**18
            it = iter(values.tolist())
            out[snow] = self._unique(
                lambda k: [f"{next(it, int(self.rng.integers(10**18, 9 * 10**18)))}" for _ in range(k)], len(snow))
        padded = np.flatnonzero(kind == 1)
        out[padded] = self._unique(
            lambda k: [f"{int(v):0{w}d}"
                       for v, w in zip(self.rng.integers(1, 10**7, k), self.rng.integers(8, 13, k), strict=True)],
            len(padded))
        lead = np.flatnonzero(kind == 2)
        out[lead] = self._unique(lambda k: [f"0{int(v):018d}" for v in self.rng.integers(10**16, 10**18, k)], len(lead))
        return out

    def videos(self, n: int) -> np.ndarray:
        alphabet = np.array(list("0123456789abcdefghijklmnopqrstuvwxyz"))
        return self._unique(lambda k: ["v" + "".join(row) for row in self.rng.choice(alphabet, (k, 12))], n)

    def numbers(self, n: int, prefix: str) -> np.ndarray:
        return self._unique(lambda k: [f"{prefix}{int(v):012d}" for v in self.rng.integers(0, 10**12, k)], n)


def _uuid(rng: np.random.Generator, n: int) -> np.ndarray:
    raw = rng.integers(0, 2**63, (n, 2))
    return np.array([f"{a:016x}{b:016x}" for a, b in raw.tolist()], dtype=object)


def _uuid_fmt(values: np.ndarray) -> np.ndarray:
    return np.array([f"{v[:8]}-{v[8:12]}-{v[12:16]}-{v[16:20]}-{v[20:32]}" for v in values], dtype=object)


def _ipv4(rng: np.random.Generator, n: int, first=None) -> np.ndarray:
    a = rng.integers(11, 223, n) if first is None else np.full(n, first)
    b, c, d = rng.integers(0, 256, n), rng.integers(0, 256, n), rng.integers(1, 255, n)
    quads = zip(a.tolist(), b.tolist(), c.tolist(), d.tolist(), strict=True)
    return np.array([f"{w}.{x}.{y}.{z}" for w, x, y, z in quads], dtype=object)


def _ipv6(rng: np.random.Generator, n: int) -> np.ndarray:
    parts = rng.integers(0, 2**16, (n, 4))
    return np.array([f"2a02:{a:x}:{b:x}:{c:x}::{d:x}" for a, b, c, d in parts.tolist()], dtype=object)


def _diurnal(rng: np.random.Generator, n: int, start: int = START, end: int = END) -> np.ndarray:
    """Times in [start, end) thinned by a sinusoid peaking at 19:00 UTC (rejection sampling, vectorised)."""
    out = np.empty(0, dtype=np.int64)
    start, end = int(start), int(max(end, start + 1))
    while len(out) < n:
        k = int((n - len(out)) * 1.8) + 16
        t = rng.integers(start, end, k)
        hour = (t % DAY) / 3600.0
        keep = rng.random(k) < 0.55 + 0.45 * np.cos((hour - 19.0) / 24.0 * 2 * np.pi)
        out = np.concatenate([out, t[keep]])
    return out[:n]


def _usernames(rng: np.random.Generator, n: int) -> np.ndarray:
    style = rng.integers(0, 5, n)
    a = rng.choice(_NOUNS, n)
    b = rng.choice(_NOUNS, n)
    s1 = rng.choice(_SYLLABLES, n)
    s2 = rng.choice(_SYLLABLES, n)
    num = rng.integers(0, 1000, n)
    u = rng.choice(_UNICODE, n)
    out = np.where(style == 0, a + "." + b,
          np.where(style == 1, s1 + s2 + "_x" + num.astype(str),
          np.where(style == 2, u + num.astype(str),
          np.where(style == 3, b + "_" + s1 + s2, "the." + a + "." + num.astype(str)))))
    return out.astype(object)


def _truth_ids(ids: np.ndarray, idx) -> list[str]:
    return sorted(set(ids[np.asarray(idx, dtype=np.int64)].tolist()))


class _Folder:
    """Tables under construction (accounts by integer index)."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(np.random.SeedSequence([seed, 0x1D3]))
        self.ids = _Ids(np.random.default_rng(np.random.SeedSequence([seed, 0x1D4])))
        self.acc_created: list[np.ndarray] = []
        self.acc_names: list[np.ndarray] = []
        self.acc_status: list[np.ndarray] = []
        self.n_accounts = 0
        self.events: list[tuple] = []
        self.reports: list[tuple] = []
        self.logins: list[tuple] = []
        self.enforcements: list[tuple] = []
        self.video_ids: list[np.ndarray] = []
        self.video_owner: list[np.ndarray] = []
        self.video_posted: list[np.ndarray] = []
        self.n_videos = 0
        self.device_of: dict[int, str] = {}

    def accounts(self, created, names=None, status="active") -> np.ndarray:
        created = np.asarray(created, dtype=np.int64)
        n = len(created)
        self.acc_created.append(created)
        self.acc_names.append(_usernames(self.rng, n) if names is None else np.asarray(names, dtype=object))
        self.acc_status.append(np.full(n, status, dtype=object) if isinstance(status, str) else status)
        index = np.arange(self.n_accounts, self.n_accounts + n)
        self.n_accounts += n
        return index

    @property
    def created(self) -> np.ndarray:
        return np.concatenate(self.acc_created)

    def videos(self, owners, posted) -> np.ndarray:
        owners = np.asarray(owners, dtype=np.int64)
        n = len(owners)
        self.video_ids.append(self.ids.videos(n))
        self.video_owner.append(owners)
        self.video_posted.append(np.asarray(posted, dtype=np.int64))
        index = np.arange(self.n_videos, self.n_videos + n)
        self.n_videos += n
        return index

    def event(self, who, action, target, ts, text=None, target_type="video") -> None:
        who = np.asarray(who, dtype=np.int64)
        n = len(who)
        action = np.full(n, action, dtype=object) if isinstance(action, str) else np.asarray(action, dtype=object)
        text = np.full(n, None, dtype=object) if text is None else np.asarray(text, dtype=object)
        self.events.append((who, action, np.asarray(target), np.asarray(ts, dtype=np.int64), text, target_type))

    def login(self, who, ts, ip, device) -> None:
        who = np.asarray(who, dtype=np.int64)
        n = len(who)
        self.logins.append((who, np.asarray(ts, dtype=np.int64), np.asarray(ip, dtype=object),
                            np.asarray(device, dtype=object), _AGENTS[self.rng.integers(0, len(_AGENTS), n)]))

    def own_logins(self, who: np.ndarray, per: np.ndarray, *, proxy: bool = False) -> None:
        """Logins from each account's own device and home address (or a fresh proxy IP each time)."""
        who = np.repeat(np.asarray(who, dtype=np.int64), per)
        if len(who) == 0:
            return
        created = self.created[who]
        lo = np.maximum(created, START)
        ts = lo + (self.rng.random(len(who)) * (END - lo)).astype(np.int64)
        # Device and home IP derive from the account index: stable without a lookup table.
        device = np.array([f"{(int(w) * 2654435761) % 2**32:08x}-dev-{int(w) % 7919:04x}" for w in who], dtype=object)
        home = np.array([f"{(int(w) * 97) % 200 + 20}.{(int(w) * 31) % 256}.{(int(w) * 7) % 256}.{int(w) % 250 + 2}"
                         for w in who], dtype=object)
        ip = _ipv4(self.rng, len(who)) if proxy else home
        six = self.rng.random(len(who)) < 0.15
        ip[six] = _ipv6(self.rng, int(six.sum()))
        self.login(who, ts, ip, device)


def _pareto_weights(rng, n, tail):
    return (rng.pareto(tail, n) + 1.0)


def _hawkes(folder: _Folder, rng, videos: np.ndarray, posted: np.ndarray, immigrants: np.ndarray, branching: float,
            actor_weights: np.ndarray, actors: np.ndarray, budget: int) -> int:
    """Cascades on ``videos``: immigrants at diurnal times after posting, children after lognormal delays."""
    vid = np.repeat(np.arange(len(videos)), immigrants)
    lo = np.maximum(posted[vid], START)
    ts = lo + (rng.random(len(vid)) * (END - lo)).astype(np.int64)
    all_vid, all_ts = [vid], [ts]
    total = len(vid)
    for _ in range(12):
        kids = rng.poisson(branching, len(vid))
        if kids.sum() == 0 or total >= budget:
            break
        vid = np.repeat(vid, kids)
        ts = np.repeat(ts, kids) + rng.lognormal(math.log(1800), 1.6, len(vid)).astype(np.int64)
        inside = ts < END
        vid, ts = vid[inside], ts[inside]
        all_vid.append(vid)
        all_ts.append(ts)
        total += len(vid)
    vid, ts = np.concatenate(all_vid)[:budget], np.concatenate(all_ts)[:budget]
    n = len(vid)
    p = actor_weights / actor_weights.sum()
    who = actors[rng.choice(len(actors), n, p=p)]
    kind = rng.choice(np.array(["like", "share", "comment", "duet"], dtype=object), n, p=[0.62, 0.2, 0.15, 0.03])
    text = np.full(n, None, dtype=object)
    c = kind == "comment"
    text[c] = np.where(rng.random(int(c.sum())) < 0.3, rng.choice(_SHORT, int(c.sum())),
                       rng.choice(_REACTIONS, int(c.sum())))
    folder.event(who, kind, videos[vid], ts, text)
    return n


def _popular(folder_state, rng, n):
    """n popular videos (by cascade popularity) posted before START."""
    ids, weights, posted = folder_state
    old = np.flatnonzero(posted < START)
    p = weights[old] / weights[old].sum()
    return ids[old[rng.choice(len(old), n, p=p)]]


def _spam_text(rng, base: str, obfuscate: bool) -> str:
    words = base.split(" ")
    if obfuscate:
        slots = [i for i, w in enumerate(words) if w in _SUBSTITUTES]
        for i in rng.permutation(slots)[:2].tolist():
            options = _SUBSTITUTES[words[i]]
            words[i] = options[int(rng.integers(0, len(options)))]
    text = " ".join(words)
    if obfuscate:
        spots = [i for i, ch in enumerate(text) if ch in _GLYPHS]
        i = spots[int(rng.integers(0, len(spots)))]
        text = text[:i] + _GLYPHS[text[i]] + text[i + 1:]
        j = int(rng.integers(1, len(text)))
        text = text[:j] + _ZW[int(rng.integers(0, len(_ZW)))] + text[j:]
    elif rng.random() < 0.5:
        text = text.capitalize() + rng.choice(["!", "!!", " :)", ""])
    return text


# One narrative of the folder in the order of its random draws; split up, every step would thread the
# generator and a dozen accumulating tables through, and any reordering would change every seed's data.
def generate(out_dir, *, seed: int, events: int = 40_000, adaptive: bool = False) -> dict:  # noqa: C901
    """Write a folder of canonical tables plus ``truth.json``; return the truth.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     truth = generate(d + "/f", seed=1, events=20_000)
    >>> sorted({c["kind"] for c in truth["campaigns"]}) == sorted(KINDS)
    True
    """
    f = _Folder(seed)
    rng = f.rng
    scale = events / 40_000
    params = {
        "activity_tail": round(float(rng.uniform(1.1, 2.0)), 3),
        "popularity_tail": round(float(rng.uniform(0.9, 1.6)), 3),
        "branching": round(float(rng.uniform(0.3, 0.75)), 3),
    }
    n_org = max(2000, int(events / rng.uniform(12, 20)))
    created = START - (rng.gamma(1.2, 500, n_org) * DAY).astype(np.int64) - DAY
    organic = f.accounts(created)
    activity = _pareto_weights(rng, n_org, params["activity_tail"])
    creator = rng.random(n_org) < 0.25
    # Videos: old (before the window) and new, by creators weighted by Pareto fame.
    fame = np.where(creator, _pareto_weights(rng, n_org, 1.3), 0.01)
    n_vid = max(500, int(events * 0.04))
    owners = organic[rng.choice(n_org, n_vid, p=fame / fame.sum())]
    posted = np.where(rng.random(n_vid) < 0.5, START - rng.integers(DAY, 90 * DAY, n_vid), _diurnal(rng, n_vid))
    f.videos(owners, posted)
    vid_ids = np.concatenate(f.video_ids)
    new_post = posted >= START
    f.event(owners[new_post], "post", vid_ids[new_post], posted[new_post], rng.choice(_REACTIONS, int(new_post.sum())))
    popularity = _pareto_weights(rng, n_vid, params["popularity_tail"])
    state = (vid_ids, popularity, posted)

    campaigns: list[dict] = []
    traps: list[dict] = []
    # Account ids are needed for follow targets; allocate at the end, refer by index now.
    follow_rows: list[tuple] = []

    def follow(who, target_accounts, ts):
        follow_rows.append((np.asarray(who, dtype=np.int64), np.asarray(target_accounts, dtype=np.int64),
                            np.asarray(ts, dtype=np.int64)))

    def blend(who, ratio_counts):
        w = np.repeat(np.asarray(who, dtype=np.int64), ratio_counts)
        if len(w) == 0:
            return
        lo = np.maximum(f.created[w], START)
        ts = lo + (rng.random(len(w)) * (END - lo)).astype(np.int64)
        f.event(w, np.where(rng.random(len(w)) < 0.75, "like", "share").astype(object), _popular(state, rng, len(w)),
                ts)

    def adversaries(n, aged_share, start_hint=START):
        aged = rng.random(n) < aged_share
        c = start_hint - rng.integers(DAY, 45 * DAY, n)
        c[aged] = START - (rng.gamma(2.0, 300, int(aged.sum())) * DAY).astype(np.int64) - 30 * DAY
        return f.accounts(c)

    n_groups = lambda lo, hi: int(rng.integers(lo, hi + 1)) + int(max(0, math.log2(max(scale, 1))))  # noqa: E731

    # -- amplification rings with blend-in --------------------------------
    for g in range(n_groups(3, 6)):
        size = int(rng.integers(5, 51))
        n_t = int(rng.integers(5, 21))
        median = float(math.exp(rng.uniform(math.log(8), math.log(240 if adaptive else 60))))
        join = float(rng.uniform(0.55, 0.95))
        ratio = float(rng.uniform(0.5, 2.0))
        aged_share = float(rng.uniform(0.4, 1.0) if adaptive else rng.uniform(0.0, 0.6))
        members = adversaries(size, aged_share)
        if rng.random() < 0.5:
            owner = adversaries(1, 1.0)
            p_t = _diurnal(rng, n_t, START, END - DAY)
            tv = f.videos(np.repeat(owner, n_t), p_t)
            targets = np.concatenate(f.video_ids)[tv]
            f.event(np.repeat(owner, n_t), "post", targets, p_t, np.full(n_t, "new drop", dtype=object))
            first = p_t + rng.lognormal(math.log(1200), 1.0, n_t).astype(np.int64)
        else:
            targets = np.unique(_popular(state, rng, 3 * n_t))[:n_t]
            n_t = len(targets)
            first = _diurnal(rng, n_t, START + DAY, END - DAY)
        joins = rng.random((n_t, size)) < join
        joins[:, rng.integers(0, size)] = True
        t_i, m_i = np.nonzero(joins)
        # Hawkes-like: the first share triggers the rest after lognormal delays.
        ts = np.minimum(first[t_i] + rng.lognormal(math.log(median), 0.9, len(t_i)).astype(np.int64), END - 1)
        f.event(members[m_i], "share", targets[t_i], ts)
        liked = rng.random(len(t_i)) < 0.5
        f.event(members[m_i][liked], "like", targets[t_i][liked],
                np.minimum(ts[liked] + rng.integers(2, 90, int(liked.sum())), END - 1))
        blend(members, rng.poisson(ratio * np.bincount(m_i, minlength=size)))
        f.own_logins(members, rng.integers(2, 8, size), proxy=adaptive)
        campaigns.append({"id": f"amplification-{g + 1:02d}", "kind": "amplification", "members": members,
                          "targets": sorted(targets.tolist()), "adaptive": adaptive,
                          "parameters": {"size": size, "targets": n_t, "median_delay_seconds": round(median, 1),
                                         "join_rate": round(join, 3), "blend_in_ratio": round(ratio, 3),
                                         "aged_share": round(aged_share, 3)}})

    # -- mass-report brigades -------------------------------------------------
    report_rows: list[tuple] = []
    for g in range(n_groups(3, 5)):
        size = int(rng.integers(8, 41))
        members = adversaries(size, float(rng.uniform(0.5, 1.0) if adaptive else rng.uniform(0, 0.5)))
        victims = organic[rng.choice(n_org, int(rng.integers(1, 6)), replace=False, p=fame / fame.sum())]
        policy = str(rng.choice(_POLICIES))
        waves = int(rng.integers(1, 5))
        duration = float(math.exp(rng.uniform(math.log(300), math.log(3600 if adaptive else 1200))))
        rows_r, rows_v, rows_t = [], [], []
        for w_start in _diurnal(rng, waves, START + DAY, END - DAY).tolist():
            hit = rng.random((size, len(victims))) < rng.uniform(0.7, 0.95)
            r, v = np.nonzero(hit)
            rows_r.append(members[r])
            rows_v.append(victims[v])
            rows_t.append(w_start + (rng.beta(1.2, 3.0, len(r)) * duration).astype(np.int64))
        who = np.concatenate(rows_r)
        report_rows.append((who, np.concatenate(rows_v), np.concatenate(rows_t),
                            np.full(len(who), policy, dtype=object)))
        blend(members, rng.integers(2, 15, size))
        f.own_logins(members, rng.integers(1, 6, size), proxy=adaptive)
        campaigns.append({"id": f"mass_report-{g + 1:02d}", "kind": "mass_report", "members": np.unique(who),
                          "victims": victims, "adaptive": adaptive, "policy": policy,
                          "parameters": {"size": size, "waves": waves, "wave_seconds": round(duration, 1)}})

    # -- farms ---------------------------------------------------------------
    for g in range(n_groups(3, 5)):
        size = int(rng.integers(6, 41))
        stem = str(rng.choice(_NOUNS)) + str(rng.choice(_SYLLABLES))
        if adaptive and rng.random() < 0.6:
            c = START - (rng.gamma(2.0, 300, size) * DAY).astype(np.int64) - 30 * DAY
            names = None
        else:
            c = (START + int(rng.integers(-20, 10)) * DAY
                 + np.sort(rng.integers(0, int(rng.uniform(600, 4 * 3600)), size)))
            names = np.array([f"{stem}{int(v):04d}" for v in rng.integers(0, 10_000, size)], dtype=object)
        members = f.accounts(c, names)
        n_dev = int(rng.integers(1, 6))
        devices = _uuid_fmt(_uuid(rng, n_dev))
        subnet = int(rng.integers(30, 220))
        ips = _ipv4(rng, int(rng.integers(1, 5)), first=subnet)
        per = rng.integers(3, 12, size)
        who = np.repeat(members, per)
        lo = np.maximum(f.created[who], START)
        ts = lo + (rng.random(len(who)) * (END - lo)).astype(np.int64)
        share_rate = float(rng.uniform(0.3, 0.7) if adaptive else rng.uniform(0.7, 1.0))
        shared = rng.random(len(who)) < share_rate
        dev = np.where(shared, devices[rng.integers(0, n_dev, len(who))], _uuid_fmt(_uuid(rng, len(who))))
        ip = np.where(rng.random(len(who)) < share_rate, ips[rng.integers(0, len(ips), len(who))], _ipv4(rng, len(who)))
        f.login(who, ts, ip, dev)
        customers = organic[rng.choice(n_org, int(rng.integers(3, 9)), replace=False)]
        fm, fc = np.nonzero(rng.random((size, len(customers))) < rng.uniform(0.5, 0.9))
        lo = np.maximum(f.created[members[fm]], START)
        follow(members[fm], customers[fc], lo + (rng.random(len(fm)) * (END - lo)).astype(np.int64))
        blend(members, rng.integers(0, 10, size))
        campaigns.append({"id": f"farm-{g + 1:02d}", "kind": "farm", "members": members,
                          "targets": sorted(devices.tolist() + ips.tolist()), "adaptive": adaptive,
                          "parameters": {"size": size, "devices": n_dev, "shared_rate": round(share_rate, 3)}})

    # -- copy-paste spam ----------------------------------------------------------
    for g in range(n_groups(3, 5)):
        size = int(rng.integers(5, 26))
        members = adversaries(size, float(rng.uniform(0.3, 1.0) if adaptive else rng.uniform(0, 0.5)))
        base = _SPAM[int(rng.integers(0, len(_SPAM)))]
        per = rng.integers(4, 26, size)
        who = np.repeat(members, per)
        lo = np.maximum(f.created[who], START)
        ts = lo + (rng.random(len(who)) * (END - lo)).astype(np.int64)
        rate = float(rng.uniform(0.85, 1.0)) if adaptive else 0.0
        texts = [_spam_text(rng, base.format(n=int(k)), bool(o))
                 for k, o in zip(rng.integers(1, 999, len(who)), rng.random(len(who)) < rate, strict=True)]
        f.event(who, "comment", _popular(state, rng, len(who)), ts, np.array(texts, dtype=object))
        blend(members, rng.integers(1, 12, size))
        f.own_logins(members, rng.integers(1, 5, size), proxy=adaptive)
        campaigns.append({"id": f"copy_paste-{g + 1:02d}", "kind": "copy_paste", "members": members,
                          "template": base, "adaptive": adaptive,
                          "parameters": {"size": size, "messages": int(len(who)), "obfuscation_rate": round(rate, 3)}})

    # -- ban evasion ------------------------------------------------------------
    enforcement_rows: list[tuple] = []
    for g in range(n_groups(3, 6)):
        n_b = int(rng.integers(1, 4))
        stem = str(rng.choice(_SYLLABLES)) + str(rng.choice(_NOUNS))
        width = int(rng.integers(2, 5))
        def names(k: int, stem: str = stem, width: int = width) -> np.ndarray:
            return np.array([f"{stem}_{int(v):0{width}d}" for v in rng.integers(0, 10**width, k)], dtype=object)
        banned = f.accounts(START - (rng.gamma(2, 200, n_b) * DAY).astype(np.int64) - 10 * DAY, names(n_b),
                            np.full(n_b, "banned", dtype=object))
        ban_ts = START + rng.integers(DAY, 12 * DAY, n_b)
        enforcement_rows.append((banned, np.where(rng.random(n_b) < 0.75, "account_ban", "suspend").astype(object),
                                 rng.choice(_POLICIES, n_b), ban_ts))
        devices = _uuid_fmt(_uuid(rng, n_b))
        homes = _ipv4(rng, n_b)
        watched = organic[rng.choice(n_org, int(rng.integers(4, 16)), replace=False)]
        for k in range(n_b):
            m = int(rng.integers(4, 16))
            f.login(np.full(m, banned[k]), START + (rng.random(m) * (ban_ts[k] - START)).astype(np.int64),
                    np.full(m, homes[k], dtype=object), np.full(m, devices[k], dtype=object))
            follow(np.full(len(watched), banned[k]), watched,
                   START + (rng.random(len(watched)) * (ban_ts[k] - START)).astype(np.int64))
        per = rng.integers(1, 4, n_b)
        owner = np.repeat(np.arange(n_b), per)
        n_e = len(owner)
        tie_rate = float(rng.uniform(0.4, 0.75) if adaptive else rng.uniform(0.65, 0.95))
        ties = rng.random((n_e, 4)) < tie_rate
        few = np.flatnonzero(ties.sum(1) < 2)
        for row in few.tolist():
            ties[row, rng.choice(4, 2, replace=False)] = True
        e_names = _usernames(rng, n_e)
        e_names[ties[:, 2]] = names(int(ties[:, 2].sum()))
        e_created = ban_ts[owner] + rng.lognormal(math.log(DAY), 1.0, n_e).astype(np.int64)
        e_created = np.minimum(e_created, END - 2 * DAY)
        evaders = f.accounts(e_created, e_names)
        for i in range(n_e):
            k = owner[i]
            m = int(rng.integers(3, 12))
            ts = e_created[i] + (rng.random(m) * (END - e_created[i])).astype(np.int64)
            dev = np.full(m, devices[k] if ties[i, 0] else _uuid_fmt(_uuid(rng, 1))[0], dtype=object)
            ip = np.full(m, homes[k], dtype=object) if ties[i, 1] else _ipv4(rng, m)
            f.login(np.full(m, evaders[i]), ts, ip, dev)
            if ties[i, 3]:
                keep = watched[rng.random(len(watched)) < 0.85]
                follow(np.full(len(keep), evaders[i]), keep,
                       e_created[i] + (rng.random(len(keep)) * (END - e_created[i])).astype(np.int64))
        blend(evaders, rng.integers(1, 10, n_e))
        campaigns.append({"id": f"ban_evasion-{g + 1:02d}", "kind": "ban_evasion", "members": evaders,
                          "enforced": banned, "adaptive": adaptive,
                          "parameters": {"enforced": n_b, "new_accounts": n_e, "tie_rate": round(tie_rate, 3)}})

    # -- traps ---------------------------------------------------------------------
    free = np.ones(n_org, dtype=bool)

    def take(n, weights=None):
        pool = np.flatnonzero(free)
        n = min(int(n), len(pool))
        p = None if weights is None else weights[pool] / weights[pool].sum()
        chosen = rng.choice(pool, n, replace=False, p=p)
        free[chosen] = False
        return organic[chosen]

    for g in range(int(rng.integers(3, 6))):
        size = int(min(max(300, events / rng.uniform(80, 160)), 0.5 * n_org))
        sharers = organic[rng.choice(n_org, size, replace=False)]
        owner = take(1, fame)
        p = _diurnal(rng, 1, START, END - 2 * DAY)
        v = f.videos(owner, p)
        vid = np.concatenate(f.video_ids)[v][0]
        f.event(owner, "post", [vid], p, ["going viral"])
        # Self-exciting pile-on: delays lognormal around a per-video median of 1-5 minutes.
        ts = (p[0] + int(rng.integers(120, 3600))
              + rng.lognormal(math.log(rng.uniform(60, 300)), 0.8, size).astype(np.int64))
        f.event(sharers, "share", np.full(size, vid, dtype=object), ts)
        lk = rng.random(size) < 0.6
        f.event(sharers[lk], "like", np.full(int(lk.sum()), vid, dtype=object),
                ts[lk] + rng.integers(1, 40, int(lk.sum())))
        traps.append({"id": f"viral_videos-{g + 1:02d}", "kind": "viral_videos", "members": sharers, "targets": [vid]})

    heavy = take(int(np.clip(events // 300_000, 2, 15)), activity)
    per = rng.integers(10_000, 16_000, len(heavy))
    hw = np.repeat(heavy, per)
    f.event(hw, rng.choice(np.array(["like", "share", "comment"], dtype=object), len(hw), p=[0.7, 0.2, 0.1]),
            _popular(state, rng, len(hw)), _diurnal(rng, len(hw)),
            np.where(rng.random(len(hw)) < 0.1, rng.choice(_SHORT, len(hw)), None))
    traps.append({"id": "heavy_users-01", "kind": "heavy_users", "members": heavy})

    star = take(1, fame)
    fans = take(100, activity**2)
    n_p = int(rng.integers(15, 40))
    p = np.sort(_diurnal(rng, n_p, START, END - 3600))
    pv = f.videos(np.repeat(star, n_p), p)
    pids = np.concatenate(f.video_ids)[pv]
    f.event(np.repeat(star, n_p), "post", pids, p, np.full(n_p, "new video out", dtype=object))
    pi, fi = np.nonzero(rng.random((n_p, len(fans))) < rng.uniform(0.2, 0.5))
    f.event(fans[fi], "share", pids[pi],
            p[pi] + np.clip(rng.lognormal(math.log(45), 0.5, len(pi)), 5, 150).astype(np.int64))
    blend(fans, rng.integers(200, 800, len(fans)))
    traps.append({"id": "notification_fans-01", "kind": "notification_fans", "members": fans,
                  "targets": sorted(pids.tolist())})

    club_star = take(1, fame)
    club = take(int(rng.integers(40, 120)), activity)
    n_p = int(rng.integers(10, 30))
    p = np.sort(_diurnal(rng, n_p, START, END - DAY))
    cv = f.videos(np.repeat(club_star, n_p), p)
    cids = np.concatenate(f.video_ids)[cv]
    f.event(np.repeat(club_star, n_p), "post", cids, p, np.full(n_p, "for my fans", dtype=object))
    pi, fi = np.nonzero(rng.random((n_p, len(club))) < 0.5)
    f.event(club[fi], "share", cids[pi],
            np.minimum(p[pi] + rng.lognormal(math.log(3 * 3600), 1.0, len(pi)).astype(np.int64), END - 1))
    traps.append({"id": "fan_community-01", "kind": "fan_community", "members": club, "targets": sorted(cids.tolist())})

    nat_size = int(min(rng.integers(300, 1200), 0.2 * n_org))
    nat = take(nat_size)
    nat_ip = f"100.{int(rng.integers(64, 128))}.{int(rng.integers(0, 256))}.{int(rng.integers(1, 255))}"
    nat_banned = nat[: int(rng.integers(2, 6))]
    nat_ban_ts = START + rng.integers(DAY, 9 * DAY, len(nat_banned))
    enforcement_rows.append((nat_banned, np.full(len(nat_banned), "account_ban", dtype=object),
                             rng.choice(_POLICIES, len(nat_banned)), nat_ban_ts))
    newcomers = f.accounts(START + rng.integers(10 * DAY, 18 * DAY, int(rng.integers(30, 90))))
    nat_all = np.concatenate([nat, newcomers])
    per = rng.integers(1, 5, len(nat_all))
    who = np.repeat(nat_all, per)
    lo = np.maximum(f.created[who], START)
    ts = lo + (rng.random(len(who)) * (END - lo)).astype(np.int64)
    f.login(who, ts, np.full(len(who), nat_ip, dtype=object),
            np.array([f"{(int(w) * 2654435761) % 2**32:08x}-dev-{int(w) % 7919:04x}" for w in who], dtype=object))
    blend(newcomers, rng.integers(2, 12, len(newcomers)))
    traps.append({"id": "carrier_nat-01", "kind": "carrier_nat", "members": nat_all, "targets": [nat_ip]})

    commenters = organic[rng.choice(n_org, int(min(max(1000, events / 20), 0.7 * n_org)), replace=False)]
    cw = np.repeat(commenters, rng.integers(1, 4, len(commenters)))
    f.event(cw, "comment", _popular(state, rng, len(cw)), _diurnal(rng, len(cw)),
            rng.choice(_SHORT, len(cw),
                       p=(1 / np.arange(1, len(_SHORT) + 1)) / (1 / np.arange(1, len(_SHORT) + 1)).sum()))
    traps.append({"id": "common_comments-01", "kind": "common_comments", "members": commenters,
                  "texts": sorted(_SHORT.tolist())})

    # -- organic background fills the rest --------------------------------------
    so_far = sum(len(e[0]) for e in f.events) + sum(len(r[0]) for r in follow_rows)
    budget = max(0, events - so_far)
    n_follow = int(0.08 * budget)
    immigrants = rng.poisson(popularity / popularity.sum() * (budget - n_follow) * (1 - params["branching"]))
    _hawkes(f, rng, vid_ids, posted, immigrants, params["branching"], activity, organic, budget - n_follow)
    fw = organic[rng.choice(n_org, n_follow, p=activity / activity.sum())]
    follow(fw, organic[rng.choice(n_org, n_follow, p=fame / fame.sum())], _diurnal(rng, n_follow))
    f.own_logins(organic, rng.poisson(np.minimum(1 + np.sqrt(activity), 20)))
    # Organic reports (mostly about popular creators) and the enforcements that follow some.
    n_rep = int(0.03 * events)
    reporters = organic[rng.choice(n_org, n_rep)]
    reported = organic[rng.choice(n_org, n_rep, p=fame / fame.sum())]
    r_ts = _diurnal(rng, n_rep)
    report_rows.append((reporters, reported, r_ts, rng.choice(_POLICIES, n_rep)))
    enforce = rng.random(n_rep) < 0.1
    e_ts = r_ts[enforce] + rng.lognormal(math.log(8 * 3600), 1.0, int(enforce.sum())).astype(np.int64)
    ok = e_ts < END
    outcomes = np.array(["warning", "content_removal", "account_ban"], dtype=object)
    enforcement_rows.append((reported[enforce][ok], rng.choice(outcomes, int(ok.sum()), p=[0.6, 0.35, 0.05]),
                             rng.choice(_POLICIES, int(ok.sum())), e_ts[ok]))

    # -- ids and tables ---------------------------------------------------------------
    created_all = f.created
    account_ids = f.ids.accounts(created_all)
    names = np.concatenate(f.acc_names)
    hostile = rng.choice(len(names), min(len(names), 12), replace=False)
    names[hostile] = np.resize(np.array(_HOSTILE, dtype=object), len(hostile))
    status = np.concatenate(f.acc_status)
    for who, tgt, ts in follow_rows:
        f.event(who, "follow", account_ids[tgt], ts, target_type="account")

    def stamp(ts: np.ndarray) -> np.ndarray:
        ms = rng.integers(0, 1000, len(ts))
        seconds = pd.to_datetime(np.asarray(ts, dtype=np.int64), unit="s")
        base = seconds.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(dtype=object)
        return base + np.char.mod(".%03d+00:00", ms).astype(object)

    tables = {}
    tables["accounts"] = pd.DataFrame({"account_id": account_ids, "created_at": stamp(created_all), "username": names,
                                       "status": status}).iloc[np.argsort(created_all, kind="stable")]
    who = np.concatenate([e[0] for e in f.events])
    ts = np.concatenate([e[3] for e in f.events])
    order = np.argsort(ts, kind="stable")
    tables["events"] = pd.DataFrame({
        "account_id": account_ids[who], "action": np.concatenate([e[1] for e in f.events]),
        "target_id": np.concatenate([np.asarray(e[2], dtype=object) for e in f.events]), "ts": stamp(ts),
        "text": np.concatenate([e[4] for e in f.events]),
        "target_type": np.concatenate([np.full(len(e[0]), e[5], dtype=object) for e in f.events]),
    }).iloc[order]
    r_who = np.concatenate([r[0] for r in report_rows])
    r_ts = np.concatenate([r[2] for r in report_rows])
    tables["reports"] = pd.DataFrame({
        "report_id": f.ids.numbers(len(r_who), "R"), "reporter_id": account_ids[r_who],
        "target_account_id": account_ids[np.concatenate([r[1] for r in report_rows])],
        "policy": np.concatenate([r[3] for r in report_rows]), "ts": stamp(r_ts),
    }).iloc[np.argsort(r_ts, kind="stable")]
    l_ts = np.concatenate([x[1] for x in f.logins])
    tables["logins"] = pd.DataFrame({
        "account_id": account_ids[np.concatenate([x[0] for x in f.logins])], "ts": stamp(l_ts),
        "ip": np.concatenate([x[2] for x in f.logins]), "device_id": np.concatenate([x[3] for x in f.logins]),
        "user_agent": np.concatenate([x[4] for x in f.logins]),
    }).iloc[np.argsort(l_ts, kind="stable")]
    e_ts = np.concatenate([x[3] for x in enforcement_rows])
    tables["enforcements"] = pd.DataFrame({
        "account_id": account_ids[np.concatenate([x[0] for x in enforcement_rows])],
        "action": np.concatenate([x[1] for x in enforcement_rows]),
        "policy": np.concatenate([x[2] for x in enforcement_rows]),
        "ts": stamp(e_ts),
    }).iloc[np.argsort(e_ts, kind="stable")]

    def entry(c: dict) -> dict:
        out = {k: v for k, v in c.items() if k not in ("members", "victims", "enforced")}
        out["accounts"] = _truth_ids(account_ids, c["members"])
        if "victims" in c:
            out["targets"] = _truth_ids(account_ids, c["victims"])
        if "enforced" in c:
            out["targets"] = out["enforced_accounts"] = _truth_ids(account_ids, c["enforced"])
        return {"id": out.pop("id"), "kind": out.pop("kind"), "accounts": out.pop("accounts"), **out}

    truth = {
        "generator": "independent", "seed": int(seed), "scale": int(events), "adaptive": bool(adaptive),
        "start": pd.Timestamp(START, unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end": pd.Timestamp(END, unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
        "parameters": params,
        "campaigns": [entry(c) for c in campaigns], "traps": [entry(t) for t in traps],
        "counts": {name: int(len(frame)) for name, frame in tables.items()},
    }
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, frame in tables.items():
            frame.to_csv(staging / f"{name}.csv", index=False)
        (staging / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return truth


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--adaptive", action="store_true")
    args = parser.parse_args(argv)
    truth = generate(args.out_dir, seed=args.seed, events=args.events, adaptive=args.adaptive)
    print(f"wrote {args.out_dir}: {truth['counts']}, {len(truth['campaigns'])} campaigns, {len(truth['traps'])} traps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
