"""Helpers shared by the text readers and every writer: lines with positions, atomic replacement."""

from __future__ import annotations

import os
from pathlib import Path

from .._atomic import atomic_path
from ..errors import FormatError

__all__ = ["read_text", "split_lines", "write_text_atomic"]


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


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically (fwparity._atomic), ``\\n`` line ends everywhere."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
