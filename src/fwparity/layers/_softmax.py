"""Softmax, as hls4ml's nnet_activation.h computes it: stable, latency, legacy and argmax.

The stable and latency variants address their tables with the *top* ceillog2(N) bits of a value's raw pattern
(``softmax_idx_from_real_val``), so the table resolution is set by the type's width, not its fraction. Stable
first subtracts the maximum into ``inp_norm_t`` (ap_ufixed<W-1,I-1> by default, which WRAPS when the spread of
the inputs reaches 2**(I-1): a real hls4ml bug, reproduced here), reads ``exp_table`` into ``accum_t``, sums
with a balanced tree quantising every add to ``accum_t``, assigns the sum to ``inv_inp_t``, reads
``inv_table`` (entry 0 holds 1/0 = inf, saturated or wrapped by ``inv_table_t``), and multiplies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidArgument, UnsupportedLayer
from ._activations import lut_index
from ._quant import Tally, as_exact, fit_dtype, raw_bound, requant, to_int32
from ._tables import _ceillog2, legacy_exp_table, legacy_inv_table, softmax_exp_table, softmax_inv_table

if TYPE_CHECKING:
    from ..fixed import FixedType

__all__ = ["softmax", "top_bits_index", "tree_reduce_add"]


def top_bits_index(raw: np.ndarray, t: FixedType, size: int) -> np.ndarray:
    """``softmax_idx_from_real_val<T, N>``: the top ceillog2(N) bits of the W-bit raw pattern, as an unsigned
    index.

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> top_bits_index(np.array([0, 1, -1, 127, -128]), FixedType.parse("ap_fixed<8,3>"), 4).tolist()
    [0, 0, 3, 1, 2]
    """
    nbits = _ceillog2(size)
    shift = t.width - nbits
    if shift < 0:
        raise UnsupportedLayer(
            f"softmax table of size {size} needs {nbits} address bits but {t} has only {t.width} "
            "(the C++ bit slice is undefined, hls4ml#885)"
        )
    r = np.asarray(raw)
    mask = (1 << nbits) - 1
    idx = (r >> shift) & mask  # arithmetic shift then mask == logical slice of the two's-complement pattern
    return idx.astype(np.int64)


def tree_reduce_add(
    terms: list[np.ndarray], frac: int, accum_type: FixedType, tally: Tally | None
) -> np.ndarray:
    """``nnet::reduce<accum_t, N, Op_add>``: a balanced tree (left part 2**floor(log2(N-1))), every add on
    accum_t.
    """
    n = len(terms)
    if n == 1:
        return terms[0]
    if n == 2:
        return requant(terms[0] + terms[1], frac, accum_type, tally)
    left = 1 << ((n - 1).bit_length() - 1)  # pow2(floorlog2(n - 1))
    a = tree_reduce_add(terms[:left], frac, accum_type, tally)
    b = tree_reduce_add(terms[left:], frac, accum_type, tally)
    return requant(a + b, frac, accum_type, tally)


def _check_index(idx: np.ndarray, size: int, what: str) -> None:
    if idx.size and int(idx.max()) >= size:
        raise UnsupportedLayer(
            f"softmax {what} index {int(idx.max())} reads past the {size}-entry table "
            "(a table size that is not a "
            "power of two makes the C++ read out of bounds)"
        )


def _exp_sum_inv(
    exp_res: np.ndarray,
    accum_type: FixedType,
    inv_inp_type: FixedType,
    inv_table_type: FixedType,
    inv_table_size: int,
    tally: Tally | None,
) -> np.ndarray:
    terms = [exp_res[:, i] for i in range(exp_res.shape[1])]
    exp_sum = tree_reduce_add(terms, accum_type.frac_bits, accum_type, tally)
    exp_sum = requant(exp_sum, accum_type.frac_bits, inv_inp_type, tally)
    inv_table = softmax_inv_table(inv_table_size, inv_inp_type, inv_table_type)
    idx = top_bits_index(exp_sum, inv_inp_type, inv_table_size)
    _check_index(idx, inv_table_size, "inverse-table")
    return inv_table[idx]


def softmax(
    x: Any,
    *,
    x_type: FixedType,
    result_type: FixedType,
    implementation: str = "stable",
    exp_table_type: FixedType | None = None,
    inv_table_type: FixedType | None = None,
    accum_type: FixedType | None = None,
    inv_inp_type: FixedType | None = None,
    inp_norm_type: FixedType | None = None,
    table_type: FixedType | None = None,
    exp_table_size: int = 1024,
    inv_table_size: int = 1024,
    exp_scale: float = 1.0,
    axis: int = -1,
    tally: Tally | None = None,
) -> np.ndarray:
    """hls4ml softmax over ``axis`` of raw integers on ``x_type``.

    The table types default as hls4ml's do: ap_fixed<18,8,AP_RND,AP_SAT> for exp_table_t, inv_table_t and
    accum_t, inv_inp_t = exp_table_t, inp_norm_t = ap_ufixed<W-1,I-1> of a signed input (``table_type``,
    used only by 'legacy', is activ_config's ap_fixed<18,8>). Table sizes must be the ones hls4ml wrote
    into the config (its passes shrink them, e.g. stable's exp table to at most 2**(W-1)).

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> t = FixedType.parse("ap_fixed<16,6>")
    >>> softmax(np.array([[0, 0]]), x_type=t, result_type=t, exp_table_size=512).tolist()  # 0.5, 0.5
    [[512, 512]]
    """
    from ..fixed import FixedType

    xr = np.asarray(x)
    moved = np.moveaxis(xr, axis, -1)
    lead = moved.shape[:-1]
    x2 = moved.reshape(-1, moved.shape[-1])
    default = FixedType.parse("ap_fixed<18,8,AP_RND,AP_SAT>")
    if implementation == "argmax":
        out = _argmax(x2, result_type)
    elif implementation == "legacy":
        out = _legacy(
            x2,
            x_type,
            result_type,
            table_type or FixedType.parse("ap_fixed<18,8>"),
            exp_table_size,
            inv_table_size,
            tally,
        )
    elif implementation in ("stable", "latency"):
        exp_t = exp_table_type or default
        inv_t = inv_table_type or default
        acc_t = accum_type or default
        inv_inp_t = inv_inp_type or exp_t
        if implementation == "stable":
            if inp_norm_type is None:
                s = int(x_type.signed)
                inp_norm_type = FixedType(x_type.width - s, x_type.int_bits - s, signed=False)
            x2 = as_exact(x2, fit_dtype(raw_bound(x_type) * 2))
            x_max = x2.max(axis=1, keepdims=True)
            d = requant(x_max - x2, x_type.frac_bits, inp_norm_type, tally)
            idx = top_bits_index(d, inp_norm_type, exp_table_size)
            table = softmax_exp_table(exp_table_size, inp_norm_type, exp_t, float(exp_scale), True)
        else:
            idx = top_bits_index(x2, x_type, exp_table_size)
            table = softmax_exp_table(exp_table_size, x_type, exp_t, float(exp_scale), False)
        _check_index(idx, exp_table_size, "exp-table")
        exp_res = requant(table[idx], exp_t.frac_bits, acc_t, tally)
        inv = _exp_sum_inv(exp_res, acc_t, inv_inp_t, inv_t, inv_table_size, tally)
        dt = fit_dtype(raw_bound(acc_t) * raw_bound(inv_t))
        prod = as_exact(exp_res, dt) * as_exact(inv, dt)[:, None]
        out = requant(prod, acc_t.frac_bits + inv_t.frac_bits, result_type, tally)
    else:
        raise InvalidArgument(
            "softmax implementation must be one of 'stable', 'latency', 'legacy', 'argmax', "
            f"not implementation={implementation!r}"
        )
    return np.moveaxis(out.reshape(*lead, moved.shape[-1]), -1, axis)


def _argmax(x2: np.ndarray, result_type: FixedType) -> np.ndarray:
    # res[i] = 0; res[first index of the maximum] = (res_t)1
    one = requant(np.array([1]), 0, result_type)[0]
    out = np.zeros(x2.shape, dtype=np.int64 if result_type.width <= 63 else object)
    out[np.arange(x2.shape[0]), np.argmax(x2, axis=1)] = one
    return out


def _legacy(
    x2: np.ndarray,
    x_type: FixedType,
    result_type: FixedType,
    table_type: FixedType,
    exp_size: int,
    inv_size: int,
    tally: Tally | None,
) -> np.ndarray:
    from ..fixed import FixedType

    n = x2.shape[1]
    exp_table = legacy_exp_table(exp_size, table_type)
    inv_table = legacy_inv_table(inv_size, table_type)
    one = requant(np.array([1]), 0, table_type)[0]
    # data_cache[jj] - data_cache[ii] is exact, one bit wider than data_T.
    diff_type = FixedType(x_type.width + 1, x_type.int_bits + 1, signed=True)
    cols = []
    for ii in range(n):
        acc = np.zeros(x2.shape[0], dtype=np.int64)
        for jj in range(n):
            if ii == jj:
                term = np.full(x2.shape[0], one)
            else:
                dr = lut_index(x2[:, jj] - x2[:, ii], diff_type, exp_size, 16)
                idx = np.clip(to_int32(dr + (8 * exp_size) // 16), 0, exp_size - 1)
                term = exp_table[idx]
            acc = requant(acc + term, table_type.frac_bits, table_type, tally)
        cols.append(acc)
    exp_res = np.stack(cols, axis=1)
    idx = np.clip(lut_index(exp_res, table_type, inv_size, 64), 0, inv_size - 1)
    return requant(inv_table[idx], table_type.frac_bits, result_type, tally)
