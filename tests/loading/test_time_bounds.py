"""One rule for time bounds: every public ``as_of`` / ``start`` / ``end`` / ``split`` reads a naive value as UTC.

Each entry point is called twice on the same small slice of the sample, once
with a naive bound (``"2026-03-30"``) and once with the same instant spelled in
UTC (``"2026-03-30T00:00:00Z"``); the results must be identical. Before issue 15
the queue, detection and account-age functions refused the naive form while the
trend, window and case-file functions read it as UTC.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from tsinvest.exceptions import ParameterError
from tsinvest.loading.timestamps import utc_bound
from tsinvest.workspace import Workspace

NAIVE, AWARE = "2026-03-30", "2026-03-30T00:00:00Z"
# For start bounds: a day inside the sample (which ends on 2026-03-29).
NAIVE_START, AWARE_START = "2026-03-27", "2026-03-27T00:00:00Z"


@pytest.fixture(scope="module")
def tables(recent_sample: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return recent_sample


@pytest.fixture(scope="module")
def workspace(tables) -> Workspace:
    desk = Workspace()
    for name in ("escalations", "enforcements", "reports"):
        desk.register(name, tables[name])
    yield desk
    desk.close()


def _account(tables) -> str:
    return str(tables["escalations"]["subject_account_id"].iloc[0])


def _detect(tables, bound):
    from tsinvest.detect import detect

    result = detect(tables, as_of=bound, progress=False, n_permutations=19)
    return result.clusters, result.parameters.get("as_of")


def _cluster_features(tables, bound):
    from tsinvest.scoring.features import cluster_features

    memberships = pd.DataFrame({"account_id": tables["accounts"]["account_id"].iloc[:4], "cluster_id": "c-1"})
    edges = pd.DataFrame(columns=["account_a", "account_b", "signal", "weight", "first_ts", "last_ts", "evidence"])
    return cluster_features(memberships, edges, accounts=tables["accounts"], as_of=bound)


def _case_file(tables, bound):
    from tsinvest.notebooks.casefile import case_file

    case = case_file(tables, account_id=_account(tables), as_of=bound, check_ban_evasion=False)
    return repr(case), case.enforcements, case.related_escalations


def _trend_monitor(tables, bound):
    from tsinvest.notebooks.monitor import trend_monitor

    monitor = trend_monitor(tables, end=bound, target="2026-03-29/2026-03-30", reference="2026-03-27/2026-03-29")
    return monitor.series


def _compare_windows(tables, bound):
    from tsinvest.graph.tracking import compare_windows

    comparison = compare_windows(tables, split=bound.replace("30", "28", 1), seed=0)
    return comparison.transitions, comparison.parameters


def _filter_state(tables, bound):
    from tsinvest.widgets.filters import FilterState

    return FilterState(start=bound.replace("30", "27", 1), end=bound)


ENTRY_POINTS: dict[str, Callable[[dict, Workspace, str], object]] = {
    "utc_bound": lambda tables, desk, bound: utc_bound(bound, name="as_of"),
    "detect(as_of)": lambda tables, desk, bound: _detect(tables, bound),
    "triage_queue(as_of)": lambda tables, desk, bound: _triage(desk, bound),
    "ticket_times(as_of)": lambda tables, desk, bound: _escalations("ticket_times", desk, as_of=bound),
    "sla_figures(as_of)": lambda tables, desk, bound: _escalations("sla_figures", desk, as_of=bound),
    "backlog_series(as_of)": lambda tables, desk, bound: _escalations("backlog_series", desk, as_of=bound),
    "account_age_days(as_of)": lambda tables, desk, bound: _account_age(tables, bound),
    "cluster_features(as_of)": lambda tables, desk, bound: _cluster_features(tables, bound),
    "case_file(as_of)": lambda tables, desk, bound: _case_file(tables, bound),
    "time_window(end)": lambda tables, desk, bound: _time_window(tables, end=bound),
    "time_series(end)": lambda tables, desk, bound: _time_series(tables, start=None, end=bound),
    "trend_monitor(end)": lambda tables, desk, bound: _trend_monitor(tables, bound),
    "compare_windows(split)": lambda tables, desk, bound: _compare_windows(tables, bound),
    "FilterState(start, end)": lambda tables, desk, bound: _filter_state(tables, bound),
}


def _triage(desk, bound):
    from tsinvest.escalations import triage_queue

    return triage_queue(desk, as_of=bound)


def _escalations(function: str, desk, **bounds):
    import tsinvest.escalations as escalations

    return getattr(escalations, function)(desk, **bounds)


def _account_age(tables, bound):
    from tsinvest.linking.account_features import account_age_days

    return account_age_days(tables["accounts"], bound)


def _time_window(tables, **bounds):
    from tsinvest.notebooks.findings import time_window

    return time_window(tables, **bounds)


def _time_series(tables, **bounds):
    from tsinvest.trends import time_series

    return time_series(tables["events"], **bounds)


def _assert_same(left: object, right: object) -> None:
    if isinstance(left, tuple):
        assert isinstance(right, tuple) and len(left) == len(right)
        for one, other in zip(left, right, strict=True):
            _assert_same(one, other)
    elif isinstance(left, dict):
        assert isinstance(right, dict) and left.keys() == right.keys()
        for key in left:
            _assert_same(left[key], right[key])
    elif isinstance(left, pd.DataFrame):
        pd.testing.assert_frame_equal(left, right)
    elif isinstance(left, pd.Series):
        pd.testing.assert_series_equal(left, right)
    else:
        assert left == right


@pytest.mark.parametrize("entry_point", sorted(ENTRY_POINTS))
def test_a_naive_bound_is_read_as_utc_by_every_entry_point(entry_point, tables, workspace):
    call = ENTRY_POINTS[entry_point]
    _assert_same(call(tables, workspace, NAIVE), call(tables, workspace, AWARE))


@pytest.mark.parametrize("start", [NAIVE_START, AWARE_START])
def test_a_naive_start_is_read_as_utc(start, tables, workspace):
    from tsinvest.escalations import sla_figures

    _assert_same(_time_window(tables, start=start), _time_window(tables, start=AWARE_START))
    _assert_same(_time_series(tables, start=start, end=AWARE), _time_series(tables, start=AWARE_START, end=AWARE))
    expected = sla_figures(workspace, as_of=AWARE, start=AWARE_START)
    _assert_same(sla_figures(workspace, as_of=AWARE, start=start), expected)


def test_the_rule_converts_offsets_and_names_the_parameter_on_bad_input():
    assert utc_bound("2026-03-30T02:00:00+02:00", name="as_of") == pd.Timestamp(AWARE)
    assert utc_bound(NAIVE, name="as_of") == pd.Timestamp(AWARE)
    assert utc_bound(None, name="start") is None
    with pytest.raises(ParameterError, match="^as_of is required"):
        utc_bound(None, name="as_of", required=True)
    with pytest.raises(ParameterError, match="^end is not a date or time") as caught:
        utc_bound("next tuesday", name="end")
    assert "tuesday" not in str(caught.value)
    with pytest.raises(ParameterError, match="^split is missing"):
        utc_bound(pd.NaT, name="split")
