"""Apache Spark engine for the heavy stages (extra ``tsinvest[spark]``).

The local engine (DuckDB + compiled kernels) stays the default and the
reference; the functions here take a Spark DataFrame, a path or a catalogue
table and a session, and return results whose ``to_pandas()`` equals the local
engine's output; :func:`spark_detect` runs the whole ``detect`` on tables
that stay in Spark, collecting only the rows the local stages read.
Importing this package does not import pyspark.
"""

from tsinvest.spark.components import connected_components
from tsinvest.spark.coordination import SparkEdges, coordination_edges, spark_events
from tsinvest.spark.copy_paste import copy_paste_edges
from tsinvest.spark.peer import peer_coordination_edges
from tsinvest.spark.results import SparkEdgeTable
from tsinvest.spark.scoped import spark_detect
from tsinvest.spark.session import local_session
from tsinvest.spark.shared_attributes import shared_attribute_edges
from tsinvest.spark.trends import time_series

__all__ = [
    "local_session",
    "coordination_edges",
    "peer_coordination_edges",
    "shared_attribute_edges",
    "copy_paste_edges",
    "spark_events",
    "SparkEdges",
    "SparkEdgeTable",
    "connected_components",
    "time_series",
    "spark_detect",
]
