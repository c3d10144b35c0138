"""FixedType: validation, the HLS spelling parser, canonical str and rebuildable repr."""

from __future__ import annotations

import numpy as np
import pytest

from fwparity import fixed
from fwparity.errors import InvalidArgument, InvalidType
from fwparity.fixed import FixedType, Overflow, Quantization, ap_fixed, ap_int, ap_ufixed, ap_uint

PARSE = [
    pytest.param("ap_fixed<16,6>", ap_fixed(16, 6), "ap_fixed<16,6>", id="defaults"),
    pytest.param(
        "ap_fixed<16,6,AP_RND,AP_SAT>",
        ap_fixed(16, 6, quantization=Quantization.RND, overflow=Overflow.SAT),
        "ap_fixed<16,6,AP_RND,AP_SAT>",
        id="modes",
    ),
    pytest.param(
        "ap_fixed<16,6,AP_RND,AP_SAT,0>",
        ap_fixed(16, 6, quantization="RND", overflow="SAT"),
        "ap_fixed<16,6,AP_RND,AP_SAT>",
        id="explicit-zero-n-dropped",
    ),
    pytest.param(
        "ap_fixed<16,6,AP_TRN,AP_WRAP>", ap_fixed(16, 6), "ap_fixed<16,6>", id="explicit-defaults-dropped"
    ),
    pytest.param(
        "ap_fixed<16,6,AP_RND>",
        ap_fixed(16, 6, quantization="AP_RND"),
        "ap_fixed<16,6,AP_RND>",
        id="quantization-only",
    ),
    pytest.param(
        "ap_fixed<16,6,AP_TRN,AP_SAT>",
        ap_fixed(16, 6, overflow="AP_SAT"),
        "ap_fixed<16,6,AP_TRN,AP_SAT>",
        id="default-q-kept-before-o",
    ),
    pytest.param(
        "ap_fixed<8,3,AP_TRN,AP_WRAP,2>",
        ap_fixed(8, 3, sat_bits=2),
        "ap_fixed<8,3,AP_TRN,AP_WRAP,2>",
        id="sat-bits",
    ),
    pytest.param(
        "  ap_ufixed < 10 , 4 , AP_RND_CONV >  ",
        ap_ufixed(10, 4, quantization=Quantization.RND_CONV),
        "ap_ufixed<10,4,AP_RND_CONV>",
        id="whitespace",
    ),
    pytest.param("ap_fixed<8,-2>", ap_fixed(8, -2), "ap_fixed<8,-2>", id="negative-int-bits"),
    pytest.param("ap_fixed<6,8>", ap_fixed(6, 8), "ap_fixed<6,8>", id="int-bits-above-width"),
    pytest.param("ap_int<8>", ap_int(8), "ap_int<8>", id="ap_int"),
    pytest.param("ap_uint<4>", ap_uint(4), "ap_uint<4>", id="ap_uint"),
    pytest.param(
        "fixed<18,8,RND_CONV,SAT>",
        ap_fixed(18, 8, quantization="RND_CONV", overflow="SAT"),
        "ap_fixed<18,8,AP_RND_CONV,AP_SAT>",
        id="hls4ml-fixed",
    ),
    pytest.param(
        "ufixed<8,0,RND,SAT_SYM>",
        ap_ufixed(8, 0, quantization="RND", overflow="SAT_SYM"),
        "ap_ufixed<8,0,AP_RND,AP_SAT_SYM>",
        id="hls4ml-ufixed",
    ),
    pytest.param("int<12>", ap_int(12), "ap_int<12>", id="hls4ml-int"),
    pytest.param("uint<1>", ap_uint(1), "ap_uint<1>", id="hls4ml-uint"),
    pytest.param(
        "ap_fixed<16,6,ap_rnd_inf,ap_sat_zero>",
        ap_fixed(16, 6, quantization="RND_INF", overflow="SAT_ZERO"),
        "ap_fixed<16,6,AP_RND_INF,AP_SAT_ZERO>",
        id="lower-case-modes",
    ),
    pytest.param("ap_fixed<1024,1>", ap_fixed(1024, 1), "ap_fixed<1024,1>", id="max-width"),
]


@pytest.mark.parametrize(("text", "expected", "canonical"), PARSE)
def test_parse_and_canonical_str(text: str, expected: FixedType, canonical: str) -> None:
    t = FixedType.parse(text)
    assert t == expected
    assert str(t) == canonical
    assert FixedType.parse(str(t)) == t


@pytest.mark.parametrize(("text", "expected", "canonical"), PARSE)
def test_repr_rebuilds(text: str, expected: FixedType, canonical: str) -> None:
    namespace = {name: getattr(fixed, name) for name in fixed.__all__}
    assert eval(repr(expected), namespace) == expected  # noqa: S307 - the point of the test


REPRS = [
    pytest.param(ap_fixed(16, 6), "ap_fixed(16, 6)", id="defaults"),
    pytest.param(
        ap_fixed(16, 6, quantization="RND", overflow="SAT"),
        "ap_fixed(16, 6, quantization=Quantization.RND, overflow=Overflow.SAT)",
        id="modes",
    ),
    pytest.param(ap_ufixed(8, 3, overflow="WRAP", sat_bits=2), "ap_ufixed(8, 3, sat_bits=2)", id="sat-bits"),
    pytest.param(ap_int(8), "ap_int(8)", id="int"),
    pytest.param(ap_uint(70), "ap_uint(70)", id="uint"),
]


@pytest.mark.parametrize(("t", "text"), REPRS)
def test_repr_text(t: FixedType, text: str) -> None:
    assert repr(t) == text


def test_parse_returns_fixed_type_unchanged() -> None:
    t = ap_fixed(8, 3)
    assert FixedType.parse(t) is t


SPELLINGS = (
    "expected ap_fixed<W,I[,Q[,O[,N]]]>, ap_ufixed<W,I[,Q[,O[,N]]]>, ap_int<W>, ap_uint<W> "
    "(or hls4ml's fixed<...>, "
    "ufixed<...>, int<W>, uint<W>; Q and O with or without the AP_ prefix)"
)

BAD_TEXT = [
    pytest.param("ap_fixed<16>", "ap_fixed takes 2 to 5 template arguments, got 1", id="one-arg"),
    pytest.param(
        "ap_fixed<16,6,AP_RND,AP_SAT,0,1>", "ap_fixed takes 2 to 5 template arguments, got 6", id="six-args"
    ),
    pytest.param("ap_fixed<16,6,AP_ROUND>", "unknown quantization mode 'AP_ROUND'", id="bad-q"),
    pytest.param("ap_fixed<16,6,AP_RND,AP_CLAMP>", "unknown overflow mode 'AP_CLAMP'", id="bad-o"),
    pytest.param("ap_fixed<16,6,AP_SAT>", "unknown quantization mode 'AP_SAT'", id="o-in-q-slot"),
    pytest.param("ap_fixed<a,6>", "W and I must be integers", id="non-integer-width"),
    pytest.param("ap_fixed<16,6,AP_RND,AP_SAT,x>", "N must be an integer", id="non-integer-n"),
    pytest.param("ap_int<8,2>", "ap_int takes one integer width", id="int-two-args"),
    pytest.param("float", "", id="not-a-type"),
    pytest.param("ap_fixed<16,6", "", id="unclosed"),
    pytest.param("std::ap_fixed<16,6>", "", id="qualified"),
    pytest.param("", "", id="empty"),
]


@pytest.mark.parametrize(("text", "why"), BAD_TEXT)
def test_parse_rejects_bad_text(text: str, why: str) -> None:
    reason = f" ({why})" if why else ""
    message = f"Cannot parse a fixed-point type from {text!r}{reason}; {SPELLINGS}"
    with pytest.raises(InvalidArgument) as info:
        FixedType.parse(text)
    assert str(info.value) == message


INVALID = [
    pytest.param(
        lambda: FixedType(0, 0),
        InvalidArgument,
        "width=0 must be between 1 and 1024 (AP_INT_MAX_W)",
        id="width-zero",
    ),
    pytest.param(
        lambda: FixedType(1025, 1),
        InvalidArgument,
        "width=1025 must be between 1 and 1024 (AP_INT_MAX_W)",
        id="width-too-big",
    ),
    pytest.param(
        lambda: FixedType.parse("ap_fixed<2000,10>"),
        InvalidArgument,
        "width=2000 must be between 1 and 1024 (AP_INT_MAX_W)",
        id="parsed-width-too-big",
    ),
    pytest.param(
        lambda: FixedType("a", 1),
        InvalidType,  # type: ignore[arg-type]
        "Expected int but got width='a' (type=str)",
        id="width-str",
    ),
    pytest.param(
        lambda: FixedType(8, 2.5),
        InvalidType,  # type: ignore[arg-type]
        "Expected int but got int_bits=2.5 (type=float)",
        id="int-bits-float",
    ),
    pytest.param(
        lambda: FixedType(True, 1),
        InvalidType,  # type: ignore[arg-type]
        "Expected int but got width=True (type=bool)",
        id="width-bool",
    ),
    pytest.param(
        lambda: ap_fixed(8, 3, sat_bits=9),
        InvalidArgument,
        "sat_bits=9 must be between 0 and width=8",
        id="sat-bits-too-big",
    ),
    pytest.param(
        lambda: ap_fixed(8, 3, sat_bits=-1),
        InvalidArgument,
        "sat_bits=-1 must be between 0 and width=8",
        id="sat-bits-negative",
    ),
    pytest.param(
        lambda: ap_ufixed(8, 3, overflow=Overflow.WRAP_SM),
        InvalidArgument,
        "overflow=Overflow.WRAP_SM requires a signed type: the headers exit at run time for ap_ufixed",
        id="ufixed-wrap-sm",
    ),
    pytest.param(
        lambda: FixedType.parse("ap_ufixed<8,3,AP_TRN,AP_WRAP_SM>"),
        InvalidArgument,
        "overflow=Overflow.WRAP_SM requires a signed type: the headers exit at run time for ap_ufixed",
        id="parsed-ufixed-wrap-sm",
    ),
    pytest.param(
        lambda: FixedType(8, 4, is_int=True),
        InvalidArgument,
        "is_int=True requires int_bits == width, got width=8, int_bits=4",
        id="int-fraction",
    ),
    pytest.param(
        lambda: FixedType(8, 8, is_int=True, overflow=Overflow.SAT),
        InvalidArgument,
        "is_int=True requires the default modes (ap_int has none), got quantization=Quantization.TRN, "
        "overflow=Overflow.SAT, sat_bits=0",
        id="int-modes",
    ),
    pytest.param(
        lambda: ap_fixed(8, 3, quantization="ROUND"),
        InvalidArgument,
        "quantization='ROUND' is not one of AP_TRN, AP_TRN_ZERO, AP_RND, AP_RND_ZERO, AP_RND_MIN_INF, "
        "AP_RND_INF, AP_RND_CONV",
        id="bad-quantization-string",
    ),
    pytest.param(
        lambda: ap_fixed(8, 3, overflow=3),
        InvalidArgument,  # type: ignore[arg-type]
        "overflow=3 is not one of AP_WRAP, AP_SAT, AP_SAT_ZERO, AP_SAT_SYM, AP_WRAP_SM",
        id="bad-overflow-type",
    ),
    pytest.param(
        lambda: FixedType(8, 3, signed=1),
        InvalidType,  # type: ignore[arg-type]
        "Expected bool but got signed=1 (type=int)",
        id="signed-int",
    ),
    pytest.param(
        lambda: FixedType.parse(16),
        InvalidType,  # type: ignore[arg-type]
        "Expected a FixedType or an HLS type string but got obj=16 (type=int)",
        id="parse-int",
    ),
    pytest.param(
        lambda: ap_fixed(16, 6).with_(width=0),
        InvalidArgument,
        "width=0 must be between 1 and 1024 (AP_INT_MAX_W)",
        id="with-validates",
    ),
]


@pytest.mark.parametrize(("call", "error", "message"), INVALID)
def test_invalid_calls(call: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        call()  # type: ignore[operator]
    assert str(info.value) == message


ATTRIBUTES = [
    pytest.param("ap_fixed<16,6>", 10, -(2**15), 2**15 - 1, np.int64, id="fixed"),
    pytest.param("ap_ufixed<10,4>", 6, 0, 1023, np.int64, id="ufixed"),
    pytest.param("ap_fixed<8,-2>", 10, -128, 127, np.int64, id="i-negative"),
    pytest.param("ap_fixed<6,8>", -2, -32, 31, np.int64, id="i-above-w"),
    pytest.param("ap_fixed<1,1>", 0, -1, 0, np.int64, id="one-bit-signed"),
    pytest.param("ap_ufixed<63,0>", 63, 0, 2**63 - 1, np.int64, id="widest-int64"),
    pytest.param("ap_fixed<64,32>", 32, -(2**63), 2**63 - 1, object, id="first-object"),
    pytest.param("ap_uint<1024>", 0, 0, 2**1024 - 1, object, id="widest"),
]


@pytest.mark.parametrize(("text", "frac", "lo", "hi", "dtype"), ATTRIBUTES)
def test_derived_attributes(text: str, frac: int, lo: int, hi: int, dtype: type) -> None:
    t = FixedType.parse(text)
    assert (t.frac_bits, t.min_raw, t.max_raw, t.dtype) == (frac, lo, hi, np.dtype(dtype))


def test_equal_types_hash_equal_across_spellings() -> None:
    a = FixedType.parse("fixed<16,6,RND,SAT>")
    b = FixedType(np.int64(16), 6, quantization="AP_RND", overflow=Overflow.SAT)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != a.with_(signed=False)


def test_frozen() -> None:
    t = ap_fixed(16, 6)
    with pytest.raises(AttributeError):
        t.width = 8  # type: ignore[misc]


def test_public_names_report_the_public_module() -> None:
    for name in fixed.__all__:
        obj = getattr(fixed, name)
        if hasattr(obj, "__module__") and callable(obj):
            assert obj.__module__ == "fwparity.fixed", name
