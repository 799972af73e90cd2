"""Cluster tracking across runs: one test per transition, lineage ids, the CLI."""

from __future__ import annotations

import pandas as pd
import pytest

from tsinvest.exceptions import ParameterError
from tsinvest.graph.tracking import TRANSITIONS, compare_clusters, lineage_id, read_run


def members(**clusters: str | list[str]) -> pd.DataFrame:
    """``members(c1="abc", c2=["001", "002"])``: one membership row per account."""
    rows = [(account, cluster) for cluster, accounts in clusters.items() for account in accounts]
    return pd.DataFrame({"account_id": pd.array([a for a, _ in rows], dtype="string"),
                         "cluster_id": pd.array([c for _, c in rows], dtype="string"),
                         "kind": "farm", "flagged": True})


def only(comparison, transition):
    rows = comparison.transitions[comparison.transitions["transition"] == transition]
    assert len(rows) == 1, comparison.transitions
    return rows.iloc[0]


def test_new_cluster():
    comparison = compare_clusters(members(a="abcd"), members(x="abcd", y="wxyz"))
    row = only(comparison, "new")
    assert (row["clusters_before"], row["clusters_after"], row["size_after"]) == ("", "y", 4)
    assert row["lineage_id"] == lineage_id("wxyz")


def test_gone_cluster():
    comparison = compare_clusters(members(a="abcd", b="efgh"), members(x="abcd"))
    row = only(comparison, "gone")
    assert (row["clusters_before"], row["clusters_after"], row["size_before"], row["size_after"]) == ("b", "", 4, 0)


def test_grown_cluster_keeps_its_lineage_under_a_new_id():
    comparison = compare_clusters(members(a="abcdef"), members(zz="abcdefghi"))
    row = only(comparison, "grown")
    assert (row["size_before"], row["size_after"], row["shared"]) == (6, 9, 6)
    assert row["lineage_id"] == lineage_id("abcdef")
    lineage = comparison.lineage.set_index(["run", "cluster_id"])["lineage_id"]
    assert lineage[("after", "zz")] == lineage[("before", "a")]


def test_shrunk_cluster():
    comparison = compare_clusters(members(a="abcdefghij"), members(x="abcdef"))
    row = only(comparison, "shrunk")
    assert (row["size_before"], row["size_after"], row["jaccard"]) == (10, 6, 0.6)


def test_small_change_is_stable():
    comparison = compare_clusters(members(a="abcdefghij"), members(x="abcdefghik"))
    assert only(comparison, "stable")["jaccard"] == pytest.approx(9 / 11, abs=1e-3)


def test_merged_clusters_continue_the_largest_lineage():
    comparison = compare_clusters(members(a="abcdef", b="ghij"), members(x="abcdefghij"))
    row = only(comparison, "merged")
    sizes = (row["clusters_before"], row["clusters_after"], row["size_before"], row["size_after"])
    assert sizes == ("a, b", "x", 10, 10)
    assert row["lineage_id"] == lineage_id("abcdef")
    assert comparison.transitions["transition"].tolist() == ["merged"]


def test_split_cluster_keeps_the_lineage_on_the_largest_piece():
    comparison = compare_clusters(members(a="abcdefghij"), members(x="abcdef", y="ghij"))
    row = only(comparison, "split")
    assert (row["clusters_before"], row["clusters_after"]) == ("a", "x, y")
    lineage = comparison.lineage.set_index(["run", "cluster_id"])["lineage_id"]
    assert lineage[("after", "x")] == lineage_id("abcdefghij")
    assert lineage[("after", "y")] == lineage_id("ghij")


def test_threshold_separates_clusters_sharing_a_few_members():
    # 2 shared of 10 + 10: Jaccard 0.11, below 0.3 -> one gone, one new, not a match.
    before, after = members(a="abcdefghij"), members(x="abKLMNOPQR")
    assert sorted(compare_clusters(before, after).transitions["transition"]) == ["gone", "new"]
    assert compare_clusters(before, after, threshold=0.1).transitions["transition"].tolist() == ["stable"]
    with pytest.raises(ParameterError, match="threshold"):
        compare_clusters(before, after, threshold=0)


def test_clusters_of_different_kinds_never_match():
    before = members(a="abcd")
    after = members(x="abcd").assign(kind="amplification")
    assert sorted(compare_clusters(before, after).transitions["transition"]) == ["gone", "new"]


def test_lineage_carries_over_a_chain_of_three_runs_and_flagged_only_filter():
    week1, week2, week3 = members(a="abcdef"), members(p="abcdefg"), members(q="bcdefgh", r="uvw")
    first = compare_clusters(week1, week2)
    second = compare_clusters(first.lineage_memberships(week2), week3)
    lineage = second.lineage.set_index(["run", "cluster_id"])["lineage_id"]
    assert lineage[("after", "q")] == lineage_id("abcdef")
    week3_quiet = week3.assign(flagged=week3["cluster_id"] == "q")
    filtered = compare_clusters(first.lineage_memberships(week2), week3_quiet, flagged_only=True)
    assert filtered.transitions["transition"].tolist() == ["stable"]
    assert filtered.counts()["transition"].tolist() == list(TRANSITIONS)


def test_ids_stay_exact_strings_and_outputs_are_sorted():
    comparison = compare_clusters(members(c1=["007", "0070", "70"]), members(c9=["007", "0070", "70", "00070"]))
    row = only(comparison, "grown")
    assert row["lineage_id"] == lineage_id(["007", "0070", "70"])
    assert comparison.transitions["lineage_id"].dtype == "string"


def test_read_run_and_compare_command(tmp_path, capsys):
    from tsinvest.cli import main

    run_a, run_b = tmp_path / "a", tmp_path / "b"
    for folder, frame in ((run_a, members(c1=["007", "008", "009"], c2="wxyz")),
                          (run_b, members(k1=["007", "008", "009", "010", "=HYPERLINK(1)"]))):
        folder.mkdir()
        frame.to_csv(folder / "clusters.csv", index=False)
    assert read_run(run_a)["account_id"].tolist()[:3] == ["007", "008", "009"]
    out = tmp_path / "comparison.csv"
    assert main(["compare", str(run_a), str(run_b), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "grown 1" in printed and "gone 1" in printed
    written = pd.read_csv(out, dtype=str)
    assert sorted(written["transition"]) == ["gone", "grown"]
    assert main(["compare", str(run_a), str(tmp_path / "missing")]) == 1
    assert "clusters.csv" in capsys.readouterr().err


def test_nested_clusters_of_one_run_are_not_a_merge_or_split():
    # Detection may return a farm and its core as two clusters of one run.
    before = members(farm="abcdefghij", core="abcdefgh")
    after = members(farm2="abcdefghij", core2="abcdefg")
    comparison = compare_clusters(before, after)
    assert comparison.transitions["transition"].tolist() == ["stable", "stable"]
    # When the core's best match is the whole farm, the nested pair is reported as one network.
    after_whole = members(farm2="abcdefghij", other="uvwxyz")
    joined = compare_clusters(before, after_whole)
    assert sorted(joined.transitions["transition"]) == ["new", "stable"]
    row = only(joined, "stable")
    assert (row["clusters_before"], row["clusters_after"], row["size_before"]) == ("core, farm", "farm2", 10)
    lineage = joined.lineage.set_index(["run", "cluster_id"])["lineage_id"]
    assert lineage[("after", "farm2")] == lineage[("before", "farm")]


def test_a_part_too_small_to_match_across_runs_stays_with_the_network_it_is_nested_in():
    """A farm of 30 in both runs; the later run also returns a part of 5 of it (Jaccard 5/30 with the earlier
    farm, under the 0.3 threshold). The part is the same network, not a new one; a cluster sharing only a
    couple of members with the farm still is."""
    farm = [f"{i:02d}" for i in range(30)]
    before = members(farm=farm)
    after = members(farm2=farm, part=farm[:5], other=farm[:2] + ["x1", "x2", "x3", "x4", "x5", "x6"])
    comparison = compare_clusters(before, after)
    assert sorted(comparison.transitions["transition"]) == ["new", "stable"]
    row = only(comparison, "stable")
    assert row["clusters_after"] == "farm2, part"
    assert only(comparison, "new")["clusters_after"] == "other"
    lineage = comparison.lineage.set_index(["run", "cluster_id"])["lineage_id"]
    assert lineage[("after", "part")] == lineage[("before", "farm")]
