"""Exact fixed-point arithmetic: the headers' full-precision result types and raw operations on them.

In the headers an operator never rounds: ``a*b``, ``a+b``, ``a-b``, ``a/b`` and ``-a`` produce a wider type
(``ap_fixed_base::RType``, with the default modes TRN/WRAP) that holds the exact result, and only the
assignment to a destination applies that destination's Q/O. So these functions return exact raw integers plus
the result type; round them with :func:`fwparity.fixed.cast`. Shifts are the exception: they keep the
operand's type and wrap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidArgument
from ._quantize import _as_raw, _to_signed
from ._type import FixedType, Overflow

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = [
    "mul_type",
    "add_type",
    "sub_type",
    "div_type",
    "neg_type",
    "c_int_type",
    "add",
    "sub",
    "mul",
    "div",
    "neg",
    "shl",
    "shr",
    "lt",
    "le",
    "gt",
    "ge",
    "eq",
    "ne",
]


def _result(width: int, int_bits: int, signed: bool, is_int: bool) -> FixedType:
    return FixedType(width, int_bits, signed=signed, is_int=is_int)


def _both_int(a: FixedType, b: FixedType) -> bool:
    # ap_int op ap_int stays ap_int; an ap_int meeting an ap_fixed becomes ap_fixed<W,W> first.
    return a.is_int and b.is_int


def _add_int_bits(a: FixedType, b: FixedType) -> int:
    # An unsigned operand needs one more integer bit to sit beside a signed one.
    return max(a.int_bits + (b.signed and not a.signed), b.int_bits + (a.signed and not b.signed)) + 1


def mul_type(a: FixedType | str, b: FixedType | str) -> FixedType:
    """Type of ``a*b``: ``W1+W2`` bits, ``I1+I2`` integer bits, signed if either is.

    >>> str(mul_type("ap_fixed<16,6>", "ap_ufixed<8,2>"))
    'ap_fixed<24,8>'
    """
    a, b = FixedType.parse(a), FixedType.parse(b)
    return _result(a.width + b.width, a.int_bits + b.int_bits, a.signed or b.signed, _both_int(a, b))


def add_type(a: FixedType | str, b: FixedType | str) -> FixedType:
    """Type of ``a+b``: one more integer bit than the larger operand, the finer LSB of the two.

    >>> str(add_type("ap_fixed<8,4>", "ap_ufixed<8,4>"))
    'ap_fixed<10,6>'
    """
    a, b = FixedType.parse(a), FixedType.parse(b)
    i = _add_int_bits(a, b)
    return _result(i + max(a.frac_bits, b.frac_bits), i, a.signed or b.signed, _both_int(a, b))


def sub_type(a: FixedType | str, b: FixedType | str) -> FixedType:
    """Type of ``a-b``: the widths of ``a+b``, always signed.

    >>> str(sub_type("ap_ufixed<8,4>", "ap_ufixed<8,4>"))
    'ap_fixed<9,5>'
    """
    a, b = FixedType.parse(a), FixedType.parse(b)
    i = _add_int_bits(a, b)
    return _result(i + max(a.frac_bits, b.frac_bits), i, True, _both_int(a, b))


def div_type(a: FixedType | str, b: FixedType | str) -> FixedType:
    """Type of ``a/b``: ``W = S2+W1+max(F2,0)``, ``I = S2+I1+F2`` (so ``F = F1`` when ``F2 >= 0``).

    >>> str(div_type("ap_fixed<8,4>", "ap_fixed<8,4>"))
    'ap_fixed<13,9>'
    """
    a, b = FixedType.parse(a), FixedType.parse(b)
    s2 = int(b.signed)
    return _result(
        s2 + a.width + max(b.frac_bits, 0),
        s2 + a.int_bits + b.frac_bits,
        a.signed or b.signed,
        _both_int(a, b),
    )


def neg_type(a: FixedType | str) -> FixedType:
    """Type of ``-a``: one more bit, signed, so ``-min`` is representable.

    ``ap_int`` negation is ``ap_int_base<1,false>(0) - a``, which gives ``max(W, 1+S) + 1`` bits (3 for
    ``ap_int<1>``).

    >>> str(neg_type("ap_ufixed<8,4>")), str(neg_type("ap_int<1>"))
    ('ap_fixed<9,5>', 'ap_int<3>')
    """
    a = FixedType.parse(a)
    if a.is_int:
        w = max(a.width, 1 + a.signed) + 1
        return _result(w, w, True, True)
    return _result(a.width + 1, a.int_bits + 1, True, False)


#: C integer types in the headers' operator overloads (LP64: long is 64 bits; char is signed on x86).
_C_INTS = {
    "bool": (1, False),
    "char": (8, True),
    "signed char": (8, True),
    "unsigned char": (8, False),
    "short": (16, True),
    "unsigned short": (16, False),
    "int": (32, True),
    "unsigned int": (32, False),
    "unsigned": (32, False),
    "long": (64, True),
    "unsigned long": (64, False),
    "long long": (64, True),
    "unsigned long long": (64, False),
}


def c_int_type(ctype: str = "int") -> FixedType:
    """The type a C integer operand takes in ``ap_fixed`` arithmetic: ``int`` becomes ``ap_fixed<32,32>``.

    So ``ap_fixed<8,4> * 3`` has type ``mul_type(ap_fixed(8, 4), c_int_type())`` = ``ap_fixed<40,36>``.

    Raises
    ------
    InvalidArgument
        If ``ctype`` is not a C integer type name.

    >>> str(c_int_type()), str(c_int_type("unsigned char"))
    ('ap_fixed<32,32>', 'ap_ufixed<8,8>')
    """
    try:
        width, signed = _C_INTS[" ".join(ctype.split())]
    except (KeyError, AttributeError):
        raise InvalidArgument(f"ctype={ctype!r} is not one of {', '.join(_C_INTS)}") from None
    return FixedType(width, width, signed=signed)


# -- raw operations
# -----------------------------------------------------------------------------------------------------
def _operands(a_raw: ArrayLike, b_raw: ArrayLike, wide: bool) -> tuple[np.ndarray, np.ndarray]:
    a = _as_raw(a_raw, "a_raw")
    b = _as_raw(b_raw, "b_raw")
    if wide or a.dtype == object or b.dtype == object:
        a, b = a.astype(object), b.astype(object)
    return np.broadcast_arrays(a, b)  # type: ignore[return-value]


def _out(value: Any, t: FixedType) -> np.ndarray:
    return np.asarray(value).astype(t.dtype, copy=False)


def _aligned(
    a_raw: ArrayLike, a_t: FixedType, b_raw: ArrayLike, b_t: FixedType
) -> tuple[np.ndarray, np.ndarray]:
    """Both operands on the finer LSB, in int64 when that provably fits, else exact Python ints."""
    f = max(a_t.frac_bits, b_t.frac_bits)
    da, db = f - a_t.frac_bits, f - b_t.frac_bits
    bits = max(a_t.width + da, b_t.width + db) + 1
    a, b = _operands(a_raw, b_raw, bits > 63)
    return (a << da if da else a), (b << db if db else b)


def add(
    a_raw: ArrayLike, a_t: FixedType | str, b_raw: ArrayLike, b_t: FixedType | str
) -> tuple[np.ndarray, FixedType]:
    """Exact ``a+b``: raw codes of the sum on :func:`add_type`.

    >>> add([16], "ap_fixed<8,4>", [3], "ap_fixed<12,2>")  # 1.0 + 3/1024
    (array([1027]), ap_fixed(15, 5))
    """
    a_t, b_t = FixedType.parse(a_t), FixedType.parse(b_t)
    t = add_type(a_t, b_t)
    a, b = _aligned(a_raw, a_t, b_raw, b_t)
    return _out(a + b, t), t


def sub(
    a_raw: ArrayLike, a_t: FixedType | str, b_raw: ArrayLike, b_t: FixedType | str
) -> tuple[np.ndarray, FixedType]:
    """Exact ``a-b`` on :func:`sub_type` (always signed).

    >>> sub([0], "ap_ufixed<8,4>", [255], "ap_ufixed<8,4>")
    (array([-255]), ap_fixed(9, 5))
    """
    a_t, b_t = FixedType.parse(a_t), FixedType.parse(b_t)
    t = sub_type(a_t, b_t)
    a, b = _aligned(a_raw, a_t, b_raw, b_t)
    return _out(a - b, t), t


def mul(
    a_raw: ArrayLike, a_t: FixedType | str, b_raw: ArrayLike, b_t: FixedType | str
) -> tuple[np.ndarray, FixedType]:
    """Exact ``a*b`` on :func:`mul_type`: the raw product; int64 while ``W1+W2 <= 63``.

    >>> mul([-1507367806], "ap_fixed<32,4>", [-1717300311], "ap_fixed<32,4>")
    (array([2588603202035187666], dtype=object), ap_fixed(64, 8))
    """
    a_t, b_t = FixedType.parse(a_t), FixedType.parse(b_t)
    t = mul_type(a_t, b_t)
    a, b = _operands(a_raw, b_raw, t.width > 63)
    return _out(a * b, t), t


def _trunc_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Quotient rounded toward zero (C and ``ap_private::sdiv``), exact for int64 and Python ints."""
    q = np.abs(a) // np.abs(b)
    return np.where((a < 0) != (b < 0), -q, q)


def div(
    a_raw: ArrayLike, a_t: FixedType | str, b_raw: ArrayLike, b_t: FixedType | str
) -> tuple[np.ndarray, FixedType]:
    """``a/b`` on :func:`div_type`: ``(a << max(F2,0)) / b`` truncated toward zero, as the headers compute it.

    Raises
    ------
    InvalidArgument
        If a divisor is zero (the headers' behaviour is undefined).

    >>> div([-120], "ap_fixed<8,4>", [32], "ap_fixed<8,4>")  # -7.5 / 2.0
    (array([-60]), ap_fixed(13, 9))
    """
    a_t, b_t = FixedType.parse(a_t), FixedType.parse(b_t)
    t = div_type(a_t, b_t)
    shift = max(b_t.frac_bits, 0)
    a, b = _operands(a_raw, b_raw, max(t.width, a_t.width + shift + 1, b_t.width + 1) > 63)
    if np.any(b == 0):
        raise InvalidArgument(f"b_raw contains 0: division by zero in {a_t} / {b_t}")
    return _out(_trunc_div(a << shift if shift else a, b), t), t


def neg(a_raw: ArrayLike, a_t: FixedType | str) -> tuple[np.ndarray, FixedType]:
    """Exact ``-a`` on :func:`neg_type` (``-min`` does not wrap).

    >>> neg([-128], "ap_fixed<8,4>")
    (array([128]), ap_fixed(9, 5))
    """
    a_t = FixedType.parse(a_t)
    t = neg_type(a_t)
    a = _as_raw(a_raw, "a_raw")
    if t.width > 63:
        a = a.astype(object)
    return _out(-a, t), t


def _shift(raw: ArrayLike, t: FixedType, n: int) -> np.ndarray:
    """Shift left by ``n`` (right when negative) within ``t``'s W bits: left wraps, right floors."""
    a = _as_raw(raw, "raw")
    w = t.width
    if t.width > 63:
        a = a.astype(object)
    if n < 0:
        k = -n
        out = a >> (min(k, 63) if a.dtype != object else k)
    elif n >= w:
        out = np.zeros_like(a)
    else:
        low = (a & ((1 << (w - n)) - 1)) << n  # only the bits that survive: never overflows int64
        out = _to_signed(low, w) if t.signed else low
    return _out(out, t)


def _check_shift(n: object) -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise InvalidArgument(f"n={n!r} must be an int")
    return int(n)


def shl(raw: ArrayLike, t: FixedType | str, n: int) -> np.ndarray:
    """``a << n``: same type, raw shift, wraps even under AP_SAT (a negative ``n`` shifts right).

    >>> shl([20 * 1024], "ap_fixed<16,6,AP_RND,AP_SAT>", 1).tolist()  # 20.0 << 1 = -24.0
    [-24576]
    """
    return _shift(raw, FixedType.parse(t), _check_shift(n))


def shr(raw: ArrayLike, t: FixedType | str, n: int) -> np.ndarray:
    """``a >> n``: same type, raw arithmetic shift, floors even under AP_RND (a negative ``n`` shifts left).

    >>> shr([-3], "ap_fixed<16,6,AP_RND,AP_SAT>", 1).tolist()
    [-2]
    """
    return _shift(raw, FixedType.parse(t), -_check_shift(n))


def _c_operands(a_t: FixedType, b_t: FixedType) -> tuple[int, int, int, int]:
    """Shifts and widths of the two ap_private words ``OP_CMP_AF`` compares (the coarser LSB is aligned)."""
    f1, f2 = a_t.frac_bits, b_t.frac_bits
    if f1 > f2:  # op2 becomes ap_fixed_base<W2 + F - F2, I2> (with op2's own modes)
        return 0, a_t.width, f1 - f2, max(b_t.width + f1 - f2, 1)
    if f1 < f2:  # *this becomes ap_fixed_base<W + F2 - F + 1, I + 1>
        return f2 - f1, max(a_t.width + f2 - f1 + 1, 1), 0, b_t.width
    return 0, a_t.width, 0, b_t.width


def _compare(
    name: str,
    a_raw: ArrayLike,
    a_t: FixedType | str,
    b_raw: ArrayLike,
    b_t: FixedType | str,
    exact: bool,
) -> np.ndarray:
    a_t, b_t = FixedType.parse(a_t), FixedType.parse(b_t)
    shift_a, wa, shift_b, wb = _c_operands(a_t, b_t)
    a, b = _operands(a_raw, b_raw, max(wa, wb) + 1 > 63)
    a = a << shift_a if shift_a else a
    b = b << shift_b if shift_b else b
    exact_ops = {
        "lt": np.less,
        "le": np.less_equal,
        "gt": np.greater,
        "ge": np.greater_equal,
        "eq": np.equal,
        "ne": np.not_equal,
    }
    if exact:
        return np.asarray(exact_ops[name](a, b), dtype=bool)
    if shift_b and b_t.overflow is Overflow.SAT_SYM and b_t.signed and wb > 1:
        # Aligning op2 is a conversion with op2's modes, and AP_SAT_SYM moves an in-range minimum up one LSB.
        b = np.where(b == -(1 << (wb - 1)), b + 1, b)
    if name in ("eq", "ne"):
        # ap_private ==: each word extended by its own signedness, then compared as unsigned. One-word values
        # are held sign-extended to 64 bits, so they are equal modulo 2**64 (ap_fixed<40,40> -1 is not
        # ap_uint<40> 2**40-1); wider ones modulo 2**max(W, W2). Checked against g++.
        bits = max(wa, wb, 64)
        a_mod, b_mod = (a, b) if bits == 64 and a.dtype != object else _mod2(a, b, bits)
        same = np.asarray(a_mod == b_mod, dtype=bool)
        return same if name == "eq" else ~same
    # ap_private < and >: a signed/unsigned pair is compared as unsigned (like C) unless both words are
    # narrower than 32 bits or the signed one is the wider.
    unsigned = a_t.signed != b_t.signed and not (wa < 32 and wb < 32)
    unsigned = unsigned and (wb >= wa if a_t.signed else wa >= wb)
    if unsigned:
        a, b = _mod2(a, b, max(wa, wb) + 1)
    if name in ("lt", "ge"):
        less = np.asarray(np.less(a, b), dtype=bool)
        return less if name == "lt" else ~less
    greater = np.asarray(np.greater(a, b), dtype=bool)
    return greater if name == "gt" else ~greater


def _mod2(a: np.ndarray, b: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Both words reduced modulo 2**bits (their unsigned reading), exactly."""
    if bits > 62:
        a, b = a.astype(object), b.astype(object)
    mask = (1 << bits) - 1
    return a & mask, b & mask


def lt(
    a_raw: ArrayLike, a_t: FixedType | str, b_raw: ArrayLike, b_t: FixedType | str, *, exact: bool = False
) -> np.ndarray:
    """``a < b`` between two fixed-point values (the LSBs are aligned first).

    By default this is what C++ computes for ``a < b`` (likewise for the other comparisons): exact, except in
    two corners of the headers that ``exact=True`` leaves out. A signed and an unsigned operand are compared
    as unsigned (like C) when the two words, after aligning the LSBs, are not both narrower than 32 bits and
    the unsigned one is at least as wide; and aligning an ``AP_SAT_SYM`` right operand to a finer LSB moves
    its most negative code up one LSB.

    >>> lt([1], "ap_fixed<8,4>", [1], "ap_fixed<8,2>").tolist()  # 1/16 < 1/64 is False
    [False]
    >>> lt([-1], "ap_fixed<40,40>", [1], "ap_uint<40>").tolist()  # C++ compares these as unsigned
    [False]
    >>> lt([-1], "ap_fixed<40,40>", [1], "ap_uint<40>", exact=True).tolist()
    [True]
    """
    return _compare("lt", a_raw, a_t, b_raw, b_t, exact)


def le(
    a_raw: ArrayLike, a_t: FixedType | str, b_raw: ArrayLike, b_t: FixedType | str, *, exact: bool = False
) -> np.ndarray:
    """``a <= b``, see :func:`lt`."""
    return _compare("le", a_raw, a_t, b_raw, b_t, exact)


def gt(
    a_raw: ArrayLike, a_t: FixedType | str, b_raw: ArrayLike, b_t: FixedType | str, *, exact: bool = False
) -> np.ndarray:
    """``a > b``, see :func:`lt`."""
    return _compare("gt", a_raw, a_t, b_raw, b_t, exact)


def ge(
    a_raw: ArrayLike, a_t: FixedType | str, b_raw: ArrayLike, b_t: FixedType | str, *, exact: bool = False
) -> np.ndarray:
    """``a >= b``, see :func:`lt`."""
    return _compare("ge", a_raw, a_t, b_raw, b_t, exact)


def eq(
    a_raw: ArrayLike, a_t: FixedType | str, b_raw: ArrayLike, b_t: FixedType | str, *, exact: bool = False
) -> np.ndarray:
    """``a == b`` on values, not bits: ``ap_fixed<8,4>`` 16 equals ``ap_fixed<8,2>`` 64; see :func:`lt`.

    >>> eq([16], "ap_fixed<8,4>", [64], "ap_fixed<8,2>").tolist()
    [True]
    """
    return _compare("eq", a_raw, a_t, b_raw, b_t, exact)


def ne(
    a_raw: ArrayLike, a_t: FixedType | str, b_raw: ArrayLike, b_t: FixedType | str, *, exact: bool = False
) -> np.ndarray:
    """``a != b``, see :func:`lt`."""
    return _compare("ne", a_raw, a_t, b_raw, b_t, exact)
