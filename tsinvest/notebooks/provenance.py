"""What a colleague needs to reproduce a finding: inputs, parameters, versions, ``as_of``.

Every investigation notebook ends with a provenance section built by
:func:`provenance`, and ``tsinvest run`` writes the same record to ``run.json``
next to the report. Input files are identified by SHA-256 (so "the same data"
is checkable) and row counts; ``as_of`` is the investigation's reference time,
a parameter, never the wall clock, so re-running an old case gives the same
answer.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.loading.readers import duckdb_reader, file_format

__all__ = [
    "DEFAULT_PACKAGES",
    "InputFile",
    "Provenance",
    "provenance",
    "file_sha256",
    "count_rows",
]

#: Packages whose versions change results or their rendering.
DEFAULT_PACKAGES = (
    "tsinvest",
    "pandas",
    "numpy",
    "duckdb",
    "networkx",
    "scipy",
    "datasketch",
    "matplotlib",
    "pandera",
)



def file_sha256(path: str | os.PathLike, *, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks (constant memory for large inputs).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = path.write_bytes(b"abc")
    >>> file_sha256(path)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def count_rows(path: str | os.PathLike) -> int | None:
    """Data rows in a tabular file (header excluded); None for non-tabular files.

    CSV rows are counted by DuckDB's CSV reader, so quoted newlines inside
    comments do not inflate the count the way ``wc -l`` would.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.csv"
    >>> _ = path.write_text('account_id,text\\n007,"two\\nlines"\\n008,x\\n')
    >>> count_rows(path)
    2
    """
    import duckdb

    path = Path(path)
    form, _ = file_format(path)
    if form is not None and form.kind == "xlsx":
        return len(pd.read_excel(path, dtype=str))
    reader = duckdb_reader(path)
    if reader is None:
        return None
    with duckdb.connect() as connection:
        row = connection.execute(f"SELECT count(*) FROM {reader}").fetchone()
    return int(row[0]) if row is not None else 0


@dataclass(frozen=True)
class InputFile:
    """One input file: name inside the data folder, SHA-256, size and data rows."""

    name: str
    sha256: str
    bytes: int
    rows: int | None


@dataclass(frozen=True)
class Provenance:
    """Parameters, inputs, package versions and ``as_of`` of one investigation.

    Display it in a notebook (renders as escaped HTML tables) or save
    :meth:`to_dict` as JSON. :meth:`inputs_frame` and :meth:`parameters_frame`
    are deterministic for the same data and parameters; :meth:`packages_frame`
    depends on the machine.
    """

    as_of: str | None
    parameters: dict[str, object]
    inputs: tuple[InputFile, ...]
    packages: dict[str, str]
    data_dir: str | None = None
    notebook: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def inputs_frame(self) -> pd.DataFrame:
        """Input files sorted by name: ``file, rows, bytes, sha256``."""
        return pd.DataFrame(
            {
                "file": pd.array([item.name for item in self.inputs], dtype="string"),
                "rows": pd.array([item.rows for item in self.inputs], dtype="Int64"),
                "bytes": pd.array([item.bytes for item in self.inputs], dtype="Int64"),
                "sha256": pd.array([item.sha256 for item in self.inputs], dtype="string"),
            }
        )

    def parameters_frame(self) -> pd.DataFrame:
        """Parameters sorted by name, values rendered as JSON text (``"00123"`` keeps its quotes)."""
        names = sorted(self.parameters)
        return pd.DataFrame(
            {
                "parameter": pd.array(names, dtype="string"),
                "value": pd.array([_json_text(self.parameters[name]) for name in names], dtype="string"),
            }
        )

    def packages_frame(self) -> pd.DataFrame:
        """Package versions sorted by package name."""
        names = sorted(self.packages)
        return pd.DataFrame(
            {
                "package": pd.array(names, dtype="string"),
                "version": pd.array([self.packages[name] for name in names], dtype="string"),
            }
        )

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (sorted keys when dumped with :meth:`to_json`)."""
        return {
            "as_of": self.as_of,
            "notebook": self.notebook,
            "data_dir": self.data_dir,
            "parameters": {name: _jsonable(value) for name, value in sorted(self.parameters.items())},
            "inputs": [
                {"name": item.name, "sha256": item.sha256, "bytes": item.bytes, "rows": item.rows}
                for item in self.inputs
            ],
            "packages": dict(sorted(self.packages.items())),
            **{key: _jsonable(value) for key, value in sorted(self.extra.items())},
        }

    def to_json(self) -> str:
        """Stable JSON text (sorted keys, two-space indent)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def _repr_html_(self) -> str:
        def table(frame: pd.DataFrame) -> str:
            head = "".join(f"<th>{html.escape(str(column))}</th>" for column in frame.columns)
            rows = "".join(
                "<tr>" + "".join(f"<td>{html.escape('' if pd.isna(value) else str(value))}</td>" for value in row)
                + "</tr>"
                for row in frame.itertuples(index=False)
            )
            return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"

        as_of = html.escape(str(self.as_of))
        return (
            f"<p><b>as_of</b>: {as_of}</p>"
            f"<p><b>Parameters</b></p>{table(self.parameters_frame())}"
            f"<p><b>Input files</b></p>{table(self.inputs_frame())}"
            f"<p><b>Package versions</b></p>{table(self.packages_frame())}"
        )

    def __repr__(self) -> str:
        return (
            f"Provenance(as_of={self.as_of!r}, parameters={len(self.parameters)}, "
            f"inputs={len(self.inputs)}, packages={len(self.packages)})"
        )


def _jsonable(value: object) -> object:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_jsonable(item) for item in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    return str(value)


def _json_text(value: object) -> str:
    return json.dumps(_jsonable(value), ensure_ascii=False, sort_keys=True)


def _package_versions(packages: Iterable[str]) -> dict[str, str]:
    import platform

    versions = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def provenance(
    data_dir: str | os.PathLike | None,
    *,
    as_of: str | None,
    parameters: Mapping[str, object] | None = None,
    notebook: str | None = None,
    packages: Iterable[str] = DEFAULT_PACKAGES,
    files: Iterable[str | os.PathLike] | None = None,
) -> Provenance:
    """Record the inputs, parameters and environment of an investigation.

    Parameters
    ----------
    data_dir : path or None
        Data folder: every regular, non-hidden file directly in it is hashed;
        tabular files also get a row count.
    as_of : str or None
        The investigation's reference time (ISO 8601), as given to the
        analysis; recorded verbatim, never replaced by the current time.
    parameters : mapping, optional
        The notebook or run parameters.
    notebook : str, optional
        Name of the notebook that produced the findings.
    packages : iterable of str
        Distributions whose versions are recorded (plus Python itself).
    files : iterable of paths, optional
        Hash these files instead of scanning ``data_dir`` (names are shown
        relative to ``data_dir`` when inside it).

    Returns
    -------
    Provenance

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "accounts.csv").write_text("account_id,username\\n00123,a\\n")
    >>> record = provenance(folder, as_of="2026-03-30T00:00:00Z", parameters={"account_id": "00123"})
    >>> record.inputs_frame()[["file", "rows"]].to_dict("records")
    [{'file': 'accounts.csv', 'rows': 1}]
    >>> record.parameters_frame()["value"].tolist()
    ['"00123"']
    """
    base = Path(data_dir) if data_dir is not None else None
    if files is None:
        if base is None:
            paths: list[Path] = []
        elif not base.is_dir():
            raise ParameterError("data_dir is not a folder; pass the folder holding the input files")
        else:
            paths = [path for path in base.iterdir() if path.is_file() and not path.name.startswith(".")]
    else:
        paths = [Path(path) for path in files]

    def shown_name(path: Path) -> str:
        if base is not None:
            try:
                return path.resolve().relative_to(base.resolve()).as_posix()
            except ValueError:
                pass
        return path.name

    inputs = sorted(
        (
            InputFile(name=shown_name(path), sha256=file_sha256(path), bytes=path.stat().st_size, rows=count_rows(path))
            for path in paths
        ),
        key=lambda item: item.name,
    )
    return Provenance(
        as_of=as_of,
        parameters=dict(parameters or {}),
        inputs=tuple(inputs),
        packages=_package_versions(packages),
        data_dir=None if base is None else str(data_dir),
        notebook=notebook,
    )
