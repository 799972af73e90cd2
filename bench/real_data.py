"""Run ``detect`` on a REAL public, anonymised coordinated-behaviour dataset (data not committed).

Two datasets ship with the CooRTweet R package (MIT licence,
https://github.com/nicolarighetti/CooRTweet, folder ``data/``):

* ``russian_coord_tweets.rda`` - 35,125 retweets (pro-government Russian
  Twitter, 2021; Kulichkina, Righetti & Waldherr 2024), ids hashed with
  SHA-256: ``object_id`` (retweeted tweet), ``account_id``, ``content_id``,
  ``timestamp_share`` (epoch seconds);
* ``german_elections.rda`` - 218,971 Facebook and Twitter posts of the 2021
  German election campaign (Righetti et al. 2022): ``account_id``,
  ``post_id``, anonymised ``url_id``, ``hashtag_id``, ``domain_id``,
  ``phash_id`` (image hash), ``timestamp``.

Usage::

    python bench/real_data.py PATH/russian_coord_tweets.rda --out bench/out/real_russian
    python bench/real_data.py PATH/german_elections.rda --out bench/out/real_german [--window auto]
    python bench/real_data.py events.csv --out DIR        # a CSV with the same columns as one of the above

It maps the dataset to the canonical ``events`` table (a retweet or a shared
URL/image is a ``share`` of that object; ids kept as text, platform prefix
kept), writes ``events.csv`` into ``--out`` (never next to the input), runs
:func:`tsinvest.detect.detect` and prints what it finds: clusters and flagged
accounts per kind, the largest clusters, time per run. There is no ground
truth; the point is what ``detect`` does on real timing (many actions in the
same second, heavy sharers, popular objects). Reading ``.rda`` needs the
``rdata`` package (MIT; ``pip install rdata``); a CSV needs nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

import pandas as pd


def read_dataset(path: Path) -> pd.DataFrame:
    """The dataset as one frame (from ``.rda`` through ``rdata``, or CSV with ids as text)."""
    if path.suffix.lower() in (".rda", ".rdata"):
        import warnings

        import rdata

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frames = rdata.read_rda(str(path))
        return next(iter(frames.values())).reset_index(drop=True)
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def to_events(frame: pd.DataFrame) -> pd.DataFrame:
    """Canonical events: one ``share`` per retweet, shared URL or shared image."""
    columns = set(frame.columns)
    if {"object_id", "account_id", "timestamp_share"} <= columns:
        events = pd.DataFrame({
            "account_id": frame["account_id"].astype(str),
            "action": "share",
            "target_id": "tweet:" + frame["object_id"].astype(str),
            "ts": pd.to_datetime(frame["timestamp_share"].astype(float), unit="s", utc=True),
            "target_type": "tweet",
        })
    elif {"account_id", "timestamp"} <= columns and ({"url_id", "phash_id"} & columns):
        parts = []
        for column, prefix in (("url_id", "url:"), ("phash_id", "image:")):
            if column not in columns:
                continue
            rows = frame[frame[column].notna() & (frame[column].astype(str) != "")]
            parts.append(pd.DataFrame({
                "account_id": rows["account_id"].astype(str), "action": "share",
                "target_id": prefix + rows[column].astype("Int64").astype(str),
                "ts": pd.to_datetime(rows["timestamp"].astype(float), unit="s", utc=True),
                "target_type": prefix[:-1],
            }))
        events = pd.concat(parts, ignore_index=True)
    else:
        raise SystemExit("unknown dataset: expected the columns of russian_coord_tweets or german_elections")
    return events.sort_values(["ts", "account_id", "target_id"], kind="stable").reset_index(drop=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path, help="the dataset file (.rda or .csv); it is only read")
    parser.add_argument("--out", type=Path, required=True, help="folder for the canonical events.csv")
    parser.add_argument("--window", default=None, help="co-action window in seconds or 'auto' (default: detect's)")
    args = parser.parse_args(argv)

    from tsinvest.detect import detect

    frame = read_dataset(args.path)
    events = to_events(frame)
    args.out.mkdir(parents=True, exist_ok=True)
    out = events.assign(ts=events["ts"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    out.to_csv(args.out / "events.csv", index=False)
    same_second = events.duplicated(["target_id", "ts"], keep=False).mean()
    per_target = events.groupby("target_id")["account_id"].nunique()
    print(f"dataset         {args.path.name}: {len(frame):,} rows -> {len(events):,} share events, "
          f"{events['account_id'].nunique():,} accounts, {events['target_id'].nunique():,} objects")
    print(f"time span       {events['ts'].min()} .. {events['ts'].max()}")
    print(f"shape           {same_second:.1%} of shares have another share of the same object in the same second; "
          f"most shared object {per_target.max():,} accounts")
    window = None if args.window is None else (args.window if args.window == "auto" else float(args.window))
    started = time.perf_counter()
    try:
        result = detect(args.out, seed=0, window=window, progress=False)
    except Exception as error:  # report what a user would see
        print(f"detect          FAILED after {time.perf_counter() - started:.1f} s: {type(error).__name__}: {error}")
        traceback.print_exc(limit=3)
        return 1
    took = time.perf_counter() - started
    members = result.memberships
    flagged = members[members["flagged"].astype(bool)]
    print(f"detect          {took:.1f} s, window {result.parameters.get('window')}")
    print(f"clusters        {len(result.clusters)} ({int(result.clusters['flagged'].astype(bool).sum())} flagged)")
    print("flagged         " + (", ".join(f"{k} {v}" for k, v in flagged.groupby("kind")["account_id"].nunique().items())
                               or "none"))
    print(f"share flagged   {flagged['account_id'].nunique() / events['account_id'].nunique():.1%} of accounts")
    if len(result.clusters):
        top = result.clusters.sort_values("size", ascending=False).head(8)
        print(top[["cluster_id", "kind", "size", "score", "flagged"]].to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
