"""Element-wise activations: hls4ml's nnet_activation.h, bit for bit.

The table activations (sigmoid, tanh, softplus, softsign, elu, selu) reproduce two quirks of the C++: the
tables are filled with float32 libm arithmetic (see ``_tables``), and the index is ``int(x * N / R)`` computed
in ap_fixed arithmetic, which truncates toward zero twice. So every input in (-R/N, R/N) reads the middle
entry (the "dead zone"), and positive and negative inputs are not mirrored. ``hard_sigmoid``/``hard_tanh``
clamp in the full-precision type of ``slope * x + shift``, so assigning 1 to it wraps when that type has no
integer bit, as in the C++.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidArgument
from ._quant import Tally, as_exact, cast, fit_dtype, raw_bound, requant, to_int32, trunc_div
from ._tables import activation_table

if TYPE_CHECKING:
    from ..fixed import FixedType

__all__ = [
    "linear",
    "relu",
    "leaky_relu",
    "thresholded_relu",
    "relu_max",
    "hard_sigmoid",
    "hard_tanh",
    "sigmoid",
    "tanh",
    "softplus",
    "softsign",
    "elu",
    "selu",
    "lut_index",
    "SELU_LAMBDA_RAW",
]

# : ``static const ap_ufixed<16, 1> lambda = 1.0507009873554805`` in nnet::selu: floor(1.0507009873554805 *
# 2**15).
SELU_LAMBDA_RAW = math.floor(1.0507009873554805 * 2**15)
_SELU_LAMBDA_FRAC = 15


def _x(x: Any) -> np.ndarray:
    return np.asarray(x)


def _fixed(width: int, int_bits: int, signed: bool) -> FixedType:
    from ..fixed import FixedType

    return FixedType(width, int_bits, signed=signed)


def _align(raw: np.ndarray, frac: int, to_frac: int, bound: int) -> np.ndarray:
    # Exact rescale of raw (with frac fractional bits) to to_frac >= frac fractional bits.
    shift = to_frac - frac
    if shift == 0:
        return raw
    return as_exact(raw, fit_dtype(bound << shift)) << shift


def linear(x: Any, *, x_type: FixedType, result_type: FixedType, tally: Tally | None = None) -> np.ndarray:
    """``res = (res_t) x``.

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> linear(np.array([5, -5]), x_type=FixedType.parse("ap_fixed<8,4>"),
    ...        result_type=FixedType.parse("ap_fixed<6,4>")).tolist()
    [1, -2]
    """
    return cast(_x(x), x_type, result_type, tally)


def relu(x: Any, *, x_type: FixedType, result_type: FixedType, tally: Tally | None = None) -> np.ndarray:
    """``res = x > 0 ? (res_t) x : 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> t = FixedType.parse("ap_fixed<16,6>")
    >>> relu(np.array([-5, 0, 7]), x_type=t, result_type=t).tolist()
    [0, 0, 7]
    """
    return cast(np.maximum(_x(x), 0), x_type, result_type, tally)


def _select(
    cond: np.ndarray,
    a: np.ndarray,
    a_frac: int,
    b: np.ndarray,
    b_frac: int,
    result_type: FixedType,
    tally: Tally | None,
) -> np.ndarray:
    # cond ? res_t(a) : res_t(b), counting overflows only on the branch each element takes (0 never
    # overflows).
    ra = requant(np.where(cond, a, 0), a_frac, result_type, tally)
    rb = requant(np.where(cond, 0, b), b_frac, result_type, tally)
    return np.where(cond, ra, rb)


def leaky_relu(
    x: Any,
    *,
    x_type: FixedType,
    alpha: int,
    alpha_type: FixedType,
    result_type: FixedType,
    tally: Tally | None = None,
) -> np.ndarray:
    """``res = x > 0 ? (res_t) x : (res_t)(alpha * x)`` with ``alpha`` raw on ``alpha_type`` (param_t).

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> t = FixedType.parse("ap_fixed<16,6>")
    >>> p = FixedType.parse("ap_fixed<8,1>")  # alpha = 0.25 is raw 32
    >>> leaky_relu(np.array([-1024, 1024]), x_type=t, alpha=32, alpha_type=p, result_type=t).tolist()
    [-256, 1024]
    """
    xr = _x(x)
    neg = as_exact(xr, fit_dtype(raw_bound(x_type) * abs(int(alpha)))) * int(alpha)
    return _select(
        xr > 0, xr, x_type.frac_bits, neg, x_type.frac_bits + alpha_type.frac_bits, result_type, tally
    )


def thresholded_relu(
    x: Any,
    *,
    x_type: FixedType,
    theta: int,
    theta_type: FixedType,
    result_type: FixedType,
    tally: Tally | None = None,
) -> np.ndarray:
    """``res = x > theta ? (res_t) x : 0``, the compare exact across the two types.

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> t = FixedType.parse("ap_fixed<16,6>")
    >>> thresholded_relu(np.array([512, 1024]), x_type=t, theta=512, theta_type=t, result_type=t).tolist()
    [0, 1024]
    """
    xr = _x(x)
    f = max(x_type.frac_bits, theta_type.frac_bits)
    xa = _align(xr, x_type.frac_bits, f, raw_bound(x_type))
    ta = int(theta) << (f - theta_type.frac_bits)
    return requant(np.where(xa > ta, xr, 0), x_type.frac_bits, result_type, tally)


def relu_max(
    x: Any, *, x_type: FixedType, max_value: int, result_type: FixedType, tally: Tally | None = None
) -> np.ndarray:
    """``relu_max<MAX_INT>`` (ReLU6 is MAX_INT=6): clip to [0, max] then cast; ``max_value`` is raw on
    ``x_type``.

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> t = FixedType.parse("ap_fixed<16,6>")
    >>> relu_max(np.array([-1, 3000, 7000]), x_type=t, max_value=6 << 10, result_type=t).tolist()
    [0, 3000, 6144]
    """
    xr = _x(x)
    clipped = np.where(xr < 0, 0, np.where(xr > int(max_value), int(max_value), xr))
    return requant(clipped, x_type.frac_bits, result_type, tally)


def _hard(
    x: np.ndarray, x_type: FixedType, slope: int, slope_type: FixedType, shift: int, shift_type: FixedType
) -> tuple[np.ndarray, int, FixedType]:
    # auto d = slope * x + shift (full precision, TRN/WRAP); if (d > 1) d = 1; else if (d < 0) d = 0;
    mw = slope_type.width + x_type.width
    mi = slope_type.int_bits + x_type.int_bits
    ms = slope_type.signed or x_type.signed
    mf = mw - mi
    s1, s2 = ms, shift_type.signed
    ai = max(mi + (s2 and not s1), shift_type.int_bits + (s1 and not s2)) + 1
    af = max(mf, shift_type.frac_bits)
    d_type = _fixed(ai + af, ai, s1 or s2)
    bound = raw_bound(x_type) * abs(int(slope)) * (1 << max(af - mf, 0)) + (
        abs(int(shift)) << max(af - shift_type.frac_bits, 0)
    )
    dt = fit_dtype(bound)
    prod = as_exact(x, dt) * int(slope)
    d = (prod << (af - mf)) + (int(shift) << (af - shift_type.frac_bits))
    one = requant(np.array(1), 0, d_type)
    one_v = int(one) if d_type.width <= 63 else int(one.item())
    one_cmp = 1 << af if af >= 0 else 0
    d = np.where(d > one_cmp, one_v, np.where(d < 0, 0, d))
    return d, af, d_type


def hard_sigmoid(
    x: Any,
    *,
    x_type: FixedType,
    slope: int,
    slope_type: FixedType,
    shift: int,
    shift_type: FixedType,
    result_type: FixedType,
    tally: Tally | None = None,
) -> np.ndarray:
    """``clip(slope * x + shift, 0, 1)`` in the full-precision type of the expression, then cast to
    ``result_type``.

    ``slope`` and ``shift`` are raw on ``slope_type``/``shift_type`` (hls4ml's defaults: 0.2 on
    ap_ufixed<16,0> and
    0.5 on ap_ufixed<2,0>).
    """
    d, f, _ = _hard(_x(x), x_type, slope, slope_type, shift, shift_type)
    return requant(d, f, result_type, tally)


def hard_tanh(
    x: Any,
    *,
    x_type: FixedType,
    slope: int,
    slope_type: FixedType,
    shift: int,
    shift_type: FixedType,
    result_type: FixedType,
    tally: Tally | None = None,
) -> np.ndarray:
    """``2 * clip(slope * x + shift, 0, 1) - 1``, exact, then cast to ``result_type``."""
    d, f, _ = _hard(_x(x), x_type, slope, slope_type, shift, shift_type)
    # 2 * d - 1, exact: work at F' = max(f, 0) fractional bits so that 1 is representable.
    fp = max(f, 0)
    v = (2 * d << (fp - f)) - (1 << fp)
    f = fp
    return requant(v, f, result_type, tally)


def lut_index(raw: np.ndarray, x_type: FixedType, numerator: int, denominator: int) -> np.ndarray:
    """``int(x * numerator / denominator)`` as the C++ computes it with ap_fixed arithmetic, wrapped to C int.

    ``x * N`` is exact, ``/ D`` truncates toward zero at x's fractional bits, and ``int()`` truncates
    toward zero.

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> lut_index(np.array([1, -1, 64, -64]), FixedType.parse("ap_fixed<16,6>"), 1024, 16).tolist()
    [0, 0, 4, -4]
    """
    f = x_type.frac_bits
    dt = fit_dtype(raw_bound(x_type) * abs(numerator))
    p = as_exact(raw, dt) * numerator
    q = trunc_div(p, abs(denominator))
    if denominator < 0:
        q = -q
    v = trunc_div(q, 1 << f) if f >= 0 else q << -f
    if v.dtype == object:
        v = np.array([int(e) for e in v.reshape(-1)], dtype=object).reshape(v.shape)
        return to_int32(v)
    return to_int32(v)


def _table_activation(
    kind: str,
    x: Any,
    x_type: FixedType,
    table_type: FixedType,
    table_size: int,
    result_type: FixedType,
    half_range: int,
    tally: Tally | None,
) -> np.ndarray:
    xr = _x(x)
    n = int(table_size)
    if n < 1:
        raise InvalidArgument(f"{kind} table_size must be positive, not table_size={table_size!r}")
    table = activation_table(kind, n, table_type)
    idx = to_int32(lut_index(xr, x_type, n, 2 * half_range) + (half_range * n) // (2 * half_range))
    idx = np.clip(idx, 0, n - 1)
    return requant(table[idx], table_type.frac_bits, result_type, tally)


def sigmoid(
    x: Any,
    *,
    x_type: FixedType,
    table_type: FixedType,
    table_size: int,
    result_type: FixedType,
    tally: Tally | None = None,
) -> np.ndarray:
    """hls4ml sigmoid: a ``table_size``-entry table over [-8, 8) indexed by ``int(x * N / 16) + N / 2``.

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> t = FixedType.parse("ap_fixed<16,6>")
    >>> tab = FixedType.parse("ap_fixed<18,8>")
    >>> sigmoid(np.array([0, 15]), x_type=t, table_type=tab, table_size=1024, result_type=t).tolist()
    [512, 512]
    """
    return _table_activation("sigmoid", x, x_type, table_type, table_size, result_type, 8, tally)


def tanh(
    x: Any,
    *,
    x_type: FixedType,
    table_type: FixedType,
    table_size: int,
    result_type: FixedType,
    tally: Tally | None = None,
) -> np.ndarray:
    """hls4ml tanh: a table over [-4, 4) (libm ``tanhf``) indexed by ``int(x * N / 8) + N / 2``.

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> t = FixedType.parse("ap_fixed<16,6>")
    >>> tab = FixedType.parse("ap_fixed<18,8>")
    >>> tanh(np.array([0, -32768]), x_type=t, table_type=tab, table_size=1024, result_type=t).tolist()
    [0, -1024]
    """
    return _table_activation("tanh", x, x_type, table_type, table_size, result_type, 4, tally)


def softplus(
    x: Any,
    *,
    x_type: FixedType,
    table_type: FixedType,
    table_size: int,
    result_type: FixedType,
    tally: Tally | None = None,
) -> np.ndarray:
    """hls4ml softplus: ``log(expf(x) + 1.)`` tabulated over [-8, 8) like sigmoid."""
    return _table_activation("softplus", x, x_type, table_type, table_size, result_type, 8, tally)


def softsign(
    x: Any,
    *,
    x_type: FixedType,
    table_type: FixedType,
    table_size: int,
    result_type: FixedType,
    tally: Tally | None = None,
) -> np.ndarray:
    """hls4ml softsign: ``x / (|x| + 1.)`` tabulated over [-8, 8) like sigmoid."""
    return _table_activation("softsign", x, x_type, table_type, table_size, result_type, 8, tally)


def _neg_index(xr: np.ndarray, x_type: FixedType, n: int) -> np.ndarray:
    # int index = datareg * table_size / -8;
    return lut_index(xr, x_type, n, -8)


def elu(
    x: Any,
    *,
    x_type: FixedType,
    table_type: FixedType,
    table_size: int,
    result_type: FixedType,
    alpha: int = 1,
    alpha_type: FixedType | None = None,
    tally: Tally | None = None,
) -> np.ndarray:
    """hls4ml elu: ``x >= 0 ? x : alpha * table[min(int(x * N / -8), N - 1)]`` with a table of ``expf(in) -
    1``.

    ``alpha`` is raw on ``alpha_type`` (param_t); without one, alpha is exactly 1 (the ``ap_uint<1>``
    overload).
    """
    xr = _x(x)
    n = int(table_size)
    table = activation_table("elu", n, table_type)
    a_frac = 0 if alpha_type is None else alpha_type.frac_bits
    idx = np.minimum(_neg_index(xr, x_type, n), n - 1)
    idx = np.where(xr >= 0, 0, idx)  # unused entries for x >= 0; keeps the gather in bounds
    f = table_type.frac_bits + a_frac
    neg = as_exact(table[idx], fit_dtype(raw_bound(table_type) * abs(int(alpha)))) * int(alpha)
    return _select(xr >= 0, xr, x_type.frac_bits, neg, f, result_type, tally)


def selu(
    x: Any,
    *,
    x_type: FixedType,
    table_type: FixedType,
    table_size: int,
    result_type: FixedType,
    tally: Tally | None = None,
) -> np.ndarray:
    """hls4ml selu: ``x >= 0 ? ap_ufixed<16,1>(lambda) * x : table[clamp(int(x * N / -8))]``."""
    xr = _x(x)
    n = int(table_size)
    table = activation_table("selu", n, table_type)
    idx = np.clip(_neg_index(xr, x_type, n), 0, n - 1)
    pos = as_exact(xr, fit_dtype(raw_bound(x_type) * SELU_LAMBDA_RAW)) * SELU_LAMBDA_RAW
    return _select(
        xr >= 0,
        pos,
        x_type.frac_bits + _SELU_LAMBDA_FRAC,
        table[idx],
        table_type.frac_bits,
        result_type,
        tally,
    )
