"""Activations: hand-checked cases for each function and the C++ quirks they reproduce."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fwparity.errors import InvalidArgument
from fwparity.fixed import FixedType
from fwparity.layers import (
    Tally,
    activation_table,
    elu,
    hard_sigmoid,
    hard_tanh,
    leaky_relu,
    linear,
    lut_index,
    relu,
    relu_max,
    selu,
    sigmoid,
    softplus,
    softsign,
    tanh,
    thresholded_relu,
)
from fwparity.layers._activations import SELU_LAMBDA_RAW


def T(s: str) -> FixedType:
    return FixedType.parse(s)


X = T("ap_fixed<16,6>")  # F = 10
TABLE = T("ap_fixed<18,8>")  # F = 10


@pytest.mark.parametrize(
    ("raw", "numerator", "denominator", "expected"),
    [
        pytest.param([15, -15], 1024, 16, [0, 0], id="dead-zone-both-signs"),
        pytest.param([16, -16], 1024, 16, [1, -1], id="first-step"),
        pytest.param([31, -31], 1024, 16, [1, -1], id="truncates-toward-zero"),
        pytest.param([32767, -32768], 1024, 16, [2047, -2048], id="full-range"),
        pytest.param([-100], 256, -8, [3], id="negative-denominator-elu"),
    ],
)
def test_lut_index(raw: list[int], numerator: int, denominator: int, expected: list[int]) -> None:
    assert lut_index(np.array(raw), X, numerator, denominator).tolist() == expected


def test_sigmoid_dead_zone_reads_the_middle_entry() -> None:
    # every |x| < 16/N reads table[N/2] = sigmoid(0) = 0.5; the next code up reads the next entry
    out = sigmoid(np.array([-15, 0, 15, 16]), x_type=X, table_type=TABLE, table_size=1024, result_type=TABLE)
    table = activation_table("sigmoid", 1024, TABLE)
    assert out.tolist() == [512, 512, 512, int(table[513])]


def test_sigmoid_saturates_at_the_table_ends() -> None:
    out = sigmoid(np.array([-32768, 32767]), x_type=X, table_type=TABLE, table_size=1024, result_type=TABLE)
    table = activation_table("sigmoid", 1024, TABLE)
    assert out.tolist() == [int(table[0]), int(table[1023])]


@pytest.mark.parametrize(
    ("kind", "index", "value"),
    [
        pytest.param("sigmoid", 512, 0.5, id="sigmoid-middle"),
        pytest.param("tanh", 512, 0.0, id="tanh-middle"),
        pytest.param("tanh", 0, math.tanh(-4.0), id="tanh-first"),
        pytest.param("softsign", 0, -8.0 / 9.0, id="softsign-first"),
        pytest.param("softplus", 512, math.log(2.0), id="softplus-middle"),
        pytest.param("elu", 0, 0.0, id="elu-zero"),
        pytest.param("elu", 1023, math.expm1(-8.0 * 1023 / 1024), id="elu-last"),
    ],
)
def test_table_entries_are_the_function_values(kind: str, index: int, value: float) -> None:
    # within float32 precision plus one table LSB (the C++ computes in float32, then TRN floors to table_t)
    wide = T("ap_fixed<32,4>")
    got = float(wide.to_float(activation_table(kind, 1024, wide)[index : index + 1])[0])
    assert abs(got - value) <= 2**-23 + 2**-28


def test_tables_are_cached_and_read_only() -> None:
    a = activation_table("tanh", 64, TABLE)
    assert activation_table("tanh", 64, TABLE) is a
    with pytest.raises(ValueError, match="read-only"):
        a[0] = 1


def test_tanh_index_range_is_four() -> None:
    # tanh indexes int(x * N / 8) + N/2: x = 1.0 (raw 1024) with N = 64 reads entry 40
    out = tanh(np.array([1024]), x_type=X, table_type=TABLE, table_size=64, result_type=TABLE)
    assert out.tolist() == [int(activation_table("tanh", 64, TABLE)[40])]


def test_softplus_and_softsign_index_like_sigmoid() -> None:
    x = np.array([1024])  # 1.0 -> int(1 * 64 / 16) + 32 = 36
    for fn, kind in ((softplus, "softplus"), (softsign, "softsign")):
        out = fn(x, x_type=X, table_type=TABLE, table_size=64, result_type=TABLE)
        assert out.tolist() == [int(activation_table(kind, 64, TABLE)[36])]


def test_relu_linear_and_counts() -> None:
    small = T("ap_fixed<8,3>")  # F = 5; casting F 10 -> 5 floors, range +-4
    tally = Tally()
    assert relu(np.array([-1, 0, 33, 5000]), x_type=X, result_type=small, tally=tally).tolist() == [
        0,
        0,
        1,
        156 - 256,
    ]
    assert tally.count == 1  # 5000 >> 5 = 156 wraps
    assert linear(np.array([-1, 33]), x_type=X, result_type=small).tolist() == [-1, 1]


def test_leaky_relu_uses_the_quantised_alpha() -> None:
    param = T("ap_fixed<8,1,AP_RND>")  # alpha 0.3 -> raw 38 (0.296875)
    alpha = int(param.from_float(np.array([0.3]))[0])
    out = leaky_relu(np.array([-1024, 1024]), x_type=X, alpha=alpha, alpha_type=param, result_type=X)
    assert alpha == 38
    assert out.tolist() == [-304, 1024]  # -1.0 * 0.296875 = -0.296875 = raw -304


def test_thresholded_relu_compares_exactly_across_types() -> None:
    theta_t = T("ap_fixed<8,3>")  # theta 0.75 = raw 24
    out = thresholded_relu(np.array([767, 768, 769]), x_type=X, theta=24, theta_type=theta_t, result_type=X)
    assert out.tolist() == [0, 0, 769]


def test_relu_max_clips_then_casts() -> None:
    out = relu_max(np.array([-5, 100, 6144, 7000]), x_type=X, max_value=6144, result_type=X)
    assert out.tolist() == [0, 100, 6144, 6144]


def test_hard_sigmoid_defaults() -> None:
    slope_t, shift_t = T("ap_ufixed<16,0>"), T("ap_ufixed<2,0>")
    slope = int(slope_t.from_float(np.array([0.2]))[0])
    shift = int(shift_t.from_float(np.array([0.5]))[0])
    out = hard_sigmoid(
        np.array([0, 1024, -3072, 3072]),
        x_type=X,
        slope=slope,
        slope_type=slope_t,
        shift=shift,
        shift_type=shift_t,
        result_type=X,
    )
    # 0 -> 0.5; 1.0 -> 0.2*1 + 0.5 = 0.69999 floored; -3 -> 0; 3 -> 1.0 (clamped)
    assert out.tolist() == [512, 716, 0, 1024]


def test_hard_tanh_is_two_sigmoid_minus_one() -> None:
    slope_t, shift_t = T("ap_ufixed<16,0>"), T("ap_ufixed<2,0>")
    slope = int(slope_t.from_float(np.array([0.5]))[0])
    shift = int(shift_t.from_float(np.array([0.5]))[0])
    out = hard_tanh(
        np.array([-4096, 0, 512, 4096]),
        x_type=X,
        slope=slope,
        slope_type=slope_t,
        shift=shift,
        shift_type=shift_t,
        result_type=X,
    )
    assert out.tolist() == [-1024, 0, 512, 1024]


def test_elu_alpha_and_positive_branch() -> None:
    t = T("ap_fixed<18,8>")
    x = np.array([2048, -1024])
    table = activation_table("elu", 1024, t)
    one = elu(x, x_type=X, table_type=t, table_size=1024, result_type=t)
    # -1.0: index int(-1024 * 1024 / -8) >> 10 = 128
    assert one.tolist() == [2048, int(table[128])]
    small = elu(
        x, x_type=X, table_type=t, table_size=1024, result_type=t, alpha=1, alpha_type=T("ap_fixed<4,0>")
    )
    assert small.tolist() == [2048, int(table[128]) >> 4]  # alpha = 1/16, the product floored


def test_selu_positive_branch_uses_the_ufixed_lambda() -> None:
    assert SELU_LAMBDA_RAW == 34429
    out = selu(np.array([1024]), x_type=X, table_type=TABLE, table_size=1024, result_type=T("ap_fixed<32,6>"))
    assert out.tolist() == [(1024 * SELU_LAMBDA_RAW) << 1]  # F 10 + 15 = 25 -> 26: exact


def test_invalid_table_size() -> None:
    with pytest.raises(InvalidArgument, match=r"^sigmoid table_size must be positive, not table_size=0$"):
        sigmoid(np.array([0]), x_type=X, table_type=TABLE, table_size=0, result_type=TABLE)
