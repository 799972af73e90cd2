from __future__ import annotations

import pytest

from tsinvest.exceptions import ParameterError
from tsinvest.widgets.filters import FilterState, apply_filters
from tsinvest.widgets.selection import account_details, cluster_details, details_html

from .conftest import HOSTILE


def test_account_details_lists_links_with_evidence(data, tables):
    ids = tables["ids"]
    details = account_details(data, ids[0])
    assert details.profile["username"].tolist() == ["ring_a1"]
    assert details.links["other_account"].tolist() == [ids[1], ids[2]]
    assert details.links["weight"].tolist() == [9.0, 7.0]
    assert details.links["evidence"].tolist() == ["videos v1; v2", "videos v1"]
    assert details.clusters["cluster_id"].tolist() == ["amp-1"]


def test_account_details_respects_the_view(data, tables):
    view = apply_filters(data, FilterState(min_edge_weight=8))
    assert account_details(data, tables["ids"][0], view=view).links["other_account"].tolist() == [tables["ids"][1]]
    assert len(account_details(data, tables["ids"][0], max_links=1).links) == 1


def test_unknown_account_error_does_not_echo_the_id(data):
    with pytest.raises(ParameterError) as error:
        account_details(data, "0999999999999999999")
    assert "0999999999999999999" not in str(error.value)


def test_cluster_details(data, tables):
    details = cluster_details(data, "rep-1")
    assert details.members["account_id"].tolist() == sorted(tables["ids"][3:6])
    assert len(details.links) == 3
    view = apply_filters(data, FilterState(min_edge_weight=2))
    assert len(cluster_details(data, "rep-1", view=view).links) == 1
    with pytest.raises(ParameterError):
        cluster_details(data, "nope")


def test_details_html_escapes_usernames_and_evidence(data, tables):
    markup = details_html(account_details(data, tables["ids"][3])) + details_html(cluster_details(data, "rep-1"))
    assert "<img" not in markup and "<script" not in markup
    assert "&lt;img src=x onerror=alert(1)&gt;" in markup
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in markup
    assert HOSTILE not in markup
