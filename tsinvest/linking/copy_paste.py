"""Accounts linked by posting near-identical text (copy-paste campaigns).

Spam and influence campaigns reuse one script across many accounts, varied
just enough to dodge exact matching: look-alike letters, zero-width characters,
rotating links and emoji, a swapped word. :func:`copy_paste_edges` folds those
variations away with :func:`tsinvest.textnorm.normalise_text`, groups exact
duplicates, finds near-duplicates among the distinct texts with MinHash LSH,
and links the accounts that posted them, in sync or not.

Examples
--------
>>> import pandas as pd
>>> script = "limited offer get real followers fast at our page"
>>> events = pd.DataFrame({
...     "account_id": ["1", "2", "3"],
...     "action": ["comment"] * 3,
...     "text": [script, script.upper().replace("O", "0"), "what a lovely dog, made my day"],
...     "ts": pd.to_datetime(["2026-03-02", "2026-03-05", "2026-03-05"], utc=True),
... })
>>> copy_paste_edges(events, min_weight=1, progress=False)[["account_a", "account_b", "weight"]].values.tolist()
[['1', '2', 1.0]]
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.linking.edge_tables import empty_edges, finalise_edges
from tsinvest.loading.sql import quote_identifier
from tsinvest.schemas import require_columns
from tsinvest.textnorm import PLACEHOLDERS, normalise_text

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "copy_paste_edges", "copy_paste_sql", "is_long_enough", "lsh_bands", "minhash_signatures", "near_duplicate_texts",
    "text_shingles",
]

_PLACEHOLDER_CHARS = {placeholder: chr(0xE000 + index) for index, placeholder in enumerate(PLACEHOLDERS)}
_PLACEHOLDER_PATTERN = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS))
_WORD = re.compile(r"\w+")
_SHINGLE_TOKEN = re.compile(r"\w+|[\ue000-\ue002]")


def text_shingles(normalised: str, size: int) -> list[bytes]:
    """The character shingles MinHash compares: sorted, distinct, UTF-8 (placeholders one symbol each)."""
    # A placeholder is one symbol, so "<url>" does not contribute four
    # shared letter-trigrams to every text that contains a link; punctuation
    # is dropped because spam variants sprinkle it freely.
    compact = _PLACEHOLDER_PATTERN.sub(lambda m: _PLACEHOLDER_CHARS[m.group(0)], normalised)
    compact = " ".join(_SHINGLE_TOKEN.findall(compact))
    if len(compact) <= size:
        return [compact.encode("utf-8")]
    return sorted({compact[i : i + size].encode("utf-8") for i in range(len(compact) - size + 1)})


def is_long_enough(normalised: str, *, min_tokens: int, min_chars: int) -> bool:
    """Whether a normalised text has enough words and characters (placeholders not counted) to compare."""
    stripped = _PLACEHOLDER_PATTERN.sub(" ", normalised)
    return len(_WORD.findall(stripped)) >= min_tokens and len(stripped.replace(" ", "")) >= min_chars


def lsh_bands(threshold: float, num_perm: int) -> list[tuple[int, int]]:
    """The ``(start, end)`` signature slices datasketch's LSH bands on for ``threshold`` and ``num_perm``.

    Two signatures are candidates when they agree on every position of one
    band; the engines share this banding so they find the same candidates.

    Examples
    --------
    >>> len(lsh_bands(0.8, 128)), lsh_bands(0.8, 128)[0]
    (9, (0, 13))
    """
    from datasketch import MinHashLSH

    return [(int(start), int(end)) for start, end in MinHashLSH(threshold=threshold, num_perm=num_perm).hashranges]


def _minhash_permutations(num_perm: int, seed: int) -> tuple[str, np.ndarray, np.ndarray]:
    """datasketch's permutation scheme and its ``(a, b)`` parameters for ``num_perm`` and ``seed``."""
    from datasketch import MinHash

    prototype = MinHash(num_perm=num_perm, seed=seed)
    # datasketch before 2.0 has one scheme and no attribute: (a * h + b) mod (2**61 - 1), cut to 32 bits.
    scheme = str(getattr(prototype, "scheme", "legacy"))
    if scheme not in ("legacy", "affine32"):
        raise ParameterError(
            f"near_duplicate_texts: datasketch's MinHash scheme {scheme!r} is not supported; install datasketch 1.6-2.x"
        )
    a, b = prototype.permutations
    return scheme, np.asarray(a), np.asarray(b)


def _shingle_hashes(shingles: list[bytes], cache: dict[bytes, int]) -> np.ndarray:
    """datasketch's ``sha1_hash32`` of each shingle (first 4 bytes of its SHA-1, little-endian), memoised."""
    values = np.empty(len(shingles), dtype=np.uint32)
    for index, shingle in enumerate(shingles):
        value = cache.get(shingle)
        if value is None:
            value = cache[shingle] = int.from_bytes(hashlib.sha1(shingle).digest()[:4], "little")
        values[index] = value
    return values


def _permuted(hashes: np.ndarray, scheme: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Each shingle hash under each permutation: ``(shingles, num_perm)`` uint32, as datasketch computes it."""
    if scheme == "legacy":
        with np.errstate(over="ignore"):
            wide = (hashes.astype(np.uint64)[:, None] * a[None, :] + b[None, :]) % np.uint64((1 << 61) - 1)
        return (wide & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    # affine32: the MurmurHash3 32-bit finaliser once, then a * h + b wrapping in uint32.
    mixed = hashes ^ (hashes >> np.uint32(16))
    mixed = mixed * np.uint32(0x85EBCA6B)
    mixed = mixed ^ (mixed >> np.uint32(13))
    mixed = mixed * np.uint32(0xC2B2AE35)
    mixed = mixed ^ (mixed >> np.uint32(16))
    return mixed[:, None] * a.astype(np.uint32)[None, :] + b.astype(np.uint32)[None, :]


def minhash_signatures(
    texts: Sequence[str], *, num_perm: int = 128, shingle_size: int = 3, seed: int = 1, batch_shingles: int = 1 << 16
) -> np.ndarray:
    """The datasketch MinHash signature of each text's shingles (:func:`text_shingles`), as one uint32 matrix.

    Equal, value for value, to ``MinHash.bulk([text_shingles(t, shingle_size)
    for t in texts], num_perm=num_perm, seed=seed)`` (the installed
    datasketch's scheme), without a MinHash object per text.

    Returns
    -------
    ndarray
        ``(len(texts), num_perm)`` uint32.

    Notes
    -----
    ``O(S * num_perm)`` time for ``S`` shingles in all; each distinct
    shingle is hashed (SHA-1) once. Memory: the signatures (``4 * num_perm``
    bytes a text) plus one batch of at most ``batch_shingles`` permuted
    shingles (32 MiB at the defaults).

    Examples
    --------
    >>> from datasketch import MinHash
    >>> texts = ["buy cheap followers now", "hello there friend"]
    >>> ours = minhash_signatures(texts, num_perm=32)
    >>> theirs = MinHash.bulk([text_shingles(t, 3) for t in texts], num_perm=32)
    >>> ours.shape, all((ours[i] == m.hashvalues).all() for i, m in enumerate(theirs))
    ((2, 32), True)
    """
    scheme, a, b = _minhash_permutations(num_perm, seed)
    signatures = np.empty((len(texts), num_perm), dtype=np.uint32)
    cache: dict[bytes, int] = {}
    start = 0
    while start < len(texts):
        shingles: list[bytes] = []
        lengths: list[int] = []
        stop = start
        while stop < len(texts) and (not lengths or len(shingles) < batch_shingles):
            shingle_set = text_shingles(texts[stop], shingle_size)
            shingles.extend(shingle_set)
            lengths.append(len(shingle_set))
            stop += 1
        permuted = _permuted(_shingle_hashes(shingles, cache), scheme, a, b)
        offsets = np.concatenate([[0], np.cumsum(lengths[:-1], dtype=np.int64)])
        signatures[start:stop] = np.minimum.reduceat(permuted, offsets, axis=0)
        start = stop
    return signatures


def _band_pairs(band: np.ndarray) -> np.ndarray:
    """Codes ``left * n + right`` (``left < right``) of the rows of ``band`` that are equal, row for row."""
    count = len(band)
    rows = np.ascontiguousarray(band).view(np.dtype((np.void, band.dtype.itemsize * band.shape[1]))).ravel()
    _, group, sizes = np.unique(rows, return_inverse=True, return_counts=True)
    shared = sizes[group] > 1
    members = np.flatnonzero(shared)
    if not members.size:
        return np.empty(0, dtype=np.int64)
    members = members[np.argsort(group[members], kind="stable")]  # by group, then position
    group_of = group[members]
    ends = np.searchsorted(group_of, group_of, side="right")
    later = ends - np.arange(members.size) - 1  # partners after each member in its group
    total = int(later.sum())
    firsts = np.repeat(np.arange(members.size), later)
    step = np.arange(total) - np.repeat(np.cumsum(later) - later, later)
    return members[firsts].astype(np.int64) * count + members[firsts + 1 + step]


def _candidate_pairs(signatures: np.ndarray, bands: list[tuple[int, int]], progress: bool) -> np.ndarray:
    """Codes ``left * n + right`` of the texts that agree on every position of at least one band, sorted."""
    from tqdm.auto import tqdm

    def merged(parts: list[np.ndarray]) -> np.ndarray:
        # A sort and a neighbour test: numpy's unique/union1d hash first and are several times slower here.
        codes = np.sort(np.concatenate(parts))
        return codes[np.concatenate([[True], codes[1:] != codes[:-1]])] if codes.size else codes

    candidates = np.empty(0, dtype=np.int64)
    pending: list[np.ndarray] = []
    for start, end in tqdm(bands, desc="copy-paste LSH", disable=not progress, leave=False):
        pending.append(_band_pairs(signatures[:, start:end]))
        # Merge only when the bands' pairs outgrow the distinct ones found so far (and 4M codes, 32 MB):
        # a few sorts in all instead of one per band, memory at most about twice the result.
        if sum(part.size for part in pending) > max(candidates.size, 1 << 22):
            candidates, pending = merged([candidates, *pending]), []
    return merged([candidates, *pending])


def near_duplicate_texts(
    texts: Sequence[str],
    *,
    threshold: float = 0.8,
    num_perm: int = 128,
    shingle_size: int = 3,
    seed: int = 1,
    progress: bool = False,
) -> pd.DataFrame:
    """Pairs of distinct texts whose estimated Jaccard similarity is at least ``threshold``.

    Parameters
    ----------
    texts : sequence of str
        Already normalised, distinct texts (see :func:`~tsinvest.textnorm.normalise_text`).
    threshold : float
        Minimum estimated Jaccard similarity of the character-shingle sets.
    num_perm : int
        MinHash permutations (more: more accurate, slower).
    shingle_size : int
        Characters per shingle.
    seed : int
        Seed of the MinHash permutations; same seed, same result.
    progress : bool
        Show a tqdm progress bar on stderr.

    Returns
    -------
    DataFrame
        Columns ``left``, ``right`` (positions into ``texts``, ``left < right``)
        and ``similarity``, sorted by ``left`` then ``right``.

    Notes
    -----
    MinHash LSH as datasketch does it, on arrays: the signatures
    (:func:`minhash_signatures`) are cut into datasketch's bands
    (:func:`lsh_bands`); texts equal on every position of a band are
    candidates, and candidates are verified on the full signature. Same
    candidates, same pairs as ``MinHashLSH.query`` for every text. Cost:
    ``O(S * num_perm)`` for ``S`` shingles, ``O(n log n)`` per band for
    ``n`` texts, plus the candidate pairs, which are quadratic only within
    a group of texts equal on a band; no all-pairs comparison happens.
    Memory: ``4 * num_perm`` bytes a text and 8 bytes a candidate pair.

    Examples
    --------
    >>> pairs = near_duplicate_texts(["buy cheap followers now", "buy cheap followers now!", "hello there friend"])
    >>> pairs[["left", "right"]].values.tolist(), bool(pairs["similarity"].iloc[0] > 0.9)
    ([[0, 1]], True)
    """
    if not 0.0 < threshold <= 1.0:
        raise ParameterError("near_duplicate_texts: threshold must be in (0, 1]")
    if shingle_size < 1 or num_perm < 16:
        raise ParameterError("near_duplicate_texts: shingle_size must be >= 1 and num_perm >= 16")
    empty = pd.DataFrame(
        {"left": np.array([], "int64"), "right": np.array([], "int64"), "similarity": np.array([], "float64")}
    )
    if len(texts) < 2:
        return empty
    signatures = minhash_signatures(texts, num_perm=num_perm, shingle_size=shingle_size, seed=seed)
    candidates = _candidate_pairs(signatures, lsh_bands(threshold, num_perm), progress)
    left, right = candidates // len(texts), candidates % len(texts)
    similarity = np.empty(left.size, dtype="float64")
    step = 200_000  # bounds the temporary comparison matrix to ~25 MB
    for start in range(0, left.size, step):
        chunk = slice(start, start + step)
        # A count over num_perm: the same float as a mean of booleans (exact below 2**53), without a float pass.
        similarity[chunk] = np.count_nonzero(signatures[left[chunk]] == signatures[right[chunk]], axis=1) / num_perm
    keep = similarity >= threshold
    return pd.DataFrame({"left": left[keep], "right": right[keep], "similarity": similarity[keep]})


# The queries of copy_paste_sql: {names} are table names and validated numbers.
_COPY_PASTE_PIECES = """
        account_texts AS (
            SELECT account, text_id, count(*) AS posts, min(ts) AS first_ts, max(ts) AS last_ts
            FROM {posts} GROUP BY account, text_id
        ),
        text_pairs AS (
            SELECT "left" AS t1, "right" AS t2, similarity FROM {pairs}
            UNION ALL SELECT text_id, text_id, 1.0 FROM {texts}
        ),
        neighbours AS (   -- each text with itself and its near-duplicates
            SELECT t1 AS text_id, t2 AS other FROM text_pairs
            UNION ALL SELECT t2, t1 FROM text_pairs WHERE t1 <> t2
        ),
        neighbourhood AS (
            SELECT n.text_id, count(DISTINCT a.account) AS accounts, sum(a.posts) AS posts
            FROM neighbours n JOIN account_texts a ON a.text_id = n.other
            GROUP BY n.text_id
        ),
        common AS (
            SELECT text_id FROM neighbourhood WHERE accounts > {cap} AND posts < {repeats} * accounts
        )"""
_COPY_PASTE_EDGES = """
        WITH {pieces},
        kept_pairs AS (
            SELECT p.t1, p.t2, p.similarity FROM text_pairs p
            LEFT JOIN common c1 ON c1.text_id = p.t1 LEFT JOIN common c2 ON c2.text_id = p.t2
            WHERE c1.text_id IS NULL AND c2.text_id IS NULL
        ),
        links AS (
            SELECT least(x.account, y.account) AS account_a, greatest(x.account, y.account) AS account_b,
                   p.t1, p.t2, p.similarity,
                   CASE WHEN x.account < y.account THEN p.t1 ELSE p.t2 END AS text_of_a,
                   CASE WHEN x.account < y.account THEN x.posts ELSE y.posts END AS posts_of_a,
                   CASE WHEN x.account < y.account THEN p.t2 ELSE p.t1 END AS text_of_b,
                   CASE WHEN x.account < y.account THEN y.posts ELSE x.posts END AS posts_of_b,
                   least(x.first_ts, y.first_ts) AS first_ts, greatest(x.last_ts, y.last_ts) AS last_ts
            FROM kept_pairs p
            JOIN account_texts x ON x.text_id = p.t1
            JOIN account_texts y ON y.text_id = p.t2
            WHERE x.account <> y.account
        ),
        matched_posts AS (   -- posts of each side that have a near-duplicate on the other side
            SELECT account_a, account_b, least(sum(posts_of_a), sum(posts_of_b)) AS matched
            FROM (
                SELECT account_a, account_b, posts_of_a, 0 AS posts_of_b
                FROM (SELECT DISTINCT account_a, account_b, text_of_a, posts_of_a FROM links) AS side_a
                UNION ALL
                SELECT account_a, account_b, 0, posts_of_b
                FROM (SELECT DISTINCT account_a, account_b, text_of_b, posts_of_b FROM links) AS side_b
            ) AS sides GROUP BY account_a, account_b
        ),
        distinct_links AS (
            SELECT account_a, account_b, t1, t2, min(similarity) AS similarity,
                   min(first_ts) AS first_ts, max(last_ts) AS last_ts
            FROM links GROUP BY account_a, account_b, t1, t2
        ),
        strong_pairs AS (   -- pairs with enough matched posts, and the span of all their links
            SELECT l.account_a, l.account_b, m.matched, min(l.first_ts) AS first_ts, max(l.last_ts) AS last_ts
            FROM distinct_links l
            JOIN matched_posts m ON m.account_a = l.account_a AND m.account_b = l.account_b
            WHERE m.matched >= CAST('{min_weight!r}' AS DOUBLE)
            GROUP BY l.account_a, l.account_b, m.matched
        ),
        ranked_links AS (   -- the evidence rows are ranked on ids; only the first ones fetch text
            SELECT l.account_a, l.account_b, l.t1, l.t2, l.similarity,
                   row_number() OVER (PARTITION BY l.account_a, l.account_b
                                      ORDER BY l.similarity DESC, l.t1, l.t2) AS evidence_rank
            FROM distinct_links l
            JOIN strong_pairs s ON s.account_a = l.account_a AND s.account_b = l.account_b
        ),
        evidence_rows AS (
            SELECT l.account_a, l.account_b, l.t1, l.t2, l.similarity AS closeness,
                   left(b1.body, 160) AS text, left(b2.body, 160) AS matched_text,
                   round(l.similarity, 3) AS similarity
            FROM ranked_links l
            JOIN {texts} b1 ON b1.text_id = l.t1
            JOIN {texts} b2 ON b2.text_id = l.t2
            WHERE l.evidence_rank <= {max_evidence}
        ),
        evidence AS (
            SELECT account_a, account_b,
                   __tsinvest_json_top({max_evidence}, -closeness, t1, t2, __, text, matched_text, similarity)
                       AS evidence
            FROM evidence_rows GROUP BY account_a, account_b
        )
        SELECT s.account_a, s.account_b, 'copy_paste' AS signal, CAST(s.matched AS DOUBLE) AS weight,
               s.first_ts, s.last_ts, e.evidence
        FROM strong_pairs s
        JOIN evidence e ON e.account_a = s.account_a AND e.account_b = s.account_b
        ORDER BY weight DESC, account_a, account_b
    """


def copy_paste_sql(
    posts: str,
    pairs: str,
    texts: str,
    *,
    max_accounts_per_text: int = 10,
    min_repeats_per_account: float = 2.0,
    max_evidence: int = 3,
    min_weight: float = 2.0,
) -> dict[str, str]:
    """The joins of :func:`copy_paste_edges`, in DuckDB's dialect with :mod:`tsinvest.portable_sql` macros.

    One source for both engines (:func:`tsinvest.spark.copy_paste_edges`
    runs it through :func:`tsinvest.portable_sql.to_spark`). ``posts`` has
    ``account, text_id, ts``; ``pairs`` has ``left, right, similarity``
    (near-duplicate texts, ``left < right``); ``texts`` has ``text_id, body``
    (the raw exemplar). Text ids only need to sort as the normalised texts
    do: numbers locally, the normalised texts themselves on Spark.

    Returns
    -------
    dict of str to str
        ``edges`` (sorted edge rows) and ``common`` (the number of common
        phrases left out).
    """
    settings = {
        "posts": posts, "pairs": pairs, "texts": texts, "cap": int(max_accounts_per_text),
        "repeats": f"CAST('{float(min_repeats_per_account)!r}' AS DOUBLE)",
    }
    pieces = _COPY_PASTE_PIECES.format(**settings)
    edges = _COPY_PASTE_EDGES.format(
        pieces=pieces, texts=texts, max_evidence=int(max_evidence), min_weight=float(min_weight)
    )
    common = f"WITH {pieces} SELECT count(*) AS common_texts FROM common"
    return {"edges": edges, "common": common}


def _posts_and_texts(
    events: pd.DataFrame,
    *,
    text: str,
    actor: str,
    time: str,
    action_column: str,
    action: Sequence[str] | None,
    min_tokens: int,
    min_chars: int,
) -> tuple[pd.DataFrame, list[str], pd.DataFrame, int]:
    """Posts of long-enough texts, numbered by distinct normalised text.

    Returns ``posts`` (account, text_id, ts), the distinct normalised texts in
    sorted order, ``texts`` (text_id, body: the first raw text behind each) and
    the number of posts skipped as too short.
    """
    rows = events[text].notna().to_numpy(dtype=bool) & events[actor].notna().to_numpy(dtype=bool)
    if action is not None:
        rows &= events[action_column].isin(list(action)).to_numpy(dtype=bool)
    # One copy of the three columns needed, of the rows compared; never of the whole table.
    selected = events.loc[rows, list(dict.fromkeys([actor, text, time]))]
    raw_codes, raw_texts = pd.factorize(selected[text].astype("string"), sort=True)
    normalised = [normalise_text(raw) for raw in raw_texts]
    long_enough = np.fromiter(
        (is_long_enough(value, min_tokens=min_tokens, min_chars=min_chars) for value in normalised),
        dtype=bool,
        count=len(normalised),
    )
    keep_rows = long_enough[raw_codes] if len(raw_codes) else np.zeros(0, dtype=bool)
    # Distinct normalised texts, numbered in sorted order for determinism.
    distinct = sorted({value for value, ok in zip(normalised, long_enough, strict=True) if ok})
    text_number = {value: number for number, value in enumerate(distinct)}
    raw_to_text = np.array([text_number.get(value, -1) for value in normalised], dtype="int64")
    posts = pd.DataFrame(
        {
            "account": selected[actor].astype("string").to_numpy()[keep_rows],
            "text_id": raw_to_text[raw_codes[keep_rows]] if len(raw_codes) else np.zeros(0, "int64"),
            # The array itself: .to_numpy() of zone-aware times would build one Timestamp object per row.
            "ts": pd.to_datetime(selected[time], utc=True).array[keep_rows],
        }
    )
    # Evidence shows what was really posted: the first raw text (in sorted
    # order, for determinism) behind each normalised text.
    exemplar: dict[str, str] = {}
    for raw, value in zip(raw_texts, normalised, strict=True):
        exemplar.setdefault(value, raw)
    texts = pd.DataFrame(
        {
            "text_id": np.arange(len(distinct), dtype="int64"),
            "body": pd.Series([exemplar[value] for value in distinct], dtype="string"),
        }
    )
    return posts, distinct, texts, int((~keep_rows).sum())


def _run_queries(
    queries: dict[str, str], frames: dict[str, pd.DataFrame], connection: duckdb.DuckDBPyConnection | None
) -> tuple[pd.DataFrame, int]:
    """Run the :func:`copy_paste_sql` queries in DuckDB on ``frames`` registered under private view names."""
    import duckdb

    from tsinvest.portable_sql import render

    con = duckdb.connect() if connection is None else connection
    names = {name: f"__tsinvest_copy_paste_{name}_{id(frames)}" for name in frames}

    def sql(template: str) -> str:
        for name, view in names.items():
            template = re.sub(rf"\b(FROM|JOIN) {name}\b", rf"\1 {quote_identifier(view)}", template)
        return render(template, "duckdb")

    try:
        for name, frame in frames.items():
            con.register(names[name], frame)
        edges = con.execute(sql(queries["edges"])).df()
        common_count = int(con.execute(sql(queries["common"])).fetchall()[0][0])
    finally:
        for view in names.values():
            con.unregister(view)
        if connection is None:
            con.close()
    return edges, common_count


def copy_paste_edges(
    events: pd.DataFrame,
    *,
    text: str = "text",
    actor: str = "account_id",
    time: str = "ts",
    action_column: str = "action",
    action: Sequence[str] | None = ("comment", "post"),
    threshold: float = 0.8,
    num_perm: int = 128,
    shingle_size: int = 3,
    min_tokens: int = 5,
    min_chars: int = 20,
    max_accounts_per_text: int = 10,
    min_repeats_per_account: float = 2.0,
    min_weight: float = 2.0,
    max_evidence: int = 3,
    seed: int = 1,
    progress: bool = True,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> pd.DataFrame:
    r"""Link accounts that posted the same or near-identical text.

    Parameters
    ----------
    events : DataFrame
        Events with ``actor``, ``text``, ``time`` and ``action_column`` columns.
    text, actor, time, action_column : str
        Column names.
    action : sequence of str or None
        Actions whose text is compared; None compares every event with text.
    threshold : float
        Minimum estimated Jaccard similarity of two normalised texts'
        character shingles to call them near-duplicates (0.8: a reordered
        pair of words or one swapped word in a sentence of ten still match;
        two different sentences on the same topic score below 0.55).
    num_perm, shingle_size, seed
        MinHash settings, see :func:`near_duplicate_texts`.
    min_tokens, min_chars : int
        Texts with fewer words or fewer non-space characters after
        normalisation (placeholders not counted) are ignored: "nice", "lol"
        or an emoji says nothing about who wrote it.
    max_accounts_per_text : int
        See the common-phrase rule in Notes.
    min_repeats_per_account : float
        See the common-phrase rule in Notes.
    min_weight : float
        Keep pairs with at least this many matched posts on each side
        (default 2: one shared sentence is a coincidence of common phrasing,
        two matched posts are a pattern; set 1 to see one-shot copies).
    max_evidence : int
        How many matched text pairs to list in ``evidence``.
    progress : bool
        Show a tqdm progress bar on stderr.
    connection : duckdb connection, optional
        Connection to run the joins on; a private in-memory one by default.

    Returns
    -------
    DataFrame
        Columns :data:`~tsinvest.schemas.EDGE_COLUMNS`, ``signal`` is
        ``"copy_paste"``, sorted by weight descending then ids. ``weight`` is
        the number of matched posts of the less active side: for each of the
        two accounts, count its posts (events) whose normalised text has a
        near-duplicate (or exact copy) among the other account's texts, and
        take the smaller count. ``evidence`` is a JSON array of
        ``{"text", "matched_text", "similarity"}``: one raw example of each
        of the two matched texts, cut to 160 characters, most similar first (raw content;
        redaction happens at reporting). ``first_ts``/``last_ts`` span both
        accounts' posts of the matched texts. ``edges.attrs`` reports
        ``distinct_texts`` compared, ``short_texts_skipped`` (events) and
        ``common_texts_excluded`` (distinct texts).

    Notes
    -----
    Common-phrase rule: a distinct normalised text is a common phrase, and
    links nobody, when the accounts that posted it or a near-duplicate of it
    are more than ``max_accounts_per_text`` and on average posted those texts
    fewer than ``min_repeats_per_account`` times each. Thousands of viewers
    writing "great video thanks for sharing this" once each is ordinary
    speech; a campaign script is either shared by a modest set of accounts
    (under the cap) or pushed repeatedly by each of them (over the repeat
    bar). A campaign larger than the cap posting once per account is missed
    on purpose: raise the cap for a known campaign.

    On the sample data (seed 7) organic commenters build comments from a
    shared stock of phrases, so a handful of heavy commenters write the same
    short sentence twice. With a cap of 50 that left 29 stray pairs among 537;
    the default cap of 10 leaves 2 among 510, and every pair of the four
    copy-paste campaigns (which push their script about a dozen times per
    account) stays linked. ``min_weight=2`` alone took the organic pairs
    from about 2 700 down to those 29.

    Steps: normalise each distinct raw text once; group exact normalised
    duplicates; MinHash-LSH on the distinct normalised texts only
    (:func:`near_duplicate_texts`, arrays, no object per text); then DuckDB
    joins text pairs back to accounts. The account-pair join is quadratic only
    within one kept text cluster, which is what linking them means. Memory:
    the links (account pair, text pair) are numbers; evidence rows are ranked
    on those numbers and only the first ``max_evidence`` of each kept pair
    fetch their text (on 1M generated events, 1.27M links: the stage's peak
    went from 1.1 GiB to about 0.2 GiB above the loaded tables when the
    texts stopped being gathered for every link).

    Examples
    --------
    >>> import pandas as pd
    >>> spam = "dm me for cheap followers and real likes today"
    >>> events = pd.DataFrame({
    ...     "account_id": ["1", "2", "3", "4"],
    ...     "action": ["comment"] * 4,
    ...     "text": [spam, "d\u200bm me for cheap f0llowers and real likes today 🔥", "nice", "nice"],
    ...     "ts": pd.to_datetime(["2026-03-02"] * 4, utc=True),
    ... })
    >>> edges = copy_paste_edges(events, min_weight=1, progress=False)
    >>> edges[["account_a", "account_b", "signal"]].values.tolist()
    [['1', '2', 'copy_paste']]
    """
    if max_accounts_per_text < 2:
        raise ParameterError("copy_paste_edges: max_accounts_per_text must be at least 2")
    if min_tokens < 1 or min_chars < 0 or max_evidence < 1:
        raise ParameterError("copy_paste_edges: min_tokens and max_evidence must be >= 1, min_chars >= 0")
    needed = {"actor": actor, "text": text, "time": time}
    if action is not None:
        needed["action_column"] = action_column
    require_columns(events, needed, name="copy_paste_edges")

    posts, distinct, texts, short_skipped = _posts_and_texts(
        events, text=text, actor=actor, time=time, action_column=action_column, action=action,
        min_tokens=min_tokens, min_chars=min_chars,
    )
    pairs = near_duplicate_texts(
        distinct, threshold=threshold, num_perm=num_perm, shingle_size=shingle_size, seed=seed, progress=progress
    )
    queries = copy_paste_sql(
        "posts", "pairs", "texts", max_accounts_per_text=max_accounts_per_text,
        min_repeats_per_account=min_repeats_per_account, max_evidence=max_evidence, min_weight=min_weight,
    )
    edges, common_count = _run_queries(queries, {"posts": posts, "pairs": pairs, "texts": texts}, connection)
    edges = finalise_edges(edges, presorted=True) if len(edges) else empty_edges()
    edges.attrs["distinct_texts"] = len(distinct)
    edges.attrs["short_texts_skipped"] = short_skipped
    edges.attrs["common_texts_excluded"] = common_count
    return edges
