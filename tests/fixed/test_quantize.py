"""Quantization and overflow: from_float, cast, requantize, to_float.

Expected values come from outside the code under test: the worked examples of the ap_fixed reference notes
(checked there against compiled headers), values pinned from g++ runs of hls4ml 1.3.0's ap_types (marked
below), and the plain meaning of each rounding mode. The exhaustive comparison with compiled headers is
tests/fixed/test_oracle.py; this module is the fast sanity layer plus the equivalence of fwparity's own
execution paths.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fwparity.errors import InvalidArgument, InvalidType
from fwparity.fixed import (
    FixedType,
    Overflow,
    Quantization,
    ap_fixed,
    cast,
    from_float,
    mul,
    requantize,
    to_float,
)
from fwparity.fixed._quantize import _requantize_object

NAN_NEG = -math.nan  # a NaN with the sign bit set (what 0.0/0.0 gives on x86)
assert math.copysign(1.0, NAN_NEG) < 0

# -- the reference notes' worked examples
# ----------------------------------------------------------------------------
WORKED = [
    pytest.param("ap_ufixed<4,4,AP_TRN,AP_WRAP,2>", [-8.0], [12], id="ufixed-wrap-n-underflow-sets-msbs"),
    pytest.param(
        "ap_fixed<4,4,AP_TRN,AP_WRAP_SM>", [8, 9, 15, 16, 17], [7, 6, 0, -1, -2], id="wrap-sm-positive"
    ),
    pytest.param(
        "ap_fixed<4,4,AP_TRN,AP_WRAP_SM>", [-9, -10, -16, -17], [-8, -7, -1, 0], id="wrap-sm-negative"
    ),
    pytest.param(
        "ap_fixed<16,16>",
        [2.0**64 + 2.0**12, -(2.0**64 + 2.0**12), 1e300],
        [4096, -4096, 0],
        id="huge-wraps-exactly",
    ),
    pytest.param(
        "ap_int<8>", [-0.3, -0.49, -1e-300, -0.5, -0.7], [1, 1, 1, 0, 0], id="ap_int-negative-fraction-bug"
    ),
    pytest.param("ap_int<80>", [-0.3, -0.49, -1e-300, -0.5, -0.7], [1, 1, 1, 0, 0], id="ap_int-bug-wide"),
    pytest.param(
        "ap_int<8>", [-2.7, 300.7, math.inf, math.nan, 1e300], [-2, 44, 0, 0, 0], id="ap_int-truncates-wraps"
    ),
    pytest.param("ap_uint<8>", [-1.0], [255], id="ap_uint-negative"),
    pytest.param("ap_fixed<8,8>", [-0.3, -2.7], [-1, -3], id="trn-is-floor"),
    pytest.param(
        "ap_fixed<16,6,AP_RND,AP_SAT>", [math.nan, NAN_NEG], [32767, -32768], id="nan-by-sign-bit-sat"
    ),
    pytest.param(
        "ap_fixed<16,6,AP_RND,AP_WRAP>",
        [math.nan, NAN_NEG, math.inf, -math.inf],
        [0, 0, 0, 0],
        id="nan-inf-wrap-to-zero",
    ),
    pytest.param("ap_fixed<16,6,AP_RND,AP_SAT>", [math.inf, -math.inf], [32767, -32768], id="inf-sat"),
    pytest.param(
        "ap_fixed<16,6,AP_RND,AP_SAT_SYM>", [math.inf, -math.inf], [32767, -32767], id="inf-sat-sym"
    ),
    pytest.param("ap_fixed<16,6,AP_RND,AP_SAT_ZERO>", [math.inf, -math.inf], [0, 0], id="inf-sat-zero"),
    pytest.param("ap_fixed<16,6,AP_RND,AP_SAT>", [-0.0], [0], id="negative-zero"),
    pytest.param("ap_fixed<64,-1000>", [5e-324], [2**41], id="subnormal-misdecoded"),
    pytest.param(
        "ap_fixed<9,1,AP_RND>", [0.0019531249999999999], [1], id="decimal-literal-is-a-tie-as-double"
    ),
    pytest.param("ap_fixed<70,20,AP_RND>", [0.7490612344946697], [843367974136970], id="wide-rnd"),
    pytest.param("ap_fixed<70,20,AP_TRN>", [-0.4603626032513932], [-518322212114572], id="wide-trn"),
    pytest.param(
        "ap_fixed<8,8,AP_TRN,AP_SAT_SYM>", [-128.0, -200.0], [-127, -127], id="sat-sym-in-range-min"
    ),
]


@pytest.mark.parametrize(("spelling", "values", "expected"), WORKED)
def test_from_float_worked_examples(spelling: str, values: list[float], expected: list[int]) -> None:
    assert from_float(values, spelling).tolist() == expected


@pytest.mark.parametrize(("spelling", "values", "expected"), WORKED)
def test_from_float_integer_decoding_agrees(spelling: str, values: list[float], expected: list[int]) -> None:
    assert from_float(values, spelling, exact_decode=True).tolist() == expected


# -- pinned from g++ (hls4ml 1.3.0 ap_types): T v = x; for N > 0, WRAP_SM and the wide and SAT_ZERO paths
# ------------
_WRAP_INPUTS = [
    "0x1.9p+7",
    "0x1.2cp+8",
    "-0x1.9p+7",
    "-0x1.2cp+8",
    "0x1.f4p+9",
    "-0x1.f4p+9",
    "0x1.fcp+6",
    "-0x1p+7",
]
PINNED = [
    pytest.param(
        "ap_fixed<8,8,AP_TRN,AP_WRAP,1>", _WRAP_INPUTS, [72, 44, -72, -44, 104, -104, 127, -128], id="wrap-n1"
    ),
    pytest.param(
        "ap_fixed<8,8,AP_TRN,AP_WRAP,2>",
        _WRAP_INPUTS,
        [72, 108, -72, -108, 104, -104, 127, -128],
        id="wrap-n2",
    ),
    pytest.param(
        "ap_fixed<8,8,AP_TRN,AP_WRAP,8>",
        _WRAP_INPUTS,
        [127, 127, -128, -128, 127, -128, 127, -128],
        id="wrap-n-equals-w-saturates",
    ),
    pytest.param(
        "ap_ufixed<8,8,AP_TRN,AP_WRAP,3>",
        _WRAP_INPUTS,
        [200, 236, 248, 244, 232, 248, 127, 224],
        id="ufixed-wrap-n3",
    ),
    pytest.param(
        "ap_fixed<8,8,AP_TRN,AP_WRAP_SM,1>",
        _WRAP_INPUTS,
        [55, 44, -57, -44, 23, -25, 127, -128],
        id="wrap-sm-n1",
    ),
    pytest.param(
        "ap_fixed<8,8,AP_TRN,AP_WRAP_SM,2>",
        _WRAP_INPUTS,
        [72, 83, -72, -85, 104, -104, 127, -128],
        id="wrap-sm-n2",
    ),
    pytest.param(
        "ap_fixed<8,8,AP_TRN,AP_WRAP_SM>",
        _WRAP_INPUTS,
        [55, -45, -57, 43, -24, 24, 127, -128],
        id="wrap-sm-n0",
    ),
    pytest.param(
        "ap_fixed<8,8,AP_RND,AP_WRAP_SM>",
        ["0x1.fep+6", "0x1.ffp+7", "-0x1.01p+7", "-0x1.808p+8"],
        [127, 0, -128, 127],
        id="wrap-sm-pre-rounding-bit",
    ),
    pytest.param(
        "ap_fixed<1,1,AP_TRN,AP_SAT_SYM>",
        ["-0x1p+0", "0x1.4p+2", "-0x1.4p+2"],
        [-1, 0, -1],
        id="sat-sym-one-bit-is-sat",
    ),
    pytest.param(
        "ap_ufixed<4,4,AP_TRN,AP_SAT_SYM>", ["-0x1.8p+1", "0x1.4p+4"], [0, 15], id="sat-sym-unsigned-is-sat"
    ),
    pytest.param(
        "ap_fixed<8,4,AP_RND_CONV,AP_SAT_ZERO>",
        ["0x1.fep+2", "0x1.f99999999999ap+2", "-0x1p+3", "-0x1.01p+3", "nan", "inf"],
        [0, 126, -128, -128, 0, 0],
        id="sat-zero",
    ),
    pytest.param(
        "ap_fixed<70,20,AP_RND_CONV,AP_SAT>",
        [
            "0x1.7f84f441b644cp-1",
            "0x1.7e43c8800759cp+996",
            "-0x1.7e43c8800759cp+996",
            "nan",
            "0x1.fffffffffffffp+18",
        ],
        [843367974136970, 2**69 - 1, -(2**69), 2**69 - 1, 590295810358705586176],
        id="wide-sat",
    ),
    pytest.param(
        "ap_ufixed<100,-30,AP_RND_INF,AP_WRAP,3>",
        ["0x1.49da7e361ce4cp-32", "-0x1.49da7e361ce4cp-32", "0x1.12e0be826d695p-30"],
        [408338840305126153440544686080, 1176224409980160598430334320640, 1202673142655225263439719956480],
        id="wide-unsigned-wrap-n",
    ),
]


@pytest.mark.parametrize(("spelling", "hex_values", "expected"), PINNED)
@pytest.mark.parametrize("exact_decode", [False, True], ids=["fast", "decoded"])
def test_from_float_pinned_from_headers(
    spelling: str, hex_values: list[str], expected: list[int], exact_decode: bool
) -> None:
    values = [float.fromhex(v) for v in hex_values]
    assert from_float(values, spelling, exact_decode=exact_decode).tolist() == expected


# -- the quantization table, from the meaning of each mode (ap_fixed<8,8>: F=0, so t is the value itself)
# ------------
_TIES = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -2.75, -2.25, 2.25, 2.75, -3.0, 3.0]
QUANTIZATION = [
    pytest.param(Quantization.TRN, [-3, -2, -1, 0, 1, 2, -3, -3, 2, 2, -3, 3], id="TRN-floor"),
    pytest.param(Quantization.TRN_ZERO, [-2, -1, 0, 0, 1, 2, -2, -2, 2, 2, -3, 3], id="TRN_ZERO-toward-zero"),
    pytest.param(Quantization.RND, [-2, -1, 0, 1, 2, 3, -3, -2, 2, 3, -3, 3], id="RND-ties-up"),
    pytest.param(
        Quantization.RND_ZERO, [-2, -1, 0, 0, 1, 2, -3, -2, 2, 3, -3, 3], id="RND_ZERO-ties-to-zero"
    ),
    pytest.param(
        Quantization.RND_MIN_INF, [-3, -2, -1, 0, 1, 2, -3, -2, 2, 3, -3, 3], id="RND_MIN_INF-ties-down"
    ),
    pytest.param(Quantization.RND_INF, [-3, -2, -1, 1, 2, 3, -3, -2, 2, 3, -3, 3], id="RND_INF-ties-away"),
    pytest.param(Quantization.RND_CONV, [-2, -2, 0, 0, 2, 2, -3, -2, 2, 3, -3, 3], id="RND_CONV-ties-even"),
]


@pytest.mark.parametrize(("mode", "expected"), QUANTIZATION)
@pytest.mark.parametrize("exact_decode", [False, True], ids=["fast", "decoded"])
def test_quantization_modes(mode: Quantization, expected: list[int], exact_decode: bool) -> None:
    assert (
        from_float(_TIES, ap_fixed(8, 8, quantization=mode), exact_decode=exact_decode).tolist() == expected
    )


@pytest.mark.parametrize(("mode", "expected"), QUANTIZATION)
def test_quantization_modes_on_raw(mode: Quantization, expected: list[int]) -> None:
    # The same values as raw codes with 2 fractional bits, through the fixed-to-fixed kernel.
    raw = [int(v * 4) for v in _TIES]
    assert requantize(raw, 2, ap_fixed(8, 8, quantization=mode)).tolist() == expected
    assert requantize(np.array(raw, dtype=object), 2, ap_fixed(8, 8, quantization=mode)).tolist() == expected


def test_quantization_uses_the_source_sign() -> None:
    # -0.25 floors to -1 before rounding; TRN_ZERO must look at the source (negative), giving 0, not -1 + 0.
    assert from_float([-0.25], ap_fixed(4, 4, quantization="TRN_ZERO")).tolist() == [0]
    assert requantize([-1], 2, ap_fixed(4, 4, quantization="TRN_ZERO")).tolist() == [0]
    # An explicit sign overrides raw < 0 (a caller that has already reduced the source).
    assert requantize([3], 2, ap_fixed(4, 4, quantization="TRN_ZERO"), negative=[True]).tolist() == [1]


OVERFLOW_RAW = [
    pytest.param("ap_fixed<4,4,AP_TRN,AP_SAT>", [8, -9, 7, -8], [7, -8, 7, -8], id="sat"),
    pytest.param("ap_fixed<4,4,AP_TRN,AP_SAT_SYM>", [8, -9, 7, -8], [7, -7, 7, -7], id="sat-sym"),
    pytest.param("ap_fixed<4,4,AP_TRN,AP_SAT_ZERO>", [8, -9, 7, -8], [0, 0, 7, -8], id="sat-zero"),
    pytest.param("ap_fixed<4,4>", [8, -9, 23, -8], [-8, 7, 7, -8], id="wrap"),
    pytest.param("ap_ufixed<4,4,AP_TRN,AP_SAT>", [-1, 16, 15], [0, 15, 15], id="ufixed-sat"),
    pytest.param("ap_ufixed<4,4>", [-1, 16, 17], [15, 0, 1], id="ufixed-wrap"),
]


@pytest.mark.parametrize(("spelling", "raw", "expected"), OVERFLOW_RAW)
def test_overflow_modes_from_integers(spelling: str, raw: list[int], expected: list[int]) -> None:
    assert cast(raw, "ap_int<8>", spelling).tolist() == expected


# -- casts ---------------------------------------------------------------------------------------------------
# ------------
CASTS = [
    pytest.param(
        "ap_fixed<8,8>", "ap_fixed<8,8,AP_TRN,AP_SAT_SYM>", [-128, 127], [-127, 127], id="sat-sym-same-width"
    ),
    pytest.param(
        "ap_fixed<8,4>", "ap_int<8>", [-120, 120, -8, 8, -1], [-7, 7, 0, 0, 0], id="to-int-truncates"
    ),
    pytest.param("ap_int<8>", "ap_int<8>", [127], [127], id="int-identity"),
    pytest.param("ap_int<16>", "ap_int<8>", [300, 128], [44, -128], id="int-wraps"),
    pytest.param("ap_uint<8>", "ap_fixed<8,4,AP_RND,AP_SAT>", [3, 200], [48, 127], id="uint-to-fixed"),
    pytest.param(
        "ap_fixed<16,6>",
        "ap_fixed<8,3,AP_RND_CONV>",
        [16, 48, -16, -48],
        [0, 2, 0, -2],
        id="fixed-rnd-conv-ties",
    ),
    pytest.param(
        "ap_fixed<100,50>",
        "ap_fixed<16,6,AP_RND,AP_SAT>",
        [2**60, -(2**60), 3 * 2**49, 3 * 2**39],
        [32767, -32768, 1536, 2],
        id="wide-to-narrow",
    ),
    pytest.param(
        "ap_fixed<16,6>", "ap_fixed<100,50>", [-1, 1536], [-(2**40), 3 * 2**49], id="narrow-to-wide"
    ),
    # Pinned from g++: to_ap_int_base() keeps one bit when I <= 0, so a negative fraction becomes -1.
    pytest.param(
        "ap_fixed<8,0>",
        "ap_int<8>",
        [-32, 0, 32, -1, -128, 127],
        [-1, 0, 0, -1, -1, 0],
        id="to-int-i-zero-carry",
    ),
    pytest.param("ap_fixed<8,12>", "ap_int<8>", [-3, 3], [-48, 48], id="to-int-i-above-w"),
]


@pytest.mark.parametrize(("src", "dst", "raw", "expected"), CASTS)
def test_cast(src: str, dst: str, raw: list[int], expected: list[int]) -> None:
    assert cast(raw, src, dst).tolist() == expected
    assert FixedType.parse(dst).cast(raw, src).tolist() == expected


def test_double_rounding_example() -> None:
    # The notes' case: a float64 emulation of a wide product rounds twice; the exact path does not.
    a, b, t = [-1507367806], [-1717300311], "ap_fixed<32,4>"
    product, ptype = mul(a, t, b, t)
    dst = FixedType.parse("ap_fixed<64,24>")  # F = 40, AP_TRN
    assert cast(product, ptype, dst).tolist() == [39498950226366]
    through_float = to_float(a, t) * to_float(b, t)
    assert from_float(through_float, dst).tolist() == [39498950226367]


# -- to_float ------------------------------------------------------------------------------------------------
# -------------
TO_FLOAT = [
    pytest.param("ap_fixed<16,6>", [1536, -1, 0], [1.5, -(2.0**-10), 0.0], id="exact"),
    pytest.param(
        "ap_fixed<64,64>",
        [2**53 + 1, 2**53 + 3, -(2**53) - 3],
        [2.0**53, 2.0**53 + 4, -(2.0**53) - 4],
        id="half-even-beyond-53-bits",
    ),
    pytest.param("ap_fixed<100,60>", [-1], [-(2.0**-40)], id="wide"),
    pytest.param("ap_ufixed<100,60>", [2**100 - 1], [2.0**60], id="wide-rounds-up"),
    # Pinned from g++: to_double() writes the exponent field without a range check.
    pytest.param("ap_fixed<8,-1020>", [1, 64], [2.0**1020, 2.0**-1022], id="exponent-field-wraps-low"),
    pytest.param("ap_fixed<8,1030>", [64, 1], [2.0**-1020, 2.0**1022], id="exponent-field-wraps-high"),
    pytest.param("ap_ufixed<1024,1024>", [2**1024 - 1], [math.inf], id="rounds-to-inf"),
]


@pytest.mark.parametrize(("spelling", "raw", "expected"), TO_FLOAT)
def test_to_float(spelling: str, raw: list[int], expected: list[float]) -> None:
    t = FixedType.parse(spelling)
    assert to_float(np.array(raw, dtype=t.dtype), t).tolist() == expected


def test_round_trip_every_code_of_a_narrow_type() -> None:
    t = FixedType.parse("ap_fixed<12,3>")
    raw = np.arange(t.min_raw, t.max_raw + 1)
    assert np.array_equal(t.from_float(t.to_float(raw)), raw)


# -- the execution paths agree
# -------------------------------------------------------------------------------------------
def _random_types(rng: np.random.Generator, n: int, max_width: int) -> list[FixedType]:
    out = []
    for _ in range(n):
        w = int(rng.integers(1, max_width + 1))
        q = list(Quantization)[int(rng.integers(0, 7))]
        o = list(Overflow)[int(rng.integers(0, 5))]
        signed = bool(rng.integers(0, 2)) or o is Overflow.WRAP_SM
        n_bits = min(w, int(rng.choice([0, 0, 1, 2, w])))
        out.append(
            FixedType(
                w,
                int(rng.integers(-w, 2 * w + 2)),
                signed=signed,
                quantization=q,
                overflow=o,
                sat_bits=n_bits,
            )
        )
    return out


def test_int64_and_object_paths_agree_on_requantize() -> None:
    rng = np.random.default_rng(7)
    for dst in _random_types(rng, 120, 63):
        raw = rng.integers(-(2**62), 2**62, 300) >> rng.integers(0, 62, 300)
        raw[:4] = [0, -1, 2**62, -(2**62)]
        src_frac = int(rng.integers(-70, 140))
        fast = requantize(raw, src_frac, dst)
        wide = requantize(raw.astype(object), src_frac, dst)  # narrowed to int64 early where that applies
        neg = raw < 0
        plain = _requantize_object(raw.astype(object), src_frac - dst.frac_bits, dst, neg, None)
        assert fast.dtype == np.int64
        assert fast.tolist() == wide.tolist() == plain.tolist(), (str(dst), src_frac)


def test_wide_sources_narrowed_early_agree_with_the_exact_kernel() -> None:
    # Raw values far beyond 64 bits into narrow destinations: the early int64 reduction (sticky bit, clamp or
    # mask) must give the exact kernel's bits, for every mode it takes and the ones it leaves alone.
    rng = np.random.default_rng(11)
    for dst in _random_types(rng, 150, 60):
        values, shifts = rng.integers(-(2**62), 2**62, 200), rng.integers(0, 140, 200)
        raw = np.array([int(v) << int(k) for v, k in zip(values, shifts, strict=True)], dtype=object)
        raw[:3] = [0, -1, 2**200]
        src_frac = int(rng.integers(-20, 220))
        neg = np.array([v < 0 for v in raw], dtype=bool)
        plain = _requantize_object(raw, src_frac - dst.frac_bits, dst, neg, None)
        assert requantize(raw, src_frac, dst).tolist() == plain.tolist(), (str(dst), src_frac)


def test_fast_and_decoded_from_float_agree() -> None:
    rng = np.random.default_rng(8)
    specials = [math.nan, NAN_NEG, math.inf, -math.inf, 0.0, -0.0, 5e-324, -5e-324, 1e300, -1e300, 2.0**-1074]
    for dst in _random_types(rng, 150, 63) + _random_types(rng, 60, 300):
        x = np.concatenate(
            [
                rng.normal(0, 2.0 ** (dst.int_bits - 1), 200),
                (rng.integers(-(2**20), 2**20, 100) / 4.0) * 2.0**-dst.frac_bits,  # exact ties
                specials,
            ]
        )
        assert from_float(x, dst).tolist() == from_float(x, dst, exact_decode=True).tolist(), str(dst)


def test_wide_and_narrow_requantize_agree_where_both_apply() -> None:
    # Widening a WRAP destination past 63 bits must not change the low bits of any result.
    rng = np.random.default_rng(9)
    raw = rng.integers(-(2**40), 2**40, 1000)
    narrow = requantize(raw, 20, FixedType.parse("ap_fixed<40,12,AP_RND>"))
    wide = requantize(raw, 20, FixedType.parse("ap_fixed<90,62,AP_RND>"))
    assert wide.tolist() == [v << 8 for v in raw.tolist()]  # the wide destination holds every value exactly
    assert narrow.tolist() == [((int(v) + 2**39) % 2**40) - 2**39 for v in wide]


def test_shapes_and_dtypes_are_kept() -> None:
    x = np.linspace(-3, 3, 24).reshape(2, 3, 4)
    t = FixedType.parse("ap_fixed<8,3,AP_RND,AP_SAT>")
    assert t.from_float(x).shape == (2, 3, 4) and t.from_float(x).dtype == np.int64
    assert t.from_float(1.5).shape == () and int(t.from_float(1.5)) == 48
    wide = FixedType.parse("ap_fixed<80,10>")
    assert wide.from_float(x).dtype == object and wide.from_float(x).shape == (2, 3, 4)
    assert requantize(np.zeros((0, 3), dtype=np.int64), 4, t).shape == (0, 3)


def test_float32_input_is_exact() -> None:
    x32 = np.array([0.1, -2.7], dtype=np.float32)
    t = FixedType.parse("ap_fixed<40,8,AP_RND>")
    assert from_float(x32, t).tolist() == from_float(x32.astype(np.float64), t).tolist()


# -- invalid calls
# -------------------------------------------------------------------------------------------------------
INVALID = [
    pytest.param(
        lambda: requantize([1.5], 0, "ap_fixed<8,4>"),
        InvalidType,
        "Expected raw integers but got raw of dtype float64; use from_float for real values",
        id="float-raw",
    ),
    pytest.param(
        lambda: requantize(np.array([1, 2.5], dtype=object), 0, "ap_fixed<8,4>"),
        InvalidType,
        "Expected raw integers but raw holds 2.5 (type=float); use from_float for real values",
        id="float-in-object-raw",
    ),
    pytest.param(
        lambda: requantize([1], 1.0, "ap_fixed<8,4>"),
        InvalidType,  # type: ignore[arg-type]
        "Expected int but got src_frac_bits=1.0 (type=float)",
        id="float-frac-bits",
    ),
    pytest.param(lambda: requantize([1], 0, "ap_fixed<8"), InvalidArgument, None, id="bad-type-text"),
    pytest.param(
        lambda: cast([300], "ap_fixed<8,4>", "ap_fixed<8,4>"),
        InvalidArgument,
        "raw value 300 is outside ap_fixed<8,4> (raw codes -128 to 127)",
        id="raw-outside-source",
    ),
    pytest.param(
        lambda: cast([-1], "ap_ufixed<8,4>", "ap_fixed<8,4>"),
        InvalidArgument,
        "raw value -1 is outside ap_ufixed<8,4> (raw codes 0 to 255)",
        id="negative-unsigned-raw",
    ),
    pytest.param(
        lambda: from_float([2**53 + 1], "ap_fixed<64,64>"),
        InvalidArgument,
        "x=9007199254740993 is not exactly a double; from_float converts doubles (pass raw integers to cast)",
        id="int-not-a-double",
    ),
    pytest.param(
        lambda: from_float(np.array([1.0], dtype=np.longdouble), "ap_fixed<8,4>"),
        InvalidType,
        f"Expected float64 values but got x of dtype {np.dtype(np.longdouble)}; it would be rounded",
        id="longdouble",
    ),
    pytest.param(
        lambda: from_float(["1.5"], "ap_fixed<8,4>"),
        InvalidType,
        "Expected float values but got x of dtype <U3",
        id="strings",
    ),
]


@pytest.mark.parametrize(("call", "error", "message"), INVALID)
def test_invalid_calls(call: object, error: type[Exception], message: str | None) -> None:
    with pytest.raises(error) as info:
        call()  # type: ignore[operator]
    if message is not None:
        assert str(info.value) == message


def test_pre_round_bit_w_overrides_the_wrap_sm_fold() -> None:
    # 8 into ap_fixed<4,4,AP_TRN,AP_WRAP_SM>: bit W of floor(t) is 0, so the pattern 1000 folds to 0111 (7). A
    # caller that already dropped the high bits passes the bit instead; with it set, 1000 stays (-8).
    t = FixedType.parse("ap_fixed<4,4,AP_TRN,AP_WRAP_SM>")
    assert requantize([8], 0, t).tolist() == [7]
    assert requantize([8], 0, t, pre_round_bit_w=[True]).tolist() == [-8]
    assert requantize(np.array([8], dtype=object), 0, t, pre_round_bit_w=[True]).tolist() == [-8]


def _ap_int_from_double(x: float, width: int, signed: bool) -> int:
    """ap_int_base(double) transcribed line by line from ap_int_base.h, on one value."""
    bits = int(np.array(x).view(np.uint64))
    is_neg = bits >> 63
    exp = ((bits >> 52) & 0x7FF) - 1023
    man = (bits & ((1 << 52) - 1)) | (1 << 52)
    if bits & ((1 << 63) - 1) == 0:
        v = 0
    else:
        sh_amt = 52 - exp
        if sh_amt == 0:
            v = man
        elif sh_amt > 0:
            v = man >> sh_amt if sh_amt < 54 else (-1 if is_neg else 0)
        else:
            v = man << -sh_amt if -sh_amt < width else 0
    v = (-v if is_neg else v) % (1 << width)
    return v - (1 << width) if signed and v >> (width - 1) else v


@pytest.mark.parametrize("width", [1, 2, 7, 8, 31, 32, 33, 52, 53, 62, 63, 64, 65, 100])
@pytest.mark.parametrize("signed", [True, False], ids=["int", "uint"])
def test_ap_int_from_double_follows_the_header_code(width: int, signed: bool) -> None:
    rng = np.random.default_rng(width)
    specials = [0.0, -0.0, -0.3, -0.49, -0.5, 0.5, -1e-300, 5e-324, -5e-324, math.nan, NAN_NEG, math.inf]
    huge = [-math.inf, 1e300, -1e300, 2.0**63, -(2.0**63), 2.0**64 + 2.0**12, -(2.0**64 + 2.0**12)]
    x = np.concatenate([rng.normal(0, 2.0 ** int(rng.integers(-3, 70)), 200), specials, huge])
    t = FixedType(width, width, signed=signed, is_int=True)
    assert from_float(x, t).tolist() == [_ap_int_from_double(float(v), width, signed) for v in x]


@pytest.mark.parametrize(
    "spelling",
    [
        "ap_fixed<16,6,AP_RND,AP_SAT>",
        "ap_fixed<16,6>",
        "ap_fixed<8,12,AP_RND_CONV,AP_SAT_SYM>",
        "ap_int<8>",
        "ap_uint<70>",
        "ap_fixed<70,20,AP_RND,AP_SAT>",
        "ap_fixed<16,6,AP_TRN,AP_WRAP,2>",
    ],
)
def test_signalling_nan_is_a_nan_without_warnings(spelling: str) -> None:
    # Any bit pattern may reach from_float; a signalling NaN must not trip filterwarnings=error.
    snan = np.array([0x7FF0000000000001, 0xFFF0000000000001], dtype=np.uint64).view(np.float64)
    quiet = np.array([math.nan, NAN_NEG])
    assert from_float(snan, spelling).tolist() == from_float(quiet, spelling).tolist()
