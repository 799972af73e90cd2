"""Tests for tsinvest.linking.same_operator."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsinvest.exceptions import ParameterError
from tsinvest.linking.same_operator import COMPARISONS, DEFAULT_M_PROBABILITIES, same_operator_links

START = pd.Timestamp("2026-03-02T00:00Z")


def _world(seed: int = 0):
    """400 organic accounts, a farm of 8 on two phones, a banned account and its evader."""
    rng = np.random.default_rng(seed)
    words = ["sun", "moon", "river", "cat", "maria", "tom", "dance", "pixel", "nova", "luna", "kiwi", "jade"]
    rows, logins = [], []
    for i in range(400):
        account = f"{7_200_000_000_000_000_000 + i:019d}"
        name = f"{rng.choice(words)}{rng.choice(words)}{'' if rng.random() < 0.5 else rng.integers(1, 99)}"
        created = START - pd.Timedelta(days=int(rng.integers(30, 900)), hours=int(rng.integers(0, 24)))
        rows.append((account, created, name, name.title()))
        logins.append((account, f"dev-{i}", f"10.{i // 250}.{i % 250}.1", START))
        logins.append((account, f"dev-{i}", "100.64.0.1", START))  # carrier NAT shared by all
    farm = [f"00{i:017d}" for i in range(1, 9)]
    for i, account in enumerate(farm):
        rows.append((account, START + pd.Timedelta(minutes=7 * i), f"user_{48213 + 91 * i}", "Anna Lee"))
        logins.append((account, f"farm-phone-{i % 2}", "198.51.100.7", START + pd.Timedelta(days=1)))
    rows.append(("0000000000000000900", START - pd.Timedelta(days=400), "spam_king", "King"))
    logins.append(("0000000000000000900", "evader-phone", "203.0.113.9", START))
    rows.append(("0000000000000000901", START + pd.Timedelta(days=10), "spam_k1ng", "K1ng"))
    logins.append(("0000000000000000901", "evader-phone", "203.0.113.77", START + pd.Timedelta(days=10)))
    accounts = pd.DataFrame(rows, columns=["account_id", "created_at", "username", "display_name"])
    logins = pd.DataFrame(logins, columns=["account_id", "device_id", "ip", "ts"])
    enforcements = pd.DataFrame(
        {"account_id": ["0000000000000000900", farm[0]], "action": ["ban", "warn"], "policy": "spam",
         "ts": [START + pd.Timedelta(days=3), START + pd.Timedelta(days=2)]}
    )
    for frame in (accounts, logins, enforcements):
        frame["account_id"] = frame["account_id"].astype("string")
    return accounts, logins, enforcements, farm


@pytest.fixture(scope="module")
def world():
    return _world()


@pytest.fixture(scope="module")
def links(world):
    accounts, logins, enforcements, _ = world
    return same_operator_links(accounts, logins, enforcements)


def test_contract_and_order(links):
    assert (links["account_a"] < links["account_b"]).all()
    assert str(links["account_a"].dtype) == "string"
    assert set(COMPARISONS) <= set(links.columns)
    ordered = links.sort_values(["match_probability", "match_weight", "account_a", "account_b"],
                                ascending=[False, False, True, True])
    assert links.index.equals(ordered.index)
    assert links["match_probability"].between(0, 1).all()
    assert (links["match_probability"] >= 0.05).all()


def test_farm_pairs_score_high_and_nat_does_not_link(world, links):
    _, _, _, farm = world
    strong = set(map(tuple, links.loc[links["match_probability"] > 0.9, ["account_a", "account_b"]].values.tolist()))
    assert set(itertools.combinations(sorted(farm), 2)) <= strong
    organic = ~links["account_a"].str.startswith("00") & ~links["account_b"].str.startswith("00")
    assert (links.loc[organic, "match_probability"] < 0.5).all()
    assert links.attrs["candidate_pairs"] >= len(links)
    assert links.attrs["u_probabilities"]["shared_device"] < 0.01


def test_more_agreement_means_higher_weight(links, world):
    _, _, _, farm = world
    same_phone = links[(links["account_a"] == farm[0]) & (links["account_b"] == farm[2])].iloc[0]
    other_phone = links[(links["account_a"] == farm[0]) & (links["account_b"] == farm[1])].iloc[0]
    assert same_phone["shared_device"] == 1 and other_phone["shared_device"] == 0
    assert same_phone["match_weight"] > other_phone["match_weight"]


def test_ban_evader_is_flagged(links):
    flagged = links[links["ban_evasion_candidate"]]
    pairs = flagged[["enforced_account", "new_account"]].values.tolist()
    assert pairs == [["0000000000000000900", "0000000000000000901"]]
    # a warning is not a ban: the farm is not flagged although farm[0] was warned
    assert flagged["new_account"].str.startswith("0000000000000000001").sum() == 0


def test_without_enforcements_nothing_is_flagged(world):
    accounts, logins, _, _ = world
    links = same_operator_links(accounts, logins)
    assert not links["ban_evasion_candidate"].any()
    assert links["enforced_account"].isna().all()


def test_deterministic_for_seed(world):
    accounts, logins, enforcements, _ = world
    first = same_operator_links(accounts, logins, enforcements, seed=5)
    second = same_operator_links(accounts.sample(frac=1, random_state=2), logins, enforcements, seed=5)
    pd.testing.assert_frame_equal(first, second)
    assert first.attrs == second.attrs


def test_parameter_errors(world):
    accounts, logins, _, _ = world
    with pytest.raises(ParameterError, match="'username'"):
        same_operator_links(accounts.drop(columns="username"), logins)
    with pytest.raises(ParameterError, match="unknown comparison"):
        same_operator_links(accounts, logins, m_probabilities={"shoe_size": 0.5})
    with pytest.raises(ParameterError, match="strictly between"):
        same_operator_links(accounts, logins, m_probabilities={"shared_ip": 1.0})


def test_sample_farms_are_same_operator():
    samples = Path(__file__).resolve().parents[2] / "data_samples"
    from tsinvest.loading import load_accounts, load_enforcements, load_logins

    truth = json.loads((samples / "truth.json").read_text())
    links = same_operator_links(
        load_accounts(samples / "accounts.csv"), load_logins(samples / "logins.csv"),
        load_enforcements(samples / "enforcements.csv"),
    )
    strong = set(map(tuple, links.loc[links["match_probability"] >= 0.5, ["account_a", "account_b"]].values.tolist()))
    farm_pairs = {
        p for c in truth["campaigns"] if c["kind"] == "farm" for p in itertools.combinations(sorted(c["accounts"]), 2)
    }
    assert farm_pairs <= strong
    assert len(strong - farm_pairs) <= 0.05 * len(farm_pairs)


def test_u_counts_every_random_draw_and_tiny_inputs_work():
    accounts = pd.DataFrame({"account_id": pd.array(["1", "2", "3"], dtype="string"),
                             "created_at": pd.to_datetime(["2026-01-01"] * 3, utc=True),
                             "username": ["a", "bb", "ccc"], "display_name": [None, None, None]})
    logins = pd.DataFrame({"account_id": pd.array([], dtype="string"), "device_id": pd.array([], dtype="string"),
                           "ip": pd.array([], dtype="string"), "ts": pd.to_datetime([], utc=True)})
    links = same_operator_links(accounts, logins, random_pairs=1000)
    assert links.empty and links.attrs["candidate_pairs"] == 0
    assert links.attrs["u_probabilities"]["shared_device"] == pytest.approx(0.5 / 1001, abs=1e-6)
    assert links.attrs["u_probabilities"]["created_close"] > 0.99
    assert same_operator_links(accounts.iloc[:1], logins).empty


def test_default_m_probabilities_cannot_be_changed_by_a_caller():
    with pytest.raises(TypeError):
        DEFAULT_M_PROBABILITIES["shared_device"] = 0.99  # type: ignore[index]
    assert DEFAULT_M_PROBABILITIES["shared_device"] == 0.7


def test_the_next_number_of_a_banned_name_links_where_its_shape_would_not():
    """A banned ``sunnyvibe27`` returns as ``sunnyvibe84`` from the same home IP. Sixty organic names have the
    same shape (nine letters, two digits), so a shape template would be too common to count; the stem is not."""
    accounts, logins, enforcements, _ = _world()
    syllables = ["sun", "ray", "kit", "bop", "lux", "mar"]
    organic = [f"{a}{b}{c}{i:02d}" for i, (a, b, c) in enumerate(itertools.product(syllables, repeat=3))][:60]
    extra = pd.DataFrame({"account_id": [f"{7_300_000_000_000_000_000 + i:019d}" for i in range(60)],
                          "created_at": START - pd.Timedelta(days=200), "username": organic,
                          "display_name": "Someone"})
    returner = pd.DataFrame({"account_id": ["0000000000000000950", "0000000000000000951"],
                             "created_at": [START - pd.Timedelta(days=300), START + pd.Timedelta(days=12)],
                             "username": ["sunnyvibe27", "sunnyvibe84"], "display_name": ["Sunny", "Vibes"]})
    accounts = pd.concat([accounts, extra, returner], ignore_index=True).astype({"account_id": "string"})
    logins = pd.concat([logins, pd.DataFrame({
        "account_id": ["0000000000000000950", "0000000000000000951"], "device_id": ["p-old", "p-new"],
        "ip": ["192.0.2.44", "192.0.2.44"], "ts": [START, START + pd.Timedelta(days=12)]})], ignore_index=True)
    enforcements = pd.concat([enforcements, pd.DataFrame({
        "account_id": ["0000000000000000950"], "action": ["ban"], "policy": ["spam"],
        "ts": [START + pd.Timedelta(days=5)]})], ignore_index=True).astype({"account_id": "string"})
    links = same_operator_links(accounts, logins, enforcements)
    pair = links[(links["account_a"] == "0000000000000000950") & (links["account_b"] == "0000000000000000951")]
    assert len(pair) == 1 and pair["same_username_template"].iloc[0] == 1
    assert pair["match_probability"].iloc[0] >= 0.5 and bool(pair["ban_evasion_candidate"].iloc[0])
    shape_only = links[links["account_a"].str.startswith("73") & links["account_b"].str.startswith("73")]
    assert shape_only.empty
