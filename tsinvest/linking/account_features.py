"""Account metadata features of a cluster: creation bursts, username templates, age.

These are not edges: they describe a set of accounts already suspected of
belonging together (a connected component of the coordination graph, a farm
found through shared devices) and help tell a farm from a fan community.
Farms are registered in bursts, from a script that names accounts from a
template (``user_48213``, ``user_90327``); organic communities are not.

Examples
--------
>>> import pandas as pd
>>> username_template_share(pd.Series(["user_48213", "user_90327", "maria.k"]))
0.6666666666666666
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.loading.timestamps import utc_bound
from tsinvest.schemas import STRING_DTYPE, require_columns

__all__ = ["CreationBurst", "creation_burst", "cluster_creation_bursts", "username_template", "username_stem",
           "username_template_share", "cluster_template_shares", "account_age_days"]


@dataclass(frozen=True)
class CreationBurst:
    """How tightly a set of accounts was created in time.

    Attributes
    ----------
    accounts : int
        Members found in the accounts table with a creation time.
    missing : int
        Members asked for but not found (or without a creation time).
    median_created_at : Timestamp or None
        Median creation time (UTC).
    mad_hours : float
        Median absolute deviation of creation times from the median, in hours
        (NaN when no member was found).
    share_within_window : float
        Share of found members created within ``window_hours`` of the median.
    span_hours : float
        Hours between the first and the last creation.
    largest_burst_share : float
        Largest share of found members created within any interval of
        ``burst_hours`` (NaN when no member was found).
    """

    accounts: int
    missing: int
    median_created_at: pd.Timestamp | None
    mad_hours: float
    share_within_window: float
    span_hours: float
    largest_burst_share: float = float("nan")


def creation_burst(
    accounts: pd.DataFrame,
    members: Iterable[str],
    *,
    actor: str = "account_id",
    created: str = "created_at",
    window_hours: float = 24.0,
    burst_hours: float = 2.0,
) -> CreationBurst:
    """Measure how tightly the creation times of ``members`` cluster.

    Parameters
    ----------
    accounts : DataFrame
        The accounts table, with ``actor`` and ``created`` columns.
    members : iterable of str
        Account ids of the cluster.
    actor, created : str
        Column names.
    window_hours : float
        Half-width of the window around the median for ``share_within_window``.
    burst_hours : float
        Width of the sliding interval for ``largest_burst_share``.

    Returns
    -------
    CreationBurst

    Notes
    -----
    The median and the median absolute deviation are robust: two old accounts
    bought to lend credibility to a farm of thirty do not hide the burst. A
    MAD under a few hours with a share near 1 is a registration script; an
    organic fan community spreads over months (MAD of hundreds of hours).
    ``largest_burst_share`` needs no centre: a farm registered in two
    batches a week apart still shows each batch. Complexity: one sort of the
    members' creation times, ``O(m log m)``.

    Examples
    --------
    >>> import pandas as pd
    >>> accounts = pd.DataFrame({
    ...     "account_id": ["1", "2", "3", "4"],
    ...     "created_at": pd.to_datetime(["2026-03-02T10:00Z", "2026-03-02T11:00Z",
    ...                                   "2026-03-02T13:00Z", "2025-01-01T00:00Z"], utc=True),
    ... })
    >>> burst = creation_burst(accounts, ["1", "2", "3", "4", "5"])
    >>> burst.accounts, burst.missing, burst.mad_hours, burst.share_within_window, burst.largest_burst_share
    (4, 1, 1.5, 0.75, 0.5)
    """
    if window_hours <= 0 or burst_hours <= 0:
        raise ParameterError("creation_burst: window_hours and burst_hours must be positive")
    require_columns(accounts, {"actor": actor, "created": created}, name="creation_burst")
    wanted = pd.Index(pd.unique(pd.Series(list(members), dtype=STRING_DTYPE).dropna()))
    ids = accounts[actor].astype(STRING_DTYPE)
    times = pd.to_datetime(accounts.loc[ids.isin(wanted).to_numpy(), created], utc=True).dropna()
    found = int(times.size)
    if found == 0:
        return CreationBurst(0, len(wanted), None, float("nan"), 0.0, float("nan"))
    # Hours since the epoch, independent of the datetime unit (ns, us, s).
    hours = (times - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy() / 3600.0
    median = float(np.median(hours))
    deviation = np.abs(hours - median)
    median_ts = pd.Timestamp(0, tz="UTC") + pd.to_timedelta(median, unit="h")
    return CreationBurst(
        accounts=found,
        missing=len(wanted) - int(ids[ids.isin(wanted)].nunique()),
        median_created_at=median_ts.round("s"),
        mad_hours=float(np.median(deviation)),
        share_within_window=float(np.mean(deviation <= window_hours)),
        span_hours=float(hours.max() - hours.min()),
        largest_burst_share=_largest_share_within(hours, burst_hours),
    )


def cluster_creation_bursts(created: pd.Series, cluster: pd.Series, *, burst_hours: float = 2.0) -> pd.DataFrame:
    """Per cluster, :func:`creation_burst`'s ``span_hours`` and ``largest_burst_share``, for many clusters at once.

    Parameters
    ----------
    created : Series
        Creation time of each member row (missing times are left out).
    cluster : Series
        Cluster id of each member row (same length).
    burst_hours : float
        Width of the sliding interval for ``largest_burst_share``.

    Returns
    -------
    DataFrame
        Indexed by cluster id (sorted; clusters without any creation time are
        absent): ``span_hours``, ``largest_burst_share``.

    Notes
    -----
    One conversion and one grouping of all member rows, then the sorted
    times of each cluster: ``O(m log m)`` for ``m`` member rows, where calling
    :func:`creation_burst` per cluster repeats its table work per cluster.

    Examples
    --------
    >>> import pandas as pd
    >>> created = pd.Series(pd.to_datetime(["2026-03-02T10:00Z", "2026-03-02T11:00Z", "2026-03-02T13:00Z",
    ...                                     "2025-01-01T00:00Z", None], utc=True))
    >>> cluster_creation_bursts(created, pd.Series(["a", "a", "a", "b", "b"])).round(3).values.tolist()
    [[3.0, 0.667], [0.0, 1.0]]
    """
    if burst_hours <= 0:
        raise ParameterError("cluster_creation_bursts: burst_hours must be positive")
    times = pd.to_datetime(pd.Series(created).reset_index(drop=True), utc=True)
    hours = (times - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy() / 3600.0
    known = ~np.isnan(hours)
    frame = pd.DataFrame({"cluster_id": pd.Series(cluster).reset_index(drop=True)[known], "hours": hours[known]})
    by_cluster = frame.groupby("cluster_id", sort=True)["hours"]
    return pd.DataFrame({
        "span_hours": by_cluster.max() - by_cluster.min(),
        "largest_burst_share": by_cluster.agg(lambda group: _largest_share_within(group.to_numpy(), burst_hours)),
    })


def _largest_share_within(values: np.ndarray, width: float) -> float:
    """Largest share of ``values`` inside any interval of ``width`` (two pointers over the sorted values)."""
    ordered = np.sort(values)
    ends = np.searchsorted(ordered, ordered + width, side="right")
    return float((ends - np.arange(ordered.size)).max() / ordered.size)


def username_template(usernames: pd.Series, *, collapse_runs: bool = False) -> pd.Series:
    """The shape of each username: letters become ``a``, digits ``9``.

    Parameters
    ----------
    usernames : Series of str
    collapse_runs : bool
        Also collapse runs (``aaaa_99999`` -> ``a_9``), so ``anna_12`` and
        ``michael_904`` share a template. Coarser: more organic collisions.

    Returns
    -------
    Series of str
        Same index; missing stays missing. Case-folded and NFKC-normalised
        first, so full-width digits count as digits; letters of any script
        become ``a``; other characters (``_ . -``) are kept.

    Examples
    --------
    >>> import pandas as pd
    >>> username_template(pd.Series(["user_48213", "Ｕser_1", None])).tolist()
    ['aaaa_99999', 'aaaa_9', <NA>]
    >>> username_template(pd.Series(["anna_12", "michael_904"]), collapse_runs=True).tolist()
    ['a_9', 'a_9']
    """
    names = usernames.astype(STRING_DTYPE).str.normalize("NFKC").str.casefold()
    template = names.str.replace(r"\d", "9", regex=True).str.replace(r"[^\W\d_]", "a", regex=True)
    if collapse_runs:
        template = template.str.replace(r"(a)a+|(9)9+", lambda m: m.group(1) or m.group(2), regex=True)
    return template


def username_stem(usernames: pd.Series) -> pd.Series:
    """The letters of each username with every run of digits as ``#``: the name an operator numbers.

    An operator that is banned comes back as the next number of the same
    name (``sunnyvibe27`` -> ``sunnyvibe84``, ``kakoala_0423`` -> ``kakoala_17``).
    The shape of :func:`username_template` (``aaaaaaaaa99``) is shared by
    thousands of organic names, so it cannot tell them apart; the stem is
    shared by a handful.

    Returns
    -------
    Series of str
        Same index; missing stays missing. Case-folded and NFKC-normalised
        first, so full-width digits count as digits.

    Examples
    --------
    >>> import pandas as pd
    >>> username_stem(pd.Series(["SunnyVibe27", "sunnyvibe84", "kakoala_0423", "Ｋakoala_1", None])).tolist()
    ['sunnyvibe#', 'sunnyvibe#', 'kakoala_#', 'kakoala_#', <NA>]
    """
    names = usernames.astype(STRING_DTYPE).str.normalize("NFKC").str.casefold()
    return names.str.replace(r"\d+", "#", regex=True)


def username_template_share(usernames: pd.Series, *, collapse_runs: bool = False) -> float:
    """Share of usernames that follow the most common template.

    Parameters
    ----------
    usernames : Series of str
        Usernames of one cluster.
    collapse_runs : bool
        See :func:`username_template`.

    Returns
    -------
    float
        Between 0 and 1; 0.0 when there is no username. The template itself
        is ``username_template(usernames).mode()``.

    Notes
    -----
    A scripted farm scores near 1; an organic group of 20 scores around
    0.1-0.3, since few people pick names of the same shape. Short clusters
    are noisy: with three members any shared shape gives 0.67.

    Examples
    --------
    >>> import pandas as pd
    >>> username_template_share(pd.Series(["bot_001", "bot_002", "bot_003", "dancer.jo"]))
    0.75
    """
    templates = username_template(usernames, collapse_runs=collapse_runs).dropna()
    if templates.empty:
        return 0.0
    return float(templates.value_counts().iloc[0] / templates.size)


def cluster_template_shares(usernames: pd.Series, cluster: pd.Series, *, collapse_runs: bool = False) -> pd.Series:
    """Per cluster, :func:`username_template_share` of its members' usernames, for many clusters at once.

    Returns a Series indexed by cluster id (sorted); a cluster whose members
    have no username gets 0.0. One pass of the string operations over all
    member rows and one grouping: ``O(m)`` string work for ``m`` member rows.

    Examples
    --------
    >>> import pandas as pd
    >>> names = pd.Series(["bot_001", "bot_002", "bot_003", "dancer.jo", None])
    >>> cluster_template_shares(names, pd.Series(["a", "a", "a", "a", "b"])).tolist()
    [0.75, 0.0]
    """
    frame = pd.DataFrame({"cluster_id": pd.Series(cluster).reset_index(drop=True),
                          "template": username_template(pd.Series(usernames).reset_index(drop=True),
                                                        collapse_runs=collapse_runs)})
    counts = frame.dropna(subset=["template"]).groupby(["cluster_id", "template"], sort=True).size()
    by_cluster = counts.groupby(level="cluster_id", sort=True)
    shares = (by_cluster.max() / by_cluster.sum()).astype("float64")
    return shares.reindex(pd.Index(sorted(frame["cluster_id"].dropna().unique()), name="cluster_id"), fill_value=0.0)


def account_age_days(
    accounts: pd.DataFrame,
    as_of: pd.Timestamp | str,
    *,
    actor: str = "account_id",
    created: str = "created_at",
) -> pd.Series:
    """Age of each account in days at ``as_of``.

    Parameters
    ----------
    accounts : DataFrame
        The accounts table.
    as_of : Timestamp or str
        Reference time, timezone-aware (a string must carry ``Z`` or an
        offset). Required: the kit never defaults to the wall clock.
    actor, created : str
        Column names.

    Returns
    -------
    Series of float
        Indexed by account id (string), named ``account_age_days``; negative
        for accounts created after ``as_of``, NaN when unknown.

    Examples
    --------
    >>> import pandas as pd
    >>> accounts = pd.DataFrame({"account_id": ["007"], "created_at": pd.to_datetime(["2026-03-01T12:00Z"], utc=True)})
    >>> account_age_days(accounts, "2026-03-02T00:00Z").to_dict()
    {'007': 0.5}
    """
    require_columns(accounts, {"actor": actor, "created": created}, name="account_age_days")
    reference = utc_bound(as_of, name="account_age_days: as_of", required=True)
    created_at = pd.to_datetime(accounts[created], utc=True)
    ages = (reference.tz_convert("UTC") - created_at).dt.total_seconds() / 86400.0
    return pd.Series(
        ages.to_numpy(dtype="float64"),
        index=pd.Index(accounts[actor].astype(STRING_DTYPE), name=actor),
        name="account_age_days",
    )
