"""CMS EMP pattern ("buffer") files, versions 1 and 2, as cmssw's ``L1Trigger/DemonstratorTools`` reads and
writes them.

Readers accept everything cmssw's ``readEMPFileV1``/``readEMPFileV2`` accept (``#`` comments, blank lines, any
run of spaces, the optional strobe, consecutive frame numbers from 0) and a little more (leading spaces before
``Board``/``ID``, one space where cmssw wants two in v2 frame lines, ``\\r\\n`` line ends). Errors name the
file, line and column.

Writers reproduce cmssw's ``writeEMPFileV1``/``writeEMPFileV2`` byte for byte. One extension: cmssw's v1
writer never writes the strobe (its source has a TODO there, in the two spaces it leaves before each
``<V>v``); fwparity writes ``0s``/``1s`` into those two spaces for a link that has a frame with strobe=0,
which cmssw's reader accepts, so strobe survives a v1 round trip and files without strobe=0 are unchanged.
"""

from __future__ import annotations

import os
import re

import numpy as np

from ..errors import InvalidArgument
from ._frames import FLAGS, BoardData, format_error
from ._text import read_text, split_lines, write_text_atomic

__all__ = [
    "format_emp_v1",
    "format_emp_v2",
    "parse_emp",
    "read_emp",
    "write_emp",
    "METADATA_LINE",
]

#: The second line of an EMPv2 file; cmssw checks that the line starts with exactly this text.
METADATA_LINE = "Metadata: (strobe,) start of orbit, start of packet, end of packet, valid"

_TOKEN = re.compile(r"\S+")
_V1_FRAME_TOKEN = re.compile(r"(?:([01])s)?([01])v([0-9a-fA-F]{16})")
_V2_FLAGS = re.compile(r"[01]{4,5}")
_HEX16 = re.compile(r"[0-9a-fA-F]{16}")
_V1_HEADERS = (("Quad/Chan", re.compile(r"Quad/Chan\s*:")), ("Link", re.compile(r"Link\s*:")))
_V1_FRAME = re.compile(r"Frame\s+(\d+)\s*:")
_V2_FRAME = re.compile(r"Frame\s+(\d+)(?=\s|$)")
_V2_LINK = re.compile(r"Link(?=\s|$)")
_V1_LINE = re.compile(r"(?:\s+(?:[01]s)?[01]v[0-9a-fA-F]{16})*\s*")
_V2_LINE = re.compile(r"(?:\s+[01]{4,5}\s+[0-9a-fA-F]{16})*\s*")


class _Rows:
    """Accumulates frame rows as Python ints; one numpy conversion at the end.

    ``codes`` packs a frame's flags into one int: bit 4 strobe, 3 start of orbit, 2 start of packet, 1 end of
    packet, 0 valid (the EMPv2 digit order, so ``int(flags, 2)`` is the code of a 5-digit v2 token).
    """

    def __init__(self, n_links: int) -> None:
        self.n_links = n_links
        self.data: list[list[int]] = []
        self.codes: list[list[int]] = []

    def board(self, links: list[int], name: str) -> BoardData:
        shape = (len(self.data), self.n_links)
        data = np.array(self.data, dtype=np.uint64).reshape(shape).T
        codes = np.array(self.codes, dtype=np.int64).reshape(shape).T
        bits = {"strobe": 4, "start_of_orbit": 3, "start_of_packet": 2, "end_of_packet": 1, "valid": 0}
        flags = {f: (codes >> bits[f]) & 1 != 0 for f in FLAGS}
        return BoardData(np.array(links, dtype=np.int64), data, name=name, **flags)


def _content(lines: list[str], start: int) -> tuple[int, str, int] | None:
    """Next line from ``start`` that is not blank or a ``#`` comment: (index, stripped text, indent)."""
    for i in range(start, len(lines)):
        stripped = lines[i].lstrip(" \t")
        if stripped and not stripped.startswith("#"):
            return i, stripped.rstrip(), len(lines[i]) - len(stripped)
    return None


def _tokens(text: str, offset: int) -> list[tuple[str, int]]:
    """Whitespace-separated tokens with 1-based columns (``offset``: characters before ``text``)."""
    return [(m.group(), offset + m.start() + 1) for m in _TOKEN.finditer(text)]


def _link_indices(source: str, lineno: int, tokens: list[tuple[str, int]]) -> list[int]:
    links = []
    for tok, col in tokens:
        if not tok.isdigit():
            raise format_error(source, lineno, col, f"link index {tok!r} is not a decimal number")
        links.append(int(tok))
    if len(set(links)) != len(links):
        raise format_error(source, lineno, tokens[0][1], f"link indices {links!r} repeat a link")
    return links


def _expect(lines: list[str], start: int, source: str, what: str) -> tuple[int, str, int]:
    found = _content(lines, start)
    if found is None:
        raise format_error(source, len(lines) + 1, 1, f"file ends before the {what} line")
    return found


def parse_emp(text: str, *, source: str = "<string>") -> BoardData:
    """Parse EMPv1 or EMPv2 text (the version is taken from the first line: ``Board`` or ``ID:``).

    Examples
    --------
    >>> b = parse_emp('''ID: x
    ... Metadata: (strobe,) start of orbit, start of packet, end of packet, valid
    ...
    ...       Link           000
    ... Frame 0000    1101 0000000000000001
    ... ''')
    >>> b.name, b.links.tolist(), b.frame(0, 0)["start_of_packet"]
    ('x', [0], True)
    """
    lines = split_lines(text)
    first = _content(lines, 0)
    if first is None:
        raise format_error(source, 1, 1, "no content: expected 'Board <id>' (EMPv1) or 'ID: <id>' (EMPv2)")
    i, line, indent = first
    if line.startswith("Board"):
        return _parse_v1(lines, i, source)
    if line.startswith("ID:"):
        return _parse_v2(lines, i, source)
    raise format_error(
        source, i + 1, indent + 1, f"expected 'Board <id>' (EMPv1) or 'ID: <id>' (EMPv2), found {line[:40]!r}"
    )


def _parse_v1(lines: list[str], i: int, source: str) -> BoardData:
    name = lines[i].strip()[len("Board") :].strip()
    links: list[int] = []
    for what, pattern in _V1_HEADERS:
        i, line, indent = _expect(lines, i + 1, source, f"'{what} :'")
        m = pattern.match(line)
        if m is None:
            raise format_error(source, i + 1, indent + 1, f"expected '{what} :', found {line[:40]!r}")
        tokens = _tokens(line[m.end() :], indent + m.end())
        if what == "Link":
            links = _link_indices(source, i + 1, tokens)
    rows = _Rows(len(links))
    n_links = len(links)
    for j in range(i + 1, len(lines)):
        raw = lines[j]
        stripped = raw.lstrip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(raw) - len(stripped)
        m = _V1_FRAME.match(stripped)
        _check_frame_number(m, stripped, len(rows.data), source, j + 1, indent, "Frame NNNN :")
        rest = stripped[m.end() :]  # type: ignore[union-attr]
        if _V1_LINE.fullmatch(rest):  # fast path; anything unusual takes the checked path below
            toks = rest.split()
            if len(toks) == n_links:
                rows.data.append([int(t[-16:], 16) for t in toks])
                rows.codes.append([(t[-18] == "1") | ((len(t) == 18 or t[0] == "1") << 4) for t in toks])
                continue
        tokens = _tokens(rest, indent + m.end())  # type: ignore[union-attr]
        _check_count(tokens, n_links, source, j + 1, len(raw))
        data_row, code_row = [], []
        for tok, col in tokens:
            t = _V1_FRAME_TOKEN.fullmatch(tok)
            if t is None:
                raise format_error(
                    source, j + 1, col, f"token {tok!r} does not match [0s|1s]<0|1>v<16 hex digits>"
                )
            code_row.append((t.group(2) == "1") | ((t.group(1) != "0") << 4))
            data_row.append(int(t.group(3), 16))
        rows.data.append(data_row)
        rows.codes.append(code_row)
    return rows.board(links, name)


def _check_frame_number(
    m: re.Match[str] | None, line: str, expected: int, source: str, lineno: int, indent: int, what: str
) -> None:
    if m is None:
        raise format_error(source, lineno, indent + 1, f"expected '{what}', found {line[:40]!r}")
    if int(m.group(1)) != expected:
        raise format_error(
            source,
            lineno,
            indent + m.start(1) + 1,
            f"expected frame {expected:04d} (frames are numbered consecutively from 0000), "
            f"found {m.group(1)}",
        )


def _check_count(tokens: list[tuple[str, int]], n_links: int, source: str, lineno: int, length: int) -> None:
    if len(tokens) > n_links:
        raise format_error(
            source,
            lineno,
            tokens[n_links][1],
            f"{len(tokens)} frames on a line, but the header declares {n_links} links",
        )
    if len(tokens) < n_links:
        raise format_error(
            source,
            lineno,
            length + 1,
            f"{len(tokens)} frames on a line, but the header declares {n_links} links",
        )


def _parse_v2(lines: list[str], i: int, source: str) -> BoardData:
    name = lines[i].strip()[len("ID:") :].strip()
    i, line, indent = _expect(lines, i + 1, source, "'Metadata:'")
    if not " ".join(line.split()).startswith(METADATA_LINE):  # cmssw checks the prefix only
        raise format_error(source, i + 1, indent + 1, f"expected {METADATA_LINE!r}, found {line[:80]!r}")
    i, line, indent = _expect(lines, i + 1, source, "'Link'")
    m = _V2_LINK.match(line)
    if m is None:
        raise format_error(source, i + 1, indent + 1, f"expected 'Link', found {line[:40]!r}")
    links = _link_indices(source, i + 1, _tokens(line[m.end() :], indent + m.end()))
    n_links = len(links)
    rows = _Rows(n_links)
    for j in range(i + 1, len(lines)):
        raw = lines[j]
        stripped = raw.lstrip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(raw) - len(stripped)
        m = _V2_FRAME.match(stripped)
        _check_frame_number(m, stripped, len(rows.data), source, j + 1, indent, "Frame NNNN")
        rest = stripped[m.end() :]  # type: ignore[union-attr]
        if _V2_LINE.fullmatch(rest):  # fast path; anything unusual takes the checked path below
            toks = rest.split()
            if len(toks) == 2 * n_links:
                rows.data.append([int(t, 16) for t in toks[1::2]])
                rows.codes.append([int(t, 2) | (16 if len(t) == 4 else 0) for t in toks[0::2]])
                continue
        tokens = _tokens(rest, indent + m.end())  # type: ignore[union-attr]
        if len(tokens) % 2 == 1 and len(tokens) // 2 < n_links:
            tok, col = tokens[-1]
            raise format_error(
                source, j + 1, col + len(tok), f"token {tok!r} is not followed by a 16-digit hex word"
            )
        pairs = [
            (tokens[k], tokens[k + 1] if k + 1 < len(tokens) else ("", 0)) for k in range(0, len(tokens), 2)
        ]
        _check_count([p[0] for p in pairs], n_links, source, j + 1, len(raw))
        data_row, code_row = [], []
        for (flags, fcol), (word, wcol) in pairs:
            if _V2_FLAGS.fullmatch(flags) is None:
                raise format_error(
                    source,
                    j + 1,
                    fcol,
                    f"token {flags!r} does not match [strobe]<orbit><start><end><valid> (4 or 5 "
                    "binary digits)",
                )
            if _HEX16.fullmatch(word) is None:
                raise format_error(source, j + 1, wcol, f"token {word!r} is not a 16-digit hex word")
            code_row.append(int(flags, 2) | (16 if len(flags) == 4 else 0))
            data_row.append(int(word, 16))
        rows.data.append(data_row)
        rows.codes.append(code_row)
    return rows.board(links, name)


def read_emp(path: str | os.PathLike[str]) -> BoardData:
    """Read an EMPv1 or EMPv2 file (version detected from its first line).

    Raises
    ------
    FormatError
        Malformed content; the message starts with ``file:line:column:``.
    """
    return parse_emp(read_text(path), source=os.fspath(path))


def _board_name(board: BoardData) -> str:
    # cmssw's BoardDataWriter always names the board CMSSW; APx files carry no name at all.
    return board.name or "CMSSW"


def format_emp_v1(board: BoardData) -> str:
    """EMPv1 text exactly as cmssw's ``writeEMPFileV1`` prints it (plus the strobe extension in the module
    doc).

    Examples
    --------
    >>> b = BoardData.empty([0], 2); b.data[0, 1] = 1; b.valid[0, 1] = True
    >>> print(format_emp_v1(b), end="")  # doctest: +NORMALIZE_WHITESPACE
    Board CMSSW
     Quad/Chan :         q00c0
          Link :          000
    Frame 0000 :   0v0000000000000000
    Frame 0001 :   1v0000000000000001
    """
    links = board.links.tolist()
    out = [
        f"Board {_board_name(board)}",
        " Quad/Chan :" + "".join(f"         q{i // 4:02d}c{i % 4:1d}       " for i in links),
        "      Link :" + "".join(f"          {i:03d}        " for i in links),
    ]
    strobed = board.strobed_links().tolist()
    data = board.data.T.tolist()
    valid = board.valid.T.astype(np.uint8).tolist()
    strobe = board.strobe.T.astype(np.uint8).tolist()
    for f in range(board.n_frames):
        d, v, s = data[f], valid[f], strobe[f]
        out.append(
            f"Frame {f:04d} :"
            + "".join(f" {f'{s[k]}s' if strobed[k] else '  '}{v[k]}v{d[k]:016x}" for k in range(len(links)))
        )
    return "\n".join(out) + "\n"


def format_emp_v2(board: BoardData) -> str:
    """EMPv2 text exactly as cmssw's ``writeEMPFileV2`` prints it (strobe column only for links with
    strobe=0).

    Examples
    --------
    >>> b = BoardData.empty([0], 2); b.data[0, 1] = 1
    >>> b.valid[0, 1] = b.start_of_packet[0, 1] = b.start_of_orbit[0, 1] = True
    >>> print(format_emp_v2(b), end="")  # doctest: +NORMALIZE_WHITESPACE
    ID: CMSSW
    Metadata: (strobe,) start of orbit, start of packet, end of packet, valid
    <BLANKLINE>
          Link              000
    Frame 0000    0000 0000000000000000
    Frame 0001    1101 0000000000000001
    """
    links = board.links.tolist()
    strobed = board.strobed_links().tolist()
    out = [
        f"ID: {_board_name(board)}",
        METADATA_LINE,
        "",
        "      Link  "
        + "".join(f"{' ' if strobed[k] else ''}            {i:03d}        " for k, i in enumerate(links)),
    ]
    data = board.data.T.tolist()
    cols = [
        getattr(board, f).T.astype(np.uint8).tolist()
        for f in ("strobe", "start_of_orbit", "start_of_packet", "end_of_packet", "valid")
    ]
    for f in range(board.n_frames):
        s, o, p, e, v = (c[f] for c in cols)
        d = data[f]
        out.append(
            f"Frame {f:04d}  "
            + "".join(
                f"  {s[k] if strobed[k] else ''}{o[k]}{p[k]}{e[k]}{v[k]} {d[k]:016x}"
                for k in range(len(links))
            )
        )
    return "\n".join(out) + "\n"


def write_emp(board: BoardData, path: str | os.PathLike[str], *, version: int = 2) -> None:
    """Write ``board`` as an EMP file (``version`` 1 or 2), atomically.

    Raises
    ------
    InvalidArgument
        ``version`` is not 1 or 2.
    """
    if version not in (1, 2):
        raise InvalidArgument(f"EMP version must be 1 or 2, not version={version!r}")
    write_text_atomic(path, format_emp_v1(board) if version == 1 else format_emp_v2(board))
