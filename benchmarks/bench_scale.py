"""Scale-out on dask: events/s of ``emulate`` and of ``validate`` (reference vs csim) with 1 and 2 workers.

The bundled jet MLP (16 -> 64 -> 32 -> 32 -> 5, ap_fixed<16,6>) on float jet features in a schema-1 HDF5 file.
Each worker count gets its own LocalCluster (one single-threaded process per worker, BLAS pinned to one
thread); the workers are warmed up (imports, the csim build and runner) on a small file first, and only the
run itself is timed. The scaling ratio is events/s with 2 workers over events/s with 1. Every result is
checked: the emulate output against one in-process ``fwparity.emulate`` on its first and last 10,000 events,
and the validation must report parity on every event.

    python benchmarks/bench_scale.py                                  # 10M events emulate, 200k validate
    python benchmarks/bench_scale.py --events 1000000 --validate-events 50000
    python benchmarks/bench_scale.py --validate-events 10000000       # the full 10M through csim (slow)

Also printed: CPU seconds per event in the workers (immune to other load on the machine) and each worker's
peak resident memory, from which docs/scale.md's capacity model is drawn.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import h5py
import numpy as np


def write_jets(path: Path, n: int, seed: int = 7) -> Path:
    """n float64 jet-feature vectors, written in slices (uncompressed, so writing 10M takes seconds)."""
    rng = np.random.default_rng(seed)
    with h5py.File(path, "w") as f:
        f.attrs["fwparity_schema"] = 1
        f.attrs["seed"] = seed
        ds = f.create_dataset("inputs/jets", shape=(n, 16), dtype="f8", chunks=(min(n, 8192), 16))
        for start in range(0, n, 1_000_000):
            stop = min(n, start + 1_000_000)
            ds[start:stop] = rng.normal(0.0, 1.5, size=(stop - start, 16))
    return path


def _peak_rss_mb() -> float:
    """This process's own peak resident memory (VmHWM; ``ru_maxrss`` would include what the parent had
    before the worker was spawned, since Linux carries it across exec)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children plus, for a csim worker, its live C++ runner."""
    import psutil

    me = psutil.Process()
    total = sum(me.cpu_times()[:4])
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.Error:
            pass
    return total


def _timed(client: Any, run: Any) -> tuple[float, float, float, float, Any]:
    """(wall seconds, worker CPU seconds, client CPU seconds, task occupancy, result) of ``run()``.

    Occupancy is the time the workers spent inside tasks over wall time x workers: near 100% means dask kept
    every worker busy, so any shortfall of CPU use is other processes taking the cores, not idle workers.
    """
    from distributed import get_task_stream

    workers = len(client.scheduler_info()["workers"])
    w0 = sum(client.run(_cpu_seconds).values())
    c0 = time.process_time()
    t0 = time.perf_counter()
    with get_task_stream(client) as stream:
        result = run()
    wall = time.perf_counter() - t0
    client_cpu = time.process_time() - c0
    busy = sum(
        s["stop"] - s["start"] for t in stream.data for s in t["startstops"] if s["action"] == "compute"
    )
    cpu = sum(client.run(_cpu_seconds).values()) - w0
    return wall, cpu, client_cpu, busy / (wall * workers), result


def _check_emulate(model: Any, src: Path, out: Path, n: int) -> bool:
    import fwparity

    with h5py.File(src) as f, h5py.File(out) as g:
        if g["outputs/reference/softmax"].shape[0] != n:
            return False
        for sl in (slice(0, min(n, 10_000)), slice(max(0, n - 10_000), n)):
            expected = fwparity.emulate(model, f["inputs/jets"][sl]).raw["softmax"]
            if not np.array_equal(g["outputs/reference/softmax"][sl], expected):
                return False
    return True


def run_emulate(model: Any, src: Path, warm: Path, workdir: Path, workers: int, chunk: int) -> dict[str, Any]:
    from fwparity.distributed import connect, emulate_dask

    t0 = time.perf_counter()
    with connect(n_workers=workers) as client:
        startup = time.perf_counter() - t0
        emulate_dask(model, warm, workdir / "warm_out.h5", address=client, chunk_size=chunk // 10)
        base = client.run(_peak_rss_mb)
        out = workdir / f"emulate_{workers}.h5"
        seconds, cpu, client_cpu, occupancy, (n, _) = _timed(
            client, lambda: emulate_dask(model, src, out, address=client, chunk_size=chunk)
        )
        peak = client.run(_peak_rss_mb)
    ok = _check_emulate(model, src, out, n)
    out.unlink()
    return {
        "run": "emulate",
        "workers": workers,
        "events": n,
        "seconds": seconds,
        "cpu": cpu,
        "occupancy": occupancy,
        "client_cpu": client_cpu,
        "startup": startup,
        "rss_base": max(base.values()),
        "rss_peak": max(peak.values()),
        "ok": ok,
    }


def run_validate(model: Any, src: Path, warm: Path, workers: int, chunk: int) -> dict[str, Any]:
    """reference vs csim (C++ emitted from the model, built once, one C++ runner process per worker)."""
    from fwparity.distributed import connect, validate_dask

    t0 = time.perf_counter()
    with connect(n_workers=workers) as client:
        startup = time.perf_counter() - t0
        # warm-up: imports, the csim build (content-hash cache) and each worker's C++ runner process
        validate_dask(model, warm, against=("reference", "csim"), address=client, chunk_size=1000)
        base = client.run(_peak_rss_mb)
        seconds, cpu, client_cpu, occupancy, c = _timed(
            client,
            lambda: validate_dask(
                model, src, against=("reference", "csim"), address=client, chunk_size=chunk
            ),
        )
        peak = client.run(_peak_rss_mb)
    return {
        "run": "validate csim",
        "workers": workers,
        "events": c.vector_count,
        "seconds": seconds,
        "cpu": cpu,
        "occupancy": occupancy,
        "client_cpu": client_cpu,
        "startup": startup,
        "rss_base": max(base.values()),
        "rss_peak": max(peak.values()),
        "ok": c.status == "parity" and c.vector_count == c.pairs[0].vectors,
    }


def run_single(model: Any, src: Path, workdir: Path, chunk: int) -> dict[str, Any]:
    """The single-process pipeline (no dask) on the same file, for the dask overhead."""
    from fwparity._pipeline import emulate_file

    out = workdir / "single.h5"
    c0 = time.process_time()
    t0 = time.perf_counter()
    n, _ = emulate_file(model, src, out, chunk_size=chunk)
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    ok = _check_emulate(model, src, out, n)
    out.unlink()
    return {
        "run": "emulate (no dask)",
        "workers": 0,
        "events": n,
        "seconds": seconds,
        "cpu": cpu,
        "occupancy": 1.0,
        "client_cpu": cpu,
        "startup": 0.0,
        "rss_base": float("nan"),
        "rss_peak": _peak_rss_mb(),
        "ok": ok,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000_000, help="events for emulate (default 10M)")
    parser.add_argument("--validate-events", type=int, default=200_000, help="events for validate with csim")
    from fwparity.distributed import DEFAULT_CHUNK, DEFAULT_VALIDATE_CHUNK

    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK, help="events per emulate task")
    parser.add_argument(
        "--validate-chunk-size", type=int, default=DEFAULT_VALIDATE_CHUNK, help="events per validate task"
    )
    parser.add_argument("--single", action="store_true", help="also time the single-process emulate_file")
    args = parser.parse_args(argv)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # the client and the single-process baseline use one core too

    from fwparity._example import example_model

    model = example_model()
    rows = []
    with tempfile.TemporaryDirectory(prefix="fwp-bench-scale-") as tmp:
        d = Path(tmp)
        t0 = time.perf_counter()
        src = write_jets(d / "jets.h5", args.events)
        vsrc = write_jets(d / "jets_validate.h5", args.validate_events, seed=8)
        warm = write_jets(d / "warm.h5", 4 * max(1, args.chunk_size // 10), seed=9)
        vwarm = write_jets(d / "warm_validate.h5", 4000, seed=10)
        print(
            f"inputs written in {time.perf_counter() - t0:.1f} s; load average {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} cores",
            flush=True,
        )
        if args.single:
            rows.append(run_single(model, src, d, 10_000))
            print(rows[-1], flush=True)
        for workers in (1, 2):
            rows.append(run_emulate(model, src, warm, d, workers, args.chunk_size))
            print(rows[-1], flush=True)
        for workers in (1, 2):
            rows.append(run_validate(model, vsrc, vwarm, workers, args.validate_chunk_size))
            print(rows[-1], flush=True)

    print()
    print(
        f"{'run':<18} {'workers':>7} {'events':>11} {'seconds':>8} {'events/s':>10} {'ev/s/worker':>11} "
        f"{'ev/CPU-s':>9} {'busy':>5} {'CPU use':>7} {'client CPU':>10} {'start s':>7} {'worker RSS MB':>13} "
        f"{'bit-exact':>9}"
    )
    for r in rows:
        rate = r["events"] / r["seconds"]
        per = rate / max(1, r["workers"])
        rss = f"{r['rss_base']:.0f}->{r['rss_peak']:.0f}"
        # the share of the workers' cores they actually got: below ~90%, other processes took the rest
        use = r["cpu"] / (r["seconds"] * max(1, r["workers"]))
        print(
            f"{r['run']:<18} {r['workers']:>7} {r['events']:>11,} {r['seconds']:>8.1f} {rate:>10,.0f} "
            f"{per:>11,.0f} {r['events'] / r['cpu']:>9,.0f} {r['occupancy']:>5.0%} {use:>7.0%} "
            f"{r['client_cpu']:>9.1f}s {r['startup']:>7.1f} {rss:>13} {'yes' if r['ok'] else 'NO':>9}"
        )
    print()
    ok = all(r["ok"] for r in rows)
    for run in ("emulate", "validate csim"):
        rate = {r["workers"]: r["events"] / r["seconds"] for r in rows if r["run"] == run}
        per_cpu = {r["workers"]: r["events"] / r["cpu"] for r in rows if r["run"] == run}
        print(
            f"scaling {run}: 2 workers / 1 worker = {rate[2] / rate[1]:.2f}x (target >= 1.8x); "
            f"at one full core per worker: {2 * per_cpu[2] / per_cpu[1]:.2f}x"
        )
    print(f"load average now {os.getloadavg()[0]:.1f} (other processes on the machine share the cores)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
