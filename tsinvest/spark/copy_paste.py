"""Copy-paste candidates on Spark: local normalisation and MinHash in ``mapInPandas``, a banded join, the local SQL."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from tsinvest.spark.results import SparkEdgeTable

__all__ = ["copy_paste_edges"]

_views = itertools.count()


def _normalised_batches(batches: Iterator[Any], min_tokens: int, min_chars: int) -> Iterator[Any]:
    """``raw`` texts to ``(raw, normalised, long_enough)``: the local engine's normalisation and length rule."""
    import pandas as pd

    from tsinvest.linking.copy_paste import is_long_enough
    from tsinvest.textnorm import normalise_text

    for batch in batches:
        normalised = [normalise_text(raw) for raw in batch["raw"]]
        keep = [is_long_enough(value, min_tokens=min_tokens, min_chars=min_chars) for value in normalised]
        yield pd.DataFrame({"raw": batch["raw"], "normalised": normalised, "long_enough": keep})


def _signature_batches(batches: Iterator[Any], num_perm: int, shingle_size: int, seed: int) -> Iterator[Any]:
    """``text_id`` (a normalised text) to its datasketch MinHash signature, as the local engine computes it."""
    import pandas as pd
    from datasketch import MinHash

    from tsinvest.linking.copy_paste import text_shingles

    for batch in batches:
        texts = batch["text_id"].tolist()
        signatures = MinHash.bulk([text_shingles(text, shingle_size) for text in texts], num_perm=num_perm, seed=seed)
        yield pd.DataFrame({"text_id": texts, "signature": [s.hashvalues.astype("int64").tolist() for s in signatures]})


def _near_duplicates(texts: Any, *, threshold: float, num_perm: int, shingle_size: int, seed: int) -> Any:
    """Pairs ``(left, right, similarity)`` of near-duplicate texts: banded candidates, verified on full signatures."""
    from functools import partial

    from pyspark.sql import functions as F

    from tsinvest.linking.copy_paste import lsh_bands

    signatures = texts.select("text_id").mapInPandas(
        partial(_signature_batches, num_perm=num_perm, shingle_size=shingle_size, seed=seed),
        "text_id string, signature array<bigint>",
    )
    bands = F.array(
        *[
            F.struct(F.lit(band).alias("band"), F.slice("signature", start + 1, end - start).alias("key"))
            for band, (start, end) in enumerate(lsh_bands(threshold, num_perm))
        ]
    )
    banded = signatures.select("text_id", F.explode(bands).alias("b")).select("text_id", "b.band", "b.key")
    left = banded.select(F.col("text_id").alias("left"), "band", "key")
    right = banded.select(F.col("text_id").alias("right"), "band", "key")
    candidates = (
        left.join(right, ["band", "key"]).where(F.col("left") < F.col("right")).select("left", "right").distinct()
    )
    first = signatures.select(F.col("text_id").alias("left"), F.col("signature").alias("s1"))
    second = signatures.select(F.col("text_id").alias("right"), F.col("signature").alias("s2"))
    agreeing = F.size(F.filter(F.arrays_zip("s1", "s2"), lambda pair: pair["s1"] == pair["s2"]))
    return (
        candidates.join(first, "left")
        .join(second, "right")
        .select("left", "right", (agreeing / F.lit(num_perm)).alias("similarity"))
        .where(F.col("similarity") >= F.lit(float(threshold)))
    )


def _text_posts(
    frame: Any, *, text: str, actor: str, time: str, action_column: str, action: Sequence[str] | None
) -> Any:
    """``(account, raw, ts)`` of the events whose text is compared (the local selection)."""
    from pyspark.sql import functions as F

    selected = frame.where(F.col(text).isNotNull() & F.col(actor).isNotNull())
    if action is not None:
        selected = selected.where(F.col(action_column).cast("string").isin(list(action)))
    return selected.select(
        F.col(actor).cast("string").alias("account"), F.col(text).cast("string").alias("raw"), F.col(time).alias("ts")
    )


def _normalised_posts(selected: Any, *, min_tokens: int, min_chars: int) -> tuple[Any, Any, Any]:
    """Each distinct raw text normalised once: ``(tagged events, posts, texts)`` as the local engine builds them.

    ``posts`` are ``(account, text_id, ts)`` of the texts long enough to
    compare, ``texts`` ``(text_id, body)`` with the first raw text (in
    sorted order) behind each normalised one.
    """
    from functools import partial

    from pyspark.sql import functions as F

    normalised = (
        selected.select("raw")
        .distinct()
        .mapInPandas(
            partial(_normalised_batches, min_tokens=min_tokens, min_chars=min_chars),
            "raw string, normalised string, long_enough boolean",
        )
        .cache()
    )
    tagged = selected.join(normalised, "raw")
    posts = tagged.where("long_enough").select("account", F.col("normalised").alias("text_id"), "ts").cache()
    texts = (
        normalised.where("long_enough")
        .groupBy("normalised")
        .agg(F.min("raw").alias("body"))
        .select(F.col("normalised").alias("text_id"), "body")
        .cache()
    )
    return tagged, posts, texts


def copy_paste_edges(
    source: Any,
    *,
    spark: Any = None,
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
) -> SparkEdgeTable:
    """:func:`tsinvest.linking.copy_paste.copy_paste_edges` on Spark.

    Parameters
    ----------
    source : pyspark DataFrame, pandas DataFrame, str or path
        Events, as :func:`tsinvest.spark.spark_events` reads them.
    spark : SparkSession, optional
        Needed unless ``source`` is a Spark DataFrame.
    text, actor, time, action_column, action, threshold, num_perm, shingle_size, min_tokens, min_chars,
    max_accounts_per_text, min_repeats_per_account, min_weight, max_evidence, seed
        As the local function.

    Returns
    -------
    SparkEdgeTable
        ``to_pandas()`` equals the local function's output, ``attrs``
        included (``distinct_texts``, ``short_texts_skipped``,
        ``common_texts_excluded``).

    Notes
    -----
    Stages, for ``N`` events, ``T`` distinct raw texts, ``D`` distinct
    normalised texts and ``C`` candidate pairs: normalisation of the ``T``
    texts in ``mapInPandas`` (:func:`tsinvest.textnorm.normalise_text`, the
    local length rule); datasketch signatures of the ``D`` texts in
    ``mapInPandas`` (same shingles, seed and permutations as local); the
    local LSH banding (:func:`~tsinvest.linking.copy_paste.lsh_bands`) as an
    equi-join on ``(band, band values)``, ``O(D * bands + C)``; every
    candidate verified on its full signature (the local rule); then the
    local joins (:func:`~tsinvest.linking.copy_paste.copy_paste_sql`),
    transpiled. A normalised text is its own id: ids then sort as the local
    engine's numbers do, without a global numbering.

    Examples
    --------
    >>> import pandas as pd
    >>> from tsinvest.spark import local_session
    >>> spam = "dm me for cheap followers and real likes today"
    >>> events = pd.DataFrame({"account_id": ["1", "2", "3"], "action": ["comment"] * 3,
    ...                        "text": [spam, spam.upper(), "nice"],
    ...                        "ts": pd.to_datetime(["2026-03-02"] * 3, utc=True)})
    >>> edges = copy_paste_edges(events, spark=local_session(), min_weight=1).to_pandas()
    >>> edges[["account_a", "account_b"]].values.tolist()
    [['1', '2']]
    """
    from pyspark.sql import functions as F

    from tsinvest.exceptions import ParameterError
    from tsinvest.linking.copy_paste import copy_paste_sql
    from tsinvest.portable_sql import to_spark
    from tsinvest.spark.coordination import spark_table

    if max_accounts_per_text < 2:
        raise ParameterError("copy_paste_edges: max_accounts_per_text must be at least 2")
    if min_tokens < 1 or min_chars < 0 or max_evidence < 1:
        raise ParameterError("copy_paste_edges: min_tokens and max_evidence must be >= 1, min_chars >= 0")
    if not 0.0 < threshold <= 1.0 or shingle_size < 1 or num_perm < 16:
        raise ParameterError("copy_paste_edges: threshold must be in (0, 1], shingle_size >= 1 and num_perm >= 16")
    columns = list(dict.fromkeys([actor, text, time] + ([action_column] if action is not None else [])))
    frame = spark_table(source, spark=spark, columns=columns, time=time)
    selected = _text_posts(frame, text=text, actor=actor, time=time, action_column=action_column, action=action)
    tagged, posts, texts = _normalised_posts(selected, min_tokens=min_tokens, min_chars=min_chars)
    # The joins read the pairs several times; computed once (signatures run Python).
    pairs = _near_duplicates(
        texts, threshold=threshold, num_perm=num_perm, shingle_size=shingle_size, seed=seed
    ).cache()
    number = next(_views)
    views = {name: f"tsinvest_copy_paste_{name}_{number}" for name in ("posts", "pairs", "texts")}
    for name, table in (("posts", posts), ("pairs", pairs), ("texts", texts)):
        table.createOrReplaceTempView(views[name])
    queries = copy_paste_sql(
        **views,
        max_accounts_per_text=max_accounts_per_text,
        min_repeats_per_account=min_repeats_per_account,
        max_evidence=max_evidence,
        min_weight=min_weight,
    )
    session = frame.sparkSession
    attrs = {
        "distinct_texts": texts.count(),
        "short_texts_skipped": tagged.where(~F.col("long_enough")).count(),
        "common_texts_excluded": int(session.sql(to_spark(queries["common"])).collect()[0][0]),
    }
    return SparkEdgeTable(edges=session.sql(to_spark(queries["edges"])), attrs=attrs)
