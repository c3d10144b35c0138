"""Layers that the Keras 3 -> hls4ml path cannot generate, proven against hls4ml's own nnet_utils headers.

hls4ml 1.3.0's Keras 3 frontend rejects ReLU(max_value) and has no hard_tanh or Dot path that the generator
uses, so test_hls4ml_parity.py cannot reach ``relu_max``, ``hard_tanh`` and ``dot``. Here g++ compiles the
real ``nnet::relu_max``, ``nnet::hard_tanh``, ``nnet::hard_sigmoid`` and ``nnet::dot1d`` templates from the
installed hls4ml against the real ap_types headers, and random raw vectors (edge values included) must give
the same raw results as fwparity.layers.
"""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

from fwparity import _toolchain
from fwparity.fixed import FixedType
from fwparity.layers import dot, hard_sigmoid, hard_tanh, relu_max

pytestmark = pytest.mark.requires_gxx

IN_T = "ap_fixed<12,4,AP_RND,AP_SAT>"
RES_T = "ap_fixed<10,3,AP_RND,AP_SAT>"
SLOPE_T = "ap_ufixed<8,0>"
SHIFT_T = "ap_ufixed<4,1>"
ACC_T = "ap_fixed<10,4,AP_RND,AP_SAT>"
SLOPE, SHIFT = 0.3, 0.625

SOURCE = r"""
#include "ap_fixed.h"
#include "nnet_activation.h"
#include "nnet_merge.h"

typedef IN_T in_t;
typedef RES_T res_t;
typedef SLOPE_T slope_t;
typedef SHIFT_T shift_t;

template <class T> T from_raw(long long r) { T x; x.range(T::width - 1, 0) = r; return x; }
template <class T> long long to_raw(T x) { return (long long)x.range(T::width - 1, 0).to_uint64(); }

struct hard_cfg {
    static const unsigned n_in = 1;
    static const slope_t slope;
    static const shift_t shift;
    static const unsigned io_type = nnet::io_parallel;
    static const unsigned reuse_factor = 1;
};
const slope_t hard_cfg::slope = SLOPE;
const shift_t hard_cfg::shift = SHIFT;

struct relu_cfg : nnet::activ_config { static const unsigned n_in = 1; };

struct dot_cfg : nnet::dot_config {
    static const unsigned n_in = 4;
    static const unsigned n_out = 1;
    typedef ACC_T accum_t;
    template <class x_T, class y_T> using product = nnet::product::mult<x_T, y_T>;
};

extern "C" {
void run_hard_sigmoid(const long long* in, long long* out, int n) {
    for (int i = 0; i < n; i++) {
        in_t x[1] = {from_raw<in_t>(in[i])}; res_t y[1];
        nnet::hard_sigmoid<in_t, res_t, hard_cfg>(x, y); out[i] = to_raw(y[0]);
    }
}
void run_hard_tanh(const long long* in, long long* out, int n) {
    for (int i = 0; i < n; i++) {
        in_t x[1] = {from_raw<in_t>(in[i])}; res_t y[1];
        nnet::hard_tanh<in_t, res_t, hard_cfg>(x, y); out[i] = to_raw(y[0]);
    }
}
void run_relu6(const long long* in, long long* out, int n) {
    for (int i = 0; i < n; i++) {
        in_t x[1] = {from_raw<in_t>(in[i])}; res_t y[1];
        nnet::relu_max<in_t, res_t, 6, relu_cfg>(x, y); out[i] = to_raw(y[0]);
    }
}
void run_relu1(const long long* in, long long* out, int n) {
    for (int i = 0; i < n; i++) {
        in_t x[1] = {from_raw<in_t>(in[i])}; res_t y[1];
        nnet::relu_max<in_t, res_t, 1, relu_cfg>(x, y); out[i] = to_raw(y[0]);
    }
}
void run_dot(const long long* a, const long long* b, long long* out, int n) {
    for (int i = 0; i < n; i++) {
        in_t x[4], z[4]; res_t y[1];
        for (int k = 0; k < 4; k++) {
            x[k] = from_raw<in_t>(a[4 * i + k]);
            z[k] = from_raw<in_t>(b[4 * i + k]);
        }
        nnet::dot1d<in_t, in_t, res_t, dot_cfg>(x, z, y); out[i] = to_raw(y[0]);
    }
}
}
"""


@pytest.fixture(scope="module")
def lib() -> ctypes.CDLL:
    from fwparity._build import build_shared_library, load_library

    src = SOURCE
    for key, value in (
        ("IN_T", IN_T),
        ("RES_T", RES_T),
        ("SLOPE_T", SLOPE_T),
        ("SHIFT_T", SHIFT_T),
        ("ACC_T", ACC_T),
        ("SLOPE", f"{SLOPE!r}"),
        ("SHIFT", f"{SHIFT!r}"),
    ):
        src = src.replace(key, value)
    so = build_shared_library(
        {"nnet_oracle.cpp": src},
        include_dirs=[_toolchain.find_ap_include(), _toolchain.find_nnet_utils()],
        flags=("-O2", "-std=c++17"),
        tag="layers-nnet-oracle",
    )
    return load_library(so)


def _vectors(t: FixedType, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    edges = np.array([t.min_raw, t.min_raw + 1, -1, 0, 1, t.max_raw - 1, t.max_raw], dtype=np.int64)
    return np.concatenate([edges, rng.integers(t.min_raw, t.max_raw + 1, size=n, dtype=np.int64)])


def _call(fn: ctypes._CFuncPtr, *arrays: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=np.int64)
    ptrs = [a.ctypes.data_as(ctypes.POINTER(ctypes.c_longlong)) for a in (*arrays, out)]
    fn(*ptrs, ctypes.c_int(n))
    # the C++ returns the raw W-bit pattern; read it as res_t's two's complement
    w = FixedType.parse(RES_T).width
    return ((out + (1 << (w - 1))) & ((1 << w) - 1)) - (1 << (w - 1))


@pytest.mark.parametrize("kind", [pytest.param(k, id=k) for k in ("hard_sigmoid", "hard_tanh")])
def test_hard_activations_match_the_header(lib: ctypes.CDLL, kind: str) -> None:
    it, rt = FixedType.parse(IN_T), FixedType.parse(RES_T)
    st, ht = FixedType.parse(SLOPE_T), FixedType.parse(SHIFT_T)
    x = _vectors(it, 4000, 1)
    expected = _call(getattr(lib, f"run_{kind}"), x, n=len(x))
    fn = hard_sigmoid if kind == "hard_sigmoid" else hard_tanh
    got = fn(
        x,
        x_type=it,
        slope=int(st.from_float(np.array([SLOPE]))[0]),
        slope_type=st,
        shift=int(ht.from_float(np.array([SHIFT]))[0]),
        shift_type=ht,
        result_type=rt,
    )
    np.testing.assert_array_equal(got, expected)
    assert len(np.unique(expected)) > 50  # the vectors exercise the slope, not just the clamps


@pytest.mark.parametrize("max_int", [pytest.param(6, id="relu6"), pytest.param(1, id="relu1")])
def test_relu_max_matches_the_header(lib: ctypes.CDLL, max_int: int) -> None:
    it, rt = FixedType.parse(IN_T), FixedType.parse(RES_T)
    x = _vectors(it, 4000, 2)
    expected = _call(getattr(lib, f"run_relu{max_int}"), x, n=len(x))
    got = relu_max(x, x_type=it, max_value=max_int << it.frac_bits, result_type=rt)
    np.testing.assert_array_equal(got, expected)


def test_dot_matches_the_header(lib: ctypes.CDLL) -> None:
    it, rt, at = FixedType.parse(IN_T), FixedType.parse(RES_T), FixedType.parse(ACC_T)
    a = _vectors(it, 4000 * 4 - 7, 3).reshape(-1, 4)
    b = _vectors(it, 4000 * 4 - 7, 4).reshape(-1, 4)
    expected = _call(lib.run_dot, np.ascontiguousarray(a), np.ascontiguousarray(b), n=len(a))
    got = dot(a, b, a_type=it, b_type=it, accum_type=at, result_type=rt)
    np.testing.assert_array_equal(got[:, 0], expected)
