"""EMPv1/EMPv2: byte-exact canonical layout, lenient reading, pinned errors, hypothesis round trips."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given

from fwparity.errors import FormatError, InvalidArgument
from fwparity.vectors import BoardData, format_emp_v1, format_emp_v2, parse_emp, read_emp, write_emp

from .conftest import boards

# Hand-written in the layout of cmssw's writeEMPFileV1 (utilities.cc): 3 links (0, 1, 5), 3 frames.
# Field widths: " Quad/Chan :" + per link 9 spaces q%02dc%1d 7 spaces; "      Link :" + 10 spaces %03d 8
# spaces; frames "Frame %04d :" + per link 3 spaces <V>v<16 hex>.
EMP_V1 = (
    "Board CMSSW\n"
    " Quad/Chan :         q00c0                q00c1                q01c1       \n"
    "      Link :          000                  001                  005        \n"
    "Frame 0000 :   0v0000000000000000   0v0000000000000000   0v0000000000000000\n"
    "Frame 0001 :   1v00000000000000ff   1vdeadbeef00000001   0v0000000000000000\n"
    "Frame 0002 :   1vffffffffffffffff   0v0000000000000000   1v0123456789abcdef\n"
)

# writeEMPFileV2 layout, link 1 carries strobe=0 once so it gets a strobe column and one more header space.
EMP_V2 = (
    "ID: CMSSW\n"
    "Metadata: (strobe,) start of orbit, start of packet, end of packet, valid\n"
    "\n"
    "      Link              000                     001        \n"
    "Frame 0000    0000 0000000000000000  10000 0000000000000000\n"
    "Frame 0001    1101 0000000000000001  01101 00000000000000aa\n"
    "Frame 0002    0011 0000000000000002  10011 ffffffffffffffff\n"
)

# The examples in pattern-files.md (the EMPv2 one has cmssw's own example-file spacing: 11 spaces after Link).
README_V1 = (
    "Board CMSSW\n"
    " Quad/Chan :         q00c0       \n"
    "      Link :          000        \n"
    "Frame 0000 :   0v0000000000000000\n"
    "Frame 0001 :   1v0000000000000001\n"
)
README_V2 = (
    "ID: CMSSW\n"
    "Metadata: (strobe,) start of orbit, start of packet, end of packet, valid\n"
    "\n"
    "      Link           000        \n"
    "Frame 0000    0000 0000000000000000\n"
    "Frame 0001    1101 0000000000000001\n"
)


def test_v1_fixture_content() -> None:
    b = parse_emp(EMP_V1)
    assert b.name == "CMSSW"
    assert b.links.tolist() == [0, 1, 5]
    assert b.data.tolist() == [[0, 0xFF, 2**64 - 1], [0, 0xDEADBEEF00000001, 0], [0, 0, 0x0123456789ABCDEF]]
    assert b.valid.astype(int).tolist() == [[0, 1, 1], [0, 1, 0], [0, 0, 1]]
    assert b.strobe.all() and not b.start_of_packet.any()


def test_v2_fixture_content() -> None:
    b = parse_emp(EMP_V2)
    assert b.links.tolist() == [0, 1]
    assert b.frame(0, 1) == {
        "data": 1,
        "valid": True,
        "strobe": True,
        "start_of_orbit": True,
        "start_of_packet": True,
        "end_of_packet": False,
    }
    assert b.frame(1, 2) == {
        "data": 2**64 - 1,
        "valid": True,
        "strobe": True,
        "start_of_orbit": False,
        "start_of_packet": False,
        "end_of_packet": True,
    }
    assert b.strobe.astype(int).tolist() == [[1, 1, 1], [1, 0, 1]]


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        pytest.param(EMP_V1, format_emp_v1, id="v1"),
        pytest.param(EMP_V2, format_emp_v2, id="v2"),
        pytest.param(README_V1, format_emp_v1, id="readme-v1"),
    ],
)
def test_canonical_text_is_rewritten_byte_for_byte(text: str, fmt: object) -> None:
    assert fmt(parse_emp(text)) == text  # type: ignore[operator]


def test_readme_v2_with_11_spaces_reads_and_is_rewritten_in_writer_spacing() -> None:
    b = parse_emp(README_V2)
    assert b.links.tolist() == [0] and b.data.tolist() == [[0, 1]]
    assert format_emp_v2(b) == README_V2.replace("Link           000", "Link              000")


def test_v1_strobe_extension_is_read_back() -> None:
    b = BoardData.empty([2], 2)
    b.strobe[0, 1] = False
    text = format_emp_v1(b)
    assert text.splitlines()[3:] == ["Frame 0000 : 1s0v0000000000000000", "Frame 0001 : 0s0v0000000000000000"]
    assert parse_emp(text) == b


LENIENT_V1 = (
    "# written by hand\n"
    "\n"
    "  Board   CMSSW  \n"
    "# comment between headers\n"
    "Quad/Chan:  q00c0 q00c1\n"
    "Link:0 1\n"
    "\n"
    "Frame 0000 : 1s0v0000000000000000     0v00000000000000AA\r\n"
    "   # indented comment\n"
    "Frame    0001:1v00000000000000Ff 0s1v0000000000000001\n"
)


def test_v1_lenient_reading() -> None:
    b = parse_emp(LENIENT_V1)
    assert b.name == "CMSSW" and b.links.tolist() == [0, 1]
    assert b.data.tolist() == [[0, 0xFF], [0xAA, 1]]
    assert b.valid.astype(int).tolist() == [[0, 1], [0, 1]]
    assert b.strobe.astype(int).tolist() == [[1, 1], [1, 0]]


LENIENT_V2 = (
    "# comment\n"
    "ID: my board\n"
    "Metadata:  (strobe,) start of orbit,  start of packet, end of packet, valid (trailing text, as cmssw)\n"
    "Link 000 001\n"
    "Frame 0000 0001 0000000000000001 10011  000000000000000F\n"
    "\n"
    "Frame 0001    00001 0000000000000002    1111 0000000000000003   \n"
)


def test_v2_lenient_reading() -> None:
    b = parse_emp(LENIENT_V2)
    assert b.name == "my board"
    assert b.data.tolist() == [[1, 2], [15, 3]]
    assert b.strobe.astype(int).tolist() == [[1, 0], [1, 1]]
    assert b.end_of_packet.astype(int).tolist() == [[0, 0], [1, 1]]


V2_HEAD = (
    "ID: x\nMetadata: (strobe,) start of orbit, start of packet, end of packet, valid\n      Link  000 001\n"
)
V1_HEAD = "Board x\n Quad/Chan : q00c0 q00c1\n      Link :  000 001\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "", "f.txt:1:1: no content: expected 'Board <id>' (EMPv1) or 'ID: <id>' (EMPv2)", id="empty"
        ),
        pytest.param(
            "\n# c\n  Bored x\n",
            "f.txt:3:3: expected 'Board <id>' (EMPv1) or 'ID: <id>' (EMPv2), found 'Bored x'",
            id="no-board",
        ),
        pytest.param(
            "Board x\n", "f.txt:2:1: file ends before the 'Quad/Chan :' line", id="truncated-header"
        ),
        pytest.param(
            "Board x\nQuad/Chan : q00c0\nLink : 0a\n",
            "f.txt:3:8: link index '0a' is not a decimal number",
            id="bad-link",
        ),
        pytest.param(
            V1_HEAD + "Frame 0000 :   0v0000000000000000 0x0000000000000000\n",
            "f.txt:4:35: token '0x0000000000000000' does not match [0s|1s]<0|1>v<16 hex digits>",
            id="v1-bad-token",
        ),
        pytest.param(
            V1_HEAD + "Frame 0000 : 0v0000000000000000 0v000000000000000\n",
            "f.txt:4:33: token '0v000000000000000' does not match [0s|1s]<0|1>v<16 hex digits>",
            id="v1-short-hex",
        ),
        pytest.param(
            V1_HEAD + "Frame 0000 : 0v0000000000000000 0v0000000000000000\n"
            "Frame 0002 : 0v0000000000000000 0v0000000000000000\n",
            "f.txt:5:7: expected frame 0001 (frames are numbered consecutively from 0000), found 0002",
            id="v1-frame-gap",
        ),
        pytest.param(
            V1_HEAD + "Frame 0000 : 0v0000000000000000\n",
            "f.txt:4:32: 1 frames on a line, but the header declares 2 links",
            id="v1-too-few",
        ),
        pytest.param(
            V1_HEAD + "Frame 0000 : 0v0000000000000000 0v0000000000000000 0v0000000000000000\n",
            "f.txt:4:52: 3 frames on a line, but the header declares 2 links",
            id="v1-too-many",
        ),
        pytest.param(
            V1_HEAD + "Frame 0000   0v0000000000000000\n",
            "f.txt:4:1: expected 'Frame NNNN :', found 'Frame 0000   0v0000000000000000'",
            id="v1-no-colon",
        ),
        pytest.param(
            "ID: x\nMetadata: valid\n",
            "f.txt:2:1: expected 'Metadata: (strobe,) start of orbit, start of "
            "packet, end of packet, valid', found 'Metadata: valid'",
            id="v2-metadata",
        ),
        pytest.param(
            V2_HEAD + "Frame 0000  0001 0000000000000000  0201 0000000000000000\n",
            "f.txt:4:36: token '0201' does not match [strobe]<orbit><start><end><valid> (4 or 5 binary "
            "digits)",
            id="v2-bad-flags",
        ),
        pytest.param(
            V2_HEAD + "Frame 0000  0001 0000000000000000  0001 00000000000000g0\n",
            "f.txt:4:41: token '00000000000000g0' is not a 16-digit hex word",
            id="v2-bad-hex",
        ),
        pytest.param(
            V2_HEAD + "Frame 0000  0001 0000000000000000  0001\n",
            "f.txt:4:40: token '0001' is not followed by a 16-digit hex word",
            id="v2-missing-word",
        ),
        pytest.param(
            V2_HEAD + "Frame 0001  0001 0000000000000000  0001 0000000000000000\n",
            "f.txt:4:7: expected frame 0000 (frames are numbered consecutively from 0000), found 0001",
            id="v2-first-frame",
        ),
    ],
)
def test_malformed_input_names_file_line_and_column(text: str, message: str) -> None:
    with pytest.raises(FormatError, match=f"^{re.escape(message)}$"):
        parse_emp(text, source="f.txt")


def test_read_emp_names_the_path(tmp_path: object) -> None:
    p = tmp_path / "bad.txt"  # type: ignore[operator]
    p.write_text("Board x\n")
    with pytest.raises(FormatError, match=f"^{re.escape(str(p))}:2:1: file ends before"):
        read_emp(p)


def test_write_emp_rejects_version(tmp_path: object) -> None:
    with pytest.raises(InvalidArgument, match=r"^EMP version must be 1 or 2, not version=3$"):
        write_emp(BoardData.empty([0], 1), tmp_path / "x.txt", version=3)  # type: ignore[operator]


@given(boards())
def test_v2_round_trip(board: BoardData) -> None:
    text = format_emp_v2(board)
    back = parse_emp(text)
    assert back == board
    assert format_emp_v2(back) == text


@given(boards())
def test_v1_round_trip_keeps_data_valid_strobe(board: BoardData) -> None:
    back = parse_emp(format_emp_v1(board))
    assert np.array_equal(back.data, board.data) and np.array_equal(back.links, board.links)
    assert np.array_equal(back.valid, board.valid) and np.array_equal(back.strobe, board.strobe)
    assert not (back.start_of_orbit.any() or back.start_of_packet.any() or back.end_of_packet.any())


def test_write_emp_is_atomic(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "f.txt"  # type: ignore[operator]
    p.write_text("old\n")
    import fwparity.vectors.emp as emp

    def boom(board: BoardData) -> str:
        raise RuntimeError("interrupted")

    monkeypatch.setattr(emp, "format_emp_v2", boom)
    with pytest.raises(RuntimeError, match="^interrupted$"):
        write_emp(BoardData.empty([0], 1), p)
    assert p.read_text() == "old\n"
    assert [q.name for q in p.parent.iterdir()] == ["f.txt"]


@given(boards())
def test_fast_and_checked_paths_agree(board: BoardData) -> None:
    import fwparity.vectors.emp as emp

    texts = (format_emp_v1(board), format_emp_v2(board))
    fast = [parse_emp(t) for t in texts]
    never = re.compile(r"(?!)")
    saved = emp._V1_LINE, emp._V2_LINE
    emp._V1_LINE = emp._V2_LINE = never  # type: ignore[assignment]
    try:
        checked = [parse_emp(t) for t in texts]
    finally:
        emp._V1_LINE, emp._V2_LINE = saved
    assert fast == checked
