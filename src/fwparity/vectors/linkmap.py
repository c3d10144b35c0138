"""Link maps: which links, frames and bit fields carry which model input and output words.

A link map is a TOML file that describes a board's I/O the way cmssw's ``l1t::demo::BoardDataWriter`` and
``BoardDataReader`` (``L1Trigger/DemonstratorTools``) see it, plus where each model tensor element sits in a
packet::

    frames_per_bx = 9            # 360 MHz links at 40 MHz bunch crossings
    board_tmux = 6
    max_frames_per_file = 1024   # EMP buffer depth; events per file follow from it like in BoardDataWriter
    empty_frames_at_start = 0    # reading only: invalid frames before the first packet (BoardDataReader)
    board_id = "CMSSW"
    backend = "board"            # HDF5 group for role="output" tensors: outputs/<backend>/<name>

    [channels.jets]              # ChannelSpec per interface
    tmux = 6
    interpacket_gap = 3          # packet = tmux * frames_per_bx - interpacket_gap words
    offset = 0

    [[links]]                    # LinkId (interface, channel) -> channel index per time slice
    interface = "jets"
    channel = 0
    indices = [4]

    [[tensors]]
    name = "x"
    role = "input"               # "input" -> inputs/<name>, "output" -> outputs/<backend>/<name>
    type = "ap_fixed<16,6>"
    shape = [8]

    [[fields]]                   # tensor elements first .. first+count-1 (flat, C order)
    tensor = "x"
    interface = "jets"
    channel = 0
    first = 0                    # default 0
    count = 8                    # default: the rest of the tensor
    word = 0                     # packet word of element `first`
    bit = 0                      # its bit offset in that word
    stride = 16                  # bits from one element to the next (default: the type's width)
    per_word = 4                 # elements per word (default: as many as fit)

Element ``first + k`` lies in word ``word + k // per_word`` at bit ``bit + (k % per_word) * stride``. Packing
writes the low ``width`` bits of each raw code (two's complement); unpacking sign-extends signed types.

Packing follows ``BoardDataWriter`` exactly: event ``e`` goes to channel ``indices[e % (tmux / board_tmux)]``
starting at frame ``offset + e * board_tmux * frames_per_bx``; its packet (every word up to the packet length,
unused words 0) is valid with start/end of packet on its first/last word; the rest is invalid; each file is
padded to ``max_frames_per_file`` and start of orbit is set on each channel's first start of packet. Events
per file: ``min((max_frames_per_file - offset) // (frames_per_bx * board_tmux) - (tmux / board_tmux - 1))``
over links.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import FormatError, InvalidArgument
from ._frames import BoardData
from ._text import read_text
from ._types import as_type

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    from ..fixed import FixedType

__all__ = ["ChannelSpec", "Field", "Link", "LinkMap", "TensorSpec", "load_link_map", "parse_link_map"]

_MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class ChannelSpec:
    """cmssw's ``ChannelSpec``: link TMUX period, invalid frames between packets, frames before the first."""

    tmux: int
    interpacket_gap: int = 0
    offset: int = 0


@dataclass(frozen=True)
class Link:
    """cmssw's ``LinkId`` (interface, channel) with its channel index for each time slice."""

    interface: str
    channel: int
    indices: tuple[int, ...]

    @property
    def key(self) -> tuple[str, int]:
        return (self.interface, self.channel)


@dataclass(frozen=True)
class TensorSpec:
    name: str
    role: str
    type: FixedType
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


@dataclass(frozen=True)
class Field:
    tensor: str
    interface: str
    channel: int
    first: int
    count: int
    word: int
    bit: int
    stride: int
    per_word: int

    def positions(self) -> list[tuple[int, int, int]]:
        """(flat element, word, bit) for every element the field carries."""
        return [
            (self.first + k, self.word + k // self.per_word, self.bit + (k % self.per_word) * self.stride)
            for k in range(self.count)
        ]


def _get(table: Mapping[str, Any], key: str, kind: type, where: str, default: Any = ...) -> Any:
    if key not in table:
        if default is ...:
            raise InvalidArgument(f"{where}: missing key {key!r}")
        return default
    value = table[key]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise InvalidArgument(f"{where}: {key} must be an integer, not {key}={value!r}")
    if kind is str and not isinstance(value, str):
        raise InvalidArgument(f"{where}: {key} must be a string, not {key}={value!r}")
    if kind is int and value < 0:
        raise InvalidArgument(f"{where}: {key} must be non-negative, not {key}={value!r}")
    return value


@dataclass
class LinkMap:
    """A parsed link map (see the module docstring for the TOML layout)."""

    frames_per_bx: int
    board_tmux: int
    max_frames_per_file: int
    channels: dict[str, ChannelSpec]
    links: list[Link]
    tensors: list[TensorSpec]
    fields: list[Field]
    empty_frames_at_start: int = 0
    board_id: str = "CMSSW"
    backend: str = "board"
    format: str | None = None

    # -- construction ----------------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, source: str = "link map") -> LinkMap:
        """Validate a decoded TOML table; InvalidArgument names the table entry and key."""
        top = source
        fpbx = _get(d, "frames_per_bx", int, top)
        board_tmux = _get(d, "board_tmux", int, top)
        if fpbx < 1 or board_tmux < 1:
            raise InvalidArgument(
                f"{top}: frames_per_bx and board_tmux must be positive, not "
                f"frames_per_bx={fpbx!r}, board_tmux={board_tmux!r}"
            )
        channels: dict[str, ChannelSpec] = {}
        for name, spec in (d.get("channels") or {}).items():
            where = f"{top}: [channels.{name}]"
            tmux = _get(spec, "tmux", int, where)
            if tmux < 1 or tmux % board_tmux:
                raise InvalidArgument(
                    f"{where}: tmux={tmux!r} is not a positive multiple of board_tmux={board_tmux}"
                )
            cs = ChannelSpec(
                tmux, _get(spec, "interpacket_gap", int, where, 0), _get(spec, "offset", int, where, 0)
            )
            if cs.interpacket_gap >= tmux * fpbx:
                raise InvalidArgument(
                    f"{where}: interpacket_gap={cs.interpacket_gap} leaves no room for a packet "
                    f"in tmux * frames_per_bx = {tmux * fpbx} frames"
                )
            channels[name] = cs
        links: list[Link] = []
        seen_idx: dict[int, str] = {}
        for i, entry in enumerate(d.get("links") or []):
            where = f"{top}: [[links]] {i}"
            iface = _get(entry, "interface", str, where)
            if iface not in channels:
                raise InvalidArgument(f"{where}: interface={iface!r} has no [channels.{iface}] table")
            indices = entry.get("indices")
            if not isinstance(indices, list) or not all(isinstance(x, int) and x >= 0 for x in indices):
                raise InvalidArgument(
                    f"{where}: indices must be a list of channel indices, not indices={indices!r}"
                )
            ratio = channels[iface].tmux // board_tmux
            if len(indices) != ratio:
                raise InvalidArgument(
                    f"{where}: {len(indices)} channel indices given, but link:board TMUX ratio is {ratio}"
                )
            link = Link(iface, _get(entry, "channel", int, where), tuple(indices))
            if any(lk.key == link.key for lk in links):
                raise InvalidArgument(f"{where}: link ({iface!r}, {link.channel}) is declared twice")
            for x in indices:
                if x in seen_idx:
                    raise InvalidArgument(f"{where}: channel index {x} is already used by {seen_idx[x]}")
                seen_idx[x] = f"({iface!r}, {link.channel})"
            links.append(link)
        tensors: list[TensorSpec] = []
        for i, entry in enumerate(d.get("tensors") or []):
            where = f"{top}: [[tensors]] {i}"
            role = _get(entry, "role", str, where, "input")
            if role not in ("input", "output"):
                raise InvalidArgument(f"{where}: role must be 'input' or 'output', not role={role!r}")
            shape = entry.get("shape", [1])
            if not isinstance(shape, list) or not all(isinstance(x, int) and x > 0 for x in shape):
                raise InvalidArgument(
                    f"{where}: shape must be a list of positive integers, not shape={shape!r}"
                )
            tensors.append(
                TensorSpec(
                    _get(entry, "name", str, where),
                    role,
                    as_type(_get(entry, "type", str, where)),
                    tuple(shape),
                )
            )
        by_name = {t.name: t for t in tensors}
        link_keys = {lk.key for lk in links}
        fields: list[Field] = []
        used: dict[
            tuple[str, int, int], list[tuple[int, int, int]]
        ] = {}  # (link, word) -> (field, bit, width)
        for i, entry in enumerate(d.get("fields") or []):
            where = f"{top}: [[fields]] {i}"
            tname = _get(entry, "tensor", str, where)
            if tname not in by_name:
                raise InvalidArgument(f"{where}: tensor={tname!r} has no [[tensors]] entry")
            t = by_name[tname]
            iface, chan = _get(entry, "interface", str, where), _get(entry, "channel", int, where)
            if (iface, chan) not in link_keys:
                raise InvalidArgument(f"{where}: link ({iface!r}, {chan}) has no [[links]] entry")
            first = _get(entry, "first", int, where, 0)
            count = _get(entry, "count", int, where, t.size - first)
            if count < 1 or first + count > t.size:
                raise InvalidArgument(
                    f"{where}: elements {first}..{first + count - 1} are outside tensor {tname!r} "
                    f"of {t.size} elements"
                )
            width = t.type.width
            if width > 64:
                raise InvalidArgument(f"{where}: {t.type} is wider than a 64-bit word")
            bit = _get(entry, "bit", int, where, 0)
            stride = _get(entry, "stride", int, where, width)
            if stride < width:
                raise InvalidArgument(
                    f"{where}: stride={stride} is smaller than the width {width} of {t.type}"
                )
            if bit + width > 64:
                raise InvalidArgument(f"{where}: bit={bit} + width {width} exceeds the 64-bit word")
            per_word = _get(entry, "per_word", int, where, 1 + (64 - bit - width) // stride)
            if per_word < 1 or bit + (per_word - 1) * stride + width > 64:
                raise InvalidArgument(
                    f"{where}: per_word={per_word} elements of stride {stride} from bit {bit} do "
                    "not fit a 64-bit word"
                )
            field = Field(
                tname, iface, chan, first, count, _get(entry, "word", int, where, 0), bit, stride, per_word
            )
            packet = channels[iface].tmux * fpbx - channels[iface].interpacket_gap
            last_word = field.positions()[-1][1]
            if last_word >= packet:
                raise InvalidArgument(
                    f"{where}: word {last_word} is beyond the packet of {packet} words on link "
                    f"({iface!r}, {chan})"
                )
            for _, w, b in field.positions():
                for j, b2, w2 in used.get((iface, chan, w), []):
                    if b < b2 + w2 and b2 < b + width:
                        raise InvalidArgument(
                            f"{where}: bits {b}..{b + width - 1} of word {w} on link ({iface!r}, "
                            f"{chan}) overlap [[fields]] {j}"
                        )
                used.setdefault((iface, chan, w), []).append((i, b, width))
            fields.append(field)
        fmt = d.get("format")
        return cls(
            frames_per_bx=fpbx,
            board_tmux=board_tmux,
            max_frames_per_file=_get(d, "max_frames_per_file", int, top, 1024),
            channels=channels,
            links=links,
            tensors=tensors,
            fields=fields,
            empty_frames_at_start=_get(d, "empty_frames_at_start", int, top, 0),
            board_id=_get(d, "board_id", str, top, "CMSSW"),
            backend=_get(d, "backend", str, top, "board"),
            format=None if fmt is None else str(fmt),
        )

    # -- geometry --------------------------------------------------------------------------------------------
    def packet_length(self, link: Link) -> int:
        spec = self.channels[link.interface]
        return spec.tmux * self.frames_per_bx - spec.interpacket_gap

    def events_per_file(self) -> int:
        """BoardDataWriter's ``maxEventsPerFile_``."""
        n = self.max_frames_per_file
        for link in self.links:
            spec = self.channels[link.interface]
            ratio = spec.tmux // self.board_tmux
            n = min(
                n,
                (self.max_frames_per_file - spec.offset) // (self.frames_per_bx * self.board_tmux)
                - (ratio - 1),
            )
        if n < 1:
            raise InvalidArgument(f"max_frames_per_file={self.max_frames_per_file} holds no complete event")
        return n

    def tensor(self, name: str) -> TensorSpec:
        for t in self.tensors:
            if t.name == name:
                return t
        raise InvalidArgument(f"Link map has no tensor name={name!r}")

    def _event_start(self, link: Link, e: int) -> tuple[int, int]:
        """(channel index, first frame) of event ``e`` of a file on ``link``."""
        spec = self.channels[link.interface]
        ratio = spec.tmux // self.board_tmux
        return link.indices[e % ratio], spec.offset + e * self.board_tmux * self.frames_per_bx

    # -- packing ---------------------------------------------------------------------------------------------
    def words(self, tensors: Mapping[str, np.ndarray]) -> dict[tuple[str, int], np.ndarray]:
        """Per link, the packet words of every event: uint64 (N, packet length)."""
        specs = {t.name: t for t in self.tensors}
        needed = {f.tensor for f in self.fields}
        n: int | None = None
        flat: dict[str, np.ndarray] = {}
        for name in sorted(needed):
            if name not in tensors:
                raise InvalidArgument(
                    f"No values for tensor {name!r}, which the link map packs; got {sorted(tensors)!r}"
                )
            arr = np.asarray(tensors[name])
            t = specs[name]
            if arr.shape[1:] != t.shape:
                raise InvalidArgument(
                    f"Tensor {name!r} has shape {arr.shape}, the link map says (N, "
                    f"{', '.join(map(str, t.shape))})"
                )
            if n is not None and arr.shape[0] != n:
                raise InvalidArgument(f"Tensor {name!r} has {arr.shape[0]} vectors, others have {n}")
            n = arr.shape[0]
            flat[name] = arr.reshape(n, t.size)
        n = n or 0
        out = {lk.key: np.zeros((n, self.packet_length(lk)), dtype=np.uint64) for lk in self.links}
        for f in self.fields:
            t = specs[f.tensor]
            mask = (1 << t.type.width) - 1
            words = out[(f.interface, f.channel)]
            src = flat[f.tensor]
            for elem, w, b in f.positions():
                col = src[:, elem]
                if col.dtype == object:
                    bits = np.array([(int(v) & mask) << b for v in col], dtype=np.uint64)
                else:
                    bits = (col.astype(np.int64).astype(np.uint64) & np.uint64(mask)) << np.uint64(b)
                words[:, w] |= bits
        return out

    def pack(self, tensors: Mapping[str, np.ndarray]) -> list[BoardData]:
        """Board data files (one BoardData per file) carrying ``tensors`` (name -> raw (N, *shape)), as
        BoardDataWriter writes them.
        """
        words = self.words(tensors)
        n = next(iter(words.values())).shape[0] if words else 0
        per_file = self.events_per_file()
        indices = sorted(i for lk in self.links for i in lk.indices)
        boards = []
        for start in range(0, n, per_file):
            stop = min(n, start + per_file)
            b = BoardData.empty(indices, self.max_frames_per_file, name=self.board_id)
            for link in self.links:
                length = self.packet_length(link)
                for e in range(stop - start):
                    idx, frame = self._event_start(link, e)
                    k = b.row(idx)
                    b.data[k, frame : frame + length] = words[link.key][start + e]
                    b.valid[k, frame : frame + length] = True
                    b.start_of_packet[k, frame] = True
                    b.end_of_packet[k, frame + length - 1] = True
            for k in range(b.n_links):
                sop = np.flatnonzero(b.start_of_packet[k])
                if sop.size:
                    b.start_of_orbit[k, sop[0]] = True
            boards.append(b)
        return boards

    def _event_rows(self, b: BoardData, e: int, source: str) -> dict[tuple[str, int], np.ndarray] | None:
        """Packet words of event ``e`` of a file on every link, or None once an event does not fit."""
        rows: dict[tuple[str, int], np.ndarray] = {}
        for link in self.links:
            spec = self.channels[link.interface]
            idx, frame = self._event_start(link, e)
            frame += self.empty_frames_at_start
            if b.n_frames < frame + spec.tmux * self.frames_per_bx:
                return None
            k = b.row(idx)
            if not b.valid[k, frame]:
                return None  # padding after the last event of a partly filled file
            used = sorted(
                {w for f in self.fields if (f.interface, f.channel) == link.key for _, w, _ in f.positions()}
            )
            bad = [w for w in used if not b.valid[k, frame + w]]
            if bad:
                raise FormatError(
                    f"{source}: frame {frame + bad[0]} on channel {idx} is invalid, but word {bad[0]} "
                    f"of event {e}'s packet on link ({link.interface!r}, {link.channel}) carries model "
                    "data"
                )
            rows[link.key] = b.data[k, frame : frame + self.packet_length(link)]
        return rows

    def unpack(self, boards: Sequence[BoardData], *, source: str = "<board data>") -> dict[str, np.ndarray]:
        """Inverse of :meth:`pack`, as BoardDataReader reads: tensor name -> raw (N, *shape), signed
        sign-extended.

        Events are read from each file while they fit completely and their first packet frame is valid (a
        partly filled last file ends in invalid padding); a frame a field reads that is not valid is a
        FormatError naming the channel index and frame.
        """
        per_link: dict[tuple[str, int], list[np.ndarray]] = {lk.key: [] for lk in self.links}
        for b in boards:
            for link in self.links:
                for idx in link.indices:
                    if idx not in b.links:
                        raise FormatError(
                            f"{source}: channel {idx} of link ({link.interface!r}, {link.channel}) is "
                            f"missing; the file has {b.links.tolist()!r}"
                        )
            e = 0
            while (rows := self._event_rows(b, e, source)) is not None:
                for key, r in rows.items():
                    per_link[key].append(r)
                e += 1
        n = len(next(iter(per_link.values()))) if per_link else 0
        words = {
            link.key: np.stack(per_link[link.key])
            if per_link[link.key]
            else np.zeros((0, self.packet_length(link)), dtype=np.uint64)
            for link in self.links
        }
        out: dict[str, np.ndarray] = {}
        for t in self.tensors:
            if not any(f.tensor == t.name for f in self.fields):
                continue
            out[t.name] = np.zeros((n, t.size), dtype=t.type.dtype)
        for f in self.fields:
            t = self.tensor(f.tensor)
            width = t.type.width
            mask = (1 << width) - 1
            dst = out[f.tensor]
            src = words[(f.interface, f.channel)]
            for elem, w, bit in f.positions():
                col = src[:, w]
                if t.type.dtype == object:
                    vals = [(int(v) >> bit) & mask for v in col]
                    if t.type.signed:
                        vals = [v - (1 << width) if v >> (width - 1) else v for v in vals]
                    dst[:, elem] = np.array(vals, dtype=object)
                else:
                    bits = (col >> np.uint64(bit)) & np.uint64(mask)
                    if t.type.signed:  # sign-extend in wrapping uint64 arithmetic: (v ^ s) - s
                        sign = np.uint64(1 << (width - 1))
                        bits = (bits ^ sign) - sign
                    dst[:, elem] = bits.view(np.int64)
        return {name: arr.reshape(n, *self.tensor(name).shape) for name, arr in out.items()}


def parse_link_map(text: str, *, source: str = "link map") -> LinkMap:
    """Parse link-map TOML text; TOML syntax errors become FormatError naming ``source``, line and column."""
    try:
        d = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FormatError(f"{source}: {exc}") from None
    return LinkMap.from_dict(d, source=source)


def load_link_map(path: str | os.PathLike[str]) -> LinkMap:
    """Read a link-map TOML file (see the module docstring)."""
    return parse_link_map(read_text(path), source=os.fspath(path))
