"""Dense, Conv1D and Conv2D: hls4ml's multiply-accumulate, bit for bit (nnet_dense_latency.h, nnet_dense_resource.h).

What the C++ does (hls4ml 1.3.0, io_parallel)::

    mult[i][j] = accum_t(x[i] * w[i][j])      // every exact product is quantised to accum_t on its own
    acc[j]     = accum_t(bias[j])
    acc[j]    += mult[i][j]  for i in order  // requantised to accum_t after every add
    res[j]     = res_t(acc[j])

The order of the adds matters only for saturating accumulators; for AP_WRAP the adds are modular. Convolutions are
the same arithmetic per output pixel after an im2col whose patch order is (kh, kw, c) with zero padding.

How it is computed is chosen per layer from the types and the weight values, never by luck:

1. If ``F_accum >= F_x + F_w`` and no product can leave accum_t's range, quantising a product does nothing. If in
   addition the accumulator wraps (AP_WRAP, N=0) or no running sum can leave its range, the layer is one integer
   matmul: float64 BLAS when every partial sum is provably below 2**53, int64 when below 2**62, Python ints beyond.
2. Otherwise the products are formed per batch chunk as an (n, n_in, n_out) tensor in int32 or int64 (chosen by the
   bound on |x*w|), quantised with accum_t's rounding, and then summed (AP_WRAP) or accumulated one input at a time in
   the C++ order with saturation after each add.
3. Products wider than 62 bits use exact Python-int object arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidArgument
from ._quant import Tally, _quantize, as_exact, fit_dtype, raw_bound, requant, wrap

if TYPE_CHECKING:
    from ..fixed import FixedType

__all__ = ["dense", "conv1d", "conv2d", "accumulation_order", "mac"]

#: Product-tensor elements per batch chunk: small enough to stay in L2 cache, large enough to amortise numpy calls.
_CHUNK_ELEMENTS = 1 << 16


def accumulation_order(n_in: int, n_out: int, *, strategy: str = "latency", reuse_factor: int = 1) -> np.ndarray:
    """The order in which each output's accumulator receives its products, as an (n_out, n_in) array of inputs.

    Latency adds inputs 0..n_in-1 in order. The Resource strategy walks the transposed weights in reuse-factor
    strides (nnet_dense_resource.h), so with a saturating accumulator it can give different results.

    Examples
    --------
    >>> accumulation_order(4, 1, strategy="resource", reuse_factor=2).tolist()
    [[0, 2, 1, 3]]
    """
    base = np.arange(n_in)
    if strategy == "latency" or reuse_factor <= 1:
        return np.tile(base, (n_out, 1))
    if strategy != "resource":
        raise InvalidArgument(f"Dense strategy must be 'latency' or 'resource', not strategy={strategy!r}")
    rf = int(reuse_factor)
    if rf <= n_in:
        # dense_resource_rf_leq_nin: the outer loop runs over ir, visiting inputs ir, ir+rf, ir+2rf, ...
        order = sorted(range(n_in), key=lambda i: (i % rf, i // rf))
        return np.tile(np.array(order), (n_out, 1))
    if rf % n_in == 0:
        # dense_resource_rf_gt_nin_rem0: each output still sees its inputs in natural order.
        return np.tile(base, (n_out, 1))
    rows = [sorted(range(n_in), key=lambda i, o=o: (o * n_in + i) % rf) for o in range(n_out)]
    return np.array(rows)


def _product_range(x_type: FixedType, w: np.ndarray) -> tuple[int, int]:
    if w.size == 0:
        return 0, 0
    wmin, wmax = int(w.min()), int(w.max())
    xmin, xmax = int(x_type.min_raw), int(x_type.max_raw)
    corners = (xmin * wmin, xmin * wmax, xmax * wmin, xmax * wmax)
    return min(corners), max(corners)


def mac(
    x: np.ndarray,
    x_type: FixedType,
    weight: np.ndarray,
    weight_type: FixedType,
    bias: np.ndarray | None,
    bias_type: FixedType | None,
    accum_type: FixedType,
    *,
    order: np.ndarray | None = None,
    tally: Tally | None = None,
) -> np.ndarray:
    """The accumulator of a dense layer, raw on ``accum_type``: x (n, n_in) times weight (n_in, n_out) plus bias.

    ``order`` is :func:`accumulation_order`'s (n_out, n_in) array (``None``: natural order). Returns (n, n_out).
    """
    n, n_in = x.shape
    n_out = weight.shape[1]
    a = accum_type
    lo, hi = int(a.min_raw), int(a.max_raw)
    w_frac = weight_type.frac_bits
    s = x_type.frac_bits + w_frac - a.frac_bits
    pmin, pmax = _product_range(x_type, weight)
    wraps = a.overflow.name == "WRAP" and a.sat_bits == 0

    if bias is None:
        acc0 = np.zeros(n_out, dtype=a.dtype if a.width <= 63 else object)
    else:
        b_tally = Tally() if tally is not None else None
        acc0 = requant(bias, bias_type.frac_bits, a, b_tally)  # type: ignore[union-attr]
        if tally is not None and b_tally is not None:
            tally.add(b_tally.count * n)
    a0min = int(acc0.min()) if n_out else 0
    a0max = int(acc0.max()) if n_out else 0

    # Products that accum_t holds exactly: q = p << -s, no rounding and no overflow.
    exact_products = s <= 0 and lo <= (pmin << -s) and (pmax << -s) <= hi
    if exact_products:
        mmin, mmax = pmin << -s, pmax << -s
    else:
        # Bounds on the quantised products (rounding adds at most one LSB; overflow keeps them in [lo, hi]).
        mmin, mmax = (pmin >> s, (pmax >> s) + 1) if s > 0 else (pmin << -s, pmax << -s)
        mmin, mmax = max(lo, mmin), min(hi, mmax)
        if wraps:
            mmin, mmax = lo, hi
    # Every running sum stays in range, so neither wrapping nor saturation can happen while accumulating.
    sums_in_range = a0min + n_in * min(mmin, 0) >= lo and a0max + n_in * max(mmax, 0) <= hi

    if exact_products and (wraps or sums_in_range):
        wq = weight if s == 0 else as_exact(weight, fit_dtype(raw_bound(weight_type) << -s)) << -s
        total = _matmul(x, x_type, wq, max(abs(pmin), abs(pmax)) << -s, n_in)
        if sums_in_range:
            return _narrow_to(acc0 + total, a)
        acc = acc0 + total
        if tally is not None:
            tally.add(_wrap_events_matmul(x, wq, acc0, a))
        return _narrow_to(wrap(acc, a.width, a.signed), a)

    # General path: per-product quantisation, chunked over the batch.
    pbound = max(abs(pmin), abs(pmax))
    if pbound.bit_length() <= 31 and s >= 0:
        pdtype: np.dtype = np.dtype(np.int32)
    else:
        pdtype = fit_dtype(pbound if s >= 0 else pbound << -s)
    chunk = max(1, _CHUNK_ELEMENTS // max(1, n_in * n_out))
    out = np.empty((n, n_out), dtype=np.int64 if a.width <= 63 else object)
    xw = as_exact(x, pdtype)
    ww = as_exact(weight, pdtype)
    natural = order is None or bool(np.all(order == np.arange(n_in)))
    # Sum dtype for the modular path: int64 unless the products are exact ints.
    for start in range(0, n, chunk):
        xc = xw[start : start + chunk]
        p = xc[:, :, None] * ww[None, :, :]
        if wraps:
            if s > 0:
                m = _quantize(p, s, a.quantization.name)
            elif s < 0:
                m = p << -s
            else:
                m = p
            if tally is None:
                total = m.sum(axis=1, dtype=np.int64 if m.dtype != object else object)
                out[start : start + chunk] = wrap(acc0 + total, a.width, a.signed)
            else:
                m = m.astype(np.int64) if m.dtype == np.int32 else m
                mo = wrap(m, a.width, a.signed)
                tally.add(int(np.count_nonzero(mo != m)))
                out[start : start + chunk] = _accumulate_wrap_counting(mo, acc0, a, tally)
        else:
            m = requant(p, x_type.frac_bits + w_frac, a, tally)
            if sums_in_range:
                out[start : start + chunk] = acc0 + m.sum(axis=1)
            else:
                out[start : start + chunk] = _accumulate_sequential(m, acc0, a, order, natural, tally)
    return out


def _narrow_to(v: np.ndarray, t: FixedType) -> np.ndarray:
    if t.width <= 63:
        return np.asarray(v).astype(np.int64)
    return as_exact(v, np.dtype(object))


def _matmul(x: np.ndarray, x_type: FixedType, w: np.ndarray, pbound: int, n_in: int) -> np.ndarray:
    # |partial sum| <= n_in * max|x*w|: pick the cheapest exact arithmetic for that bound.
    bound = n_in * pbound
    if bound < (1 << 53) and x.dtype != object and w.dtype != object:
        return (x.astype(np.float64) @ w.astype(np.float64)).astype(np.int64)
    if bound.bit_length() <= 62 and x.dtype != object and w.dtype != object:
        return x.astype(np.int64) @ w.astype(np.int64)
    return as_exact(x, np.dtype(object)) @ as_exact(w, np.dtype(object))


def _wrap_events_matmul(x: np.ndarray, w: np.ndarray, acc0: np.ndarray, a: FixedType) -> int:
    # Counting wraps of the running sum needs the per-input partial sums; only used when a tally is requested.
    count = 0
    n_in = x.shape[1]
    chunk = max(1, _CHUNK_ELEMENTS // max(1, n_in * w.shape[1]))
    dt = np.dtype(np.int64) if x.dtype != object and w.dtype != object else np.dtype(object)
    for start in range(0, x.shape[0], chunk):
        p = as_exact(x[start : start + chunk], dt)[:, :, None] * as_exact(w, dt)[None]
        count += _wrap_event_count(p, acc0, a)
    return count


def _wrap_event_count(m: np.ndarray, acc0: np.ndarray, a: FixedType) -> int:
    # With a wrapping accumulator, step k overflows exactly when floor((S_k - lo) / 2**W) changes, where S_k is the
    # unwrapped running sum (acc0 already in range, the m's already on accum_t).
    lo = int(a.min_raw)
    s = np.cumsum(m, axis=1) + acc0[None, None, :]
    c = (s - lo) >> a.width
    return int(np.count_nonzero(c[:, 0, :])) + int(np.count_nonzero(c[:, 1:, :] != c[:, :-1, :]))


def _accumulate_wrap_counting(m: np.ndarray, acc0: np.ndarray, a: FixedType, tally: Tally) -> np.ndarray:
    tally.add(_wrap_event_count(m, acc0, a))
    return wrap(acc0 + m.sum(axis=1), a.width, a.signed)


def _accumulate_sequential(
    m: np.ndarray, acc0: np.ndarray, a: FixedType, order: np.ndarray | None, natural: bool, tally: Tally | None
) -> np.ndarray:
    # Saturating accumulator: acc = accum_t(acc + m) after every add, in the C++ order.
    n, n_in, n_out = m.shape
    acc = np.broadcast_to(acc0, (n, n_out)).copy()
    cols = np.arange(n_out)
    for k in range(n_in):
        term = m[:, k, :] if natural else m[:, order[:, k], cols]  # type: ignore[index]
        acc = requant(acc + term, a.frac_bits, a, tally)
    return acc


def dense(
    x: Any,
    *,
    x_type: FixedType,
    weight: Any,
    weight_type: FixedType,
    bias: Any | None,
    bias_type: FixedType | None,
    accum_type: FixedType,
    result_type: FixedType,
    strategy: str = "latency",
    reuse_factor: int = 1,
    tally: Tally | None = None,
) -> np.ndarray:
    """hls4ml Dense on the last axis: ``res_t(accum_t(bias) + sum_i accum_t(x_i * w_ij))``, raw in, raw out.

    Parameters
    ----------
    x : array of raw integers on ``x_type``, shape (N, ..., n_in)
    weight : raw integers on ``weight_type``, shape (n_in, n_out) (the Keras kernel layout)
    bias : raw integers on ``bias_type``, shape (n_out,), or None
    accum_type, result_type : the layer's accum_t and result_t
    strategy, reuse_factor : the accumulation order ("latency" or "resource"); matters only for SAT accumulators
    tally : a :class:`Tally` that receives the number of values that wrapped or saturated

    Returns
    -------
    numpy.ndarray
        raw integers on ``result_type``, shape (N, ..., n_out)

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> t = FixedType.parse("ap_fixed<8,4>")
    >>> x = np.array([[16, -8]])          # 1.0, -0.5
    >>> w = np.array([[32], [16]])        # 2.0, 1.0
    >>> dense(x, x_type=t, weight=w, weight_type=t, bias=np.array([8]), bias_type=t,
    ...       accum_type=FixedType.parse("ap_fixed<16,8>"), result_type=t).tolist()
    [[32]]
    """
    xr = np.asarray(x)
    w = np.asarray(weight)
    if w.ndim != 2 or xr.shape[-1] != w.shape[0]:
        raise InvalidArgument(
            f"Dense weight shape {w.shape} does not match the input's last axis: x.shape={xr.shape}"
        )
    lead = xr.shape[:-1]
    x2 = xr.reshape(-1, w.shape[0])
    order = None
    if strategy != "latency" and reuse_factor > 1:
        order = accumulation_order(w.shape[0], w.shape[1], strategy=strategy, reuse_factor=reuse_factor)
    acc = mac(
        x2, x_type, w, weight_type, None if bias is None else np.asarray(bias), bias_type, accum_type,
        order=order, tally=tally,
    )
    res = requant(acc, accum_type.frac_bits, result_type, tally)
    return res.reshape(*lead, w.shape[1])


def _im2col(x: np.ndarray, kernel: tuple[int, ...], strides: tuple[int, ...], pads: tuple[int, ...]) -> np.ndarray:
    # x: (N, *spatial, C); pads: (before, after) per spatial axis. Returns (N, *out_spatial, prod(kernel) * C) with
    # the patch flattened in (k..., c) order, as hls4ml's generated fill_buffer does.
    nd = len(kernel)
    pad_width = [(0, 0)] + [(pads[2 * i], pads[2 * i + 1]) for i in range(nd)] + [(0, 0)]
    xp = np.pad(x, pad_width)
    out_sizes = [(xp.shape[1 + i] - kernel[i]) // strides[i] + 1 for i in range(nd)]
    cols = []
    for offs in np.ndindex(*kernel):
        sl = tuple(slice(offs[i], offs[i] + strides[i] * (out_sizes[i] - 1) + 1, strides[i]) for i in range(nd))
        cols.append(xp[(slice(None), *sl, slice(None))])
    patches = np.stack(cols, axis=-2)  # (N, *out, prod(kernel), C)
    return patches.reshape(*patches.shape[:-2], -1)


def _conv(
    x: Any,
    nd: int,
    *,
    x_type: FixedType,
    weight: Any,
    weight_type: FixedType,
    bias: Any | None,
    bias_type: FixedType | None,
    accum_type: FixedType,
    result_type: FixedType,
    strides: tuple[int, ...],
    pads: tuple[int, ...],
    tally: Tally | None,
) -> np.ndarray:
    xr = np.asarray(x)
    w = np.asarray(weight)
    if xr.ndim != nd + 2 or w.ndim != nd + 2 or w.shape[nd] != xr.shape[-1]:
        raise InvalidArgument(
            f"Conv{nd}D weight shape {w.shape} does not match the input: x.shape={xr.shape} (expected channels last)"
        )
    kernel = tuple(w.shape[:nd])
    cols = _im2col(xr, kernel, strides, pads)
    w2 = w.reshape(-1, w.shape[-1])
    return dense(
        cols, x_type=x_type, weight=w2, weight_type=weight_type, bias=bias, bias_type=bias_type,
        accum_type=accum_type, result_type=result_type, tally=tally,
    )


def conv1d(
    x: Any,
    *,
    x_type: FixedType,
    weight: Any,
    weight_type: FixedType,
    bias: Any | None,
    bias_type: FixedType | None,
    accum_type: FixedType,
    result_type: FixedType,
    stride: int = 1,
    pad_left: int = 0,
    pad_right: int = 0,
    tally: Tally | None = None,
) -> np.ndarray:
    """hls4ml Conv1D (io_parallel, latency, channels last): im2col then the Dense arithmetic per output pixel.

    ``x`` is (N, width, c_in) raw on ``x_type``; ``weight`` is (k, c_in, n_filt). Padding is explicit zeros on each
    side (hls4ml computes ``pad_left``/``pad_right`` for padding="same"). Returns (N, out_width, n_filt).
    """
    return _conv(
        x, 1, x_type=x_type, weight=weight, weight_type=weight_type, bias=bias, bias_type=bias_type,
        accum_type=accum_type, result_type=result_type, strides=(stride,), pads=(pad_left, pad_right), tally=tally,
    )


def conv2d(
    x: Any,
    *,
    x_type: FixedType,
    weight: Any,
    weight_type: FixedType,
    bias: Any | None,
    bias_type: FixedType | None,
    accum_type: FixedType,
    result_type: FixedType,
    strides: tuple[int, int] = (1, 1),
    pads: tuple[int, int, int, int] = (0, 0, 0, 0),
    tally: Tally | None = None,
) -> np.ndarray:
    """hls4ml Conv2D (io_parallel, latency, channels last): im2col in (kh, kw, c) order, then Dense per pixel.

    ``x`` is (N, height, width, c_in); ``weight`` is (kh, kw, c_in, n_filt); ``pads`` is (top, bottom, left, right).
    Returns (N, out_height, out_width, n_filt).
    """
    return _conv(
        x, 2, x_type=x_type, weight=weight, weight_type=weight_type, bias=bias, bias_type=bias_type,
        accum_type=accum_type, result_type=result_type, strides=tuple(strides), pads=tuple(pads), tally=tally,
    )
