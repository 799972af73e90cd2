"""generate_sample: determinism, truth structure, formats, rhythms, trends, atomic writes."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsinvest.exceptions import ParameterError
from tsinvest.schemas import TABLES
from tsinvest.synthetic import generate_sample, resolve_scale
from tsinvest.synthetic.generate import FILES

REPO = Path(__file__).resolve().parents[2]
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$")
ID19 = re.compile(r"^\d{19}$")


def _bytes(directory: Path) -> dict[str, bytes]:
    return {name: (directory / name).read_bytes() for name in FILES}


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path):
    first = generate_sample(tmp_path / "a", seed=5, scale=12_000)
    second = generate_sample(tmp_path / "b", seed=5, scale=12_000)
    generate_sample(tmp_path / "c", seed=6, scale=12_000)
    assert first == second
    assert _bytes(tmp_path / "a") == _bytes(tmp_path / "b")
    other = _bytes(tmp_path / "c")
    assert all(other[name] != data for name, data in _bytes(tmp_path / "a").items())


def test_committed_sample_is_the_generator_output(small):
    committed = REPO / "data_samples"
    for name in FILES:
        assert (committed / name).read_bytes() == (small.directory / name).read_bytes(), name
    assert sum((committed / name).stat().st_size for name in FILES) < 5_000_000
    assert (committed / "README.md").is_file()


def test_small_scale_has_expected_volume(small):
    assert 40_000 <= len(small["events"]) <= 60_000
    assert small.truth["counts"]["events"] == len(small["events"])
    assert small.truth["counts"]["accounts"] == len(small["accounts"])


def test_every_table_has_the_canonical_columns_in_order(small):
    for name, frame in small.tables.items():
        columns = [c for c in frame.columns if not c.endswith("_time")]
        assert columns == list(TABLES[name].columns), name


def test_truth_structure(small):
    truth = small.truth
    assert truth["seed"] == 7 and truth["scale"] == "small" and truth["adaptive"] is False
    assert (truth["start"], truth["end"]) == ("2026-03-02T00:00:00Z", "2026-03-30T00:00:00Z")
    kinds = [entry["kind"] for entry in truth["campaigns"]]
    for kind in ("amplification", "mass_report", "farm", "copy_paste"):
        assert 3 <= kinds.count(kind) <= 5
    ids = [entry["id"] for entry in truth["campaigns"] + truth["traps"]]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z_]+-\d{2}", entry_id) for entry_id in ids)
    for entry in truth["campaigns"]:
        assert 8 <= len(entry["accounts"]) <= 30
        assert entry["accounts"] == sorted(set(entry["accounts"]))
        assert entry["targets"] == sorted(entry["targets"]) and entry["targets"]
    trap_kinds = {entry["kind"] for entry in truth["traps"]}
    assert {"viral_burst", "fan_community", "carrier_nat"} <= trap_kinds
    assert "notification_fans" not in trap_kinds
    assert set(truth["trends"]) == {"report_spikes", "emerging_hashtags"}
    assert set(truth["escalations"]) == {"victim_tickets", "suspect_tickets"}


def test_every_truth_id_exists_in_the_tables(small):
    accounts = set(small["accounts"]["account_id"])
    videos = set(small["events"].loc[small["events"]["action"] == "post", "target_id"])
    devices_and_ips = set(small["logins"]["device_id"]) | set(small["logins"]["ip"])
    for entry in small.truth["campaigns"] + small.truth["traps"]:
        assert set(entry["accounts"]) <= accounts, entry["id"]
    for entry in small.truth["campaigns"]:
        pool = {"amplification": videos, "copy_paste": set(small["events"]["target_id"]),
                "mass_report": accounts, "farm": devices_and_ips}[entry["kind"]]
        assert set(entry["targets"]) <= pool, entry["id"]
    planted = {a for entry in small.truth["campaigns"] for a in entry["accounts"]}
    trapped = {a for entry in small.truth["traps"] for a in entry["accounts"]}
    assert not planted & trapped
    tickets = small["escalations"].set_index("ticket_id")
    victims = {a for entry in small.entries("mass_report") for a in entry["targets"]}
    assert small.truth["escalations"]["victim_tickets"]
    for ticket in small.truth["escalations"]["victim_tickets"]:
        assert tickets.loc[ticket, "subject_account_id"] in victims
    for ticket in small.truth["escalations"]["suspect_tickets"]:
        assert tickets.loc[ticket, "subject_account_id"] in planted


def test_ids_are_19_digit_unique_strings_with_some_leading_zeros(small):
    account_ids = small["accounts"]["account_id"]
    assert account_ids.is_unique and account_ids.map(ID19.match).notna().all()
    assert account_ids.str.startswith("0").sum() >= 10
    assert small["reports"]["report_id"].is_unique and small["escalations"]["ticket_id"].is_unique
    targets = small["events"]["target_id"]
    assert targets.map(ID19.match).notna().all()
    assert not set(targets[small["events"]["target_type"] == "video"]) & set(account_ids)
    raw = (small.directory / "accounts.csv").read_text(encoding="utf-8")
    zero_id = account_ids[account_ids.str.startswith("0")].iloc[0]
    assert f"\n{zero_id}," in raw  # written as plain text, unquoted


def test_timestamps_are_iso_utc_inside_the_window(small):
    start, end = pd.Timestamp("2026-03-02", tz="UTC"), pd.Timestamp("2026-03-30", tz="UTC")
    for name, column in (("events", "ts"), ("reports", "ts"), ("logins", "ts"), ("enforcements", "ts"),
                         ("escalations", "opened_at"), ("accounts", "created_at")):
        values = small[name][column]
        assert values.map(ISO.match).notna().all(), name
        if name != "accounts":
            times = small[name][column + "_time"]
            assert times.min() >= start and times.max() < end, name
    events = small["events"].merge(small["accounts"][["account_id", "created_at_time"]], on="account_id")
    assert (events["ts_time"] >= events["created_at_time"]).all()
    assert small["accounts"]["created_at_time"].min() < start - pd.Timedelta(days=4 * 365)


def test_files_are_sorted_by_time_then_id(small):
    events = small["events"]
    assert events["ts"].is_monotonic_increasing
    same_second = events["ts"] == events["ts"].shift()
    assert (events["account_id"][same_second] >= events["account_id"].shift()[same_second]).all()
    for name, column in (("reports", "ts"), ("logins", "ts"), ("escalations", "opened_at"), ("accounts", "created_at")):
        assert small[name][column].is_monotonic_increasing, name


def test_actions_and_target_types(small):
    events = small["events"]
    assert set(events["action"]) == {"share", "like", "comment", "post", "follow", "duet", "stitch"}
    assert (events.loc[events["action"] == "follow", "target_type"] == "account").all()
    assert (events.loc[events["action"] != "follow", "target_type"] == "video").all()
    follows = events.loc[events["action"] == "follow", "target_id"]
    assert follows.isin(set(small["accounts"]["account_id"])).all()
    texts = events.loc[events["action"].isin(["post", "comment"]), "text"]
    assert (texts != "").mean() > 0.99 and texts.str.contains("#").mean() > 0.2


def test_heavy_tailed_activity_and_popularity(small):
    per_account = small["events"]["account_id"].value_counts()
    per_video = small["events"].loc[small["events"]["target_type"] == "video", "target_id"].value_counts()
    top = max(1, len(per_account) // 10)
    assert per_account.iloc[:top].sum() > 0.35 * per_account.sum()
    assert per_video.iloc[0] > 20 * per_video.median()
    followers = small["accounts"]["follower_count"].astype(int)
    assert followers.max() > 100 * max(1, followers.median())


def test_daily_and_weekly_rhythm_in_events_and_reports(small):
    for name in ("events", "reports"):
        times = small[name]["ts_time"]
        by_weekday = times.dt.day_of_week.value_counts()
        assert by_weekday[5] > 1.2 * by_weekday[1], name  # Saturday busier than Tuesday
        by_hour = times.dt.hour.value_counts()
        assert by_hour.loc[18:22].mean() > 1.5 * by_hour.loc[3:7].mean(), name


def test_report_spike_is_planted(small):
    (spike,) = small.truth["trends"]["report_spikes"]
    reports = small["reports"]
    policy = reports[reports["policy"] == spike["policy"]]
    inside = policy["ts_time"].between(pd.Timestamp(spike["start"]), pd.Timestamp(spike["end"]), inclusive="left")
    hours_inside = (pd.Timestamp(spike["end"]) - pd.Timestamp(spike["start"])) / pd.Timedelta(hours=1)
    rate_inside = inside.sum() / hours_inside
    rate_outside = (~inside).sum() / (28 * 24 - hours_inside)
    assert rate_inside > 3 * rate_outside
    assert 24 <= hours_inside <= 48


def test_emerging_hashtag_absent_then_growing(small):
    (trend,) = small.truth["trends"]["emerging_hashtags"]
    events = small["events"]
    uses = events.loc[events["text"].str.contains(trend["hashtag"], regex=False), "ts_time"]
    start = pd.Timestamp(trend["start"])
    assert uses.min() >= start and start >= pd.Timestamp("2026-03-15", tz="UTC")
    daily = uses.dt.floor("D").value_counts().sort_index()
    assert daily.iloc[-3:].mean() > 5 * daily.iloc[:3].mean()
    assert (small["reports"]["policy"] == "dangerous_challenge").any()


def test_escalations_vocabulary(small):
    escalations = small["escalations"]
    assert set(escalations["channel"]) == {"user", "partner", "regulator", "internal"}
    assert set(escalations["priority"]) <= {"urgent", "high", "normal", "low"}
    assert set(escalations["status"]) <= {"open", "in_progress", "resolved", "closed"}
    assert (escalations["due_at_time"] > escalations["opened_at_time"]).all()
    assert (escalations["summary"] != "").all()


def test_enforcements_follow_reports(small):
    enforcements = small["enforcements"]
    assert len(enforcements) > 50
    assert set(enforcements["action"]) <= {"warn", "suspend", "ban", "remove_content"}
    assert set(enforcements["account_id"]) <= set(small["reports"]["target_account_id"])


@pytest.mark.parametrize("scale", ["tiny", "9999", -5, 12000.5, None])
def test_bad_scale_is_a_parameter_error(scale, tmp_path):
    with pytest.raises(ParameterError, match="scale"):
        generate_sample(tmp_path / "x", scale=scale)
    assert not (tmp_path / "x").exists()


def test_resolve_scale_names_and_counts():
    assert resolve_scale("small") < resolve_scale("medium") < resolve_scale("large")
    assert resolve_scale("medium") == 500_000 and resolve_scale("large") == 5_000_000
    assert resolve_scale("20000") == 20_000


def test_existing_directory_keeps_other_files_and_no_staging_left(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "README.md").write_text("keep me", encoding="utf-8")
    generate_sample(out, seed=1, scale=10_000)
    assert (out / "README.md").read_text(encoding="utf-8") == "keep me"
    assert {p.name for p in out.iterdir()} == set(FILES) | {"README.md"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_failure_leaves_nothing_behind(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    with pytest.raises(ParameterError):
        generate_sample(blocker, seed=1, scale=10_000)
    with pytest.raises(ParameterError):
        generate_sample(tmp_path / "y", seed=-1, scale=10_000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
    (tmp_path / "z" / "events.csv").mkdir(parents=True)
    with pytest.raises(ParameterError, match="folder"):
        generate_sample(tmp_path / "z", seed=1, scale=10_000)
    assert [p.name for p in (tmp_path / "z").iterdir()] == ["events.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "z"]


@pytest.mark.parametrize("which", ["small", "adaptive"])
def test_loads_cleanly_with_the_project_loader(which, request):
    small = request.getfixturevalue(which)
    from tsinvest.loading import load_dir

    tables = load_dir(small.directory)
    assert set(tables) == set(TABLES)
    assert len(tables["events"]) == len(small["events"])
    loaded_ids = tables["accounts"]["account_id"]
    assert loaded_ids.str.len().eq(19).all()
    assert loaded_ids.str.startswith("0").sum() == small["accounts"]["account_id"].str.startswith("0").sum()
    assert str(tables["events"]["ts"].dtype) == "datetime64[ns, UTC]"
    assert np.array_equal(tables["reports"]["report_id"].to_numpy(dtype=object),
                          small["reports"]["report_id"].to_numpy(dtype=object))


def test_progress_bar_goes_to_stderr_only_when_asked(tmp_path, capsys):
    generate_sample(tmp_path / "quiet", seed=2, scale=10_000)
    assert capsys.readouterr().err == ""
    generate_sample(tmp_path / "loud", seed=2, scale=10_000, progress=True)
    captured = capsys.readouterr()
    assert "tsinvest sample" in captured.err and captured.out == ""
    assert _bytes(tmp_path / "quiet") == _bytes(tmp_path / "loud")


@pytest.mark.parametrize(
    ("module", "name"),
    [("generate", "SCALES"), ("switches", "SWITCHES"), ("switches", "SUBSTITUTIONS"), ("hostile", "HOMOGLYPHS"),
     ("world", "ACTION_CODE")],
)
def test_public_tables_of_the_generator_are_read_only(module, name):
    import importlib

    table = getattr(importlib.import_module(f"tsinvest.synthetic.{module}"), name)
    key = next(iter(table))
    with pytest.raises(TypeError):
        table[key] = table[key]
