"""Helpers shared by the text readers and every writer: lines with positions, atomic replacement."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import FormatError

__all__ = ["atomic_path", "read_text", "split_lines"]


def read_text(path: str | os.PathLike[str]) -> str:
    """Read a text file; a missing, unreadable or non-UTF-8 file is a FormatError naming it."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise FormatError(f"Cannot read {os.fspath(path)!r}: {exc.strerror}") from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{os.fspath(path)}: byte {exc.start} is not UTF-8 text") from exc


def split_lines(text: str) -> list[str]:
    """Lines without their terminators (``\\n`` or ``\\r\\n``), so column numbers count visible characters."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success move it over ``path`` with ``os.replace``.

    The temporary file is in the same directory so the final rename is atomic on POSIX: a reader sees either
    the old file or the complete new one, and a writer interrupted by an exception (or a kill before the
    rename) leaves the earlier file untouched. The temporary file is removed on failure.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
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


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_path`), ``\\n`` line ends everywhere."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
