"""The fixed-point type: :class:`FixedType`, its modes, and the HLS spelling parser.

A ``FixedType`` is the Python twin of ``ap_fixed<W,I,Q,O,N>`` / ``ap_ufixed`` / ``ap_int<W>`` /
``ap_uint<W>``. It is immutable and validated once, so every function that receives one can trust it; values
never live inside it (they are raw integer arrays next to it).
"""

from __future__ import annotations

import dataclasses
import enum
import operator
import re
from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidArgument, InvalidType

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["Quantization", "Overflow", "FixedType", "ap_fixed", "ap_ufixed", "ap_int", "ap_uint", "MAX_WIDTH"]

#: ``AP_INT_MAX_W``: the headers call ``exit(1)`` at run time for anything wider.
MAX_WIDTH = 1024


class Quantization(enum.Enum):
    """What happens to the bits below the LSB (``ap_q_mode``); the value is the HLS spelling."""

    #: Floor: round toward minus infinity (the default; not truncation toward zero).
    TRN = "AP_TRN"
    #: Truncate toward zero.
    TRN_ZERO = "AP_TRN_ZERO"
    #: Round to nearest, ties toward plus infinity.
    RND = "AP_RND"
    #: Round to nearest, ties toward zero.
    RND_ZERO = "AP_RND_ZERO"
    #: Round to nearest, ties toward minus infinity.
    RND_MIN_INF = "AP_RND_MIN_INF"
    #: Round to nearest, ties away from zero.
    RND_INF = "AP_RND_INF"
    #: Round to nearest, ties to even (convergent).
    RND_CONV = "AP_RND_CONV"

    def __repr__(self) -> str:
        return f"Quantization.{self.name}"


class Overflow(enum.Enum):
    """What happens to a value outside the range (``ap_o_mode``); the value is the HLS spelling."""

    #: Two's-complement wrap-around (the default); with N > 0 the N MSBs are saturated.
    WRAP = "AP_WRAP"
    #: Clamp to the minimum or maximum.
    SAT = "AP_SAT"
    #: Replace an out-of-range value by zero.
    SAT_ZERO = "AP_SAT_ZERO"
    #: Clamp symmetrically: signed types never take the most negative code, even when it is in range.
    SAT_SYM = "AP_SAT_SYM"
    #: Sign-magnitude wrap: folds like a triangle wave (signed types only).
    WRAP_SM = "AP_WRAP_SM"

    def __repr__(self) -> str:
        return f"Overflow.{self.name}"


def _check_int(name: str, value: object) -> int:
    # bool is an int subclass but True as a width is always a mistake; numpy integers are fine.
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidType(f"Expected int but got {name}={value!r} (type={type(value).__name__})")
    return operator.index(value)


def _check_mode(enum_cls: type[enum.Enum], name: str, value: object) -> Any:
    if isinstance(value, enum_cls):
        return value
    if isinstance(value, str):
        found = _MODE_LOOKUP[enum_cls].get(value.strip().upper())
        if found is not None:
            return found
    spellings = ", ".join(m.value for m in enum_cls)  # type: ignore[attr-defined]
    raise InvalidArgument(f"{name}={value!r} is not one of {spellings}")


@dataclass(frozen=True)
class FixedType:
    """An ``ap_fixed``/``ap_ufixed``/``ap_int``/``ap_uint`` type: width, integer bits, signedness and modes.

    ``value = raw * 2**-frac_bits`` with ``frac_bits = width - int_bits``; ``int_bits`` may be negative or
    larger than ``width``. Raw values are integer numpy arrays of :attr:`dtype`: ``int64`` up to 63 bits, else
    ``object`` arrays of exact Python ints.

    Parameters
    ----------
    width : int
        Total bits ``W``, 1 to 1024 (``AP_INT_MAX_W``).
    int_bits : int
        Integer bits ``I`` (including the sign bit when signed).
    signed : bool
        ``ap_fixed`` (True) or ``ap_ufixed`` (False).
    quantization, overflow : Quantization, Overflow
        Modes applied when a value is assigned to this type (also accepted as HLS strings, ``"AP_RND"`` or
        ``"RND"``).
    sat_bits : int
        ``N``, the number of saturation bits of ``AP_WRAP``/``AP_WRAP_SM``, 0 to ``width``.
    is_int : bool
        ``ap_int``/``ap_uint``: requires ``int_bits == width`` and the default modes; changes the conversion
        from ``double`` (truncation toward zero, see :func:`fwparity.fixed.from_float`) and the spelling.

    Raises
    ------
    InvalidType
        If a number is not an int or ``is_int``/``signed`` are not bools.
    InvalidArgument
        If a value is out of range or the combination cannot be built by the headers.

    Notes
    -----
    Word growth: the exact, full-precision result type of each operator in the headers
    (``ap_fixed_base::RType``). The result takes the default modes (TRN, WRAP); only the modes of the type a
    result is assigned to matter. ``S`` is signedness (1 or 0), ``F = W - I``. A C ``int`` operand is
    ``ap_fixed<32,32>`` first.

    =====  ==========================================================  ==============
    op     result (W, I)                                               signed
    =====  ==========================================================  ==============
    a*b    W = W1+W2, I = I1+I2                                        S1 or S2
    a+b    I = max(I1+(S2 and not S1), I2+(S1 and not S2)) + 1,        S1 or S2
           F = max(F1, F2)
    a-b    as a+b                                                      always
    a/b    W = S2+W1+max(F2, 0), I = S2+I1+F2                          S1 or S2
    -a     W = W1+1, I = I1+1                                          always
    =====  ==========================================================  ==============

    Worked examples (each line is checked by the test suite):

    .. code-block:: text

        growth: ap_fixed<8,4> * ap_fixed<8,4> -> ap_fixed<16,8>
        growth: ap_fixed<16,6> * ap_ufixed<8,2> -> ap_fixed<24,8>
        growth: ap_fixed<8,4> + ap_fixed<8,4> -> ap_fixed<9,5>
        growth: ap_fixed<8,4> + ap_fixed<12,2> -> ap_fixed<15,5>
        growth: ap_fixed<8,4> + ap_ufixed<8,4> -> ap_fixed<10,6>
        growth: ap_ufixed<8,4> + ap_ufixed<8,4> -> ap_ufixed<9,5>
        growth: ap_ufixed<8,4> - ap_ufixed<8,4> -> ap_fixed<9,5>
        growth: ap_fixed<8,4> - ap_fixed<6,6> -> ap_fixed<11,7>
        growth: ap_fixed<8,4> / ap_fixed<8,4> -> ap_fixed<13,9>
        growth: ap_ufixed<8,4> / ap_ufixed<8,4> -> ap_ufixed<12,8>
        growth: ap_fixed<8,4> / ap_fixed<8,10> -> ap_fixed<9,3>
        growth: -ap_fixed<8,4> -> ap_fixed<9,5>
        growth: -ap_ufixed<8,4> -> ap_fixed<9,5>
        growth: ap_int<8> + ap_int<8> -> ap_int<9>
        growth: ap_int<8> + ap_uint<8> -> ap_int<10>
        growth: ap_uint<8> * ap_uint<4> -> ap_uint<12>
        growth: ap_int<8> / ap_int<8> -> ap_int<9>
        growth: ap_fixed<8,4> * ap_int<32> -> ap_fixed<40,36>

    Examples
    --------
    >>> t = FixedType.parse("ap_fixed<16,6,AP_RND,AP_SAT>")
    >>> t
    ap_fixed(16, 6, quantization=Quantization.RND, overflow=Overflow.SAT)
    >>> str(t), t.frac_bits, t.min_raw, t.max_raw
    ('ap_fixed<16,6,AP_RND,AP_SAT>', 10, -32768, 32767)
    >>> t.from_float([1.5, -0.0009, 1e9]).tolist()
    [1536, -1, 32767]
    """

    width: int
    int_bits: int
    _: KW_ONLY
    signed: bool = True
    quantization: Quantization = Quantization.TRN
    overflow: Overflow = Overflow.WRAP
    sat_bits: int = 0
    is_int: bool = False

    def __post_init__(self) -> None:
        # Normalise first (numpy ints -> int, "AP_RND" -> Quantization.RND) so equal types compare and hash
        # equal.
        width = _check_int("width", self.width)
        int_bits = _check_int("int_bits", self.int_bits)
        sat_bits = _check_int("sat_bits", self.sat_bits)
        for name in ("signed", "is_int"):
            value = getattr(self, name)
            if not isinstance(value, (bool, np.bool_)):
                raise InvalidType(f"Expected bool but got {name}={value!r} (type={type(value).__name__})")
        quantization = _check_mode(Quantization, "quantization", self.quantization)
        overflow = _check_mode(Overflow, "overflow", self.overflow)
        object.__setattr__(self, "width", width)
        object.__setattr__(self, "int_bits", int_bits)
        object.__setattr__(self, "sat_bits", sat_bits)
        object.__setattr__(self, "signed", bool(self.signed))
        object.__setattr__(self, "is_int", bool(self.is_int))
        object.__setattr__(self, "quantization", quantization)
        object.__setattr__(self, "overflow", overflow)

        if not 1 <= width <= MAX_WIDTH:
            raise InvalidArgument(f"width={width!r} must be between 1 and {MAX_WIDTH} (AP_INT_MAX_W)")
        if not 0 <= sat_bits <= width:
            raise InvalidArgument(f"sat_bits={sat_bits!r} must be between 0 and width={width!r}")
        if overflow is Overflow.WRAP_SM and not self.signed:
            raise InvalidArgument(
                "overflow=Overflow.WRAP_SM requires a signed type: the headers exit at run time for ap_ufixed"
            )
        if self.is_int:
            if int_bits != width:
                raise InvalidArgument(
                    f"is_int=True requires int_bits == width, got width={width!r}, int_bits={int_bits!r}"
                )
            if quantization is not Quantization.TRN or overflow is not Overflow.WRAP or sat_bits != 0:
                raise InvalidArgument(
                    "is_int=True requires the default modes (ap_int has none), got "
                    f"quantization={quantization!r}, "
                    f"overflow={overflow!r}, sat_bits={sat_bits!r}"
                )

    # -- derived attributes
    # -------------------------------------------------------------------------------------------
    @property
    def frac_bits(self) -> int:
        """``F = W - I``: the number of bits after the binary point (negative when ``I > W``)."""
        return self.width - self.int_bits

    @property
    def min_raw(self) -> int:
        """The smallest raw code, ``-2**(W-1)`` signed or ``0`` unsigned."""
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def max_raw(self) -> int:
        """The largest raw code, ``2**(W-1) - 1`` signed or ``2**W - 1`` unsigned."""
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    @property
    def dtype(self) -> np.dtype[Any]:
        """``int64`` when every raw code fits (``width <= 63``), else ``object`` (exact Python ints)."""
        return np.dtype(np.int64) if self.width <= 63 else np.dtype(object)

    # -- spelling
    # -------------------------------------------------------------------------------------------------------
    @classmethod
    def parse(cls, obj: FixedType | str) -> FixedType:
        """Return ``obj`` if it is a FixedType, else parse an HLS type spelling.

        Accepted: ``ap_fixed<W,I[,Q[,O[,N]]]>``, ``ap_ufixed<...>``, ``ap_int<W>``, ``ap_uint<W>``, hls4ml's
        ``fixed<...>``, ``ufixed<...>``, ``int<W>``, ``uint<W>``, modes with or without ``AP_``, any
        whitespace.

        Raises
        ------
        InvalidArgument
            If the text is not one of the spellings above (the message lists them) or describes an invalid
            type.
        InvalidType
            If ``obj`` is neither a FixedType nor a str.

        Examples
        --------
        >>> FixedType.parse("fixed<18, 8, RND_CONV, SAT>")
        ap_fixed(18, 8, quantization=Quantization.RND_CONV, overflow=Overflow.SAT)
        >>> str(FixedType.parse(" ap_uint< 4 > "))
        'ap_uint<4>'
        """
        if isinstance(obj, FixedType):
            return obj
        if not isinstance(obj, str):
            raise InvalidType(
                f"Expected a FixedType or an HLS type string but got obj={obj!r} (type={type(obj).__name__})"
            )
        return _parse(obj)

    def __str__(self) -> str:
        if self.is_int:
            return f"{'ap_int' if self.signed else 'ap_uint'}<{self.width}>"
        args = [str(self.width), str(self.int_bits)]
        if self.sat_bits:
            args += [self.quantization.value, self.overflow.value, str(self.sat_bits)]
        elif self.overflow is not Overflow.WRAP:
            args += [self.quantization.value, self.overflow.value]
        elif self.quantization is not Quantization.TRN:
            args.append(self.quantization.value)
        return f"{'ap_fixed' if self.signed else 'ap_ufixed'}<{','.join(args)}>"

    def __repr__(self) -> str:
        if self.is_int:
            return f"{'ap_int' if self.signed else 'ap_uint'}({self.width})"
        args = [str(self.width), str(self.int_bits)]
        if self.quantization is not Quantization.TRN:
            args.append(f"quantization={self.quantization!r}")
        if self.overflow is not Overflow.WRAP:
            args.append(f"overflow={self.overflow!r}")
        if self.sat_bits:
            args.append(f"sat_bits={self.sat_bits}")
        return f"{'ap_fixed' if self.signed else 'ap_ufixed'}({', '.join(args)})"

    def with_(self, **changes: Any) -> FixedType:
        """Return a copy with some fields changed, validated like a new type.

        >>> ap_fixed(16, 6).with_(overflow="AP_SAT")
        ap_fixed(16, 6, overflow=Overflow.SAT)
        """
        return dataclasses.replace(self, **changes)

    # -- values ----------------------------------------------------------------------------------------------
    # -----------
    def from_float(self, x: ArrayLike) -> np.ndarray:
        """Raw codes of ``T(double)`` for every element of ``x``; see :func:`fwparity.fixed.from_float`."""
        from ._quantize import from_float

        return from_float(x, self)

    def to_float(self, raw: ArrayLike) -> np.ndarray:
        """Values of raw codes as float64, like ``to_double()``; see :func:`fwparity.fixed.to_float`."""
        from ._quantize import to_float

        return to_float(raw, self)

    def cast(self, raw: ArrayLike, src: FixedType | str) -> np.ndarray:
        """Raw codes of ``T x = src;`` (an assignment with this type's modes); see :func:`cast`."""
        from ._quantize import cast

        return cast(raw, src, self)


# -- parser
# ----------------------------------------------------------------------------------------------------------
_MODE_LOOKUP: dict[type[enum.Enum], dict[str, Any]] = {
    cls: {**{m.value: m for m in cls}, **{m.name: m for m in cls}}  # type: ignore[attr-defined]
    for cls in (Quantization, Overflow)
}

_SPELLINGS = (
    "ap_fixed<W,I[,Q[,O[,N]]]>, ap_ufixed<W,I[,Q[,O[,N]]]>, ap_int<W>, ap_uint<W> "
    "(or hls4ml's fixed<...>, ufixed<...>, int<W>, uint<W>; Q and O with or without the AP_ prefix)"
)

_TYPE_RE = re.compile(r"^\s*(ap_fixed|ap_ufixed|fixed|ufixed|ap_int|ap_uint|int|uint)\s*<([^<>]*)>\s*$")
_INT_RE = re.compile(r"^[+-]?\d+$")


def _parse(text: str) -> FixedType:
    def bad(why: str = "") -> InvalidArgument:
        reason = f" ({why})" if why else ""
        return InvalidArgument(
            f"Cannot parse a fixed-point type from {text!r}{reason}; expected {_SPELLINGS}"
        )

    m = _TYPE_RE.match(text)
    if m is None:
        raise bad()
    kind, body = m.group(1).removeprefix("ap_"), m.group(2)
    args = [a.strip() for a in body.split(",")]
    if kind in ("int", "uint"):
        if len(args) != 1 or not _INT_RE.match(args[0]):
            raise bad(f"{m.group(1)} takes one integer width")
        return FixedType(int(args[0]), int(args[0]), signed=kind == "int", is_int=True)
    if not 2 <= len(args) <= 5:
        raise bad(f"{m.group(1)} takes 2 to 5 template arguments, got {len(args)}")
    if not (_INT_RE.match(args[0]) and _INT_RE.match(args[1])):
        raise bad("W and I must be integers")
    kwargs: dict[str, Any] = {}
    if len(args) >= 3:
        kwargs["quantization"] = _parse_mode(Quantization, args[2], bad)
    if len(args) >= 4:
        kwargs["overflow"] = _parse_mode(Overflow, args[3], bad)
    if len(args) == 5:
        if not _INT_RE.match(args[4]):
            raise bad("N must be an integer")
        kwargs["sat_bits"] = int(args[4])
    return FixedType(int(args[0]), int(args[1]), signed=kind == "fixed", **kwargs)


def _parse_mode(cls: type[enum.Enum], arg: str, bad: Any) -> Any:
    found = _MODE_LOOKUP[cls].get(arg.upper())
    if found is None:
        raise bad(f"unknown {'quantization' if cls is Quantization else 'overflow'} mode {arg!r}")
    return found


# -- shorthand constructors
# ------------------------------------------------------------------------------------------
def ap_fixed(
    width: int,
    int_bits: int,
    *,
    quantization: Quantization | str = Quantization.TRN,
    overflow: Overflow | str = Overflow.WRAP,
    sat_bits: int = 0,
) -> FixedType:
    """``ap_fixed<W,I,Q,O,N>``: a signed fixed-point type.

    >>> ap_fixed(8, 3, overflow=Overflow.SAT)
    ap_fixed(8, 3, overflow=Overflow.SAT)
    """
    return FixedType(
        width,
        int_bits,
        signed=True,
        quantization=_check_mode(Quantization, "quantization", quantization),
        overflow=_check_mode(Overflow, "overflow", overflow),
        sat_bits=sat_bits,
    )


def ap_ufixed(
    width: int,
    int_bits: int,
    *,
    quantization: Quantization | str = Quantization.TRN,
    overflow: Overflow | str = Overflow.WRAP,
    sat_bits: int = 0,
) -> FixedType:
    """``ap_ufixed<W,I,Q,O,N>``: an unsigned fixed-point type.

    >>> str(ap_ufixed(10, 4, quantization="AP_RND"))
    'ap_ufixed<10,4,AP_RND>'
    """
    return FixedType(
        width,
        int_bits,
        signed=False,
        quantization=_check_mode(Quantization, "quantization", quantization),
        overflow=_check_mode(Overflow, "overflow", overflow),
        sat_bits=sat_bits,
    )


def ap_int(width: int) -> FixedType:
    """``ap_int<W>``: a signed integer (``ap_fixed<W,W>`` arithmetic, ``ap_int`` conversions).

    >>> ap_int(8).min_raw, ap_int(8).max_raw
    (-128, 127)
    """
    return FixedType(width, width, signed=True, is_int=True)


def ap_uint(width: int) -> FixedType:
    """``ap_uint<W>``: an unsigned integer.

    >>> str(ap_uint(4)), ap_uint(4).max_raw
    ('ap_uint<4>', 15)
    """
    return FixedType(width, width, signed=False, is_int=True)
