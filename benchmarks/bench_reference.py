"""Benchmark: fwparity.emulate (the numpy reference) against hls4ml's own C simulation on the jet-tagging MLP.

Model: example-models KERAS_3layer, 16 -> 64 -> 32 -> 32 -> 5, ReLU, stable softmax, every type
ap_fixed<16,6>,
random weights from a fixed seed. The same hls4ml project feeds both sides: hls4ml compiles it for
``predict()``
and ``fwparity.load_model`` imports it for ``fwparity.emulate``. With accum_t = ap_fixed<16,6> every product
needs
requantising (F_x + F_w = 20 > 10) and the accumulator wraps, so this is the reference's general path.

``predict()`` runs on a slice (``--predict-events``) and is extrapolated; the overlap is checked bit for bit.
Prints events/s, the ratio, and peak memory (tracemalloc for numpy allocations, in a separate untimed run;
ru_maxrss for the process).
emulate runs with its default worker threads (one per usable CPU) and once with ``workers=1`` for the scaling;
the CPU seconds include every thread.

    python benchmarks/bench_reference.py [--events 1000000] [--predict-events 5000] [--seed 0] [--workers N]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

# hls4ml's predict() is single-threaded; emulate spreads batch chunks over worker threads itself, and
# OpenBLAS threads on top of those oversubscribe the cores and slow the small matmuls down. Set before
# numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402


def build_project(out_dir: Path, seed: int) -> Any:
    """The jet tagger as a compiled hls4ml project (Vitis, io_parallel, Latency, all ap_fixed<16,6>)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import hls4ml
        import keras

    rng = np.random.default_rng(seed)
    inp = keras.Input((16,), name="input_1")
    h = inp
    for i, units in enumerate((64, 32, 32)):
        h = keras.layers.Dense(units, name=f"fc{i + 1}")(h)
        h = keras.layers.Activation("relu", name=f"relu{i + 1}")(h)
    h = keras.layers.Dense(5, name="output")(h)
    out = keras.layers.Activation("softmax", name="softmax")(h)
    model = keras.Model(inp, out)
    for layer in model.layers:
        ws = layer.get_weights()
        if ws:
            k = ws[0]
            layer.set_weights(
                [
                    rng.normal(0, 1.5 / np.sqrt(k.shape[0]), k.shape).astype("float32"),
                    rng.uniform(-0.5, 0.5, ws[1].shape).astype("float32"),
                ]
            )
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        cfg = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis")
        cfg["Model"]["Precision"]["default"] = "ap_fixed<16,6>"
        for lc in cfg["LayerName"].values():
            prec = lc.get("Precision", {})
            if isinstance(prec, dict):
                for var, value in list(prec.items()):
                    if value == "auto":
                        prec[var] = "ap_fixed<16,6>"
        hls_model = hls4ml.converters.convert_from_keras_model(
            model,
            hls_config=cfg,
            io_type="io_parallel",
            backend="Vitis",
            output_dir=str(out_dir),
        )
        hls_model.compile()
    return hls_model


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--predict-events", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=None, help="emulate's worker threads (default: CPUs)")
    args = ap.parse_args(argv)

    import fwparity

    with tempfile.TemporaryDirectory(prefix="fwparity-bench-") as tmp:
        t0 = time.perf_counter()
        hls_model = build_project(Path(tmp) / "jet", args.seed)
        compile_s = time.perf_counter() - t0
        model = fwparity.load_model(Path(tmp) / "jet")
        rng = np.random.default_rng(args.seed + 1)
        # physics-like inputs: mostly O(1), some large, quantised by emulate exactly like input_t(double)
        x = rng.normal(0.0, 1.5, size=(args.events, 16))

        warm = fwparity.emulate(model, x[:1000])  # build tables, import everything
        del warm
        results = {}
        for key in ((True, args.workers), (False, args.workers), (True, 1)):
            t0, c0 = time.perf_counter(), time.process_time()
            em = fwparity.emulate(model, x, count_overflows=key[0], workers=key[1])
            sec, cpu = time.perf_counter() - t0, time.process_time() - c0
            results[key] = (sec, cpu, em)
        # Peak memory from a separate run: tracemalloc hooks every numpy allocation and, measured on the jet
        # tagger, slowed the timed runs down by up to 2x.
        peaks = {}
        for key in results:
            tracemalloc.start()
            fwparity.emulate(model, x, count_overflows=key[0], workers=key[1])
            peaks[key] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        results = {key: (sec, cpu, peaks[key], em) for key, (sec, cpu, em) in results.items()}

        n_pred = min(args.predict_events, args.events)
        xp = np.ascontiguousarray(x[:n_pred])
        t0, c0 = time.perf_counter(), time.process_time()
        y = np.asarray(hls_model.predict(xp), dtype=np.float64).reshape(n_pred, -1)
        pred_s, pred_cpu = time.perf_counter() - t0, time.process_time() - c0

    out_name = model.outputs[0]
    first = next(iter(results.values()))[3]
    expected = first.types[out_name].from_float(y)
    same = all(np.array_equal(r[3].raw[out_name][:n_pred], expected) for r in results.values())
    # the single-threaded run must give the very same bits and counts as the threaded one
    same = (
        same
        and all(np.array_equal(r[3].raw[out_name], first.raw[out_name]) for r in results.values())
        and results[(True, 1)][3].overflows == results[(True, args.workers)][3].overflows
    )
    pred_cpu_rate = n_pred / pred_cpu
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"model: jet tagger 16-64-32-32-5, ap_fixed<16,6>; hls4ml compile {compile_s:.1f} s")
    workers = args.workers or fwparity.layers._emulate._worker_count(None)
    print(f"emulate workers: {workers} (os.cpu_count() = {os.cpu_count()}); load average {os.getloadavg()[0]:.1f}")
    # CPU seconds are the fair measure on a shared machine (wall time is also shown); "x predict" compares
    # events per CPU-second.
    head = f"{'backend':<47}{'events':>10}{'wall s':>8}{'events/s':>11}{'CPU s':>8}{'events/CPU-s':>14}"
    print(head + f"{'x predict':>11}{'peak MB':>9}")
    rows = [("hls4ml predict() (csim, float64)", n_pred, pred_s, pred_cpu, None)]
    rows += [
        (label, args.events, results[key][0], results[key][1], results[key][2])
        for key, label in (
            ((True, args.workers), "fwparity.emulate (overflow counts)"),
            ((False, args.workers), "fwparity.emulate (count_overflows=False)"),
            ((True, 1), "fwparity.emulate (overflow counts, workers=1)"),
        )
    ]
    for label, n, wall, cpu, peak in rows:
        mem = "-" if peak is None else f"{peak / 2**20:.1f}"
        print(
            f"{label:<47}{n:>10}{wall:>8.2f}{n / wall:>11,.0f}{cpu:>8.2f}{n / cpu:>14,.0f}"
            f"{n / cpu / pred_cpu_rate:>11.1f}{mem:>9}"
        )
    print(f"overflows per layer: {results[(True, args.workers)][3].overflows}")
    print(f"bit-exact on the {n_pred} overlapping events: {same}; process max RSS {rss_mb:.0f} MB")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
