"""fwparity.distributed: ``emulate`` and ``validate`` scaled out on dask (``pip install 'fwparity[dask]'``).

Workers read their own chunks of the vector file, run the reference (and csim or RTL, each built once per
worker from the content-hash cache) where the data is, and either write per-chunk part files that the client
assembles into one schema-1 file atomically, or return per-chunk comparisons that the client merges exactly.
Results are identical to the single-process pipelines; a worker lost mid-run costs a retry, not a chunk.
Capacity model and cluster recipes: docs/scale.md.
"""

from __future__ import annotations

from ._cluster import DASK_EXTRA, LOCAL, WORKER_ENV, connect, require_dask
from ._run import (
    DEFAULT_CHUNK,
    DEFAULT_TRACE_CHUNK,
    DEFAULT_VALIDATE_CHUNK,
    emulate_dask,
    run_validation_dask,
    validate_dask,
)

__all__ = [
    # _cluster
    "DASK_EXTRA",
    "LOCAL",
    "WORKER_ENV",
    "connect",
    "require_dask",
    # _run
    "DEFAULT_CHUNK",
    "DEFAULT_TRACE_CHUNK",
    "DEFAULT_VALIDATE_CHUNK",
    "emulate_dask",
    "run_validation_dask",
    "validate_dask",
]

for _obj in (connect, require_dask, emulate_dask, run_validation_dask, validate_dask):
    _obj.__module__ = __name__
del _obj
