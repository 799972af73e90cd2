"""A small, hand-made investigation: two rings, one organic pair, hostile usernames."""

from __future__ import annotations

import pandas as pd
import pytest

from tsinvest.widgets.filters import explorer_data

HOSTILE = "<img src=x onerror=alert(1)>"


def _ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def make_tables() -> dict[str, pd.DataFrame]:
    ids = [f"{n:019d}" for n in range(1, 10)]  # leading zeros must survive
    accounts = pd.DataFrame({
        "account_id": pd.array(ids, dtype="string"),
        "username": pd.array(["ring_a1", "ring_a2", "ring_a3", HOSTILE, "ring_b2", "ring_b3", "org1", "org2",
                              "Dai1y_News"], dtype="string"),
        "country": pd.array(["BR", "BR", "MX", "MX", "MX", "MX", "US", "US", "US"], dtype="string"),
        "created_at": pd.to_datetime(["2026-01-01T00:00:00Z"] * 9, utc=True),
    })
    a = ids
    edges = pd.DataFrame({
        "account_a": pd.array([a[0], a[0], a[1], a[3], a[3], a[4], a[6]], dtype="string"),
        "account_b": pd.array([a[1], a[2], a[2], a[4], a[5], a[5], a[7]], dtype="string"),
        "signal": pd.array(["coaction", "coaction", "shared_device", "co_report", "co_report", "co_report",
                            "coaction"], dtype="string"),
        "weight": [9.0, 7.0, 2.0, 3.0, 1.0, 1.0, 1.0],
        "first_ts": [_ts("2026-03-02T10:00:00Z")] * 3 + [_ts("2026-03-20T10:00:00Z")] * 3 + [_ts("2026-03-05")],
        "last_ts": [_ts("2026-03-03T10:00:00Z")] * 3 + [_ts("2026-03-21T10:00:00Z")] * 3 + [_ts("2026-03-05")],
        "evidence": pd.array(["videos v1; v2", "videos v1", "device d1", "reported 0000000000000000009",
                              "<script>alert(2)</script>", "x", "v9"], dtype="string"),
    })
    memberships = pd.DataFrame({
        "account_id": pd.array(a[:3] + a[3:6] + a[6:8], dtype="string"),
        "cluster_id": pd.array(["amp-1"] * 3 + ["rep-1"] * 3 + ["org-1"] * 2, dtype="string"),
    })
    clusters = pd.DataFrame({"cluster_id": ["amp-1", "rep-1", "org-1"], "kind": ["amplification", "mass_report", "x"],
                             "score": [0.9, 0.7, 0.1]})
    events = pd.DataFrame({
        "account_id": pd.array([a[0], a[1], a[2], a[0], a[1], a[6], a[0]], dtype="string"),
        "action": pd.array(["share", "share", "share", "like", "like", "like", "post"], dtype="string"),
        "target_id": pd.array(["v1", "v1", "v1", "v2", "v2", "v2", "v3"], dtype="string"),
        "ts": pd.to_datetime(["2026-03-02T10:00:00Z", "2026-03-02T10:00:01Z", "2026-03-02T10:00:02Z",
                              "2026-03-02T12:00:00Z", "2026-03-02T12:00:03Z", "2026-03-02T12:30:00Z",
                              "2026-03-10T00:00:00Z"], utc=True),
    })
    reports = pd.DataFrame({
        "report_id": pd.array(["r1", "r2", "r3"], dtype="string"),
        "reporter_id": pd.array([a[3], a[4], a[6]], dtype="string"),
        "target_account_id": pd.array([a[8], a[8], a[0]], dtype="string"),
        "policy": pd.array(["harassment", "harassment", "spam"], dtype="string"),
        "ts": pd.to_datetime(["2026-03-20T10:00:00Z", "2026-03-20T10:00:02Z", "2026-03-02T00:00:00Z"], utc=True),
    })
    return {"accounts": accounts, "edges": edges, "memberships": memberships, "clusters": clusters,
            "events": events, "reports": reports, "ids": a}


@pytest.fixture()
def tables() -> dict[str, pd.DataFrame]:
    return make_tables()


@pytest.fixture()
def data(tables):
    return explorer_data(tables["accounts"], tables["edges"], tables["memberships"], clusters=tables["clusters"],
                         events=tables["events"], reports=tables["reports"])
