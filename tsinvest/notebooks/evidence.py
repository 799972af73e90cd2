"""Evidence files a notebook exports for the case: flagged accounts, edges, clusters, the graph.

:func:`export_evidence` writes, into one folder, every table twice (CSV and
Excel, both through :mod:`tsinvest.reporting`'s formula-safe, id-exact writers)
plus the account graph as GraphML (:func:`tsinvest.graph.export.write_graphml`),
which Gephi, Cytoscape and networkx read.
``tsinvest run`` gives the notebook that folder through its ``evidence_dir``
parameter and ``tsinvest bundle`` zips it with the report.

With a :class:`~tsinvest.reporting.Pseudonymiser`, account ids are replaced by
keyed pseudonyms everywhere (tables, free-text evidence, graph), for sharing
outside the team.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from tsinvest.exceptions import ParameterError

if TYPE_CHECKING:
    import networkx as nx

    from tsinvest.reporting import Pseudonymiser

__all__ = ["EvidenceFiles", "export_evidence"]

_ID_COLUMNS = ("account_id", "account_a", "account_b", "cluster_id", "target_id", "seed")


@dataclass(frozen=True)
class EvidenceFiles:
    """What :func:`export_evidence` wrote.

    Attributes
    ----------
    folder : Path or None
        The evidence folder (None when nothing was written).
    files : tuple of Path
        Written files, sorted by name.
    """

    folder: Path | None
    files: tuple[Path, ...]

    def frame(self) -> pd.DataFrame:
        """Written files with their sizes, for display."""
        return pd.DataFrame(
            {
                "file": pd.array([path.name for path in self.files], dtype="string"),
                "bytes": pd.array([path.stat().st_size for path in self.files], dtype="Int64"),
            }
        )

    def _repr_html_(self) -> str:
        from tsinvest.reporting import safe_table_html

        if self.folder is None:
            return "<p>No evidence files written (run with <code>tsinvest run</code> to export them).</p>"
        return safe_table_html(self.frame(), caption="Evidence files written")

    def __repr__(self) -> str:
        if self.folder is None:
            return "EvidenceFiles(nothing written: no evidence_dir given)"
        return f"EvidenceFiles({len(self.files)} files: {', '.join(path.name for path in self.files)})"


def export_evidence(
    evidence_dir: str | os.PathLike | None,
    tables: Mapping[str, pd.DataFrame],
    *,
    graph: nx.Graph | None = None,
    pseudonymiser: Pseudonymiser | None = None,
    id_columns: tuple[str, ...] = _ID_COLUMNS,
    text_columns: tuple[str, ...] = ("evidence", "members", "explanation"),
) -> EvidenceFiles:
    """Write each table as ``<name>.csv`` and ``<name>.xlsx``, and the graph as ``graph.graphml``.

    Parameters
    ----------
    evidence_dir : path or None
        Folder to write into (created). ``None`` writes nothing, so a notebook
        run interactively does not scatter files; ``tsinvest run`` passes a folder.
    tables : mapping of str to DataFrame
        File stem -> table, e.g. ``{"flagged_accounts": ..., "edges": ...}``.
        Stems must be plain names (letters, digits, ``_``, ``-``).
    graph : networkx.Graph, optional
        Account graph to save as GraphML.
    pseudonymiser : tsinvest.reporting.Pseudonymiser, optional
        Replace account ids by keyed pseudonyms in every file.
    id_columns : tuple of str
        Columns written as exact text (and pseudonymised when asked).
    text_columns : tuple of str
        Free-text columns in which raw ids are pseudonymised too.

    Returns
    -------
    EvidenceFiles

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> flagged = pd.DataFrame({"account_id": ["00123"], "cluster_id": ["c1"]})
    >>> export_evidence(folder, {"flagged_accounts": flagged})
    EvidenceFiles(2 files: flagged_accounts.csv, flagged_accounts.xlsx)
    >>> export_evidence(None, {"flagged_accounts": flagged})
    EvidenceFiles(nothing written: no evidence_dir given)
    """
    from tsinvest.graph.export import write_graphml
    from tsinvest.reporting import pseudonymise_frame, pseudonymise_graph, to_safe_csv, to_safe_excel

    if evidence_dir is None:
        return EvidenceFiles(folder=None, files=())
    for name in tables:
        if not name or not all(char.isalnum() or char in "_-" for char in name):
            raise ParameterError("evidence table names must be plain file stems (letters, digits, '_' or '-')")
    folder = Path(evidence_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, frame in tables.items():
        present_ids = [column for column in id_columns if column in frame.columns]
        if pseudonymiser is not None:
            account_columns = [column for column in present_ids if column.startswith("account") or column == "seed"]
            frame = pseudonymise_frame(
                frame,
                pseudonymiser,
                columns=account_columns,
                text_columns=[column for column in text_columns if column in frame.columns],
            )
        written.append(to_safe_csv(frame, folder / f"{name}.csv", id_columns=present_ids))
        written.append(to_safe_excel({name[:31]: frame}, folder / f"{name}.xlsx", id_columns=present_ids))
    if graph is not None:
        if pseudonymiser is not None:
            graph = pseudonymise_graph(graph, pseudonymiser, id_attributes={"username": "user"})
        written.append(write_graphml(graph, folder / "graph.graphml"))
    return EvidenceFiles(folder=folder, files=tuple(sorted(written, key=lambda path: path.name)))
