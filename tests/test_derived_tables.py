"""Every producer of a derived table conforms to its declared spec (tsinvest.schemas).

Before issue 15 ``weight`` was int64 from coordination and peer edges and
float64 from shared attributes and copy-paste text; now every edge table is
float64 (see :data:`tsinvest.schemas.EDGES` for why).
"""

from __future__ import annotations

import pandas as pd
import pytest

from tsinvest.schemas import CLUSTER_SUMMARY, EDGES, MEMBERSHIPS, TABLES, dtype_problems


@pytest.fixture(scope="module")
def tables(recent_sample: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return recent_sample


def _coordination(tables):
    from tsinvest.linking.coordination import coordination_edges

    return coordination_edges(tables["events"], min_weight=1)


def _peer(tables):
    from tsinvest.linking.peer_definitions import peer_coordination_edges

    return peer_coordination_edges(tables["events"], definition="content_pairs")


def _shared_attributes(tables):
    from tsinvest.linking.shared_attributes import shared_attribute_edges

    return shared_attribute_edges(tables["logins"])


def _copy_paste(tables):
    from tsinvest.linking.copy_paste import copy_paste_edges

    return copy_paste_edges(tables["events"])


EDGE_PRODUCERS = {
    "coordination_edges": _coordination,
    "peer_coordination_edges": _peer,
    "shared_attribute_edges": _shared_attributes,
    "copy_paste_edges": _copy_paste,
}


@pytest.mark.parametrize("producer", sorted(EDGE_PRODUCERS))
def test_every_edge_producer_returns_the_declared_edge_table(producer, tables):
    edges = EDGE_PRODUCERS[producer](tables)
    assert len(edges), f"{producer} found no edges on the sample slice; the check would be empty"
    assert tuple(edges.columns) == EDGES.required
    assert dtype_problems(edges, EDGES) == []
    assert (edges["account_a"] != edges["account_b"]).all()


def test_detection_outputs_conform_to_their_specs(tables):
    from tsinvest.detect import detect

    result = detect(tables, progress=False, n_permutations=19)
    assert len(result.memberships) and len(result.clusters)
    assert dtype_problems(result.edges, EDGES) == []
    assert dtype_problems(result.memberships, MEMBERSHIPS) == []
    assert dtype_problems(result.clusters, CLUSTER_SUMMARY) == []


def test_dtype_problems_names_each_broken_column():
    edges = pd.DataFrame({column: pd.Series(dtype="string") for column in EDGES.required})
    edges["weight"] = pd.Series(dtype="int64")
    problems = dtype_problems(edges.drop(columns="evidence"), EDGES)
    assert problems[0] == "'evidence' is missing"
    assert "'weight' is int64, expected float64" in problems
    assert "'first_ts' is string, expected datetime64[ns, UTC]" in problems


@pytest.mark.parametrize("spec", [*TABLES.values(), EDGES, MEMBERSHIPS, CLUSTER_SUMMARY], ids=lambda spec: spec.name)
def test_every_column_has_one_role_and_identifiers_have_a_pseudonym_kind(spec):
    for column in spec.columns:
        assert spec.role(column) is not None
    for column in spec.id_columns:
        if spec.role(column) == "id" and column != "cluster_id":
            assert column in spec.pseudonym_kinds, f"{spec.name}.{column} has no pseudonym kind"
    assert spec.role("not_a_column") is None


def test_a_spec_survives_pickle_and_deepcopy_read_only():
    import copy
    import pickle

    spec = TABLES["escalations"]
    for clone in (pickle.loads(pickle.dumps(spec)), copy.deepcopy(spec)):
        assert clone == spec
        assert clone.allowed_values["channel"] == spec.allowed_values["channel"]
        with pytest.raises(TypeError):
            clone.pseudonym_kinds["ticket_id"] = "acct"  # type: ignore[index]
