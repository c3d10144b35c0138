"""Softmax: table addressing, the balanced reduction tree, inp_norm_t wrapping and each implementation by
hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from fwparity.errors import InvalidArgument, UnsupportedLayer
from fwparity.fixed import FixedType
from fwparity.layers import (
    Tally,
    softmax,
    softmax_exp_table,
    softmax_inv_table,
    top_bits_index,
    tree_reduce_add,
)


def T(s: str) -> FixedType:
    return FixedType.parse(s)


X = T("ap_fixed<16,6>")
DEFAULT = T("ap_fixed<18,8,AP_RND,AP_SAT>")


@pytest.mark.parametrize(
    ("raw", "t", "size", "expected"),
    [
        pytest.param([0, 2**15 - 1, -(2**15)], "ap_fixed<16,6>", 1024, [0, 511, 512], id="signed-top-bits"),
        pytest.param([2**14, 2**14 - 1], "ap_ufixed<15,5>", 1024, [512, 511], id="unsigned"),
        pytest.param([5], "ap_fixed<16,6>", 1, [0], id="one-entry-no-address-bits"),
    ],
)
def test_top_bits_index(raw: list[int], t: str, size: int, expected: list[int]) -> None:
    assert top_bits_index(np.array(raw), T(t), size).tolist() == expected


def test_top_bits_index_refuses_more_bits_than_the_type() -> None:
    with pytest.raises(
        UnsupportedLayer,
        match=r"^softmax table of size 1024 needs 10 address bits but "
        r"ap_fixed<8,3> has only 8 \(the C\+\+ bit slice is undefined, hls4ml#885\)$",
    ):
        top_bits_index(np.array([0]), T("ap_fixed<8,3>"), 1024)


def test_tree_reduce_is_balanced_and_saturates_each_add() -> None:
    # acc <4,4,SAT>: n = 5 reduces as ((e0 + e1) + (e2 + e3)) + e4; 6 + 6 saturates to 7 before -7 comes in
    acc = T("ap_fixed<4,4,AP_TRN,AP_SAT>")
    terms = [np.array([v]) for v in (6, 6, -7, 0, 1)]
    assert tree_reduce_add(terms, 0, acc, None).tolist() == [1]  # (7 + -7) + 1
    # a left-to-right sum would give ((((6+6)->7) - 7) + 0) + 1 = 1 as well; n = 3 tells the trees apart
    three = [np.array([v]) for v in (-7, 6, 6)]  # (-7 + 6) + 6 = 5; left part has 2 elements
    tally = Tally()
    assert tree_reduce_add(three, 0, acc, tally).tolist() == [5]
    assert tally.count == 0


def test_exp_and_inverse_tables() -> None:
    norm = T("ap_ufixed<15,5>")
    exp_t = softmax_exp_table(1024, norm, DEFAULT, 1.0, True)
    assert int(exp_t[0]) == 1024  # exp(-0) = 1.0
    inv_t = softmax_inv_table(1024, DEFAULT, DEFAULT)
    assert int(inv_t[0]) == int(DEFAULT.max_raw)  # 1/0 = inf saturates
    # address i is the value whose top 10 of 18 bits are i (the bin's lower edge): i = 4 is 1.0, i = 8 is 2.0
    assert (int(inv_t[4]), int(inv_t[8])) == (1024, 512)


def test_stable_equal_inputs_give_equal_shares() -> None:
    out = softmax(np.array([[0, 0, 0, 0]]), x_type=X, result_type=X)
    assert out.tolist() == [[256, 256, 256, 256]]


def test_stable_spread_wraps_inp_norm() -> None:
    # x_max - x = 32.0 does not fit ap_ufixed<15,5> (max 31.97): it wraps to 0 and reads exp(0) = 1, so the
    # smallest input gets the same share as the largest: hls4ml's own bug, reproduced on purpose
    x = np.array([[16384 - 1, -16384 - 1]])  # 15.999 and -16.001: spread 32.0
    tally = Tally()
    out = softmax(x, x_type=X, result_type=X, tally=tally)
    assert out[0, 0] == out[0, 1]
    assert tally.count >= 1


@pytest.mark.parametrize(
    ("implementation", "expected"),
    [
        pytest.param("argmax", [[0, 1024, 0], [1024, 0, 0]], id="argmax-first-maximum"),
    ],
)
def test_argmax(implementation: str, expected: list[list[int]]) -> None:
    x = np.array([[1, 5, 5], [3, 3, 3]])
    assert softmax(x, x_type=X, result_type=X, implementation=implementation).tolist() == expected


def test_latency_and_legacy_sum_to_about_one() -> None:
    x = np.array([[1024, 0, -1024]])
    for impl in ("latency", "legacy"):
        out = softmax(x, x_type=X, result_type=X, implementation=impl)
        assert abs(int(out.sum()) - 1024) < 64, impl
        assert out[0, 0] > out[0, 1] > out[0, 2]


def test_axis() -> None:
    x = np.array([[[0, 1024], [0, 1024]]])
    a = softmax(x, x_type=X, result_type=X, axis=1)
    assert a[0, 0].tolist() == a[0, 1].tolist()  # equal along axis 1
    b = softmax(x, x_type=X, result_type=X, axis=-1)
    assert b[0, 0, 1] > b[0, 0, 0]


def test_invalid_implementation() -> None:
    with pytest.raises(
        InvalidArgument,
        match=r"^softmax implementation must be one of 'stable', 'latency', "
        r"'legacy', 'argmax', not implementation='fast'$",
    ):
        softmax(np.array([[0]]), x_type=X, result_type=X, implementation="fast")
