"""``fwparity vectors convert`` and ``fwparity vectors info`` as library functions (the CLI only prints)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, InvalidArgument
from ._detect import canonical_format, detect_format, format_from_name
from ._frames import BoardData
from ._text import read_text, write_text_atomic
from .apx import read_apx, write_apx
from .dat import format_dat, parse_dat, read_dat, read_dat_tensors
from .emp import read_emp, write_emp
from .hdf5 import VectorSet, describe_vectors, read_vectors, write_frames, write_vectors
from .linkmap import LinkMap, load_link_map

__all__ = ["FileInfo", "convert", "info", "render_info"]

_PATTERNS = ("EMPv1", "EMPv2", "APx")


@dataclass
class FileInfo:
    """What ``fwparity vectors info`` shows: the detected format and a summary of the content."""

    path: str
    format: str
    summary: dict[str, Any] = field(default_factory=dict)
    #: pattern files (and HDF5 frames): one row per link
    links: list[dict[str, Any]] = field(default_factory=list)
    #: HDF5 vectors: one row per dataset (path, shape, type)
    datasets: list[dict[str, Any]] = field(default_factory=list)


def _board_links(board: BoardData) -> list[dict[str, Any]]:
    return [
        {
            "link": int(link),
            "valid": int(board.valid[k].sum()),
            "packets": int(board.start_of_packet[k].sum()),
            "orbit_starts": int(board.start_of_orbit[k].sum()),
            "strobe_low": int((~board.strobe[k]).sum()),
        }
        for k, link in enumerate(board.links.tolist())
    ]


def info(path: str | os.PathLike[str]) -> FileInfo:
    """Summarise a vector or pattern file; the format is detected from its content.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from fwparity.vectors import BoardData, write_emp
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "b.txt"
    >>> write_emp(BoardData.empty([0, 1], 4), p)
    >>> i = info(p)
    >>> i.format, i.summary["frames"], [row["link"] for row in i.links]
    ('EMPv2', 4, [0, 1])
    """
    source = os.fspath(path)
    fmt = detect_format(path)
    out = FileInfo(source, fmt)
    if fmt in _PATTERNS:
        board = _read_pattern(path, fmt)
        out.summary = {"board": board.name or "(none)", "links": board.n_links, "frames": board.n_frames}
        out.links = _board_links(board)
    elif fmt == "dat":
        _, rows = parse_dat(read_text(path), source=source)
        out.summary = {"vectors": len(rows), "values per vector": len(rows[0]) if rows else 0}
    else:
        out.summary, out.datasets, frames = describe_vectors(path)
        if frames is not None:
            out.summary.update(
                {"board": frames.name or "(none)", "links": frames.n_links, "frames": frames.n_frames}
            )
            out.links = _board_links(frames)
    return out


def render_info(fi: FileInfo) -> list[Any]:
    """Rich renderables (tables) for a :class:`FileInfo`; the CLI prints them."""
    from rich.table import Table

    head = Table(title=f"{fi.path} ({fi.format})", show_header=False)
    head.add_column("key")
    head.add_column("value")
    for k, v in fi.summary.items():
        head.add_row(k, str(v))
    out: list[Any] = [head]
    if fi.datasets:
        t = Table(title="datasets")
        for col in ("dataset", "shape", "type"):
            t.add_column(col)
        for row in fi.datasets:
            t.add_row(row["dataset"], str(row["shape"]), row["type"])
        out.append(t)
    if fi.links:
        t = Table(title="links")
        for col in ("link", "valid", "packets", "orbit_starts", "strobe_low"):
            t.add_column(col, justify="right")
        for row in fi.links:
            t.add_row(*(str(row[c]) for c in ("link", "valid", "packets", "orbit_starts", "strobe_low")))
        out.append(t)
    return out


def _read_pattern(path: str | os.PathLike[str], fmt: str) -> BoardData:
    board = read_apx(path) if fmt == "APx" else read_emp(path)
    board.meta["source_format"] = fmt
    return board


def _write_pattern(board: BoardData, path: Path, fmt: str) -> None:
    if fmt == "APx":
        write_apx(board, path)
    else:
        write_emp(board, path, version=1 if fmt == "EMPv1" else 2)


def _numbered(path: Path, n: int, count: int) -> Path:
    """``out.txt`` for one file; ``out_0.txt``, ``out_1.txt`` ... for several (cmssw's ``<path>_<n>.txt``)."""
    return path if count == 1 else path.with_name(f"{path.stem}_{n}{path.suffix}")


def _vectors_from_tensors(lm: LinkMap, tensors: dict[str, np.ndarray]) -> VectorSet:
    vs = VectorSet()
    for name, raw in tensors.items():
        spec = lm.tensor(name)
        if spec.role == "input":
            vs.add_input(name, raw, spec.type)
        else:
            vs.add_output(lm.backend, name, raw, spec.type)
    return vs


def _tensors_from_vectors(lm: LinkMap, vs: VectorSet, source: str) -> dict[str, np.ndarray]:
    out = {}
    backends = list(vs.outputs)
    for spec in lm.tensors:
        if spec.role == "input":
            arr, t = vs.inputs.get(spec.name), vs.input_types.get(spec.name)
        else:
            backend = lm.backend if lm.backend in vs.outputs or len(backends) != 1 else backends[0]
            arr = vs.outputs.get(backend, {}).get(spec.name)
            t = vs.output_types.get(backend, {}).get(spec.name)
        where = f"inputs/{spec.name}" if spec.role == "input" else f"outputs/{lm.backend}/{spec.name}"
        if arr is None:
            raise FormatError(f"{source}: no dataset {where} for link-map tensor {spec.name!r}")
        if t is None:
            arr = spec.type.from_float(arr)
        elif t != spec.type:
            raise FormatError(f"{source}: dataset {where} has type {t}, but the link map says {spec.type}")
        out[spec.name] = arr
    return out


def convert(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    to: str | None = None,
    link_map: str | os.PathLike[str] | LinkMap | None = None,
) -> list[Path]:
    """Convert between HDF5, hls4ml .dat, EMPv1, EMPv2 and APx; returns the files written (each atomically).

    ``input``'s format is detected from its content; ``output``'s comes from ``to``, else its extension
    (``.h5``, ``.dat``, ``.apx``), else, for an HDF5 file holding pattern frames, the format they were read
    from. Without a link map, a pattern file converts to and from HDF5 as raw frames per link (a file in
    cmssw's canonical layout survives pattern -> HDF5 -> pattern byte for byte) and to other pattern formats
    directly. With a link map, frames are unpacked into the model tensors it describes (and packed from them),
    so pattern files convert to and from vector files and .dat. Packing that needs several files writes
    ``<stem>_<n><suffix>``.

    Raises
    ------
    FormatError
        Malformed input (the message names file, line and column for text formats).
    InvalidArgument
        Unknown ``to``, an output format that cannot be inferred, or a conversion that needs a link map.
    """
    src = os.fspath(input)
    out = Path(output)
    lm = load_link_map(link_map) if isinstance(link_map, (str, os.PathLike)) else link_map
    fmt_in = detect_format(input)
    board: BoardData | None = None
    vs: VectorSet | None = None
    if fmt_in in _PATTERNS:
        board = _read_pattern(input, fmt_in)
    elif fmt_in == "hdf5":
        vs = read_vectors(input)
        if vs.frames is not None and not vs.inputs and not vs.outputs:
            board, vs = vs.frames, None
    fmt_out: str | None
    if to is not None:
        fmt_out = canonical_format(to)
    else:
        fmt_out = format_from_name(out) or (
            str(board.meta.get("source_format"))
            if board is not None and board.meta.get("source_format") in _PATTERNS
            else None
        )
        if fmt_out is None:
            raise InvalidArgument(
                f"Cannot tell the output format from output={os.fspath(out)!r}; pass --to "
                "(hdf5, dat, EMPv1, EMPv2 or APx)"
            )

    # Without a link map, frames stay frames.
    if board is not None and lm is None:
        if fmt_out in _PATTERNS:
            _write_pattern(board, out, fmt_out)
        elif fmt_out == "hdf5":
            write_frames(out, board)
        else:
            raise InvalidArgument(
                f"Converting {fmt_in} to {fmt_out} needs --link-map to say which frame bits hold which values"
            )
        return [out]

    # Everything else goes through model tensors.
    if board is not None:
        assert lm is not None
        vs = _vectors_from_tensors(lm, lm.unpack([board], source=src))
    elif fmt_in == "dat":
        if lm is not None:
            vs = _vectors_from_tensors(lm, read_dat_tensors(input, lm.tensors))
        else:
            vs = VectorSet()
            vs.add_input(Path(input).stem, read_dat(input))
    assert vs is not None
    if fmt_out == "hdf5":
        write_vectors(out, vs)
        return [out]
    if fmt_out == "dat":
        write_text_atomic(out, _dat_text(vs, lm, src))
        return [out]
    if lm is None:
        raise InvalidArgument(
            f"Converting {fmt_in} vectors to {fmt_out} needs --link-map to say which links and "
            "bits carry them"
        )
    boards = lm.pack(_tensors_from_vectors(lm, vs, src))
    written = []
    for n, b in enumerate(boards):
        path = _numbered(out, n, len(boards))
        _write_pattern(b, path, fmt_out)
        written.append(path)
    return written


def _dat_text(vs: VectorSet, lm: LinkMap | None, source: str) -> str:
    if lm is not None:
        tensors = _tensors_from_vectors(lm, vs, source)
        return format_dat([tensors[t.name] for t in lm.tensors], [t.type for t in lm.tensors])
    if vs.inputs:
        arrays = dict(vs.inputs)
        types = dict(vs.input_types)
    elif len(vs.outputs) == 1:
        backend = next(iter(vs.outputs))
        arrays, types = dict(vs.outputs[backend]), dict(vs.output_types[backend])  # type: ignore[arg-type]
    else:
        raise InvalidArgument(
            f"{source}: nothing to write as .dat (no inputs and not exactly one backend's outputs)"
        )
    if all(t is not None for t in types.values()):
        return format_dat(list(arrays.values()), list(types.values()))
    n = next(iter(arrays.values())).shape[0]
    cols = []
    for name, arr in arrays.items():
        t = types[name]
        flat = arr.reshape(n, -1)
        if t is None:
            cols.append(
                np.array([repr(float(v)) for v in flat.reshape(-1)], dtype=object).reshape(flat.shape)
            )
        else:
            cols.append(np.array(format_dat(flat, t).split(), dtype=object).reshape(flat.shape))
    rows = np.concatenate(cols, axis=1)
    return "".join(" ".join(r) + "\n" for r in rows.tolist())
