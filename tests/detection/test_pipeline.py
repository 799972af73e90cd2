"""The detection pipeline: registry, thresholds, exclusions, ban evasion, bounded cost on viral targets."""

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from tsinvest.detection import DEFAULT_THRESHOLDS, DETECTORS, KINDS, Detector, detect
from tsinvest.detection.amplification import Amplification
from tsinvest.detection.farm import Farm
from tsinvest.detection.mass_report import MassReport
from tsinvest.exceptions import ParameterError


def ring_events(members=6, videos=8, offset=0):
    rows = [(f"r{m}", f"v{v}", "share", offset + 3600 * v + m) for v in range(videos) for m in range(members)]
    frame = pd.DataFrame(rows, columns=["account_id", "target_id", "action", "s"])
    frame["ts"] = pd.to_datetime(frame.pop("s"), unit="s", utc=True)
    return frame


def test_registry_lists_every_kind_with_read_only_thresholds():
    assert KINDS == ("amplification", "mass_report", "farm", "copy_paste", "ban_evasion")
    assert all(isinstance(detector, Detector) for detector in DETECTORS.values())
    with pytest.raises(TypeError):
        DEFAULT_THRESHOLDS["amplification"]["min_size"] = 1


def test_thresholds_reach_every_rule_and_unknown_names_say_which():
    events = ring_events()
    found = detect({"events": events}, n_permutations=99, progress=False)
    assert found.flagged_accounts("amplification") == [f"r{m}" for m in range(6)]
    strict = detect({"events": events}, n_permutations=99, progress=False,
                    thresholds={"amplification": {"min_size": 7}})
    assert strict.flagged_accounts() == []
    assert strict.parameters["thresholds"]["amplification"]["min_size"] == 7
    with pytest.raises(ParameterError, match="unknown name.*bogus"):
        detect({"events": events}, thresholds={"amplification": {"bogus": 1}}, progress=False)
    with pytest.raises(ParameterError, match="unknown kind"):
        detect({"events": events}, thresholds={"nonsense": {}}, progress=False)


def test_member_rule_threshold_is_overridable():
    events = ring_events()
    # One organic account joins two of the ring's videos and is busy elsewhere.
    extra = pd.DataFrame({"account_id": "o1", "target_id": ["v0", "v1"] + [f"x{i}" for i in range(20)],
                          "action": "share", "ts": pd.to_datetime([2, 3602] + [90000 + 600 * i for i in range(20)],
                                                                  unit="s", utc=True)})
    both = pd.concat([events, extra], ignore_index=True)
    result = detect({"events": both}, n_permutations=99, progress=False)
    assert "o1" not in result.flagged_accounts()
    lenient = detect({"events": both}, n_permutations=99, progress=False,
                     thresholds={"amplification": {"min_member_share": 0.0, "min_member_typical_ratio": 0.0,
                                                   "min_coordinated_share": 0.0}})
    assert "o1" in lenient.flagged_accounts("amplification")  # the member rule alone kept it out


def test_exclusions_are_counted_never_listed(tmp_path):
    events = ring_events()
    viral = pd.DataFrame({"account_id": [f"fan{i:04d}" for i in range(600)], "target_id": "viral", "action": "share",
                          "ts": pd.to_datetime(np.arange(600) % 120, unit="s", utc=True)})
    result = detect({"events": pd.concat([events, viral], ignore_index=True)}, n_permutations=99, progress=False)
    assert result.exclusions["amplification"]["hot_targets"] == 1
    assert result.exclusions["amplification"]["hot_target_actions"] == 600
    out = result.write(tmp_path / "out", graph_formats=())
    assert "viral" not in (out / "exclusions.json").read_text()


def test_target_shared_by_20000_accounts_in_one_window_finishes_in_bounded_memory():
    events = ring_events()
    viral = pd.DataFrame({"account_id": [f"{i:019d}" for i in range(20_000)], "target_id": "viral",
                          "action": "share", "ts": pd.to_datetime(np.arange(20_000) % 300, unit="s", utc=True)})
    tracemalloc.start()
    result = detect({"events": pd.concat([events, viral], ignore_index=True)}, n_permutations=99, progress=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # Pairs of the 20,000 actions would take 20,000**2 / 2 * 16 bytes = 3.2 GB.
    assert peak < 400 * 2**20
    assert result.flagged_accounts() == [f"r{m}" for m in range(6)]


def test_auto_window_never_returns_zero_and_names_the_argument():
    # Pages cross-posting in the same second: the estimate is 0 s.
    events = pd.DataFrame({"account_id": ["a", "b", "c"] * 4, "action": "share",
                           "target_id": [f"v{i // 3}" for i in range(12)],
                           "ts": pd.to_datetime([3600 * (i // 3) for i in range(12)], unit="s", utc=True)})
    result = detect({"events": events}, window="auto", n_permutations=9, progress=False)
    assert result.parameters["window"] == 10.0 and "floor" in result.parameters["window_choice"]
    with pytest.raises(ParameterError, match="window='auto'"):
        detect({"events": events.assign(action="comment")}, window="auto", progress=False)
    with pytest.raises(ParameterError, match="window=-5"):
        detect({"events": events}, window=-5, progress=False)


def ban_evasion_tables():
    created = pd.to_datetime(["2025-01-01T00:00Z", "2026-03-10T00:00Z", "2026-03-11T00:00Z", "2024-05-01T00:00Z"]
                             + ["2024-06-01T00:00Z"] * 40, utc=True)
    ids = ["0000000000000000001", "0000000000000000002", "0000000000000000003", "0000000000000000004"]
    ids += [f"9{i:018d}" for i in range(40)]
    accounts = pd.DataFrame({"account_id": ids, "created_at": created,
                             "username": ["spam_shop_01", "spam_shop_02", "spam_shop_03", "maria.k"]
                             + [f"user{i}x{i * 7}" for i in range(40)]})
    logins = pd.DataFrame({"account_id": ids, "device_id": ["d1", "d1", "d1", "d4"] + [f"o{i}" for i in range(40)],
                           "ip": ["i1", "i2", "i1", "i4"] + [f"p{i}" for i in range(40)],
                           "ts": pd.to_datetime(["2026-03-12T00:00Z"] * 44, utc=True)})
    enforcements = pd.DataFrame({"account_id": [ids[0]], "action": ["ban"], "policy": ["spam"],
                                 "ts": pd.to_datetime(["2026-03-05T00:00Z"], utc=True)})
    return {"accounts": accounts, "logins": logins, "enforcements": enforcements}


def test_ban_evasion_flags_new_accounts_linked_to_an_enforced_one():
    tables = ban_evasion_tables()
    result = detect(tables, kinds=("ban_evasion",), progress=False)
    assert result.flagged_accounts("ban_evasion") == ["0000000000000000002", "0000000000000000003"]
    cluster = result.clusters[result.clusters["kind"] == "ban_evasion"].iloc[0]
    assert cluster["flagged"] and "created after an enforced account" in cluster["explanation"]
    members = result.memberships
    enforced = members[members["account_id"] == "0000000000000000001"]
    assert len(enforced) == 1 and not enforced["flagged"].iloc[0]
    # Without the enforcement there is nothing to evade.
    calm = detect({**tables, "enforcements": tables["enforcements"].iloc[0:0]}, kinds=("ban_evasion",),
                  progress=False)
    assert calm.flagged_accounts() == []


def test_detectors_judge_clusters_by_their_own_rules():
    ring = {"size": 12, "density": 0.95, "coordinated_share": 0.4, "burst_share": 0.95, "p_value": 0.005,
            "excess_share": 0.4}
    crowd = {**ring, "burst_share": 0.2}  # a slice of a viral video's sharers
    web = {"size": 40, "density": 0.1, "coordinated_share": 0.2, "burst_share": 0.9, "p_value": 0.005,
           "excess_share": 0.4}
    # Heavy-user fans: significant against 199 shuffles, but chance explains 98.5 % of their co-action.
    fans = {**ring, "size": 105, "excess_share": 0.015}
    untested = {key: value for key, value in ring.items() if key not in ("p_value", "excess_share")}
    limits = Amplification().limits()
    assert Amplification.decide(ring, limits)[1]
    assert not Amplification.decide(crowd, limits)[1] and not Amplification.decide(web, limits)[1]
    assert not Amplification.decide(fans, limits)[1] and not Amplification.decide(untested, limits)[1]
    farm = {"size": 10, "density": 0.9, "shared_values": 5, "creation_burst_share": 0.9, "template_share": 0.9}
    assert Farm.decide(farm, Farm().limits())[1]
    assert not Farm.decide({**farm, "shared_values": 1}, Farm().limits())[1]


def test_a_viral_crowd_below_the_hot_target_cap_is_not_a_ring():
    """400 accounts pile onto 4 new videos within minutes of posting; a ring of 8 boosts a customer's 6 videos.

    The crowd is one dense cluster here, so its burst share is high; the null
    model, which keeps each account's delay after publication, is what
    clears it. (Without post events the crowd would look coordinated: a
    limit stated in the README.)
    """
    rng = np.random.default_rng(11)
    rows = []
    crowd = [f"c{i:03d}" for i in range(400)]
    for video in range(4):
        posted = 86400 * (video + 1)
        rows.append((f"creator{video}", f"viral{video}", "post", posted))
        for account in rng.choice(crowd, 250, replace=False):
            rows.append((account, f"viral{video}", "share", posted + int(rng.lognormal(np.log(120), 0.8))))
    for video in range(6):
        posted = 86400 * video + 30000
        rows.append(("customer", f"ring{video}", "post", posted))
        start = posted + int(rng.integers(600, 4 * 3600))
        rows += [(f"r{m}", f"ring{video}", "share", start + int(rng.integers(0, 30))) for m in range(8)]
    events = pd.DataFrame(rows, columns=["account_id", "target_id", "action", "s"])
    events["ts"] = pd.to_datetime(events.pop("s"), unit="s", utc=True)
    result = detect({"events": events}, n_permutations=99, progress=False)
    assert result.flagged_accounts() == [f"r{m}" for m in range(8)]
    crowd_clusters = result.clusters[result.clusters["cluster_id"].isin(
        result.memberships.loc[result.memberships["account_id"].str.startswith("c"), "cluster_id"])]
    assert len(crowd_clusters) and (crowd_clusters["p_value"] > 0.05).all()


def test_obfuscated_script_with_word_substitutions_is_copy_paste():
    script = "claim your free money now, click the link in my profile and win big today"
    swaps = [("claim", "grab"), ("money", "cash"), ("click", "tap"), ("free", "gratis"), ("link", "url")]
    rng = np.random.default_rng(5)
    rows = []
    for account in range(6):
        for post in range(6):
            text = script
            for i in rng.choice(len(swaps), 2, replace=False):
                text = text.replace(*swaps[i])
            text = text.replace("o", "0", 1).replace(" ", " \u200b", 1)
            rows.append((f"s{account}", f"v{account}{post}", "comment", text, 3600 * (7 * account + post)))
    organic = ["so good tbh", "can't believe this", "recipe pls", "who else is here"]
    rows += [(f"o{i}", f"v{i}", "comment", organic[i % 4], 500 * i) for i in range(40)]
    events = pd.DataFrame(rows, columns=["account_id", "target_id", "action", "text", "s"])
    events["ts"] = pd.to_datetime(events.pop("s"), unit="s", utc=True)
    result = detect({"events": events}, kinds=("copy_paste",), progress=False)
    assert result.flagged_accounts("copy_paste") == [f"s{a}" for a in range(6)]


def test_a_small_slice_of_the_sample_runs_every_detector(tmp_path):
    """Few rows per table (empty follow groups, lone posts) must not break any stage."""
    from pathlib import Path

    sample = Path(__file__).resolve().parents[2] / "data_samples"
    for path in sample.glob("*.csv"):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)[:400]
        (tmp_path / path.name).write_text("".join(lines), encoding="utf-8")
    result = detect(tmp_path, progress=False, n_permutations=19)
    assert set(result.parameters["kinds"]) >= {"amplification", "mass_report", "farm"}
    assert len(result.clusters) and result.clusters["explanation"].str.contains(r"[Ff]lagged|mostly").all()


def test_a_flood_by_few_accounts_on_one_target_is_left_out_and_counted():
    """300 accounts repeat one share 100,000 times within a minute: not hot by accounts, hot by actions."""
    rng = np.random.default_rng(2)
    flood = pd.DataFrame({"account_id": [f"{a:019d}" for a in rng.integers(0, 300, 100_000)], "target_id": "v",
                          "action": "share",
                          "ts": pd.to_datetime(rng.integers(0, 60_000, 100_000), unit="ms", utc=True)})
    events = pd.concat([ring_events(), flood], ignore_index=True)
    result = detect({"events": events}, n_permutations=99, progress=False)
    assert result.exclusions["amplification"]["flooded_targets"] == 1
    assert result.flagged_accounts() == [f"r{m}" for m in range(6)]


def test_a_bystander_who_reports_the_brigades_victim_later_is_not_flagged():
    """Ten accounts report one victim for one policy within two minutes; an organic user reports the same
    victim for the same policy 40 minutes later (popular accounts draw organic reports). Inside the
    co-reporting window it joins the brigade's cluster, but it acted beside the wave, not in it."""
    rows = [(f"b{m}", "victim", "harassment", 3 * 86400 + 11 * m) for m in range(10)]
    rows.append(("bystander", "victim", "harassment", 3 * 86400 + 40 * 60))
    rows += [(f"o{i}", f"someone{i % 7}", "spam", 86400 * (i % 6) + 977 * i) for i in range(40)]
    reports = pd.DataFrame(rows, columns=["reporter_id", "target_account_id", "policy", "s"])
    reports["ts"] = pd.to_datetime(reports.pop("s"), unit="s", utc=True)
    result = detect({"reports": reports}, n_permutations=99, progress=False)
    members = result.memberships
    assert "bystander" in set(members["account_id"])  # clustered with the brigade ...
    assert result.flagged_accounts("mass_report") == [f"b{m}" for m in range(10)]  # ... but not flagged


def test_a_brigade_member_who_reported_one_victim_once_inside_the_wave_is_flagged():
    """Ten accounts report four victims in waves of two minutes; an eleventh joins the first wave only."""
    rows = [(f"b{m}", f"victim{v}", "harassment", 3 * 86400 + 11 * m + 7200 * v) for m in range(10) for v in range(4)]
    rows.append(("b10", "victim0", "harassment", 3 * 86400 + 47))
    rows += [(f"o{i}", f"someone{i % 7}", "spam", 86400 * (i % 6) + 977 * i) for i in range(40)]
    reports = pd.DataFrame(rows, columns=["reporter_id", "target_account_id", "policy", "s"])
    reports["ts"] = pd.to_datetime(reports.pop("s"), unit="s", utc=True)
    result = detect({"reports": reports}, n_permutations=99, progress=False)
    assert result.flagged_accounts("mass_report") == sorted(f"b{m}" for m in range(11))
    brigade = result.clusters[result.clusters["flagged"]].iloc[0]
    assert brigade["single_action_members"] == 1  # so is a bystander: the explanation says so
    assert "1 member(s) reported only once" in brigade["explanation"]
    # Nobody else reports these victims: chance puts no bystander inside the waves, and the explanation says so.
    assert brigade["expected_bystanders"] == 0.0
    assert "chance puts fewer than 0.01 of the victims' other reports inside the waves" in brigade["explanation"]


def test_the_single_report_warning_is_only_for_flagged_brigades():
    """Three accounts report one victim once within a minute: a cluster too small to flag, so its
    explanation does not ask the analyst to check members who are not flagged."""
    rows = [(f"t{m}", "victim", "harassment", 3 * 86400 + 20 * m) for m in range(3)]
    rows += [(f"o{i}", f"someone{i % 7}", "spam", 86400 * (i % 6) + 977 * i) for i in range(40)]
    reports = pd.DataFrame(rows, columns=["reporter_id", "target_account_id", "policy", "s"])
    reports["ts"] = pd.to_datetime(reports.pop("s"), unit="s", utc=True)
    result = detect({"reports": reports}, n_permutations=99, progress=False)
    trio = result.clusters[result.clusters["size"] == 3]
    assert len(trio) == 1 and not trio["flagged"].iloc[0] and trio["single_action_members"].iloc[0] == 3
    assert "reported only once" not in trio["explanation"].iloc[0]


def test_a_brigade_on_a_victim_others_report_too_says_how_many_bystanders_chance_brings():
    """Ten accounts report one victim in nine-minute waves on four days (an eleventh joins once); 200 strangers
    report the same victim for the same policy every 2.4 hours, never within the hour of a wave. Spread over
    the table's span, their reports put 200 / span x 4 x 540 s inside the waves: the explanation says so."""
    day = 86400
    rows = [(f"b{m}", "victim", "harassment", (3 + 4 * w) * day + 60 * m) for m in range(10) for w in range(4)]
    rows.append(("b10", "victim", "harassment", 3 * day + 270))
    rows += [(f"o{k}", "victim", "harassment", 8640 * k + 5000) for k in range(200)]
    reports = pd.DataFrame(rows, columns=["reporter_id", "target_account_id", "policy", "s"])
    reports["ts"] = pd.to_datetime(reports.pop("s"), unit="s", utc=True)
    result = detect({"reports": reports}, n_permutations=99, progress=False)
    assert result.flagged_accounts("mass_report") == sorted(f"b{m}" for m in range(11))
    brigade = result.clusters[result.clusters["flagged"]].iloc[0]
    span = 8640 * 199
    assert brigade["expected_bystanders"] == pytest.approx(200 / span * 4 * 540, rel=1e-4)  # cluster table: 6 places
    assert "chance puts about 0.25 of the victims' other reports inside the waves" in brigade["explanation"]


def test_two_brigades_of_one_policy_that_share_a_victim_are_each_flagged():
    """Two brigades of ten report three victims each for one policy and meet on a fourth within the hour: the
    late members of one wave and the early members of the other co-report it, so both make one component of
    density 0.58, whole by ``dense_component`` and too loose for ``min_density``. Its Leiden parts are judged
    beside it (``also_split_below``)."""
    start = 3 * 86400
    rows = [(f"{team}{m}", f"{team}_victim{v}", "harassment", start + 7200 * (v + 1) + 11 * m)
            for team in "ab" for m in range(10) for v in range(3)]
    rows += [(f"a{m}", "shared_victim", "harassment", start + 60 * m) for m in range(10)]
    rows += [(f"b{m}", "shared_victim", "harassment", start + 3600 + 240 + 60 * m) for m in range(10)]
    rows += [(f"o{i}", f"someone{i % 7}", "spam", 86400 * (i % 6) + 977 * i) for i in range(40)]
    reports = pd.DataFrame(rows, columns=["reporter_id", "target_account_id", "policy", "s"])
    reports["ts"] = pd.to_datetime(reports.pop("s"), unit="s", utc=True)
    brigades = sorted(f"{team}{m}" for team in "ab" for m in range(10))
    result = detect({"reports": reports}, n_permutations=99, progress=False)
    assert result.flagged_accounts("mass_report") == brigades
    whole_only = detect({"reports": reports}, n_permutations=99, progress=False,
                        thresholds={"mass_report": {"also_split_below": 0.0}})
    assert whole_only.flagged_accounts("mass_report") == []


def test_heavy_users_with_a_fraction_of_their_actions_coordinated_are_not_a_ring():
    """Cluster figures of project plain 22011: 73 notification fans with heavy users and viral sharers beat every
    shuffle and left 5.4 % of their co-action unexplained, like a ring with much blend-in (a ring of 32 on the
    tuning folders: 4.0 %), but only 0.265 of their actions were coordinated (rings: 0.392 or more)."""
    fans = {"size": 109, "density": 0.825, "coordinated_share": 0.265, "burst_share": 0.988, "p_value": 0.005,
            "excess_share": 0.054, "mean_weight": 4.88, "z_score": 10.7}
    ring = {"size": 32, "density": 0.841, "coordinated_share": 0.636, "burst_share": 0.95, "p_value": 0.005,
            "excess_share": 0.040, "mean_weight": 2.93, "z_score": 5.48}
    limits = Amplification().limits()
    assert Amplification.decide(ring, limits)[1]
    assert not Amplification.decide(fans, limits)[1]
    assert Amplification.decide(fans, Amplification().limits({"min_coordinated_share": 0.25}))[1]


def test_a_large_ring_of_few_targets_needs_no_strong_evidence_but_a_small_fan_group_does():
    """Cluster figures from the tuning folders: a ring of 24 whose members joined about half of its 5 targets
    (pairs at 2.34 targets, 2.9 standard deviations over its delay shuffles) and a fan group of 7 with the
    same pair weight. Only size tells them apart: chance coincidences select small groups."""
    ring = {"size": 24, "density": 0.565, "coordinated_share": 0.442, "burst_share": 0.912, "p_value": 0.01,
            "excess_share": 0.068, "mean_weight": 2.34, "z_score": 2.86}
    fans = {"size": 7, "density": 0.429, "coordinated_share": 0.356, "burst_share": 0.806, "p_value": 0.005,
            "excess_share": 0.628, "mean_weight": 2.333, "z_score": 4.98}
    limits = Amplification().limits()
    assert Amplification.decide(ring, limits)[1]
    assert not Amplification.decide(fans, limits)[1]
    assert not Amplification.decide(ring, Amplification().limits({"strong_min_size": 0}))[1]


def test_a_few_fans_sharing_a_creators_posts_minutes_apart_are_not_a_ring():
    """Fans of one creator, each sharing its posts hours after they appear, coincide within minutes on a few
    posts (features of such clusters on independently generated data). When they are 70% of those sharing the
    posts at those moments, the burst rule clears them (a ring owns its bursts); when they happen to own the
    moment (83%), the pairs coincided on two posts each, the floor of an edge, and the excess over their own
    shuffles is 4 standard deviations: a group selected for chance coincidences, not a ring."""
    fans = {"size": 5, "density": 0.4, "coordinated_share": 0.45, "burst_share": 0.70, "p_value": 0.005,
            "excess_share": 0.6, "median_gap_s": 377.0}
    lucky_fans = {**fans, "size": 6, "density": 0.47, "burst_share": 0.83, "median_gap_s": 279.0, "mean_weight": 2.0,
                  "z_score": 4.06}
    ring = {**fans, "density": 0.95, "burst_share": 0.95, "median_gap_s": 2.0}
    limits = Amplification().limits()
    assert not Amplification.decide(fans, limits)[1] and not Amplification.decide(lucky_fans, limits)[1]
    assert Amplification.decide(ring, limits)[1]


def test_a_tight_ring_whose_targets_organic_users_also_like_needs_less_of_its_bursts():
    """A ring of 48 that boosts videos organic users like too holds 77% of those moments (features on
    independently generated data, seed 8016): a near-complete graph at 25 standard deviations is flagged. A web
    of notification fans and viral sharers at 65% with heavy co-action passes every other rule, but is looser
    (density 0.72) and within 4 standard deviations; a clique at 5 standard deviations gets no such leeway."""
    ring = {"size": 48, "density": 1.0, "coordinated_share": 0.65, "burst_share": 0.77, "p_value": 0.005,
            "excess_share": 0.24, "mean_weight": 10.3, "z_score": 25.1, "median_gap_s": 30.0}
    fans_web = {**ring, "size": 53, "density": 0.72, "burst_share": 0.65, "excess_share": 0.039, "mean_weight": 9.1,
                "z_score": 3.9}
    lucky_clique = {**ring, "z_score": 5.0}
    limits = Amplification().limits()
    assert Amplification.decide(ring, limits)[1]
    assert not Amplification.decide(fans_web, limits)[1] and not Amplification.decide(lucky_clique, limits)[1]
    assert not Amplification.decide({**ring, "burst_share": 0.65}, limits)[1]
    assert not Amplification.decide(ring, {**limits, "tight_min_burst_share": 0.8})[1]


def test_a_community_cut_from_many_fans_needs_strong_evidence_per_pair_or_in_total():
    """Seven fans of one creator selected by Leiden for their chance coincidences: denser than the web around
    them, owning the moment, half their co-action beyond their own shuffles, yet each pair coincided on about the
    two posts an edge needs (mean weight 2.15) and the excess is 5.2 standard deviations. A ring's pairs co-act on
    more of its targets (weakest on the tuning seeds: mean weight 2.54, at z 8.9), or a large sparse ring beats the
    shuffles by far."""
    selected_fans = {"size": 7, "density": 0.62, "coordinated_share": 0.4, "burst_share": 0.80, "p_value": 0.005,
                     "excess_share": 0.55, "mean_weight": 2.15, "z_score": 5.2, "median_gap_s": 99.5}
    sparse_ring = {**selected_fans, "size": 30, "density": 0.70, "mean_weight": 2.4, "z_score": 8.9}
    small_ring = {**selected_fans, "size": 11, "density": 0.96, "mean_weight": 3.04, "z_score": 5.7}
    limits = Amplification().limits()
    assert not Amplification.decide(selected_fans, limits)[1]
    assert Amplification.decide(sparse_ring, limits)[1] and Amplification.decide(small_ring, limits)[1]


def test_the_null_model_runs_only_for_clusters_the_other_rules_would_flag():
    events = ring_events()
    tested = detect({"events": events}, n_permutations=99, progress=False)
    assert (tested.clusters["permutations"] > 0).all()
    assert tested.exclusions["amplification"]["null_tested_clusters"] == 1
    too_small = detect({"events": events}, n_permutations=99, progress=False,
                       thresholds={"amplification": {"min_size": 7}})
    assert (too_small.clusters["permutations"] == 0).all() and too_small.clusters["p_value"].isna().all()
    assert too_small.exclusions["amplification"]["null_tested_clusters"] == 0
    assert too_small.clusters["explanation"].str.contains("not tested against the shuffled null").all()


def test_a_small_farm_that_follows_its_customers_needs_a_shared_phone_as_well():
    """Six aged accounts follow the same three customers and nobody else (an adaptive farm, peeled to its focused
    core), and two of them sometimes log in from one phone: found. Sixty light users who each follow three of forty
    small creators form co-follow groups of five or six just as focused: co-following alone at that size is not
    enough, and without the phone the farm is missed too (a group of 7 would not need it)."""
    rng = np.random.default_rng(7)
    farm = [f"f{i}" for i in range(6)]
    rows = [(account, f"customer{c}") for account in farm for c in range(3)]
    rows += [(f"o{i}", f"creator{c}") for i in range(60) for c in rng.choice(40, 3, replace=False)]
    events = pd.DataFrame(rows, columns=["account_id", "target_id"]).assign(
        action="follow", ts=pd.Timestamp("2026-03-02T10:00Z") + pd.to_timedelta(np.arange(len(rows)), unit="min"))
    accounts = sorted({account for account, _ in rows})
    logins = pd.DataFrame({"account_id": accounts, "device_id": [f"own-{a}" for a in accounts],
                           "ip": [f"ip-{a}" for a in accounts], "ts": pd.Timestamp("2026-03-03T10:00Z")})
    phone = pd.DataFrame({"account_id": farm[:2], "device_id": "shared-phone", "ip": ["ip-x", "ip-y"],
                          "ts": pd.Timestamp("2026-03-04T10:00Z")})
    with_phone = detect({"events": events, "logins": pd.concat([logins, phone], ignore_index=True)},
                        kinds=("farm",), progress=False)
    assert with_phone.flagged_accounts("farm") == farm
    assert not detect({"events": events, "logins": logins}, kinds=("farm",), progress=False).flagged_accounts("farm")
    by_follows_alone = detect({"events": events, "logins": logins}, kinds=("farm",), progress=False,
                              thresholds={"farm": {"min_follow_size": 5}}).flagged_accounts("farm")
    assert any(account.startswith("o") for account in by_follows_alone)


def test_seven_accounts_following_the_same_few_customers_are_a_farm_without_a_shared_phone():
    """The focused core of an adaptive farm of 11 (members following two or three of its three customers) has
    seven accounts: enough to flag on co-following alone (``min_follow_size`` 7); six are not."""
    rng = np.random.default_rng(7)
    farm = [f"f{i}" for i in range(7)]
    rows = [(account, f"customer{(i + k) % 3}") for i, account in enumerate(farm) for k in range(2 + i % 2)]
    rows += [(f"o{i}", f"creator{c}") for i in range(60) for c in rng.choice(40, 3, replace=False)]
    events = pd.DataFrame(rows, columns=["account_id", "target_id"]).assign(
        action="follow", ts=pd.Timestamp("2026-03-02T10:00Z") + pd.to_timedelta(np.arange(len(rows)), unit="min"))
    assert detect({"events": events}, kinds=("farm",), progress=False).flagged_accounts("farm") == farm
    six = events[events["account_id"] != "f6"]
    assert detect({"events": six}, kinds=("farm",), progress=False).flagged_accounts("farm") == []


def test_a_phone_group_that_is_half_accounts_of_a_flagged_farm_is_that_farm():
    """Seven accounts follow the same three customers (a farm on co-following alone). Two of them and two accounts
    that follow a single customer log in on one phone: four too few to be a farm on their own, but half of them
    are the flagged farm's accounts, so the phone group is flagged with it (``min_share_in_flagged_farm``). A
    tablet that one farm account shares with three strangers is a quarter: not flagged."""
    farm = [f"f{i}" for i in range(7)]
    rows = [(account, f"customer{c}") for account in farm for c in range(3)]
    rows += [("g0", "customer0"), ("g1", "customer1")]
    rows += [(f"o{i}", f"creator{i}") for i in range(8)]
    events = pd.DataFrame(rows, columns=["account_id", "target_id"]).assign(
        action="follow", ts=pd.Timestamp("2026-03-02T10:00Z") + pd.to_timedelta(np.arange(len(rows)), unit="min"))
    accounts = sorted({account for account, _ in rows})
    own = pd.DataFrame({"account_id": accounts, "device_id": [f"own-{a}" for a in accounts],
                        "ip": [f"ip-{a}" for a in accounts], "ts": pd.Timestamp("2026-03-03T10:00Z")})

    def phone(name: str, users: list[str]) -> pd.DataFrame:
        return pd.DataFrame({"account_id": users, "device_id": name, "ip": [f"ip-{u}" for u in users],
                             "ts": pd.Timestamp("2026-03-04T10:00Z")})

    logins = pd.concat([own, phone("farm-phone", ["f0", "f1", "g0", "g1"]), phone("cafe-tablet", ["f2", "o0", "o1", "o2"])],
                       ignore_index=True)
    result = detect({"events": events, "logins": logins}, kinds=("farm",), progress=False)
    assert result.flagged_accounts("farm") == sorted(farm + ["g0", "g1"])
    extension = result.clusters[result.clusters["explanation"].str.contains("flagged members of another farm")
                                & result.clusters["flagged"]]
    assert len(extension) == 1 and extension["size"].iloc[0] == 4
    assert "50% of its accounts are flagged members of another farm cluster" in extension["explanation"].iloc[0]
    off = detect({"events": events, "logins": logins}, kinds=("farm",), progress=False,
                 thresholds={"farm": {"min_share_in_flagged_farm": 0.75}})
    assert off.flagged_accounts("farm") == farm


def test_only_farms_flagged_on_their_own_evidence_extend_to_a_phone_group():
    """Group G is half accounts of flagged farm F; group H is half accounts of G, none of F: H is not F's (a group
    joins a farm through its own accounts, never through a chain of groups). Group P is a part of F (every account
    already F's): it adds nobody, so it is not flagged a second time (the 5M bench folder: a part of a farm the
    ban-evasion report superseded brought two of its organic accounts back)."""
    from tsinvest.detection.farm import _share_in_flagged_farms

    clusters = pd.DataFrame({"cluster_id": ["F", "G", "H", "P"], "flagged": [True, False, False, False],
                             "shared_values": [1.0, 1.0, 1.0, 1.0]})
    memberships = pd.DataFrame({"cluster_id": ["F"] * 4 + ["G"] * 4 + ["H"] * 4 + ["P"] * 3,
                                "account_id": ["f0", "f1", "f2", "f3", "f0", "f1", "g0", "g1", "g0", "g1", "h0", "h1",
                                               "f1", "f2", "f3"]})
    members = memberships.assign(member_flagged=memberships["cluster_id"] == "F")
    share = _share_in_flagged_farms(clusters, members, memberships)
    assert share.to_dict() == {"G": 0.5, "H": 0.0, "P": 0.0}


def test_a_small_farm_merged_with_a_large_one_by_shared_follows_is_split_out_and_found():
    """A farm of 20 follows four customers; a farm of 10 follows three of its five customers each; six of the
    large farm also follow one small-farm customer. The co-follow component of 30 is dense enough (0.62) to stay
    whole, and there no small-farm customer is followed by 0.3 of the members, so the focus peel drops all ten.
    Its Leiden parts are judged beside it (``also_split_below``): the small farm is its own focused group."""
    large = [f"a{i:02d}" for i in range(20)]
    small = [f"b{i}" for i in range(10)]
    rows = [(account, f"big-customer{c}") for account in large for c in range(4)]
    rows += [(account, f"small-customer{(i + k) % 5}") for i, account in enumerate(small) for k in range(3)]
    rows += [(account, "small-customer0") for account in large[:6]]
    events = pd.DataFrame(rows, columns=["account_id", "target_id"]).assign(
        action="follow", ts=pd.Timestamp("2026-03-02T10:00Z") + pd.to_timedelta(np.arange(len(rows)), unit="min"))
    found = detect({"events": events}, kinds=("farm",), progress=False).flagged_accounts("farm")
    assert found == sorted(large + small)
    whole_only = detect({"events": events}, kinds=("farm",), progress=False,
                        thresholds={"farm": {"also_split_below": 0.0}}).flagged_accounts("farm")
    assert whole_only == large


def test_a_farm_that_shares_a_device_with_a_banned_operator_reports_the_evaders_once():
    """Eight farm accounts log in from the banned operator's home IP and their own two phones. The farm cluster
    holds the operator's three accounts too (3 of 11, not mostly them): the farm stays flagged for its own
    members, and the operator's new accounts are reported as ban evasion only, the banned one not at all."""
    tables = ban_evasion_tables()
    farm_ids = [f"7{i:018d}" for i in range(8)]
    farm_accounts = pd.DataFrame({"account_id": farm_ids, "created_at": pd.Timestamp("2024-06-01T00:00Z"),
                                  "username": [f"grower{i * 13}" for i in range(8)]})
    farm_logins = pd.DataFrame({"account_id": farm_ids * 2, "device_id": ["d8"] * 8 + ["d9"] * 8,
                                "ip": ["i1"] * 16, "ts": pd.Timestamp("2026-03-12T00:00Z")})
    tables = {**tables, "accounts": pd.concat([tables["accounts"], farm_accounts], ignore_index=True),
              "logins": pd.concat([tables["logins"], farm_logins], ignore_index=True)}
    result = detect(tables, kinds=("farm", "ban_evasion"), progress=False)
    assert result.flagged_accounts("ban_evasion") == ["0000000000000000002", "0000000000000000003"]
    assert result.flagged_accounts("farm") == farm_ids
    farm = result.clusters[(result.clusters["kind"] == "farm") & result.clusters["flagged"]]
    assert len(farm) == 1 and "reported as ban_evasion instead" in farm["explanation"].iloc[0]


def test_organic_users_reporting_one_popular_account_within_the_hour_are_not_a_brigade():
    """Six users report a popular account for one policy within the hour (a pile-on after a post) and file
    their other reports elsewhere; a brigade's members report for the brigade."""
    pile_on = {"size": 6, "density": 0.73, "coordinated_share": 0.55, "burst_share": 1.0, "p_value": 0.005,
               "excess_share": 0.98, "mean_weight": 1.0, "z_score": 10.9, "median_gap_s": 726.0,
               "chance_waves": 1e-9}
    brigade = {**pile_on, "size": 12, "density": 0.95, "coordinated_share": 0.97, "median_gap_s": 40.0}
    limits = MassReport().limits()
    assert not MassReport.decide(pile_on, limits)[1]
    assert MassReport.decide(brigade, limits)[1]


def famous_and_quiet_reports(victim):
    """400 strangers report a famous account every 75 minutes for three weeks; six more report ``victim``
    within 45 minutes, and nothing else."""
    rows = [(f"o{i}", "famous", "harassment", 4500 * i) for i in range(400)]
    rows += [(f"p{k}", victim, "harassment", 200 * 4500 + 1500 + 500 * k) for k in range(6)]
    rows += [(f"x{i}", f"someone{i % 7}", "spam", 86400 * (i % 6) + 977 * i) for i in range(40)]
    reports = pd.DataFrame(rows, columns=["reporter_id", "target_account_id", "policy", "s"])
    reports["ts"] = pd.to_datetime(reports.pop("s"), unit="s", utc=True)
    return {"reports": reports}


def test_six_of_a_famous_accounts_many_reporters_within_the_hour_are_not_a_brigade():
    """Six reports of an account that strangers report every 75 minutes, within 45 minutes: a shuffle of the
    six reporters' own times calls the meeting rare, but such bursts come by chance from that traffic (about
    0.2 expected in three weeks, ``max_chance_waves`` 0.01). The same six reports of a quiet account are a
    brigade."""
    pile_on = detect(famous_and_quiet_reports("famous"), n_permutations=99, progress=False)
    assert pile_on.flagged_accounts("mass_report") == []
    chance = pile_on.clusters.loc[pile_on.clusters["kind"] == "mass_report", "chance_waves"].dropna()
    assert len(chance) == 1 and 0.01 < chance.iloc[0] < 1
    shuffle_only = detect(famous_and_quiet_reports("famous"), n_permutations=99, progress=False,
                          thresholds={"mass_report": {"max_chance_waves": 1.0}})
    assert {f"p{k}" for k in range(6)} <= set(shuffle_only.flagged_accounts("mass_report"))
    quiet = detect(famous_and_quiet_reports("quiet"), n_permutations=99, progress=False)
    assert quiet.flagged_accounts("mass_report") == [f"p{k}" for k in range(6)]


def test_a_ring_joined_by_two_heavy_users_is_judged_by_its_members_in_the_bursts():
    """Twelve accounts share six videos within seconds. Two heavy users act on popular videos together all week
    (300 times, five minutes apart, among crowds of twenty) and on the ring's videos within a minute of it: the
    fourteen make one complete component, whose 600 crowd actions outweigh the ring's 72 in the burst share
    (0.2). The members acting inside the cluster's bursts are judged as a cluster of their own
    (``judge_member_cores``): the ring, without the heavy users."""
    ring = [f"r{m:02d}" for m in range(12)]
    rows = [(account, f"ring-video{v}", 500_000 + 7200 * v + m) for v in range(6) for m, account in enumerate(ring)]
    rows += [(heavy, f"ring-video{v}", 500_000 + 7200 * v + lag) for v in range(6) for heavy, lag in (("h0", 40),
                                                                                                       ("h1", 50))]
    for k in range(300):
        start = 2000 * k
        rows += [(f"o{k}-{j}", f"popular{k % 20}", start + 10 * j) for j in range(20)]
        rows += [("h0", f"popular{k % 20}", start + 100), ("h1", f"popular{k % 20}", start + 400)]
    events = pd.DataFrame(rows, columns=["account_id", "target_id", "s"]).assign(action="share")
    events["ts"] = pd.to_datetime(events.pop("s"), unit="s", utc=True)
    found = detect({"events": events}, kinds=("amplification",), n_permutations=99, progress=False)
    assert found.flagged_accounts("amplification") == ring
    whole_only = detect({"events": events}, kinds=("amplification",), n_permutations=99, progress=False,
                        thresholds={"amplification": {"judge_member_cores": 0.0}})
    assert whole_only.flagged_accounts("amplification") == []
    # The whole is judged the same beside its core: an edge inside both counts once in each.
    columns = ["size", "edges", "density", "mean_weight", "total_weight", "burst_share", "flagged"]
    whole = whole_only.clusters[columns].reset_index(drop=True)
    beside = found.clusters[found.clusters["size"] == 14][columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(beside, whole)


def test_a_flagged_ring_is_listed_once_though_its_core_drops_a_bystander():
    """Ten accounts share eight videos within seconds; an eleventh shares the first two videos five minutes
    later. The whole cluster is flagged for the ten; its core (the ten) agrees, so only the whole is listed."""
    rows = [(f"r{m}", f"v{v}", 3600 * v + m) for v in range(8) for m in range(10)]
    rows += [("late", f"v{v}", 3600 * v + 300) for v in range(2)]
    rows += [(f"o{i}", f"other{i % 13}", 977 * i) for i in range(60)]
    events = pd.DataFrame(rows, columns=["account_id", "target_id", "s"]).assign(action="share")
    events["ts"] = pd.to_datetime(events.pop("s"), unit="s", utc=True)
    result = detect({"events": events}, kinds=("amplification",), n_permutations=99, progress=False)
    assert result.flagged_accounts("amplification") == [f"r{m}" for m in range(10)]
    flagged = result.clusters[result.clusters["flagged"]]
    assert len(flagged) == 1 and flagged["size"].iloc[0] == 11
