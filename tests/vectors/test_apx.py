"""APx: byte-exact canonical layout, lenient reading, pinned errors, hypothesis round trip."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given

from fwparity.errors import FormatError
from fwparity.vectors import BoardData, format_apx, parse_apx, read_apx

from .conftest import boards

# Hand-written in the layout of cmssw's writeAPxFile: "#LinkLabel" + per link 16 spaces LINK_%02d 4 spaces;
# rows 0x%04x + per link 4 spaces 0x%02x (valid | SOP<<1 | EOP<<3) space 0x%016x.
APX = (
    "#Sideband ON\n"
    "#LinkLabel                LINK_00                    LINK_07                    LINK_12    \n"
    "#BeginData\n"
    "0x0000    0x00 0x0000000000000000    0x00 0x0000000000000000    0x00 0x0000000000000000\n"
    "0x0001    0x03 0x0000000000000001    0x01 0xdeadbeef00000000    0x09 0xffffffffffffffff\n"
    "0x0002    0x09 0x0000000000000002    0x0b 0x0000000000000abc    0x00 0x0000000000000000\n"
)

# pattern-files.md's example (like cmssw's test/gtt/example_vertex_apx.txt, without the writer's trailing
# spaces).
README_APX = (
    "#Sideband ON\n"
    "#LinkLabel                LINK_00\n"
    "#BeginData\n"
    "0x0000    0x00 0x0000000000000000\n"
    "0x0001    0x03 0x0000000000000001\n"
)


def test_fixture_content() -> None:
    b = parse_apx(APX)
    assert b.name == "" and b.links.tolist() == [0, 7, 12]
    assert b.data[:, 1].tolist() == [1, 0xDEADBEEF00000000, 2**64 - 1]
    assert b.valid.astype(int).tolist() == [[0, 1, 1], [0, 1, 1], [0, 1, 0]]
    assert b.start_of_packet.astype(int).tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    assert b.end_of_packet.astype(int).tolist() == [[0, 0, 1], [0, 0, 1], [0, 1, 0]]
    assert b.strobe.all() and not b.start_of_orbit.any()


def test_canonical_text_is_rewritten_byte_for_byte() -> None:
    assert format_apx(parse_apx(APX)) == APX


def test_readme_example_reads_and_gains_the_writer_padding() -> None:
    b = parse_apx(README_APX)
    assert b.data.tolist() == [[0, 1]] and b.start_of_packet.tolist() == [[False, True]]
    assert format_apx(b) == README_APX.replace("LINK_00\n", "LINK_00    \n")


def test_lenient_reading() -> None:
    text = (
        "\n#LinkLabel LINK_3   LINK_1\n\n#BeginData\n"
        "0x0   0X01   0x00000000000000FF 0x4 0x1\r\n# note\n\n0x1 0x8 0x2 0x0 0x3\n"
    )
    b = parse_apx(text)
    assert b.links.tolist() == [1, 3]  # sorted like cmssw's std::map
    assert b.data.tolist() == [[1, 3], [0xFF, 2]]
    assert b.start_of_orbit.astype(int).tolist() == [[1, 0], [0, 0]]  # sideband bit 2, first frame of orbit
    assert b.end_of_packet.astype(int).tolist() == [[0, 0], [0, 1]]


HEAD = "#LinkLabel LINK_00 LINK_01\n#BeginData\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "#Sideband ON\n0x0000\n", "f.txt:2:1: expected '#LinkLabel', found '0x0000'", id="no-label"
        ),
        pytest.param(
            "#LinkLabel LINK_00 LNK_1\n",
            "f.txt:1:20: link label 'LNK_1' is not LINK_<digits>",
            id="bad-label",
        ),
        pytest.param(
            "#LinkLabel LINK_00\n0x0000 0x00 0x00\n",
            "f.txt:2:1: expected '#BeginData', found '0x0000 0x00 0x00'",
            id="no-begin",
        ),
        pytest.param(
            HEAD + "0x0000 0x00 0x0 0x01 0xz\n",
            "f.txt:3:22: token '0xz' is not a 0x hex number",
            id="bad-hex",
        ),
        pytest.param(
            HEAD + "0x0001 0x00 0x0 0x01 0x0\n",
            "f.txt:3:1: expected row 0 (0x0000), found 0x0001",
            id="row-index",
        ),
        pytest.param(
            HEAD + "0x0000 0x00 0x0 0x01\n",
            "f.txt:3:21: 4 tokens, expected 5 (row index + sideband and data for 2 links)",
            id="too-few",
        ),
        pytest.param(
            HEAD + "0x0000 0x00 0x0 0x01 0x0 0x0\n",
            "f.txt:3:26: more than 5 tokens (row index + sideband and data for 2 links)",
            id="too-many",
        ),
        pytest.param(
            HEAD + "0x0000 0x00 0x10000000000000000 0x01 0x0\n",
            "f.txt:3:13: data word 0x10000000000000000 is wider than 64 bits",
            id="wide-word",
        ),
    ],
)
def test_malformed_input_names_file_line_and_column(text: str, message: str) -> None:
    with pytest.raises(FormatError, match=f"^{re.escape(message)}$"):
        parse_apx(text, source="f.txt")


def test_read_apx_names_the_path(tmp_path: object) -> None:
    p = tmp_path / "x.apx"  # type: ignore[operator]
    p.write_text("junk\n")
    with pytest.raises(FormatError, match=f"^{re.escape(str(p))}:1:1: expected '#LinkLabel', found 'junk'$"):
        read_apx(p)


@given(boards())
def test_round_trip_keeps_what_apx_carries(board: BoardData) -> None:
    text = format_apx(board)
    back = parse_apx(text)
    for flag in ("valid", "start_of_packet", "end_of_packet"):
        assert np.array_equal(getattr(back, flag), getattr(board, flag))
    assert np.array_equal(back.data, board.data) and np.array_equal(back.links, board.links)
    assert format_apx(back) == text


@given(boards())
def test_fast_and_checked_paths_agree(board: BoardData) -> None:
    import fwparity.vectors.apx as apx

    text = format_apx(board)
    fast = parse_apx(text)
    saved = apx._ROW
    apx._ROW = re.compile(r"(?!)")  # type: ignore[assignment]
    try:
        checked = parse_apx(text)
    finally:
        apx._ROW = saved
    assert fast == checked
