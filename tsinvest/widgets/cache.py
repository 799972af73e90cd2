"""A detection cache for the read-only app, so a visitor does not wait for detection.

:func:`cached_detect` runs :func:`tsinvest.detect.detect` once per distinct
input and settings and keeps the result in a folder keyed by a SHA-256 of the
input files' own hashes, the settings and the tsinvest version. A later call
with the same data reads the result back in a fraction of a second.

The cache holds Parquet tables and a JSON parameters file, never pickles:
reading a cache folder cannot run code. The account graph is rebuilt from the
cached edges and memberships (linear in the edges).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from tsinvest.exceptions import ParameterError

if TYPE_CHECKING:
    from tsinvest.detect import DetectionResult

__all__ = ["cache_key", "cached_load", "cached_detect", "app_data_dir", "APP_DATA_VARIABLE", "APP_CACHE_VARIABLE"]

#: Environment variable naming the data folder the app shows.
APP_DATA_VARIABLE = "TSINVEST_APP_DATA"
#: Environment variable naming the app's cache folder.
APP_CACHE_VARIABLE = "TSINVEST_APP_CACHE"
_TABLES = ("memberships", "clusters", "edges")


def app_data_dir(default: str = "../data_samples") -> str:
    """The data folder of the app: ``$TSINVEST_APP_DATA`` or ``default`` (the sample beside ``app/``)."""
    return os.environ.get(APP_DATA_VARIABLE) or default


def cache_key(data_dir: str | os.PathLike, settings: Mapping[str, object]) -> str:
    """SHA-256 of the input files (name and content hash), the settings and the tsinvest version.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> _ = (Path(folder) / "accounts.csv").write_text("account_id\\n1\\n")
    >>> key = cache_key(folder, {"seed": 7})
    >>> key == cache_key(folder, {"seed": 7}), key == cache_key(folder, {"seed": 8})
    (True, False)
    """
    from tsinvest import __version__
    from tsinvest.loading import find_table_files
    from tsinvest.notebooks.provenance import file_sha256

    files = find_table_files(Path(data_dir))
    if not files:
        raise ParameterError("data_dir holds no canonical table files; check the app's data folder")
    description = {
        "files": {table: [path.name, file_sha256(path)] for table, path in sorted(files.items())},
        "settings": {name: settings[name] for name in sorted(settings)},
        "version": __version__,
    }
    return hashlib.sha256(json.dumps(description, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _cache_root(data_dir: str | os.PathLike, cache_dir: str | os.PathLike | None) -> Path:
    return Path(cache_dir or os.environ.get(APP_CACHE_VARIABLE) or Path(data_dir).resolve().parent / ".tsinvest-cache")


def _write_entry(root: Path, key: str, frames: Mapping[str, pd.DataFrame], parameters: Mapping[str, object]) -> None:
    """Write one cache entry atomically: a temporary folder renamed into place."""
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{key[:12]}.", suffix=".partial", dir=root))
    try:
        for name, frame in frames.items():
            frame.to_parquet(staging / f"{name}.parquet", index=False)
        (staging / "parameters.json").write_text(json.dumps(dict(parameters), sort_keys=True, default=str),
                                                 encoding="utf-8")
        try:
            os.replace(staging, root / key)
        except OSError:
            # Another visitor filled the same entry first: theirs is identical.
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def cached_load(data_dir: str | os.PathLike, *, cache_dir: str | os.PathLike | None = None) -> dict[str, pd.DataFrame]:
    """:func:`tsinvest.loading.load_dir` with the validated tables cached as Parquet, keyed by the files' hashes.

    A changed, added or removed file changes the key, so the tables are
    validated again; a hit skips parsing and validation.
    """
    from tsinvest.loading import load_dir

    key = "tables-" + cache_key(data_dir, {"validated": True})
    entry = _cache_root(data_dir, cache_dir) / key
    if (entry / "parameters.json").is_file():
        names = json.loads((entry / "parameters.json").read_text(encoding="utf-8"))["tables"]
        return {name: pd.read_parquet(entry / f"{name}.parquet") for name in names}
    tables = load_dir(Path(data_dir))
    _write_entry(_cache_root(data_dir, cache_dir), key, tables, {"tables": list(tables)})
    return tables


def cached_detect(
    tables: Mapping[str, pd.DataFrame],
    *,
    data_dir: str | os.PathLike,
    cache_dir: str | os.PathLike | None = None,
    seed: int = 0,
    as_of: str | None = None,
    window: float | None = None,
) -> DetectionResult:
    """:func:`tsinvest.detect.detect` with a folder cache keyed by the inputs' hashes.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        The tables loaded from ``data_dir`` (detection runs on them on a miss).
    data_dir : path
        Folder the tables came from; its files' hashes make the key.
    cache_dir : path, optional
        Cache folder; default ``$TSINVEST_APP_CACHE`` or ``.tsinvest-cache``
        inside ``data_dir``'s parent.
    seed, as_of, window
        Passed to ``detect``; part of the key.

    Returns
    -------
    DetectionResult
        With ``parameters["cache"]`` set to ``"hit"`` or ``"miss"``. On a hit
        the account graph is built only when ``graph`` is first read (about
        two seconds on the sample), like on a fresh result.

    Notes
    -----
    Entries are written to a temporary folder and renamed into place, so a
    crash never leaves a half-written entry. Nothing is evicted: one entry per
    distinct data folder and settings (a few hundred kB on the sample).
    """
    from tsinvest.detect import DetectionResult, detect

    settings = {"seed": seed, "as_of": as_of, "window": window}
    key = cache_key(data_dir, settings)
    root = _cache_root(data_dir, cache_dir)
    entry = root / key
    if (entry / "parameters.json").is_file():
        frames = {name: pd.read_parquet(entry / f"{name}.parquet") for name in _TABLES}
        parameters = json.loads((entry / "parameters.json").read_text(encoding="utf-8"))
        parameters["cache"] = "hit"
        exclusions = parameters.pop("exclusions", {})
        return DetectionResult(memberships=frames["memberships"], clusters=frames["clusters"], edges=frames["edges"],
                               parameters=parameters, exclusions=exclusions, accounts=tables.get("accounts"))
    result = detect(tables, seed=seed, as_of=as_of, window=window, progress=False)
    _write_entry(root, key, {"memberships": result.memberships, "clusters": result.clusters, "edges": result.edges},
                 {**result.parameters, "exclusions": result.exclusions})
    result.parameters["cache"] = "miss"
    return result
