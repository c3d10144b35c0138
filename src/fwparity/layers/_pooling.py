"""Max and average pooling, 1D/2D and global, as hls4ml's nnet_pooling.h computes them (io_parallel, channels
last).

Quirks reproduced: max pooling pads with the pattern whose top bit alone is set (the most negative value of a
signed type, but +2**(W-1) LSB for an unsigned one) and returns the maximum through ``accum_t`` before
``res_t``. Average pooling adds every cell of the window (padded cells are 0) into ``accum_t``, quantising
after each add, then divides by the number of cells that overlap the input (``count_pad = false``), truncating
toward zero at accum_t's fractional bits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidArgument
from ._quant import Tally, as_exact, fit_dtype, raw_bound, requant

if TYPE_CHECKING:
    from ..fixed import FixedType

__all__ = ["max_pool", "avg_pool", "global_max_pool", "global_avg_pool", "pool_windows"]


def _tuple(v: Any, nd: int, what: str) -> tuple[int, ...]:
    if isinstance(v, (int, np.integer)):
        return (int(v),) * nd
    t = tuple(int(e) for e in v)
    if len(t) != nd:
        raise InvalidArgument(f"{what} must have {nd} entries, not {what}={v!r}")
    return t


def pool_windows(
    x: np.ndarray, pool: tuple[int, ...], strides: tuple[int, ...], pads: tuple[int, ...], pad_value: int
) -> tuple[np.ndarray, np.ndarray]:
    """The pooling windows of x (N, *spatial, C) as (N, *out, K, C) in (kh, kw) order, and each window's
    overlap count.

    ``pads`` is (before, after) per spatial axis. Padded cells hold ``pad_value``.
    """
    nd = len(pool)
    pad_width = [(0, 0)] + [(pads[2 * i], pads[2 * i + 1]) for i in range(nd)] + [(0, 0)]
    xp = np.pad(x, pad_width, constant_values=pad_value)
    ones = np.pad(np.ones(x.shape[1:-1], dtype=np.int64), pad_width[1:-1])
    out = [(xp.shape[1 + i] - pool[i]) // strides[i] + 1 for i in range(nd)]
    if any(o < 1 for o in out):
        raise InvalidArgument(f"pool={pool} is larger than the padded input of shape {xp.shape[1:-1]}")
    cells, counts = [], np.zeros(out, dtype=np.int64)
    for offs in np.ndindex(*pool):
        sl = tuple(slice(offs[i], offs[i] + strides[i] * (out[i] - 1) + 1, strides[i]) for i in range(nd))
        cells.append(xp[(slice(None),) + sl + (slice(None),)])
        counts += ones[sl]
    return np.stack(cells, axis=-2), counts


def _max_pad(t: FixedType) -> int:
    # pad_val<T, Max>: T x = 0; x[x.width - 1] = 1;
    return -(1 << (t.width - 1)) if t.signed else 1 << (t.width - 1)


def _finish_max(
    m: np.ndarray,
    x_type: FixedType,
    accum_type: FixedType | None,
    result_type: FixedType,
    tally: Tally | None,
) -> np.ndarray:
    f = x_type.frac_bits
    if accum_type is not None:
        m = requant(m, f, accum_type, tally)
        f = accum_type.frac_bits
    return requant(m, f, result_type, tally)


def _avg(
    cells: np.ndarray,
    counts: np.ndarray,
    x_type: FixedType,
    accum_type: FixedType,
    result_type: FixedType,
    tally: Tally | None,
) -> np.ndarray:
    # accum_t y = 0; for each cell: y += x; then y /= length; res = (res_t) y.
    a = accum_type
    f = max(a.frac_bits, x_type.frac_bits)
    dt = fit_dtype((raw_bound(a) + raw_bound(x_type)) << (f - min(a.frac_bits, x_type.frac_bits)))
    xs = as_exact(cells, dt) << (f - x_type.frac_bits)
    y = np.zeros(cells.shape[:-2] + cells.shape[-1:], dtype=dt)
    for k in range(cells.shape[-2]):
        y = requant((as_exact(y, dt) << (f - a.frac_bits)) + xs[..., k, :], f, a, tally)
    y = _div(as_exact(y, dt), counts)
    y = requant(y, a.frac_bits, a, tally)
    return requant(y, a.frac_bits, result_type, tally)


def _div(y: np.ndarray, counts: np.ndarray) -> np.ndarray:
    # y /= length: ap_fixed divided by an unsigned int keeps y's fraction and truncates toward zero.
    c = counts[None, ..., None] if counts.ndim else int(counts)
    q = np.abs(y) // c
    return np.where(y < 0, -q, q)


def _spatial(x: Any, nd: int) -> np.ndarray:
    xr = np.asarray(x)
    if xr.ndim != nd + 2:
        raise InvalidArgument(
            f"{nd}D pooling needs input of shape (N, *spatial[{nd}], C), not x.shape={xr.shape}"
        )
    return xr


def max_pool(
    x: Any,
    *,
    x_type: FixedType,
    result_type: FixedType,
    pool: Any,
    strides: Any = None,
    pads: Any = None,
    accum_type: FixedType | None = None,
    tally: Tally | None = None,
) -> np.ndarray:
    """MaxPooling1D/2D: x is (N, *spatial, C) with 1 or 2 spatial axes; ``pads`` is (before, after) per axis.

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> t = FixedType.parse("ap_fixed<8,4>")
    >>> max_pool(np.array([[[1], [5], [-3], [2]]]), x_type=t, result_type=t, pool=2).tolist()
    [[[5], [2]]]
    """
    xr = np.asarray(x)
    nd = xr.ndim - 2
    xr = _spatial(xr, nd)
    pool_t = _tuple(pool, nd, "pool")
    strides_t = _tuple(pool if strides is None else strides, nd, "strides")
    pads_t = _tuple(0 if pads is None else pads, 2 * nd, "pads")
    cells, _ = pool_windows(xr, pool_t, strides_t, pads_t, _max_pad(x_type))
    return _finish_max(cells.max(axis=-2), x_type, accum_type, result_type, tally)


def avg_pool(
    x: Any,
    *,
    x_type: FixedType,
    accum_type: FixedType,
    result_type: FixedType,
    pool: Any,
    strides: Any = None,
    pads: Any = None,
    count_pad: bool = False,
    tally: Tally | None = None,
) -> np.ndarray:
    """AveragePooling1D/2D: sum in ``accum_t`` (quantised per add), divide by the overlap count, cast.

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> t = FixedType.parse("ap_fixed<8,4>")
    >>> avg_pool(np.array([[[1], [4], [-3], [-2]]]), x_type=t, accum_type=t, result_type=t, pool=2).tolist()
    [[[2], [-2]]]
    """
    xr = np.asarray(x)
    nd = xr.ndim - 2
    xr = _spatial(xr, nd)
    pool_t = _tuple(pool, nd, "pool")
    strides_t = _tuple(pool if strides is None else strides, nd, "strides")
    pads_t = _tuple(0 if pads is None else pads, 2 * nd, "pads")
    cells, counts = pool_windows(xr, pool_t, strides_t, pads_t, 0)
    if count_pad:
        counts = np.full_like(counts, int(np.prod(pool_t)))
    return _avg(cells, counts, x_type, accum_type, result_type, tally)


def global_max_pool(
    x: Any,
    *,
    x_type: FixedType,
    result_type: FixedType,
    accum_type: FixedType | None = None,
    tally: Tally | None = None,
) -> np.ndarray:
    """GlobalMaxPooling1D/2D: (N, *spatial, C) -> (N, C), the maximum through ``accum_t`` then ``res_t``.

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> t = FixedType.parse("ap_fixed<8,8>")
    >>> global_max_pool(np.array([[[1, -4], [3, -5]]]), x_type=t, result_type=t).tolist()
    [[3, -4]]
    """
    xr = np.asarray(x)
    flat = xr.reshape(xr.shape[0], -1, xr.shape[-1])
    return _finish_max(flat.max(axis=1), x_type, accum_type, result_type, tally)


def global_avg_pool(
    x: Any, *, x_type: FixedType, accum_type: FixedType, result_type: FixedType, tally: Tally | None = None
) -> np.ndarray:
    """GlobalAveragePooling1D/2D: (N, *spatial, C) -> (N, C), sum per add in ``accum_t``, then divide.

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> t = FixedType.parse("ap_fixed<8,8>")
    >>> x = np.array([[[1, -4], [2, -5]]])
    >>> global_avg_pool(x, x_type=t, accum_type=t, result_type=t).tolist()
    [[1, -4]]
    """
    xr = np.asarray(x)
    flat = xr.reshape(xr.shape[0], -1, xr.shape[-1])
    return _avg(flat, np.array(flat.shape[1]), x_type, accum_type, result_type, tally)
