"""Link maps: BoardDataWriter packing pinned to a hand-derived file, pack/unpack round trips, validation."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fwparity.errors import FormatError, InvalidArgument
from fwparity.vectors import format_emp_v2, parse_link_map

# 2 frames per BX, board TMUX 1, link TMUX 2 (two time slices: channel indices 5 then 3), 1-frame gap (3-word
# packets), offset 1, 10 frames per file -> (10 - 1) // 2 - (2 - 1) = 3 events per file.
MAP = """
frames_per_bx = 2
board_tmux = 1
max_frames_per_file = 10
board_id = "CMSSW"

[channels.calo]
tmux = 2
interpacket_gap = 1
offset = 1

[[links]]
interface = "calo"
channel = 0
indices = [5, 3]

[[tensors]]
name = "x"
role = "input"
type = "ap_int<8>"
shape = [2]

[[tensors]]
name = "y"
role = "output"
type = "ap_uint<4>"
shape = [1]

[[fields]]
tensor = "x"
interface = "calo"
channel = 0
word = 0
bit = 4
stride = 16

[[fields]]
tensor = "y"
interface = "calo"
channel = 0
word = 2
bit = 60
"""

X = np.array([[1, -1], [-128, 127], [0, 5], [7, -7]])
Y = np.array([[15], [0], [9], [1]])

# Derived by hand from BoardDataWriter.cc: index 5 starts with offset 1 invalid frame, index 3 with 1*1*2 + 1
# = 3; events alternate 5, 3, 5; each packet is 3 valid words (SOP first, EOP last) and 1 invalid pad; start
# of orbit on each channel's first SOP; the file is padded to 10 frames. x[0] sits at bits 4..11, x[1] at
# 20..27, y at 60..63.
EXPECTED_FILE_0 = (
    "ID: CMSSW\n"
    "Metadata: (strobe,) start of orbit, start of packet, end of packet, valid\n"
    "\n"
    "      Link              003                    005        \n"
    "Frame 0000    0000 0000000000000000  0000 0000000000000000\n"
    "Frame 0001    0000 0000000000000000  1101 000000000ff00010\n"
    "Frame 0002    0000 0000000000000000  0001 0000000000000000\n"
    "Frame 0003    1101 0000000007f00800  0011 f000000000000000\n"
    "Frame 0004    0001 0000000000000000  0000 0000000000000000\n"
    "Frame 0005    0011 0000000000000000  0101 0000000000500000\n"
    "Frame 0006    0000 0000000000000000  0001 0000000000000000\n"
    "Frame 0007    0000 0000000000000000  0011 9000000000000000\n"
    "Frame 0008    0000 0000000000000000  0000 0000000000000000\n"
    "Frame 0009    0000 0000000000000000  0000 0000000000000000\n"
)


def test_pack_matches_board_data_writer_layout() -> None:
    lm = parse_link_map(MAP)
    assert lm.events_per_file() == 3
    boards = lm.pack({"x": X, "y": Y})
    assert len(boards) == 2
    assert format_emp_v2(boards[0]) == EXPECTED_FILE_0
    second = format_emp_v2(boards[1]).splitlines()
    assert second[5:9] == [
        "Frame 0001    0000 0000000000000000  1101 000000000f900070",
        "Frame 0002    0000 0000000000000000  0001 0000000000000000",
        "Frame 0003    0000 0000000000000000  0011 1000000000000000",
        "Frame 0004    0000 0000000000000000  0000 0000000000000000",
    ]


def test_unpack_inverts_pack_across_files() -> None:
    lm = parse_link_map(MAP)
    back = lm.unpack(lm.pack({"x": X, "y": Y}))
    assert back["x"].tolist() == X.tolist() and back["y"].tolist() == Y.tolist()
    assert back["x"].dtype == np.int64


def test_unpack_reports_an_invalid_frame_inside_a_packet() -> None:
    lm = parse_link_map(MAP)
    board = lm.pack({"x": X[:1], "y": Y[:1]})[0]
    board.valid[board.row(5), 3] = False
    message = (
        "f.txt: frame 3 on channel 5 is invalid, but word 2 of event 0's packet on link ('calo', 0) "
        "carries model data"
    )
    with pytest.raises(FormatError, match=f"^{re.escape(message)}$"):
        lm.unpack([board], source="f.txt")


def test_unpack_honours_empty_frames_at_start() -> None:
    lm = parse_link_map(MAP + "\n")
    board = lm.pack({"x": X[:2], "y": Y[:2]})[0]
    lm2 = parse_link_map(MAP.replace("board_id", "empty_frames_at_start = 2\nboard_id"))
    shifted = type(board)(
        board.links,
        np.roll(board.data, 2, axis=1),
        name=board.name,
        **{f: np.roll(v, 2, axis=1) for f, v in board.flags().items()},
    )
    back = lm2.unpack([shifted])
    assert back["x"].tolist() == X[:2].tolist()


@st.composite
def packable(draw: st.DrawFn) -> tuple[str, dict[str, np.ndarray]]:
    widths = draw(st.lists(st.tuples(st.integers(1, 64), st.booleans()), min_size=1, max_size=3))
    n = draw(st.integers(0, 7))
    tmux = draw(st.sampled_from([1, 2, 3]))
    parts = [
        f"frames_per_bx = 4\nboard_tmux = 1\nmax_frames_per_file = 64\n[channels.a]\ntmux = {tmux}\n"
        f"[[links]]\ninterface = 'a'\nchannel = 7\nindices = {list(range(tmux))}\n"
    ]
    tensors = {}
    word = 0
    for i, (w, signed) in enumerate(widths):
        t = f"{'ap_int' if signed else 'ap_uint'}<{w}>"
        size = draw(st.integers(1, 3))
        lo, hi = (-(2 ** (w - 1)), 2 ** (w - 1) - 1) if signed else (0, 2**w - 1)
        vals = draw(st.lists(st.integers(lo, hi), min_size=n * size, max_size=n * size))
        tensors[f"t{i}"] = np.array(vals, dtype=object if w > 63 else np.int64).reshape(n, size)
        parts.append(
            f"[[tensors]]\nname = 't{i}'\ntype = '{t}'\nshape = [{size}]\n"
            f"[[fields]]\ntensor = 't{i}'\ninterface = 'a'\nchannel = 7\nword = {word}\n"
        )
        word += -(-size // (64 // w))
    if word > 4 * tmux:
        parts[0] = parts[0].replace("frames_per_bx = 4", f"frames_per_bx = {word}")
    return "".join(parts), tensors


@given(packable())
def test_pack_unpack_round_trip(case: tuple[str, dict[str, np.ndarray]]) -> None:
    text, tensors = case
    lm = parse_link_map(text)
    back = lm.unpack(lm.pack(tensors))
    for name, arr in tensors.items():
        assert back[name].tolist() == arr.tolist(), name


HEAD = (
    "frames_per_bx = 2\nboard_tmux = 1\n[channels.c]\ntmux = 1\n"
    "[[links]]\ninterface = 'c'\nchannel = 0\nindices = [0]\n"
)
T8 = "[[tensors]]\nname = 'x'\ntype = 'ap_int<8>'\nshape = [4]\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("board_tmux = 1\n", "m.toml: missing key 'frames_per_bx'", id="missing"),
        pytest.param(
            "frames_per_bx = 'x'\nboard_tmux = 1\n",
            "m.toml: frames_per_bx must be an integer, not frames_per_bx='x'",
            id="type",
        ),
        pytest.param(
            "frames_per_bx = 2\nboard_tmux = 2\n[channels.c]\ntmux = 3\n",
            "m.toml: [channels.c]: tmux=3 is not a positive multiple of board_tmux=2",
            id="tmux",
        ),
        pytest.param(
            "frames_per_bx = 2\nboard_tmux = 1\n[channels.c]\ntmux = 2\n[[links]]\ninterface = 'c'\n"
            "channel = 0\nindices = [0]\n",
            "m.toml: [[links]] 0: 1 channel indices given, but link:board TMUX ratio is 2",
            id="ratio",
        ),
        pytest.param(
            HEAD + "[[links]]\ninterface = 'c'\nchannel = 1\nindices = [0]\n",
            "m.toml: [[links]] 1: channel index 0 is already used by ('c', 0)",
            id="index-reuse",
        ),
        pytest.param(
            HEAD + "[[links]]\ninterface = 'd'\nchannel = 1\nindices = [1]\n",
            "m.toml: [[links]] 1: interface='d' has no [channels.d] table",
            id="no-channel",
        ),
        pytest.param(
            HEAD + T8 + "[[fields]]\ntensor = 'y'\ninterface = 'c'\nchannel = 0\n",
            "m.toml: [[fields]] 0: tensor='y' has no [[tensors]] entry",
            id="no-tensor",
        ),
        pytest.param(
            HEAD + T8 + "[[fields]]\ntensor = 'x'\ninterface = 'c'\nchannel = 0\nbit = 60\n",
            "m.toml: [[fields]] 0: bit=60 + width 8 exceeds the 64-bit word",
            id="bit",
        ),
        pytest.param(
            HEAD + T8 + "[[fields]]\ntensor = 'x'\ninterface = 'c'\nchannel = 0\nstride = 4\n",
            "m.toml: [[fields]] 0: stride=4 is smaller than the width 8 of ap_int<8>",
            id="stride",
        ),
        pytest.param(
            HEAD + T8 + "[[fields]]\ntensor = 'x'\ninterface = 'c'\nchannel = 0\nfirst = 3\ncount = 2\n",
            "m.toml: [[fields]] 0: elements 3..4 are outside tensor 'x' of 4 elements",
            id="count",
        ),
        pytest.param(
            HEAD + T8 + "[[fields]]\ntensor = 'x'\ninterface = 'c'\nchannel = 0\nword = 2\n",
            "m.toml: [[fields]] 0: word 2 is beyond the packet of 2 words on link ('c', 0)",
            id="packet",
        ),
        pytest.param(
            HEAD + T8 + "[[fields]]\ntensor = 'x'\ninterface = 'c'\nchannel = 0\ncount = 2\n"
            "[[fields]]\ntensor = 'x'\ninterface = 'c'\nchannel = 0\nfirst = 2\nbit = 12\n",
            "m.toml: [[fields]] 1: bits 12..19 of word 0 on link ('c', 0) overlap [[fields]] 0",
            id="overlap",
        ),
        pytest.param(
            HEAD + "[[tensors]]\nname = 'x'\ntype = 'ap_int<8>'\nrole = 'in'\n",
            "m.toml: [[tensors]] 0: role must be 'input' or 'output', not role='in'",
            id="role",
        ),
    ],
)
def test_invalid_maps(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=f"^{re.escape(message)}$"):
        parse_link_map(text, source="m.toml")


def test_toml_syntax_error_names_line_and_column() -> None:
    with pytest.raises(FormatError, match=r"^m\.toml: .*\(at line 2, column \d+\)$"):
        parse_link_map("frames_per_bx = 2\nboard_tmux = = 1\n", source="m.toml")


def test_pack_rejects_wrong_shapes() -> None:
    lm = parse_link_map(MAP)
    with pytest.raises(InvalidArgument, match=r"^Tensor 'x' has shape \(4, 3\), the link map says \(N, 2\)$"):
        lm.pack({"x": np.zeros((4, 3), np.int64), "y": Y})
    with pytest.raises(
        InvalidArgument, match=r"^No values for tensor 'y', which the link map packs; got \['x'\]$"
    ):
        lm.pack({"x": X})
