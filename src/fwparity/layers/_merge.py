"""Merge layers (nnet_merge.h), BatchNormalization (nnet_batchnorm.h), Flatten and Reshape.

All of these compute one exact ap_fixed expression and cast it once to ``res_t``; the only choices are how
wide the exact intermediate is (int64 when the bound allows, Python ints beyond) and how the two inputs'
fractions align. ``average`` is ``(a + b) * ap_ufixed<1,0>(0.5)``, exact, so it keeps one more fractional bit
than ``a + b``. ``dot`` is hls4ml's dot1d: products quantised to accum_t one by one, summed in order from 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidArgument
from ._quant import Tally, as_exact, fit_dtype, raw_bound, requant, wrap

if TYPE_CHECKING:
    from ..fixed import FixedType

__all__ = ["merge", "concatenate", "dot", "batchnorm", "MERGE_OPS"]

MERGE_OPS = ("add", "subtract", "multiply", "average", "maximum", "minimum")


def _pair(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    ar, br = np.asarray(a), np.asarray(b)
    if ar.shape != br.shape:
        # data1[ii % n_elem1], data2[ii % n_elem2]: the shorter input repeats.
        n = ar.shape[0]
        fa, fb = ar.reshape(n, -1), br.reshape(n, -1)
        m = max(fa.shape[1], fb.shape[1])
        ar = fa[:, np.arange(m) % fa.shape[1]]
        br = fb[:, np.arange(m) % fb.shape[1]]
    return ar, br


def merge(
    op: str,
    a: Any,
    b: Any,
    *,
    a_type: FixedType,
    b_type: FixedType,
    result_type: FixedType,
    tally: Tally | None = None,
) -> np.ndarray:
    """Element-wise Add/Subtract/Multiply/Average/Maximum/Minimum of two raw arrays, cast once to
    ``result_type``.

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> t = FixedType.parse("ap_fixed<8,4>")
    >>> merge("average", np.array([[3]]), np.array([[2]]), a_type=t, b_type=t, result_type=t).tolist()
    [[2]]
    """
    if op not in MERGE_OPS:
        raise InvalidArgument(f"merge op must be one of {', '.join(MERGE_OPS)}, not op={op!r}")
    ar, br = _pair(a, b)
    fa, fb = a_type.frac_bits, b_type.frac_bits
    if op == "multiply":
        dt = fit_dtype(raw_bound(a_type) * raw_bound(b_type))
        return requant(as_exact(ar, dt) * as_exact(br, dt), fa + fb, result_type, tally)
    f = max(fa, fb)
    dt = fit_dtype(2 * ((raw_bound(a_type) << (f - fa)) + (raw_bound(b_type) << (f - fb))))
    xa = as_exact(ar, dt) << (f - fa)
    xb = as_exact(br, dt) << (f - fb)
    if op == "add":
        return requant(xa + xb, f, result_type, tally)
    if op == "subtract":
        return requant(xa - xb, f, result_type, tally)
    if op == "average":
        return requant(xa + xb, f + 1, result_type, tally)
    cond = xa > xb if op == "maximum" else xa < xb
    ra = requant(np.where(cond, ar, 0), fa, result_type, tally)
    rb = requant(np.where(cond, 0, br), fb, result_type, tally)
    return np.where(cond, ra, rb)


def concatenate(
    inputs: list[tuple[Any, FixedType]], *, result_type: FixedType, axis: int = -1, tally: Tally | None = None
) -> np.ndarray:
    """Concatenate raw arrays (batch axis first) along a Keras ``axis`` (negative from the end; 0 is the
    batch).

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> t = FixedType.parse("ap_fixed<8,8>")
    >>> concatenate([(np.array([[1, 2]]), t), (np.array([[3]]), t)], result_type=t).tolist()
    [[1, 2, 3]]
    """
    parts = [requant(np.asarray(r), t.frac_bits, result_type, tally) for r, t in inputs]
    return np.concatenate(parts, axis=axis)


def dot(
    a: Any,
    b: Any,
    *,
    a_type: FixedType,
    b_type: FixedType,
    accum_type: FixedType,
    result_type: FixedType,
    tally: Tally | None = None,
) -> np.ndarray:
    """hls4ml dot1d: ``acc = 0; acc += accum_t(a[i] * b[i])`` in order, then ``res_t(acc)``.

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> t = FixedType.parse("ap_fixed<8,8>")
    >>> a, b = np.array([[1, 2]]), np.array([[3, 4]])
    >>> dot(a, b, a_type=t, b_type=t, accum_type=t, result_type=t).tolist()
    [[11]]
    """
    ar, br = np.asarray(a), np.asarray(b)
    n = ar.shape[0]
    ar, br = ar.reshape(n, -1), br.reshape(n, -1)
    dt = fit_dtype(raw_bound(a_type) * raw_bound(b_type))
    m = requant(as_exact(ar, dt) * as_exact(br, dt), a_type.frac_bits + b_type.frac_bits, accum_type, tally)
    acc = requant(np.zeros(n, dtype=np.int64), 0, accum_type)
    if accum_type.overflow.name == "WRAP" and accum_type.sat_bits == 0 and tally is None:
        acc = wrap(acc + m.sum(axis=1), accum_type.width, accum_type.signed)
    else:
        for k in range(m.shape[1]):
            acc = requant(acc + m[:, k], accum_type.frac_bits, accum_type, tally)
    return requant(acc, accum_type.frac_bits, result_type, tally)[:, None]


def batchnorm(
    x: Any,
    *,
    x_type: FixedType,
    scale: Any,
    scale_type: FixedType,
    bias: Any,
    bias_type: FixedType,
    result_type: FixedType,
    tally: Tally | None = None,
) -> np.ndarray:
    """hls4ml normalize: ``res = (res_t)(x * scale + bias)``, exact, one cast.

    ``scale``/``bias`` are raw, either one per channel (the last axis, n_filt) or one per element of the
    flattened input (n_filt = -1).

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> t = FixedType.parse("ap_fixed<8,4>")
    >>> batchnorm(np.array([[16]]), x_type=t, scale=np.array([32]), scale_type=t, bias=np.array([-8]),
    ...           bias_type=t, result_type=t).tolist()
    [[24]]
    """
    xr = np.asarray(x)
    s = np.asarray(scale).reshape(-1)
    b = np.asarray(bias).reshape(-1)
    n = xr.shape[0]
    per_element = int(np.prod(xr.shape[1:])) if xr.ndim > 1 else 1
    if s.size == per_element and (xr.ndim == 1 or s.size != xr.shape[-1]):
        xs = xr.reshape(n, -1)
    elif xr.ndim > 1 and s.size == xr.shape[-1]:
        xs = xr
    else:
        raise InvalidArgument(
            f"batchnorm scale has {s.size} entries, which matches neither the channels nor the elements of "
            f"x.shape={xr.shape}"
        )
    fp = x_type.frac_bits + scale_type.frac_bits
    f = max(fp, bias_type.frac_bits)
    bound = (raw_bound(x_type) * max(1, int(np.abs(s).max(initial=0))) << (f - fp)) + (
        max(1, int(np.abs(b).max(initial=0))) << (f - bias_type.frac_bits)
    )
    dt = fit_dtype(bound)
    v = ((as_exact(xs, dt) * as_exact(s, dt)) << (f - fp)) + (as_exact(b, dt) << (f - bias_type.frac_bits))
    return requant(v, f, result_type, tally).reshape(xr.shape)
