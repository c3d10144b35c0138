"""Raw-integer encodings shared by the HDF5 and .dat modules; the one lazy import of fwparity.fixed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidArgument

if TYPE_CHECKING:
    from ..fixed import FixedType

__all__ = ["as_type", "check_range", "from_words", "to_words", "word_count"]


def as_type(value: Any) -> FixedType:
    """``FixedType.parse``; imported lazily so reading pattern files does not need the fixed-point package."""
    from ..fixed import FixedType

    return FixedType.parse(value)


def word_count(width: int) -> int:
    """64-bit words needed for ``width`` bits."""
    return (width + 63) // 64


def to_words(raw: np.ndarray, width: int) -> np.ndarray:
    """Exact wide raw integers -> uint64 words, least significant first, along a new last axis.

    The words hold the ``width``-bit two's complement pattern (``raw mod 2**width``), so signed and unsigned
    values of any width round-trip through :func:`from_words`.

    >>> to_words(np.array([-1, 2**64 + 5], dtype=object), 72).tolist()
    [[18446744073709551615, 255], [5, 1]]
    """
    arr = np.asarray(raw)
    n = word_count(width)
    mask = (1 << width) - 1
    flat = [int(v) & mask for v in arr.reshape(-1).tolist()]
    words = np.array(
        [[(v >> (64 * k)) & 0xFFFFFFFFFFFFFFFF for k in range(n)] for v in flat], dtype=np.uint64
    ).reshape(*arr.shape, n)
    return words


def from_words(words: np.ndarray, width: int, signed: bool) -> np.ndarray:
    """Inverse of :func:`to_words`: an object array of exact Python ints (sign-extended when ``signed``).

    >>> from_words(to_words(np.array([-1, 2**64 + 5], dtype=object), 72), 72, True).tolist()
    [-1, 18446744073709551621]
    """
    arr = np.asarray(words, dtype=np.uint64)
    n = arr.shape[-1]
    shape = arr.shape[:-1]
    rows = arr.reshape(-1, n).tolist()
    sign = 1 << (width - 1)
    out = np.empty(len(rows), dtype=object)
    for i, row in enumerate(rows):
        v = 0
        for k, w in enumerate(row):
            v |= int(w) << (64 * k)
        v &= (1 << width) - 1
        out[i] = v - (1 << width) if signed and v & sign else v
    return out.reshape(shape)


def check_range(raw: np.ndarray, t: FixedType, where: str) -> None:
    """InvalidArgument naming ``where`` if a raw code lies outside ``[t.min_raw, t.max_raw]``."""
    arr = np.asarray(raw)
    if arr.size == 0:
        return
    if arr.dtype == object:
        lo, hi = min(arr.reshape(-1).tolist()), max(arr.reshape(-1).tolist())
    else:
        lo, hi = int(arr.min()), int(arr.max())
    if lo < t.min_raw or hi > t.max_raw:
        bad = lo if lo < t.min_raw else hi
        raise InvalidArgument(
            f"{where}: raw value {bad} is outside [{t.min_raw}, {t.max_raw}], the range of {t}"
        )
