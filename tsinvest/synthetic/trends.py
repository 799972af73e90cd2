"""Planted trends: a report spike in one policy and an emerging dangerous challenge.

Both sit on top of the weekly seasonality (busy Saturdays) of the organic
background, which on its own must not be reported as a trend.

Examples
--------
>>> from tsinvest.synthetic.world import World
>>> from tsinvest.synthetic.organic import build_population
>>> world = World(seed=0)
>>> organic = build_population(world, np.random.default_rng(0), n_accounts=300, n_posts=100)
>>> emerging_hashtag(world, np.random.default_rng(1), organic, factor=1.0)["hashtag"]
'#blackoutchallenge'
"""

from __future__ import annotations

import numpy as np

from tsinvest.synthetic.organic import Organic, add_reports, comment_texts, post_captions
from tsinvest.synthetic.world import DAY, DAYS, END, POLICIES, START, World, iso, weighted_choice

__all__ = ["EMERGING_HASHTAG", "SPIKE_POLICY", "emerging_hashtag", "report_spike"]

EMERGING_HASHTAG = "#blackoutchallenge"
SPIKE_POLICY = "misinformation"
_FIRST_DAY = 15  # Tuesday 2026-03-17: absent for the first two weeks


def emerging_hashtag(world: World, rng: np.random.Generator, organic: Organic, *, factor: float) -> dict:
    """A dangerous-challenge hashtag: absent, then growing about 40% a day.

    ``factor`` scales volume with the sample size (1.0 at ``scale="small"``).
    """
    days = np.arange(_FIRST_DAY, DAYS)
    per_day = np.round(max(1.5, 1.5 * factor) * np.exp(0.33 * (days - _FIRST_DAY))).astype(int)
    day = np.repeat(days, per_day)
    n = len(day)
    ts = START + day * DAY + rng.integers(0, DAY, n)
    creators = organic.accounts[weighted_choice(rng, n, organic.activity)]
    content = world.add_content(creators, ts)
    ids = world.content_ids[content]
    world.add_events(creators, "post", ids, ts, text=post_captions(rng, n, extra_hashtag=EMERGING_HASHTAG))
    # Each challenge video draws a few shares and comments in the following hours.
    reactions = rng.poisson(3.0, n)
    video = np.repeat(np.arange(n), reactions)
    m = len(video)
    react_ts = np.minimum(ts[video] + rng.exponential(4 * 3600, m).astype(np.int64), END - 1)
    who = organic.accounts[weighted_choice(rng, m, organic.activity)]
    action = np.where(rng.random(m) < 0.5, "share", "comment").astype(object)
    text = np.full(m, None, dtype=object)
    comment = action == "comment"
    base = comment_texts(rng, int(comment.sum()), common_share=0.3)
    mention = rng.random(len(base)) < 0.3
    base[mention] = np.array([f"{t} {EMERGING_HASHTAG}" for t in base[mention]], dtype=object)
    text[comment] = base
    world.add_events(who, action, ids[video], react_ts, text=text)
    # A few users report the challenge videos.
    reported = np.flatnonzero(rng.random(n) < 0.1)
    if len(reported):
        reporters = organic.accounts[rng.integers(0, len(organic.accounts), len(reported))]
        world.add_reports(reporters, creators[reported], "dangerous_challenge",
                          np.minimum(ts[reported] + rng.integers(600, 6 * 3600, len(reported)), END - 1), ids[reported])
    return {"hashtag": EMERGING_HASHTAG, "start": iso(np.array([START + _FIRST_DAY * DAY]))[0], "posts": int(n)}


def report_spike(world: World, rng: np.random.Generator, organic: Organic, *, baseline_reports: int) -> dict:
    """About five times the usual rate of one policy's reports for 36 hours."""
    start = START + 18 * DAY + 6 * 3600
    end = start + 36 * 3600
    baseline_per_hour = baseline_reports * 0.12 / (DAYS * 24)
    n = int(round(baseline_per_hour * 36 * 4))
    one_hot = np.array([1.0 if p == SPIKE_POLICY else 0.0 for p in POLICIES])
    add_reports(world, rng, organic, n, policy_p=one_hot, start=start, end=end)
    return {"policy": SPIKE_POLICY, "start": iso(np.array([start]))[0], "end": iso(np.array([end]))[0], "reports": n}
