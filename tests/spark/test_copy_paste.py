"""Copy-paste candidates: the local normalisation, signatures, banding and joins, on Spark; the same table."""

from __future__ import annotations

import json

import pandas as pd

from tsinvest.linking.copy_paste import copy_paste_edges, lsh_bands

SCRIPT = "limited time offer get ten thousand real followers fast visit our page now"
VARIANTS = [
    SCRIPT,
    "LIMITED TIME OFFER get ten thousand real followers fast visit our page now https://a.example/1",
    "limited time 0ffer g3t ten th0usand r3al f0llowers fast visit our page now 🔥🔥",
    "lim\u200bited ti\u200dme off\u00ader get ten thousand re\u0430l f\u043ellowers fast visit our page now",
    "limited time offer get ten thousand followers real fast visit our page now",
    'limited time offer get ten thousand real followers fast, visit our "page" today \x01 ünïcode',
]
OTHERS = [
    "what a lovely dog, made my day",
    "nice",
    "the river walk at sunset with my camera and a coffee was the best part of the trip",
    "the river walk at sunset with my camera and a tea was the best part of the trip",
]


def events() -> pd.DataFrame:
    rows = []
    for i, text in enumerate(VARIANTS):
        for day in (2, 12):
            rows.append((f"00000000000000001{i:02d}", "comment", text, f"2026-03-{day + i:02d}T10:00:00Z"))
    for i, text in enumerate(OTHERS * 3):
        rows.append((f"9{i % 5}", "post" if i % 2 else "comment", text, f"2026-03-{1 + i:02d}T08:00:00.000001Z"))
    rows.append(("77", "like", SCRIPT, "2026-03-03T10:00:00Z"))  # not a text action
    rows.append(("78", "comment", None, "2026-03-03T10:00:00Z"))
    frame = pd.DataFrame(rows, columns=["account_id", "action", "text", "ts"])
    frame = frame.astype({"account_id": "string", "action": "string", "text": "string"})
    return frame.assign(ts=pd.to_datetime(frame["ts"], utc=True, format="ISO8601"))


def test_both_engines_link_the_campaign_and_escape_the_evidence(linking):
    edges = linking.copy_paste_edges(events(), min_weight=1, progress=False)
    campaign = {f"00000000000000001{i:02d}" for i in range(len(VARIANTS))}
    linked = set(edges["account_a"]) | set(edges["account_b"])
    assert campaign <= linked and "77" not in linked and "78" not in linked
    assert {"90", "91", "92", "93", "94"} & linked  # the two river posts are near-duplicates
    assert edges.attrs["distinct_texts"] >= len(VARIANTS)
    texts = [record["text"] for evidence in edges["evidence"] for record in json.loads(evidence)]
    hostile = [evidence for evidence in edges["evidence"] if "ünïcode" in evidence]
    assert hostile and all('\\"page\\"' in e and "\\u0001" in e for e in hostile)  # quote and control escaped
    assert all(len(text) <= 160 for text in texts)


def test_spark_equals_local_exactly(spark):
    from tsinvest.spark import copy_paste_edges as spark_edges

    frame = events()
    for options in (
        {"min_weight": 1},
        {"threshold": 0.55, "min_tokens": 8, "max_accounts_per_text": 2, "seed": 3},
        {"action": None, "num_perm": 64, "max_evidence": 1, "shingle_size": 4},
    ):
        expected = copy_paste_edges(frame, progress=False, **options)
        result = spark_edges(frame, spark=spark, **options).to_pandas()
        pd.testing.assert_frame_equal(result, expected, check_exact=True)
        assert result.attrs == expected.attrs
        assert len(expected)


def test_the_banding_is_datasketchs():
    from datasketch import MinHashLSH

    bands = lsh_bands(0.55, 128)
    lsh = MinHashLSH(threshold=0.55, num_perm=128)
    assert len(bands) == lsh.b and all(end - start == lsh.r for start, end in bands)
