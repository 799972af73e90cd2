"""Tests for tsinvest.linking.shared_attributes."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from tsinvest.exceptions import ParameterError
from tsinvest.linking.shared_attributes import shared_attribute_edges, value_weight
from tsinvest.schemas import EDGE_COLUMNS

FARM = ["0000000000000000101", "0000000000000000102", "0000000000000000103"]
NAT_USERS = [f"9{i:018d}" for i in range(300)]


def _logins() -> pd.DataFrame:
    rows = []
    # A farm: three accounts on one phone, two of them also on one home IP.
    for i, account in enumerate(FARM):
        rows.append((account, "dev-farm", "198.51.100.7" if i < 2 else "203.0.113.5", f"2026-03-0{2 + i}T10:00:00Z"))
    # Carrier NAT: 300 unrelated accounts behind one IP, each on their own phone.
    for i, account in enumerate(NAT_USERS):
        rows.append((account, f"dev-{i}", "100.64.0.1", "2026-03-05T12:00:00Z"))
    # A pair sharing a device also used by 40 accounts (a shared kiosk tablet).
    for i in range(40):
        rows.append((f"7{i:018d}", "dev-kiosk", None, "2026-03-06T08:00:00Z"))
    frame = pd.DataFrame(rows, columns=["account_id", "device_id", "ip", "ts"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    frame["account_id"] = frame["account_id"].astype("string")
    return frame


def test_output_contract():
    edges = shared_attribute_edges(_logins())
    assert tuple(edges.columns) == EDGE_COLUMNS
    assert (edges["account_a"] < edges["account_b"]).all()
    assert str(edges["account_a"].dtype) == "string"
    assert str(edges["first_ts"].dtype) == "datetime64[ns, UTC]"
    ordered = edges.sort_values(["weight", "account_a", "account_b", "signal"], ascending=[False, True, True, True])
    assert edges.index.equals(ordered.index)
    # Leading zeros of 19-digit ids survive.
    assert set(FARM) <= set(edges["account_a"]) | set(edges["account_b"])


def test_rare_device_outweighs_common_value_and_hub_is_excluded():
    edges = shared_attribute_edges(_logins())
    farm = edges[(edges["account_a"] == FARM[0]) & (edges["account_b"] == FARM[1])]
    assert set(farm["signal"]) == {"shared_device_id", "shared_ip"}
    device_weight = farm.loc[farm["signal"] == "shared_device_id", "weight"].item()
    assert device_weight == pytest.approx(value_weight(3))
    kiosk = edges[edges["account_a"].str.startswith("7")]
    assert len(kiosk) == 40 * 39 // 2
    assert (kiosk["weight"] < device_weight).all()
    assert kiosk["weight"].iloc[0] == pytest.approx(value_weight(40))
    # The NAT IP links nobody and is reported as one excluded hub.
    nat = edges["account_a"].isin(NAT_USERS) | edges["account_b"].isin(NAT_USERS)
    assert not nat.any()
    assert edges.attrs["hub_values_excluded"] == {"device_id": 0, "ip": 1}
    assert edges.attrs["accounts_seen"] == 3 + 300 + 40


def test_raising_the_cap_links_the_nat_weakly():
    edges = shared_attribute_edges(_logins(), attributes=("ip",), max_accounts_per_value=1000)
    nat = edges[edges["account_a"].isin(NAT_USERS)]
    assert len(nat) == 300 * 299 // 2
    farm_ip = edges[(edges["account_a"] == FARM[0]) & (edges["account_b"] == FARM[1])]["weight"].item()
    assert farm_ip > 5 * nat["weight"].max()
    assert edges.attrs["hub_values_excluded"] == {"ip": 0}


def test_weight_sums_over_shared_values_and_evidence_lists_them():
    logins = pd.DataFrame(
        {
            "account_id": ["a", "b", "a", "b", "a", "b", "c"],
            "device_id": ["d1", "d1", "d2", "d2", "d3", "d3", "d3"],
            "ts": pd.to_datetime(
                ["2026-03-02", "2026-03-09", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-05", "2026-03-20"],
                utc=True,
            ),
        }
    )
    edges = shared_attribute_edges(logins, attributes=("device_id",), max_evidence=2)
    ab = edges[(edges["account_a"] == "a") & (edges["account_b"] == "b")].iloc[0]
    assert ab["weight"] == pytest.approx(2 * value_weight(2) + value_weight(3))
    assert ab["first_ts"] == pd.Timestamp("2026-03-02", tz="UTC")
    assert ab["last_ts"] == pd.Timestamp("2026-03-09", tz="UTC")
    evidence = json.loads(ab["evidence"])
    assert evidence == [{"value": "d1", "accounts": 2}, {"value": "d2", "accounts": 2}]
    assert edges.iloc[0]["account_a"] == "a"  # heaviest edge first


def test_min_weight_and_missing_values():
    logins = pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "d", "e", "f"],
            "email_hash": ["h1", "h1", None, "", "  ", "h2"],
            "ts": pd.to_datetime(["2026-03-02"] * 6, utc=True),
        }
    )
    edges = shared_attribute_edges(logins, attributes=("email_hash",))
    assert edges[["account_a", "account_b"]].values.tolist() == [["a", "b"]]
    assert shared_attribute_edges(logins, attributes=("email_hash",), min_weight=2.0).empty


def test_no_time_column_and_own_connection():
    accounts = pd.DataFrame({"account_id": ["x", "y"], "avatar_hash": ["p", "p"]})
    con = duckdb.connect()
    edges = shared_attribute_edges(accounts, attributes=("avatar_hash",), time=None, connection=con)
    assert edges["signal"].tolist() == ["shared_avatar_hash"]
    assert edges["first_ts"].isna().all()
    assert con.execute("SELECT 1").fetchall() == [(1,)]  # caller's connection left open
    con.close()


def test_empty_result_has_contract_columns():
    logins = pd.DataFrame(
        {"account_id": ["a"], "device_id": ["d"], "ip": ["i"], "ts": pd.to_datetime(["2026-03-02"], utc=True)}
    )
    edges = shared_attribute_edges(logins)
    assert edges.empty and tuple(edges.columns) == EDGE_COLUMNS
    assert edges.attrs["hub_values_excluded"] == {"device_id": 0, "ip": 0}


def test_missing_columns_are_all_reported_without_values():
    logins = pd.DataFrame({"user": ["secret-account-1"], "ts": pd.to_datetime(["2026-03-02"], utc=True)})
    with pytest.raises(ParameterError) as error:
        shared_attribute_edges(logins)
    message = str(error.value)
    assert "'account_id'" in message and "'device_id'" in message and "'ip'" in message
    assert "secret-account-1" not in message


def test_deterministic_and_independent_of_row_order():
    logins = _logins()
    first = shared_attribute_edges(logins)
    second = shared_attribute_edges(logins.sample(frac=1.0, random_state=3))
    pd.testing.assert_frame_equal(first, second)


# --- on the committed sample data (tsinvest sample data_samples --seed 7) -----------------

SAMPLES = __import__("pathlib").Path(__file__).resolve().parents[2] / "data_samples"


def test_sample_farms_linked_and_carrier_nat_not():
    import itertools

    from tsinvest.loading import load_logins

    truth = json.loads((SAMPLES / "truth.json").read_text())
    edges = shared_attribute_edges(load_logins(SAMPLES / "logins.csv"))
    linked = set(map(tuple, edges[["account_a", "account_b"]].values.tolist()))
    farms = [c for c in truth["campaigns"] if c["kind"] == "farm"]
    assert farms
    for farm in farms:
        pairs = set(itertools.combinations(sorted(farm["accounts"]), 2))
        assert pairs <= linked, farm["id"]
    for trap in (t for t in truth["traps"] if t["kind"] == "carrier_nat"):
        members = set(trap["accounts"])
        among = edges[edges["account_a"].isin(members) & edges["account_b"].isin(members)]
        nat_ips = set(trap.get("targets", []))
        assert not any(item["value"] in nat_ips for text in among["evidence"] for item in json.loads(text))
        # at most a stray coincidence, never the trap glued together
        assert len(among) <= len(members) // 10
    assert edges.attrs["hub_values_excluded"]["ip"] >= 1


def test_hostile_values_round_trip_through_evidence_json():
    hostile = 'dev"\\\u202e\u200b\n\'; DROP TABLE x; --'
    logins = pd.DataFrame({"account_id": ["1", "2"], "device_id": [hostile, hostile],
                           "ts": pd.to_datetime(["2026-03-02", "2026-03-03"], utc=True)})
    edges = shared_attribute_edges(logins, attributes=("device_id",))
    assert json.loads(edges["evidence"].iloc[0]) == [{"value": hostile, "accounts": 2}]


def test_odd_column_names_are_quoted():
    logins = pd.DataFrame(
        {"user id": ["1", "2"], 'pay"ment': ["p", "p"], "when": pd.to_datetime(["2026-03-02"] * 2, utc=True)}
    )
    edges = shared_attribute_edges(logins, attributes=('pay"ment',), actor="user id", time="when")
    assert edges["signal"].tolist() == ['shared_pay"ment']


def test_empty_and_finalised_edges_share_the_producers_contract():
    from tsinvest.linking.edge_tables import empty_edges, finalise_edges

    logins = pd.DataFrame({"account_id": ["2", "1", "3"], "device_id": ["d", "d", "d"],
                           "ts": pd.to_datetime(["2026-03-02", "2026-03-03", "2026-03-04"], utc=True)})
    produced = shared_attribute_edges(logins, attributes=("device_id",))
    assert list(empty_edges().columns) == list(EDGE_COLUMNS)
    assert empty_edges().dtypes.to_dict() == produced.dtypes.to_dict()
    shuffled = produced.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(finalise_edges(shuffled), produced)
