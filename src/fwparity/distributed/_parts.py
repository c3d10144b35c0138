"""Per-chunk part files written by workers, and their assembly into one schema-1 file by the client.

The client must not become the bottleneck: with N workers computing, one process decompressing and
recompressing every chunk would cap the run at that process's speed. So parts are written with exactly
the HDF5 layout of the final file (same dtype, same gzip level and shuffle, same chunk shape) and the client
copies their *compressed* HDF5 chunks byte for byte (``read_direct_chunk``/``write_direct_chunk``), at the
part's offset. That needs every part to start on an HDF5 chunk boundary, hence :func:`h5_rows`: rows per
HDF5 chunk that divide the task's chunk size.

A part is written to a temporary name and renamed when complete, under a name keyed by its chunk index: a
task run twice (dask retries a task whose worker died) writes the same file again, never a second one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from .._atomic import atomic_path
from ..errors import FormatError
from ..vectors import encode_dataset

__all__ = ["Assembler", "h5_rows", "part_name", "write_part"]

_CHUNK_BYTES = 1 << 20  # the HDF5 chunk size fwparity's vector files use (vectors/hdf5.py)


def h5_rows(chunk_size: int, row_bytes: int) -> int:
    """Rows per HDF5 chunk: the largest divisor of ``chunk_size`` whose chunk stays within 1 MiB.

    Examples
    --------
    >>> h5_rows(100_000, 16 * 8)   # 16 int64 per event: 8192 rows fit, 6250 divides 100,000
    6250
    >>> h5_rows(10_000, 5 * 8)     # a whole task chunk fits
    10000
    >>> h5_rows(65_536, 200 * 8)
    512
    """
    limit = max(1, _CHUNK_BYTES // max(1, row_bytes))
    if limit >= chunk_size:
        return chunk_size
    best = 1
    i = 1
    while i * i <= chunk_size:
        if chunk_size % i == 0:
            for d in (i, chunk_size // i):
                if best < d <= limit:
                    best = d
        i += 1
    return best


def part_name(index: int) -> str:
    """The file name of chunk ``index``'s part (sorted names are chunk order)."""
    return f"chunk-{index:09d}.h5"


def write_part(
    directory: str | os.PathLike[str],
    index: int,
    datasets: Mapping[str, tuple[np.ndarray, Any]],
    chunk_size: int,
) -> Path:
    """Write ``{dataset path: (raw codes, FixedType)}`` as chunk ``index``'s part; return its path.

    Written under a unique temporary name and renamed, so a reader sees a complete part or none, and a
    retried task replaces the part with identical content.
    """
    final = Path(directory) / part_name(index)
    with atomic_path(final) as tmp, h5py.File(tmp, "w") as f:
        for key, (raw, t) in datasets.items():
            data, attrs = encode_dataset(raw, t)
            tail = data.shape[1:]
            row = int(np.prod(tail, dtype=np.int64)) * data.dtype.itemsize
            ds = f.create_dataset(
                key,
                data=data,
                chunks=(h5_rows(chunk_size, row), *tail),
                maxshape=(None, *tail),
                compression="gzip",
                compression_opts=1,
                shuffle=True,
            )
            for k, v in attrs.items():
                ds.attrs[k] = v
    return final


def _datasets(f: h5py.File) -> dict[str, h5py.Dataset]:
    found: dict[str, h5py.Dataset] = {}
    f.visititems(lambda name, obj: found.__setitem__(name, obj) if isinstance(obj, h5py.Dataset) else None)
    return found


class Assembler:
    """Copies parts into an open, empty schema-1 file of ``total`` vectors, in any order, each chunk once.

    Datasets are created from the first part seen; every later part must have the same datasets with the
    same dtype, shape after the vector axis, HDF5 chunk shape and attributes. :meth:`finish` checks that
    every dataset received all ``total`` rows, so a lost chunk is an error, never a short file.
    """

    def __init__(self, file: h5py.File, total: int) -> None:
        self.file = file
        self.total = total
        self.rows: dict[str, int] = {}
        self.done: set[int] = set()

    def add(self, index: int, start: int, count: int, part: str | os.PathLike[str]) -> bool:
        """Copy chunk ``index`` (vectors ``start`` to ``start + count``) from ``part``; False if already
        copied.
        """
        if index in self.done:
            return False
        with h5py.File(part, "r") as p:
            found = _datasets(p)
            if self.rows and set(found) != set(self.rows):
                raise FormatError(
                    f"{os.fspath(part)}: part of chunk {index} holds datasets {sorted(found)}, "
                    f"the earlier parts {sorted(self.rows)}"
                )
            for key, src in found.items():
                if src.shape[0] != count:
                    raise FormatError(
                        f"{os.fspath(part)}: dataset {key} has {src.shape[0]} rows, chunk {index} has {count}"
                    )
                dst = self._target(key, src)
                rows = src.chunks[0]
                if start % rows:
                    raise FormatError(
                        f"chunk {index} starts at vector {start}, not on an HDF5 chunk boundary of {rows} rows"
                    )
                zeros = (0,) * (src.ndim - 1)
                for r in range(0, count, rows):
                    mask, buf = src.id.read_direct_chunk((r, *zeros))
                    dst.id.write_direct_chunk((start + r, *zeros), buf, mask)
                self.rows[key] = self.rows.get(key, 0) + count
        self.done.add(index)
        return True

    def _target(self, key: str, src: h5py.Dataset) -> h5py.Dataset:
        dst = self.file.get(key)
        tail = src.shape[1:]
        if dst is None:
            dst = self.file.create_dataset(
                key,
                shape=(self.total, *tail),
                dtype=src.dtype,
                chunks=src.chunks,
                maxshape=(None, *tail),
                compression="gzip",
                compression_opts=1,
                shuffle=True,
            )
            for k, v in src.attrs.items():
                dst.attrs[k] = v
            self.rows[key] = 0
            return dst
        same = (
            dst.dtype == src.dtype
            and dst.shape[1:] == tail
            and dst.chunks == src.chunks
            and (src.compression, src.compression_opts, src.shuffle) == ("gzip", 1, True)
            and dict(dst.attrs) == dict(src.attrs)
        )
        if not same:
            raise FormatError(
                f"{src.file.filename}: dataset {key} ({src.dtype}, shape {src.shape}, chunks {src.chunks}, "
                f"attrs {dict(src.attrs)}) does not match the earlier parts ({dst.dtype}, "
                f"chunks {dst.chunks}, attrs {dict(dst.attrs)})"
            )
        return dst

    def finish(self) -> None:
        """Check that every dataset holds all ``total`` vectors."""
        short = {k: n for k, n in self.rows.items() if n != self.total}
        if short:
            raise FormatError(f"assembled datasets are incomplete: rows {short!r}, expected {self.total}")
