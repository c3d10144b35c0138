"""FixedArray: raw integers plus their format, with exact, full-precision arithmetic.

A thin convenience over the functional API (:mod:`fwparity.fixed._arith`, :mod:`fwparity.fixed._quantize`) for
interactive use and tests. It never guesses a format and never rounds implicitly: arithmetic grows the word
like the headers do, and only :meth:`FixedArray.cast` quantizes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidArgument, InvalidType
from . import _arith
from ._quantize import _as_raw, _check_in_range, cast, from_float, to_float
from ._type import FixedType, Overflow, Quantization

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["FixedArray"]

_MISSING: Any = object()


def _double_parts(x: float) -> tuple[int, int]:
    mantissa, exponent = np.frexp(x)  # x = mantissa * 2**exponent, 0.5 <= |mantissa| < 1: exact
    return int(np.ldexp(mantissa, 53)), 53 - int(exponent)


class FixedArray:
    """An array of fixed-point values: raw two's-complement integers and one :class:`FixedType`.

    ``==`` compares values exactly (``ap_fixed<8,4>`` 1.0 equals ``ap_fixed<16,8>`` 1.0) and returns a boolean
    array; :meth:`is_identical` compares bits and format, which is what every HLS or RTL check needs.
    ``+ - * /`` and unary ``-`` return the headers' full-precision result (see :class:`FixedType`); an ``int``
    operand takes the C rule (``ap_fixed<32,32>``). A finite ``float`` can be compared with (exactly, no
    rounding of either side) but not added or multiplied: ``ap_fixed op double`` does not compile in C++
    either.

    Parameters
    ----------
    raw : array_like of int
        Raw codes, each within ``fmt``'s range.
    fmt : FixedType or str
        The format. Required: ``FixedArray(3)`` is a TypeError, because a bare number has no format to guess.

    Raises
    ------
    InvalidType
        If ``fmt`` is missing or ``raw`` is not integer.
    InvalidArgument
        If a raw code does not fit ``fmt``.

    Examples
    --------
    >>> x = FixedArray([4, 5, 6], "ap_fixed<4,2>")
    >>> x
    FixedArray([4, 5, 6], ap_fixed(4, 2))
    >>> x.to_float().tolist()
    [1.0, 1.25, 1.5]
    >>> y = x * x
    >>> y, y.to_float().tolist()
    (FixedArray([16, 25, 36], ap_fixed(8, 4)), [1.0, 1.5625, 2.25])
    >>> y.cast("ap_fixed<4,2,AP_RND,AP_SAT>")
    FixedArray([4, 6, 7], ap_fixed(4, 2, quantization=Quantization.RND, overflow=Overflow.SAT))
    >>> (y == x).tolist(), y.is_identical(x)
    ([True, False, False], False)
    """

    __slots__ = ("_raw", "_fmt")
    __hash__ = None  # type: ignore[assignment]  # mutable-looking array semantics: == is elementwise

    def __init__(self, raw: ArrayLike, fmt: FixedType | str = _MISSING) -> None:
        if fmt is _MISSING:
            raise InvalidType(
                f"FixedArray({raw!r}) needs a format: FixedArray(raw, fmt) holds raw integer codes; "
                "use FixedArray.from_float(values, fmt) for real values"
            )
        fmt = FixedType.parse(fmt)
        a = _as_raw(raw, "raw")
        _check_in_range(a, fmt)
        a = np.array(a, dtype=fmt.dtype)  # a private copy, so the array cannot change under us
        a.flags.writeable = False
        self._raw = a
        self._fmt = fmt

    # -- construction and edges
    # ------------------------------------------------------------------------------------------
    @classmethod
    def from_raw(cls, raw: ArrayLike, fmt: FixedType | str) -> FixedArray:
        """The same as ``FixedArray(raw, fmt)``: raw codes, checked against the range."""
        return cls(raw, fmt)

    @classmethod
    def from_float(cls, values: ArrayLike, fmt: FixedType | str) -> FixedArray:
        """Quantize doubles exactly like ``fmt(double)`` (see :func:`fwparity.fixed.from_float`).

        >>> FixedArray.from_float([0.3, -0.3], "ap_fixed<8,3,AP_RND>")
        FixedArray([10, -10], ap_fixed(8, 3, quantization=Quantization.RND))
        """
        fmt = FixedType.parse(fmt)
        return cls._wrap(from_float(values, fmt), fmt)

    @classmethod
    def _wrap(cls, raw: np.ndarray, fmt: FixedType) -> FixedArray:
        # Internal results are in range by construction: skip the check and the copy.
        self = object.__new__(cls)
        raw = np.asarray(raw, dtype=fmt.dtype)
        raw.flags.writeable = False
        self._raw = raw
        self._fmt = fmt
        return self

    @property
    def raw(self) -> np.ndarray:
        """The raw codes (read-only; ``int64``, or ``object`` for widths above 63)."""
        return self._raw

    @property
    def fmt(self) -> FixedType:
        """The format."""
        return self._fmt

    @property
    def shape(self) -> tuple[int, ...]:
        return self._raw.shape

    @property
    def ndim(self) -> int:
        return self._raw.ndim

    @property
    def size(self) -> int:
        return int(self._raw.size)

    def __len__(self) -> int:
        return len(self._raw)

    def __getitem__(self, index: Any) -> FixedArray:
        return self._wrap(np.asarray(self._raw[index]), self._fmt)

    def to_float(self) -> np.ndarray:
        """Values as float64, like ``to_double()`` (exact up to 53 significant bits)."""
        return to_float(self._raw, self._fmt)

    def __repr__(self) -> str:
        return f"FixedArray({self._raw.tolist()!r}, {self._fmt!r})"

    # -- comparison ------------------------------------------------------------------------------------------
    # ---------------
    def is_identical(self, other: object) -> bool:
        """True when ``other`` is a FixedArray with the same format, shape and raw bits."""
        return (
            isinstance(other, FixedArray)
            and other._fmt == self._fmt
            and other._raw.shape == self._raw.shape
            and bool(np.all(other._raw == self._raw))
        )

    def _operand(self, other: object, *, floats: bool = False) -> tuple[np.ndarray, FixedType] | None:
        if isinstance(other, FixedArray):
            return other._raw, other._fmt
        if isinstance(other, (int, np.integer)) and not isinstance(other, (bool, np.bool_)):
            t = _arith.c_int_type("int")
            value = int(other)
            if not t.min_raw <= value <= t.max_raw:
                t = _arith.c_int_type("long")
                if not t.min_raw <= value <= t.max_raw:
                    raise InvalidArgument(f"other={other!r} does not fit a C long")
            return np.asarray(value, dtype=np.int64), t
        if floats and isinstance(other, (float, np.floating)) and np.isfinite(other):
            # A finite double is exactly M * 2**-F2 with a 54-bit signed M: compare against that, not a
            # rounding.
            m, f2 = _double_parts(float(other))
            return np.asarray(m, dtype=np.int64), FixedType(54, 54 - f2)
        return None

    def _cmp(self, other: object, op: Any) -> Any:
        o = self._operand(other, floats=True)
        if o is None:
            return NotImplemented
        return op(self._raw, self._fmt, o[0], o[1], exact=True)

    def __eq__(self, other: object) -> Any:  # type: ignore[override]
        return self._cmp(other, _arith.eq)

    def __ne__(self, other: object) -> Any:  # type: ignore[override]
        return self._cmp(other, _arith.ne)

    def __lt__(self, other: object) -> Any:
        return self._cmp(other, _arith.lt)

    def __le__(self, other: object) -> Any:
        return self._cmp(other, _arith.le)

    def __gt__(self, other: object) -> Any:
        return self._cmp(other, _arith.gt)

    def __ge__(self, other: object) -> Any:
        return self._cmp(other, _arith.ge)

    # -- arithmetic ------------------------------------------------------------------------------------------
    # ---------------
    def _binary(self, other: object, op: Any, reflected: bool = False) -> Any:
        o = self._operand(other)
        if o is None:
            return NotImplemented
        if reflected:
            raw, t = op(o[0], o[1], self._raw, self._fmt)
        else:
            raw, t = op(self._raw, self._fmt, o[0], o[1])
        return self._wrap(raw, t)

    def __add__(self, other: object) -> FixedArray:
        return self._binary(other, _arith.add)  # type: ignore[no-any-return]

    def __radd__(self, other: object) -> FixedArray:
        return self._binary(other, _arith.add, reflected=True)  # type: ignore[no-any-return]

    def __sub__(self, other: object) -> FixedArray:
        return self._binary(other, _arith.sub)  # type: ignore[no-any-return]

    def __rsub__(self, other: object) -> FixedArray:
        return self._binary(other, _arith.sub, reflected=True)  # type: ignore[no-any-return]

    def __mul__(self, other: object) -> FixedArray:
        return self._binary(other, _arith.mul)  # type: ignore[no-any-return]

    def __rmul__(self, other: object) -> FixedArray:
        return self._binary(other, _arith.mul, reflected=True)  # type: ignore[no-any-return]

    def __truediv__(self, other: object) -> FixedArray:
        return self._binary(other, _arith.div)  # type: ignore[no-any-return]

    def __rtruediv__(self, other: object) -> FixedArray:
        return self._binary(other, _arith.div, reflected=True)  # type: ignore[no-any-return]

    def __neg__(self) -> FixedArray:
        raw, t = _arith.neg(self._raw, self._fmt)
        return self._wrap(raw, t)

    def __lshift__(self, n: int) -> FixedArray:
        return self._wrap(_arith.shl(self._raw, self._fmt, n), self._fmt)

    def __rshift__(self, n: int) -> FixedArray:
        return self._wrap(_arith.shr(self._raw, self._fmt, n), self._fmt)

    # -- quantization
    # ------------------------------------------------------------------------------------------------------
    def cast(
        self,
        fmt: FixedType | str | None = None,
        *,
        width: int | None = None,
        int_bits: int | None = None,
        signed: bool | None = None,
        quantization: Quantization | str | None = None,
        overflow: Overflow | str | None = None,
        sat_bits: int | None = None,
    ) -> FixedArray:
        """Assign to another format, applying its quantization and overflow modes like ``T y = x;``.

        Give either ``fmt`` or keyword changes to the current format (fields not named are kept).

        Raises
        ------
        InvalidArgument
            If both ``fmt`` and keywords are given, or neither.

        Examples
        --------
        >>> x = FixedArray.from_float([1.375, -1.375], "ap_fixed<8,4>")
        >>> x.cast(width=6, int_bits=4, quantization="AP_RND_CONV")
        FixedArray([6, -6], ap_fixed(6, 4, quantization=Quantization.RND_CONV))
        """
        changes = {
            k: v
            for k, v in dict(
                width=width,
                int_bits=int_bits,
                signed=signed,
                quantization=quantization,
                overflow=overflow,
                sat_bits=sat_bits,
            ).items()
            if v is not None
        }
        if fmt is not None and changes:
            raise InvalidArgument(
                f"Give either fmt={fmt!r} or keyword changes ({', '.join(sorted(changes))}), not both"
            )
        if fmt is None and not changes:
            raise InvalidArgument("cast() needs a format or at least one keyword change")
        if fmt is not None:
            target = FixedType.parse(fmt)
        else:
            base = self._fmt.with_(is_int=False) if self._fmt.is_int else self._fmt
            target = base.with_(**changes)
        return self._wrap(cast(self._raw, self._fmt, target), target)
