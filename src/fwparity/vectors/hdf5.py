"""HDF5 vector files, schema 1: raw integers with their fixed-point type, per input, backend output, layer.

Layout (DESIGN.md "Vector file")::

    /                         attrs: fwparity_schema=1, model_sha256 ("" if unknown), seed (absent if none)
    inputs/<name>             (N, ...) raw integers with attr ``type`` (HLS spelling),
                              or float64 physics values without ``type``
    outputs/<backend>/<name>  (N, ...) raw integers, attr ``type``
    trace/<backend>/<layer>   (N, ...) raw integers, attr ``type``
    frames/                   optional pattern-file content (see :func:`write_frames`)

Raw codes of types up to 63 bits are stored as int64. Wider types (``FixedType.dtype`` is ``object``) are
stored exactly as uint64 words of the ``width``-bit two's complement pattern, least significant word first,
along an extra last axis, with attribute ``encoding = "words64le"``; readers sign-extend signed types. Every
dataset is chunked along the vector axis and gzip-compressed (level 1, with shuffle: raw codes compress well
and gzip is readable by every HDF5 build). Writers are atomic: they write a temporary file in the same
directory and ``os.replace`` it, so an interrupted write leaves the earlier file intact.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from .._atomic import atomic_path
from ..errors import FormatError, InvalidArgument
from ._frames import FLAGS, BoardData
from ._types import as_type, check_range, from_words, to_words

if TYPE_CHECKING:
    from ..fixed import FixedType

__all__ = [
    "SCHEMA",
    "VectorSet",
    "describe_vectors",
    "VectorWriter",
    "encode_dataset",
    "iter_input_chunks",
    "read_frames",
    "read_inputs",
    "read_stored_inputs",
    "read_vectors",
    "resolve_inputs",
    "write_frames",
    "write_root_attributes",
    "write_vectors",
]

SCHEMA = 1
_WORDS = "words64le"
_CHUNK_BYTES = 1 << 20
_GROUPS = ("inputs", "outputs", "trace")


@dataclass
class VectorSet:
    """Everything a schema-1 file holds, in memory. Types are ``FixedType`` (``None``: float physics values).

    Examples
    --------
    >>> import numpy as np
    >>> vs = VectorSet(seed=7)
    >>> vs.add_input("x", np.array([[1, -2], [3, 4]]), "ap_fixed<8,3>")
    >>> vs.add_output("reference", "y", np.array([[5], [6]]), "ap_int<4>")
    >>> vs.n_vectors, str(vs.input_types["x"]), str(vs.output_types["reference"]["y"])
    (2, 'ap_fixed<8,3>', 'ap_int<4>')
    """

    inputs: dict[str, np.ndarray] = field(default_factory=dict)
    input_types: dict[str, FixedType | None] = field(default_factory=dict)
    outputs: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    output_types: dict[str, dict[str, FixedType]] = field(default_factory=dict)
    trace: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    trace_types: dict[str, dict[str, FixedType]] = field(default_factory=dict)
    model_sha256: str = ""
    seed: int | None = None
    frames: BoardData | None = None

    def add_input(self, name: str, values: Any, type: Any = None) -> None:
        """Add raw codes on ``type``, or (``type=None``) float physics values."""
        arr = np.asarray(values)
        if type is None:
            if arr.dtype.kind != "f":
                raise InvalidArgument(
                    f"inputs/{name}: values without a type must be floats, not dtype={arr.dtype}"
                )
            self.inputs[name], self.input_types[name] = arr.astype(np.float64), None
            return
        t = as_type(type)
        self.inputs[name], self.input_types[name] = _as_raw(arr, t, f"inputs/{name}"), t

    def add_output(self, backend: str, name: str, raw: Any, type: Any) -> None:
        t = as_type(type)
        self.outputs.setdefault(backend, {})[name] = _as_raw(np.asarray(raw), t, f"outputs/{backend}/{name}")
        self.output_types.setdefault(backend, {})[name] = t

    def add_trace(self, backend: str, layer: str, raw: Any, type: Any) -> None:
        t = as_type(type)
        self.trace.setdefault(backend, {})[layer] = _as_raw(np.asarray(raw), t, f"trace/{backend}/{layer}")
        self.trace_types.setdefault(backend, {})[layer] = t

    def add_run_result(self, result: Any, model: Any) -> None:
        """Add a backend's ``RunResult``: outputs typed by ``model.output_types``, trace by layer result."""
        for name, raw in result.outputs.items():
            self.add_output(result.backend, name, raw, model.output_types[name])
        for layer, raw in result.trace.items():
            self.add_trace(result.backend, layer, raw, model.tensor(layer).type)

    @property
    def n_vectors(self) -> int:
        """Length of the vector axis (0 for a file with no vectors)."""
        for group in (self.inputs, *self.outputs.values(), *self.trace.values()):
            for arr in group.values():
                return int(arr.shape[0])
        return 0


def _as_raw(arr: np.ndarray, t: FixedType, where: str) -> np.ndarray:
    if arr.ndim == 0:
        raise InvalidArgument(f"{where}: values must have a vector axis first, not a scalar {arr!r}")
    if arr.size and arr.dtype.kind not in "iuO":
        raise InvalidArgument(f"{where}: raw codes must be integers, not dtype={arr.dtype}")
    check_range(arr, t, where)
    return arr.astype(t.dtype)


# -- writing -------------------------------------------------------------------------------------------------


def encode_dataset(raw: np.ndarray, t: FixedType | None) -> tuple[np.ndarray, dict[str, str]]:
    """The stored form of ``raw`` codes of type ``t`` and the dataset attributes that read them back exactly.

    int64 up to 63 bits; wider types as little-endian 64-bit words (attribute ``encoding``), never floats.
    ``t=None`` stores physics values as float64 with no ``type``. Writers of schema-1 files outside this
    module (dask part files) use it so their datasets are the ones :func:`write_vectors` makes.

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import FixedType
    >>> data, attrs = encode_dataset(np.array([[3, -4]]), FixedType.parse("ap_fixed<8,3>"))
    >>> data.dtype.name, attrs
    ('int64', {'type': 'ap_fixed<8,3>'})
    """
    if t is None:
        return np.asarray(raw, dtype=np.float64), {}
    attrs = {"type": str(t)}
    if t.dtype == object:
        attrs["encoding"] = _WORDS
        return to_words(raw, t.width), attrs
    return np.asarray(raw, dtype=np.int64), attrs


def _chunks(shape: tuple[int, ...], itemsize: int, growable: bool) -> tuple[int, ...] | None:
    if not growable and (len(shape) == 0 or 0 in shape):
        return None
    row = max(1, int(np.prod(shape[1:], dtype=np.int64)) * itemsize)
    rows = max(1, _CHUNK_BYTES // row)
    if not growable:
        rows = min(rows, shape[0])
    return (rows, *shape[1:])


def _create(
    f: h5py.File,
    name: str,
    data: np.ndarray,
    attrs: Mapping[str, Any],
    *,
    growable: bool = False,
    compression: str | None = "gzip",
) -> h5py.Dataset:
    chunks = _chunks(data.shape, data.dtype.itemsize, growable)
    kwargs: dict[str, Any] = {}
    if chunks is not None:
        kwargs["chunks"] = chunks
        if compression:
            kwargs.update(compression=compression, shuffle=True)
            if compression == "gzip":
                kwargs["compression_opts"] = 1
    if growable:
        kwargs["maxshape"] = (None, *data.shape[1:])
    ds = f.create_dataset(name, data=data, **kwargs)
    for k, v in attrs.items():
        ds.attrs[k] = v
    return ds


def write_root_attributes(f: h5py.File, model_sha256: str, seed: int | None) -> None:
    """Write a schema-1 vector file's root attributes (``fwparity_schema``, ``model_sha256``, ``seed`` when
    known) into the open h5py file ``f``; for writers that fill the datasets themselves."""
    f.attrs["fwparity_schema"] = SCHEMA
    f.attrs["model_sha256"] = str(model_sha256)
    if seed is not None:
        f.attrs["seed"] = int(seed)


def write_vectors(
    path: str | os.PathLike[str], vectors: VectorSet, *, compression: str | None = "gzip"
) -> None:
    """Write ``vectors`` to ``path`` (schema 1), atomically.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> vs = VectorSet(model_sha256="ab", seed=1)
    >>> vs.add_input("x", np.array([[1, 2]]), "ap_fixed<8,3>")
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "v.h5"
    >>> write_vectors(p, vs)
    >>> back = read_vectors(p)
    >>> back.inputs["x"].tolist(), str(back.input_types["x"]), back.seed
    ([[1, 2]], 'ap_fixed<8,3>', 1)
    """
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            write_root_attributes(f, vectors.model_sha256, vectors.seed)
            for name, arr in vectors.inputs.items():
                _create(
                    f, f"inputs/{name}", *encode_dataset(arr, vectors.input_types.get(name)), compression=compression
                )
            for group, data, types in (
                ("outputs", vectors.outputs, vectors.output_types),
                ("trace", vectors.trace, vectors.trace_types),
            ):
                for backend, arrays in data.items():
                    for name, arr in arrays.items():
                        _create(
                            f,
                            f"{group}/{backend}/{name}",
                            *encode_dataset(arr, types[backend][name]),
                            compression=compression,
                        )
            if vectors.frames is not None:
                _write_frames(f, vectors.frames, compression)


def _write_frames(f: h5py.File, board: BoardData, compression: str | None) -> None:
    g = f.create_group("frames")
    g.attrs["board_id"] = board.name
    for key, value in board.meta.items():
        g.attrs[key] = value
    _create(f, "frames/link", board.links.astype(np.int64), {}, compression=None)
    _create(f, "frames/data", board.data, {"type": "ap_uint<64>"}, compression=compression)
    for flag in FLAGS:
        _create(f, f"frames/{flag}", getattr(board, flag).astype(np.uint8), {}, compression=compression)


def write_frames(
    path: str | os.PathLike[str],
    board: BoardData,
    *,
    model_sha256: str = "",
    compression: str | None = "gzip",
) -> None:
    """Write pattern-file frames to HDF5, atomically: group ``frames/`` with ``link`` (L,), ``data`` (L, F)
    uint64 and one (L, F) uint8 dataset per flag (``valid strobe start_of_orbit start_of_packet
    end_of_packet``); attribute ``board_id``. Row k of every (L, F) dataset is link ``link[k]``.
    """
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            write_root_attributes(f, model_sha256, None)
            _write_frames(f, board, compression)


# -- reading -------------------------------------------------------------------------------------------------


class _Reader:
    """Opens a file and turns every h5py/OS failure into a FormatError that names it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.source = os.fspath(path)
        if not Path(path).is_file():
            raise FormatError(f"{self.source}: no such file")
        try:
            self.file = h5py.File(path, "r")
        except (OSError, ValueError) as exc:
            raise FormatError(f"{self.source}: not a readable HDF5 file ({exc})") from None
        schema = self.file.attrs.get("fwparity_schema")
        if schema is not None and int(schema) > SCHEMA:
            self.file.close()
            raise FormatError(
                f"{self.source}: fwparity_schema={int(schema)} is newer than this fwparity "
                f"(reads schema {SCHEMA}); upgrade fwparity"
            )

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.file.close()

    def datasets(self, group: str) -> dict[str, h5py.Dataset]:
        g = self.file.get(group)
        if not isinstance(g, h5py.Group):
            return {}
        return {k: v for k, v in g.items() if isinstance(v, h5py.Dataset)}

    def groups(self, group: str) -> dict[str, h5py.Group]:
        g = self.file.get(group)
        if not isinstance(g, h5py.Group):
            return {}
        return {k: v for k, v in g.items() if isinstance(v, h5py.Group)}

    def type_of(self, ds: h5py.Dataset) -> FixedType | None:
        text = ds.attrs.get("type")
        if text is None:
            return None
        if isinstance(text, bytes):
            text = text.decode()
        try:
            return as_type(str(text))
        except InvalidArgument as exc:
            raise FormatError(
                f"{self.source}: dataset {ds.name.lstrip('/')} has an invalid type attribute: {exc}"
            ) from None

    def read(self, ds: h5py.Dataset, sel: Any = ()) -> tuple[np.ndarray, FixedType | None]:
        """The dataset (or a slice along the vector axis) decoded to raw codes of its type, or floats."""
        t = self.type_of(ds)
        try:
            arr = ds[sel]
        except (OSError, ValueError, RuntimeError) as exc:
            raise FormatError(f"{self.source}: cannot read dataset {ds.name.lstrip('/')} ({exc})") from None
        name = ds.name.lstrip("/")
        if t is None:
            if arr.dtype.kind == "f":
                return arr.astype(np.float64), None
            if arr.dtype.kind in "iu":
                return arr.astype(np.int64), None
            raise FormatError(f"{self.source}: dataset {name} holds {arr.dtype}, not integers or floats")
        encoding = ds.attrs.get("encoding")
        if isinstance(encoding, bytes):
            encoding = encoding.decode()
        if encoding == _WORDS:
            raw = from_words(arr, t.width, t.signed)
        elif encoding is not None:
            raise FormatError(f"{self.source}: dataset {name} has unknown encoding={encoding!r}")
        elif arr.dtype.kind in "iu":
            raw = arr.astype(t.dtype)
        else:
            raise FormatError(
                f"{self.source}: dataset {name} has type {t} but holds {arr.dtype}, not integers"
            )
        try:
            check_range(raw, t, name)
        except InvalidArgument as exc:
            raise FormatError(f"{self.source}: {exc}") from None
        return raw, t


def read_vectors(path: str | os.PathLike[str]) -> VectorSet:
    """Read a whole vector file into memory.

    Raises
    ------
    FormatError
        The file is missing, not HDF5, truncated, from a newer schema, or holds a dataset that is not raw
        codes of its ``type``; the message names the file (and the dataset).
    """
    with _Reader(path) as r:
        try:
            vs = VectorSet(model_sha256=str(r.file.attrs.get("model_sha256", "")))
            seed = r.file.attrs.get("seed")
            vs.seed = None if seed is None else int(seed)
            for name, ds in r.datasets("inputs").items():
                vs.inputs[name], vs.input_types[name] = r.read(ds)
            for group, data, types in (
                ("outputs", vs.outputs, vs.output_types),
                ("trace", vs.trace, vs.trace_types),
            ):
                for backend, g in r.groups(group).items():
                    for name, ds in g.items():
                        if not isinstance(ds, h5py.Dataset):
                            continue
                        arr, t = r.read(ds)
                        if t is None:
                            raise FormatError(
                                f"{r.source}: dataset {group}/{backend}/{name} has no type attribute"
                            )
                        data.setdefault(backend, {})[name] = arr
                        types.setdefault(backend, {})[name] = t
            if "frames" in r.file:
                vs.frames = _read_frames(r)
        except (OSError, KeyError, RuntimeError) as exc:
            raise FormatError(f"{r.source}: damaged HDF5 file ({exc})") from None
    return vs


def _read_frames(r: _Reader) -> BoardData:
    g = r.file["frames"]
    try:
        links = g["link"][()]
        data = g["data"][()]
        flags = {f: g[f][()].astype(bool) for f in FLAGS}
    except KeyError as exc:
        raise FormatError(f"{r.source}: group frames lacks a dataset ({exc})") from None
    name = g.attrs.get("board_id", "")
    meta = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in g.attrs.items() if k != "board_id"}
    try:
        return BoardData(links, data, name=str(name), meta=meta, **flags)
    except InvalidArgument as exc:
        raise FormatError(f"{r.source}: group frames is inconsistent: {exc}") from None


def describe_vectors(
    path: str | os.PathLike[str],
) -> tuple[dict[str, Any], list[dict[str, Any]], BoardData | None]:
    """Root attributes, each dataset's path/shape/type, and the frames (if any), without reading vector data.

    ``fwparity vectors info`` uses it so that summarising a multi-gigabyte emulation output stays instant.
    Shapes are logical (the extra word axis of ``words64le`` datasets is not shown).
    """
    with _Reader(path) as r:
        try:
            seed = r.file.attrs.get("seed")
            schema = r.file.attrs.get("fwparity_schema")
            root = {
                "schema": "(none)" if schema is None else int(schema),
                "model_sha256": str(r.file.attrs.get("model_sha256", "")) or "(none)",
                "seed": "(none)" if seed is None else int(seed),
            }
            rows: list[dict[str, Any]] = []
            entries = [(f"inputs/{n}", ds) for n, ds in r.datasets("inputs").items()]
            for group in ("outputs", "trace"):
                for backend, g in r.groups(group).items():
                    entries += [
                        (f"{group}/{backend}/{n}", ds) for n, ds in g.items() if isinstance(ds, h5py.Dataset)
                    ]
            for name, ds in entries:
                t = r.type_of(ds)
                shape = tuple(ds.shape)
                if ds.attrs.get("encoding") in (_WORDS, _WORDS.encode()):
                    shape = shape[:-1]
                kind = (
                    str(t)
                    if t is not None
                    else f"{ds.dtype} ({'physics values' if ds.dtype.kind == 'f' else 'raw'})"
                )
                rows.append({"dataset": name, "shape": shape, "type": kind})
            root["vectors"] = rows[0]["shape"][0] if rows and rows[0]["shape"] else 0
            frames = _read_frames(r) if "frames" in r.file else None
        except (OSError, KeyError, RuntimeError) as exc:
            raise FormatError(f"{r.source}: damaged HDF5 file ({exc})") from None
    return root, rows, frames


def read_frames(path: str | os.PathLike[str]) -> BoardData:
    """Read the ``frames/`` group written by :func:`write_frames` (FormatError if the file has none)."""
    vs = read_vectors(path)
    if vs.frames is None:
        raise FormatError(
            f"{os.fspath(path)}: no frames group (this file holds vectors, not pattern-file frames)"
        )
    return vs.frames


def _fmt_shape(shape: Sequence[int]) -> str:
    return "(N" + "".join(f", {d}" for d in shape) + ")"


def resolve_inputs(
    stored: Mapping[str, tuple[np.ndarray, FixedType | None]], model: Any, *, source: str = "<vectors>"
) -> dict[str, np.ndarray]:
    """Map stored input datasets onto ``model``'s inputs as raw codes of each input's type.

    Forgiving where users are (DESIGN.md): a float dataset without ``type`` holds physics values and is
    quantized like ``input_t(double)`` (``FixedType.from_float``); an integer dataset without ``type`` holds
    raw codes; for a model with one input, a single dataset is taken whatever its name. A shape or type that
    does not fit is a FormatError naming the dataset, the expected shape and the model input.
    """
    tensors = list(model.inputs)
    if len(tensors) == 1 and len(stored) == 1:
        pairs = [(next(iter(stored)), tensors[0])]
    else:
        pairs = []
        for tensor in tensors:
            if tensor.name not in stored:
                have = ", ".join(f"inputs/{k}" for k in stored) or "none"
                raise FormatError(
                    f"{source}: no dataset inputs/{tensor.name} for model input {tensor.name!r} "
                    f"(datasets: {have})"
                )
            pairs.append((tensor.name, tensor))
    out: dict[str, np.ndarray] = {}
    n_vectors: int | None = None
    for ds_name, tensor in pairs:
        arr, t = stored[ds_name]
        where = f"{source}: dataset inputs/{ds_name}"
        expected = tuple(tensor.shape)
        if arr.ndim < 1 or tuple(arr.shape[1:]) != expected:
            raise FormatError(
                f"{where} has shape {tuple(arr.shape)}, expected {_fmt_shape(expected)} for model "
                f"input {tensor.name!r}"
            )
        if n_vectors is not None and arr.shape[0] != n_vectors:
            raise FormatError(f"{where} has {arr.shape[0]} vectors, other inputs have {n_vectors}")
        n_vectors = int(arr.shape[0])
        if t is None and arr.dtype.kind == "f":
            out[tensor.name] = tensor.type.from_float(arr)
        elif t is None:
            try:
                check_range(arr, tensor.type, where)
            except InvalidArgument as exc:
                raise FormatError(str(exc)) from None
            out[tensor.name] = arr.astype(tensor.type.dtype)
        elif t != tensor.type:
            raise FormatError(f"{where} has type {t}, expected {tensor.type} for model input {tensor.name!r}")
        else:
            out[tensor.name] = arr
    return out


def read_stored_inputs(
    path: str | os.PathLike[str], rows: slice | None = None
) -> dict[str, tuple[np.ndarray, FixedType | None]]:
    """The ``inputs/`` datasets (only ``rows`` along the vector axis, when given) as stored: input name ->
    (raw codes, their FixedType) or (float physics values, None).

    This is what :func:`resolve_inputs` takes; callers that must look at the stored values first (to count
    NaN and infinite physics values) or read one slice of a large file (a dask task) use it. Failures are
    FormatError naming the file.
    """
    with _Reader(path) as r:
        sel = () if rows is None else rows
        return {name: r.read(ds, sel) for name, ds in r.datasets("inputs").items()}


def read_inputs(path: str | os.PathLike[str], model: Any = None) -> dict[str, np.ndarray]:
    """The ``inputs/`` datasets; with ``model``, as raw codes per model input (see :func:`resolve_inputs`).

    Without a model, datasets come back as stored: raw codes of their ``type``, or float physics values.
    """
    stored = read_stored_inputs(path)
    if model is None:
        return {k: v[0] for k, v in stored.items()}
    return resolve_inputs(stored, model, source=os.fspath(path))


def iter_input_chunks(
    path: str | os.PathLike[str], chunk_size: int, *, model: Any = None
) -> Iterator[dict[str, np.ndarray]]:
    """Yield the inputs ``chunk_size`` vectors at a time (the last chunk may be shorter), reading only that
    slice.

    With ``model``, each chunk is resolved like :func:`read_inputs`. Memory stays bounded by the chunk, so
    files larger than RAM stream through ``fwparity emulate``.
    """
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise InvalidArgument(f"chunk_size must be a positive integer, not chunk_size={chunk_size!r}")
    with _Reader(path) as r:
        datasets = r.datasets("inputs")
        lengths = {name: ds.shape[0] if ds.ndim else 0 for name, ds in datasets.items()}
        if len(set(lengths.values())) > 1:
            raise FormatError(f"{r.source}: input datasets differ in length: {lengths!r}")
        n = next(iter(lengths.values()), 0)
        for start in range(0, n, chunk_size):
            sel = slice(start, min(n, start + chunk_size))
            stored = {name: r.read(ds, sel) for name, ds in datasets.items()}
            if model is None:
                yield {k: v[0] for k, v in stored.items()}
            else:
                yield resolve_inputs(stored, model, source=r.source)


class VectorWriter:
    """Append-as-you-go writer for streaming results (``fwparity emulate`` over chunks).

    Datasets grow along the vector axis; the file appears at ``path`` only when the ``with`` block ends
    without an exception, so a crash or Ctrl-C mid-stream leaves any earlier file intact.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "out.h5"
    >>> with VectorWriter(p, model_sha256="ab", seed=3) as w:
    ...     for chunk in (np.array([[1], [2]]), np.array([[3]])):
    ...         w.append("outputs/reference/y", chunk, "ap_int<8>")
    >>> read_vectors(p).outputs["reference"]["y"].tolist()
    [[1], [2], [3]]
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        model_sha256: str = "",
        seed: int | None = None,
        compression: str | None = "gzip",
    ) -> None:
        self.path = Path(path)
        self._meta = (model_sha256, seed)
        self._compression = compression
        self._file: h5py.File | None = None
        self._ctx: Any = None
        self._types: dict[str, FixedType | None] = {}

    def __enter__(self) -> VectorWriter:
        self._ctx = atomic_path(self.path)
        tmp = self._ctx.__enter__()
        self._file = h5py.File(tmp, "w")
        write_root_attributes(self._file, *self._meta)
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        assert self._file is not None
        self._file.close()
        self._file = None
        return bool(self._ctx.__exit__(exc_type, exc, tb))

    def append(self, dataset: str, values: Any, type: Any = None) -> None:
        """Append rows to ``dataset`` (``inputs/<name>``, ``outputs/<backend>/<name>`` or
        ``trace/<backend>/<layer>``).

        ``type=None`` is allowed only under ``inputs/`` (float physics values). Later appends must keep the
        shape after the vector axis and the type.
        """
        if self._file is None:
            raise InvalidArgument(
                f"VectorWriter for {os.fspath(self.path)!r} is not open; use it in a with block"
            )
        parts = dataset.strip("/").split("/")
        if parts[0] not in _GROUPS or len(parts) != (2 if parts[0] == "inputs" else 3):
            raise InvalidArgument(
                f"dataset must be inputs/<name>, outputs/<backend>/<name> or "
                f"trace/<backend>/<layer>, not dataset={dataset!r}"
            )
        key = "/".join(parts)
        vs = VectorSet()
        if parts[0] == "inputs":
            vs.add_input(parts[1], values, type)
            arr, t = vs.inputs[parts[1]], vs.input_types[parts[1]]
        elif type is None:
            raise InvalidArgument(f"{key}: raw codes need a type, not type=None")
        else:
            t = as_type(type)
            arr = _as_raw(np.asarray(values), t, key)
        data, attrs = encode_dataset(arr, t)
        if key not in self._file:
            self._types[key] = t
            _create(self._file, key, data, attrs, growable=True, compression=self._compression)
            return
        ds = self._file[key]
        if self._types[key] != t:
            raise InvalidArgument(f"{key}: appended type {t} differs from the earlier {self._types[key]}")
        if data.shape[1:] != ds.shape[1:]:
            raise InvalidArgument(f"{key}: appended shape {data.shape} does not continue {ds.shape}")
        n = ds.shape[0]
        ds.resize(n + data.shape[0], axis=0)
        ds[n:] = data

    def append_inputs(self, inputs: Mapping[str, Any], types: Mapping[str, Any] | None = None) -> None:
        for name, arr in inputs.items():
            self.append(f"inputs/{name}", arr, None if types is None else types.get(name))

    def append_outputs(self, backend: str, outputs: Mapping[str, Any], types: Mapping[str, Any]) -> None:
        for name, arr in outputs.items():
            self.append(f"outputs/{backend}/{name}", arr, types[name])

    def append_run_result(self, result: Any, model: Any) -> None:
        """Append a ``RunResult``'s outputs (and trace) under its backend name."""
        self.append_outputs(result.backend, result.outputs, model.output_types)
        for layer, raw in result.trace.items():
            self.append(f"trace/{result.backend}/{layer}", raw, model.tensor(layer).type)
