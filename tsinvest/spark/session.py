"""A local Spark session configured the way tsinvest's Spark engine expects.

Nothing here imports pyspark at module import: :func:`local_session` does,
and says which extra to install when it is missing.
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["local_session", "require_pyspark"]


def require_pyspark() -> Any:
    """Import and return :mod:`pyspark`, or raise a :class:`~tsinvest.exceptions.MissingDependencyError`."""
    try:
        import pyspark
    except ImportError:
        from tsinvest.exceptions import MissingDependencyError

        raise MissingDependencyError("pyspark", "spark") from None
    return pyspark


def local_session(
    master: str = "local[2]",
    *,
    app_name: str = "tsinvest",
    shuffle_partitions: int = 2,
    driver_memory: str | None = None,
    config: dict[str, str] | None = None,
) -> Any:
    """Return a Spark session for investigations on one machine (or join a cluster with ``master``).

    Parameters
    ----------
    master : str
        Spark master URL; ``"local[2]"`` runs Spark inside this machine on two
        cores. A cluster's URL (``"yarn"``, ``"spark://host:7077"``) works too.
    app_name : str
        Application name shown by the cluster manager.
    shuffle_partitions : int
        ``spark.sql.shuffle.partitions``. Two fits a laptop and tests; a
        cluster wants a few per executor core.
    driver_memory : str, optional
        ``spark.driver.memory`` (``"4g"``); only effective when this call
        starts the JVM.
    config : dict, optional
        More Spark settings, applied last.

    Returns
    -------
    pyspark.sql.SparkSession
        With the web UI off, the session time zone UTC (times never depend on
        the machine's zone), Arrow transfers to pandas on, and the console
        progress bar off; on a local master, Python workers run this
        interpreter. An already running session is reused; its settings
        that can change at run time are set again.

    Raises
    ------
    MissingDependencyError
        pyspark is not installed (``pip install 'tsinvest[spark]'``).

    Notes
    -----
    Starting the JVM takes 5-20 s; one session per process is the intended
    use (tests share one per run). Spark needs a Java 17+ runtime:
    ``scripts/ensure-java`` installs Debian's headless one.

    Examples
    --------
    >>> spark = local_session()
    >>> spark.conf.get("spark.sql.session.timeZone"), spark.conf.get("spark.ui.enabled")
    ('UTC', 'false')
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(int(shuffle_partitions)),
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # The JVM's own zone too, for anything Spark formats outside SQL.
        "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
        "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
        # The scoped detect builds plans of thousands of nodes; adaptive execution
        # renders the whole plan as text on every update, which filled a 1 GiB
        # driver heap. A million characters is plenty to read.
        "spark.sql.maxPlanStringLength": "1000000",
    }
    if master.startswith("local"):
        # Python workers (mapInPandas) run this interpreter, with its packages,
        # unless the user chose one; pyspark reads only the environment for it.
        # On a cluster the executors' own Python is configured there.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if driver_memory is not None:
        settings["spark.driver.memory"] = driver_memory
    settings.update(config or {})
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    for key in (
        "spark.sql.session.timeZone",
        "spark.sql.shuffle.partitions",
        "spark.sql.execution.arrow.pyspark.enabled",
    ):
        spark.conf.set(key, settings[key])
    return spark
