from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsinvest.exceptions import ParameterError
from tsinvest.widgets.filters import FilterState, apply_filters, explorer_data, parameters_cell, search_accounts

from .conftest import HOSTILE, make_tables


def cluster_ids(view):
    return view.clusters["cluster_id"].tolist()


def test_default_state_shows_every_linked_cluster_sorted_by_score(data):
    view = apply_filters(data, FilterState())
    assert cluster_ids(view) == ["amp-1", "rep-1", "org-1"]
    assert view.accounts["score"].is_monotonic_decreasing
    assert len(view.edges) == 7
    assert view.clusters.set_index("cluster_id")["links"].to_dict() == {"amp-1": 3, "rep-1": 3, "org-1": 1}


def test_ids_stay_strings_with_leading_zeros(data, tables):
    view = apply_filters(data, FilterState())
    assert set(view.accounts["account_id"]) <= set(tables["ids"])
    assert str(view.accounts["account_id"].dtype) == "string"
    assert all(len(i) == 19 and i.startswith("0") for i in view.accounts["account_id"])


def test_min_edge_weight_hides_clusters_without_heavy_links(data):
    view = apply_filters(data, FilterState(min_edge_weight=2.5))
    assert cluster_ids(view) == ["amp-1", "rep-1"]
    assert view.edges["weight"].min() >= 2.5
    assert view.clusters.set_index("cluster_id")["links"].to_dict() == {"amp-1": 2, "rep-1": 1}


def test_min_cluster_size_and_score(data):
    assert cluster_ids(apply_filters(data, FilterState(min_cluster_size=3))) == ["amp-1", "rep-1"]
    assert cluster_ids(apply_filters(data, FilterState(min_score=0.8))) == ["amp-1"]
    assert cluster_ids(apply_filters(data, FilterState(min_score=0.95))) == []


def test_date_range_keeps_overlapping_links_and_events_inside(data):
    view = apply_filters(data, FilterState(start="2026-03-15", end="2026-03-30"))
    assert cluster_ids(view) == ["rep-1"]
    assert view.events.empty
    assert view.reports["report_id"].tolist() == ["r1", "r2"]
    early = apply_filters(data, FilterState(end="2026-03-04"))
    assert cluster_ids(early) == ["amp-1"]
    assert (early.events["ts"] < pd.Timestamp("2026-03-04", tz="UTC")).all() and len(early.events) == 6


def test_actions_policies_and_countries(data, tables):
    assert set(apply_filters(data, FilterState(actions=["share"])).events["action"]) == {"share"}
    by_policy = apply_filters(data, FilterState(policies=["harassment"]))
    assert cluster_ids(by_policy) == ["rep-1"]
    assert set(by_policy.reports["policy"]) == {"harassment"}
    # The spam report involves the organic account and an amplifier (as target).
    assert cluster_ids(apply_filters(data, FilterState(policies=["spam"]))) == ["amp-1", "org-1"]
    by_country = apply_filters(data, FilterState(countries=["MX"]))
    assert cluster_ids(by_country) == ["amp-1", "rep-1"]
    assert set(by_country.accounts["country"]) == {"MX"}
    assert set(by_country.events["account_id"]) == {tables["ids"][2]}


def test_search_matches_ids_usernames_and_lookalikes(data, tables):
    view = apply_filters(data, FilterState(search="<img"))
    assert view.accounts["username"].tolist() == [HOSTILE]
    assert cluster_ids(view) == ["rep-1"]
    # A match outside every cluster still shows in the accounts table.
    lookalike = apply_filters(data, FilterState(search="daily news"))
    assert lookalike.accounts["username"].tolist() == ["Dai1y_News"]
    assert cluster_ids(lookalike) == []
    assert apply_filters(data, FilterState(search=tables["ids"][0][-3:])).accounts["account_id"].tolist() == [
        tables["ids"][0]]
    mask = search_accounts(tables["accounts"], "RING_B")
    assert mask.sum() == 2


def test_summary_has_counts_only(data):
    text = apply_filters(data, FilterState(search="<img")).summary()
    assert text.startswith("1 cluster(s), 1 account(s)")
    assert "<" not in text


def test_parameters_round_trip_and_cell(data):
    state = FilterState(start="2026-03-02T00:00:00Z", end="2026-03-09T00:00:00Z", policies=["spam"],
                        actions=["like", "share"], countries=["MX"], min_edge_weight=2, min_cluster_size=3,
                        min_score=0.5, search="ring")
    parameters = state.to_parameters()
    assert parameters["filter_countries"] == ["MX"] and parameters["filter_min_cluster_size"] == 3
    assert FilterState.from_parameters(parameters) == state
    namespace: dict = {}
    exec(parameters_cell(state), namespace)  # the exported cell is valid Python giving the same values
    assert FilterState.from_parameters({k: v for k, v in namespace.items() if k.startswith("filter_")}) == state


def test_from_parameters_rejects_unknown_filters_and_bad_values():
    with pytest.raises(ParameterError, match="filter_min_sizes"):
        FilterState.from_parameters({"filter_min_sizes": 3})
    with pytest.raises(ParameterError):
        FilterState(start="2026-03-09", end="2026-03-02")
    with pytest.raises(ParameterError):
        FilterState(min_cluster_size=0)
    with pytest.raises(ParameterError):
        FilterState(start="not a date")
    assert FilterState.from_parameters({"filter_countries": "BR,MX"}).countries == ("BR", "MX")


def test_explorer_data_requires_columns(tables):
    with pytest.raises(ParameterError, match="memberships lacks column"):
        explorer_data(tables["accounts"], tables["edges"], tables["memberships"].drop(columns="cluster_id"))


@settings(max_examples=40, deadline=None)
@given(weight=st.floats(0, 10), size=st.integers(1, 4), score=st.floats(0, 1),
       countries=st.lists(st.sampled_from(["BR", "MX", "US", "FR"]), max_size=3))
def test_filters_only_narrow(weight, size, score, countries):
    # Property: tightening any filter never shows a cluster or link the looser state hid.
    tables = make_tables()
    data = explorer_data(tables["accounts"], tables["edges"], tables["memberships"], clusters=tables["clusters"],
                         events=tables["events"], reports=tables["reports"])
    loose = apply_filters(data, FilterState(min_edge_weight=weight / 2, countries=countries))
    tight = apply_filters(data, FilterState(min_edge_weight=weight, min_cluster_size=size, min_score=score,
                                            countries=countries))
    assert set(cluster_ids(tight)) <= set(cluster_ids(loose))
    assert len(tight.edges) <= len(loose.edges)
    assert (tight.clusters["size"] >= size).all() and (tight.clusters["score"] >= score).all()


def test_date_filter_changes_the_clusters_and_links_shown_not_only_event_counts(tables):
    # amp-1's links span the whole month, but its accounts only act on 2 and 10 March.
    edges = tables["edges"].copy()
    edges.loc[:2, "last_ts"] = pd.Timestamp("2026-03-28", tz="UTC")
    data = explorer_data(tables["accounts"], edges, tables["memberships"], clusters=tables["clusters"],
                         events=tables["events"], reports=tables["reports"])
    everything = apply_filters(data, FilterState())
    late = apply_filters(data, FilterState(start="2026-03-15T00:00:00Z"))
    assert "amp-1" in cluster_ids(everything) and "amp-1" not in cluster_ids(late)
    # rep-1 stays, with only the link between the two accounts that reported in the range.
    assert cluster_ids(late) == ["rep-1"]
    assert late.clusters.set_index("cluster_id")["links"].to_dict() == {"rep-1": 1}
    assert len(late.edges) == 1 and len(late.edges) < len(everything.edges)


def test_score_ties_are_ranked_by_kind_severity_then_size_not_by_id(tables):
    clusters = tables["clusters"].assign(score=[0.9, 0.9, 0.1])  # amp-1 and rep-1 tie
    data = explorer_data(tables["accounts"], tables["edges"], tables["memberships"], clusters=clusters,
                         events=tables["events"], reports=tables["reports"])
    assert cluster_ids(apply_filters(data, FilterState()))[:2] == ["rep-1", "amp-1"]
