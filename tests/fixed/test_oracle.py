"""fwparity.fixed against the real ap_types headers compiled by g++ (the oracle in fwparity.fixed._oracle).

Two layers: 1. The oracle's own plumbing is pinned to facts about the headers (documented in the reference
notes and checked
   against compiled code there), so a broken oracle cannot make a broken fwparity.fixed look right.
2. fwparity.fixed is compared with the oracle: a deterministic sweep that covers every (quantization,
overflow)
   combination for certain, and hypothesis-driven runs that draw a type per example and check a batch of
   biased values per type (>= 100,000 pairs per test in the ``ci`` profile).

All types are collected up front (deterministic pools) and compiled in one cached build per module.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fwparity.errors import InvalidArgument
from fwparity.fixed import FixedType, Overflow, Quantization
from fwparity.fixed._oracle import Oracle, build_oracle, from_words, to_words
from fwparity.fixed._selftest import (
    Check,
    check_binary,
    check_cast,
    check_from_float,
    float_values,
    random_type,
    raw_values,
    type_pool,
)

pytestmark = pytest.mark.requires_gxx

SEED = 20261124
VALUES_PER_TYPE = 1000

# Every (Q, O) combination three times (signed, unsigned, signed; WRAP_SM always signed), 25 random types, and
# ap_int/ap_uint at the word boundaries. The pools are sized for the compile: a conversion kernel costs g++
# ~0.13 s, a cast ~0.2 s and an arithmetic one ~0.45 s, so the module compiles in ~50 CPU-seconds (cached
# afterwards).
CONVERSIONS = type_pool(SEED, per_mode=3, extra=25, int_widths=(1, 8, 33, 63, 64, 65, 100, 128))


def _cast_pool() -> list[tuple[FixedType, FixedType]]:
    rng = np.random.default_rng([SEED, 1])
    pairs = []
    for q in Quantization:
        for o in Overflow:
            for _ in range(1):
                pairs.append((random_type(rng), random_type(rng, quantization=q, overflow=o)))
    for width in (1, 8, 64, 65):  # fixed -> ap_int / ap_uint: the headers' to_ap_int_base path
        pairs.append((random_type(rng), FixedType(width, width, is_int=True, signed=bool(width % 2))))
    return pairs


def _binop_pool() -> list[tuple[str, FixedType, FixedType, FixedType]]:
    rng = np.random.default_rng([SEED, 2])
    out = []
    for op in ("+", "-", "*", "/"):
        for _ in range(10):
            out.append((op, random_type(rng, max_width=70), random_type(rng, max_width=70), random_type(rng)))
        # Natural types: ap_int op ap_int, and a mixed fixed/int pair.
        out.append(
            (op, FixedType(9, 9, is_int=True), FixedType(7, 7, signed=False, is_int=True), random_type(rng))
        )
        out.append((op, random_type(rng, max_width=40), FixedType(12, 12, is_int=True), random_type(rng)))
    return out


CASTS = _cast_pool()
BINOPS = _binop_pool()


@pytest.fixture(scope="module")
def oracle() -> Oracle:
    return build_oracle(conversions=CONVERSIONS, casts=CASTS, binops=BINOPS)


def _assert_ok(check: Check) -> None:
    __tracebackhide__ = True
    if not check.ok:
        lines = [f"{check.mismatches} of {check.pairs} pairs differ for {check.family} into {check.dst}"]
        if check.error:
            lines.append(f"fwparity raised {check.error}")
        lines += [str(m) for m in check.examples]
        pytest.fail("\n".join(lines), pytrace=False)


# ------------------------------------------------------------------------------------------------------------
# 1. The oracle itself, pinned to known header behaviour
# ------------------------------------------------------------------------------------------------------------

KNOWN_CONVERSIONS = [
    pytest.param(
        "ap_int<8>",
        [-0.3, -0.49, -1e-300, -0.5, -0.7, -2.7, 300.7],
        [1, 1, 1, 0, 0, -2, 44],
        id="ap_int-negative-fraction-bug",
    ),
    pytest.param("ap_uint<8>", [-1.0, math.inf, math.nan, 1e300], [255, 0, 0, 0], id="ap_uint-specials"),
    pytest.param("ap_ufixed<4,4,AP_TRN,AP_WRAP,2>", [-8.0], [12], id="ufixed-wrap-n-underflow-sets-msbs"),
    pytest.param(
        "ap_fixed<16,16>",
        [2.0**64 + 2.0**12, -(2.0**64 + 2.0**12), 1e300],
        [4096, -4096, 0],
        id="huge-wraps-exactly",
    ),
    pytest.param(
        "ap_fixed<4,4,AP_TRN,AP_WRAP_SM>",
        [8, 9, 15, 16, 17, -9, -10, -16, -17],
        [7, 6, 0, -1, -2, -8, -7, -1, 0],
        id="wrap-sm-folds",
    ),
    pytest.param(
        "ap_fixed<16,6,AP_RND,AP_SAT>",
        [math.nan, -math.nan, math.inf, -math.inf, -0.0, 1.5],
        [32767, -32768, 32767, -32768, 0, 1536],
        id="nan-by-sign-bit",
    ),
    pytest.param("ap_fixed<8,8,AP_TRN,AP_SAT_SYM>", [-128.0, -200.0], [-127, -127], id="sat-sym"),
    pytest.param("ap_fixed<64,-1000>", [5e-324], [2**41], id="subnormal-misdecoded"),
    pytest.param("ap_fixed<8,8>", [-2.7], [-3], id="trn-is-floor"),
]


WIDE = FixedType.parse("ap_fixed<130,64>")
NARROW = FixedType.parse("ap_fixed<8,4>")
QUOTIENT = FixedType.parse("ap_fixed<13,9>")


@pytest.fixture(scope="module")
def known_oracle() -> Oracle:
    """One build for all the pinned facts (each separate build would parse the headers again)."""
    return build_oracle(
        conversions=[FixedType.parse(p.values[0]) for p in KNOWN_CONVERSIONS],
        casts=[(WIDE, WIDE)],
        binops=[("/", NARROW, NARROW, QUOTIENT), ("*", WIDE, WIDE, WIDE)],
    )


@pytest.mark.parametrize(("spelling", "values", "expected"), KNOWN_CONVERSIONS)
def test_oracle_reproduces_known_header_behaviour(
    known_oracle: Oracle, spelling: str, values: list[float], expected: list[int]
) -> None:
    t = FixedType.parse(spelling)
    assert known_oracle.from_float(t, values).tolist() == expected


def test_oracle_wide_cast_and_arithmetic(known_oracle: Oracle) -> None:
    oracle, wide, narrow, quotient = known_oracle, WIDE, NARROW, QUOTIENT
    raw = np.array([-(2**129), 2**129 - 1, 0, -1, 123456789 << 70], dtype=object)
    assert oracle.cast(raw, wide, wide).tolist() == raw.tolist()  # identity through three words each way
    # 1.0 / 3.0 in <8,4> is exact in <13,9>: trunc((16 << 4) / 48) = 5
    assert oracle.binary("/", np.array([16, -16]), narrow, np.array([48, 48]), narrow, quotient).tolist() == [
        5,
        -5,
    ]
    # raw 2^34 is 2^-32 at F=66; the product 2^-64 is raw 2^2 at F=66
    assert oracle.binary(
        "*", np.array([2**34], dtype=object), wide, np.array([2**34], dtype=object), wide, wide
    ).tolist() == [4]


@pytest.mark.parametrize("width", [1, 7, 63, 64, 65, 128, 200])
@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_words_round_trip(width: int, signed: bool) -> None:
    t = FixedType(width, 0, signed=signed)
    rng = np.random.default_rng(width)
    raw = raw_values(t, rng, 200)
    words = to_words(raw, t)
    assert words.shape == (len(raw), (width + 63) // 64)
    assert from_words(words, t).tolist() == raw.tolist()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(
            lambda: build_oracle(binops=[("%", FixedType(8, 4), FixedType(8, 4), FixedType(8, 4))]),
            r"^Operator must be one of \+, -, \*, /, not op='%'$",
            id="operator",
        ),
        pytest.param(
            lambda: build_oracle(),
            r"^build_oracle needs at least one of conversions, casts or binops$",
            id="nothing",
        ),
    ],
)
def test_invalid_builds(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgument, match=message):
        call()


def test_invalid_calls(oracle: Oracle) -> None:
    t = FixedType.parse("ap_fixed<7,3,AP_RND_CONV,AP_SAT,1>")
    with pytest.raises(
        InvalidArgument,
        match=r"^The oracle was not built for conversions to dst='ap_fixed<7,3,"
        r"AP_RND_CONV,AP_SAT,1>'$",
    ):
        oracle.from_float(t, [1.0])
    op, a, b, d = next(x for x in BINOPS if x[0] == "/")
    with pytest.raises(InvalidArgument, match=r"^Division by zero: b_raw holds 1 zero divisor\(s\)$"):
        oracle.binary("/", np.array([1, 1]), a, np.array([1, 0]), b, d)


# ------------------------------------------------------------------------------------------------------------
# 2. fwparity.fixed against the oracle
# ------------------------------------------------------------------------------------------------------------

MODES = [pytest.param(q, o, id=f"{q.name}-{o.name}") for q in Quantization for o in Overflow]


@pytest.mark.parametrize(("quantization", "overflow"), MODES)
def test_sweep_every_mode_combination(oracle: Oracle, quantization: Quantization, overflow: Overflow) -> None:
    """Every (Q, O) pair, deterministically.

    Three pool types each with 2,000 biased doubles per type, and the cast into that mode.
    """
    types = [
        t for t in CONVERSIONS if t.quantization is quantization and t.overflow is overflow and not t.is_int
    ]
    assert len(types) >= 3
    rng = np.random.default_rng([SEED, 3, len(types)])
    for t in types:
        _assert_ok(check_from_float(oracle, t, float_values(t, rng, 2000)))
    for src, dst in CASTS:
        if dst.quantization is quantization and dst.overflow is overflow:
            raw = raw_values(src, rng, 2000, tie_shift=src.frac_bits - dst.frac_bits)
            _assert_ok(check_cast(oracle, raw, src, dst))


@pytest.mark.parametrize("t", [t for t in CONVERSIONS if t.is_int], ids=str)
def test_sweep_ap_int_from_double(oracle: Oracle, t: FixedType) -> None:
    _assert_ok(check_from_float(oracle, t, float_values(t, np.random.default_rng([SEED, 4, t.width]), 2000)))


@pytest.mark.parametrize("binop", BINOPS, ids=lambda b: f"{b[3]}={b[1]}{b[0]}{b[2]}")
def test_sweep_arithmetic(oracle: Oracle, binop: tuple[str, FixedType, FixedType, FixedType]) -> None:
    op, a_t, b_t, dst = binop
    rng = np.random.default_rng([SEED, 5])
    a = raw_values(a_t, rng, 300)
    b = raw_values(b_t, rng, 300, nonzero=(op == "/"))
    _assert_ok(check_binary(oracle, op, a, a_t, b, b_t, dst))


# Hypothesis draws which type and which batch; the batch itself is numpy-generated (1,000 values per example)
# so a ci run of 200 examples checks 200,000 pairs. Shrinking moves towards the first pool entries and seed 0,
# and the extra hypothesis-drawn doubles shrink towards simple values.
extra_doubles = st.lists(st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True), max_size=16)


@given(index=st.integers(0, len(CONVERSIONS) - 1), seed=st.integers(0, 2**32 - 1), extra=extra_doubles)
def test_from_float_matches_headers(oracle: Oracle, index: int, seed: int, extra: list[float]) -> None:
    t = CONVERSIONS[index]
    values = np.concatenate(
        [np.array(extra, dtype=np.float64), float_values(t, np.random.default_rng(seed), VALUES_PER_TYPE)]
    )
    _assert_ok(check_from_float(oracle, t, values))


@given(index=st.integers(0, len(CASTS) - 1), seed=st.integers(0, 2**32 - 1))
def test_cast_matches_headers(oracle: Oracle, index: int, seed: int) -> None:
    src, dst = CASTS[index]
    raw = raw_values(
        src, np.random.default_rng(seed), VALUES_PER_TYPE, tie_shift=src.frac_bits - dst.frac_bits
    )
    _assert_ok(check_cast(oracle, raw, src, dst))


@given(index=st.integers(0, len(BINOPS) - 1), seed=st.integers(0, 2**32 - 1))
def test_arithmetic_matches_headers(oracle: Oracle, index: int, seed: int) -> None:
    op, a_t, b_t, dst = BINOPS[index]
    rng = np.random.default_rng(seed)
    a = raw_values(a_t, rng, VALUES_PER_TYPE // 2)
    b = raw_values(b_t, rng, VALUES_PER_TYPE // 2, nonzero=(op == "/"))
    _assert_ok(check_binary(oracle, op, a, a_t, b, b_t, dst))
