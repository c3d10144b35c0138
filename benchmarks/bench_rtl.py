"""RTL simulation speed: the jet-tagging MLP through the Verilator batch harness and through the cocotb bench.

Measures, in one run: the cold Verilator build (empty cache), the warm build (cache hit), batch-harness
throughput
on 100,000 vectors, and cocotb throughput on a few hundred vectors of the same design, then prints the ratios.
Every output is checked bit-exact against fwparity.emulate. Targets: >= 100,000 vectors/s batch, >= 50x
cocotb.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_rtl.py [--cocotb-vectors N] [--simulator icarus]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

import fwparity
from fwparity.model import Layer, Model, Tensor
from fwparity.rtlsim import build_harness, generate, run_batch
from fwparity.rtlsim.cocotb_runner import run_cocotb

T = "ap_fixed<16,6>"


def jet_mlp(seed: int = 0) -> Model:
    """16 -> 64 -> 32 -> 32 -> 5, ReLU, stable softmax, every type ap_fixed<16,6>, random weights."""
    rng = np.random.default_rng(seed)
    dims = [16, 64, 32, 32, 5]
    layers, prev = [], "x"
    for k, (n_in, n_out) in enumerate(zip(dims[:-1], dims[1:], strict=True), start=1):
        layers.append(
            Layer(
                f"fc{k}",
                "dense",
                [prev],
                (n_out,),
                {"weight": T, "bias": T, "accum": T, "result": T},
                {
                    "weight": rng.integers(-2048, 2048, (n_in, n_out)),
                    "bias": rng.integers(-2048, 2048, (n_out,)),
                },
                {"n_in": n_in, "n_out": n_out},
            )
        )
        prev = f"fc{k}"
        if k < 4:
            layers.append(Layer(f"relu{k}", "relu", [prev], (n_out,), {"result": T}))
            prev = f"relu{k}"
    layers.append(
        Layer("softmax", "softmax", [prev], (5,), {"result": T}, options={"implementation": "stable"})
    )
    return Model("jet", [Tensor("x", (16,), T)], layers, ["softmax"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=100_000)
    parser.add_argument("--cocotb-vectors", type=int, default=300)
    parser.add_argument("--simulator", default="verilator", choices=["verilator", "icarus"])
    args = parser.parse_args()

    model = jet_mlp()
    rng = np.random.default_rng(1)
    x = rng.integers(-(1 << 13), 1 << 13, size=(args.vectors, 16))
    t0 = time.perf_counter()
    expected = fwparity.emulate(model, {"x": x}).raw
    t_ref = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["FWPARITY_CACHE"] = str(work / "cache")  # cold: an empty build cache
        design = generate(model, work / "rtl", interface="valid")
        t0 = time.perf_counter()
        build = build_harness(design)
        t_cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        build = build_harness(design)
        t_warm = time.perf_counter() - t0

        run_batch(build, {"x": x[:1000]})  # load the library once before timing
        best = float("inf")
        for _ in range(3):
            outputs, cycles, seconds = run_batch(build, {"x": x})
            best = min(best, seconds)
        if not np.array_equal(outputs["softmax"], expected["softmax"]):
            raise SystemExit("batch harness output differs from fwparity.emulate")
        batch_rate = args.vectors / best

        n = args.cocotb_vectors
        sub = {k: v[:n] for k, v in expected.items()}
        t0 = time.perf_counter()
        result = run_cocotb(
            design, {"x": x[:n]}, sub, work_dir=work / "cocotb", simulator=args.simulator, waves=False
        )
        t_cocotb_total = time.perf_counter() - t0
        if not result.passed:
            raise SystemExit(f"cocotb bench found {result.mismatch_count} mismatches")
        # Time the simulation alone: a second run reuses the cocotb build.
        t0 = time.perf_counter()
        result = run_cocotb(
            design, {"x": x[:n]}, sub, work_dir=work / "cocotb", simulator=args.simulator, waves=False
        )
        t_cocotb = time.perf_counter() - t0
        cocotb_rate = n / t_cocotb

    rows = [
        ("reference (numpy emulate)", f"{args.vectors / t_ref:,.0f} vectors/s", ""),
        (
            "Verilator batch harness",
            f"{batch_rate:,.0f} vectors/s",
            f"{batch_rate / cocotb_rate:,.0f}x cocotb",
        ),
        (f"cocotb bench ({args.simulator}, rerun incl. start-up)", f"{cocotb_rate:,.0f} vectors/s", "1x"),
        ("Verilator build, cold", f"{t_cold:.1f} s", ""),
        (
            "Verilator build, warm (cache hit)",
            f"{t_warm * 1000:.1f} ms",
            f"{t_cold / max(t_warm, 1e-9):,.0f}x faster",
        ),
        ("cocotb build + first run", f"{t_cocotb_total:.1f} s", ""),
    ]
    print(
        f"jet MLP 16-64-32-32-5 + softmax, ap_fixed<16,6>; {args.vectors:,} batch vectors, "
        f"{n} cocotb vectors; "
        "all outputs bit-exact vs fwparity.emulate"
    )
    width = max(len(r[0]) for r in rows)
    for name, value, ratio in rows:
        print(f"  {name:<{width}}  {value:>20}  {ratio}")
    ok = batch_rate >= 100_000 and batch_rate / cocotb_rate >= 50
    print(f"targets (>= 100,000 vectors/s, >= 50x cocotb): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
