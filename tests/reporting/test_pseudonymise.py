"""Pseudonyms: keyed, stable, collision-checked, and leaving no raw id behind."""

from __future__ import annotations

import json
import re

import networkx as nx
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsinvest.exceptions import MissingKeyError, ParameterError
from tsinvest.reporting.pseudonymise import (
    KINDS,
    MIN_KEY_BYTES,
    Pseudonymiser,
    TextRedactor,
    pseudonymise_frame,
    pseudonymise_graph,
    redact_text,
)

KEY = b"test-key-0123456789abcdef0123456789"
OTHER_KEY = b"another-key-0123456789abcdef012345"


@pytest.fixture
def pseudonymiser() -> Pseudonymiser:
    return Pseudonymiser(KEY)


def test_same_key_same_pseudonym_across_instances_different_key_differs():
    first, again, other = Pseudonymiser(KEY), Pseudonymiser(KEY), Pseudonymiser(OTHER_KEY)
    ids = ["1234567890123456789", "0000000000000000042", "alice"]
    assert [first.pseudonym(i) for i in ids] == [again.pseudonym(i) for i in ids]
    assert all(first.pseudonym(i) != other.pseudonym(i) for i in ids)


def test_known_value_is_stable_across_releases(pseudonymiser):
    # Shared reports are joined across months: the construction must not drift.
    import hashlib
    import hmac

    expected = hmac.new(KEY, b"acct\x001234567890123456789", hashlib.sha256).hexdigest()[:12]
    assert pseudonymiser.pseudonym("1234567890123456789", kind="acct") == "acct_" + expected
    long_key = bytes(range(100))  # longer than the SHA-256 block: RFC 2104 hashes it first
    expected = hmac.new(long_key, "user\x00zoë".encode(), hashlib.sha256).hexdigest()[:16]
    assert Pseudonymiser(long_key, length=16).pseudonym("zoë", kind="user") == "user_" + expected


def test_format_prefix_and_length(pseudonymiser):
    for kind in KINDS:
        assert re.fullmatch(rf"{kind}_[0-9a-f]{{12}}", pseudonymiser.pseudonym("value", kind=kind))
    assert re.fullmatch(r"acct_[0-9a-f]{16}", Pseudonymiser(KEY, length=16).pseudonym("value"))


def test_kind_is_part_of_the_hmac(pseudonymiser):
    account = pseudonymiser.pseudonym("bob", kind="acct")
    username = pseudonymiser.pseudonym("bob", kind="user")
    assert account.split("_")[1] != username.split("_")[1]


def test_unknown_kind_and_bad_length_rejected(pseudonymiser):
    with pytest.raises(ParameterError):
        pseudonymiser.pseudonym("x", kind="nope")
    with pytest.raises(ParameterError):
        Pseudonymiser(KEY, length=4)


def test_email_and_ip_canonical_forms(pseudonymiser):
    assert pseudonymiser.pseudonym(" Bob@Example.ORG", kind="email") == pseudonymiser.pseudonym(
        "bob@example.org", kind="email"
    )
    assert pseudonymiser.pseudonym("2001:db8:0:0:0:0:0:1", kind="ip") == pseudonymiser.pseudonym("2001:db8::1", kind="ip")
    assert pseudonymiser.pseudonym("10.0.0.1", kind="ip") != pseudonymiser.pseudonym("10.0.0.2", kind="ip")


def test_missing_and_empty_values_kept(pseudonymiser):
    out = pseudonymiser.pseudonymise(pd.Series(["1", None, "", "1"], dtype="string"))
    assert out.isna().tolist() == [False, True, False, False]
    assert out[2] == ""
    assert out[0] == out[3] and out[0].startswith("acct_")


@pytest.mark.parametrize("value", [None, "", "   ", "k3y-9f"])
def test_from_env_missing_empty_or_short_key(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("TSINVEST_PSEUDONYM_KEY", raising=False)
    else:
        monkeypatch.setenv("TSINVEST_PSEUDONYM_KEY", value)
    with pytest.raises(MissingKeyError) as error:
        Pseudonymiser.from_env()
    message = str(error.value)
    assert "TSINVEST_PSEUDONYM_KEY" in message
    assert "secrets.token_hex" in message and "from_key_file" in message
    if value and value.strip():
        assert value.strip() not in message


def test_from_env_reads_key(monkeypatch):
    monkeypatch.setenv("MY_KEY", KEY.decode() + "\n")
    assert Pseudonymiser.from_env("MY_KEY").pseudonym("7") == Pseudonymiser(KEY).pseudonym("7")


def test_from_key_file(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_bytes(KEY + b"\n")
    assert Pseudonymiser.from_key_file(key_file).pseudonym("7") == Pseudonymiser(KEY).pseudonym("7")
    with pytest.raises(MissingKeyError):
        Pseudonymiser.from_key_file(tmp_path / "absent")
    (tmp_path / "short").write_bytes(b"x" * (MIN_KEY_BYTES - 1))
    with pytest.raises(MissingKeyError):
        Pseudonymiser.from_key_file(tmp_path / "short")


def test_no_default_key_and_key_never_shown():
    with pytest.raises(TypeError):
        Pseudonymiser()  # type: ignore[call-arg]
    with pytest.raises(MissingKeyError):
        Pseudonymiser(b"")
    shown = repr(Pseudonymiser(KEY))
    assert KEY.decode() not in shown and "hidden" in shown


def test_collision_is_reported_not_silent():
    # 32-bit pseudonyms over 200 000 ids collide with probability ~0.99; the
    # key is fixed, so this is deterministic.
    short = Pseudonymiser(KEY, length=8)
    values = [str(number) for number in range(200_000)]
    with pytest.raises(ParameterError, match="length="):
        short.mapping(values)
    assert len(set(Pseudonymiser(KEY).mapping(values[:50_000]).values())) == 50_000


def test_pseudonymise_frame_joinable_and_original_untouched(pseudonymiser):
    accounts = pd.DataFrame({"account_id": pd.array(["1234567890123456789", "0012"], dtype="string"), "n": [1, 2]})
    edges = pd.DataFrame(
        {
            "account_a": pd.array(["0012"], dtype="string"),
            "account_b": pd.array(["1234567890123456789"], dtype="string"),
            "evidence": ['{"accounts": ["0012", "1234567890123456789"], "count": 12}'],
        }
    )
    before = accounts.copy()
    out_accounts = pseudonymise_frame(accounts, pseudonymiser, columns=["account_id"])
    out_edges = pseudonymise_frame(edges, pseudonymiser, columns=["account_a", "account_b"], text_columns=["evidence"])
    pd.testing.assert_frame_equal(accounts, before)
    assert str(out_accounts["account_id"].dtype) == "string"
    assert out_accounts["n"].tolist() == [1, 2]
    assert set(out_edges[["account_a", "account_b"]].iloc[0]) == set(out_accounts["account_id"])
    evidence = json.loads(out_edges.loc[0, "evidence"])
    assert evidence["accounts"] == [out_accounts.loc[1, "account_id"], out_accounts.loc[0, "account_id"]]
    assert evidence["count"] == 12  # the number 12 is not the id "0012"


def test_pseudonymise_frame_kinds_by_column_and_missing_columns(pseudonymiser):
    logins = pd.DataFrame({"account_id": ["1"], "ip": ["10.0.0.1"], "device_id": ["d1"]})
    out = pseudonymise_frame(logins, pseudonymiser, columns={"account_id": "acct", "ip": "ip", "device_id": "device"})
    assert [value.split("_")[0] for value in out.iloc[0]] == ["acct", "ip", "device"]
    with pytest.raises(ParameterError) as error:
        pseudonymise_frame(logins, pseudonymiser, columns=["nope", "account_id"], text_columns=["also_missing"])
    assert "'nope'" in str(error.value) and "'also_missing'" in str(error.value)


def test_redact_text_longest_first_and_token_bounded():
    mapping = {"bob": "user_1", "bob_smith": "user_2", "12": "acct_3", "10.0.0.1": "ip_4"}
    text = "bob_smith met bob. 12 not 123 or 912 or v.12; ip 10.0.0.1 not 10.0.0.12 (12)"
    # v.12 is "12" glued to letters: replaced (ids glued to letters are found, issue 13).
    expected = "user_2 met user_1. acct_3 not 123 or 912 or v.acct_3; ip ip_4 not 10.0.0.12 (acct_3)"
    assert redact_text(text, mapping) == expected


def test_redact_text_finds_json_and_html_escaped_spellings():
    mapping = {"zoë\"x": "user_1", "<b>": "user_2"}
    payload = json.dumps({"who": "zoë\"x", "also": "<b>"})
    redacted = redact_text(payload, mapping)
    assert json.loads(redacted) == {"who": "user_1", "also": "user_2"}
    assert redact_text("name: &lt;b&gt; and zo\\u00eb\\\"x", mapping) == "name: user_2 and user_1"


def test_redact_text_series_keeps_missing_and_dtype():
    series = pd.Series(["by 42", None, "none"], dtype="string")
    out = redact_text(series, {"42": "acct_x"})
    assert out.tolist() == ["by acct_x", pd.NA, "none"]
    assert out.dtype == series.dtype
    assert redact_text("unchanged", {}) == "unchanged"


_WORD = "abc1_"
_ID = st.builds(
    lambda first, middle, last: first + middle + last,
    st.sampled_from(_WORD),
    st.text(alphabet=_WORD + "-.@", max_size=5),
    st.sampled_from(_WORD) | st.just(""),
)


@settings(max_examples=60, deadline=None)
@given(
    ids=st.lists(_ID, min_size=1, max_size=8, unique=True),
    picks=st.lists(st.integers(min_value=0, max_value=7), max_size=10),
    separators=st.lists(st.sampled_from([" ", ", ", '"', "(", ")", "; ", "\n", "/"]), min_size=11, max_size=11),
)
def test_redact_text_replaces_every_whole_token(ids, picks, separators):
    # Ids may be prefixes of each other and hold punctuation; separators never
    # occur inside an id, so each chosen id is a whole token and must be
    # replaced by its own pseudonym (longest match wins).
    mapping = {raw: f"acct_{index:012x}" for index, raw in enumerate(ids)}
    chosen = [ids[pick % len(ids)] for pick in picks]
    text = separators[0] + "".join(raw + separator for raw, separator in zip(chosen, separators[1:]))
    expected = separators[0] + "".join(mapping[raw] + separator for raw, separator in zip(chosen, separators[1:]))
    assert TextRedactor(mapping).redact(text) == expected


def test_pseudonymise_graph_relabels_nodes_and_attributes(pseudonymiser):
    graph = nx.MultiGraph(name="ring of 1234567890123456789")
    graph.add_node("1234567890123456789", username="alice_zz", label="alice_zz (1234567890123456789)")
    graph.add_node("9876543210987654321", username="mallory", tags=["knows 1234567890123456789"])
    graph.add_edge(
        "1234567890123456789",
        "9876543210987654321",
        key="shared 10.11.12.13",
        evidence={"10.11.12.13": ["1234567890123456789"]},
    )
    before = nx.node_link_data(graph, edges="links")
    ip_mapping = pseudonymiser.mapping(["10.11.12.13"], kind="ip")
    out = pseudonymise_graph(graph, pseudonymiser, id_attributes={"username": "user"}, mapping=ip_mapping)
    assert nx.node_link_data(graph, edges="links") == before
    node = pseudonymiser.pseudonym("1234567890123456789")
    assert set(out.nodes) == {node, pseudonymiser.pseudonym("9876543210987654321")}
    assert out.nodes[node]["username"] == pseudonymiser.pseudonym("alice_zz", kind="user")
    assert out.nodes[node]["label"] == f"{pseudonymiser.pseudonym('alice_zz', kind='user')} ({node})"
    (_, _, key, data), = out.edges(keys=True, data=True)
    assert key == "shared " + ip_mapping["10.11.12.13"]
    assert data["evidence"] == {ip_mapping["10.11.12.13"]: [node]}
    assert isinstance(out, nx.MultiGraph)


RAW_ACCOUNTS = ["1234567890123456789", "0000000000000000042", "9999999999999999999"]
RAW_USERNAMES = ["xXshadow_ringXx", "ＦＲＥＥ_gift", "mallory.q"]
RAW_IPS = ["203.0.113.77", "2001:db8::beef"]
RAW_DEVICES = ["dev-IPHONE-zz-991"]
RAW_EMAILS = ["ring.leader@example.org"]


def test_pseudonymised_frame_graph_and_text_contain_no_raw_id(pseudonymiser):
    """Every raw id is absent from everything derived (hex pseudonyms cannot contain them)."""
    logins = pd.DataFrame(
        {
            "account_id": RAW_ACCOUNTS,
            "username": RAW_USERNAMES,
            "ip": [RAW_IPS[0], RAW_IPS[1], RAW_IPS[0]],
            "device_id": RAW_DEVICES * 3,
            "email": RAW_EMAILS * 3,
            "note": [
                json.dumps({"peer": RAW_ACCOUNTS[1], "seen_as": RAW_USERNAMES[1], "mail": RAW_EMAILS[0]}),
                f"shares {RAW_DEVICES[0]} and {RAW_IPS[1]} with {RAW_USERNAMES[0]}",
                f"<a title=\"{RAW_USERNAMES[2]}\">{RAW_ACCOUNTS[0]}</a>",
            ],
        }
    )
    kinds = {"account_id": "acct", "username": "user", "ip": "ip", "device_id": "device", "email": "email"}
    frame = pseudonymise_frame(logins, pseudonymiser, columns=kinds, text_columns=["note"])

    mapping: dict[str, str] = {}
    for column, kind in kinds.items():
        mapping.update(pseudonymiser.mapping(logins[column], kind=kind))
    graph = nx.Graph()
    graph.add_edge(RAW_ACCOUNTS[0], RAW_ACCOUNTS[1], via=RAW_IPS[0], label=f"{RAW_USERNAMES[0]}~{RAW_USERNAMES[1]}")
    graph.add_node(RAW_ACCOUNTS[2], note=f"device {RAW_DEVICES[0]}", email=RAW_EMAILS[0])
    graph_out = pseudonymise_graph(graph, pseudonymiser, mapping=mapping)
    text_out = redact_text(f"Ring: {', '.join(RAW_ACCOUNTS)}; contact {RAW_EMAILS[0]} from {RAW_IPS[1]}", mapping)

    serialised = "\n".join(
        [
            frame.to_csv(index=False),
            frame.to_json(),
            json.dumps(nx.node_link_data(graph_out, edges="links"), ensure_ascii=False),
            text_out,
        ]
    )
    raw_ids = RAW_ACCOUNTS + RAW_USERNAMES + RAW_IPS + RAW_DEVICES + RAW_EMAILS
    leaked = [raw for raw in raw_ids if raw in serialised or json.dumps(raw)[1:-1] in serialised]
    assert leaked == []
    assert frame.loc[0, "account_id"] in serialised and len(graph_out) == 3


# --- issue 13: weak keys, key_check, default-deny free text ---------------------------------


@pytest.mark.parametrize(
    "weak",
    [b"passwordpassword", b"password" * 4, b"ab" * 20, b"0" * 64, b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
     b"correct horse battery staple"],
)
def test_weak_keys_are_refused_without_showing_them(weak, tmp_path, monkeypatch):
    with pytest.raises(MissingKeyError) as error:
        Pseudonymiser(weak)
    assert weak.decode() not in str(error.value) and "token_hex" in str(error.value)
    monkeypatch.setenv("TSINVEST_PSEUDONYM_KEY", weak.decode())
    with pytest.raises(MissingKeyError):
        Pseudonymiser.from_env()
    (tmp_path / "weak.key").write_bytes(weak)
    with pytest.raises(MissingKeyError):
        Pseudonymiser.from_key_file(tmp_path / "weak.key")


def test_random_keys_are_accepted():
    import secrets

    for _ in range(200):
        Pseudonymiser(secrets.token_hex(32).encode())
        Pseudonymiser(secrets.token_bytes(32))


def test_key_check_is_stable_and_slow_to_test_a_guess():
    import time

    first = Pseudonymiser(KEY)
    assert first.key_check() == Pseudonymiser(KEY).key_check() != Pseudonymiser(OTHER_KEY).key_check()
    # Not the HMAC pseudonym of anything: an attacker cannot test a guess with one HMAC.
    assert first.key_check() not in first.pseudonym("tsinvest-key-check")
    started = time.perf_counter()
    Pseudonymiser(OTHER_KEY + b"x").key_check()
    assert time.perf_counter() - started > 0.02  # scrypt, not one hash (about 0.1 s here)


@pytest.fixture
def strict(pseudonymiser):
    return TextRedactor({"1234567890123456789": "acct_known", "alice_w": "user_alice", "7": "report_seven"},
                        pseudonymiser=pseudonymiser)


@pytest.mark.parametrize(
    "text, forbidden",
    [
        ("see ref_1234567890123456789 now", "1234567890123456789"),
        ("1234567890123456789x and x1234567890123456789", "1234567890123456789"),
        ("cc @ALICE_W and @Alice_W", "alice_w"),
        ("cc @unknown_person please", "unknown_person"),
        ("write to Mallory.Q@Example.org", "Mallory.Q@Example.org"),
        ("call +44 20 7946 0000 or (555) 123-4567", "7946"),
        ("call (555) 123-4567", "123-4567"),
        ("account 9876543210123 not in data", "9876543210123"),
        ("from 203.0.113.77 today", "203.0.113.77"),
    ],
)
def test_default_deny_text_replaces_identifier_like_tokens(strict, text, forbidden):
    out = strict.redact(text)
    assert forbidden.casefold() not in out.casefold()


def test_default_deny_keeps_dates_words_and_short_numbers(strict, pseudonymiser):
    text = "due 2026-03-05T10:00:00Z at 10:30, 3 posts about spam in 2026"
    assert strict.redact(text) == text
    assert strict.redact("report 7 and 17") == "report report_seven and 17"
    assert strict.redact("@alice_w") == "@user_alice"
    # Unknown mentions get the same pseudonym whatever their case, and the user kind.
    assert strict.redact("@Eve_X") == strict.redact("@eve_x") == "@" + pseudonymiser.pseudonym("eve_x", kind="user")
    # Two ids side by side are two pseudonyms, not one phone number.
    assert strict.redact("1234567890123456789 1234567890123456789") == "acct_known acct_known"
