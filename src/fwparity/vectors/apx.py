"""APx (Wisconsin APd/APx) pattern files, as cmssw's ``L1Trigger/DemonstratorTools`` reads and writes them.

Layout: an optional ``#Sideband ON`` line, ``#LinkLabel`` with one ``LINK_<n>`` label per link,
``#BeginData``, then one row per frame: the row index and, per link, a sideband byte and a 64-bit word, all
``0x`` hex. Sideband bits: 0 valid, 1 start of packet, 3 end of packet (cmssw's reader and writer); fwparity's
reader also takes bit 2 as start of orbit (the APx "first frame of orbit" bit, planned since 2021) but, like
cmssw's writer, never writes it. APx has no strobe and no board id: writing to APx drops both, as cmssw does.

The reader is more lenient than cmssw's in blank lines, ``#`` comments after the headers, ``\\r\\n`` line ends
and upper-case hex; it checks what cmssw checks (labels ``LINK_<digits>``, row index = row count, every token
``0x`` hex, 2 * links + 1 tokens per row) and reports file, line and column.
"""

from __future__ import annotations

import os
import re

import numpy as np

from ._frames import FLAGS, BoardData, format_error
from ._text import read_text, split_lines, write_text_atomic

__all__ = ["format_apx", "parse_apx", "read_apx", "write_apx"]

_TOKEN = re.compile(r"\S+")
_LABEL = re.compile(r"LINK_(\d+)")
_HEX = re.compile(r"0[xX]([0-9a-fA-F]+)")
_ROW = re.compile(r"\s*0[xX][0-9a-fA-F]+(?:\s+0[xX][0-9a-fA-F]+)*\s*")


def parse_apx(text: str, *, source: str = "<string>") -> BoardData:
    """Parse APx text into :class:`BoardData` (name ``""``; strobe 1 everywhere).

    Examples
    --------
    >>> b = parse_apx('''#LinkLabel                LINK_03
    ... #BeginData
    ... 0x0000    0x0b 0x00000000000000ff
    ... ''')
    >>> b.links.tolist(), b.frame(3, 0)["data"], b.frame(3, 0)["end_of_packet"]
    ([3], 255, True)
    """
    lines = split_lines(text)
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i < len(lines) and lines[i].strip().startswith("#Sideband"):
        i += 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or not lines[i].lstrip().startswith("#LinkLabel"):
        found = lines[i][:40] if i < len(lines) else "end of file"
        raise format_error(source, i + 1, 1, f"expected '#LinkLabel', found {found!r}")
    line = lines[i]
    start = line.index("#LinkLabel") + len("#LinkLabel")
    links = []
    for m in _TOKEN.finditer(line, start):
        label = _LABEL.fullmatch(m.group())
        if label is None:
            raise format_error(source, i + 1, m.start() + 1, f"link label {m.group()!r} is not LINK_<digits>")
        links.append(int(label.group(1)))
    if len(set(links)) != len(links):
        raise format_error(source, i + 1, start + 1, f"link labels {links!r} repeat a link")
    i += 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or lines[i].strip() != "#BeginData":
        found = lines[i][:40] if i < len(lines) else "end of file"
        raise format_error(source, i + 1, 1, f"expected '#BeginData', found {found!r}")
    n_links = len(links)
    n_tokens = 2 * n_links + 1
    data: list[list[int]] = []
    sidebands: list[list[int]] = []
    for j in range(i + 1, len(lines)):
        line = lines[j]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if _ROW.fullmatch(line):  # fast path; anything unusual takes the checked path below
            toks = line.split()
            if len(toks) == n_tokens:
                fast = [int(t, 16) for t in toks]
                if fast[0] == len(data) and all(len(t) <= 18 for t in toks[2::2]):
                    sidebands.append(fast[1::2])
                    data.append(fast[2::2])
                    continue
        values: list[int] = []
        for m in _TOKEN.finditer(line):
            h = _HEX.fullmatch(m.group())
            if h is None:
                raise format_error(
                    source, j + 1, m.start() + 1, f"token {m.group()!r} is not a 0x hex number"
                )
            if len(values) == n_tokens:
                raise format_error(
                    source,
                    j + 1,
                    m.start() + 1,
                    f"more than {n_tokens} tokens (row index + sideband and data for {n_links} links)",
                )
            values.append(int(h.group(1), 16))
            if len(values) == 1 and values[0] != len(data):
                raise format_error(
                    source,
                    j + 1,
                    m.start() + 1,
                    f"expected row {len(data)} (0x{len(data):04x}), found {m.group()}",
                )
        if len(values) < n_tokens:
            raise format_error(
                source,
                j + 1,
                len(line) + 1,
                f"{len(values)} tokens, expected {n_tokens} (row index + sideband and data for "
                f"{n_links} links)",
            )
        for k, word in enumerate(values[2::2]):
            if word > 0xFFFFFFFFFFFFFFFF:
                col = list(_TOKEN.finditer(line))[2 + 2 * k].start() + 1
                raise format_error(source, j + 1, col, f"data word 0x{word:x} is wider than 64 bits")
        sidebands.append(values[1::2])
        data.append(values[2::2])
    shape = (len(data), n_links)
    sb = np.array(sidebands, dtype=np.int64).reshape(shape).T
    flags = {
        "valid": (sb & 1) != 0,
        "strobe": np.ones(sb.shape, dtype=bool),
        "start_of_packet": (sb & 2) != 0,
        "start_of_orbit": (sb & 4) != 0,
        "end_of_packet": (sb & 8) != 0,
    }
    assert set(flags) == set(FLAGS)
    return BoardData(
        np.array(links, dtype=np.int64), np.array(data, dtype=np.uint64).reshape(shape).T, name="", **flags
    )


def read_apx(path: str | os.PathLike[str]) -> BoardData:
    """Read an APx file; malformed content raises FormatError starting with ``file:line:column:``."""
    return parse_apx(read_text(path), source=os.fspath(path))


def format_apx(board: BoardData) -> str:
    """APx text exactly as cmssw's ``writeAPxFile`` prints it (sideband = valid | SOP << 1 | EOP << 3).

    Examples
    --------
    >>> b = BoardData.empty([0], 2); b.data[0, 1] = 1; b.valid[0, 1] = b.start_of_packet[0, 1] = True
    >>> print(format_apx(b), end="")  # doctest: +NORMALIZE_WHITESPACE
    #Sideband ON
    #LinkLabel                LINK_00
    #BeginData
    0x0000    0x00 0x0000000000000000
    0x0001    0x03 0x0000000000000001
    """
    out = [
        "#Sideband ON",
        "#LinkLabel" + "".join(f"                LINK_{i:02d}    " for i in board.links.tolist()),
        "#BeginData",
    ]
    sideband = (
        board.valid.astype(np.uint8)
        | (board.start_of_packet.astype(np.uint8) << 1)
        | (board.end_of_packet.astype(np.uint8) << 3)
    ).T.tolist()
    data = board.data.T.tolist()
    for f in range(board.n_frames):
        cells = zip(sideband[f], data[f], strict=True)
        out.append(f"0x{f:04x}" + "".join(f"    0x{s:02x} 0x{d:016x}" for s, d in cells))
    return "\n".join(out) + "\n"


def write_apx(board: BoardData, path: str | os.PathLike[str]) -> None:
    """Write ``board`` as an APx file, atomically."""
    write_text_atomic(path, format_apx(board))
