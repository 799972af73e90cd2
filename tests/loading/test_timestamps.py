"""Timestamps: mixed offsets, naive rejection and timezone=, epoch s vs ms, unparseable rows."""

from __future__ import annotations

import pandas as pd
import pytest

from tsinvest.exceptions import ParameterError, SchemaValidationError
from tsinvest.loading import load_logins, to_utc


def _logins(times):
    return pd.DataFrame({"account_id": [str(i) for i in range(len(times))], "ts": times})


def test_mixed_offsets_in_one_column_convert_to_the_same_instant():
    frame = load_logins(_logins(["2026-03-02T10:00:00Z", "2026-03-02T12:00:00+02:00", "2026-03-02T05:00:00-05:00",
                                 "2026-03-02T10:00:00.000+00:00", "2026-03-02T15:30:00+0530"]))
    assert set(frame["ts"]) == {pd.Timestamp("2026-03-02T10:00:00Z")}
    assert str(frame["ts"].dtype) == "datetime64[ns, UTC]"


def test_naive_timestamps_are_rejected_with_column_and_rows():
    with pytest.raises(SchemaValidationError) as caught:
        load_logins(_logins(["2026-03-02T10:00:00Z", "2026-03-02 10:00:00", "2026-03-02", "2026-03-02T10:00:00"]))
    (problem,) = caught.value.problems
    assert problem.column == "ts" and problem.rows == (2, 3, 4) and problem.count == 3
    assert "timezone=" in problem.reason


def test_timezone_option_localises_naive_values_and_keeps_offsets():
    frame = load_logins(
        _logins(["2026-03-02 11:00:00", "2026-07-01T12:00:00", "2026-03-02T10:00:00Z"]), timezone="Europe/Berlin"
    )
    assert frame["ts"].tolist() == [
        pd.Timestamp("2026-03-02T10:00:00Z"), pd.Timestamp("2026-07-01T10:00:00Z"), pd.Timestamp("2026-03-02T10:00:00Z")
    ]


def test_nonexistent_local_time_is_reported():
    with pytest.raises(SchemaValidationError, match="daylight-saving") as caught:
        load_logins(_logins(["2026-03-29T02:30:00"]), timezone="Europe/Berlin")
    assert caught.value.problems[0].rows == (1,)


def test_bad_timezone_name_is_a_parameter_error():
    with pytest.raises(ParameterError, match="IANA"):
        load_logins(_logins(["2026-03-02T10:00:00Z"]), timezone="Mars/Olympus")


def test_epoch_numbers_need_epoch_unit():
    with pytest.raises(SchemaValidationError, match="epoch_unit") as caught:
        load_logins(_logins(["1772445600", "2026-03-02T10:00:00Z"]))
    assert caught.value.problems[0].rows == (1,)


@pytest.mark.parametrize(("values", "unit"), [(["1772445600", "1772445600.5"], "s"), (["1772445600000", "1772445600500"], "ms")])
def test_epoch_seconds_and_milliseconds(values, unit):
    frame = load_logins(_logins(values), epoch_unit=unit)
    assert frame["ts"].tolist() == [pd.Timestamp("2026-03-02T10:00:00Z"), pd.Timestamp("2026-03-02T10:00:00.5Z")]


def test_epoch_unit_mismatch_is_reported_not_guessed():
    with pytest.raises(SchemaValidationError, match="looks like milliseconds"):
        load_logins(_logins(["1772445600000"]), epoch_unit="s")
    with pytest.raises(SchemaValidationError, match="looks like seconds"):
        load_logins(_logins(["1772445600"]), epoch_unit="ms")


def test_typed_numeric_epochs():
    frame = pd.DataFrame({"account_id": ["1"], "ts": [1772445600000]})
    assert load_logins(frame, epoch_unit="ms")["ts"].tolist() == [pd.Timestamp("2026-03-02T10:00:00Z")]
    with pytest.raises(SchemaValidationError, match="epoch"):
        load_logins(frame)


def test_typed_naive_and_aware_datetimes():
    naive = pd.DataFrame({"account_id": ["1"], "ts": pd.to_datetime(["2026-03-02 11:00"])})
    with pytest.raises(SchemaValidationError, match="naive"):
        load_logins(naive)
    assert load_logins(naive, timezone="Europe/Berlin")["ts"].tolist() == [pd.Timestamp("2026-03-02T10:00:00Z")]
    aware = pd.DataFrame({"account_id": ["1"], "ts": pd.to_datetime(["2026-03-02 11:00"]).tz_localize("Europe/Berlin")})
    assert load_logins(aware)["ts"].tolist() == [pd.Timestamp("2026-03-02T10:00:00Z")]


def test_unparseable_and_out_of_range_values_report_rows():
    with pytest.raises(SchemaValidationError) as caught:
        load_logins(_logins(["yesterday", "2026-13-45T10:00:00Z", "2026-03-02T10:00:00Z", "9999-01-01T00:00:00Z"]))
    reasons = {p.reason.split(" (")[0]: p.rows for p in caught.value.problems}
    assert reasons["unparseable timestamp"] == (1, 2)
    assert reasons["timestamp outside the supported years 1678-2261"] == (4,)


def test_to_utc_reports_without_values():
    times, issues = to_utc(pd.Series(["secret-token-123"]), column="ts")
    assert times.isna().all()
    assert all("secret" not in issue.reason for issue in issues)


def test_fractional_epochs_are_exact_to_the_nanosecond():
    # A float epoch of 1772445600.25 s is off by ~128 ns on pandas 2; digits are read as text.
    seconds, issues = to_utc(pd.Series(["1772445600.25", "-0.5", "12.123456789"]), column="ts", epoch_unit="s")
    assert issues == []
    assert [t.value for t in seconds] == [1772445600_250000000, -500000000, 12_123456789]
    millis, _ = to_utc(pd.Series(["1772445600250.5"]), column="ts", epoch_unit="ms")
    assert millis[0].value == 1772445600_250500000


def test_epoch_beyond_nanosecond_range_is_reported_not_dropped():
    with pytest.raises(SchemaValidationError) as caught:
        load_logins(_logins(["9999999999", "1772445600"]), epoch_unit="s")
    reasons = {p.reason: p.rows for p in caught.value.problems}
    assert reasons == {"timestamp outside the supported years 1678-2261": (1,)}


@pytest.mark.parametrize("text", ["9999-01-01T00:00:00", "1200-05-01T00:00:00"])
def test_naive_out_of_range_years_are_called_naive_not_unparseable(text):
    _, issues = to_utc(pd.Series([text, "garbage"]), column="ts")
    assert [(issue.reason.split(";")[0], issue.positions.tolist()) for issue in issues] == [
        ("timestamp has no UTC offset (naive)", [0]),
        ("unparseable timestamp (expected ISO 8601 such as 2026-03-02T10:00:00Z)", [1]),
    ]
