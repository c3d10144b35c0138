"""Dense, Conv1D and Conv2D: hls4ml's multiply-accumulate, bit for bit (nnet_dense_latency.h,
nnet_dense_resource.h).

What the C++ does (hls4ml 1.3.0, io_parallel)::

    mult[i][j] = accum_t(x[i] * w[i][j])      // every exact product is quantised to accum_t on its own
    acc[j]     = accum_t(bias[j])
    acc[j]    += mult[i][j]  for i in order  // requantised to accum_t after every add
    res[j]     = res_t(acc[j])

The order of the adds matters only for saturating accumulators; for AP_WRAP the adds are modular. Convolutions
are the same arithmetic per output pixel after an im2col whose patch order is (kh, kw, c) with zero padding.

How it is computed is chosen per layer from the types and the weight values, never by luck:

1. If ``F_accum >= F_x + F_w`` and no product can leave accum_t's range, quantising a product does nothing. If
in
   addition the accumulator wraps (AP_WRAP, N=0) or no running sum can leave its range, the layer is one
   integer
   matmul: float64 BLAS when every partial sum is provably below 2**53, int64 when below 2**62, Python ints
   beyond.
2. Otherwise the products are formed per batch chunk as an (n, n_in, n_out) tensor in int32 or int64 (chosen
by the
   bound on |x*w|), quantised with accum_t's rounding, and then summed (AP_WRAP) or accumulated one input
   at a time in
   the C++ order with saturation after each add.
3. Products wider than 62 bits use exact Python-int object arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidArgument
from ._quant import Tally, as_exact, cast, fit_dtype, raw_bound, requant, wrap

if TYPE_CHECKING:
    from ..fixed import FixedType

__all__ = ["dense", "conv1d", "conv2d", "accumulation_order", "mac"]


def accumulation_order(
    n_in: int, n_out: int, *, strategy: str = "latency", reuse_factor: int = 1
) -> np.ndarray:
    """The order in which each output's accumulator receives its products, as an (n_out, n_in) array of
    inputs.

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
    # dense_resource_rf_gt_nin: output o receives input i at reuse step (o * n_in + i) % rf.
    rows = [sorted(range(n_in), key=lambda i: (o * n_in + i) % rf) for o in range(n_out)]  # noqa: B023
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
    """The accumulator of a dense layer, raw on ``accum_type``: x (n, n_in) times weight (n_in, n_out) plus
    bias.

    ``order`` is :func:`accumulation_order`'s (n_out, n_in) array (``None``: natural order). Returns (n,
    n_out). Internally the batch is the *last* axis ("feature-major"): every numpy call then runs a long
    contiguous inner loop over events with a scalar weight, which is several times faster than the (n,
    n_in, n_out) product tensor.
    """
    n, n_in = x.shape
    n_out = weight.shape[1]
    a = accum_type
    lo, hi = int(a.min_raw), int(a.max_raw)
    s = x_type.frac_bits + weight_type.frac_bits - a.frac_bits
    pmin, pmax = _product_range(x_type, weight)
    wraps = a.overflow.name == "WRAP" and a.sat_bits == 0
    if order is not None and bool(np.all(order == np.arange(n_in))):
        order = None

    if bias is None:
        acc0 = np.zeros(n_out, dtype=np.int64 if a.width <= 63 else object)
    else:
        b_tally = Tally() if tally is not None else None
        acc0 = requant(bias, bias_type.frac_bits, a, b_tally)  # type: ignore[union-attr]
        if tally is not None and b_tally is not None:
            tally.add(b_tally.count * n)
    a0 = max((abs(int(v)) for v in acc0), default=0)

    # Bounds on a quantised product: rounding adds at most one LSB; overflow handling keeps it in [lo, hi].
    qmin, qmax = (pmin >> s, (pmax >> s) + 1) if s > 0 else (pmin << -s, pmax << -s)
    products_fit = lo <= qmin and qmax <= hi
    exact_products = s <= 0 and products_fit
    if not products_fit:
        qmin, qmax = lo, hi
    # Every running sum provably stays in range: no wrapping or saturation while accumulating, any order.
    sums_in_range = -a0 + n_in * min(qmin, 0) >= lo and a0 + n_in * max(qmax, 0) <= hi

    if exact_products and (wraps or sums_in_range):
        wq = weight if s == 0 else as_exact(weight, fit_dtype(raw_bound(weight_type) << -s)) << -s
        total = _matmul(x, wq, max(abs(pmin), abs(pmax)) << -s, n_in)
        if sums_in_range:
            return _narrow_to(acc0 + total, a)
        if tally is not None:
            tally.add(_screened_count(x, x_type, weight, acc0, a, s, order, products_fit))
        return _narrow_to(wrap(acc0 + total, a.width, a.signed), a)

    lowbits = _lowbits_dtype(x, weight, s, a, n_in, pmin, pmax, a0) if wraps else None
    if lowbits is not None:
        # Modular accumulation: the order does not matter for the value, only for counting (replayed
        # in order).
        # With a tally, the BLAS matmul also yields the first overflow screen (see _screened_count).
        wmax = np.abs(weight).max(axis=1) if tally is not None else None
        accT, xfT, screen = _quantized_sum(x, weight, s, a, lowbits, acc0, pmin, pmax, wmax)
        if tally is not None:
            tally.add(_screened_count(x, x_type, weight, acc0, a, s, order, products_fit, xfT, screen))
        return accT.T

    accT = _mac_loop(
        x, x_type, weight, weight_type, acc0, a, order, tally, per_step=not (wraps or sums_in_range)
    )
    if wraps and tally is None:
        accT = wrap(accT, a.width, a.signed)
    return _narrow_to(accT.T, a)


def _feature_major(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    return np.ascontiguousarray(as_exact(x, dtype).T)


def _mac_loop(
    x: np.ndarray,
    x_type: FixedType,
    w: np.ndarray,
    w_type: FixedType,
    acc0: np.ndarray,
    a: FixedType,
    order: np.ndarray | None,
    tally: Tally | None,
    *,
    per_step: bool,
) -> np.ndarray:
    """The C++ loop, one input at a time over the whole batch: (n_out, n) accumulators, exact for any types.

    Each step forms the products of one input (per output, the input that output's order visits at that
    step), quantises them to accum_t with full Q/O (counting), and adds. ``per_step`` requantises the
    running sum after every add (needed for saturating accumulators that can leave their range); for a
    wrapping accumulator without a tally the wrap is applied once by the caller, and with a tally every
    step is wrapped and counted.
    """
    n, n_in = x.shape
    n_out = w.shape[1]
    f_p = x_type.frac_bits + w_type.frac_bits
    pb = raw_bound(x_type) * max(1, int(np.abs(w).max(initial=0)))
    dt = fit_dtype(pb + (raw_bound(a) << 1) * (n_in + 1))
    xT = _feature_major(x, dt)
    wd = as_exact(w, dt)
    acc = np.empty((n_out, n), dtype=dt)
    acc[...] = as_exact(acc0, dt)[:, None]
    wraps = a.overflow.name == "WRAP" and a.sat_bits == 0
    cols = np.arange(n_out)
    for k in range(n_in):
        if order is None:
            p = wd[k][:, None] * xT[k][None, :]
        else:
            p = wd[order[:, k], cols][:, None] * xT[order[:, k]]
        m = requant(p, f_p, a, tally, bound=pb)
        acc = acc + m
        if per_step or (wraps and tally is not None):
            acc = requant(acc, a.frac_bits, a, tally)
    return acc


#: int16 elements per buffer in the low-bits kernel. Measured on the jet tagger: blocking the events to fit L2
#: (2**14-2**16) was 20-30% slower than one block per emulate chunk, as numpy's per-call overhead dominates.
_L2_ELEMENTS = 1 << 22


def _lowbits_dtype(
    x: np.ndarray, w: np.ndarray, s: int, a: FixedType, n_in: int, pmin: int, pmax: int, a0: int
) -> np.dtype | None:
    # The low-bits formulation needs: floor-type rounding (TRN, or RND = floor(p + half)), 0 < s <= 31,
    # int64 data and result, and every |partial sum| of the float64 BLAS matmul (products, n_in halves and
    # the bias shifted to the products' scale) < 2**53 so that it is exact.
    mode = a.quantization.name
    if mode not in ("TRN", "RND") or not 0 < s <= 31 or x.dtype == object or w.dtype == object:
        return None
    if a.width > 63 or n_in * (max(abs(pmin), abs(pmax)) + (1 << s)) + (a0 << s) >= 1 << 53:
        return None
    return np.dtype(np.int16) if s <= 15 else np.dtype(np.int32)


def _quantized_sum(
    x: np.ndarray,
    w: np.ndarray,
    s: int,
    a: FixedType,
    low: np.dtype,
    acc0: np.ndarray,
    pmin: int,
    pmax: int,
    wmax: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """acc0_j + Σ_i floor((x_i w_ij + h) / 2**s), exactly, without forming the products in full, wrapped to
    the wrapping accumulator ``a``.

    Returns that sum feature-major, (n_out, n) int64; x as float64 (n_in, n), which the
    overflow screening reuses; and, when ``wmax`` (max_j |w_ij|) is given and x has no negative value (the
    usual case after a ReLU), Σ_i |x_i| wmax_i per event, the screening's first bound, from one extra row of
    the same matmul (else None).

    floor((p + h) / 2**s) = ((p + h) - ((p + h) mod 2**s)) / 2**s, so the sum is (Σp + n h - Σr) / 2**s
    with r = (p + h) mod 2**s. Σp + n h + acc0 2**s is one float64 BLAS matmul (x gets a column of ones whose
    weight is the constant): exact, since every partial sum is a multiple of 2**0 below 2**53, and so is the
    division by 2**s at the end (the numerator is a multiple of 2**s). r depends only on the low 16 (or 32)
    bits of x and w, so it is computed with wrapping int16 (int32) multiplies and accumulated in uint16
    (uint32) over as many inputs as cannot carry out: 2-4x less memory traffic than int64 products.
    """
    n, n_in = x.shape
    n_out = w.shape[1]
    bits = low.itemsize * 8
    mask = (1 << s) - 1
    h = (1 << (s - 1)) if a.quantization.name == "RND" else 0
    half = 1 << (a.width - 1) if a.signed else 0
    a0 = max((abs(int(v)) for v in acc0), default=0)
    # The float-to-int trick (see the end) needs |numerator| < 2**51 and the accumulator's bits clear of the
    # magic constant's after the shift.
    magic = a.width + s <= 51 and n_in * (max(abs(pmin), abs(pmax)) + (1 << s)) + ((a0 + half) << s) < 1 << 51
    const = _MAGIC + (half << s) if magic else 0
    unsigned = np.dtype(f"uint{bits}")
    # Feature-major float copy of x with a row of ones; the transposed copy reads x in its memory order when
    # the previous layer returned a feature-major (transposed) array.
    xfT = np.empty((n_in + 1, n), dtype=np.float64)
    xfT[:n_in] = x.T
    xfT[n_in] = 1.0
    screen_row = wmax is not None and n > 0 and int(x.min()) >= 0
    wf = np.zeros((n_out + screen_row, n_in + 1), dtype=np.float64)
    wf[:n_out, :n_in] = w.T
    wf[:n_out, n_in] = [float(const + n_in * h + (int(v) << s)) for v in acc0]
    if screen_row:
        wf[n_out, :n_in] = wmax
    full = wf @ xfT  # (n_out [+ 1], n) float64, exact
    total = full[:n_out]
    xl = np.array(x.T, dtype=low, order="C")  # wraps: only the low bits matter
    wl = w.astype(low)
    group = ((1 << bits) - 1) // mask
    hl = low.type(h - (1 << bits) if h >= 1 << (bits - 1) else h)
    ml = low.type(mask)
    buf = np.empty((n_out, n), dtype=low)
    acc = np.empty((n_out, n), dtype=unsigned)
    for g0 in range(0, n_in, group):
        for i in range(g0, min(n_in, g0 + group)):
            np.multiply(wl[i][:, None], xl[i][None, :], out=buf)
            if h:
                np.add(buf, hl, out=buf)
            if i == g0:  # the group's first residues start the sum: no zero fill, no add
                np.bitwise_and(buf, ml, out=acc.view(low))
                continue
            np.bitwise_and(buf, ml, out=buf)
            np.add(acc, buf.view(unsigned), out=acc)
        np.subtract(total, acc, out=total)
    screen = full[n_out] if screen_row else None
    if magic:
        # total = 1.5 * 2**52 + v (v: the numerator plus the wrap's half << s, |v| < 2**51) is an integer in
        # (2**52, 2**53), whose bit pattern is 0x4338000000000000 + v; that constant's low 51 bits are zero,
        # so (bits >> s) & mask is (v / 2**s) mod 2**W exactly: no float-to-int conversion pass.
        q = total.view(np.int64)
        np.right_shift(q, s, out=q)
        _wrap_inplace(q, a.width, a.signed, half_added=True)
        return q, xfT[:n_in], screen
    np.multiply(total, 2.0**-s, out=total)  # exact: a multiple of 2**s divided by 2**s
    return _wrap_inplace(total.astype(np.int64), a.width, a.signed), xfT[:n_in], screen


#: 1.5 * 2**52: adding it to an integer-valued float64 v with |v| < 2**51 puts v in the low mantissa bits.
_MAGIC = 3 << 51


def _wrap_inplace(q: np.ndarray, width: int, signed: bool, *, half_added: bool = False) -> np.ndarray:
    # wrap() without temporaries, on an int64 array this module owns.
    mask = np.int64((1 << width) - 1) if width < 64 else None
    if mask is None:
        return q
    if signed:
        half = np.int64(1 << (width - 1))
        if not half_added:
            np.add(q, half, out=q)
        np.bitwise_and(q, mask, out=q)
        np.subtract(q, half, out=q)
        return q
    np.bitwise_and(q, mask, out=q)
    return q


def _screened_count(
    x: np.ndarray,
    x_type: FixedType,
    w: np.ndarray,
    acc0: np.ndarray,
    a: FixedType,
    s: int,
    order: np.ndarray | None,
    products_fit: bool,
    xfT: np.ndarray | None = None,
    screen: np.ndarray | None = None,
) -> int:
    """Overflow events of a wrapping accumulator, counted exactly, but replayed only where they are possible.

    A running sum can leave accum_t only if Σ|x_i w_ij| / 2**s + n_in + |acc0| exceeds its range. A float64
    matrix-vector product of |x| with max_j |w_ij| bounds that for all outputs of an event at once; the events
    it cannot clear get the per-output bound (a matmul on those rows only). A product can overflow only if
    |x_i| max_j |w_ij| / 2**s + 1 leaves the range. The remaining events are replayed add by add in C++ order.
    Bounds are compared in raw units (times 2**s) with a relative margin of 2**-40, so float64 rounding of
    very large bounds can only flag more events, never fewer.
    """
    lo, hi = int(a.min_raw), int(a.max_raw)
    n_in = x.shape[1]
    aw = np.abs(w).astype(np.float64)
    wmax = aw.max(axis=1)
    scale = 2.0**s * (1.0 - 2.0**-40)
    lim = (min(hi, -lo) - max((abs(int(v)) for v in acc0), default=0) - n_in) * scale
    if screen is not None and products_fit:
        # Σ_i |x_i| wmax_i, already computed by the caller's matmul: no pass over x here.
        suspect = screen > lim
        axT = None
    else:
        # |x| feature-major (n_in, n) in float64, from the caller's float copy when there is one.
        axT = np.abs(xfT) if xfT is not None else np.abs(x.T).astype(np.float64)
        suspect = wmax @ axT > lim
        if not products_fit:
            suspect |= (axT * wmax[:, None]).max(axis=0, initial=0) > (min(hi, -lo) - 1) * scale
    rows = np.flatnonzero(suspect)
    if rows.size and products_fit:
        sub = np.abs(x[rows].T).astype(np.float64) if axT is None else axT[:, rows]
        rows = rows[(aw.T @ sub > lim).any(axis=0)]
    if rows.size == 0:
        return 0
    t = Tally()
    _mac_loop(x[rows], x_type, w, _wtype_for(s, x_type, a), acc0, a, order, t, per_step=False)
    return t.count


def _wtype_for(s: int, x_type: FixedType, a: FixedType) -> FixedType:
    # _mac_loop only reads a weight type's fractional bits; rebuild one with F_w = s + F_a - F_x.
    from ..fixed import FixedType

    f_w = s + a.frac_bits - x_type.frac_bits
    return FixedType(64, 64 - f_w)


def _narrow_to(v: np.ndarray, t: FixedType) -> np.ndarray:
    if t.width <= 63:
        return np.asarray(v).astype(np.int64, copy=False)
    return as_exact(v, np.dtype(object))


def _matmul(x: np.ndarray, w: np.ndarray, pbound: int, n_in: int) -> np.ndarray:
    # |partial sum| <= n_in * max|x*w|: pick the cheapest exact arithmetic for that bound.
    bound = n_in * pbound
    if bound < (1 << 53) and x.dtype != object and w.dtype != object:
        return (x.astype(np.float64) @ w.astype(np.float64)).astype(np.int64)
    if bound.bit_length() <= 62 and x.dtype != object and w.dtype != object:
        return x.astype(np.int64) @ w.astype(np.int64)
    return as_exact(x, np.dtype(object)) @ as_exact(w, np.dtype(object))


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
    strategy, reuse_factor : the accumulation order ("latency" or "resource"); matters only for SAT
    accumulators
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
        x2,
        x_type,
        w,
        weight_type,
        None if bias is None else np.asarray(bias),
        bias_type,
        accum_type,
        order=order,
        tally=tally,
    )
    res = cast(acc, accum_type, result_type, tally)
    return res.reshape(*lead, w.shape[1])


def _im2col(
    x: np.ndarray, kernel: tuple[int, ...], strides: tuple[int, ...], pads: tuple[int, ...]
) -> np.ndarray:
    # x: (N, *spatial, C); pads: (before, after) per spatial axis. Returns (N, *out_spatial,
    # prod(kernel) * C) with the patch flattened in (k..., c) order, as hls4ml's generated fill_buffer
    # does.
    nd = len(kernel)
    pad_width = [(0, 0)] + [(pads[2 * i], pads[2 * i + 1]) for i in range(nd)] + [(0, 0)]
    xp = np.pad(x, pad_width)
    out_sizes = [(xp.shape[1 + i] - kernel[i]) // strides[i] + 1 for i in range(nd)]
    cols = []
    for offs in np.ndindex(*kernel):
        sl = tuple(
            slice(offs[i], offs[i] + strides[i] * (out_sizes[i] - 1) + 1, strides[i]) for i in range(nd)
        )
        cols.append(xp[(slice(None),) + sl + (slice(None),)])
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
            f"Conv{nd}D weight shape {w.shape} does not match the input: x.shape={xr.shape} "
            "(expected channels last)"
        )
    kernel = tuple(w.shape[:nd])
    cols = _im2col(xr, kernel, strides, pads)
    w2 = w.reshape(-1, w.shape[-1])
    return dense(
        cols,
        x_type=x_type,
        weight=w2,
        weight_type=weight_type,
        bias=bias,
        bias_type=bias_type,
        accum_type=accum_type,
        result_type=result_type,
        tally=tally,
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

    ``x`` is (N, width, c_in) raw on ``x_type``; ``weight`` is (k, c_in, n_filt). Padding is explicit
    zeros on each side (hls4ml computes ``pad_left``/``pad_right`` for padding="same"). Returns (N,
    out_width, n_filt).

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> t = FixedType.parse("ap_fixed<16,16>")
    >>> x, w = np.array([[[1], [2], [3]]]), np.array([[[1]], [[10]], [[100]]])
    >>> out = conv1d(x, x_type=t, weight=w, weight_type=t, bias=None, bias_type=None, accum_type=t,
    ...              result_type=t, pad_left=1, pad_right=1)
    >>> out[0, :, 0].tolist()
    [210, 321, 32]
    """
    return _conv(
        x,
        1,
        x_type=x_type,
        weight=weight,
        weight_type=weight_type,
        bias=bias,
        bias_type=bias_type,
        accum_type=accum_type,
        result_type=result_type,
        strides=(stride,),
        pads=(pad_left, pad_right),
        tally=tally,
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

    ``x`` is (N, height, width, c_in); ``weight`` is (kh, kw, c_in, n_filt); ``pads`` is (top, bottom,
    left, right). Returns (N, out_height, out_width, n_filt).
    """
    return _conv(
        x,
        2,
        x_type=x_type,
        weight=weight,
        weight_type=weight_type,
        bias=bias,
        bias_type=bias_type,
        accum_type=accum_type,
        result_type=result_type,
        strides=tuple(strides),
        pads=tuple(pads),
        tally=tally,
    )
