"""What the analyst filters on, as a value, and what it leaves on screen.

The filter panel is a thin skin over two pure pieces that live here and are
tested without a browser:

* :class:`FilterState`, a frozen value (date range, policies, actions,
  countries, minimum edge weight, minimum cluster size, score threshold and a
  free-text account search) that converts to and from notebook parameters, so
  ``tsinvest run`` reproduces exactly what the analyst saw;
* :func:`apply_filters`, which turns an :class:`ExplorerData` (accounts,
  edges, clusters, events, reports) and a state into a :class:`FilteredView`.

Semantics, in one place:

* the date range ``[start, end)`` keeps events and reports inside it, and
  links whose time span overlaps it;
* ``actions`` narrows events; ``policies`` narrows reports and keeps only
  clusters with a member who made or received a report under one of them in
  the range; ``countries`` keeps accounts from those countries and clusters
  with at least one such member (empty tuples mean "all");
* a cluster is shown when it has ``size >= min_cluster_size``,
  ``score >= min_score`` and at least one link of weight ``>= min_edge_weight``
  in the range; links shown are those between members of shown clusters;
* ``search`` matches account ids (substring) and usernames compared by
  :func:`tsinvest.textnorm.matching_key` (so homoglyph and leetspeak variants
  still match); it keeps clusters with a matching member, and the accounts
  table then lists every matching account, in a shown cluster or not.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.loading.timestamps import utc_bound
from tsinvest.schemas import EDGE_COLUMNS, require_columns

__all__ = [
    "FilterState",
    "ExplorerData",
    "FilteredView",
    "explorer_data",
    "from_detection",
    "apply_filters",
    "search_accounts",
    "parameters_cell",
    "PARAMETER_PREFIX",
]

#: Prefix of the notebook parameters a :class:`FilterState` maps to.
PARAMETER_PREFIX = "filter_"

# Notebook parameter types as papermill reads them from annotations, so
# `tsinvest run -p filter_countries BR,MX` converts values the right way.
_PARAMETER_TYPES = {
    "start": "Optional[str]",
    "end": "Optional[str]",
    "policies": "list[str]",
    "actions": "list[str]",
    "countries": "list[str]",
    "min_edge_weight": "float",
    "min_cluster_size": "int",
    "min_score": "float",
    "search": "str",
}


def _utc_text(value: object, name: str) -> str | None:
    if value is None or value == "":
        return None
    if pd.api.types.is_scalar(value) and pd.isna(value):  # NaT from a cleared date picker: no bound
        return None
    return utc_bound(value, name=name, required=True).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text_tuple(values: object, name: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [part for part in values.split(",") if part.strip()]
    if not isinstance(values, Iterable):
        raise ParameterError(f"{name} must be a list of strings")
    return tuple(sorted({str(value).strip() for value in values if str(value).strip()}))


@dataclass(frozen=True)
class FilterState:
    """Every filter of the panel, as one immutable value.

    Attributes
    ----------
    start, end : str or None
        Date range ``[start, end)`` as ISO 8601 UTC text (``None`` = open).
    policies, actions, countries : tuple of str
        Allowed report policies, event actions and account countries
        (empty = all). Stored sorted and de-duplicated.
    min_edge_weight : float
        Links lighter than this are hidden.
    min_cluster_size : int
        Clusters with fewer members are hidden.
    min_score : float
        Clusters scoring below this are hidden.
    search : str
        Free-text account search (id substring or username).

    Examples
    --------
    >>> state = FilterState(start="2026-03-02", countries=["MX", "BR", "MX"], min_score=0.5)
    >>> state.start, state.countries
    ('2026-03-02T00:00:00Z', ('BR', 'MX'))
    >>> FilterState.from_parameters(state.to_parameters()) == state
    True
    """

    start: str | None = None
    end: str | None = None
    policies: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    min_edge_weight: float = 0.0
    min_cluster_size: int = 2
    min_score: float = 0.0
    search: str = ""

    def __post_init__(self) -> None:
        # Normalise once here so equal filters compare equal however they were typed.
        set_ = object.__setattr__
        set_(self, "start", _utc_text(self.start, "start"))
        set_(self, "end", _utc_text(self.end, "end"))
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ParameterError("start must be before end (the range is [start, end))")
        for name in ("policies", "actions", "countries"):
            set_(self, name, _text_tuple(getattr(self, name), name))
        try:
            set_(self, "min_edge_weight", float(self.min_edge_weight))
            set_(self, "min_score", float(self.min_score))
            size = self.min_cluster_size
            if isinstance(size, float) and not float(size).is_integer():
                raise ValueError
            set_(self, "min_cluster_size", int(size))
        except (TypeError, ValueError):
            raise ParameterError("min_edge_weight and min_score must be numbers, min_cluster_size an integer") from None
        if self.min_edge_weight < 0 or self.min_cluster_size < 1:
            raise ParameterError("min_edge_weight must be >= 0 and min_cluster_size >= 1")
        set_(self, "search", "" if self.search is None else str(self.search).strip())

    def replace(self, **changes: Any) -> FilterState:
        """A copy with some filters changed.

        Examples
        --------
        >>> FilterState().replace(min_cluster_size=5).min_cluster_size
        5
        """
        return dataclasses.replace(self, **changes)

    def to_parameters(self, *, prefix: str = PARAMETER_PREFIX) -> dict[str, object]:
        """The state as notebook parameters (plain JSON-able values).

        Examples
        --------
        >>> FilterState(actions=["like"]).to_parameters()["filter_actions"]
        ['like']
        """
        values = dataclasses.asdict(self)
        return {f"{prefix}{name}": (list(value) if isinstance(value, tuple) else value)
                for name, value in values.items()}

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, object], *, prefix: str = PARAMETER_PREFIX) -> FilterState:
        """Build a state from notebook parameters; names without the prefix are ignored.

        Missing filters keep their defaults. Unknown ``filter_*`` names are an
        error, so a typo on the command line does not silently show everything.

        Examples
        --------
        >>> FilterState.from_parameters({"filter_min_cluster_size": 4, "data_dir": "x"}).min_cluster_size
        4
        """
        known = {f.name for f in dataclasses.fields(cls)}
        chosen: dict[str, Any] = {}
        for name, value in parameters.items():
            if not name.startswith(prefix):
                continue
            short = name[len(prefix):]
            if short not in known:
                raise ParameterError(f"unknown filter parameter '{name}'; known: "
                                     + ", ".join(prefix + k for k in sorted(known)))
            chosen[short] = value
        return cls(**chosen)


def parameters_cell(state: FilterState, *, prefix: str = PARAMETER_PREFIX) -> str:
    """Source of a ``parameters`` cell reproducing ``state`` (for copy-paste or review).

    Examples
    --------
    >>> print(parameters_cell(FilterState(countries=["BR"])).splitlines()[4])
    filter_countries: "list[str]" = ['BR']
    """
    lines = []
    for name, value in state.to_parameters(prefix=prefix).items():
        annotation = _PARAMETER_TYPES[name[len(prefix):]]
        annotation = annotation if annotation in ("float", "int", "str") else f'"{annotation}"'
        lines.append(f"{name}: {annotation} = {value!r}")
    return "\n".join(lines)


def _as_string(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    frame = frame.copy()
    for column in columns:
        if column in frame.columns:
            frame[column] = frame[column].astype("string")
    return frame


@dataclass(frozen=True)
class ExplorerData:
    """Everything the widgets show, normalised once.

    Build it with :func:`explorer_data`. Attributes are DataFrames with string
    ids: ``accounts`` (``account_id``, ``username``, ``country``, ``cluster_id``,
    ``score``), ``edges`` (:data:`~tsinvest.schemas.EDGE_COLUMNS`),
    ``memberships`` (``account_id``, ``cluster_id``), ``clusters``
    (``cluster_id``, ``size``, ``score`` and any extra summary columns),
    ``events`` and ``reports`` (canonical tables, possibly empty).
    """

    accounts: pd.DataFrame
    edges: pd.DataFrame
    memberships: pd.DataFrame
    clusters: pd.DataFrame
    events: pd.DataFrame
    reports: pd.DataFrame
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _empty_table(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})


def explorer_data(
    accounts: pd.DataFrame,
    edges: pd.DataFrame,
    memberships: pd.DataFrame,
    *,
    clusters: pd.DataFrame | None = None,
    account_scores: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    reports: pd.DataFrame | None = None,
    account_column: str = "account_id",
    cluster_column: str = "cluster_id",
    score_column: str = "score",
) -> ExplorerData:
    """Normalise detection output and canonical tables for the widgets.

    Parameters
    ----------
    accounts : DataFrame
        Canonical ``accounts`` table (``username``, ``country`` used if present).
    edges : DataFrame
        Links with :data:`~tsinvest.schemas.EDGE_COLUMNS` (e.g. from
        :func:`tsinvest.graph.combine_edges` or a detection result).
    memberships : DataFrame
        One row per (account, cluster).
    clusters : DataFrame, optional
        One row per cluster with a ``score`` (and any summary columns). When
        absent, or when it has no score, clusters score 0.
    account_scores : DataFrame, optional
        ``account_column`` and ``score_column`` per account; absent = the score
        of the account's best cluster.
    events, reports : DataFrame, optional
        Canonical tables, for the timeline and the policy/action filters.
    account_column, cluster_column, score_column : str
        Column names in the inputs.

    Returns
    -------
    ExplorerData

    Examples
    --------
    >>> import pandas as pd
    >>> accounts = pd.DataFrame({"account_id": ["01", "02", "03"], "username": ["a", "b", "c"],
    ...                          "country": ["BR", "MX", "BR"]})
    >>> ts = pd.Timestamp("2026-03-02", tz="UTC")
    >>> edges = pd.DataFrame({"account_a": ["01"], "account_b": ["02"], "signal": ["coaction"],
    ...                       "weight": [3.0], "first_ts": [ts], "last_ts": [ts], "evidence": ["v1"]})
    >>> members = pd.DataFrame({"account_id": ["01", "02"], "cluster_id": ["c-1", "c-1"]})
    >>> data = explorer_data(accounts, edges, members, clusters=pd.DataFrame({"cluster_id": ["c-1"], "score": [0.9]}))
    >>> data.clusters[["cluster_id", "size", "score"]].to_dict("records")
    [{'cluster_id': 'c-1', 'size': 2, 'score': 0.9}]
    >>> data.accounts["score"].tolist()
    [0.9, 0.9, 0.0]
    """
    require_columns(accounts, [account_column], name="accounts")
    require_columns(edges, EDGE_COLUMNS, name="edges")
    require_columns(memberships, [account_column, cluster_column], name="memberships")
    members = _memberships(memberships, account_column, cluster_column)
    summary = _cluster_summary(members, clusters, cluster_column, score_column)
    profile = _account_profiles(accounts, members, summary, account_scores, account_column, score_column)
    links = _as_string(edges[list(EDGE_COLUMNS)], ["account_a", "account_b", "signal", "evidence"])
    links["weight"] = links["weight"].astype("float64")
    links = links.sort_values(["weight", "account_a", "account_b", "signal"],
                              ascending=[False, True, True, True]).reset_index(drop=True)
    events, reports = _activity(events, reports)

    def choices(column: pd.Series) -> tuple[str, ...]:
        return tuple(sorted(str(v) for v in column.dropna().unique()))

    options = {
        "policies": choices(reports["policy"]),
        "actions": choices(events["action"]),
        "countries": choices(profile["country"]),
    }
    return ExplorerData(accounts=profile, edges=links, memberships=members, clusters=summary,
                        events=events, reports=reports, options=options)


def _memberships(memberships: pd.DataFrame, account_column: str, cluster_column: str) -> pd.DataFrame:
    members = _as_string(memberships[[account_column, cluster_column]], [account_column, cluster_column])
    members = members.rename(columns={account_column: "account_id", cluster_column: "cluster_id"})
    return members.dropna().drop_duplicates().sort_values(["cluster_id", "account_id"]).reset_index(drop=True)


def _cluster_summary(members: pd.DataFrame, clusters: pd.DataFrame | None, cluster_column: str,
                     score_column: str) -> pd.DataFrame:
    # One row per cluster: its size from the memberships, then the detector's summary columns.
    sizes = members.groupby("cluster_id", sort=True).size().rename("size").reset_index()
    sizes["size"] = sizes["size"].astype("int64")
    if clusters is not None and len(clusters.columns):
        require_columns(clusters, [cluster_column], name="clusters")
        summary = _as_string(clusters, [cluster_column]).rename(columns={cluster_column: "cluster_id"})
        summary = summary.drop(columns=[c for c in ("size",) if c in summary.columns])
        summary = sizes.merge(summary, on="cluster_id", how="left")
    else:
        summary = sizes
    if score_column in summary.columns and score_column != "score":
        summary = summary.rename(columns={score_column: "score"})
    if "score" not in summary.columns:
        summary["score"] = 0.0
    summary["score"] = pd.to_numeric(summary["score"], errors="coerce").fillna(0.0).astype("float64")
    summary = summary.sort_values(["score", "cluster_id"], ascending=[False, True]).reset_index(drop=True)
    first_columns = ["cluster_id", "size", "score"]
    return summary[first_columns + [c for c in summary.columns if c not in first_columns]]


def _account_profiles(accounts: pd.DataFrame, members: pd.DataFrame, summary: pd.DataFrame,
                      account_scores: pd.DataFrame | None, account_column: str, score_column: str) -> pd.DataFrame:
    profile = _as_string(accounts, [account_column]).rename(columns={account_column: "account_id"})
    profile = profile.drop_duplicates("account_id")
    for column in ("username", "country"):
        if column not in profile.columns:
            profile[column] = pd.Series(pd.NA, index=profile.index, dtype="string")
    # Each account shows its best-scoring cluster (ties by id): one row per account.
    best = members.merge(summary[["cluster_id", "score"]], on="cluster_id")
    best = best.sort_values(["account_id", "score", "cluster_id"], ascending=[True, False, True])
    best = best.drop_duplicates("account_id")
    profile = profile.merge(best, on="account_id", how="left")
    if account_scores is not None:
        require_columns(account_scores, [account_column, score_column], name="account_scores")
        own = _as_string(account_scores[[account_column, score_column]], [account_column])
        own = own.rename(columns={account_column: "account_id", score_column: "own_score"})
        own = own.drop_duplicates("account_id")
        profile = profile.merge(own, on="account_id", how="left")
        profile["score"] = profile["own_score"].where(profile["own_score"].notna(), profile["score"])
        profile = profile.drop(columns="own_score")
    profile["score"] = pd.to_numeric(profile["score"], errors="coerce").fillna(0.0).astype("float64")
    profile["cluster_id"] = profile["cluster_id"].astype("string")
    return profile.sort_values(["score", "account_id"], ascending=[False, True]).reset_index(drop=True)


def _activity(events: pd.DataFrame | None, reports: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    # Events and reports with string ids; absent tables become empty ones with the canonical columns.
    events = (_empty_table({"account_id": "string", "action": "string", "target_id": "string",
                            "ts": "datetime64[ns, UTC]"}) if events is None
              else _as_string(events, ["account_id", "action", "target_id"]))
    reports = (_empty_table({"report_id": "string", "reporter_id": "string", "target_account_id": "string",
                             "policy": "string", "ts": "datetime64[ns, UTC]"}) if reports is None
               else _as_string(reports, ["reporter_id", "target_account_id", "policy"]))
    require_columns(events, ["account_id", "action", "target_id", "ts"], name="events")
    require_columns(reports, ["reporter_id", "target_account_id", "policy", "ts"], name="reports")
    return events, reports


def from_detection(result: Any, tables: Mapping[str, pd.DataFrame]) -> ExplorerData:
    """Explorer data from a :class:`tsinvest.detect.DetectionResult` and the loaded tables.

    Parameters
    ----------
    result : DetectionResult
        Uses its ``memberships``, ``clusters`` (summary with ``score``) and ``edges``.
    tables : mapping of str to DataFrame
        Canonical tables as :func:`tsinvest.loading.load_dir` returns them;
        ``accounts`` is needed, ``events`` and ``reports`` are used when present.

    Returns
    -------
    ExplorerData
    """
    if "accounts" not in tables:
        raise ParameterError("tables has no 'accounts' table; load a folder with accounts.csv")
    return explorer_data(tables["accounts"], result.edges, result.memberships, clusters=result.clusters,
                         events=tables.get("events"), reports=tables.get("reports"))


def search_accounts(accounts: pd.DataFrame, query: str, *, account_column: str = "account_id",
                    username_column: str = "username") -> pd.Series:
    """Boolean mask of accounts matching a free-text query.

    An account matches when the query is a substring of its id, or when the
    query's :func:`~tsinvest.textnorm.matching_key` is a substring of the
    username's key (so ``"paypa1"`` finds ``"PayPal"`` look-alikes). An empty
    query matches everything.

    Examples
    --------
    >>> import pandas as pd
    >>> accounts = pd.DataFrame({"account_id": ["0042", "0077"], "username": ["Ｄaily_News", "cats"]})
    >>> search_accounts(accounts, "dailynews").tolist(), search_accounts(accounts, "04").tolist()
    ([True, False], [True, False])
    """
    from tsinvest.textnorm import matching_key

    query = (query or "").strip()
    if not query:
        return pd.Series(True, index=accounts.index)
    ids = accounts[account_column].astype("string").fillna("")
    hit = ids.str.contains(query, regex=False)
    if username_column in accounts.columns:
        names = accounts[username_column].astype("string").fillna("")
        hit |= names.str.casefold().str.contains(query.casefold(), regex=False)
        key = _search_key(query, matching_key)
        if key:
            # matching_key is pure Python: compute it once per distinct username.
            keys = {name: _search_key(name, matching_key) for name in names.unique()}
            hit |= names.map(keys).astype("string").str.contains(key, regex=False)
    return hit.fillna(False).astype(bool)


def _search_key(text: str, matching_key: Callable[[str], str]) -> str:
    # Separators are dropped too: "daily news", "daily_news" and "dailynews" are one search.
    return re.sub(r"[\W_]+", "", matching_key(text))


@dataclass(frozen=True)
class FilteredView:
    """What the panel shows for one :class:`FilterState`.

    Attributes
    ----------
    state : FilterState
    clusters : DataFrame
        Shown clusters, score desc then id, with ``links`` (shown links) added.
    accounts : DataFrame
        Shown accounts, score desc then id: members of shown clusters from the
        chosen countries or, with a search, every matching account from them.
    edges : DataFrame
        Shown links, weight desc.
    events, reports : DataFrame
        Events and reports inside the range and action/policy filters.
    """

    state: FilterState
    clusters: pd.DataFrame
    accounts: pd.DataFrame
    edges: pd.DataFrame
    events: pd.DataFrame
    reports: pd.DataFrame

    def summary(self) -> str:
        """One line of counts (no ids, no names), for the panel header."""
        return (f"{len(self.clusters)} cluster(s), {len(self.accounts)} account(s), "
                f"{len(self.edges)} link(s), {len(self.events)} event(s), {len(self.reports)} report(s)")


def _in_range(times: pd.Series, state: FilterState) -> pd.Series:
    keep = pd.Series(True, index=times.index)
    if state.start is not None:
        keep &= times >= pd.Timestamp(state.start)
    if state.end is not None:
        keep &= times < pd.Timestamp(state.end)
    return keep.fillna(False)


def apply_filters(data: ExplorerData, state: FilterState) -> FilteredView:
    """Apply a filter state to the explorer data.

    Parameters
    ----------
    data : ExplorerData
        From :func:`explorer_data`.
    state : FilterState
        The filters (see the module notes for their exact meaning).

    Returns
    -------
    FilteredView

    Notes
    -----
    Every step is a vectorised row mask or a hash semi-join (``isin``), so the
    cost is linear in the rows of each table; nothing is re-detected.

    Examples
    --------
    >>> import pandas as pd
    >>> accounts = pd.DataFrame({"account_id": ["1", "2", "3", "4"], "username": ["a", "b", "c", "d"],
    ...                          "country": ["BR", "BR", "MX", "MX"]})
    >>> ts = pd.Timestamp("2026-03-02", tz="UTC")
    >>> edges = pd.DataFrame({"account_a": ["1", "3"], "account_b": ["2", "4"], "signal": "coaction",
    ...                       "weight": [5.0, 1.0], "first_ts": ts, "last_ts": ts, "evidence": ""})
    >>> members = pd.DataFrame({"account_id": ["1", "2", "3", "4"], "cluster_id": ["c-a", "c-a", "c-b", "c-b"]})
    >>> data = explorer_data(accounts, edges, members)
    >>> apply_filters(data, FilterState()).clusters["cluster_id"].tolist()
    ['c-a', 'c-b']
    >>> apply_filters(data, FilterState(min_edge_weight=2)).clusters["cluster_id"].tolist()
    ['c-a']
    >>> apply_filters(data, FilterState(countries=["MX"])).accounts["account_id"].tolist()
    ['3', '4']
    """
    if not isinstance(state, FilterState):
        raise ParameterError("state must be a FilterState")
    events = data.events[_in_range(data.events["ts"], state)]
    if state.actions:
        events = events[events["action"].isin(list(state.actions))]
    reports = data.reports[_in_range(data.reports["ts"], state)]
    if state.policies:
        reports = reports[reports["policy"].isin(list(state.policies))]

    accounts = data.accounts
    in_country = (accounts["country"].isin(list(state.countries)).fillna(False) if state.countries
                  else pd.Series(True, index=accounts.index))
    matched = search_accounts(accounts, state.search)
    country_ids = set(accounts.loc[in_country, "account_id"])
    search_ids = set(accounts.loc[matched, "account_id"])

    edges = data.edges[data.edges["weight"] >= state.min_edge_weight]
    overlap = pd.Series(True, index=edges.index)
    if state.start is not None:
        overlap &= edges["last_ts"] >= pd.Timestamp(state.start)
    if state.end is not None:
        overlap &= edges["first_ts"] < pd.Timestamp(state.end)
    edges = edges[overlap.fillna(False)]
    if state.start is not None or state.end is not None:
        # Links keep only first/last times: a link spanning the range would survive any date filter.
        # Within a range, a link counts when both its accounts acted (event or report) in it.
        active = set(events["account_id"].dropna()) | set(reports["reporter_id"].dropna())
        edges = edges[edges["account_a"].isin(active) & edges["account_b"].isin(active)]

    members = data.memberships
    clusters = data.clusters[(data.clusters["size"] >= state.min_cluster_size)
                             & (data.clusters["score"] >= state.min_score)]
    # A cluster needs at least one surviving link between two of its members.
    member_of = members.rename(columns={"account_id": "account_a"})
    linked = edges[["account_a", "account_b"]].merge(member_of, on="account_a")
    linked = linked.merge(members.rename(columns={"account_id": "account_b"}), on=["account_b", "cluster_id"])
    link_counts = linked.groupby("cluster_id").size().rename("links")
    clusters = clusters[clusters["cluster_id"].isin(link_counts.index)]
    def clusters_of(accounts: set[str]) -> pd.Series:
        return clusters["cluster_id"].isin(members.loc[members["account_id"].isin(accounts), "cluster_id"])

    if state.countries:
        clusters = clusters[clusters_of(country_ids)]
    if state.search:
        clusters = clusters[clusters_of(search_ids)]
    if state.policies:
        involved = set(reports["reporter_id"].dropna()) | set(reports["target_account_id"].dropna())
        clusters = clusters[clusters_of(involved)]
    clusters = clusters.merge(link_counts.reset_index(), on="cluster_id", how="left")
    clusters["links"] = clusters["links"].fillna(0).astype("int64")
    # Ties in score are broken by the harm of the kind and the size, never by the first id alone.
    from tsinvest.notebooks.findings import KIND_SEVERITY

    severity = clusters["kind"].map(KIND_SEVERITY).fillna(0) if "kind" in clusters.columns else 0
    clusters = (clusters.assign(_score=clusters["score"].round(2), _severity=severity)
                .sort_values(["_score", "_severity", "size", "cluster_id"], ascending=[False, False, False, True],
                             kind="mergesort")
                .drop(columns=["_score", "_severity"]).reset_index(drop=True))

    shown_members = members[members["cluster_id"].isin(clusters["cluster_id"])]
    shown_ids = set(shown_members["account_id"])
    edges = edges[edges["account_a"].isin(shown_ids) & edges["account_b"].isin(shown_ids)].reset_index(drop=True)
    # A search looks through every account (the analyst may be hunting one
    # outside any cluster); without one the table lists the shown clusters' members.
    scope = matched if state.search else accounts["account_id"].isin(shown_ids)
    keep_accounts = scope & in_country
    shown_accounts = accounts[keep_accounts].reset_index(drop=True)
    if state.countries:
        events = events[events["account_id"].isin(country_ids)]
    return FilteredView(state=state, clusters=clusters, accounts=shown_accounts, edges=edges,
                        events=events.reset_index(drop=True), reports=reports.reset_index(drop=True))
