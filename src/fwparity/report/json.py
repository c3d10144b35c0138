"""report.json: write a :class:`~fwparity.compare.Comparison` atomically and read it back (schema 1)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from .._atomic import atomic_write
from ..errors import FormatError

__all__ = ["dumps", "read_json", "write_json"]


# A list of numbers that json.dumps(indent=...) spread over lines. JSON strings never hold a raw newline, so a
# match can only be a real array, never text inside a string.
_NUMBER_LIST = re.compile(r"\[\n[-+0-9.eE,\s]*\]")


def _compact_numbers(match: re.Match[str]) -> str:
    return "[" + ", ".join(x.strip() for x in match.group(0)[1:-1].split(",")) + "]"


def dumps(comparison: Any) -> str:
    """report.json text: indented, keys in schema order, exact integers (JSON numbers have no width limit).

    Arrays of numbers (bit-flip counts, raw input vectors) stay on one line so the file remains readable.
    """
    text = json.dumps(comparison.to_json(), indent=2, allow_nan=False)
    return _NUMBER_LIST.sub(_compact_numbers, text) + "\n"


def write_json(comparison: Any, path: str | os.PathLike[str]) -> Path:
    """Write report.json for ``comparison`` to ``path`` (temp file + ``os.replace``); return the path."""
    return atomic_write(path, dumps(comparison))


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a report.json into a :class:`~fwparity.compare.Comparison`.

    Raises
    ------
    FormatError
        The file is not JSON, or not a schema-1 fwparity report; the message names the file and the field.
    """
    from ..compare import Comparison

    source = os.fspath(path)
    try:
        text = Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise FormatError(f"{source}: cannot read the report ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise FormatError(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"{source}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    try:
        return Comparison.from_json(data, source=source)
    except FormatError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FormatError(f"{source}: malformed report field ({type(exc).__name__}: {exc})") from None
