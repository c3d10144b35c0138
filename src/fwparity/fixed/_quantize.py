"""Quantization and overflow: the one kernel behind ``T(double)`` and ``T = other_fixed``.

Both conversions in the headers run the same algorithm on a source written exactly as ``M * 2**-F2``: round
the bits below the destination LSB by the quantization mode, then fold the result into ``W`` bits by the
overflow mode. This module implements that algorithm once (:func:`requantize`) on raw integers, plus the
double decoding in front of it (:func:`from_float`) and the conversion out (:func:`to_float`).

Two execution paths give the same bits:

* an ``int64`` numpy path, used whenever the destination has ``W <= 63``; every intermediate is provably below
  2**63 (a left shift is never formed, its overflow is detected from bounds instead);
* an exact path on ``object`` arrays of Python ints for wider types and exotic shifts.

``from_float`` additionally has a float64 fast path (``ldexp``/``floor`` are exact on doubles) for the common
types; it is cross-checked against the integer decoding in the tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidArgument, InvalidType
from ._type import FixedType, Overflow, Quantization

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["requantize", "from_float", "to_float", "cast"]

_INT64_MAX = (1 << 63) - 1


# -- input normalisation
# -----------------------------------------------------------------------------------------------
def _as_raw(raw: ArrayLike, name: str) -> np.ndarray:
    """An integer array as int64 when every value fits, else as an object array of Python ints; no floats."""
    a = np.asarray(raw)
    kind = a.dtype.kind
    if kind in "ib":
        return a.astype(np.int64, copy=False)
    if kind == "u":
        if a.dtype.itemsize == 8 and a.size and int(a.max()) > _INT64_MAX:
            return a.astype(object)
        return a.astype(np.int64, copy=False)
    if kind == "O":
        values = a.ravel().tolist()
        if all(type(v) is int for v in values):
            return a
        for v in values:
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
                raise InvalidType(
                    f"Expected raw integers but {name} holds {v!r} (type={type(v).__name__}); "
                    "use from_float for real values"
                )
        out = np.empty(len(values), dtype=object)
        out[:] = [int(v) for v in values]  # numpy ints would overflow silently in the object path
        return out.reshape(a.shape)
    raise InvalidType(
        f"Expected raw integers but got {name} of dtype {a.dtype}; use from_float for real values"
    )


def _as_double(x: ArrayLike) -> np.ndarray:
    a = np.asarray(x)
    kind = a.dtype.kind
    if kind == "f":
        if a.dtype.itemsize > 8:
            raise InvalidType(f"Expected float64 values but got x of dtype {a.dtype}; it would be rounded")
        return a.astype(np.float64, copy=False)
    if kind == "b" or (kind in "iu" and a.dtype.itemsize <= 4):
        return a.astype(np.float64)
    if kind in "iuO":
        try:
            f = a.astype(np.float64)
        except (TypeError, ValueError, OverflowError) as exc:
            raise InvalidType(f"Expected float values but got x of dtype {a.dtype}: {exc}") from None
        if kind == "O" or np.any(np.abs(f) >= 2.0**53):
            exact = np.frompyfunc(lambda v, d: isinstance(v, float) or v == int(d), 2, 1)(a, f)
            if not np.all(exact.astype(bool)):
                bad = a.flat[int(np.flatnonzero(~exact.astype(bool))[0])]
                bad = bad.item() if isinstance(bad, np.generic) else bad
                raise InvalidArgument(
                    f"x={bad!r} is not exactly a double; from_float converts doubles "
                    "(pass raw integers to cast)"
                )
        return f
    raise InvalidType(f"Expected float values but got x of dtype {a.dtype}")


def _check_int(name: str, value: object) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InvalidType(f"Expected int but got {name}={value!r} (type={type(value).__name__})")
    return int(value)


# -- the overflow stage (shared by every path)
# ------------------------------------------------------------------------
def _to_signed(low: np.ndarray, width: int) -> np.ndarray:
    """Read ``low`` in [0, 2**W) as a W-bit two's-complement number."""
    if low.dtype == object:
        return np.where(low >= (1 << (width - 1)), low - (1 << width), low)
    shift = 64 - width
    # numpy shifts int64 through uint64, so the left shift wraps instead of being undefined.
    return (low << shift) >> shift


def _overflow(
    low: np.ndarray,
    under: np.ndarray | None,
    over: np.ndarray | None,
    neg: np.ndarray,
    lsb_w: np.ndarray | None,
    dst: FixedType,
) -> np.ndarray:
    """Apply ``dst``'s overflow mode.

    ``low`` is the rounded value modulo 2**W (non-negative), ``under``/``over`` say whether the rounded value
    was below/above the range, ``neg`` is the sign of the source and ``lsb_w`` bit W of floor(t) (only for
    WRAP_SM, N=0).
    """
    w, n, mode = dst.width, dst.sat_bits, dst.overflow
    lo, hi = dst.min_raw, dst.max_raw
    if low.dtype == object:
        # np.where refuses Python ints beyond 64 bits unless they arrive as object arrays.
        def c(v: int) -> Any:
            return np.array(v, dtype=object)
    else:

        def c(v: int) -> Any:
            return v

    value = _to_signed(low, w) if dst.signed else low
    if mode is Overflow.WRAP and n == 0:
        return value
    assert under is not None and over is not None
    if mode is Overflow.SAT:
        return np.where(over, c(hi), np.where(under, c(lo), value))
    if mode is Overflow.SAT_SYM:
        if dst.signed and w > 1:
            # The headers rewrite an in-range most negative code too (trap 4 in the reference).
            value = np.where(value == lo, c(lo + 1), value)
            lo = lo + 1
        return np.where(over, c(hi), np.where(under, c(lo), value))
    if mode is Overflow.SAT_ZERO:
        return np.where(over | under, c(0), value)

    mask = (1 << w) - 1
    msb = 1 << (w - 1)
    top = ((1 << n) - 1) << (w - n)  # the N saturated bits [W-N, W-1]
    if mode is Overflow.WRAP:  # N > 0
        if dst.signed:
            folded = (low & ~top) | np.where(neg, c(msb), c(top & ~msb))
        else:
            # Unsigned: the N MSBs become 1 on underflow too (trap 6).
            folded = low | top
    else:  # WRAP_SM, signed only
        m = ((low >> (w - 1)) & 1) != 0
        if n == 0:
            assert lsb_w is not None
            flipped = np.where(lsb_w != m, low ^ mask, low)
            folded = (flipped & ~msb) | np.where(lsb_w, c(msb), c(0))
        elif n == 1:
            flipped = np.where(neg != m, low ^ mask, low)
            folded = (flipped & ~msb) | np.where(neg, c(msb), c(0))
        else:
            b = ((low >> (w - n)) & 1) != 0
            flipped = np.where(b == neg, low ^ mask, low)
            folded = (flipped & ~top) | np.where(neg, c(msb), c(top & ~msb))
    folded_value = _to_signed(folded, w) if dst.signed else folded
    return np.where(over | under, folded_value, value)


def _increment(quant: Quantization, fl_odd: Any, qb: Any, r: Any, neg: Any) -> Any:
    """The quantization table: how much (0 or 1) to add to floor(t)."""
    if quant is Quantization.TRN_ZERO:
        return neg & (qb | r)
    if quant is Quantization.RND:
        return qb
    if quant is Quantization.RND_ZERO:
        return qb & (r | neg)
    if quant is Quantization.RND_MIN_INF:
        return qb & r
    if quant is Quantization.RND_INF:
        return qb & (r | ~neg)
    if quant is Quantization.RND_CONV:
        return qb & (r | fl_odd())
    raise AssertionError(quant)  # pragma: no cover - TRN never calls this


def _needs_range(dst: FixedType) -> bool:
    return not (dst.overflow is Overflow.WRAP and dst.sat_bits == 0)


def _needs_lsb_w(dst: FixedType) -> bool:
    return dst.overflow is Overflow.WRAP_SM and dst.sat_bits == 0


# -- requantize: the kernel
# ------------------------------------------------------------------------------------------
def _requantize_int64(
    m: np.ndarray, s: int, dst: FixedType, neg: np.ndarray, lsb_w: np.ndarray | None
) -> np.ndarray:
    w, lo, hi = dst.width, dst.min_raw, dst.max_raw
    mask = (1 << w) - 1
    under = over = None
    if s <= 0:
        k = -s
        # t = M * 2**k is never formed (it may not fit 64 bits): its low W bits and its range come from M
        # directly.
        low = (m & ((1 << (w - k)) - 1)) << k if k < w else np.zeros_like(m)
        if _needs_range(dst):
            under = m < -((-lo) >> k)  # M * 2**k < lo  <=>  M < ceil(lo / 2**k)
            over = m > (hi >> k)
        if lsb_w is None and _needs_lsb_w(dst):
            lsb_w = ((m >> (w - k)) & 1) != 0 if k <= w else np.zeros(m.shape, dtype=bool)
    else:
        # Shifts are clamped to 63: for |M| < 2**63 the results of larger shifts are the same (0 or -1).
        fl = m >> min(s, 63)
        q = fl
        if dst.quantization is not Quantization.TRN:
            qb = ((m >> min(s - 1, 63)) & 1) != 0
            r = (m & ((1 << (s - 1)) - 1 if s - 1 <= 63 else -1)) != 0
            q = fl + _increment(dst.quantization, lambda: (fl & 1) != 0, qb, r, neg)
        mode = dst.overflow
        if mode is Overflow.SAT or mode is Overflow.SAT_SYM:
            # q itself is at hand: saturation is a clamp (SAT_SYM's floor lo+1 also moves an in-range lo).
            sym = mode is Overflow.SAT_SYM and dst.signed and w > 1
            return np.clip(q, lo + 1 if sym else lo, hi)
        if mode is Overflow.SAT_ZERO:
            return np.where((q < lo) | (q > hi), 0, q)
        low = q & mask
        if _needs_range(dst):
            under = q < lo
            over = q > hi
        if lsb_w is None and _needs_lsb_w(dst):
            lsb_w = ((fl >> w) & 1) != 0
    return _overflow(low, under, over, neg, lsb_w, dst)


def _round_exact(
    m: np.ndarray, s: Any, quant: Quantization, neg: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(q, floor(t)) for t = M * 2**-s on object arrays; ``s`` is an int or one shift per element."""
    if np.ndim(s) == 0:
        s = int(s)
        if s <= 0:
            q = m << -s
            return q, q
        fl = m >> s
        if quant is Quantization.TRN:
            return fl, fl
        rem = m - (fl << s)
        qb = (rem >> (s - 1)) != 0
        r = (rem & ((1 << (s - 1)) - 1)) != 0
    else:
        s = np.asarray(s, dtype=np.int64)
        left = np.maximum(-s, 0).astype(object)
        right = np.maximum(s, 0).astype(object)
        a = m << left
        fl = a >> right
        if quant is Quantization.TRN:
            return fl, fl
        rem = a - (fl << right)
        below = np.maximum(s - 1, 0).astype(object)
        qb = (rem >> below) != 0
        r = (rem & ((1 << below) - 1)) != 0
    inc = _increment(quant, lambda: (fl & 1) != 0, qb, r, neg)
    return fl + inc.astype(np.int64).astype(object), fl


def _requantize_object(
    m: np.ndarray, s: Any, dst: FixedType, neg: np.ndarray, lsb_w: np.ndarray | None
) -> np.ndarray:
    w = dst.width
    q, fl = _round_exact(m, s, dst.quantization, neg)
    low = q & ((1 << w) - 1)
    under = over = None
    if _needs_range(dst):
        under = np.asarray(q < dst.min_raw, dtype=bool)
        over = np.asarray(q > dst.max_raw, dtype=bool)
    if lsb_w is None and _needs_lsb_w(dst):
        lsb_w = ((fl >> w) & 1) != 0
    return _overflow(low, under, over, neg, lsb_w, dst)


def _narrow_object(m: np.ndarray, s: int, dst: FixedType, neg: np.ndarray) -> np.ndarray | None:
    """Wide source, narrow destination (W <= 59; SAT modes or plain WRAP): a few Python-int steps, then int64.

    Bits below the rounding bit only matter through "any of them set" (a sticky bit), and bits above the
    destination only through the direction of an overflow (SAT) or not at all (WRAP). So M is reduced to
    ``floor(2t) * 2 + sticky`` with its magnitude clamped (SAT) or its high bits dropped (WRAP), which fits
    int64, and the int64 kernel finishes. Returns None where this does not apply.
    """
    w, mode = dst.width, dst.overflow
    sat = mode in (Overflow.SAT, Overflow.SAT_SYM, Overflow.SAT_ZERO)
    if w > 59 or not (sat or (mode is Overflow.WRAP and dst.sat_bits == 0)):
        return None
    if s <= 0:
        # t = M * 2**k: the int64 kernel never forms the product, it only needs M clamped or reduced.
        if sat:
            reduced = np.clip(m, -(2**62), 2**62)
        else:
            reduced = m & ((1 << w) - 1)  # (M mod 2**W) * 2**k == M * 2**k mod 2**W
        return _requantize_int64(reduced.astype(np.int64), s, dst, neg, None)
    half = m >> (s - 1)  # floor(t * 2): floor(t) and the rounding bit
    if dst.quantization is Quantization.TRN or s == 1:
        sticky = np.zeros(m.shape, dtype=np.int64)
    else:
        sticky = ((m & ((1 << (s - 1)) - 1)) != 0).astype(np.int64)
    if sat:
        half = np.clip(half, -(2**61), 2**61)  # floor(t) stays beyond the range (W <= 59): overflows survive
    else:
        half = half & ((1 << (w + 2)) - 1)  # floor(t) mod 2**(W+1) and the rounding bit
    reduced = (half.astype(np.int64) << 1) | sticky
    return _requantize_int64(reduced, 2, dst, neg, None)


def _finish(value: np.ndarray, dst: FixedType, shape: tuple[int, ...]) -> np.ndarray:
    out = np.asarray(value)
    out = out.astype(dst.dtype, copy=False) if dst.width <= 63 else out.astype(object, copy=False)
    return out.reshape(shape)


def requantize(
    raw: ArrayLike,
    src_frac_bits: int,
    dst: FixedType | str,
    *,
    negative: ArrayLike | None = None,
    pre_round_bit_w: ArrayLike | None = None,
) -> np.ndarray:
    """Assign exact values ``raw * 2**-src_frac_bits`` to ``dst``: its quantization, then its overflow mode.

    This is the algorithm shared by ``ap_fixed_base(double)`` and fixed-to-fixed assignment in the headers, on
    raw integers of any size. It never goes through float and never wraps silently.

    Parameters
    ----------
    raw : array_like of int
        The source integers ``M`` (any integer dtype, or object arrays of Python ints for wide values).
    src_frac_bits : int
        ``F2``: the source value is ``M * 2**-F2`` (may be negative).
    dst : FixedType or str
        The destination type; its Q, O and N apply (ap_int semantics are in :func:`cast`, not here).
    negative : array_like of bool, optional
        The sign of the source, used by TRN_ZERO, the round-to-nearest tie rules and AP_WRAP with N > 0;
        defaults to ``raw < 0``. The headers take it from the source (a double's sign bit), not from the
        rounded value.
    pre_round_bit_w : array_like of bool, optional
        Bit W of floor(t), for AP_WRAP_SM with N = 0, when the caller has already reduced ``raw``; computed
        from ``raw`` by default.

    Returns
    -------
    numpy.ndarray
        Raw codes of ``dst`` (``dst.dtype``), shaped like ``raw``.

    Examples
    --------
    >>> t = FixedType.parse("ap_fixed<8,6,AP_RND>")
    >>> requantize([23, -23], 3, t).tolist()  # 2.875 -> 3.0 and -2.875 -> -2.75: ties go up
    [12, -11]
    >>> requantize([300], 0, "ap_fixed<8,8,AP_TRN,AP_SAT>").tolist()
    [127]
    """
    dst = FixedType.parse(dst)
    src_frac_bits = _check_int("src_frac_bits", src_frac_bits)
    m = _as_raw(raw, "raw")
    shape = m.shape
    m = m.reshape(-1)
    if negative is None:
        neg = np.asarray(m < 0, dtype=bool)
    else:
        neg = np.broadcast_to(np.asarray(negative, dtype=bool), shape).reshape(-1)
    lsb_w = None
    if pre_round_bit_w is not None:
        lsb_w = np.broadcast_to(np.asarray(pre_round_bit_w, dtype=bool), shape).reshape(-1)
    s = src_frac_bits - dst.frac_bits
    if m.dtype == np.int64 and dst.width <= 63:
        return _finish(_requantize_int64(m, s, dst, neg, lsb_w), dst, shape)
    if m.dtype == object and lsb_w is None:
        narrowed = _narrow_object(m, s, dst, neg)
        if narrowed is not None:
            return _finish(narrowed, dst, shape)
    return _finish(_requantize_object(m.astype(object), s, dst, neg, lsb_w), dst, shape)


# -- fixed -> fixed (assignment)
# ----------------------------------------------------------------------------------------
def _check_in_range(m: np.ndarray, src: FixedType) -> None:
    if m.size == 0:
        return
    lo, hi = int(m.min()), int(m.max())
    if lo < src.min_raw or hi > src.max_raw:
        bad = lo if lo < src.min_raw else hi
        raise InvalidArgument(
            f"raw value {bad!r} is outside {src} (raw codes {src.min_raw} to {src.max_raw})"
        )


def _to_ap_int_base(m: np.ndarray, src: FixedType) -> np.ndarray:
    """``ap_fixed_base::to_ap_int_base()``: the integer part, truncated toward zero, in max(I, 1) bits."""
    w, i, f = src.width, src.int_bits, src.frac_bits
    neg = m < 0
    if src.signed and i < w:
        # "++ret" when a negative value has fraction bits: truncation toward zero instead of floor.
        carry = neg & ((m & ((1 << (f if i >= 0 else w)) - 1)) != 0)
    else:
        carry = np.zeros(m.shape, dtype=bool)
    if i > w:
        base = m << (i - w)
    elif i > 0:
        base = (m >> f) + carry.astype(np.int64).astype(m.dtype)
    else:
        # The buffer has one bit: I == 0 gives 0, and the carry makes it -1 (1 in a signed 1-bit word). For I
        # < 0 the headers read an uninitialised value; it is taken as 0 here.
        base = np.where(carry, -1, 0).astype(m.dtype)
    return base


def cast(raw: ArrayLike, src: FixedType | str, dst: FixedType | str) -> np.ndarray:
    """Raw codes of ``dst x = value;`` where ``value`` holds the raw codes ``raw`` of type ``src``.

    The value is exact; only ``dst``'s modes count (the source's Q/O are irrelevant to an assignment). An
    ``ap_int`` destination takes the integer part truncated toward zero (``to_ap_int_base()``), then wraps,
    like the headers.

    Raises
    ------
    InvalidArgument
        If a raw code does not fit ``src``.

    Examples
    --------
    >>> cast([-128, 127], "ap_fixed<8,8>", "ap_fixed<8,8,AP_TRN,AP_SAT_SYM>").tolist()
    [-127, 127]
    >>> cast([-120], "ap_fixed<8,4>", "ap_int<8>").tolist()  # -7.5 -> -7
    [-7]
    """
    src = FixedType.parse(src)
    dst = FixedType.parse(dst)
    m = _as_raw(raw, "raw")
    _check_in_range(m, src)
    if dst.is_int and not src.is_int:
        if m.dtype == object or max(src.int_bits, 1) > 63:
            m = m.astype(object)
        base = _to_ap_int_base(m, src)
        return requantize(base, 0, dst)
    return requantize(m, src.frac_bits, dst)


# -- double -> fixed
# ----------------------------------------------------------------------------------------------------
def _decode_double(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Write every double exactly as ``M * 2**-F2`` the way the headers read it.

    NaN and inf have exponent 1024 (so they are +-(1.m) * 2**1024), subnormals keep the implicit 1 (the
    header's misdecoding), and +-0 give M = 0.
    """
    bits = np.ascontiguousarray(x, dtype=np.float64).view(np.int64)
    neg = bits < 0
    rawexp = (bits >> 52) & 0x7FF
    man = (bits & ((1 << 52) - 1)) | (1 << 52)
    m = np.where(neg, -man, man)
    m = np.where((bits & _INT64_MAX) == 0, 0, m)
    return m, 1075 - rawexp, neg


def _fixed_from_double_exact(x: np.ndarray, dst: FixedType) -> np.ndarray:
    m, f2, neg = _decode_double(x)
    s = f2 - dst.frac_bits
    if dst.width <= 63:
        # The int64 kernel takes one shift at a time; doubles share few exponents.
        out = np.empty(m.shape, dtype=np.int64)
        for shift in np.unique(s):
            sel = s == shift
            out[sel] = _requantize_int64(m[sel], int(shift), dst, neg[sel], None)
        return out
    return _requantize_object(m.astype(object), s, dst, neg, None)


def _scale(x: np.ndarray, f: int) -> np.ndarray:
    """``x * 2**f``, exact unless it overflows or falls below 2**-1022 (the caller handles both)."""
    # overflow to inf is expected and handled as `special`; a signalling NaN (any random bit pattern may be
    # one) raises FE_INVALID in the multiply although the result is the NaN that `special` handles
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        if -1022 <= f <= 1023:
            return x * (2.0**f)  # a multiplication by a normal power of two is ldexp, and 10x faster
        return np.ldexp(x, f)


def _float_to_int64_mod(v: np.ndarray, width: int) -> np.ndarray:
    """Integer-valued doubles as int64, exact modulo 2**(W+1) (enough for the low W bits and bit W)."""
    big = np.abs(v) >= 2.0**62
    if not big.any():
        return v.astype(np.int64)
    r = np.fmod(v, 2.0 ** min(width + 1, 64))  # fmod is exact; only the rare huge elements pay for it
    r = np.where(r >= 2.0**63, r - 2.0**64, np.where(r < -(2.0**63), r + 2.0**64, r))
    return np.where(big, r, v).astype(np.int64)


def _fixed_from_double_fast(x: np.ndarray, dst: FixedType) -> np.ndarray:
    """float64 arithmetic that is exact for ``W <= 63`` and ``-937 <= I <= 971`` (see :func:`from_float`).

    ``t = x * 2**F`` is exact, ``floor(t)`` and ``t - floor(t)`` are exact, and ``floor(t) + 1`` is exact
    whenever a fraction exists (|t| < 2**52). Overflowing t, inf and NaN are multiples of 2**(W+1) there: they
    wrap to 0 and overflow by their sign bit.
    """
    w, f = dst.width, dst.frac_bits
    neg = np.signbit(x)
    t = _scale(x, f)
    # Rare elements are patched through index arrays: np.where over a whole array costs ~8 ns per element.
    special = np.flatnonzero(~np.isfinite(t))
    if f < 0:
        # The scaling may round a result below 2**-1022; such a t only matters as "0 < |t| < 1/2".
        tiny = np.flatnonzero((np.abs(x) < 2.0 ** (-1022 - f)) & (x != 0))
        t[tiny] = np.where(neg[tiny], -0.25, 0.25)
    t[special] = 0.0
    mode = dst.overflow
    if dst.quantization is Quantization.RND and mode in (Overflow.SAT, Overflow.SAT_SYM) and w <= 52:
        # The common case, in place: floor(t + 1/2) is exact below 2**52, and beyond it both it and the true
        # result clamp to the same bound.
        q = np.floor(np.add(t, 0.5, out=t), out=t)
        q[special] = np.where(neg[special], -np.inf, np.inf)
        sym = mode is Overflow.SAT_SYM and dst.signed and w > 1
        return np.clip(q, float(dst.min_raw + sym), float(dst.max_raw), out=q).astype(np.int64)
    quant = dst.quantization
    if quant is Quantization.TRN and mode is Overflow.WRAP and dst.sat_bits == 0 and w <= 63:
        # The default ap_fixed<W,I>: floor, then the low W bits, all in place.
        fl = np.floor(t, out=t)
        if -(2.0**62) < fl.min(initial=0.0) and fl.max(initial=0.0) < 2.0**62:
            q_i = fl.astype(np.int64)
        else:
            q_i = _float_to_int64_mod(fl, w)
        np.bitwise_and(q_i, (1 << w) - 1, out=q_i)
        if dst.signed:
            np.left_shift(q_i, 64 - w, out=q_i)
            np.right_shift(q_i, 64 - w, out=q_i)
        return q_i
    fl = np.floor(t)
    inc: np.ndarray | None = None
    if quant is Quantization.RND:
        inc = (t - fl) >= 0.5
    elif quant is not Quantization.TRN:
        frac = t - fl
        qb = frac >= 0.5
        r = (frac != 0.0) & (frac != 0.5)
        # Doubles of 2**53 and beyond are even, so the clamp keeps the parity of every value that matters.
        inc = _increment(
            quant, lambda: (np.clip(fl, -(2.0**62), 2.0**62).astype(np.int64) & 1) != 0, qb, r, neg
        )
    q = fl if inc is None else fl + inc
    lo, hi = float(dst.min_raw), float(dst.max_raw + 1)  # powers of two (or 0): exact
    if w <= 53 and mode in (Overflow.SAT, Overflow.SAT_SYM, Overflow.SAT_ZERO):
        # Bounds are exact doubles here: clamp in float and skip the wrap arithmetic.
        if mode is Overflow.SAT_ZERO:
            q[special] = np.inf
            q[(q < lo) | (q >= hi)] = 0.0
            return q.astype(np.int64)
        q[special] = np.where(neg[special], -np.inf, np.inf)
        if mode is Overflow.SAT_SYM and dst.signed and w > 1:
            lo += 1.0
        return np.clip(q, lo, hi - 1.0, out=q).astype(np.int64)
    if _needs_range(dst) or w > 63:
        under = q < lo
        over = q >= hi
        if special.size:
            under[special] = neg[special]
            over[special] = ~neg[special]
    else:
        under = over = None  # plain AP_WRAP: only the low W bits matter
    if w > 63:
        assert under is not None and over is not None
        return _wide_from_rounded(q, inc, under, over, neg, dst)
    q_i = _float_to_int64_mod(q, w)
    lsb_w = None
    if _needs_lsb_w(dst):
        fl_i = q_i if inc is None else q_i - inc
        lsb_w = ((fl_i >> w) & 1) != 0
    return _overflow(q_i & ((1 << w) - 1), under, over, neg, lsb_w, dst)


def _wide_from_rounded(
    q: np.ndarray,
    inc: np.ndarray | None,
    under: np.ndarray,
    over: np.ndarray,
    neg: np.ndarray,
    dst: FixedType,
) -> np.ndarray:
    """Finish the float fast path for W > 63: q is exact (integer-valued doubles); only converting it is wide.

    Values below 2**62 in magnitude are in range for W >= 64 and go through int64; the rest (out of range or
    huge) get exact Python ints from their mantissa and exponent and the shared overflow stage.
    """
    w = dst.width
    small = np.abs(q) < 2.0**62
    out = np.where(small, q, 0.0).astype(np.int64).astype(object)
    sel = np.flatnonzero(under | over | ~small)
    if sel.size:
        mantissa, exponent = np.frexp(q[sel])
        m = np.ldexp(mantissa, 53).astype(np.int64)  # |m| < 2**53, exact
        shift = exponent - 53
        left = shift >= 0
        exact = np.empty(sel.size, dtype=object)
        exact[left] = m[left].astype(object) << shift[left].astype(object)
        # q is an integer: no bits lost
        exact[~left] = (m[~left] >> np.minimum(-shift[~left], 63)).astype(object)
        lsb_w = None
        if _needs_lsb_w(dst):
            fl = exact if inc is None else exact - inc[sel].astype(np.int64).astype(object)
            lsb_w = ((fl >> w) & 1) != 0
        out[sel] = _overflow(exact & ((1 << w) - 1), under[sel], over[sel], neg[sel], lsb_w, dst)
    return out


def _int_from_double(x: np.ndarray, dst: FixedType) -> np.ndarray:
    """``ap_int_base(double)``: truncate the magnitude, negate, wrap; -0.5 < x < 0 gives +1 (header bug)."""
    w = dst.width
    mask = (1 << w) - 1
    if w <= 63:
        # trunc keeps the sign, so this is -trunc(|x|) for negative x, as the header's negation gives; values
        # past 2**62 (rare) are reduced exactly first, inf and NaN (shift -972 <= -W) give 0.
        with np.errstate(invalid="ignore"):  # a signalling NaN raises FE_INVALID; it is handled as NaN below
            v = np.trunc(x)
        odd = np.flatnonzero(~(np.abs(v) < 2.0**62))
        if odd.size:
            big = v[odd]
            v[odd] = np.where(np.isfinite(big), np.fmod(np.where(np.isfinite(big), big, 0.0), 2.0**w), 0.0)
        low = v.astype(np.int64) & mask
        # The header shifts the magnitude to -1 (not 0) when -0.5 < x < 0, then negates it: +1.
        low[np.flatnonzero((x < 0) & (x > -0.5))] = 1
        return _to_signed(low, w) if dst.signed else low
    m, sh, neg = _decode_double(x)  # the header's shift amount DOUBLE_MAN - exp is exactly F2
    man = np.abs(m)
    v = np.where(sh >= 0, man >> np.clip(sh, 0, 63), 0).astype(object)
    left = (sh < 0) & (-sh < w)
    v[left] = man[left].astype(object) << (-sh[left]).astype(object)
    v = np.where(neg & (sh >= 54) & (man != 0), -1, v)
    low = np.where(neg, -v, v) & mask
    return _to_signed(low, w) if dst.signed else low


def _fast_ok(dst: FixedType) -> bool:
    # I <= 971: inf, NaN and t >= 2**1024 are multiples of 2**(W+1) (they wrap to 0); F <= 1000: subnormals
    # and their misdecoded value agree on floor and fraction; W <= 512 keeps the bounds exact doubles.
    return dst.width <= 512 and dst.frac_bits <= 1000 and dst.int_bits <= 971


def from_float(x: ArrayLike, dst: FixedType | str, *, exact_decode: bool = False) -> np.ndarray:
    """Raw codes of ``dst(double)`` for every element of ``x``, exactly as the headers compute them.

    The double's exact binary value is rounded once by ``dst``'s quantization mode and folded by its overflow
    mode. Special inputs follow the headers: -0.0 -> 0; +-inf is +-2**1024 (saturates, or wraps to 0); NaN is
    read by its sign bit as +-(1.m) * 2**1024 (so ``np.nan`` saturates to the maximum); huge values wrap
    exactly modulo 2**W; subnormals are misdecoded as (1.m) * 2**-1023. ``ap_int``/``ap_uint`` use
    ``ap_int_base(double)``: truncation toward zero, and a negative value with |x| < 0.5 gives +1 (a header
    bug, reproduced).

    Parameters
    ----------
    x : array_like of float
        Values; float32 and integers are converted to double first (exactly, or InvalidArgument).
    dst : FixedType or str
        The destination type.
    exact_decode : bool
        Force the integer decoding of the double bits instead of the float64 fast path (same result; for
        tests).

    Returns
    -------
    numpy.ndarray
        Raw codes (``dst.dtype``) shaped like ``x``.

    Examples
    --------
    >>> from_float([2.7, -2.7, float("nan"), float("-inf")], "ap_fixed<8,4,AP_RND,AP_SAT>").tolist()
    [43, -43, 127, -128]
    >>> from_float([-8.0], "ap_ufixed<4,4,AP_TRN,AP_WRAP,2>").tolist()
    [12]
    >>> from_float([-0.3, -2.7, 300.7], "ap_int<8>").tolist()
    [1, -2, 44]
    """
    dst = FixedType.parse(dst)
    xf = _as_double(x)
    shape = xf.shape
    xf = np.ascontiguousarray(xf).reshape(-1)
    if dst.is_int:
        out = _int_from_double(xf, dst)
    elif _fast_ok(dst) and not exact_decode:
        out = _fixed_from_double_fast(xf, dst)
    else:
        out = _fixed_from_double_exact(xf, dst)
    return _finish(out, dst, shape)


# -- fixed -> double
# ----------------------------------------------------------------------------------------------------
def _to_double_scalar(v: int, width: int, int_bits: int) -> float:
    """``to_double()`` bit for bit, including its unchecked exponent field outside the normal range."""
    import struct

    if v == 0:
        return 0.0
    sign = v < 0
    mag = -v if sign else v
    nbits = mag.bit_length()
    e = int_bits - (width - nbits) - 1 + 1023
    lsb = nbits - 1 - 52  # index of the last kept bit
    if lsb >= 1:
        sticky = 1 if lsb >= 2 and mag & ((1 << (lsb - 1)) - 1) else 0
        a = sticky | ((mag >> lsb) & 1)
        mm = mag >> (lsb - 1)
    else:
        a = (mag >> lsb) & 1 if lsb >= 0 else 0
        mm = mag << (1 - lsb)
    mm = (mm + a) >> 1
    if (mm >> 53) & 1:
        e += 1
    mm &= (1 << 64) - 1
    mm = (mm & ~(1 << 63)) | (int(sign) << 63)
    mm = (mm & ~(0x7FF << 52)) | ((e & 0x7FF) << 52)
    return float(struct.unpack("<d", struct.pack("<Q", mm))[0])


def to_float(raw: ArrayLike, src: FixedType | str) -> np.ndarray:
    """Values of raw codes as float64, like ``to_double()``: exact up to 53 significant bits, else half-even.

    Returns
    -------
    numpy.ndarray
        float64 array shaped like ``raw``.

    Examples
    --------
    >>> to_float([1536, -1], "ap_fixed<16,6>").tolist()
    [1.5, -0.0009765625]
    >>> to_float([2**53 + 1], "ap_fixed<64,64>").tolist() == [2.0**53]
    True
    """
    src = FixedType.parse(src)
    m = _as_raw(raw, "raw")
    f = src.frac_bits
    if f <= 1022 and src.int_bits <= 1023:
        # int -> double rounds half to even (C and Python alike); the power-of-two scaling is then exact.
        return np.ldexp(m.astype(np.float64), -f)
    conv = np.frompyfunc(lambda v: _to_double_scalar(int(v), src.width, src.int_bits), 1, 1)
    return np.asarray(conv(m), dtype=np.float64).reshape(m.shape)
