"""fxpmath interop: modes map right where fxpmath can represent a type, and its known deviations exist."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

from fwparity import _toolchain
from fwparity.errors import InvalidArgument, ToolNotFound
from fwparity.fixed import (
    FixedType,
    Overflow,
    Quantization,
    ap_fixed,
    ap_ufixed,
    from_float,
    from_fxp,
    to_fxp,
)

if not _toolchain.tools_required():
    pytest.importorskip("fxpmath")
from fxpmath import Fxp  # noqa: E402

TYPES = [ap_fixed(16, 6), ap_ufixed(10, 4), ap_fixed(8, -2), ap_fixed(6, 8), ap_fixed(40, 10)]
MODES = [
    pytest.param(q, o, id=f"{q.name}-{o.name}") for q in Quantization for o in (Overflow.WRAP, Overflow.SAT)
]


def _values(t: FixedType) -> np.ndarray:
    rng = np.random.default_rng(t.width)
    lsb = 2.0**-t.frac_bits
    span = 2.0**t.int_bits
    ties = (rng.integers(-(2**12), 2**12, 200) + 0.5) * lsb  # exact ties tell the rounding modes apart
    return np.concatenate([ties, rng.uniform(-2.5 * span, 2.5 * span, 300)])


@pytest.mark.parametrize(("quantization", "overflow"), MODES)
@pytest.mark.parametrize("base", TYPES, ids=str)
def test_mapped_modes_quantize_like_ap_fixed(
    base: FixedType, quantization: Quantization, overflow: Overflow
) -> None:
    # fxpmath quantizes with the rounding/overflow our mapping gave it; below 64 bits that equals ap_fixed.
    t = base.with_(quantization=quantization, overflow=overflow)
    x = _values(t)
    fx = to_fxp(np.zeros(x.shape, dtype=np.int64), t)
    fx.set_val(x)
    assert np.asarray(fx.val).tolist() == from_float(x, t).tolist()


@pytest.mark.parametrize(("quantization", "overflow"), MODES)
@pytest.mark.parametrize("spelling", ["ap_fixed<16,6>", "ap_ufixed<10,4>", "ap_fixed<90,30>"])
def test_round_trip_keeps_bits_and_type(
    spelling: str, quantization: Quantization, overflow: Overflow
) -> None:
    t = FixedType.parse(spelling).with_(quantization=quantization, overflow=overflow)
    raw = np.array([t.min_raw, -1 if t.signed else 1, 0, t.max_raw], dtype=t.dtype)
    back, back_t = from_fxp(to_fxp(raw, t))
    assert back_t == t
    assert back.dtype == t.dtype and back.tolist() == raw.tolist()


def test_deviation_wide_words_ignore_rounding() -> None:
    t = FixedType.parse("ap_fixed<70,20,AP_RND,AP_SAT>")
    x = np.array([0.7490612344946697])
    fx = to_fxp(np.zeros(1, dtype=np.int64), t)
    fx.set_val(x)
    assert from_float(x, t).tolist() == [843367974136970]
    assert [int(v) for v in fx.val] == [843367974136969]  # fxpmath truncates: convert in fwparity instead


def test_deviation_default_rounding_is_trunc() -> None:
    assert Fxp(-2.7, True, 8, 0).val == -2
    assert Fxp(-2.7, True, 8, 0).config.rounding == "trunc"
    assert from_float([-2.7], "ap_fixed<8,8>").tolist() == [-3]


def test_deviation_huge_values_do_not_wrap_exactly() -> None:
    t = FixedType.parse("ap_fixed<16,16>")
    x = np.array([2.0**64 + 2.0**12])
    fx = to_fxp(np.zeros(1, dtype=np.int64), t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fx.set_val(x)
            fxp_result = [int(v) for v in fx.val]
        except OverflowError:
            fxp_result = None
    assert from_float(x, t).tolist() == [4096]
    assert fxp_result != [4096]


UNSUPPORTED = [
    pytest.param("ap_fixed<8,4,AP_TRN,AP_SAT_ZERO>", id="sat-zero"),
    pytest.param("ap_fixed<8,4,AP_TRN,AP_SAT_SYM>", id="sat-sym"),
    pytest.param("ap_fixed<8,4,AP_TRN,AP_WRAP_SM>", id="wrap-sm"),
    pytest.param("ap_fixed<8,4,AP_TRN,AP_WRAP,2>", id="sat-bits"),
]


@pytest.mark.parametrize("spelling", UNSUPPORTED)
def test_to_fxp_refuses_modes_fxpmath_lacks(spelling: str) -> None:
    message = (
        f"{spelling} has no fxpmath equivalent: fxpmath has only wrap and saturate "
        "(no AP_SAT_ZERO, AP_SAT_SYM, "
        "AP_WRAP_SM or saturation bits)"
    )
    with pytest.raises(InvalidArgument) as info:
        to_fxp([0], spelling)
    assert str(info.value) == message


def test_from_fxp_refuses_unknown_rounding() -> None:
    fx = Fxp([1.0], signed=True, n_word=8, n_frac=4, rounding="ceil")
    with pytest.raises(InvalidArgument) as info:
        from_fxp(fx)
    assert str(info.value) == (
        "Fxp rounding='ceil' has no ap_fixed equivalent; expected one of floor, trunc, nearest_posinf, "
        "nearest_zero, nearest_neginf, nearest_away, around, bit_trunc, fix"
    )


def test_missing_fxpmath_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fxpmath", None)  # makes `import fxpmath` raise ImportError
    with pytest.raises(ToolNotFound) as info:
        to_fxp([0], "ap_fixed<8,4>")
    assert str(info.value) == "fxpmath is not installed; install it with pip install 'fwparity[hls]'"
