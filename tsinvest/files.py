"""Writing files and folders so that a reader never sees half of one.

The one owner of the kit's file-system chores; :mod:`tsinvest.loading` may
import it (it imports nothing from tsinvest but :mod:`tsinvest.exceptions`).

* :func:`atomic_write` (and :func:`write_text`, :func:`write_bytes`,
  :func:`write_json`): a temporary file in the target folder, created readable
  by its owner only (mode 0600, since it holds personal data), moved into
  place with :func:`os.replace` only once complete, so a failed write leaves
  no half file; symbolic links are never written through, and
  ``overwrite=False`` refuses to replace an existing file.
* :func:`replace_folder` and :func:`staged_folder`: a whole output folder is
  built beside its target and swapped in only once complete.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_json(folder / "a.json", {"b": 1, "a": 2}).read_text()
'{\\n  "a": 2,\\n  "b": 1\\n}\\n'
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tsinvest.exceptions import ParameterError

__all__ = ["atomic_write", "write_bytes", "write_text", "write_json", "replace_folder", "staged_folder"]


def _refuse_existing(target: Path) -> ParameterError:
    return ParameterError(f"'{target.name}' already exists and tsinvest does not overwrite it; choose another name")


def _check_target(target: Path, *, overwrite: bool) -> None:
    if target.is_symlink():
        raise ParameterError(f"'{target.name}' is a symbolic link; tsinvest never writes through links (remove it)")
    if target.is_dir():
        raise ParameterError(f"'{target.name}' is a folder; give a file name")
    if not overwrite and target.exists():
        raise _refuse_existing(target)


def _publish_new(temporary: str, target: Path) -> None:
    """Move ``temporary`` to ``target`` only if that name is free (a hard link fails if it is taken)."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise _refuse_existing(target) from None
    except OSError:  # a filesystem without hard links: check, then replace
        if target.exists():
            raise _refuse_existing(target) from None
        os.replace(temporary, target)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temporary)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a private temporary path next to ``path``; move it into place only on success.

    The one way tsinvest writes a file: the temporary file is created with
    mode 0600 (owner only) in the target's folder, the caller fills it, and
    it replaces ``path`` atomically when the ``with`` block ends without an
    exception (otherwise it is deleted and ``path`` is untouched).

    Parameters
    ----------
    path : path-like
        The file to write; its folder is created if missing.
    overwrite : bool, default True
        With False an existing ``path`` is never replaced (a hard link
        publishes the file, which fails if the name is taken).

    Raises
    ------
    ParameterError
        ``path`` is a symbolic link, a folder, or exists while
        ``overwrite=False``. The message names the file, never its content.

    Examples
    --------
    >>> import tempfile, pathlib, stat
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
    >>> with atomic_write(target) as temporary:
    ...     _ = temporary.write_text("done")
    >>> target.read_text(), oct(stat.S_IMODE(target.stat().st_mode))
    ('done', '0o600')
    >>> with atomic_write(target, overwrite=False) as temporary:
    ...     _ = temporary.write_text("again")
    Traceback (most recent call last):
    ...
    tsinvest.exceptions.ParameterError: 'note.txt' already exists ...
    """
    target = Path(path)
    _check_target(target, overwrite=overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    try:
        yield Path(temporary)
        # Some writers recreate the file; the mode must still be owner-only.
        os.chmod(temporary, 0o600)
        if overwrite:
            os.replace(temporary, target)
        else:
            _publish_new(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_bytes(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = True) -> Path:
    """Write bytes through :func:`atomic_write` (mode 0600, atomic).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> write_bytes(pathlib.Path(tempfile.mkdtemp()) / "a.bin", b"\\x00").read_bytes()
    b'\\x00'
    """
    with atomic_write(path, overwrite=overwrite) as temporary:
        temporary.write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8", overwrite: bool = True) -> Path:
    """Write text through :func:`atomic_write` (mode 0600, atomic).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> write_text(pathlib.Path(tempfile.mkdtemp()) / "a.txt", "hi").read_text()
    'hi'
    """
    return write_bytes(path, text.encode(encoding), overwrite=overwrite)


def write_json(path: str | os.PathLike[str], value: object, *, overwrite: bool = True) -> Path:
    """Write JSON (sorted keys, two-space indent, final newline) through :func:`atomic_write`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> write_json(pathlib.Path(tempfile.mkdtemp()) / "a.json", [1]).read_text()
    '[\\n  1\\n]\\n'
    """
    return write_text(path, json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n", overwrite=overwrite)


def replace_folder(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> Path:
    """Put the finished ``source`` (folder or file) at ``target``, replacing what is there.

    :func:`os.replace` cannot replace a folder that holds files, so an
    existing ``target`` folder is first renamed aside (a hidden name in the
    same folder), ``source`` is renamed in, and the old one is removed. A
    reader sees the old or the new content, never a mix; if the second
    rename fails the old folder is put back.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_text(root / "out" / "old.txt", "old")
    >>> _ = write_text(root / "new" / "new.txt", "new")
    >>> sorted(p.name for p in replace_folder(root / "new", root / "out").iterdir())
    ['new.txt']
    >>> sorted(p.name for p in root.iterdir())
    ['out']
    """
    source, target = Path(source), Path(target)
    if not (target.is_dir() and not target.is_symlink()):
        os.replace(source, target)
        return target
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    try:
        os.replace(target, aside / "old")
        try:
            os.replace(source, target)
        except BaseException:
            os.replace(aside / "old", target)
            raise
    finally:
        shutil.rmtree(aside, ignore_errors=True)
    return target


@contextlib.contextmanager
def staged_folder(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield an empty private folder beside ``path``; swap it in by :func:`replace_folder` on success.

    The folder is created with mode 0700 in ``path``'s parent (created if
    missing). If the ``with`` block raises, the staged folder is removed and
    ``path`` is untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report"
    >>> with staged_folder(out) as staging:
    ...     _ = write_text(staging / "a.txt", "a")
    >>> [p.name for p in out.iterdir()]
    ['a.txt']
    """
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise ParameterError(f"'{target.name}' exists and is not a folder; choose another output folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        yield staging
        replace_folder(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
