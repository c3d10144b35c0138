"""The user-facing pipelines behind ``fwparity validate``, ``fwparity emulate`` and board-capture comparison.

Each one reads a model and vectors, streams the vectors through the backends in chunks (so memory is bounded
by the chunk, not by the file), and leaves nothing half-written: reports and output files appear only when the
run completed, by rename (an interrupted run leaves the earlier files as they were).

Comparisons of the chunks are merged exactly: totals add up, the listed mismatches and kept inputs are the
first ones over the whole run, and the first divergent layer is the first layer (in model order) with a
mismatch in any chunk.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .errors import FormatError, InvalidArgument

__all__ = [
    "BACKEND_NAMES",
    "InputSource",
    "board_capture",
    "chunk_inputs_to_keep",
    "emulate_file",
    "merge_comparisons",
    "open_inputs",
    "parse_against",
    "resolve_model",
    "run_validation",
]

#: The backends ``--against`` may name.
BACKEND_NAMES = ("reference", "csim", "rtl")
DEFAULT_CHUNK = 10_000


# -- arguments -----------------------------------------------------------------------------------------------


def parse_against(text: str) -> list[str]:
    """``"reference,csim"`` -> ``["reference", "csim"]``; unknown, repeated or fewer than two names are
    errors.

    Examples
    --------
    >>> parse_against("reference, rtl")
    ['reference', 'rtl']
    >>> parse_against("reference")
    Traceback (most recent call last):
    ...
    fwparity.errors.InvalidArgument: --against needs at least two backends to compare, not against='reference'
    """
    names = [part.strip() for part in str(text).split(",") if part.strip()]
    for name in names:
        if name not in BACKEND_NAMES:
            raise InvalidArgument(
                f"--against names {name!r}, which is not a backend; choose from {', '.join(BACKEND_NAMES)}"
            )
    if len(set(names)) != len(names):
        raise InvalidArgument(f"--against names a backend twice: against={text!r}")
    if len(names) < 2:
        raise InvalidArgument(f"--against needs at least two backends to compare, not against={text!r}")
    return names


def check_positive(value: int | None, option: str) -> None:
    if value is not None and value < 1:
        raise InvalidArgument(f"{option} must be a positive integer, not {value!r}")


def resolve_model(path: str | os.PathLike[str]) -> Any:
    """Load MODEL (a native model file or an hls4ml project directory); a missing path names the argument."""
    from .model import load_model

    p = Path(path)
    if not p.exists():
        raise InvalidArgument(
            f"MODEL {os.fspath(path)!r} does not exist (expected a model file or an hls4ml project)"
        )
    return load_model(p)


# -- input vectors -------------------------------------------------------------------------------------------


@dataclasses.dataclass
class InputSource:
    """Raw input vectors for a model, read ``chunk_size`` at a time.

    ``nonfinite`` counts NaN and infinite float inputs seen so far (they are quantized like
    ``input_t(double)``, as the headers do, and the CLI warns about them).
    """

    count: int
    source: str
    seed: int | None
    chunks: Callable[[int], Iterator[dict[str, np.ndarray]]]
    nonfinite: dict[str, int] = dataclasses.field(default_factory=lambda: {"nan": 0, "inf": 0})


def _count_nonfinite(arr: np.ndarray, counts: dict[str, int]) -> None:
    if arr.dtype.kind == "f":
        counts["nan"] += int(np.isnan(arr).sum())
        counts["inf"] += int(np.isinf(arr).sum())


def _from_arrays(model: Any, arrays: Mapping[str, np.ndarray], source: str, seed: int | None) -> InputSource:
    """An in-memory source: floats are quantized per chunk (counting NaN/inf), raw codes range-checked."""
    from .compare import quantize_inputs

    arrays = {k: np.asarray(v) for k, v in arrays.items()}
    n = int(next(iter(arrays.values())).shape[0]) if arrays else 0
    try:  # shapes and names checked now, before any backend starts
        quantize_inputs(model, {k: v[:0] for k, v in arrays.items()})
    except InvalidArgument as exc:
        raise FormatError(f"{source}: {exc}") from None
    src = InputSource(count=n, source=source, seed=seed, chunks=lambda size: iter(()))

    def chunks(size: int) -> Iterator[dict[str, np.ndarray]]:
        for start in range(0, n, size):
            part = {k: v[start : start + size] for k, v in arrays.items()}
            for v in part.values():
                _count_nonfinite(v, src.nonfinite)
            try:
                yield quantize_inputs(model, part)
            except InvalidArgument as exc:
                raise FormatError(f"{source}: {exc}") from None

    src.chunks = chunks
    return src


def _hdf5_source(model: Any, path: Path) -> InputSource:
    from .fixed import FixedType
    from .vectors import describe_vectors, iter_input_chunks, resolve_inputs

    root, rows, _frames = describe_vectors(path)
    types: dict[str, Any] = {}
    lengths = set()
    for row in rows:
        if not row["dataset"].startswith("inputs/"):
            continue
        name = row["dataset"].split("/", 1)[1]
        text = str(row["type"])
        types[name] = None if " (" in text else FixedType.parse(text)
        lengths.add(row["shape"][0] if row["shape"] else 0)
    if not types:
        raise FormatError(f"{path}: no inputs/ datasets (is this a vector file?)")
    n = lengths.pop() if len(lengths) == 1 else -1
    if n < 0:
        raise FormatError(f"{path}: the inputs/ datasets differ in length")
    # Check shapes and types against the model now, from the metadata, before any backend starts.
    empty = {}
    for row in rows:
        if row["dataset"].startswith("inputs/"):
            name = row["dataset"].split("/", 1)[1]
            kind = np.float64 if str(row["type"]).endswith("(physics values)") else np.int64
            empty[name] = (np.zeros((0, *row["shape"][1:]), dtype=kind), types[name])
    try:
        resolve_inputs(empty, model, source=os.fspath(path))
    except FormatError as exc:  # the check ran on zero rows; report the file's real length
        raise FormatError(str(exc).replace("has shape (0,", f"has shape ({n},", 1)) from None
    seed = root.get("seed")
    src = InputSource(
        count=int(n),
        source=path.name,
        seed=seed if isinstance(seed, int) else None,
        chunks=lambda size: iter(()),
    )

    def chunks(size: int) -> Iterator[dict[str, np.ndarray]]:
        for stored in iter_input_chunks(path, size):
            for v in stored.values():
                _count_nonfinite(v, src.nonfinite)
            yield resolve_inputs({k: (v, types[k]) for k, v in stored.items()}, model, source=os.fspath(path))

    src.chunks = chunks
    return src


def _read_pattern(path: Path, fmt: str) -> Any:
    from .vectors import read_apx, read_emp

    return read_apx(path) if fmt == "APx" else read_emp(path)


def _map_tensors(
    unpacked: Mapping[str, np.ndarray],
    wanted: Sequence[Any],
    role: str,
    link_map: str,
    types: Mapping[str, Any],
) -> dict[str, np.ndarray]:
    """Link-map tensors -> model tensors by name (or the only one of each side), types checked."""
    if len(wanted) == 1 and len(unpacked) == 1:
        pairs = [(next(iter(unpacked)), wanted[0])]
    else:
        pairs = []
        for t in wanted:
            if t.name not in unpacked:
                raise FormatError(
                    f"{link_map}: no {role} tensor {t.name!r} for model {role} {t.name!r} "
                    f"(the link map has {', '.join(unpacked) or 'none'})"
                )
            pairs.append((t.name, t))
    out = {}
    for name, t in pairs:
        if types[name] != t.type:
            raise FormatError(
                f"{link_map}: tensor {name!r} has type {types[name]}, but model {role} {t.name!r} is {t.type}"
            )
        arr = unpacked[name]
        if tuple(arr.shape[1:]) != tuple(t.shape):
            raise FormatError(
                f"{link_map}: tensor {name!r} has shape {tuple(arr.shape[1:])}, but model {role} {t.name!r} "
                f"has {tuple(t.shape)}"
            )
        out[t.name] = arr
    return out


def _link_map_tensors(lm: Any, role: str) -> tuple[list[str], dict[str, Any]]:
    names = [t.name for t in lm.tensors if getattr(t, "role", role) == role]
    return names, {t.name: t.type for t in lm.tensors}


def open_inputs(
    model: Any,
    *,
    vectors: str | os.PathLike[str] | None = None,
    random: int | None = None,
    seed: int = 0,
    link_map: str | os.PathLike[str] | None = None,
    option: str = "--vectors",
) -> InputSource:
    """The input vectors of a run: a vector file (HDF5, hls4ml .dat, EMP/APx with a link map) or random ones.

    The format is detected from the content. Shapes and types must fit the model's inputs; errors are
    :class:`~fwparity.errors.FormatError` naming the file.
    """
    from .vectors import detect_format

    if vectors is not None and random is not None:
        raise InvalidArgument("--vectors and --random exclude each other; pass one")
    if random is not None:
        from .compare import random_vectors

        check_positive(random, "--random")
        return _from_arrays(model, random_vectors(model, random, seed=seed), "random", seed)
    if vectors is None:
        raise InvalidArgument("no input vectors: pass --vectors FILE or --random N")
    path = Path(vectors)
    if not path.is_file():
        raise InvalidArgument(f"{option} {os.fspath(vectors)!r} does not exist")
    fmt = detect_format(path)
    if fmt == "hdf5":
        return _hdf5_source(model, path)
    if fmt == "dat":
        from .vectors import read_dat_tensors

        src = _from_arrays(model, read_dat_tensors(path, list(model.inputs)), path.name, None)
        # The .dat reader hands back raw codes, so count NaN/inf from the text (tokens, whatever their case).
        text = path.read_text(errors="replace")
        src.nonfinite["nan"] += len(re.findall(r"(?i)(?<![\w.])[-+]?nan(?![\w.])", text))
        src.nonfinite["inf"] += len(re.findall(r"(?i)(?<![\w.])[-+]?inf(inity)?(?![\w.])", text))
        return src
    # A pattern file: frames, which only a link map turns into tensors.
    if link_map is None:
        raise InvalidArgument(
            f"{option} {os.fspath(vectors)!r} is an {fmt} pattern file; pass --link-map MAP to say where the "
            "model inputs sit in its frames"
        )
    from .vectors import load_link_map

    lm = load_link_map(link_map)
    unpacked = lm.unpack([_read_pattern(path, fmt)], source=os.fspath(path))
    names, types = _link_map_tensors(lm, "input")
    raw = _map_tensors(
        {k: v for k, v in unpacked.items() if k in names},
        list(model.inputs),
        "input",
        os.fspath(link_map),
        types,
    )
    return _from_arrays(model, raw, path.name, None)


# -- merging chunk comparisons -------------------------------------------------------------------------------


def _merge_output(a: Any, b: Any) -> None:
    a.compared_elements += b.compared_elements
    a.mismatched_elements += b.mismatched_elements
    a.mismatched_vectors += b.mismatched_vectors
    a.within_tolerance += b.within_tolerance
    a.max_abs_lsb = max(a.max_abs_lsb, b.max_abs_lsb)
    for k, v in b.classes.items():
        a.classes[k] = a.classes.get(k, 0) + v
    for i, n in b.elements.items():
        a.elements[i] = a.elements.get(i, 0) + n
    width = max(a.xor_width, b.xor_width)
    flips: dict[int, list[int]] = {}
    for src in (a.bit_flips, b.bit_flips):
        for i, counts in src.items():
            acc = flips.setdefault(i, [0] * width)
            for bit, c in enumerate(counts):
                acc[bit] += c
    a.bit_flips, a.xor_width = flips, width
    for k, n in b.delta_histogram.items():
        a.delta_histogram[k] = a.delta_histogram.get(k, 0) + n


def _merge_pair(a: Any, b: Any, offset: int) -> None:
    listed = a.max_listed
    shifted = [dataclasses.replace(m, vector=m.vector + offset) for m in b.mismatches]
    a.mismatches = (a.mismatches + shifted)[:listed]
    a.vectors += b.vectors
    a.mismatched_vectors += b.mismatched_vectors
    a.mismatched_elements += b.mismatched_elements
    a.compared_elements += b.compared_elements
    a.within_tolerance += b.within_tolerance
    a.max_abs_lsb = max(a.max_abs_lsb, b.max_abs_lsb)
    for k, v in b.classes.items():
        a.classes[k] = a.classes.get(k, 0) + v
    counts = dict(a.vector_counts)
    counts.update({v + offset: n for v, n in b.vector_counts.items()})
    a.vector_counts = {v: counts[v] for v in sorted(counts)[:listed]}
    a.first_mismatched_vectors = (
        a.first_mismatched_vectors + [v + offset for v in b.first_mismatched_vectors]
    )[:listed]
    for name, out in b.outputs.items():
        if name in a.outputs:
            _merge_output(a.outputs[name], out)
        else:
            a.outputs[name] = out
    a.traced = a.traced and b.traced
    layers = {layer.name: layer for layer in a.layers}
    for lb in b.layers:
        la = layers.get(lb.name)
        if la is None:
            a.layers.append(lb)
            layers[lb.name] = lb
            continue
        la.compared_elements += lb.compared_elements
        la.mismatched_elements += lb.mismatched_elements
        if la.first is None and lb.first is not None:
            la.first = {**lb.first, "vector": lb.first["vector"] + offset}
        la.shape_mismatch = la.shape_mismatch or lb.shape_mismatch
    a.first_divergent_layer = next((la.name for la in a.layers if la.mismatched_elements), None)
    for k, v in b.seconds.items():
        a.seconds[k] = a.seconds.get(k, 0.0) + v


def chunk_inputs_to_keep(max_listed: int, n_backends: int) -> int:
    """How many mismatching vectors' inputs a chunk's ``compare_runs`` must keep for an exact merge.

    A whole run keeps the inputs of the first ``max_inputs`` vectors among every pair's listed mismatching
    vectors. Which those are is known only after merging: when a pair lists fewer than ``max_inputs``
    (``max_listed`` < 10), later chunks' vectors fill the gap. So each chunk keeps the inputs of all its
    listed vectors (at most ``max_listed`` per pair) and :func:`merge_comparisons` keeps those still listed.

    >>> chunk_inputs_to_keep(3, 3)
    6
    """
    return max_listed * max(1, n_backends - 1)


def _keep_listed_inputs(acc: Any, inputs: Mapping[int, Any], max_inputs: int) -> None:
    listed = sorted({v for p in acc.pairs for v in p.first_mismatched_vectors})
    acc.inputs = {v: inputs[v] for v in listed[:max_inputs] if v in inputs}


def merge_comparisons(acc: Any, chunk: Any, offset: int, *, max_inputs: int = 10) -> Any:
    """Fold the Comparison of the chunk starting at vector ``offset`` into ``acc`` (None for the first chunk).

    The merged ``inputs`` are those of the first ``max_inputs`` vectors among the merged pairs' listed
    mismatching vectors, exactly what one whole ``compare_runs`` keeps, provided each chunk was compared
    with ``max_inputs=chunk_inputs_to_keep(max_listed, n_backends)`` (an earlier chunk's listed vectors are
    never displaced by a later chunk's, so cutting after every merge is exact).

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace as Run
    >>> from fwparity.compare import compare_runs
    >>> def run(name, y):
    ...     return Run(backend=name, outputs={"y": np.array(y)}, trace={}, overflows={}, seconds=0.0)
    >>> types = {"y": "ap_int<8>"}
    >>> whole = compare_runs([run("a", [[1], [2], [3]]), run("b", [[1], [5], [3]])], output_types=types)
    >>> c1 = compare_runs([run("a", [[1], [2]]), run("b", [[1], [5]])], output_types=types)
    >>> c2 = compare_runs([run("a", [[3]]), run("b", [[3]])], output_types=types)
    >>> merged = merge_comparisons(merge_comparisons(None, c1, 0), c2, 2)
    >>> merged.to_json() == whole.to_json()
    True
    """
    if acc is None:
        if offset:
            raise InvalidArgument(f"the first chunk must start at vector 0, not offset={offset!r}")
        _keep_listed_inputs(chunk, chunk.inputs, max_inputs)
        return chunk
    for pa, pb in zip(acc.pairs, chunk.pairs, strict=True):
        _merge_pair(pa, pb, offset)
    acc.vector_count += chunk.vector_count
    for k, v in chunk.overflows.items():
        acc.overflows[k] = acc.overflows.get(k, 0) + v
    kept = dict(acc.inputs)
    kept.update({v + offset: raw for v, raw in chunk.inputs.items()})
    _keep_listed_inputs(acc, kept, max_inputs)
    return acc


# -- progress ------------------------------------------------------------------------------------------------


@contextmanager
def progress_bar(total: int, description: str) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr, silent when stderr is not a terminal; yields ``advance(n)``."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=max(total, 0))
        yield lambda n: progress.advance(task, n)


def warn(message: str) -> None:
    """A warning for the person at the terminal (stderr), not a Python warning (which tests turn into
    errors)."""
    print(f"fwparity: warning: {message}", file=sys.stderr)


def warn_nonfinite(source: InputSource, model: Any) -> None:
    nan, inf = source.nonfinite["nan"], source.nonfinite["inf"]
    if nan or inf:
        types = ", ".join(sorted({str(t.type) for t in model.inputs}))
        warn(
            f"{source.source} holds {nan} NaN and {inf} infinite input value(s); they were quantized as "
            f"{types}(double) does in the headers (NaN and inf have no fixed-point value, so check the "
            "source)"
        )


# -- validate ------------------------------------------------------------------------------------------------


def make_backends(
    model: Any,
    against: Sequence[str],
    *,
    csim: str | os.PathLike[str] | None,
    rtl: str | None,
    model_path: Path,
) -> list[Any]:
    """Backend objects for ``against``; tools are looked for now, so a missing one fails before any work."""
    from . import _toolchain
    from ._backend import get_backend

    # A build named but not compared is almost always a typo in --against; say so instead of ignoring it.
    for option, value, name in (("--csim", csim, "csim"), ("--rtl", rtl, "rtl")):
        if value is not None and name not in against:
            raise InvalidArgument(
                f"{option} {os.fspath(value)!r} is given but --against {','.join(against)} does not run "
                f"{name}"
            )
    backends = []
    for name in against:
        if name == "reference":
            backends.append(get_backend("reference"))
        elif name == "csim":
            _toolchain.find_gxx()
            _toolchain.find_ap_include()
            project = csim
            if project is None and model_path.is_dir():
                project = model_path  # an hls4ml project's own C++ is its build under test
            if project is None:
                _toolchain.find_nnet_utils()
            elif not Path(project).exists():
                raise InvalidArgument(f"--csim {os.fspath(project)!r} does not exist")
            backends.append(get_backend("csim", project=project))
        else:
            from ._rtl_backend import GeneratedRtlBackend

            _toolchain.require_tool("verilator")
            _toolchain.find_gxx()
            if rtl in (None, "auto"):
                from .rtlsim import SUPPORTED_KINDS

                for layer in model.layers:
                    if layer.kind not in SUPPORTED_KINDS:
                        from .errors import UnsupportedLayer

                        raise UnsupportedLayer(
                            f"--rtl auto cannot generate RTL for model {model.name!r}: "
                            f"layer {layer.name!r} has "
                            f"kind {layer.kind!r}, which the RTL library lacks (it has: "
                            f"{', '.join(sorted(SUPPORTED_KINDS))}); pass --rtl MANIFEST for your own RTL"
                        )
                backends.append(GeneratedRtlBackend())
            else:
                if not Path(rtl).is_file():
                    raise InvalidArgument(f"--rtl {rtl!r} is neither 'auto' nor an existing manifest file")
                backends.append(GeneratedRtlBackend(manifest=rtl))
    return backends


def run_validation(
    model: Any,
    source: InputSource,
    backends: Sequence[Any],
    *,
    chunk_size: int = DEFAULT_CHUNK,
    tolerance_lsb: int = 0,
    max_listed: int = 100,
) -> Any:
    """Run every backend chunk by chunk on the same raw codes and merge the chunk comparisons."""
    from .compare import compare_runs

    check_positive(chunk_size, "--chunk-size")
    if source.count == 0:
        raise FormatError(f"{source.source}: holds no vectors")
    acc = None
    offset = 0
    with progress_bar(source.count, f"validate {model.name}") as advance:
        for raw in source.chunks(chunk_size):
            results = [b.run(model, raw, trace=True) for b in backends]
            comparison = compare_runs(
                results,
                model,
                inputs=raw,
                tolerance_lsb=tolerance_lsb,
                max_listed=max_listed,
                max_inputs=chunk_inputs_to_keep(max_listed, len(backends)),
            )
            acc = merge_comparisons(acc, comparison, offset)
            n = int(next(iter(raw.values())).shape[0])
            offset += n
            advance(n)
    assert acc is not None
    acc.vector_source = source.source
    acc.seed = source.seed
    return acc


def board_capture(
    model: Any,
    *,
    inputs: str | os.PathLike[str],
    capture: str | os.PathLike[str],
    link_map: str | os.PathLike[str],
    tolerance_lsb: int = 0,
    max_listed: int = 100,
) -> Any:
    """Compare an output pattern file captured on a board with the reference run on its input pattern file."""
    from ._backend import RunResult, get_backend
    from .compare import compare_runs
    from .vectors import detect_format, load_link_map

    lm = load_link_map(link_map)
    source = open_inputs(model, vectors=inputs, link_map=link_map)
    raw = next(source.chunks(max(source.count, 1)), None)
    if raw is None:
        raise FormatError(f"{os.fspath(inputs)}: holds no events")
    cap = Path(capture)
    if not cap.is_file():
        raise InvalidArgument(f"--board-capture {os.fspath(capture)!r} does not exist")
    fmt = detect_format(cap)
    if fmt not in ("EMPv1", "EMPv2", "APx"):
        raise FormatError(f"{os.fspath(capture)}: is {fmt}, not an EMP or APx pattern file")
    unpacked = lm.unpack([_read_pattern(cap, fmt)], source=os.fspath(capture))
    names, types = _link_map_tensors(lm, "output")
    outputs = [dataclasses.replace(model.tensor(name), name=name) for name in model.outputs]
    board = _map_tensors(
        {k: v for k, v in unpacked.items() if k in names}, outputs, "output", os.fspath(link_map), types
    )
    expected = get_backend("reference").run(model, raw, trace=False)
    n_in = int(next(iter(raw.values())).shape[0])
    n_out = int(next(iter(board.values())).shape[0])
    if n_in != n_out:
        raise FormatError(
            f"{os.fspath(capture)}: holds {n_out} events, but the input pattern file "
            f"{os.fspath(inputs)} holds "
            f"{n_in}"
        )
    actual = RunResult(backend="board", outputs=board)
    return compare_runs(
        [expected, actual],
        model,
        inputs=raw,
        vector_source=f"{Path(inputs).name} -> {cap.name}",
        tolerance_lsb=tolerance_lsb,
        max_listed=max_listed,
    )


# -- emulate -------------------------------------------------------------------------------------------------


def emulate_file(
    model: Any,
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    trace: bool = False,
    chunk_size: int = DEFAULT_CHUNK,
    link_map: str | os.PathLike[str] | None = None,
) -> tuple[int, InputSource]:
    """Stream ``input_path`` through the reference into a schema-1 HDF5 file at ``output_path``.

    The output holds ``inputs/<name>`` (the raw codes that were run, with their type),
    ``outputs/reference/<name>`` and, with ``trace``, ``trace/reference/<layer>``. Memory is bounded by
    ``chunk_size``; the file appears only when every chunk was written. Returns the number of events and the
    source (for its NaN/inf counts).
    """
    from ._backend import get_backend
    from .vectors import VectorWriter

    check_positive(chunk_size, "--chunk-size")
    out = Path(output_path)
    if out.exists() and out.is_dir():
        raise InvalidArgument(f"-o {os.fspath(output_path)!r} is a directory, not a file name")
    if not out.parent.exists():
        raise InvalidArgument(f"-o {os.fspath(output_path)!r}: directory {str(out.parent)!r} does not exist")
    if Path(input_path).resolve() == out.resolve():
        raise InvalidArgument(f"-o {os.fspath(output_path)!r} is the input file; write to another file")
    source = open_inputs(model, vectors=input_path, link_map=link_map, option="INPUT")
    reference = get_backend("reference", count_overflows=False)
    input_types = {t.name: t.type for t in model.inputs}
    done = 0
    with VectorWriter(out, model_sha256=model.sha256(), seed=source.seed) as writer:
        with progress_bar(source.count, f"emulate {model.name}") as advance:
            for raw in source.chunks(chunk_size):
                result = reference.run(model, raw, trace=trace)
                writer.append_inputs(raw, input_types)
                writer.append_run_result(result, model)
                n = int(next(iter(raw.values())).shape[0])
                done += n
                advance(n)
    return done, source
