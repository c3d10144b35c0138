"""Format detection from content, never from the file name (a ``.txt`` may be any of three formats)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import FormatError, InvalidArgument

__all__ = ["FORMATS", "detect_format", "format_from_name"]

#: Names accepted by ``--to`` and :func:`fwparity.vectors.convert`, with cmssw's ``parseFileFormat`` aliases.
FORMATS = ("hdf5", "dat", "EMPv1", "EMPv2", "APx")
_ALIASES = {
    "hdf5": "hdf5",
    "h5": "hdf5",
    "dat": "dat",
    "emp": "EMPv1",
    "empv1": "EMPv1",
    "empv2": "EMPv2",
    "apx": "APx",
}
_EXTENSIONS = {".h5": "hdf5", ".hdf5": "hdf5", ".hdf": "hdf5", ".dat": "dat", ".apx": "APx"}
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|[-+]?(inf|nan)", re.IGNORECASE)


def canonical_format(name: str) -> str:
    """``--to`` spelling -> one of :data:`FORMATS` (case-insensitive, cmssw aliases: EMP = EMPv1)."""
    key = name.lower()
    if key not in _ALIASES:
        raise InvalidArgument(f"Format {name!r} is not in supported list: {', '.join(FORMATS)}")
    return _ALIASES[key]


def format_from_name(path: str | os.PathLike[str]) -> str | None:
    """The format an output file's extension implies (``.h5``/``.hdf5``, ``.dat``, ``.apx``), or None."""
    return _EXTENSIONS.get(Path(path).suffix.lower())


def detect_format(path: str | os.PathLike[str]) -> str:
    """Detect one of :data:`FORMATS` from the file's content.

    HDF5 by its signature (at offset 0 or a power-of-two user-block offset); EMPv1 by a first content line
    ``Board ...``; EMPv2 by ``ID: ...``; APx by ``#Sideband``/``#LinkLabel``; .dat by a first content line of
    numbers.

    Raises
    ------
    FormatError
        Unreadable file, or content matching none of the formats.
    """
    source = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
            if head.startswith(_HDF5_MAGIC):
                return "hdf5"
            offset = 512
            while offset < 1 << 20:
                fh.seek(offset)
                if fh.read(8) == _HDF5_MAGIC:
                    return "hdf5"
                offset *= 2
    except OSError as exc:
        raise FormatError(f"Cannot read {source!r}: {exc.strerror}") from None
    text = head.decode("utf-8", errors="replace")
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith(("#Sideband", "#LinkLabel")):
            return "APx"
        if stripped.startswith("#"):
            continue
        if stripped.startswith("Board"):
            return "EMPv1"
        if stripped.startswith("ID:"):
            return "EMPv2"
        if all(_NUMBER.fullmatch(tok) for tok in stripped.split()):
            return "dat"
        break
    raise FormatError(
        f"{source}: cannot tell the format from the content (expected HDF5, an hls4ml .dat file, or "
        "an EMPv1/EMPv2/APx pattern file)"
    )
