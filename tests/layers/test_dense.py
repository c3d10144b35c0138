"""Dense/Conv: hand-checked cases, and every fast path against a scalar model of the C++ loop.

``mac`` picks its arithmetic from the types (integer matmul, low-bits sum, per-input loop, screened overflow
counting). The scalar model below is the C++ ``dense_latency`` loop written out with Python ints and
``fwparity.fixed.requantize`` (not the layer kernel), so each path is checked against code that shares nothing
with it but the fixed-point core, itself proven against the ap_types headers in tests/fixed.
"""

from __future__ import annotations

import numpy as np
import pytest

from fwparity.errors import InvalidArgument
from fwparity.fixed import FixedType, requantize
from fwparity.layers import Tally, accumulation_order, conv1d, conv2d, dense


def T(s: str) -> FixedType:
    return FixedType.parse(s)


def _q(v: int, frac: int, t: FixedType) -> int:
    return int(np.asarray(requantize(np.array([v], dtype=object), frac, t))[0])


def scalar_dense(x, xt, w, wt, b, bt, at, rt, order=None):
    """The C++ loop, one event and one output at a time, counting values changed by overflow handling."""
    n_in, n_out = w.shape
    fp = xt.frac_bits + wt.frac_bits
    out = np.zeros((x.shape[0], n_out), dtype=object)
    changed = 0

    def q(v, frac, t):
        nonlocal changed
        r = _q(v, frac, t)
        s = frac - t.frac_bits
        exact = v << -s if s <= 0 else None
        # a value changed by overflow: its quantised (unsaturated) value differs from the result
        unsat = _q(v, frac, t.with_(width=t.width + 70, int_bits=t.int_bits + 70, overflow=t.overflow.WRAP))
        if unsat != r:
            changed += 1
        del exact
        return r

    for e in range(x.shape[0]):
        for j in range(n_out):
            acc = q(int(b[j]), bt.frac_bits, at)
            seq = range(n_in) if order is None else order[j]
            for i in seq:
                m = q(int(x[e, i]) * int(w[i, j]), fp, at)
                acc = q(acc + m, at.frac_bits, at)
            out[e, j] = q(acc, at.frac_bits, rt)
    return out.astype(np.int64), changed


CASES = [
    # x, w, bias, accum, result: names say which path mac takes
    pytest.param("ap_fixed<8,3>", "ap_fixed<8,2>", "ap_fixed<32,12>", "ap_fixed<10,4>", id="exact-matmul"),
    pytest.param(
        "ap_fixed<8,3>", "ap_fixed<8,2>", "ap_fixed<12,2>", "ap_fixed<10,4>", id="exact-products-wrapping-sum"
    ),
    pytest.param(
        "ap_fixed<16,6>", "ap_fixed<16,6>", "ap_fixed<16,6>", "ap_fixed<16,6>", id="lowbits-trn-wrap"
    ),
    pytest.param(
        "ap_fixed<12,4>", "ap_fixed<10,2>", "ap_fixed<12,4,AP_RND>", "ap_fixed<8,3>", id="lowbits-rnd-wrap"
    ),
    pytest.param("ap_fixed<20,6>", "ap_fixed<24,4>", "ap_fixed<16,6>", "ap_fixed<16,6>", id="lowbits-int32"),
    pytest.param(
        # partial sums between 2**51 and 2**53: the float division instead of the bit-pattern shortcut
        "ap_fixed<26,6>",
        "ap_fixed<26,4>",
        "ap_fixed<20,8>",
        "ap_fixed<16,6>",
        id="lowbits-float-division",
    ),
    pytest.param(
        "ap_fixed<10,3>",
        "ap_fixed<10,2>",
        "ap_fixed<10,3,AP_RND_CONV>",
        "ap_fixed<8,3>",
        id="loop-rnd-conv-wrap",
    ),
    pytest.param(
        "ap_fixed<10,3>",
        "ap_fixed<10,2>",
        "ap_fixed<9,2,AP_RND,AP_SAT>",
        "ap_fixed<8,3,AP_RND,AP_SAT>",
        id="loop-saturating-accumulator",
    ),
    pytest.param(
        "ap_fixed<10,3>",
        "ap_fixed<10,2>",
        "ap_fixed<11,3,AP_TRN_ZERO,AP_SAT_ZERO>",
        "ap_ufixed<8,2>",
        id="loop-sat-zero",
    ),
    pytest.param(
        "ap_ufixed<10,3>",
        "ap_fixed<10,2>",
        "ap_fixed<14,5,AP_RND_ZERO,AP_SAT_SYM>",
        "ap_fixed<9,4>",
        id="loop-sat-sym-unsigned-input",
    ),
    pytest.param(
        "ap_fixed<40,10>",
        "ap_fixed<40,8>",
        "ap_fixed<70,20,AP_RND,AP_SAT>",
        "ap_fixed<64,20>",
        id="wide-object-path",
    ),
]


@pytest.mark.parametrize(("xs", "ws", "accs", "ress"), CASES)
def test_dense_matches_the_scalar_loop(xs: str, ws: str, accs: str, ress: str) -> None:
    rng = np.random.default_rng(1)
    xt, wt, at, rt = T(xs), T(ws), T(accs), T(ress)
    n_in, n_out = 6, 5
    x = (
        rng.integers(xt.min_raw, xt.max_raw + 1, size=(40, n_in), dtype=np.int64)
        if xt.width <= 62
        else np.array(
            [[int(rng.integers(-(2**38), 2**38)) * 3 for _ in range(n_in)] for _ in range(40)], dtype=object
        )
    )
    w = (
        rng.integers(wt.min_raw // 2, wt.max_raw // 2, size=(n_in, n_out), dtype=np.int64)
        if wt.width <= 62
        else np.array(
            [[int(rng.integers(-(2**37), 2**37)) for _ in range(n_out)] for _ in range(n_in)], dtype=object
        )
    )
    b = rng.integers(-(2**6), 2**6, size=n_out, dtype=np.int64)
    expected, changed = scalar_dense(x, xt, w, wt, b, wt, at, rt)
    tally = Tally()
    got = dense(
        x,
        x_type=xt,
        weight=w,
        weight_type=wt,
        bias=b,
        bias_type=wt,
        accum_type=at,
        result_type=rt,
        tally=tally,
    )
    np.testing.assert_array_equal(np.asarray(got, dtype=np.int64), expected)
    assert tally.count == changed
    # the count-free path gives the same values
    quiet = dense(x, x_type=xt, weight=w, weight_type=wt, bias=b, bias_type=wt, accum_type=at, result_type=rt)
    np.testing.assert_array_equal(np.asarray(quiet, dtype=np.int64), expected)


LOWBITS_CASES = [c for c in CASES if c.id.startswith("lowbits")]


@pytest.mark.parametrize(("xs", "ws", "accs", "ress"), LOWBITS_CASES)
def test_lowbits_after_relu_counts_like_the_scalar_loop(
    xs: str, ws: str, accs: str, ress: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inputs with no negative value (what a ReLU feeds the next layer) take the overflow screen from the
    BLAS matmul itself; values and counts must still equal the scalar loop, with overflows present."""
    from fwparity.layers import _dense

    seen: list[bool] = []
    screened = _dense._screened_count

    def spy(*args: object) -> int:
        seen.append(args[-1] is not None)  # the precomputed screen was handed over
        return screened(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(_dense, "_screened_count", spy)
    rng = np.random.default_rng(7)
    xt, wt, at, rt = T(xs), T(ws), T(accs), T(ress)
    n_in, n_out = 12, 5
    x = rng.integers(0, xt.max_raw + 1, size=(80, n_in), dtype=np.int64)
    w = rng.integers(wt.min_raw // 2, wt.max_raw // 2, size=(n_in, n_out), dtype=np.int64)
    b = rng.integers(-(2**6), 2**6, size=n_out, dtype=np.int64)
    expected, changed = scalar_dense(x, xt, w, wt, b, wt, at, rt)
    tally = Tally()
    got = dense(
        x,
        x_type=xt,
        weight=w,
        weight_type=wt,
        bias=b,
        bias_type=wt,
        accum_type=at,
        result_type=rt,
        tally=tally,
    )
    np.testing.assert_array_equal(got, expected)
    assert changed > 0
    assert tally.count == changed
    assert seen == [True]


@pytest.mark.parametrize("rf", [pytest.param(r, id=f"rf{r}") for r in (2, 3, 6, 12, 8)])
def test_resource_order_matches_the_scalar_loop(rf: int) -> None:
    rng = np.random.default_rng(rf)
    xt, wt, at, rt = (
        T("ap_fixed<10,3>"),
        T("ap_fixed<10,2>"),
        T("ap_fixed<8,2,AP_TRN,AP_SAT>"),
        T("ap_fixed<8,3>"),
    )
    x = rng.integers(xt.min_raw, xt.max_raw + 1, size=(50, 6))
    w = rng.integers(wt.min_raw, wt.max_raw + 1, size=(6, 4))
    b = np.zeros(4, dtype=np.int64)
    order = accumulation_order(6, 4, strategy="resource", reuse_factor=rf)
    expected, _ = scalar_dense(x, xt, w, wt, b, wt, at, rt, order=order.tolist())
    got = dense(
        x,
        x_type=xt,
        weight=w,
        weight_type=wt,
        bias=b,
        bias_type=wt,
        accum_type=at,
        result_type=rt,
        strategy="resource",
        reuse_factor=rf,
    )
    np.testing.assert_array_equal(got, expected)


def test_saturating_order_changes_the_result() -> None:
    # acc<4,4,SAT>: 7 + 7 - 7 saturates to 7 then gives 0; -7 + 7 + 7 gives 7. A test of the order, not
    # just values.
    t = T("ap_fixed<4,4,AP_TRN,AP_SAT>")
    x = np.array([[7, 7, -7]])
    w = np.array([[1], [1], [1]])
    kw = dict(x_type=t, weight=w, weight_type=t, bias=np.array([0]), bias_type=t, accum_type=t, result_type=t)
    assert dense(x, **kw).tolist() == [[0]]
    assert dense(x[:, ::-1], **kw).tolist() == [[7]]


@pytest.mark.parametrize(
    ("strategy", "rf", "expected"),
    [
        pytest.param("latency", 4, [[0, 1, 2, 3, 4, 5]], id="latency"),
        pytest.param("resource", 1, [[0, 1, 2, 3, 4, 5]], id="rf1"),
        pytest.param("resource", 2, [[0, 2, 4, 1, 3, 5]], id="rf2-leq-nin"),
        pytest.param("resource", 12, [[0, 1, 2, 3, 4, 5]], id="rf12-multiple-of-nin"),
    ],
)
def test_accumulation_order(strategy: str, rf: int, expected: list[list[int]]) -> None:
    assert accumulation_order(6, 1, strategy=strategy, reuse_factor=rf).tolist() == expected


def test_dense_hand_checked_wrap() -> None:
    # <8,4> inputs; acc <6,3>: products 2.0*2.0 = 4.0 wraps to -4.0; plus 0 bias.
    t = T("ap_fixed<8,4>")
    acc = T("ap_fixed<6,3>")
    tally = Tally()
    out = dense(
        np.array([[32]]),
        x_type=t,
        weight=np.array([[32]]),
        weight_type=t,
        bias=np.array([0]),
        bias_type=t,
        accum_type=acc,
        result_type=t,
        tally=tally,
    )
    assert out.tolist() == [[-64]]
    assert tally.count == 1


def test_conv1d_same_padding_by_hand() -> None:
    t = T("ap_fixed<8,8>")
    acc = T("ap_fixed<16,16>")
    x = np.array([[[1], [2], [3]]])  # width 3, 1 channel
    w = np.array([[[1]], [[10]], [[100]]])  # kernel 3, 1 -> 1
    out = conv1d(
        x,
        x_type=t,
        weight=w,
        weight_type=acc,
        bias=np.array([0]),
        bias_type=t,
        accum_type=acc,
        result_type=acc,
        pad_left=1,
        pad_right=1,
    )
    # out[i] = x[i-1] + 10 x[i] + 100 x[i+1]
    assert out[0, :, 0].tolist() == [0 + 10 + 200, 1 + 20 + 300, 2 + 30 + 0]


def test_conv2d_patch_order_and_stride() -> None:
    t = T("ap_fixed<16,16>")
    x = np.arange(2 * 4 * 4 * 2).reshape(2, 4, 4, 2)
    rng = np.random.default_rng(0)
    w = rng.integers(-3, 4, size=(2, 2, 2, 3))
    out = conv2d(
        x,
        x_type=t,
        weight=w,
        weight_type=t,
        bias=np.arange(3),
        bias_type=t,
        accum_type=T("ap_fixed<32,32>"),
        result_type=T("ap_fixed<32,32>"),
        strides=(2, 2),
    )
    expected = np.zeros((2, 2, 2, 3), dtype=np.int64)
    for n in range(2):
        for oy in range(2):
            for ox in range(2):
                patch = x[n, 2 * oy : 2 * oy + 2, 2 * ox : 2 * ox + 2, :]
                expected[n, oy, ox] = np.einsum("hwc,hwcf->f", patch, w) + np.arange(3)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(
            lambda: dense(
                np.zeros((2, 3), dtype=np.int64),
                x_type=T("ap_fixed<8,3>"),
                weight=np.zeros((4, 2)),
                weight_type=T("ap_fixed<8,3>"),
                bias=None,
                bias_type=None,
                accum_type=T("ap_fixed<8,3>"),
                result_type=T("ap_fixed<8,3>"),
            ),
            r"^Dense weight shape \(4, 2\) does not match the input's last axis: x.shape=\(2, 3\)$",
            id="dense-shape",
        ),
        pytest.param(
            lambda: accumulation_order(4, 2, strategy="fast", reuse_factor=2),
            r"^Dense strategy must be 'latency' or 'resource', not strategy='fast'$",
            id="strategy",
        ),
        pytest.param(
            lambda: conv1d(
                np.zeros((1, 5, 2), dtype=np.int64),
                x_type=T("ap_fixed<8,3>"),
                weight=np.zeros((3, 3, 4)),
                weight_type=T("ap_fixed<8,3>"),
                bias=None,
                bias_type=None,
                accum_type=T("ap_fixed<8,3>"),
                result_type=T("ap_fixed<8,3>"),
            ),
            r"^Conv1D weight shape \(3, 3, 4\) does not match the input: x.shape=\(1, 5, 2\) "
            r"\(expected channels last\)$",
            id="conv-shape",
        ),
    ],
)
def test_invalid_calls(call, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        call()


def _random_type(rng: np.random.Generator, max_width: int = 24) -> FixedType:
    width = int(rng.integers(2, max_width + 1))
    int_bits = int(rng.integers(-2, width + 3))
    q = rng.choice(
        ["AP_TRN", "AP_RND", "AP_TRN_ZERO", "AP_RND_ZERO", "AP_RND_MIN_INF", "AP_RND_INF", "AP_RND_CONV"]
    )
    kind = "ap_fixed" if rng.random() < 0.8 else "ap_ufixed"
    modes = ["AP_WRAP", "AP_WRAP", "AP_SAT", "AP_SAT_ZERO", "AP_SAT_SYM", "AP_WRAP,2"]
    o = rng.choice(modes + (["AP_WRAP_SM"] if kind == "ap_fixed" else []))
    return T(f"{kind}<{width},{int_bits},{q},{o}>")


@pytest.mark.parametrize("seed", [pytest.param(s, id=f"seed{s}") for s in range(48)])
def test_random_types_match_the_scalar_loop(seed: int) -> None:
    """Random widths, fractions (F < 0 and F > W too), every rounding and overflow mode: whichever path mac
    picks must equal the scalar loop, values and overflow counts."""
    rng = np.random.default_rng(100 + seed)
    xt, wt, bt, at, rt = (_random_type(rng) for _ in range(5))
    n_in, n_out = int(rng.integers(1, 6)), int(rng.integers(1, 5))
    x = rng.integers(xt.min_raw, xt.max_raw + 1, size=(12, n_in), dtype=np.int64)
    w = rng.integers(wt.min_raw, wt.max_raw + 1, size=(n_in, n_out), dtype=np.int64)
    b = rng.integers(bt.min_raw, bt.max_raw + 1, size=n_out, dtype=np.int64)
    expected, changed = scalar_dense(x, xt, w, wt, b, bt, at, rt)
    tally = Tally()
    got = dense(
        x,
        x_type=xt,
        weight=w,
        weight_type=wt,
        bias=b,
        bias_type=bt,
        accum_type=at,
        result_type=rt,
        tally=tally,
    )
    np.testing.assert_array_equal(got, expected, err_msg=f"x={xt} w={wt} b={bt} acc={at} res={rt}")
    assert tally.count == changed
