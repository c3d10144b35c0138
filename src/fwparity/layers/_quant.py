"""The requantisation kernel every layer model shares: raw integers in, raw integers on a FixedType out.

``fwparity.fixed.requantize`` is the reference implementation of ``T = value``; this module is the layer
models' fast path on top of it. It adds two things the layers need and the fixed core does not give: the count
of values the overflow handling changed (``Emulation.overflows``), and a choice of integer width made from
static bounds, so a product tensor can stay int32/int64 (vectorised, in cache) and go to exact Python ints
only when a bound says int64 could overflow. The modes that almost nobody uses (AP_WRAP_SM, saturation bits N
> 0) are delegated to ``fwparity.fixed.requantize``; everything else is computed here with shifts, masks and
compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..fixed import FixedType

__all__ = ["Tally", "requant", "cast", "wrap", "fit_dtype", "raw_bound", "as_exact", "trunc_div", "to_int32"]

# : Largest magnitude (exclusive, as a power of two) that int64 arithmetic may hold without wrapping: one
# bit is
#: kept spare so that ``x + (1 << (s - 1))`` and ``x - lo`` in the kernel cannot overflow either.
_INT64_BITS = 62


@dataclass
class Tally:
    """A running count of values that wrapped or saturated, filled in by the layer models.

    Pass one to any layer function as ``tally=`` to learn how many values that layer's quantisations (its
    final cast and internal ones such as ``accum_t``) pushed out of range. ``None`` skips the counting,
    which is cheaper.
    """

    count: int = 0

    def add(self, n: int) -> None:
        self.count += int(n)


def raw_bound(t: FixedType) -> int:
    """The largest raw magnitude a value of type ``t`` can have (max(|min_raw|, |max_raw|))."""
    return max(abs(int(t.min_raw)), abs(int(t.max_raw)))


def fit_dtype(bound: int) -> np.dtype:
    """int64 when every value (and the kernel's intermediates) of magnitude <= bound fits, else object
    (exact).
    """
    return np.dtype(np.int64) if int(bound).bit_length() <= _INT64_BITS else np.dtype(object)


def as_exact(raw: Any, dtype: np.dtype) -> np.ndarray:
    """``raw`` as an array of ``dtype``; going to object converts element by element into Python ints."""
    arr = np.asarray(raw)
    if arr.dtype == dtype:
        return arr
    if dtype == np.dtype(object):
        out = np.empty(arr.shape, dtype=object)
        out[...] = arr.astype(object) if arr.dtype != object else arr
        # numpy int64 scalars inside an object array would wrap on overflow; force Python ints.
        flat = out.reshape(-1)
        for i, v in enumerate(flat):
            flat[i] = int(v)
        return out
    return arr.astype(dtype)


def _narrow(arr: np.ndarray, t: FixedType) -> np.ndarray:
    # Results on a type of width <= 63 are int64 (the contract); wider ones stay exact Python ints.
    if t.width <= 63:
        if arr.dtype == object:
            return (
                np.array(arr.tolist(), dtype=np.int64).reshape(arr.shape)
                if arr.size
                else arr.astype(np.int64)
            )
        return arr.astype(np.int64, copy=False)
    return as_exact(arr, np.dtype(object))


def wrap(q: np.ndarray, width: int, signed: bool) -> np.ndarray:
    """Two's-complement wrap of raw integers into ``width`` bits (AP_WRAP with N=0)."""
    mask = (1 << width) - 1
    if signed:
        half = 1 << (width - 1)
        return ((q + half) & mask) - half
    return q & mask


def _count_outside(q: np.ndarray, lo: int, hi: int) -> int:
    if q.dtype == np.int64 and -(1 << 63) <= lo and hi < (1 << 63):
        # One subtract and one unsigned compare instead of two compares and an or.
        span = np.uint64(hi - lo)
        return int(np.count_nonzero((q - np.int64(lo)).view(np.uint64) > span))
    return int(np.count_nonzero((q < lo) | (q > hi)))


def _measure(arr: np.ndarray) -> int:
    if arr.size == 0:
        return 0
    return max(abs(int(arr.max())), abs(int(arr.min())))


def _quantize(raw: np.ndarray, s: int, mode: str) -> np.ndarray:
    # raw has s > 0 fractional bits too many; return the integer q of the quantisation table in ap_fixed.md.
    if mode == "TRN":
        return raw >> s
    half = 1 << (s - 1)
    if mode == "RND":
        return (raw + half) >> s
    fl = raw >> s
    rem = raw - (fl << s)
    neg = raw < 0
    if mode == "TRN_ZERO":
        return fl + (neg & (rem != 0))
    qb = rem >= half
    r = (rem & (half - 1)) != 0
    if mode == "RND_ZERO":
        inc = qb & (r | neg)
    elif mode == "RND_MIN_INF":
        inc = qb & r
    elif mode == "RND_INF":
        inc = qb & (r | ~neg)
    elif mode == "RND_CONV":
        inc = qb & (r | ((fl & 1) == 1))
    else:  # pragma: no cover - Quantization has exactly these members
        raise AssertionError(mode)
    return fl + inc


def requant(
    raw: Any, src_frac: int, dst: FixedType, tally: Tally | None = None, *, bound: int | None = None
) -> np.ndarray:
    """Assign raw integers with ``src_frac`` fractional bits to ``dst``: ``dst = value`` with dst's Q, O and
    N.

    ``raw`` may be int32/int64 (callers guarantee, from static bounds, that ``|raw| < 2**62``) or object.
    Returns int64 for ``dst.width <= 63`` else an object array of Python ints. When ``tally`` is given,
    the number of values that the overflow handling changed (wrapped, saturated or zeroed) is added to it.
    ``bound`` is a static bound on ``|raw|``; without it a left shift measures the data to decide whether
    int64 is safe.

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> tally = Tally()
    >>> requant(np.array([5, -5, 1000]), 2, FixedType.parse("ap_fixed<6,6,AP_RND,AP_SAT>"), tally).tolist()
    [1, -1, 31]
    >>> tally.count
    1
    """
    arr = np.asarray(raw)
    if arr.dtype != object and arr.dtype != np.int64:
        arr = arr.astype(np.int64)
    if dst.width > 63 and arr.dtype != object:
        arr = as_exact(arr, np.dtype(object))
    s = src_frac - dst.frac_bits
    if s < 0:
        if bound is None:
            bound = _measure(arr)
        if (int(bound).bit_length() - s) > _INT64_BITS and arr.dtype != object:
            arr = as_exact(arr, np.dtype(object))
        q = arr << (-s)
    elif s > 0:
        q = _quantize(arr, s, dst.quantization.name)
    else:
        q = arr
    lo, hi = int(dst.min_raw), int(dst.max_raw)
    o = dst.overflow.name
    if o == "WRAP" and dst.sat_bits == 0:
        if tally is not None:
            tally.add(_count_outside(q, lo, hi))
        return _narrow(wrap(q, dst.width, dst.signed), dst)
    if o == "SAT_SYM" and dst.signed and dst.width > 1:
        lo += 1
    if tally is not None:
        tally.add(_count_outside(q, lo, hi))
    if o in ("SAT", "SAT_SYM"):
        return _narrow(np.minimum(np.maximum(q, lo), hi), dst)
    if o == "SAT_ZERO":
        return _narrow(np.where((q < lo) | (q > hi), 0, q), dst)
    # AP_WRAP with saturation bits, AP_WRAP_SM: rare, delegated to the fixed core's full implementation.
    from ..fixed import requantize

    return _narrow(np.asarray(requantize(np.asarray(raw), src_frac, dst)), dst)


def _effective_range(t: FixedType) -> tuple[int, int]:
    lo, hi = int(t.min_raw), int(t.max_raw)
    if t.overflow.name == "SAT_SYM" and t.signed and t.width > 1:
        lo += 1
    return lo, hi


def cast(raw: Any, src: FixedType, dst: FixedType, tally: Tally | None = None) -> np.ndarray:
    """``dst = (src value)``: :func:`requant` with a shortcut when every value of ``src`` is already a ``dst``
    value.

    Same fractional bits and a source range inside the destination's (AP_SAT_SYM excludes the most
    negative code) mean the assignment changes nothing, so the array is returned as is and nothing is
    counted.
    """
    if src.frac_bits == dst.frac_bits and (dst.width <= 63) == (src.width <= 63):
        lo, hi = _effective_range(dst)
        if lo <= int(src.min_raw) and int(src.max_raw) <= hi:
            return np.asarray(raw)
    return requant(raw, src.frac_bits, dst, tally)


def trunc_div(num: np.ndarray, den: int) -> np.ndarray:
    """Integer division truncated toward zero (C semantics), exact for int64 and object; ``den > 0``."""
    q = np.abs(num) // den
    return np.where(num < 0, -q, q)


def to_int32(v: np.ndarray) -> np.ndarray:
    """What C's ``int x = <wider integer>`` keeps: the low 32 bits, as two's complement, in int64."""
    return wrap(v, 32, True).astype(np.int64)
