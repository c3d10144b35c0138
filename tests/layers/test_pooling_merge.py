"""Pooling, merges and batchnorm: hand-checked cases for the C++ quirks (padding values, truncating division,
per-add accumulator quantisation, exact merges with one cast)."""

from __future__ import annotations

import numpy as np
import pytest

from fwparity.errors import InvalidArgument
from fwparity.fixed import FixedType
from fwparity.layers import (
    Tally,
    avg_pool,
    batchnorm,
    concatenate,
    dot,
    global_avg_pool,
    global_max_pool,
    max_pool,
    merge,
)


def T(s: str) -> FixedType:
    return FixedType.parse(s)


I8 = T("ap_fixed<8,8>")  # integers, so the arithmetic reads plainly


def test_max_pool_padding_is_the_most_negative_value() -> None:
    x = np.array([[[-100], [-50], [-7]]])
    out = max_pool(x, x_type=I8, result_type=I8, pool=2, strides=2, pads=(0, 1))
    assert out.tolist() == [[[-50], [-7]]]


def test_max_pool_unsigned_padding_is_the_top_bit() -> None:
    # pad_val sets bit W-1: for ap_ufixed that is +2**(W-1), which wins the max (a real quirk of the header)
    u = T("ap_ufixed<8,8>")
    out = max_pool(np.array([[[3], [5], [7]]]), x_type=u, result_type=u, pool=2, strides=2, pads=(0, 1))
    assert out.tolist() == [[[5], [128]]]


def test_max_pool_goes_through_accum() -> None:
    out = max_pool(
        np.array([[[100], [90]]]), x_type=I8, result_type=I8, pool=2, accum_type=T("ap_fixed<6,6>")
    )
    assert out.tolist() == [[[-28]]]  # 100 wraps in ap_fixed<6,6> (mod 64: 36, read signed: -28)


def test_avg_pool_divides_by_the_overlap_truncating_toward_zero() -> None:
    x = np.array([[[-7], [0], [5]]])
    # windows [-7, 0] -> -3.5 -> -3 ; [5, pad] -> 5 / 1 = 5 (count_pad false)
    out = avg_pool(x, x_type=I8, accum_type=I8, result_type=I8, pool=2, strides=2, pads=(0, 1))
    assert out.tolist() == [[[-3], [5]]]
    counted = avg_pool(
        x, x_type=I8, accum_type=I8, result_type=I8, pool=2, strides=2, pads=(0, 1), count_pad=True
    )
    assert counted.tolist() == [[[-3], [2]]]


def test_avg_pool_saturates_each_add() -> None:
    acc = T("ap_fixed<8,8,AP_TRN,AP_SAT>")
    tally = Tally()
    out = avg_pool(
        np.array([[[100], [100], [-100], [-100]]]),
        x_type=I8,
        accum_type=acc,
        result_type=I8,
        pool=4,
        tally=tally,
    )
    # 100 + 100 -> 127; 127 - 100 = 27; 27 - 100 = -73; -73 / 4 = -18.25 -> -18
    assert out.tolist() == [[[-18]]]
    assert tally.count == 1


def test_avg_pool_2d_same_padding_corner() -> None:
    x = np.arange(9).reshape(1, 3, 3, 1)
    out = avg_pool(x, x_type=I8, accum_type=I8, result_type=I8, pool=2, strides=2, pads=(0, 1, 0, 1))
    # windows: [0,1,3,4] -> 2; [2,5] -> 3; [6,7] -> 6; [8] -> 8
    assert out[0, :, :, 0].tolist() == [[2, 3], [6, 8]]


def test_global_pools() -> None:
    x = np.array([[[1, -4], [2, -5], [4, -6]]])
    assert global_max_pool(x, x_type=I8, result_type=I8).tolist() == [[4, -4]]
    assert global_avg_pool(x, x_type=I8, accum_type=I8, result_type=I8).tolist() == [[2, -5]]


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        pytest.param("add", [[3 * 4 + 1]], id="add"),  # 3.0 + 0.25 at F = 2
        pytest.param("subtract", [[3 * 4 - 1]], id="subtract"),
        pytest.param("multiply", [[3]], id="multiply"),  # 0.75 at F = 2
        pytest.param("average", [[6]], id="average"),  # 1.625 floored to F = 2: 1.5
        pytest.param("maximum", [[12]], id="maximum"),
        pytest.param("minimum", [[1]], id="minimum"),
    ],
)
def test_merge_ops(op: str, expected: list[list[int]]) -> None:
    a_t, b_t, r_t = T("ap_fixed<8,8>"), T("ap_fixed<8,6>"), T("ap_fixed<10,8>")
    assert (
        merge(op, np.array([[3]]), np.array([[1]]), a_type=a_t, b_type=b_t, result_type=r_t).tolist()
        == expected
    )


def test_merge_repeats_the_shorter_input() -> None:
    out = merge("add", np.array([[1, 2, 3, 4]]), np.array([[10, 20]]), a_type=I8, b_type=I8, result_type=I8)
    assert out.tolist() == [[11, 22, 13, 24]]


def test_concatenate_casts_each_part() -> None:
    out = concatenate([(np.array([[1, 2]]), T("ap_fixed<8,6>")), (np.array([[3]]), I8)], result_type=I8)
    assert out.tolist() == [[0, 0, 3]]


def test_dot_quantises_products_to_accum() -> None:
    acc = T("ap_fixed<8,6>")  # F = 2
    out = dot(
        np.array([[1, 1, 1]]),
        np.array([[1, 1, 1]]),
        a_type=T("ap_fixed<8,6>"),
        b_type=T("ap_fixed<8,6>"),
        accum_type=acc,
        result_type=acc,
    )
    assert out.tolist() == [[0]]  # each 0.25 * 0.25 = 1/16 floors to 0 in accum


def test_batchnorm_per_channel_and_per_element() -> None:
    x = np.array([[[1, 2], [3, 4]]])
    per_channel = batchnorm(
        x,
        x_type=I8,
        scale=np.array([2, 3]),
        scale_type=I8,
        bias=np.array([1, -1]),
        bias_type=I8,
        result_type=I8,
    )
    assert per_channel.tolist() == [[[3, 5], [7, 11]]]
    per_element = batchnorm(
        x,
        x_type=I8,
        scale=np.array([1, 2, 3, 4]),
        scale_type=I8,
        bias=np.zeros(4, dtype=int),
        bias_type=I8,
        result_type=I8,
    )
    assert per_element.tolist() == [[[1, 4], [9, 16]]]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(
            lambda: merge("xor", np.array([[1]]), np.array([[1]]), a_type=I8, b_type=I8, result_type=I8),
            r"^merge op must be one of add, subtract, multiply, average, maximum, minimum, not op='xor'$",
            id="merge-op",
        ),
        pytest.param(
            lambda: max_pool(np.zeros((1, 4, 1), dtype=int), x_type=I8, result_type=I8, pool=(2, 2)),
            r"^pool must have 1 entries, not pool=\(2, 2\)$",
            id="pool-arity",
        ),
        pytest.param(
            lambda: max_pool(np.zeros((1, 2, 1), dtype=int), x_type=I8, result_type=I8, pool=3),
            r"^pool=\(3,\) is larger than the padded input of shape \(2,\)$",
            id="pool-too-large",
        ),
        pytest.param(
            lambda: batchnorm(
                np.zeros((1, 3), dtype=int),
                x_type=I8,
                scale=np.ones(2, dtype=int),
                scale_type=I8,
                bias=np.ones(2, dtype=int),
                bias_type=I8,
                result_type=I8,
            ),
            r"^batchnorm scale has 2 entries, which matches neither the channels nor the elements of "
            r"x.shape=\(1, 3\)$",
            id="batchnorm-shape",
        ),
    ],
)
def test_invalid_calls(call, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        call()
