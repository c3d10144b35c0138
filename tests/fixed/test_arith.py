"""Exact arithmetic: result types (FixedType's word-growth table), raw ops, shifts, comparisons."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest

from fwparity import _build, _toolchain
from fwparity.errors import InvalidArgument
from fwparity.fixed import (
    FixedType,
    add,
    add_type,
    c_int_type,
    cast,
    div,
    div_type,
    eq,
    ge,
    gt,
    le,
    lt,
    mul,
    mul_type,
    ne,
    neg,
    neg_type,
    shl,
    shr,
    sub,
    sub_type,
)

# -- the word-growth table drives these tests
# ------------------------------------------------------------------------
_GROWTH_RE = re.compile(r"growth: (-?)(\S+) (?:([*+/-]) (\S+) )?-> (\S+)")
GROWTH = [m.groups() for m in _GROWTH_RE.finditer(FixedType.__doc__ or "")]
_TYPE_OF = {"*": mul_type, "+": add_type, "-": sub_type, "/": div_type}


def test_growth_table_is_in_the_docstring() -> None:
    assert len(GROWTH) >= 15
    assert {op for _, _, op, _, _ in GROWTH} >= {"*", "+", "-", "/", None}


@pytest.mark.parametrize(
    ("negate", "a", "op", "b", "result"), GROWTH, ids=[" ".join(filter(None, g)) for g in GROWTH]
)
def test_growth_rule(negate: str, a: str, op: str | None, b: str | None, result: str) -> None:
    got = neg_type(a) if negate else _TYPE_OF[op](a, b)  # type: ignore[index, arg-type]
    assert str(got) == result


@pytest.mark.requires_gxx
def test_growth_table_against_the_headers() -> None:
    # The compiled headers are the oracle: print each expression's result type (W, I, signed, int or fixed).
    exprs = [f"-{a}()" if neg_ else f"{a}() {op} {b}()" for neg_, a, op, b, _ in GROWTH]
    source = "\n".join(
        [
            '#include "ap_fixed.h"',
            '#include "ap_int.h"',
            "#include <cstdio>",
            "template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>",
            "void show(const ap_fixed_base<W, I, S, Q, O, N>&) {",
            '  std::printf("fixed %d %d %d\\n", W, I, int(S));',
            "}",
            "template <int W, bool S>",
            'void show(const ap_int_base<W, S>&) { std::printf("int %d %d %d\\n", W, W, int(S)); }',
            "int main() {",
            *[f"  show(decltype({e})());" for e in exprs],  # unevaluated: no 0/0 at run time
            "}",
        ]
    )
    exe = _build.build_executable(
        {"growth.cpp": source},
        flags=("-O0", "-std=c++17", "-w"),
        include_dirs=[_toolchain.find_ap_include()],
        tag="test-growth",
    )
    lines = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.splitlines()
    assert len(lines) == len(GROWTH)
    for (_, a, op, b, result), line in zip(GROWTH, lines, strict=True):
        kind, w, i, s = line.split()
        t = FixedType.parse(result)
        assert (kind == "int", int(w), int(i), bool(int(s))) == (t.is_int, t.width, t.int_bits, t.signed), (
            a,
            op,
            b,
        )


# -- raw operations
# ---------------------------------------------------------------------------------------------------
OPS = [
    pytest.param(
        add,
        "ap_fixed<8,4>",
        [16, -128],
        "ap_fixed<12,2>",
        [3, -2048],
        [1027, -10240],
        "ap_fixed<15,5>",
        id="add-aligns-lsb",
    ),
    pytest.param(
        add, "ap_ufixed<8,4>", [255], "ap_ufixed<8,4>", [255], [510], "ap_ufixed<9,5>", id="add-unsigned"
    ),
    pytest.param(
        add, "ap_fixed<8,4>", [-128], "ap_ufixed<8,4>", [255], [127], "ap_fixed<10,6>", id="add-mixed"
    ),
    pytest.param(
        sub, "ap_ufixed<8,4>", [0], "ap_ufixed<8,4>", [255], [-255], "ap_fixed<9,5>", id="sub-unsigned"
    ),
    pytest.param(
        sub, "ap_fixed<8,4>", [-128], "ap_fixed<8,4>", [127], [-255], "ap_fixed<9,5>", id="sub-no-wrap"
    ),
    pytest.param(
        mul,
        "ap_fixed<8,4>",
        [-128],
        "ap_fixed<8,4>",
        [-128],
        [16384],
        "ap_fixed<16,8>",
        id="mul-min-times-min",
    ),
    pytest.param(mul, "ap_fixed<8,4>", [24], "ap_int<32>", [3], [72], "ap_fixed<40,36>", id="mul-c-int-rule"),
    pytest.param(
        div, "ap_fixed<8,4>", [-120], "ap_fixed<8,4>", [32], [-60], "ap_fixed<13,9>", id="div-truncates"
    ),
    pytest.param(
        div,
        "ap_fixed<8,4>",
        [-121],
        "ap_fixed<8,4>",
        [32],
        [-60],
        "ap_fixed<13,9>",
        id="div-toward-zero-not-floor",
    ),
    pytest.param(
        div, "ap_fixed<8,4>", [-128], "ap_fixed<8,4>", [-1], [2048], "ap_fixed<13,9>", id="div-min-by-lsb"
    ),
    pytest.param(div, "ap_int<8>", [-7], "ap_int<8>", [2], [-3], "ap_int<9>", id="div-int"),
    pytest.param(
        div, "ap_fixed<8,4>", [64], "ap_fixed<8,10>", [3], [21], "ap_fixed<9,3>", id="div-negative-f2"
    ),
]


@pytest.mark.parametrize(("op", "at", "a", "bt", "b", "expected", "rtype"), OPS)
def test_raw_ops(
    op: object, at: str, a: list[int], bt: str, b: list[int], expected: list[int], rtype: str
) -> None:
    raw, t = op(a, at, b, bt)  # type: ignore[operator]
    assert (raw.tolist(), str(t)) == (expected, rtype)


def test_neg_does_not_wrap() -> None:
    raw, t = neg([-128, 127], "ap_fixed<8,4>")
    assert (raw.tolist(), str(t)) == ([128, -127], "ap_fixed<9,5>")


def test_hls4ml_accumulation_pattern() -> None:
    # acc += x * w: exact product, exact sum, then the accumulator's own modes on assignment.
    x, w = [100, -100], [50, 70]
    p, pt = mul(x, "ap_fixed<16,6>", w, "ap_fixed<16,6>")
    s, st = add(p[0], pt, p[1], pt)
    assert (int(s), str(st)) == (100 * 50 - 100 * 70, "ap_fixed<33,13>")
    assert cast([s], st, "ap_fixed<16,6,AP_RND,AP_SAT>").tolist() == [-2]  # -2000 / 2**10 = -1.95 -> -2


def test_c_int_rule_with_int_increment() -> None:
    # ap_int<8> 127; ++ -> -128 (assignment back wraps); ap_int<8> = 300 -> 44.
    s, t = add([127], "ap_int<8>", [1], c_int_type())
    assert cast(s, t, "ap_int<8>").tolist() == [-128]
    assert cast([300], c_int_type(), "ap_int<8>").tolist() == [44]


def test_int64_and_object_paths_agree() -> None:
    rng = np.random.default_rng(3)
    at, bt = FixedType.parse("ap_fixed<30,10>"), FixedType.parse("ap_ufixed<25,5>")
    a = rng.integers(at.min_raw, at.max_raw + 1, 500)
    b = rng.integers(1, bt.max_raw + 1, 500)
    for op in (add, sub, mul, div):
        fast, t = op(a, at, b, bt)
        wide, t2 = op(a.astype(object), at, b.astype(object), bt)
        assert t == t2 and fast.dtype == np.int64
        assert fast.tolist() == wide.tolist(), op.__name__
    for op in (lt, le, gt, ge, eq, ne):
        assert op(a, at, b, bt).tolist() == op(a.astype(object), at, b.astype(object), bt).tolist()


def test_wide_results_are_object_and_exact() -> None:
    a = [2**62 - 1]
    raw, t = mul(a, "ap_fixed<64,32>", a, "ap_fixed<64,32>")
    assert raw.dtype == object and t.width == 128 and raw.tolist() == [(2**62 - 1) ** 2]


# -- shifts: same type, raw, wrap/floor regardless of modes
# -----------------------------------------------------------
SHIFTS = [
    pytest.param(shl, [20 * 1024], 1, [-24 * 1024], id="shl-wraps-under-sat"),
    pytest.param(shr, [-3], 1, [-2], id="shr-floors-under-rnd"),
    pytest.param(shl, [3], -1, [1], id="shl-negative-is-shr"),
    pytest.param(shr, [3], -2, [12], id="shr-negative-is-shl"),
    pytest.param(shl, [1], 16, [0], id="shl-past-width"),
    pytest.param(shr, [-1], 100, [-1], id="shr-far"),
]


@pytest.mark.parametrize(("op", "raw", "n", "expected"), SHIFTS)
def test_shifts(op: object, raw: list[int], n: int, expected: list[int]) -> None:
    assert op(raw, "ap_fixed<16,6,AP_RND,AP_SAT>", n).tolist() == expected  # type: ignore[operator]


def test_shift_wide_and_unsigned() -> None:
    assert shl([2**99], "ap_fixed<100,50>", 1).tolist() == [0]
    assert shl([1], "ap_fixed<100,50>", 99).tolist() == [-(2**99)]
    assert shl([255], "ap_ufixed<8,4>", 4).tolist() == [240]


# -- comparisons are exact on values
# ----------------------------------------------------------------------------------
COMPARE = [
    pytest.param(eq, [16], "ap_fixed<8,4>", [64], "ap_fixed<8,2>", [True], id="eq-different-lsb"),
    pytest.param(lt, [1], "ap_fixed<8,4>", [1], "ap_fixed<8,2>", [False], id="lt-aligns"),
    pytest.param(gt, [-1], "ap_fixed<8,4>", [0], "ap_ufixed<8,4>", [False], id="gt-mixed-sign"),
    pytest.param(le, [2**70], "ap_fixed<80,40>", [1], "ap_int<8>", [False], id="le-wide"),
    pytest.param(ne, [3], "ap_fixed<8,8>", [3], "ap_int<8>", [False], id="ne-int"),
    pytest.param(ge, [-128], "ap_fixed<8,0>", [-1], "ap_fixed<8,8>", [True], id="ge-equal-values"),
]


@pytest.mark.parametrize(("op", "a", "at", "b", "bt", "expected"), COMPARE)
def test_comparisons(op: object, a: list[int], at: str, b: list[int], bt: str, expected: list[bool]) -> None:
    assert op(a, at, b, bt).tolist() == expected  # type: ignore[operator]


# Pinned from g++ (hls4ml 1.3.0 ap_types): a<b, a<=b, a>b, a>=b, a==b, a!=b where C++ is not the exact
# comparison (even inconsistent: equal and greater at once), next to what the exact comparison gives.
HEADER_COMPARE = [
    pytest.param(0, "ap_uint<110>", -64, "ap_fixed<7,-1>", "110001", "001101", id="wide-unsigned-vs-signed"),
    pytest.param(
        -1,
        "ap_fixed<1,-1,AP_TRN,AP_SAT_SYM>",
        0,
        "ap_ufixed<57,45,AP_TRN,AP_SAT_SYM>",
        "001101",
        "110001",
        id="signed-lhs-unsigned-wider",
    ),
    pytest.param(
        -302231454903657293676544,
        "ap_fixed<79,5>",
        0,
        "ap_ufixed<116,92>",
        "001101",
        "110001",
        id="multiword-lhs",
    ),
    pytest.param(
        0,
        "ap_ufixed<69,38>",
        -524288,
        "ap_fixed<20,9,AP_TRN,AP_SAT_SYM>",
        "110001",
        "001101",
        id="unsigned-lhs-wider",
    ),
    pytest.param(-1, "ap_fixed<40,40>", 1, "ap_uint<40>", "001101", "110001", id="fixed-vs-uint"),
    pytest.param(
        -128,
        "ap_fixed<8,4>",
        -32,
        "ap_fixed<6,4,AP_TRN,AP_SAT_SYM>",
        "110001",
        "010110",
        id="sat-sym-right-operand-aligned",
    ),
    pytest.param(
        -1, "ap_fixed<64,64>", 2**64 - 1, "ap_ufixed<64,64>", "001110", "110001", id="equal-modulo-2-64"
    ),
    pytest.param(
        -1, "ap_fixed<80,80>", 2**80 - 1, "ap_ufixed<80,80>", "001110", "110001", id="equal-modulo-2-80"
    ),
]


@pytest.mark.parametrize(("a", "at", "b", "bt", "headers", "exact"), HEADER_COMPARE)
def test_comparisons_like_the_headers(a: int, at: str, b: int, bt: str, headers: str, exact: str) -> None:
    ops = (lt, le, gt, ge, eq, ne)
    t_a, t_b = FixedType.parse(at), FixedType.parse(bt)
    ra, rb = np.array([a], dtype=t_a.dtype), np.array([b], dtype=t_b.dtype)
    assert "".join(str(int(op(ra, t_a, rb, t_b)[0])) for op in ops) == headers
    assert "".join(str(int(op(ra, t_a, rb, t_b, exact=True)[0])) for op in ops) == exact


def test_comparisons_agree_with_exact_in_the_ordinary_cases() -> None:
    rng = np.random.default_rng(5)
    pairs = [
        ("ap_fixed<16,6>", "ap_fixed<12,3>"),
        ("ap_fixed<20,4>", "ap_ufixed<10,2>"),
        ("ap_fixed<70,30>", "ap_fixed<40,10>"),
        ("ap_ufixed<12,12>", "ap_ufixed<50,20>"),
    ]
    for at, bt in pairs:
        t_a, t_b = FixedType.parse(at), FixedType.parse(bt)
        a = [t_a.min_raw + int(v) % (t_a.max_raw - t_a.min_raw + 1) for v in rng.integers(0, 2**62, 300)]
        b = [t_b.min_raw + int(v) % (t_b.max_raw - t_b.min_raw + 1) for v in rng.integers(0, 2**62, 300)]
        ra, rb = np.array(a, dtype=t_a.dtype), np.array(b, dtype=t_b.dtype)
        for op in (lt, le, gt, ge, eq, ne):
            assert op(ra, t_a, rb, t_b).tolist() == op(ra, t_a, rb, t_b, exact=True).tolist(), (at, bt)


# -- invalid calls
# ----------------------------------------------------------------------------------------------------
INVALID = [
    pytest.param(
        lambda: div([1], "ap_fixed<8,4>", [0], "ap_fixed<8,4>"),
        "b_raw contains 0: division by zero in ap_fixed<8,4> / ap_fixed<8,4>",
        id="div-by-zero",
    ),
    pytest.param(
        lambda: c_int_type("float"),
        "ctype='float' is not one of bool, char, signed char, unsigned char, short, unsigned short, int, "
        "unsigned int, unsigned, long, unsigned long, long long, unsigned long long",
        id="bad-ctype",
    ),
    pytest.param(lambda: shl([1], "ap_fixed<8,4>", 1.5), "n=1.5 must be an int", id="float-shift"),
    pytest.param(
        lambda: mul_type("ap_fixed<600,6>", "ap_fixed<600,6>"),
        "width=1200 must be between 1 and 1024 (AP_INT_MAX_W)",
        id="product-too-wide",
    ),
]


@pytest.mark.parametrize(("call", "message"), INVALID)
def test_invalid_calls(call: object, message: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        call()  # type: ignore[operator]
    assert str(info.value) == message
