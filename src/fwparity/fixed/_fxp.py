"""Interoperability with fxpmath, for users who already hold ``Fxp`` objects.

Only the representation crosses over: raw integers, word length, fraction length, signedness and the mode
names. fxpmath's own arithmetic and quantization are *not* bit-exact with ``ap_fixed`` in several places
(measured against the headers in the reference notes), so do the conversions in fwparity and hand fxpmath the
raw codes:

* For words of 64 bits or more fxpmath ignores the rounding mode (values take an object path that truncates
  toward zero): ``ap_fixed<70,20,AP_RND>(0.7490612344946697)`` is raw 843367974136970, fxpmath gives ...969.
* Its default rounding is ``trunc`` (toward zero), not AP_TRN (floor): ``Fxp(-2.7, True, 8, 0)`` is -2,
  ``ap_fixed<8,8>`` gives -3. Its default overflow is ``saturate``, not AP_WRAP.
* It has only ``wrap`` and ``saturate``: AP_SAT_ZERO, AP_SAT_SYM, AP_WRAP_SM and saturation bits N > 0 have no
  counterpart, and :func:`to_fxp` refuses them rather than change the type's meaning.
* ``wrap`` of values with |x * 2**F| >= 2**63 overflows inside fxpmath (``2**64 + 2**12`` into
  ``ap_fixed<16,16>`` gives 0 or raises, not 4096).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidArgument, ToolNotFound
from ._quantize import _as_raw, _check_in_range
from ._type import FixedType, Overflow, Quantization

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["to_fxp", "from_fxp"]

#: ap quantization mode -> fxpmath ``rounding`` (reference notes, section 2).
FXP_ROUNDING = {
    Quantization.TRN: "floor",
    Quantization.TRN_ZERO: "trunc",
    Quantization.RND: "nearest_posinf",
    Quantization.RND_ZERO: "nearest_zero",
    Quantization.RND_MIN_INF: "nearest_neginf",
    Quantization.RND_INF: "nearest_away",
    Quantization.RND_CONV: "around",
}
#: fxpmath spellings that mean the same as one of the above.
_ROUNDING_ALIASES = {"bit_trunc": Quantization.TRN, "fix": Quantization.TRN_ZERO}
FXP_OVERFLOW = {Overflow.WRAP: "wrap", Overflow.SAT: "saturate"}


def _fxpmath() -> Any:
    try:
        import fxpmath
    except ImportError:
        raise ToolNotFound("fxpmath is not installed; install it with pip install 'fwparity[hls]'") from None
    return fxpmath


def to_fxp(raw: ArrayLike, t: FixedType | str) -> Any:
    """An ``fxpmath.Fxp`` holding the raw codes ``raw`` of type ``t`` (same bits, same value).

    Raises
    ------
    InvalidArgument
        If ``t`` uses a mode fxpmath does not have (SAT_ZERO, SAT_SYM, WRAP_SM, N > 0) or a raw code does not
        fit.
    ToolNotFound
        If fxpmath is not installed.

    Examples
    --------
    >>> fx = to_fxp([1536, -1], "ap_fixed<16,6,AP_RND,AP_SAT>")
    >>> fx.val.tolist(), fx.config.rounding, fx.config.overflow
    ([1536, -1], 'nearest_posinf', 'saturate')
    """
    t = FixedType.parse(t)
    if t.overflow not in FXP_OVERFLOW or t.sat_bits:
        raise InvalidArgument(
            f"{t} has no fxpmath equivalent: fxpmath has only wrap and saturate (no AP_SAT_ZERO, AP_SAT_SYM, "
            "AP_WRAP_SM or saturation bits)"
        )
    m = _as_raw(raw, "raw")
    _check_in_range(m, t)
    fxpmath = _fxpmath()
    fx = fxpmath.Fxp(
        None,
        signed=t.signed,
        n_word=t.width,
        n_frac=t.frac_bits,
        rounding=FXP_ROUNDING[t.quantization],
        overflow=FXP_OVERFLOW[t.overflow],
    )
    fx.set_val(m.astype(object) if t.width > 63 else m, raw=True)
    return fx


def from_fxp(fx: Any) -> tuple[np.ndarray, FixedType]:
    """Raw codes and the :class:`FixedType` of an ``fxpmath.Fxp`` (its rounding/overflow become Q/O).

    Raises
    ------
    InvalidArgument
        If the Fxp uses a rounding or overflow name with no ap equivalent (``ceil``, for example).

    Examples
    --------
    >>> from fxpmath import Fxp
    >>> fx = Fxp([1.5, -0.25], signed=True, n_word=8, n_frac=4, rounding="floor", overflow="wrap")
    >>> raw, t = from_fxp(fx)
    >>> raw.tolist(), t
    ([24, -4], ap_fixed(8, 4))
    """
    rounding = fx.config.rounding
    quantization = {v: k for k, v in FXP_ROUNDING.items()}.get(rounding, _ROUNDING_ALIASES.get(rounding))
    if quantization is None:
        raise InvalidArgument(
            f"Fxp rounding={rounding!r} has no ap_fixed equivalent; expected one of "
            f"{', '.join([*FXP_ROUNDING.values(), *_ROUNDING_ALIASES])}"
        )
    overflow = {v: k for k, v in FXP_OVERFLOW.items()}.get(fx.config.overflow)
    if overflow is None:
        raise InvalidArgument(
            f"Fxp overflow={fx.config.overflow!r} has no ap_fixed equivalent; expected wrap or saturate"
        )
    n_word, n_frac = int(fx.n_word), int(fx.n_frac)
    t = FixedType(
        n_word, n_word - n_frac, signed=bool(fx.signed), quantization=quantization, overflow=overflow
    )
    return _as_raw(fx.val, "fx.val").astype(t.dtype), t
