"""Tests for tsinvest.linking.copy_paste."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tsinvest.exceptions import ParameterError
from tsinvest.linking.copy_paste import copy_paste_edges, near_duplicate_texts
from tsinvest.schemas import EDGE_COLUMNS

SCRIPT = "limited time offer get ten thousand real followers fast visit our page now"
VARIANTS = [
    SCRIPT,
    "LIMITED TIME OFFER get ten thousand real followers fast visit our page now https://a.example/1",
    "limited time 0ffer g3t ten th0usand r3al f0llowers fast visit our page now 🔥🔥",
    # zero-width + Cyrillic
    "lim\u200bited ti\u200dme off\u00ader get ten thousand re\u0430l f\u043ellowers fast visit our page now",
    "limited time offer get ten thousand followers real fast visit our page now",  # word swap
    "limited time offer get ten thousand real followers fast, visit our page today @promo",  # word substituted
]
CAMPAIGN = [f"00000000000000001{i:02d}" for i in range(len(VARIANTS))]
CROWD = [f"{5_000_000_000_000_000_000 + i:019d}" for i in range(400)]


def _events() -> pd.DataFrame:
    rows = []
    for i, (account, text) in enumerate(zip(CAMPAIGN, VARIANTS, strict=True)):
        # each campaign account pushes its variant twice (min_weight=2 needs two matched posts)
        rows.append((account, "comment", text, f"2026-03-{2 + i:02d}T10:00:00Z"))
        rows.append((account, "comment", text, f"2026-03-{12 + i:02d}T10:00:00Z"))
    rng = np.random.default_rng(0)
    common = ["nice", "lol", "🔥🔥🔥", "great video thanks for sharing this with all of us"]
    vocabulary = [
        "cat", "dog", "music", "dance", "recipe", "travel", "beach", "mountain", "coffee", "guitar", "soccer", "movie",
        "city", "river", "garden", "winter", "summer", "camera", "pizza", "bike", "book", "street", "sunset", "puppy",
        "kitchen", "train",
    ]
    for i, account in enumerate(CROWD):
        day = 2 + int(rng.integers(0, 20))
        rows.append((account, "comment", common[i % len(common)], f"2026-03-{day:02d}T12:00:00Z"))
        # every crowd account also writes something of its own
        remark = " ".join(rng.choice(vocabulary, size=8, replace=False))
        rows.append((account, "comment", remark, "2026-03-10T00:00:00Z"))
    # Same script as a like (no text) and as a share action that is not compared.
    rows.append(("0000000000000000999", "share", SCRIPT, "2026-03-03T00:00:00Z"))
    rows.append(("0000000000000000998", "like", None, "2026-03-03T00:00:00Z"))
    frame = pd.DataFrame(rows, columns=["account_id", "action", "text", "ts"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    frame["account_id"] = frame["account_id"].astype("string")
    frame["text"] = frame["text"].astype("string")
    return frame


@pytest.fixture(scope="module")
def edges() -> pd.DataFrame:
    return copy_paste_edges(_events(), progress=False)


def test_contract(edges):
    assert tuple(edges.columns) == EDGE_COLUMNS
    assert (edges["account_a"] < edges["account_b"]).all()
    assert (edges["signal"] == "copy_paste").all()
    assert str(edges["account_a"].dtype) == "string"
    ordered = edges.sort_values(["weight", "account_a", "account_b"], ascending=[False, True, True])
    assert edges.index.equals(ordered.index)


def test_obfuscated_variants_are_all_linked(edges):
    linked = set(map(tuple, edges[["account_a", "account_b"]].values.tolist()))
    expected = {(a, b) for a in CAMPAIGN for b in CAMPAIGN if a < b}
    assert expected <= linked
    # Leading zeros survive.
    assert CAMPAIGN[0] in set(edges["account_a"])


def test_common_phrases_and_short_texts_link_nobody(edges):
    crowd = edges["account_a"].isin(CROWD) | edges["account_b"].isin(CROWD)
    assert not crowd.any()
    assert "0000000000000000999" not in set(edges["account_b"]) | set(edges["account_a"])
    assert edges.attrs["common_texts_excluded"] >= 1
    assert edges.attrs["short_texts_skipped"] == 300  # nice / lol / emoji


def test_common_phrase_repeated_by_each_account_is_kept():
    rows = []
    for i in range(60):
        for day in range(3):  # each account pushes the script three times
            rows.append((f"a{i:02d}", "post", "follow back train everyone join now please", f"2026-03-0{2 + day}"))
    frame = pd.DataFrame(rows, columns=["account_id", "action", "text", "ts"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    edges = copy_paste_edges(frame, progress=False)
    assert len(edges) == 60 * 59 // 2
    assert (edges["weight"] == 3.0).all()
    assert edges.attrs["common_texts_excluded"] == 0
    capped = copy_paste_edges(frame, progress=False, min_repeats_per_account=4.0)
    assert capped.empty and capped.attrs["common_texts_excluded"] == 1


def test_weight_counts_matched_posts_of_the_less_active_side():
    texts = ["first campaign message goes here for everyone", "second campaign message is different entirely yes"]
    frame = pd.DataFrame(
        {
            "account_id": ["x", "y", "x", "y", "x"],
            "action": ["post"] * 5,
            "text": [texts[0], texts[0], texts[1], texts[1], texts[1]],
            "ts": pd.to_datetime(["2026-03-02", "2026-03-04", "2026-03-05", "2026-03-06", "2026-03-09"], utc=True),
        }
    )
    edges = copy_paste_edges(frame, progress=False, max_evidence=1)
    row = edges.iloc[0]
    assert (row["account_a"], row["account_b"], row["weight"]) == ("x", "y", 2.0)
    assert row["first_ts"] == pd.Timestamp("2026-03-02", tz="UTC")
    assert row["last_ts"] == pd.Timestamp("2026-03-09", tz="UTC")
    evidence = json.loads(row["evidence"])
    assert len(evidence) == 1 and evidence[0]["similarity"] == 1.0
    assert evidence[0]["text"] in texts


def test_single_shared_post_needs_min_weight_one():
    text = "anyone else watching this at three in the morning"
    frame = pd.DataFrame({"account_id": ["p", "q"], "action": "comment", "text": text,
                          "ts": pd.to_datetime(["2026-03-02", "2026-03-03"], utc=True)})
    assert copy_paste_edges(frame, progress=False).empty
    assert copy_paste_edges(frame, progress=False, min_weight=1)["weight"].tolist() == [1.0]


def test_unrelated_texts_on_same_topic_do_not_match():
    texts = [
        "this video is so funny i cant stop laughing",
        "omg this video made my day thanks for sharing",
        "great video thanks for posting this for us",
    ]
    assert near_duplicate_texts(texts).empty


def test_deterministic_for_seed_and_row_order():
    events = _events()
    first = copy_paste_edges(events, progress=False, seed=3)
    second = copy_paste_edges(events.sample(frac=1.0, random_state=1), progress=False, seed=3)
    pd.testing.assert_frame_equal(first, second)


def test_hostile_text_does_not_break_anything():
    hostile = [
        "\u202e" * 50 + "reverse me please friend ok now",
        "\x00\x1b[31m null bytes and escapes in text right here",
        "𝕳𝖊𝖑𝖑𝖔 " * 30,
        "",
        "   ",
        "👨\u200d👩\u200d👧" * 40,
        "'; DROP TABLE posts; -- said the attacker in a comment",
    ]
    frame = pd.DataFrame({"account_id": [str(i) for i in range(len(hostile))], "action": "comment", "text": hostile,
                          "ts": pd.to_datetime(["2026-03-02"] * len(hostile), utc=True)})
    both = pd.concat([frame, frame.assign(account_id=frame["account_id"] + "b")])
    edges = copy_paste_edges(both, progress=False, min_weight=1)
    linked = set(map(tuple, edges[["account_a", "account_b"]].values.tolist()))
    assert ("0", "0b") in linked and ("6", "6b") in linked
    assert ("5", "5b") not in linked  # emoji only


def test_parameter_errors():
    with pytest.raises(ParameterError, match="'text'"):
        copy_paste_edges(
            pd.DataFrame({"account_id": ["1"], "action": ["post"], "ts": [pd.Timestamp("2026-03-02", tz="UTC")]})
        )
    with pytest.raises(ParameterError):
        near_duplicate_texts(["a", "b"], threshold=0)


# --- on the committed sample data (tsinvest sample data_samples --seed 7) -----------------

SAMPLES = __import__("pathlib").Path(__file__).resolve().parents[2] / "data_samples"


def test_sample_copy_paste_campaigns_linked_and_organic_text_mostly_not():
    import itertools

    from tsinvest.loading import load_events

    truth = json.loads((SAMPLES / "truth.json").read_text())
    edges = copy_paste_edges(load_events(SAMPLES / "events.csv"), progress=False)
    linked = set(map(tuple, edges[["account_a", "account_b"]].values.tolist()))
    campaigns = [c for c in truth["campaigns"] if c["kind"] == "copy_paste"]
    assert campaigns
    for campaign in campaigns:
        pairs = set(itertools.combinations(sorted(campaign["accounts"]), 2))
        assert pairs <= linked, campaign["id"]
    campaign_accounts = {a for c in campaigns for a in c["accounts"]}
    stray = ~edges["account_a"].isin(campaign_accounts) & ~edges["account_b"].isin(campaign_accounts)
    assert stray.sum() <= 0.05 * len(edges)
    for trap in truth["traps"]:
        members = set(trap["accounts"])
        among = edges["account_a"].isin(members) & edges["account_b"].isin(members)
        assert among.sum() <= len(members) // 10, trap["id"]


def test_no_text_at_all_gives_empty_contract_frame():
    frame = pd.DataFrame({"account_id": pd.array(["1", "2"], dtype="string"), "action": ["like", "comment"],
                          "text": pd.array([None, "ok"], dtype="string"),
                          "ts": pd.to_datetime(["2026-03-02"] * 2, utc=True)})
    edges = copy_paste_edges(frame, progress=False)
    assert edges.empty and tuple(edges.columns) == EDGE_COLUMNS
    assert edges.attrs["distinct_texts"] == 0 and edges.attrs["short_texts_skipped"] == 1


# --- the array MinHash LSH is datasketch's, value for value ------------------------------------------


def _variant_texts(count: int, seed: int) -> list[str]:
    """Distinct texts from a few scripts with random word swaps: many near-duplicates, some unrelated."""
    rng = np.random.default_rng(seed)
    words = ["buy", "cheap", "real", "followers", "likes", "today", "fast", "dm", "me", "for", "our", "page",
             "limited", "offer", "get", "visit", "now"]
    scripts = [" ".join(rng.choice(words, size=12)) for _ in range(5)]
    texts = set()
    while len(texts) < count:
        script = scripts[int(rng.integers(0, len(scripts)))].split()
        for _ in range(int(rng.integers(0, 4))):
            script[int(rng.integers(0, len(script)))] = str(rng.choice(words))
        texts.add(" ".join(script) + ("" if rng.random() < 0.5 else " ключ 🔥"))
    return sorted(texts)


@pytest.mark.parametrize("num_perm, seed", [(128, 1), (64, 9)])
def test_signatures_equal_datasketch_minhash(num_perm, seed):
    from datasketch import MinHash

    from tsinvest.linking.copy_paste import minhash_signatures, text_shingles

    texts = [*_variant_texts(300, seed), "", "ab", "😀 only emoji"]
    ours = minhash_signatures(texts, num_perm=num_perm, seed=seed, batch_shingles=500)  # many batches
    theirs = MinHash.bulk([text_shingles(text, 3) for text in texts], num_perm=num_perm, seed=seed)
    assert ours.dtype == np.uint32 and ours.shape == (len(texts), num_perm)
    np.testing.assert_array_equal(ours, np.vstack([m.hashvalues for m in theirs]).astype(np.uint64))


@pytest.mark.parametrize("threshold", [0.55, 0.8])
def test_near_duplicates_equal_datasketch_lsh_query(threshold):
    from datasketch import MinHash, MinHashLSH

    from tsinvest.linking.copy_paste import text_shingles

    texts = _variant_texts(400, 3)
    signatures = MinHash.bulk([text_shingles(text, 3) for text in texts], num_perm=128, seed=1)
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    for index, signature in enumerate(signatures):
        lsh.insert(index, signature)
    expected = sorted(
        (left, right, float(np.mean(signatures[left].hashvalues == signatures[right].hashvalues)))
        for left, signature in enumerate(signatures)
        for right in lsh.query(signature)
        if right > left
    )
    expected = [row for row in expected if row[2] >= threshold]
    pairs = near_duplicate_texts(texts, threshold=threshold)
    assert len(expected) > 100  # near-duplicates abound, so the comparison means something
    assert [tuple(row) for row in pairs.itertuples(index=False)] == expected


def test_permutations_of_datasketchs_legacy_scheme_too():
    # datasketch before 2.0 has only the "legacy" scheme; 2.x still computes it on request.
    from datasketch import MinHash

    from tsinvest.linking import copy_paste
    from tsinvest.linking.copy_paste import text_shingles

    for text in _variant_texts(20, 5):
        shingles = text_shingles(text, 3)
        theirs = MinHash(num_perm=64, seed=4, scheme="legacy")
        theirs.update_batch(shingles)
        a, b = theirs.permutations
        ours = copy_paste._permuted(copy_paste._shingle_hashes(shingles, {}), "legacy", a, b).min(axis=0)
        np.testing.assert_array_equal(ours, theirs.hashvalues)
