"""One local Spark session for the whole pytest run (starting a JVM takes seconds)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def spark():
    from tsinvest.spark import local_session

    # 4 GiB: the scoped detect on a generated folder holds large plans and collects; Spark's default is 1 GiB.
    session = local_session("local[2]", app_name="tsinvest-tests", shuffle_partitions=2, driver_memory="4g")
    yield session
    session.stop()


@pytest.fixture(params=["local", "spark"])
def engine(request):
    """``run(source, **kwargs) -> pandas edges`` on one engine; the contract tests run on both."""
    if request.param == "local":
        from tsinvest.linking.coordination import coordination_edges

        return lambda source, **kwargs: coordination_edges(source, **kwargs)
    session = request.getfixturevalue("spark")
    from tsinvest.spark import coordination_edges

    return lambda source, **kwargs: coordination_edges(source, spark=session, **kwargs).to_pandas()


@pytest.fixture(params=["local", "spark"])
def linking(request):
    """The linking stages on one engine (pandas in, the local engine's pandas out); contract tests run on both."""
    if request.param == "local":
        from tsinvest.detection.linking import LOCAL_LINKING

        return LOCAL_LINKING
    from tsinvest.spark.detect import SparkLinking

    return SparkLinking(request.getfixturevalue("spark"))
