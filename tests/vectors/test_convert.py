"""`fwparity vectors convert|info` and the library functions behind them: detection from content,
byte-identical pattern -> HDF5 -> pattern round trips, link-map conversions, exit codes and messages."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from fwparity.cli import main
from fwparity.errors import FormatError, InvalidArgument
from fwparity.vectors import (
    BoardData,
    VectorSet,
    convert,
    detect_format,
    format_apx,
    format_emp_v1,
    format_emp_v2,
    info,
    read_vectors,
    write_vectors,
)

from .conftest import boards
from .test_apx import APX
from .test_emp import EMP_V1, EMP_V2
from .test_linkmap import EXPECTED_FILE_0, MAP, X, Y


@pytest.mark.parametrize(
    ("content", "fmt"),
    [
        pytest.param(EMP_V1, "EMPv1", id="EMPv1"),
        pytest.param("# c\n\n" + EMP_V2, "EMPv2", id="EMPv2"),
        pytest.param(APX, "APx", id="APx"),
        pytest.param(APX.split("\n", 1)[1], "APx", id="APx-no-sideband"),
        pytest.param("0.5 -1e-3 3\n", "dat", id="dat"),
    ],
)
def test_detect_format(tmp_path: Path, content: str, fmt: str) -> None:
    p = tmp_path / "f.txt"
    p.write_text(content)
    assert detect_format(p) == fmt


def test_detect_hdf5_and_unknown(tmp_path: Path) -> None:
    p = tmp_path / "v.bin"
    write_vectors(p, VectorSet())
    assert detect_format(p) == "hdf5"
    q = tmp_path / "q.txt"
    q.write_text("hello world\n")
    with pytest.raises(
        FormatError,
        match=f"^{re.escape(str(q))}: cannot tell the format from the content "
        r"\(expected HDF5, an hls4ml \.dat file, or an EMPv1/EMPv2/APx pattern file\)$",
    ):
        detect_format(q)


@pytest.mark.parametrize(
    ("text", "to"),
    [
        pytest.param(EMP_V1, "EMPv1", id="EMPv1"),
        pytest.param(EMP_V2, "EMPv2", id="EMPv2"),
        pytest.param(APX, "APx", id="APx"),
    ],
)
def test_cli_pattern_to_hdf5_to_pattern_is_byte_identical(
    tmp_path: Path, text: str, to: str, capsys: pytest.CaptureFixture[str]
) -> None:
    src, h5, back, back2 = (
        tmp_path / "in.txt",
        tmp_path / "frames.h5",
        tmp_path / "back.txt",
        tmp_path / "b2.txt",
    )
    src.write_text(text)
    assert main(["vectors", "convert", str(src), str(h5)]) == 0
    assert main(["vectors", "convert", str(h5), str(back), "--to", to]) == 0
    assert back.read_bytes() == src.read_bytes()
    # without --to, the format the frames were read from is kept
    assert main(["vectors", "convert", str(h5), str(back2)]) == 0
    assert back2.read_bytes() == src.read_bytes()
    assert capsys.readouterr().out == f"wrote {h5}\nwrote {back}\nwrote {back2}\n"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=25)
@given(board=boards(max_links=4, max_frames=6))
def test_canonical_files_survive_hdf5_for_random_boards(tmp_path: Path, board: BoardData) -> None:
    for fmt, writer in (("EMPv1", format_emp_v1), ("EMPv2", format_emp_v2), ("APx", format_apx)):
        src, h5, back = tmp_path / f"s.{fmt}", tmp_path / f"{fmt}.h5", tmp_path / f"b.{fmt}"
        src.write_text(writer(board))
        convert(src, h5)
        convert(h5, back, to=fmt)
        assert back.read_bytes() == src.read_bytes()


def test_pattern_to_pattern(tmp_path: Path) -> None:
    src, out = tmp_path / "in.txt", tmp_path / "out.apx"
    src.write_text(EMP_V2)
    assert convert(src, out) == [out]
    assert out.read_text().startswith("#Sideband ON\n#LinkLabel                LINK_00")


def test_link_map_conversions(tmp_path: Path) -> None:
    lm = tmp_path / "map.toml"
    lm.write_text(MAP)
    vs = VectorSet(seed=1)
    vs.add_input("x", X, "ap_int<8>")
    vs.add_output("board", "y", Y, "ap_uint<4>")
    h5 = tmp_path / "v.h5"
    write_vectors(h5, vs)
    out = tmp_path / "board.txt"
    written = convert(h5, out, to="EMPv2", link_map=lm)
    assert written == [tmp_path / "board_0.txt", tmp_path / "board_1.txt"]
    assert written[0].read_text() == EXPECTED_FILE_0
    back = tmp_path / "back.h5"
    convert(written[0], back, link_map=lm)
    got = read_vectors(back)
    assert got.inputs["x"].tolist() == X[:3].tolist() and got.outputs["board"]["y"].tolist() == Y[:3].tolist()
    assert str(got.input_types["x"]) == "ap_int<8>"
    dat = tmp_path / "tb.dat"
    convert(written[0], dat, link_map=lm)
    assert dat.read_text() == "1 -1 15\n-128 127 0\n0 5 9\n"
    again = tmp_path / "again.txt"
    convert(dat, again, to="EMPv2", link_map=lm)
    assert again.read_text() == EXPECTED_FILE_0


def test_hdf5_and_dat(tmp_path: Path) -> None:
    vs = VectorSet()
    vs.add_input("x", np.array([[3, -4], [1, 0]]), "ap_fixed<6,2>")
    h5, dat, h5b = tmp_path / "v.h5", tmp_path / "x.dat", tmp_path / "b.h5"
    write_vectors(h5, vs)
    convert(h5, dat)
    assert dat.read_text() == "0.1875 -0.25\n0.0625 0\n"
    convert(dat, h5b)
    back = read_vectors(h5b)
    assert back.input_types == {"x": None} and back.inputs["x"].tolist() == [[0.1875, -0.25], [0.0625, 0.0]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["{emp}", "{tmp}/out.txt", "--to", "dat"],
            "Converting EMPv2 to dat needs --link-map to say which frame bits hold which values",
            id="needs-map",
        ),
        pytest.param(
            ["{dat}", "{tmp}/out.bin"],
            "Cannot tell the output format from output='{tmp}/out.bin'; "
            "pass --to (hdf5, dat, EMPv1, EMPv2 or APx)",
            id="no-format",
        ),
        pytest.param(
            ["{bad}", "{tmp}/out.h5"],
            "{bad}:5:20: token '0x00000000000000z0' is not a 16-digit hex word",
            id="malformed",
        ),
        pytest.param(
            ["{tmp}/missing.txt", "{tmp}/out.h5"],
            "Cannot read '{tmp}/missing.txt': No such file or directory",
            id="missing",
        ),
    ],
)
def test_cli_errors_exit_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    emp, bad, dat = tmp_path / "in.txt", tmp_path / "bad.txt", tmp_path / "in.dat"
    emp.write_text(EMP_V2)
    dat.write_text("1 2\n")
    bad.write_text(
        EMP_V2.replace(
            "Frame 0000    0000 0000000000000000  10000", "Frame 0000    0000 0x00000000000000z0  10000"
        )
    )
    fill = {"tmp": tmp_path, "emp": emp, "bad": bad, "dat": dat}
    assert main(["vectors", "convert", *(a.format(**fill) for a in args)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"fwparity vectors: {message.format(**fill)}\n"
    assert captured.out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.txt", "in.dat", "in.txt"]


def test_convert_rejects_unknown_to(tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text(EMP_V2)
    with pytest.raises(
        InvalidArgument,
        match=r"^Format 'X2O' is not in supported list: hdf5, dat, EMPv1, EMPv2, "
        r"APx$",
    ):
        convert(src, tmp_path / "o", to="X2O")


def test_info(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.txt"
    src.write_text(EMP_V2)
    i = info(src)
    assert i.format == "EMPv2" and i.summary == {"board": "CMSSW", "links": 2, "frames": 3}
    assert i.links[1] == {"link": 1, "valid": 2, "packets": 1, "orbit_starts": 1, "strobe_low": 1}
    assert main(["vectors", "info", str(src)]) == 0
    out = capsys.readouterr().out
    assert "(EMPv2)" in out and "strobe_low" in out
    h5 = tmp_path / "v.h5"
    vs = VectorSet(model_sha256="ab" * 32, seed=5)
    vs.add_input("x", np.zeros((4, 3), np.int64), "ap_fixed<8,3>")
    vs.add_output("csim", "y", np.zeros((4, 1), np.int64), "ap_int<5>")
    write_vectors(h5, vs)
    i = info(h5)
    assert i.summary == {"schema": 1, "model_sha256": "ab" * 32, "seed": 5, "vectors": 4}
    assert i.datasets == [
        {"dataset": "inputs/x", "shape": (4, 3), "type": "ap_fixed<8,3>"},
        {"dataset": "outputs/csim/y", "shape": (4, 1), "type": "ap_int<5>"},
    ]
    assert main(["vectors", "info", str(h5)]) == 0
    assert "outputs/csim/y" in capsys.readouterr().out


def test_info_on_hdf5_reads_no_vector_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "w.h5"
    vs = VectorSet()
    vs.add_input("phys", np.zeros((2, 3)))
    vs.add_output("csim", "wide", np.array([[2**70], [-1]], dtype=object), "ap_int<72>")
    write_vectors(p, vs)
    import fwparity.vectors.hdf5 as hdf5_mod

    def no_reads(*args: object, **kwargs: object) -> None:
        raise AssertionError("info must not decode datasets")

    monkeypatch.setattr(hdf5_mod._Reader, "read", no_reads)
    i = info(p)
    assert i.summary == {"schema": 1, "model_sha256": "(none)", "seed": "(none)", "vectors": 2}
    assert i.datasets == [
        {"dataset": "inputs/phys", "shape": (2, 3), "type": "float64 (physics values)"},
        {"dataset": "outputs/csim/wide", "shape": (2, 1), "type": "ap_int<72>"},
    ]


def test_info_on_dat(tmp_path: Path) -> None:
    p = tmp_path / "tb_input_features.dat"
    p.write_text("# hls4ml\n1 2 3\n4 5 6\n")
    i = info(p)
    assert (i.format, i.summary) == ("dat", {"vectors": 2, "values per vector": 3})


def test_info_on_malformed_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "x.h5"
    p.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(64))
    assert main(["vectors", "info", str(p)]) == 2
    assert capsys.readouterr().err.startswith(f"fwparity vectors: {p}: not a readable HDF5 file (")
