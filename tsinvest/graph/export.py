"""Write account graphs for Gephi, yEd, Cytoscape, D3 and spreadsheets.

GraphML and GEXF only store scalars, so list and dict attributes (signals,
per-signal weights, evidence) are written as JSON text and timestamps as ISO
8601 UTC strings. Every writer writes to a temporary file in the destination
folder and renames it into place, so a failed write never leaves half a file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import networkx as nx
import pandas as pd

from tsinvest.exceptions import ParameterError

__all__ = [
    "scalar_graph",
    "edge_table",
    "write_graphml",
    "write_gexf",
    "write_node_link_json",
    "write_edge_csv",
    "write_graph",
]


def _scalar(value: object) -> str | int | float | bool:
    if value is None:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ") if value.tzinfo else value.isoformat()
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, str)):
        return value
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        try:
            return value.item()
        except (ValueError, TypeError):
            pass
    if isinstance(value, (tuple, list, set, frozenset)):
        return json.dumps(sorted(map(str, value)) if isinstance(value, (set, frozenset)) else [str(v) for v in value])
    if isinstance(value, dict):
        return json.dumps({str(k): _jsonable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))})
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def _jsonable(value: object) -> str | int | float | bool | None:
    scalar = _scalar(value)
    if isinstance(scalar, float) and scalar != scalar:  # NaN is not JSON
        return None
    return scalar


def scalar_graph(G: nx.Graph, *, xml: bool = False) -> nx.Graph:
    """Copy of ``G`` with every attribute a str, int, float or bool.

    With ``xml=True`` (GraphML, GEXF), text (node ids included) also loses the
    characters XML 1.0 cannot store: NUL, most ASCII control characters and
    lone surrogates become U+FFFD (see :func:`tsinvest.reporting.xml_safe_text`),
    so hostile content can neither stop the export nor make the file
    unreadable. Two ids that differ only in such characters become one node.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.Graph(); G.add_edge("1", "2", signals=("a", "b"), weights={"a": 1.0})
    >>> scalar_graph(G).edges["1", "2"]["signals"]
    '["a", "b"]'
    >>> G.nodes["1"]["username"] = "a\\x00b"
    >>> scalar_graph(G, xml=True).nodes["1"]["username"] == "a\\ufffdb"
    True
    """
    from tsinvest.reporting import xml_safe_text

    def text(value: object) -> str | int | float | bool:
        # GraphML/GEXF reject None; an empty string keeps the key present.
        scalar = _jsonable(value)
        scalar = "" if scalar is None else scalar
        return xml_safe_text(scalar) if xml and isinstance(scalar, str) else scalar

    def name(node: object) -> str:
        return xml_safe_text(str(node)) if xml else str(node)

    H = nx.Graph()
    H.graph.update({str(k): _jsonable(v) for k, v in G.graph.items()})
    H.add_nodes_from((name(n), {str(k): text(v) for k, v in d.items()}) for n, d in sorted(G.nodes(data=True)))
    H.add_edges_from(
        (name(u), name(v), {str(k): text(val) for k, val in d.items()})
        for u, v, d in sorted(G.edges(data=True), key=lambda e: (min(e[0], e[1]), max(e[0], e[1])))
    )
    return H


def edge_table(G: nx.Graph) -> pd.DataFrame:
    """One row per edge: account_a < account_b, weight, signals and per-signal weights/evidence as text.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.Graph(); G.add_edge("2", "1", weight=2.0, signals=("coaction",))
    >>> edge_table(G)[["account_a", "account_b", "weight"]].values.tolist()
    [['1', '2', 2.0]]
    """
    rows: list[dict[str, object]] = []
    for u, v, d in G.edges(data=True):
        a, b = sorted((str(u), str(v)))
        row: dict[str, object] = {"account_a": a, "account_b": b}
        row.update({k: _jsonable(val) for k, val in d.items()})
        rows.append(row)
    table = pd.DataFrame(rows, columns=None if rows else ["account_a", "account_b", "weight"])
    table["account_a"] = table["account_a"].astype("string")
    table["account_b"] = table["account_b"].astype("string")
    if "weight" in table:
        table = table.sort_values(["weight", "account_a", "account_b"], ascending=[False, True, True])
    return table.reset_index(drop=True)


def _atomic_write(path: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    # The kit's one writer: private (0600) temporary file, moved into place on success.
    from tsinvest.files import atomic_write

    with atomic_write(path) as temporary:
        write(temporary)
    return Path(path)


def write_graphml(G: nx.Graph, path: str | os.PathLike) -> Path:
    """Write GraphML (yEd, Cytoscape, Gephi), list/dict attributes as JSON text.

    Examples
    --------
    >>> import networkx as nx, tempfile, os
    >>> G = nx.Graph(); G.add_edge("1", "2", signals=("coaction",), weight=1.0)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_graphml(G, os.path.join(d, "g.graphml"))
    ...     sorted(nx.read_graphml(p).nodes)
    ['1', '2']
    """
    return _atomic_write(path, lambda tmp: nx.write_graphml(scalar_graph(G, xml=True), tmp))


def write_gexf(G: nx.Graph, path: str | os.PathLike) -> Path:
    """Write GEXF (Gephi), list/dict attributes as JSON text.

    Examples
    --------
    >>> import networkx as nx, tempfile, os
    >>> G = nx.Graph(); G.add_edge("1", "2", weights={"coaction": 2.0}, weight=2.0)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_gexf(G, os.path.join(d, "g.gexf"))
    ...     len(nx.read_gexf(p).edges)
    1
    """
    return _atomic_write(path, lambda tmp: nx.write_gexf(scalar_graph(G, xml=True), tmp))


def write_node_link_json(G: nx.Graph, path: str | os.PathLike) -> Path:
    """Write node-link JSON (D3, vis.js), keys ``nodes`` and ``edges``.

    Examples
    --------
    >>> import networkx as nx, tempfile, os, json
    >>> G = nx.Graph(); G.add_edge("1", "2", weight=1.0)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_node_link_json(G, os.path.join(d, "g.json"))
    ...     len(json.load(open(p))["edges"])
    1
    """
    def write(tmp: str | os.PathLike) -> None:
        data = nx.node_link_data(scalar_graph(G), edges="edges")
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
    return _atomic_write(path, write)


def write_edge_csv(G: nx.Graph, path: str | os.PathLike) -> Path:
    """Write the edge list as formula-safe CSV (see :func:`edge_table` and :func:`tsinvest.reporting.to_safe_csv`).

    Examples
    --------
    >>> import networkx as nx, tempfile, os
    >>> G = nx.Graph(); G.add_edge("01", "=2", weight=1.0)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_edge_csv(G, os.path.join(d, "e.csv"))
    ...     print(open(p, encoding="utf-8-sig").read().splitlines()[1])
    "01","'=2",1.0
    """
    from tsinvest.reporting import to_safe_csv

    return to_safe_csv(edge_table(G), path, id_columns=["source", "target", "account_a", "account_b"])


_WRITERS = {"graphml": write_graphml, "gexf": write_gexf, "json": write_node_link_json, "csv": write_edge_csv}


def write_graph(
    G: nx.Graph, path: str | os.PathLike, *, format: Literal["graphml", "gexf", "json", "csv"] | None = None
) -> Path:
    """Write ``G`` in the format named by ``format`` or by the file suffix.

    Examples
    --------
    >>> import networkx as nx, tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_graph(nx.Graph([("1", "2")]), os.path.join(d, "g.gexf")).suffix
    '.gexf'
    """
    chosen = format or Path(path).suffix.lstrip(".").lower()
    if chosen not in _WRITERS:
        raise ParameterError(f"format must be one of {', '.join(_WRITERS)}; got a path/format it cannot infer")
    return _WRITERS[chosen](G, path)
