"""Atomic file replacement, shared by every writer (vector files, pattern files, models, reports, dask parts).

A writer fills a temporary file in the target's own directory and renames it over the target with
``os.replace``, which is atomic on POSIX within one filesystem: a reader (a CI job collecting junit.xml, a
second process loading a vector file) sees either the old file or the complete new one, and a writer
interrupted by an exception or a kill leaves the earlier file untouched. One implementation, so every file
fwparity writes behaves the same way.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "atomic_write"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, parents: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success move it over ``path`` with ``os.replace``.

    The temporary file exists (empty) when yielded, so a writer may open it for writing or truncate it
    (``h5py.File(tmp, "w")``). On any exception it is removed and the exception propagates. With
    ``parents``, missing parent directories are made first.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "out.txt") as tmp:
    ...     _ = tmp.write_text("done")
    >>> (d / "out.txt").read_text(), sorted(p.name for p in d.iterdir())
    ('done', ['out.txt'])
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if parents:
        directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8, bytes as they are) to ``path`` atomically, making missing parent
    directories; the data is flushed to disk before the rename, so a crash cannot leave an empty file under
    the final name. Returns the path.
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(target, parents=True) as tmp:
        with open(tmp, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
    return target
