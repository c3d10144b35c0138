"""``fwparity emulate --dask`` and ``fwparity validate --dask``: the same results, with chunks run on a dask
cluster.

The client only plans and assembles. It checks the model and the vector file's metadata (as the
single-process pipelines do, so bad input fails before any worker starts), cuts the vectors into chunks of
``chunk_size``, and submits one task per chunk carrying a path and a vector range. Workers read their slice,
run it and either write a part file (emulate) or return the chunk's Comparison (validate). The client copies
parts into ONE schema-1 file that appears atomically at the end, or merges comparisons in chunk order with
the same exact merge ``run_validation`` uses, so the result is identical to a single-process run.

Workers must see the input file, the model and the output's directory under the same paths: a LocalCluster
always does; on a batch cluster (dask-jobqueue on HTCondor or Slurm) put them on the shared filesystem
(docs/scale.md).
"""

from __future__ import annotations

import os
import pickle
import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py

from .._atomic import atomic_path
from .._pipeline import InputSource, check_positive, merge_comparisons, open_inputs, progress_bar
from ..errors import FormatError, InvalidArgument, InvalidType
from ..vectors import write_root_attributes
from ._cluster import connect, require_dask
from ._parts import Assembler
from ._tasks import Chunk, emulate_chunk, one_core, validate_chunk

__all__ = [
    "DEFAULT_CHUNK",
    "DEFAULT_TRACE_CHUNK",
    "DEFAULT_VALIDATE_CHUNK",
    "emulate_dask",
    "run_validation_dask",
    "validate_dask",
]

#: Events per emulate task without trace. Much larger than the single-process default (10,000): each task costs
#: scheduling, a part file and the client's copy of it, and on a 2-core machine the client shares the cores with
#: the workers. Measured on 10M events, 2 workers over 1: 1.76x with 100,000-event tasks, 1.87x with 500,000;
#: worker memory ~280 MB (~0.4 KB per event beyond the ~95 MB at rest; docs/scale.md).
DEFAULT_CHUNK = 500_000

#: Events per emulate task with ``trace``: every layer's output is kept (~5.4 KB per event for the bundled MLP).
DEFAULT_TRACE_CHUNK = 50_000

#: Events per validate task: every backend's per-layer trace of the chunk is held at once (~8 KB per event for
#: the bundled MLP: ~160 MB), and csim runs ~7,000 events per CPU-second, so a task still lasts seconds.
DEFAULT_VALIDATE_CHUNK = 20_000


def _load(model: Any) -> Any:
    if isinstance(model, (str, os.PathLike)):
        from .._pipeline import resolve_model

        return resolve_model(model)
    return model


def _is_hdf5(path: str | os.PathLike[str] | None) -> bool:
    if path is None or not Path(path).is_file():
        return False
    from ..vectors import detect_format

    return detect_format(path) == "hdf5"


def _chunks(source: InputSource, vectors: Any, chunk_size: int) -> Iterator[Chunk]:
    """HDF5 files by path and range (workers read them); other sources carry their raw codes."""
    if _is_hdf5(vectors):
        path = os.fspath(Path(vectors).resolve())
        for i, start in enumerate(range(0, source.count, chunk_size)):
            yield Chunk(i, start, min(source.count, start + chunk_size), path=path)
        return
    start = 0
    for i, raw in enumerate(source.chunks(chunk_size)):  # counts NaN/inf into source.nonfinite as it reads
        n = int(next(iter(raw.values())).shape[0])
        yield Chunk(i, start, start + n, raw=raw)
        start += n


def _check_visible(client: Any, paths: Sequence[str | os.PathLike[str]]) -> None:
    """Fail early, naming the path, when a worker cannot see a file or directory of the run (a cluster
    without the shared filesystem), instead of failing chunk by chunk."""
    for path in paths:
        seen = client.run(os.path.exists, os.fspath(path))
        blind = sorted(w for w, ok in seen.items() if not ok)
        if blind:
            raise InvalidArgument(
                f"dask worker(s) {', '.join(blind)} cannot see {os.fspath(path)!r}; put the vectors and the "
                "output on a filesystem that every worker mounts under the same path"
            )


def _add_nonfinite(source: InputSource, counts: Mapping[str, int]) -> None:
    for k, v in counts.items():
        source.nonfinite[k] = source.nonfinite.get(k, 0) + int(v)


def _submit(client: Any, fn: Any, model: Any, chunks: Sequence[Chunk], *args: Any, **kwargs: Any) -> list[Any]:
    """One task per chunk, ``fn(model, chunk, *args, **kwargs)``, under readable keys."""
    token = uuid.uuid4().hex[:12]
    name = fn.__name__
    return [
        client.submit(fn, model, chunk, *args, key=f"{name}-{token}-{chunk.index}", pure=False, **kwargs)
        for chunk in chunks
    ]


def emulate_dask(
    model: Any,
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    address: Any = None,
    chunk_size: int | None = None,
    trace: bool = False,
    link_map: str | os.PathLike[str] | None = None,
    n_workers: int | None = None,
) -> tuple[int, InputSource]:
    """Stream ``input_path`` through the bit-exact reference on a dask cluster into one schema-1 file.

    The output is the file :func:`fwparity._pipeline.emulate_file` writes (``inputs/<name>``,
    ``outputs/reference/<name>``, with ``trace`` also ``trace/reference/<layer>``; root attributes
    ``model_sha256`` and the input's ``seed``), value for value; only its HDF5 chunking may differ.

    Parameters
    ----------
    model
        A :class:`~fwparity.model.Model` or a path :func:`fwparity.load_model` reads.
    input_path, output_path
        Input vectors (HDF5 is read by the workers; .dat or a pattern file with ``link_map`` is read here)
        and the file to write. Parts are written next to ``output_path`` while the run lasts.
    address
        None or ``"local"``: a LocalCluster with one single-threaded worker process per core (or
        ``n_workers``); a scheduler address (``"tcp://host:8786"``) or scheduler file (``.json``); or a
        ``distributed.Client``.
    chunk_size
        Events per task; None picks DEFAULT_CHUNK (500,000), or DEFAULT_TRACE_CHUNK (50,000) with ``trace``.
        Numbers with many divisors (powers of ten, multiples of 1024) let the parts keep
        1 MiB HDF5 chunks.

    Returns
    -------
    (int, InputSource)
        The number of events, and the source (``source.nonfinite`` counts NaN/inf float inputs).

    Raises
    ------
    ToolNotFound
        dask is not installed (the message says ``pip install 'fwparity[dask]'``).
    InvalidArgument, FormatError
        As for ``emulate_file``; a task's error is raised here with its own type.

    Examples
    --------
    >>> from fwparity._example import example_model
    >>> n, _ = emulate_dask(example_model(), "jets.h5", "out.h5", n_workers=2)  # doctest: +SKIP
    """
    require_dask()
    if chunk_size is None:
        chunk_size = DEFAULT_TRACE_CHUNK if trace else DEFAULT_CHUNK
    check_positive(chunk_size, "--chunk-size")
    model = _load(model)
    out = Path(output_path)
    if out.exists() and out.is_dir():
        raise InvalidArgument(f"-o {os.fspath(output_path)!r} is a directory, not a file name")
    if not out.parent.exists():
        raise InvalidArgument(f"-o {os.fspath(output_path)!r}: directory {str(out.parent)!r} does not exist")
    if Path(input_path).resolve() == out.resolve():
        raise InvalidArgument(f"-o {os.fspath(output_path)!r} is the input file; write to another file")
    source = open_inputs(model, vectors=input_path, link_map=link_map, option="INPUT")
    parts = out.resolve().parent / f".{out.name}.parts-{uuid.uuid4().hex[:12]}"
    parts.mkdir()
    try:
        with connect(address, n_workers=n_workers) as client, atomic_path(out) as tmp:
            _check_visible(client, [parts, *([Path(input_path).resolve()] if _is_hdf5(input_path) else [])])
            model_f = client.scatter(model, broadcast=True, hash=False)
            futures = _submit(
                client,
                emulate_chunk,
                model_f,
                list(_chunks(source, input_path, chunk_size)),
                os.fspath(parts),
                trace=trace,
                chunk_size=chunk_size,
            )
            with h5py.File(tmp, "w") as f:
                write_root_attributes(f, model.sha256(), source.seed)
                assembler = Assembler(f, source.count)
                try:
                    _assemble(client, futures, assembler, source, model)
                finally:
                    client.cancel(futures)
                assembler.finish()
    finally:
        shutil.rmtree(parts, ignore_errors=True)
    return source.count, source


def _assemble(client: Any, futures: list[Any], assembler: Any, source: InputSource, model: Any) -> None:
    from distributed import as_completed

    with progress_bar(source.count, f"emulate {model.name} (dask)") as advance:
        for future in as_completed(futures):
            info = future.result()
            if assembler.add(info["index"], info["start"], info["count"], info["path"]):
                _add_nonfinite(source, info["nonfinite"])
                advance(info["count"])
            Path(info["path"]).unlink(missing_ok=True)
            future.release()


def run_validation_dask(
    model: Any,
    source: InputSource,
    backends: Sequence[Any],
    *,
    vectors: str | os.PathLike[str] | None = None,
    address: Any = None,
    chunk_size: int = DEFAULT_VALIDATE_CHUNK,
    tolerance_lsb: int = 0,
    max_listed: int = 100,
    n_workers: int | None = None,
) -> Any:
    """:func:`fwparity._pipeline.run_validation` with the chunks run on a dask cluster.

    ``source`` is what :func:`~fwparity._pipeline.open_inputs` made for ``vectors``; when ``vectors`` is an
    HDF5 file the workers read their slices of it, otherwise the chunks' raw codes go with the tasks. The
    merged Comparison equals the single-process one (only the ``seconds`` timings differ), and
    ``source.nonfinite`` is updated as ``run_validation`` would.
    """
    require_dask()
    check_positive(chunk_size, "--chunk-size")
    if source.count == 0:
        raise FormatError(f"{source.source}: holds no vectors")
    config = pickle.dumps([one_core(b) for b in backends])
    pending: dict[int, Any] = {}
    acc = None
    merged = 0
    with connect(address, n_workers=n_workers) as client:
        from distributed import as_completed

        if vectors is not None and _is_hdf5(vectors):
            _check_visible(client, [Path(vectors).resolve()])
        model_f = client.scatter(model, broadcast=True, hash=False)
        futures = _submit(
            client,
            validate_chunk,
            model_f,
            list(_chunks(source, vectors, chunk_size)),
            config,
            tolerance_lsb=tolerance_lsb,
            max_listed=max_listed,
        )
        try:
            with progress_bar(source.count, f"validate {model.name} (dask)") as advance:
                for future in as_completed(futures):
                    info = future.result()
                    future.release()
                    if info["index"] < merged or info["index"] in pending:
                        continue  # a retried task's second answer
                    pending[info["index"]] = info
                    _add_nonfinite(source, info["nonfinite"])
                    advance(info["count"])
                    while merged in pending:  # merge in chunk order: listed mismatches are the first ones
                        done = pending.pop(merged)
                        acc = merge_comparisons(acc, done["comparison"], done["start"])
                        merged += 1
        finally:
            client.cancel(futures)
    if acc is None or pending or merged != len(futures):
        raise FormatError(f"{source.source}: {len(futures) - merged} chunk(s) never arrived")
    acc.vector_source = source.source
    acc.seed = source.seed
    return acc


def validate_dask(
    model: Any,
    vectors: str | os.PathLike[str] | None = None,
    *,
    random: int | None = None,
    seed: int = 0,
    link_map: str | os.PathLike[str] | None = None,
    against: Sequence[Any] = ("reference", "csim"),
    options: Mapping[str, Mapping[str, Any]] | None = None,
    address: Any = None,
    chunk_size: int = DEFAULT_VALIDATE_CHUNK,
    tolerance_lsb: int = 0,
    max_listed: int = 100,
    n_workers: int | None = None,
) -> Any:
    """Validate ``model`` on a dask cluster: every chunk through each backend of ``against``, then merged.

    The result is the :class:`~fwparity.compare.Comparison` a single-process ``fwparity validate`` gives on
    the same vectors (bit for bit in its JSON, apart from the ``seconds`` timings).

    Parameters
    ----------
    model
        A :class:`~fwparity.model.Model` or a path :func:`fwparity.load_model` reads.
    vectors, random, seed, link_map
        The input vectors, as for ``fwparity validate``: a vector file (HDF5 is read by the workers), or
        ``random`` vectors from ``seed``.
    against, options
        Backend names or Backend objects, the expected one first; ``options`` gives keyword options per
        name for :func:`fwparity.get_backend` (as :func:`fwparity.validate` takes them).
    address, n_workers
        As for :func:`emulate_dask`.
    chunk_size
        Events per task (default :data:`DEFAULT_VALIDATE_CHUNK`).
    tolerance_lsb, max_listed
        As for :func:`fwparity.compare.compare_bits`.

    Returns
    -------
    Comparison

    Raises
    ------
    ToolNotFound
        dask is not installed (the message says ``pip install 'fwparity[dask]'``).

    Examples
    --------
    >>> from fwparity._example import example_model
    >>> c = validate_dask(example_model(), random=100_000, against=("reference", "csim"))  # doctest: +SKIP
    >>> c.status  # doctest: +SKIP
    'parity'
    """
    from .._backend import Backend, get_backend

    require_dask()
    model = _load(model)
    if isinstance(against, str):
        against = [a.strip() for a in against.split(",") if a.strip()]
    if len(against) < 2:
        raise InvalidArgument(f"against needs at least two backends, not against={tuple(against)!r}")
    opts = dict(options or {})
    backends = []
    for item in against:
        if isinstance(item, Backend):
            backends.append(item)
        elif isinstance(item, str):
            backends.append(get_backend(item, **dict(opts.get(item, {}))))
        else:
            raise InvalidType(f"against entries must be backend names or Backend objects, not {item!r}")
    source = open_inputs(model, vectors=vectors, random=random, seed=seed, link_map=link_map)
    return run_validation_dask(
        model,
        source,
        backends,
        vectors=vectors,
        address=address,
        chunk_size=chunk_size,
        tolerance_lsb=tolerance_lsb,
        max_listed=max_listed,
        n_workers=n_workers,
    )
