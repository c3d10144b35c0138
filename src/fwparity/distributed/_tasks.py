"""What runs on a dask worker: read one chunk where the data is, run it, write or return the result.

A task gets a :class:`Chunk` (a file path and a vector range, or, for small sources that are not HDF5, the raw
codes themselves) and reads only that slice, so the client never ships event data. Tasks are idempotent: an
emulate task's output is keyed by its chunk index (see ``_parts.write_part``), a validate task returns a
Comparison, so dask may run one twice after a worker dies without losing or duplicating anything.

Backends are made once per worker process (:func:`_backends`, keyed by the model hash and the pickled
backend configuration); csim and RTL builds come from the content-hash build cache, so a worker compiles at
most once, and the csim runner's loaded library stays alive in the worker between tasks.
"""

from __future__ import annotations

import functools
import os
import pickle
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._backend import ReferenceBackend

__all__ = ["Chunk", "emulate_chunk", "one_core", "read_chunk", "validate_chunk"]


@dataclass(frozen=True)
class Chunk:
    """Vectors ``start`` to ``stop`` of the run: read from ``path`` (HDF5), or carried in ``raw``."""

    index: int
    start: int
    stop: int
    path: str | None = None
    raw: dict[str, np.ndarray] | None = None

    @property
    def count(self) -> int:
        return self.stop - self.start


def read_chunk(model: Any, chunk: Chunk) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """The chunk's raw input codes for ``model`` and its NaN/inf counts (float physics inputs)."""
    nonfinite = {"nan": 0, "inf": 0}
    if chunk.raw is not None:
        return chunk.raw, nonfinite
    from ..errors import FormatError
    from ..vectors import read_stored_inputs, resolve_inputs

    assert chunk.path is not None
    stored = read_stored_inputs(chunk.path, slice(chunk.start, chunk.stop))
    for arr, _t in stored.values():
        if arr.dtype.kind == "f":
            nonfinite["nan"] += int(np.isnan(arr).sum())
            nonfinite["inf"] += int(np.isinf(arr).sum())
    raw = resolve_inputs(stored, model, source=chunk.path)
    got = {k: int(v.shape[0]) for k, v in raw.items()}
    if any(n != chunk.count for n in got.values()):  # the file changed under the run
        raise FormatError(f"{chunk.path}: chunk {chunk.index} should hold {chunk.count} vectors, read {got}")
    return raw, nonfinite


def one_core(backend: Any) -> Any:
    """``backend`` made to use one core. ``fwparity.emulate`` spreads a batch over every CPU by default and a
    csim runner keeps two C++ processes, but on dask each worker *is* one core's worth of work: more threads
    or processes per worker would oversubscribe the cores (and make one worker look like several). So the
    reference runs with ``workers=1`` and csim with one process; anything else is returned as it is. Results
    do not depend on either count."""
    import sys

    if type(backend) is ReferenceBackend:
        return ReferenceBackend(count_overflows=backend.count_overflows, workers=1)
    csim = sys.modules.get("fwparity.csim._backend")
    if csim is not None and type(backend) is csim.CsimBackend and backend.workers > 1:
        return csim.CsimBackend(**{**backend.options, "workers": 1})
    return backend


@functools.lru_cache(maxsize=1)
def _reference() -> Any:
    return ReferenceBackend(count_overflows=False, workers=1)


@functools.lru_cache(maxsize=8)
def _backends(model_sha256: str, config: bytes) -> list[Any]:
    """The run's backend objects, unpickled once per worker and model (the key carries the model hash so a
    long-lived cluster serving several models keeps them apart)."""
    return list(pickle.loads(config))


def emulate_chunk(model: Any, chunk: Chunk, part_dir: str, *, trace: bool, chunk_size: int) -> dict[str, Any]:
    """Run the reference on one chunk and write its part file (inputs, outputs, trace) like emulate_file."""
    from ..vectors import VectorSet
    from ._parts import write_part

    t0 = time.perf_counter()
    cpu0 = time.process_time()
    raw, nonfinite = read_chunk(model, chunk)
    result = _reference().run(model, raw, trace=trace)
    # Through VectorSet, so every value is range-checked against its type exactly as VectorWriter does.
    vs = VectorSet()
    for tensor in model.inputs:
        vs.add_input(tensor.name, raw[tensor.name], tensor.type)
    vs.add_run_result(result, model)
    datasets: dict[str, tuple[np.ndarray, Any]] = {}
    for name, arr in vs.inputs.items():
        datasets[f"inputs/{name}"] = (arr, vs.input_types[name])
    for group, data, types in (("outputs", vs.outputs, vs.output_types), ("trace", vs.trace, vs.trace_types)):
        for backend, arrays in data.items():
            for name, arr in arrays.items():
                datasets[f"{group}/{backend}/{name}"] = (arr, types[backend][name])
    path = write_part(part_dir, chunk.index, datasets, chunk_size)
    return {
        "index": chunk.index,
        "start": chunk.start,
        "count": chunk.count,
        "path": os.fspath(path),
        "nonfinite": nonfinite,
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": time.process_time() - cpu0,
        "pid": os.getpid(),
    }


def validate_chunk(
    model: Any,
    chunk: Chunk,
    config: bytes,
    *,
    tolerance_lsb: int,
    max_listed: int,
) -> dict[str, Any]:
    """Run every backend on one chunk and compare them, as ``run_validation`` does for each of its chunks."""
    from .._pipeline import chunk_inputs_to_keep
    from ..compare import compare_runs

    t0 = time.perf_counter()
    cpu0 = time.process_time()
    raw, nonfinite = read_chunk(model, chunk)
    backends: Sequence[Any] = _backends(model.sha256(), config)
    results = [b.run(model, raw, trace=True) for b in backends]
    # Keep the inputs of every listed mismatching vector, not only the first 10: which 10 a whole run keeps
    # is known only after merging (merge_comparisons).
    keep = chunk_inputs_to_keep(max_listed, len(results))
    comparison = compare_runs(
        results, model, inputs=raw, tolerance_lsb=tolerance_lsb, max_listed=max_listed, max_inputs=keep
    )
    return {
        "index": chunk.index,
        "start": chunk.start,
        "count": chunk.count,
        "comparison": comparison,
        "nonfinite": nonfinite,
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": time.process_time() - cpu0,
        "pid": os.getpid(),
    }
