"""Shared helpers of the renderers: the exact text of a raw code's value (atomic writes: fwparity._atomic)."""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

__all__ = ["frac_bits_of", "value_text", "xor_text"]


@lru_cache(maxsize=256)
def frac_bits_of(type_text: str) -> int | None:
    """F of an HLS type spelling, or None if it cannot be parsed (the report then shows raw codes only)."""
    try:
        from ..fixed import FixedType

        return int(FixedType.parse(type_text).frac_bits)
    except Exception:
        return None


def value_text(raw: int, frac_bits: int | None) -> str:
    """The value of ``raw * 2**-frac_bits`` for a person to read: exact when a double holds it, else ``~``
    and the nearest double (the raw code next to it is the exact record).

    Floats appear only here, at the edge where a person reads the report; every comparison was made on
    ``raw``.

    >>> value_text(-120, 5), value_text(3, -2), value_text((1 << 99) - 1, 60), value_text(7, None)
    ('-3.75', '12', '~549755813888.0', '')
    """
    if frac_bits is None:
        return ""
    if frac_bits <= 0:
        return str(raw << -frac_bits)
    if abs(raw) < (1 << 53):
        return repr(math.ldexp(raw, -frac_bits))
    return "~" + repr(float(Fraction(raw, 1 << frac_bits)))


def xor_text(xor_bits: int, width: int) -> str:
    """The XOR as a W-bit binary string, MSB first, so the differing bit positions line up in a column."""
    return format(xor_bits, f"0{max(width, 1)}b")
