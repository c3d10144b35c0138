"""Benchmark: fwparity.fixed against the compiled ap_fixed C++ loop and against fxpmath.

Two kernels, both checked bit for bit against g++ compiling the real ap_types headers in the same run (through
fwparity's build cache), so a fast wrong answer cannot pass:

(a) quantise 10^6 doubles ~ N(0, 12^2) (about 1.5% saturate), plus NaN of both signs, +-inf and -0, to
    ``ap_fixed<16,6,AP_RND,AP_SAT>``: ``T v = x[i]`` in C++, ``FixedType.from_float`` in fwparity, fxpmath
    with
    ``rounding="nearest_posinf", overflow="saturate"``.
(b) a dense layer, 10,000 x (16 -> 64): inputs and weights ``ap_fixed<16,6>`` with uniformly random full-range
raw
    codes (so the accumulator wraps often), ``accum_t = ap_fixed<32,12>`` with hls4ml's semantics (each
    product assigned to accum_t, then ``acc += m``), output ``ap_fixed<16,6>``. fwparity runs it two ways: the
    layer reference ``fwparity.layers.dense`` and the exact shortcut spelled with ``fwparity.fixed`` public
    functions (products and accumulator share F = 20, so no product needs requantising and WRAP of the sum is
    modular: an int64 matmul followed by two casts is exact). fxpmath uses ``dot(out_like=<32,20> wrap)`` and
    a cast.

Prints one table per kernel: best-of-N times, the ratio against the g++ ap_fixed loop and against fxpmath.
Exit code 0, or 1 if any fwparity output differs from g++ (fxpmath disagreements are reported, not fatal: it
is a peer, not the oracle).

    python benchmarks/bench_fixed.py [--repeat 5] [--values 1000000] [--events 10000] [--seed 0]
"""

from __future__ import annotations

import argparse
import ctypes
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from fwparity import _build, _toolchain
from fwparity.fixed import FixedType, mul_type

Q_TYPE = FixedType.parse("ap_fixed<16,6,AP_RND,AP_SAT>")
IN_TYPE = FixedType.parse("ap_fixed<16,6>")
ACC_TYPE = FixedType.parse("ap_fixed<32,12>")
RES_TYPE = FixedType.parse("ap_fixed<16,6>")
N_IN, N_OUT = 16, 64

# The loops hls4ml's C simulation runs, written the way nnet_dense_latency.h writes them. -O3 as in hls4ml's
# build_lib.sh; -DNDEBUG so that each NaN does not print a warning line (ap_common.h: the arithmetic is
# unchanged).
CPP = r"""
#include <cstdint>
#include <ap_fixed.h>

typedef ap_fixed<16,6,AP_RND,AP_SAT> q_t;
typedef ap_fixed<16,6> input_t;
typedef ap_fixed<16,6> weight_t;
typedef ap_fixed<32,12> accum_t;
typedef ap_fixed<16,6> result_t;
static const int N_IN = 16, N_OUT = 64;

extern "C" void quantize(const double* x, int16_t* out, long n) {
  for (long i = 0; i < n; ++i) {
    q_t v = x[i];
    out[i] = (int16_t)v.range(15, 0).to_uint64();
  }
}

extern "C" void dense(const int16_t* x, const int16_t* w, int16_t* out, long n) {
  weight_t wt[N_IN * N_OUT];
  for (int k = 0; k < N_IN * N_OUT; ++k) wt[k].range(15, 0) = (uint16_t)w[k];
  for (long e = 0; e < n; ++e) {
    input_t xv[N_IN];
    for (int i = 0; i < N_IN; ++i) xv[i].range(15, 0) = (uint16_t)x[e * N_IN + i];
    for (int j = 0; j < N_OUT; ++j) {
      accum_t acc = 0;
      for (int i = 0; i < N_IN; ++i) {
        accum_t m = xv[i] * wt[i * N_OUT + j];
        acc += m;
      }
      result_t r = acc;
      out[e * N_OUT + j] = (int16_t)r.range(15, 0).to_uint64();
    }
  }
}
"""


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls (the minimum is the least noisy estimate on a shared machine)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def gxx_library() -> ctypes.CDLL:
    path = _build.build_shared_library(
        {"bench_fixed.cpp": CPP},
        flags=("-O3", "-std=c++17", "-DNDEBUG"),
        include_dirs=[_toolchain.find_ap_include()],
        tag="bench-fixed",
    )
    lib = _build.load_library(path)
    lib.quantize.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long]
    lib.dense.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long]
    lib.quantize.restype = lib.dense.restype = None
    return lib


def quantize_inputs(n: int, rng: np.random.Generator) -> np.ndarray:
    x = rng.normal(0.0, 12.0, n)
    specials = np.array([np.nan, -np.nan, np.inf, -np.inf, -0.0])
    x[rng.choice(n, 50, replace=False)] = np.resize(specials, 50)
    return x


def dense_fixed_functions(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """hls4ml's dense, exactly, from fwparity.fixed public functions (valid as F(product) == F(accum))."""
    prod_t = mul_type(IN_TYPE, IN_TYPE)  # ap_fixed<32,12>: F = 20, the accumulator's F
    assert prod_t.frac_bits == ACC_TYPE.frac_bits and prod_t.width <= ACC_TYPE.width
    sums = x.astype(np.int64) @ w.astype(np.int64)  # |sum| < 16 * 2^30: exact in int64
    sum_t = FixedType(prod_t.width + 4, prod_t.int_bits + 4)  # 16 terms add 4 bits; same F
    acc = ACC_TYPE.cast(sums, sum_t)  # AP_WRAP of the sum == wrapping after every +=
    return RES_TYPE.cast(acc, ACC_TYPE)


def table(title: str, rows: list[tuple[str, float, str]], gxx: float, fxp: float | None) -> Table:
    t = Table(title=title, title_justify="left")
    for name, justify in (
        ("implementation", "left"),
        ("ms", "right"),
        ("x g++", "right"),
        ("x fxpmath", "right"),
        ("bit-exact", "left"),
    ):
        t.add_column(name, justify=justify)  # type: ignore[arg-type]
    for name, seconds, exact in rows:
        vs_fxp = f"{fxp / seconds:.1f}" if fxp is not None else "-"
        t.add_row(name, f"{seconds * 1e3:.1f}", f"{gxx / seconds:.1f}", vs_fxp, exact)
    return t


def main(argv: list[str] | None = None) -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--repeat", type=int, default=5, help="best of this many runs (fxpmath: at most 2)")
    parser.add_argument("--values", type=int, default=1_000_000, help="doubles to quantise in (a)")
    parser.add_argument("--events", type=int, default=10_000, help="input vectors for the dense layer in (b)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fxpmath's import emits DeprecationWarnings on recent numpy
        from fxpmath import Fxp
        from fxpmath import functions as fxp_functions
    from fwparity.layers import dense

    console = Console(highlight=False, width=100)
    rng = np.random.default_rng(args.seed)
    lib = gxx_library()
    failed = False

    def status(ok: bool) -> str:
        return "[green]yes[/]" if ok else "[bold red]NO[/]"

    # (a) quantisation
    # -------------------------------------------------------------------------------------------
    x = quantize_inputs(args.values, rng)
    out = np.empty(args.values, dtype=np.int16)
    t_gxx, _ = best_of(lambda: lib.quantize(x.ctypes.data, out.ctypes.data, x.size), args.repeat)
    expected = out.astype(np.int64)
    t_fw, got = best_of(lambda: Q_TYPE.from_float(x), args.repeat)
    ok = bool(np.array_equal(got, expected))
    failed |= not ok

    def fxp_quantize() -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(Fxp(x, True, 16, 10, rounding="nearest_posinf", overflow="saturate").val)

    t_fxp, fxp_out = best_of(fxp_quantize, min(args.repeat, 2))
    fxp_bad = int(np.count_nonzero(fxp_out.astype(np.int64) != expected))
    console.print(
        table(
            f"(a) quantise {args.values:,} doubles ~N(0,12^2) + NaN/inf/-0 -> {Q_TYPE}",
            [
                ("g++ -O3 ap_fixed loop", t_gxx, "(oracle)"),
                ("fwparity from_float", t_fw, status(ok)),
                ("fxpmath Fxp(...)", t_fxp, "yes" if not fxp_bad else f"no: {fxp_bad:,} differ"),
            ],
            t_gxx,
            t_fxp,
        )
    )

    # (b) dense
    # --------------------------------------------------------------------------------------------------
    xr = rng.integers(IN_TYPE.min_raw, IN_TYPE.max_raw + 1, (args.events, N_IN)).astype(np.int16)
    wr = rng.integers(IN_TYPE.min_raw, IN_TYPE.max_raw + 1, (N_IN, N_OUT)).astype(np.int16)
    dout = np.empty((args.events, N_OUT), dtype=np.int16)
    t_gxx_d, _ = best_of(
        lambda: lib.dense(xr.ctypes.data, wr.ctypes.data, dout.ctypes.data, args.events), args.repeat
    )
    expected_d = dout.astype(np.int64)
    x64, w64 = xr.astype(np.int64), wr.astype(np.int64)
    t_layer, got_layer = best_of(
        lambda: dense(
            x64,
            x_type=IN_TYPE,
            weight=w64,
            weight_type=IN_TYPE,
            bias=None,
            bias_type=None,
            accum_type=ACC_TYPE,
            result_type=RES_TYPE,
        ),
        args.repeat,
    )
    t_funcs, got_funcs = best_of(lambda: dense_fixed_functions(x64, w64), args.repeat)
    ok_layer = bool(np.array_equal(got_layer, expected_d))
    ok_funcs = bool(np.array_equal(got_funcs, expected_d))
    failed |= not (ok_layer and ok_funcs)

    def fxp_dense() -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            xf = Fxp(x64, True, 16, 10, raw=True, rounding="floor", overflow="wrap")
            wf = Fxp(w64, True, 16, 10, raw=True, rounding="floor", overflow="wrap")
            acc_like = Fxp(None, True, 32, 20, rounding="floor", overflow="wrap")
            acc = fxp_functions.dot(xf, wf, out_like=acc_like)
            res = Fxp(acc, like=Fxp(None, True, 16, 10, rounding="floor", overflow="wrap"))
            return np.asarray(res.val)

    t_fxp_d, fxp_d = best_of(fxp_dense, args.repeat)
    fxp_bad_d = int(np.count_nonzero(fxp_d.astype(np.int64) != expected_d))
    console.print(
        table(
            f"(b) dense {args.events:,} x ({N_IN} -> {N_OUT}): {IN_TYPE} in/weights, "
            f"accum {ACC_TYPE}, out {RES_TYPE}",
            [
                ("g++ -O3 ap_fixed loop", t_gxx_d, "(oracle)"),
                ("fwparity.layers.dense", t_layer, status(ok_layer)),
                ("fwparity.fixed matmul+cast", t_funcs, status(ok_funcs)),
                ("fxpmath dot + cast", t_fxp_d, "yes" if not fxp_bad_d else f"no: {fxp_bad_d:,} differ"),
            ],
            t_gxx_d,
            t_fxp_d,
        )
    )
    macs = args.events * N_IN * N_OUT
    console.print(
        f"x g++ / x fxpmath: speed-up against that row (higher is faster). Best of {args.repeat}. "
        f"g++ ap_fixed dense: {t_gxx_d / macs * 1e9:.1f} ns per MAC. "
        f"{_toolchain.tool_version(_toolchain.find_gxx())}."
    )
    if fxp_bad:
        console.print(
            f"fxpmath (a): {fxp_bad} values differ; it maps every NaN to +max, while ap_fixed "
            "reads the sign bit of a NaN (a negative NaN saturates to min)."
        )
    if failed:
        console.print("[bold red]FAIL[/]: a fwparity output differs from the compiled ap_fixed headers")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
