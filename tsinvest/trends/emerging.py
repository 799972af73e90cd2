r"""Hashtags, words or sounds taking off: a target window compared with a reference window.

Examples
--------
>>> extract_hashtags("Try the #挑战, #Café! and #ＣＡＦÉ again")
['#挑战', '#café', '#café']
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.loading.sql import quote_identifier
from tsinvest.schemas import STRING_DTYPE, require_columns
from tsinvest.trends.inputs import (
    parse_window,
    sql_timestamp,
    to_relation,
    utc_expression,
    utc_from_duckdb,
)

if TYPE_CHECKING:
    import duckdb

__all__ = ["extract_hashtags", "normalise_term", "term_occurrences", "emerging_terms", "EMERGING_COLUMNS"]

#: Columns of :func:`emerging_terms`, in order.
EMERGING_COLUMNS = (
    "term",
    "target_count",
    "reference_count",
    "target_accounts",
    "reference_accounts",
    "target_per_10k",
    "reference_per_10k",
    "log_odds",
    "z",
    "is_new",
    "first_seen",
)

# RE2 (DuckDB) patterns. A hashtag starts after a non-word character (so URL
# fragments "page#top" and HTML entities "&#39;" are not tags), accepts the
# full-width sign, and runs over letters, marks (needed by Devanagari, Thai,
# decomposed accents), digits and underscore: punctuation or emoji end it.
_TAG_SQL = r"(?:^|[^\p{L}\p{M}\p{N}_&/])[#＃]([\p{L}\p{M}\p{N}_]+)"
_WORD_SQL = r"[\p{L}\p{M}\p{N}_]+"
# Zero-width and other format characters are dropped first: "#chal\u200blenge" is one tag.
_INVISIBLE_SQL = r"\p{Cf}"


def normalise_term(term: str) -> str | None:
    """NFKC then casefold; ``None`` for a token with no letter (``#1``, ``#2026`` are not tags).

    Examples
    --------
    >>> normalise_term("ＣＡＦÉ"), normalise_term("2026")
    ('café', None)
    """
    folded = unicodedata.normalize("NFKC", term).casefold()
    folded = "".join(char for char in folded if unicodedata.category(char) != "Cf")
    return folded if any(char.isalpha() for char in folded) else None


def _is_tag_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LMN" or char == "_"


def extract_hashtags(text: str | None) -> list[str]:
    """Hashtags in one text, normalised (``#`` + NFKC + casefold), in order of appearance.

    The same rule as the DuckDB extraction used by :func:`term_occurrences`,
    for checking a single post by hand.

    Examples
    --------
    >>> extract_hashtags("page#top &#39; #k-pop #2026 #Ok_Go")
    ['#k', '#ok_go']
    """
    if not isinstance(text, str):
        return []
    text = "".join(char for char in text if unicodedata.category(char) != "Cf")
    tags, i, n = [], 0, len(text)
    while i < n:
        if text[i] in "#＃" and (i == 0 or not (_is_tag_char(text[i - 1]) or text[i - 1] in "&/")):
            j = i + 1
            while j < n and _is_tag_char(text[j]):
                j += 1
            tag = normalise_term(text[i + 1 : j]) if j > i + 1 else None
            if tag:
                tags.append("#" + tag)
            i = j
        else:
            i += 1
    return tags


def _raw_terms_sql(kind: str, text: str, term: str | None) -> str:
    if term is not None:
        return f"[CAST({quote_identifier(term)} AS VARCHAR)]"
    cleaned = f"regexp_replace({quote_identifier(text)}, '{_INVISIBLE_SQL}', '', 'g')"
    if kind == "hashtags":
        return f"regexp_extract_all({cleaned}, '{_TAG_SQL}', 1)"
    return f"regexp_extract_all({cleaned}, '{_WORD_SQL}')"


def _occurrences(
    data: Any,
    *,
    windows: Mapping[str, tuple[pd.Timestamp, pd.Timestamp]],
    kind: str,
    text: str,
    term: str | None,
    time: str,
    actor: str | None,
    connection: Any,
) -> duckdb.DuckDBPyConnection:
    """A private connection holding ``occurrences`` (window, actor, ts, raw) of every raw term in the
    windows and ``term_map`` (raw, term); the caller closes it."""
    import duckdb

    if kind not in ("hashtags", "words"):
        raise ParameterError("kind must be 'hashtags' or 'words'")
    private = duckdb.connect()
    relation, types = to_relation(data, connection if connection is not None else private)
    require_columns(types, (time, actor, term if term is not None else text), name="the table")
    t = utc_expression(time, types)
    actor_sql = f"CAST({quote_identifier(actor)} AS VARCHAR)" if actor else "NULL::VARCHAR"
    selects = [
        f"SELECT '{label}' AS window, {actor_sql} AS actor, {t} AS ts, "
        f"unnest({_raw_terms_sql(kind, text, term)}) AS raw "
        f"FROM data WHERE {t} >= {sql_timestamp(lo)} AND {t} < {sql_timestamp(hi)}"
        for label, (lo, hi) in windows.items()
    ]
    occurrences = relation.query("data", " UNION ALL ".join(selects)).to_arrow_table()
    private.register("occurrences", occurrences)
    raw = private.execute("SELECT DISTINCT raw FROM occurrences WHERE raw IS NOT NULL AND raw <> ''").df()["raw"]
    if term is not None:
        mapping = pd.DataFrame({"raw": raw.astype(str), "term": raw.astype(str)})
    else:
        prefix = "#" if kind == "hashtags" else ""
        normalised = [normalise_term(value) for value in raw.astype(str)]  # distinct vocabulary only
        mapping = pd.DataFrame({"raw": raw.astype(str), "term": [prefix + v if v else None for v in normalised]})
        mapping = mapping.dropna(subset=["term"])
    private.register("term_map", mapping)
    return private


def term_occurrences(
    data: Any,
    *,
    start: Any,
    end: Any,
    text: str = "text",
    term: str | None = None,
    kind: Literal["hashtags", "words"] = "hashtags",
    time: str = "ts",
    actor: str | None = "account_id",
    connection: Any = None,
) -> pd.DataFrame:
    """One row per (post, term) between ``start`` and ``end``: who used which term when.

    Feed it to :func:`~tsinvest.trends.coordinated_share` with ``by="term"``
    to see how much of a hashtag comes from flagged accounts.

    Parameters
    ----------
    data : pandas.DataFrame, duckdb.DuckDBPyRelation or str
        Events (or any table with text and a UTC time column).
    start, end : str or Timestamp
        Window, end exclusive; naive values are UTC.
    text : str, default "text"
        Column the terms are parsed from.
    term : str, optional
        Take terms verbatim from this column instead (a sound id, a target id).
    kind : {"hashtags", "words"}, default "hashtags"
        What to parse from ``text``.
    time, actor : str
        Time column and account column (``actor=None`` to omit it).
    connection : duckdb.DuckDBPyConnection, optional
        Where a relation or table name lives.

    Returns
    -------
    pandas.DataFrame
        Columns ``actor`` (named as the input's), ``ts``, ``term``; sorted by
        term, time, actor.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({"account_id": ["01", "02"], "text": ["#Go go", "#go! #Stop"],
    ...                        "ts": pd.to_datetime(["2026-03-02T10:00Z", "2026-03-02T11:00Z"], utc=True)})
    >>> term_occurrences(events, start="2026-03-02", end="2026-03-03")
      account_id                        ts   term
    0         01 2026-03-02 10:00:00+00:00    #go
    1         02 2026-03-02 11:00:00+00:00    #go
    2         02 2026-03-02 11:00:00+00:00  #stop
    """
    window = parse_window((start, end), name="start/end")
    private = _occurrences(
        data, windows={"target": window}, kind=kind, text=text, term=term, time=time, actor=actor, connection=connection
    )
    frame = private.execute(
        "SELECT o.actor, o.ts, m.term FROM occurrences o JOIN term_map m ON o.raw = m.raw "
        "ORDER BY m.term, o.ts, o.actor NULLS LAST"
    ).df()
    frame["ts"] = utc_from_duckdb(frame["ts"])
    frame["term"] = frame["term"].astype(STRING_DTYPE)
    frame["actor"] = frame["actor"].astype(STRING_DTYPE)
    frame = frame.rename(columns={"actor": actor}) if actor else frame.drop(columns="actor")
    return frame.reset_index(drop=True)


def emerging_terms(
    data: Any,
    *,
    target: Any,
    reference: Any,
    text: str = "text",
    term: str | None = None,
    kind: Literal["hashtags", "words"] = "hashtags",
    time: str = "ts",
    actor: str | None = "account_id",
    min_count: int = 5,
    min_accounts: int = 3,
    prior_scale: float = 1.0,
    connection: Any = None,
) -> pd.DataFrame:
    """Rank terms by how much more they are used in ``target`` than in ``reference``.

    Parameters
    ----------
    data : pandas.DataFrame, duckdb.DuckDBPyRelation or str
        Events (or any table with text and a UTC time column).
    target, reference : "START/END" or (start, end)
        The window under suspicion and the window that defines normal; ends
        are exclusive; naive values are UTC. Windows may differ in length
        (rates are compared, not raw counts).
    text : str, default "text"
        Column parsed for hashtags or words.
    term : str, optional
        Take each row's term verbatim from this column instead (e.g. a sound id).
    kind : {"hashtags", "words"}, default "hashtags"
        What to parse from ``text`` (NFKC + casefold, tokens need a letter).
    time, actor : str
        Time column; account column (``actor=None`` disables the account guard).
    min_count : int, default 5
        Terms used fewer times in the target window are left out.
    min_accounts : int, default 3
        Terms used by fewer distinct accounts in the target window are left
        out (one noisy account is not a trend).
    prior_scale : float, default 1.0
        Strength of the informative prior, as a multiple of the two windows'
        total term count (see Notes).
    connection : duckdb.DuckDBPyConnection, optional
        Where a relation or table name lives.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`EMERGING_COLUMNS`: counts and distinct accounts per
        window, rates per 10 000 terms, ``log_odds`` (delta), ``z`` (delta over
        its standard error), ``is_new`` (no use at all in the reference
        window) and ``first_seen`` (first use in the target window). Sorted
        by ``z`` descending, then term. Falling terms are kept, at the bottom.

    Notes
    -----
    Statistic: the log-odds ratio with an informative Dirichlet prior
    (Monroe, Colaresi & Quinn 2008, "Fightin' Words"). With ``y`` counts,
    ``n`` window totals and prior ``a_w = a0 * (y_target + y_reference) / N``,
    ``a0 = prior_scale * N`` (N = both windows' totals)::

        delta = log((y_t + a_w) / (n_t + a0 - y_t - a_w)) - log((y_r + a_w) / (n_r + a0 - y_r - a_w))
        z = delta / sqrt(1 / (y_t + a_w) + 1 / (y_r + a_w))

    The prior shrinks rare terms towards "no change", so a term seen 3 times
    in place of 1 does not outrank a term that went from 0 to 300, and a term
    absent from the reference window gets a finite, comparable score. The z
    rewards both size and surprise; read ``is_new`` for brand-new terms.
    ``min_count`` and ``min_accounts`` are guards against noise and single
    spammers, not statistical thresholds.

    Extraction and counting run in DuckDB; only the distinct vocabulary is
    normalised in Python. Cost: one scan of the windows' rows plus
    O(vocabulary).

    Examples
    --------
    >>> import pandas as pd
    >>> posts = pd.DataFrame({
    ...     "account_id": [f"{i:03d}" for i in range(40)],
    ...     "text": ["#dance"] * 20 + ["#dance"] * 10 + ["#newchallenge"] * 10,
    ...     "ts": pd.to_datetime(["2026-03-02T12:00Z"] * 20 + ["2026-03-09T12:00Z"] * 20, utc=True),
    ... })
    >>> emerging_terms(posts, target="2026-03-09/2026-03-16", reference="2026-03-02/2026-03-09")[
    ...     ["term", "target_count", "reference_count", "is_new"]]
                term  target_count  reference_count  is_new
    0  #newchallenge            10                0    True
    1         #dance            10               20   False
    """
    if min_count < 1 or min_accounts < 0 or prior_scale <= 0:
        raise ParameterError("min_count must be >= 1, min_accounts >= 0 and prior_scale > 0")
    windows = {"target": parse_window(target, name="target"), "reference": parse_window(reference, name="reference")}
    private = _occurrences(
        data, windows=windows, kind=kind, text=text, term=term, time=time, actor=actor, connection=connection
    )
    counts = private.execute(
        """
        SELECT m.term,
               count(*) FILTER (WHERE o.window = 'target') AS target_count,
               count(*) FILTER (WHERE o.window = 'reference') AS reference_count,
               count(DISTINCT o.actor) FILTER (WHERE o.window = 'target') AS target_accounts,
               count(DISTINCT o.actor) FILTER (WHERE o.window = 'reference') AS reference_accounts,
               min(o.ts) FILTER (WHERE o.window = 'target') AS first_seen
        FROM occurrences o JOIN term_map m ON o.raw = m.raw
        GROUP BY m.term
        """
    ).df()
    y_t = counts["target_count"].to_numpy(dtype=float)
    y_r = counts["reference_count"].to_numpy(dtype=float)
    n_t, n_r = y_t.sum(), y_r.sum()
    total = n_t + n_r
    a0 = prior_scale * total
    with np.errstate(divide="ignore", invalid="ignore"):
        a_w = a0 * (y_t + y_r) / total if total else np.zeros_like(y_t)
        delta = np.log((y_t + a_w) / (n_t + a0 - y_t - a_w)) - np.log((y_r + a_w) / (n_r + a0 - y_r - a_w))
        z = delta / np.sqrt(1.0 / (y_t + a_w) + 1.0 / (y_r + a_w))
        counts["target_per_10k"] = 1e4 * y_t / n_t if n_t else 0.0
        counts["reference_per_10k"] = 1e4 * y_r / n_r if n_r else 0.0
    counts["log_odds"] = delta
    counts["z"] = z
    counts["is_new"] = counts["reference_count"] == 0
    counts["first_seen"] = utc_from_duckdb(counts["first_seen"])
    keep = counts["target_count"] >= min_count
    if actor:
        keep &= counts["target_accounts"] >= min_accounts
    result = counts.loc[keep, list(EMERGING_COLUMNS)].copy()
    result["term"] = result["term"].astype(STRING_DTYPE)
    for column in ("target_count", "reference_count", "target_accounts", "reference_accounts"):
        result[column] = result[column].astype("int64")
    result["is_new"] = result["is_new"].astype(bool)
    return result.sort_values(["z", "term"], ascending=[False, True], kind="stable").reset_index(drop=True)
