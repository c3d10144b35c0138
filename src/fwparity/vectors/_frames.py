"""The in-memory form of board data shared by every pattern-file format: per link, 64-bit words plus flags.

cmssw's ``l1t::demo::BoardData`` is a map from channel index to a vector of ``Frame`` structs. Here the same
content is held column-wise, one numpy row per link, so writers and the link-map packer work on whole arrays
instead of per-frame objects. Links are kept sorted by index because cmssw's ``std::map`` iterates them in
that order, and the writers must reproduce its byte layout.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, InvalidArgument

__all__ = ["BoardData", "FLAGS", "format_error"]

#: Per-frame flags, in the order the HDF5 frame datasets and :class:`BoardData` list them.
FLAGS: tuple[str, ...] = ("valid", "strobe", "start_of_orbit", "start_of_packet", "end_of_packet")

#: cmssw's ``Frame`` default: strobe is the only flag that defaults to 1.
_FLAG_DEFAULTS = {
    "valid": False,
    "strobe": True,
    "start_of_orbit": False,
    "start_of_packet": False,
    "end_of_packet": False,
}


def format_error(source: str | Path, line: int, column: int, message: str) -> FormatError:
    """Build the error readers raise: ``file:line:column: message`` (1-based, like compilers print them)."""
    return FormatError(f"{source}:{line}:{column}: {message}")


@dataclass(eq=False)
class BoardData:
    """Frames on a set of links: ``data[k, f]`` is the 64-bit word on link ``links[k]`` at frame ``f``.

    Every flag array has the shape of ``data`` (links, frames) and dtype bool. ``name`` is the board id
    (``Board <id>`` in EMPv1, ``ID: <id>`` in EMPv2, empty for APx, which has none).

    Examples
    --------
    >>> b = BoardData.empty([4, 0], 3)
    >>> b.links.tolist(), b.n_frames, bool(b.strobe.all())
    ([0, 4], 3, True)
    >>> b.data[1, 2] = 0xABCD; b.valid[1, 2] = True
    >>> b.frame(4, 2)
    {'data': 43981, 'valid': True, 'strobe': True, 'start_of_orbit': False, 'start_of_packet': False, \
'end_of_packet': False}
    """

    links: np.ndarray
    data: np.ndarray
    valid: np.ndarray
    strobe: np.ndarray
    start_of_orbit: np.ndarray
    start_of_packet: np.ndarray
    end_of_packet: np.ndarray
    name: str = "CMSSW"
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        links = np.asarray(self.links)
        if links.ndim != 1 or (links.size and links.dtype.kind not in "iu"):
            raise InvalidArgument(f"links must be a 1-D array of link indices, not links={self.links!r}")
        links = links.astype(np.int64)
        if links.size and links.min() < 0:
            raise InvalidArgument(f"Link indices must be non-negative, not links={links.tolist()!r}")
        if np.unique(links).size != links.size:
            raise InvalidArgument(f"Link indices must be unique, not links={links.tolist()!r}")
        data = np.asarray(self.data)
        if data.ndim != 2 or data.shape[0] != links.size:
            raise InvalidArgument(
                f"data must have shape (n_links, n_frames) = ({links.size}, ...), "
                f"not data.shape={data.shape!r}"
            )
        if data.dtype != np.uint64:
            if data.dtype == object:
                mask = 0xFFFFFFFFFFFFFFFF
                data = np.array([int(v) & mask for v in data.ravel()], dtype=np.uint64).reshape(data.shape)
            elif data.size == 0 or data.dtype.kind in "iub":
                data = data.astype(np.uint64)  # negative words wrap to their 64-bit two's complement
            else:
                raise InvalidArgument(f"data must hold integers, not data.dtype={data.dtype!r}")
        order = np.argsort(links, kind="stable")
        self.links = links[order]
        self.data = np.ascontiguousarray(data[order])
        for flag in FLAGS:
            arr = np.asarray(getattr(self, flag))
            if arr.shape != data.shape:
                raise InvalidArgument(f"{flag} must have the shape of data {data.shape!r}, not {arr.shape!r}")
            setattr(self, flag, np.ascontiguousarray(arr.astype(bool)[order]))

    @classmethod
    def empty(cls, links: Iterable[int], n_frames: int, *, name: str = "CMSSW") -> BoardData:
        """Invalid all-zero frames with strobe set, as cmssw's ``Frame()`` default-constructs them."""
        links_arr = np.asarray(list(links), dtype=np.int64)
        shape = (links_arr.size, int(n_frames))
        flags: dict[str, Any] = {f: np.full(shape, _FLAG_DEFAULTS[f], dtype=bool) for f in FLAGS}
        return cls(links_arr, np.zeros(shape, dtype=np.uint64), name=name, **flags)

    @property
    def n_links(self) -> int:
        return int(self.links.size)

    @property
    def n_frames(self) -> int:
        return int(self.data.shape[1])

    def row(self, link: int) -> int:
        """Row of ``link`` in the arrays; InvalidArgument if the board has no such link."""
        hits = np.flatnonzero(self.links == link)
        if hits.size == 0:
            raise InvalidArgument(f"Board has no link={link!r}; links are {self.links.tolist()!r}")
        return int(hits[0])

    def frame(self, link: int, index: int) -> dict[str, Any]:
        """One frame as a dict (slow; for messages and tests)."""
        k = self.row(link)
        out: dict[str, Any] = {"data": int(self.data[k, index])}
        out.update({f: bool(getattr(self, f)[k, index]) for f in FLAGS})
        return out

    def strobed_links(self) -> np.ndarray:
        """Boolean per link: has at least one frame with strobe=0 (cmssw then writes a strobe column)."""
        if not self.n_frames:
            return np.zeros(self.n_links, dtype=bool)
        return np.asarray(~self.strobe.all(axis=1), dtype=bool)

    def flags(self) -> Mapping[str, np.ndarray]:
        return {f: getattr(self, f) for f in FLAGS}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BoardData):
            return NotImplemented
        return (
            self.name == other.name
            and np.array_equal(self.links, other.links)
            and np.array_equal(self.data, other.data)
            and all(np.array_equal(getattr(self, f), getattr(other, f)) for f in FLAGS)
        )

    def __repr__(self) -> str:
        return f"BoardData(name={self.name!r}, links={self.links.tolist()!r}, n_frames={self.n_frames})"
