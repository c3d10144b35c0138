"""FixedArray: refuses to guess a format, value vs bit equality, exact arithmetic, keyword-only casts."""

from __future__ import annotations

import numpy as np
import pytest

from fwparity.errors import InvalidArgument, InvalidType
from fwparity.fixed import FixedArray, FixedType, Overflow, Quantization, ap_fixed, ap_ufixed


def test_repr_prints_raw_integers_and_rebuilds() -> None:
    x = FixedArray([4, 5, 6], ap_fixed(4, 2))
    assert repr(x) == "FixedArray([4, 5, 6], ap_fixed(4, 2))"
    from fwparity import fixed

    namespace = {name: getattr(fixed, name) for name in fixed.__all__}
    assert eval(repr(x), namespace).is_identical(x)  # noqa: S307 - the point of the test


def test_from_float_and_to_float() -> None:
    x = FixedArray.from_float([0.3, -0.3, 100.0], "ap_fixed<8,3,AP_RND,AP_SAT>")
    assert x.raw.tolist() == [10, -10, 127]
    assert x.to_float().tolist() == [0.3125, -0.3125, 3.96875]
    assert x.fmt == FixedType.parse("ap_fixed<8,3,AP_RND,AP_SAT>")


def test_raw_is_read_only_and_private() -> None:
    source = np.array([1, 2, 3])
    x = FixedArray(source, "ap_fixed<8,4>")
    source[0] = 99
    assert x.raw.tolist() == [1, 2, 3]
    with pytest.raises(ValueError):
        x.raw[0] = 5


def test_wide_raw_is_object() -> None:
    x = FixedArray([2**70, -(2**70)], "ap_fixed<80,40>")
    assert x.raw.dtype == object and x.raw.tolist() == [2**70, -(2**70)]
    assert x.to_float().tolist() == [2.0**30, -(2.0**30)]


def test_equality_is_by_value_identity_is_by_bits() -> None:
    a = FixedArray.from_float([1.0, 0.5], "ap_fixed<8,4>")
    b = FixedArray.from_float([1.0, 0.5], "ap_fixed<16,8>")
    assert (a == b).tolist() == [True, True]
    assert not a.is_identical(b)
    assert a.is_identical(FixedArray([16, 8], "ap_fixed<8,4>"))
    assert not a.is_identical(FixedArray([16, 8], "ap_fixed<8,4,AP_RND>"))  # same bits, other format
    assert not a.is_identical([16, 8])


def test_comparison_with_numbers_is_exact() -> None:
    x = FixedArray([2**53 + 1], "ap_fixed<64,64>")
    assert (x == 2**53 + 1).tolist() == [True]
    assert (x == float(2**53)).tolist() == [False]  # the double is 2**53 exactly; no rounding of x to compare
    assert (x > float(2**53)).tolist() == [True]
    assert (FixedArray([24], "ap_fixed<8,4>") == 1.5).tolist() == [True]


def test_arithmetic_grows_like_the_headers() -> None:
    x = FixedArray.from_float([1.5, -2.0], "ap_fixed<8,4>")
    y = FixedArray.from_float([0.25, 3.0], "ap_ufixed<6,2>")
    assert repr(x + y) == "FixedArray([28, 16], ap_fixed(9, 5))"
    assert repr(x - y) == "FixedArray([20, -80], ap_fixed(9, 5))"
    assert repr(x * y) == "FixedArray([96, -1536], ap_fixed(14, 6))"
    assert (x * y).to_float().tolist() == [0.375, -6.0]
    assert repr(-x) == "FixedArray([-24, 32], ap_fixed(9, 5))"
    assert repr(x * 3) == "FixedArray([72, -96], ap_fixed(40, 36))"  # the C int rule: 3 is ap_fixed<32,32>
    assert (3 * x).is_identical(x * 3)
    assert (x / y).to_float().tolist() == [6.0, -0.625]  # truncated toward zero at F = 4


def test_shifts_keep_the_format() -> None:
    x = FixedArray.from_float([20.0], "ap_fixed<16,6,AP_RND,AP_SAT>")
    assert (x << 1).to_float().tolist() == [-24.0]
    assert (x << 1).fmt == x.fmt


def test_cast_with_format_or_keywords() -> None:
    x = FixedArray.from_float([1.375, -1.375, 7.9375], "ap_fixed<8,4>")
    by_fmt = x.cast("ap_fixed<6,4,AP_RND_CONV,AP_SAT>")
    by_kw = x.cast(width=6, int_bits=4, quantization=Quantization.RND_CONV, overflow=Overflow.SAT)
    assert by_fmt.is_identical(by_kw)
    assert by_fmt.raw.tolist() == [6, -6, 31]
    assert x.cast(signed=False).fmt == ap_ufixed(8, 4)


def test_cast_from_int_keeps_int_bits_unless_told() -> None:
    x = FixedArray([-7], "ap_int<8>")
    assert repr(x.cast(width=12)) == "FixedArray([-112], ap_fixed(12, 8))"


def test_indexing_and_shape() -> None:
    x = FixedArray(np.arange(6).reshape(2, 3), "ap_fixed<8,4>")
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and len(x) == 2
    assert repr(x[1]) == "FixedArray([3, 4, 5], ap_fixed(8, 4))"
    assert repr(x[0, 2]) == "FixedArray(2, ap_fixed(8, 4))"


INVALID = [
    pytest.param(
        lambda: FixedArray(3),
        InvalidType,  # type: ignore[call-arg]
        "FixedArray(3) needs a format: FixedArray(raw, fmt) holds raw integer codes; use "
        "FixedArray.from_float(values, fmt) for real values",
        id="no-format",
    ),
    pytest.param(
        lambda: FixedArray([1.5], "ap_fixed<8,4>"),
        InvalidType,
        "Expected raw integers but got raw of dtype float64; use from_float for real values",
        id="float-raw",
    ),
    pytest.param(
        lambda: FixedArray([128], "ap_fixed<8,4>"),
        InvalidArgument,
        "raw value 128 is outside ap_fixed<8,4> (raw codes -128 to 127)",
        id="out-of-range",
    ),
    pytest.param(
        lambda: FixedArray([1], "ap_fixed<8,4>").cast("ap_fixed<8,3>", width=8),
        InvalidArgument,
        "Give either fmt='ap_fixed<8,3>' or keyword changes (width), not both",
        id="cast-both",
    ),
    pytest.param(
        lambda: FixedArray([1], "ap_fixed<8,4>").cast(),
        InvalidArgument,
        "cast() needs a format or at least one keyword change",
        id="cast-nothing",
    ),
    pytest.param(
        lambda: FixedArray([1], "ap_fixed<8,4>").cast(8, 3),
        TypeError,  # type: ignore[misc]
        None,
        id="cast-positional-bits",
    ),
    pytest.param(lambda: FixedArray([1], "ap_fixed<8,4>") + 1.5, TypeError, None, id="add-float"),
]


@pytest.mark.parametrize(("call", "error", "message"), INVALID)
def test_invalid_calls(call: object, error: type[Exception], message: str | None) -> None:
    with pytest.raises(error) as info:
        call()  # type: ignore[operator]
    if message is not None:
        assert str(info.value) == message


def test_not_hashable() -> None:
    with pytest.raises(TypeError):
        hash(FixedArray([1], "ap_fixed<8,4>"))
