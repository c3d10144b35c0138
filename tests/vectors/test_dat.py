"""hls4ml .dat files: exact decimal writing (checked against Fraction and against hls4ml's own test-bench
parsing compiled with the real ap_fixed headers), lenient reading, pinned errors."""

from __future__ import annotations

import re
import subprocess
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fwparity import _build, _toolchain
from fwparity.errors import FormatError
from fwparity.fixed import FixedType
from fwparity.vectors import (
    decimal_strings,
    float32_inexact,
    format_dat,
    read_dat,
    read_dat_tensors,
    write_dat,
)


@given(st.integers(-(2**130), 2**130), st.integers(-20, 140))
def test_decimal_strings_are_exact(raw: int, frac_bits: int) -> None:
    (text,) = decimal_strings([raw], frac_bits)
    assert Fraction(text) == Fraction(raw) / Fraction(2) ** frac_bits
    assert not text.endswith(".") and not (("." in text) and text.endswith("0"))


@pytest.mark.parametrize(
    ("raw", "frac_bits", "inexact"),
    [
        pytest.param(2**24 - 1, 0, False, id="24-bits"),
        pytest.param(2**24 + 1, 0, True, id="25-bits"),
        pytest.param(3 << 100, 0, False, id="big-but-short"),
        pytest.param(1, 149, False, id="smallest-subnormal"),
        pytest.param(1, 150, True, id="below-subnormal"),
        pytest.param(1, -127, False, id="2**127"),
        pytest.param(1, -128, True, id="2**128-overflows"),
        pytest.param(-(2**23 + 1), 10, False, id="negative-24-bits"),
    ],
)
def test_float32_inexact(raw: int, frac_bits: int, inexact: bool) -> None:
    assert float32_inexact(np.array([raw], dtype=object), frac_bits).tolist() == [inexact]
    if not inexact:
        value = Fraction(raw) / Fraction(2) ** frac_bits
        assert Fraction(float(np.float32(float(value)))) == value


def test_write_and_read_back_raw(tmp_path: Path) -> None:
    p = tmp_path / "tb_input_features.dat"
    raw = np.array([[-512, 511, 1], [0, -1, 3]])
    write_dat(p, raw, "ap_fixed<10,4>")
    assert p.read_text() == "-8 7.984375 0.015625\n0 -0.015625 0.046875\n"
    assert read_dat(p, "ap_fixed<10,4>").tolist() == raw.tolist()
    assert read_dat(p).tolist() == [[-8.0, 7.984375, 0.015625], [0.0, -0.015625, 0.046875]]


def test_wide_values_are_read_exactly_without_a_float_step(tmp_path: Path) -> None:
    p = tmp_path / "w.dat"
    t = FixedType.parse("ap_fixed<90,30>")
    raw = np.array([[t.min_raw, t.max_raw, 12345678901234567890123]], dtype=object)
    write_dat(p, raw, t)
    assert read_dat(p, t).tolist() == raw.tolist()


def test_lenient_reading_and_off_grid_values(tmp_path: Path) -> None:
    p = tmp_path / "l.dat"
    p.write_text("# header\n\n  0.5\t-1e-1   3 \r\n\n2.5E0 1000 -0.0\n")
    t = FixedType.parse("ap_fixed<8,4>")  # 4 fractional bits, TRN, WRAP
    got = read_dat(p, t)
    assert got.tolist() == [[8, int(t.from_float([-0.1])[0]), 48], [40, int(t.from_float([1000.0])[0]), 0]]


def test_read_dat_tensors_splits_lines_over_inputs(tmp_path: Path) -> None:
    p = tmp_path / "m.dat"
    write_dat(p, [np.array([[1, 2, 3, 4]]), np.array([[-5]])], ["ap_int<8>", "ap_fixed<6,2>"])
    tensors = [
        SimpleNamespace(name="a", shape=(2, 2), type="ap_int<8>"),
        SimpleNamespace(name="b", shape=(1,), type="ap_fixed<6,2>"),
    ]
    got = read_dat_tensors(p, tensors)
    assert got["a"].tolist() == [[[1, 2], [3, 4]]] and got["b"].tolist() == [[-5]]
    with pytest.raises(
        FormatError,
        match=f"^{re.escape(str(p))}:1: 5 values per line, but a\\(2, 2\\), b\\(1,\\), "
        r"c\(1,\) need 6$",
    ):
        read_dat_tensors(p, [*tensors, SimpleNamespace(name="c", shape=(1,), type="ap_int<8>")])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("1 2 3\n4 5\n", "f.dat:2:4: 2 values, but line 1 has 3", id="short-row"),
        pytest.param("1 2\n\n4 5 6\n", "f.dat:3:5: 3 values, but line 1 has 2", id="long-row"),
        pytest.param("1 2\n3 x4\n", "f.dat:2:3: 'x4' is not a number", id="not-number"),
    ],
)
def test_malformed_dat(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "f.dat"
    p.write_text(text)
    with pytest.raises(FormatError, match=f"^{re.escape(str(tmp_path))}/{re.escape(message)}$"):
        read_dat(p, "ap_int<8>")


# The part of hls4ml's generated myproject_test.cpp that turns a .dat line into inputs: strtok on " ", atof, a
# std::vector<float>, then input_t = float (nnet::copy_data). Prints the raw bits of each input_t.
_TB = r"""
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>
#include "ap_fixed.h"
template <class T, int W> void run(const char *path) {
    std::ifstream fin(path);
    std::string line;
    while (std::getline(fin, line)) {
        std::vector<float> in;
        char *cstr = const_cast<char *>(line.c_str());
        for (char *cur = strtok(cstr, " "); cur != NULL; cur = strtok(NULL, " ")) in.push_back(atof(cur));
        for (float f : in) {
            T x = f;
            ap_uint<W> bits = x.range(W - 1, 0);
            std::printf("%llu ", (unsigned long long)bits.to_uint64());
        }
        std::printf("\n");
    }
}
int main(int argc, char **argv) {
    int which = std::atoi(argv[1]);
    if (which == 0) run<ap_fixed<16, 6>, 16>(argv[2]);
    if (which == 1) run<ap_fixed<8, 3, AP_RND, AP_SAT>, 8>(argv[2]);
    if (which == 2) run<ap_ufixed<30, 10>, 30>(argv[2]);
    if (which == 3) run<ap_fixed<40, 8, AP_RND_CONV, AP_SAT>, 40>(argv[2]);
    return 0;
}
"""
_TB_TYPES = [
    "ap_fixed<16,6>",
    "ap_fixed<8,3,AP_RND,AP_SAT>",
    "ap_ufixed<30,10>",
    "ap_fixed<40,8,AP_RND_CONV,AP_SAT>",
]


@pytest.mark.requires_gxx
@pytest.mark.parametrize("which", range(len(_TB_TYPES)), ids=_TB_TYPES)
def test_hls4ml_testbench_reads_what_we_write(tmp_path: Path, which: int) -> None:
    exe = _build.build_executable(
        {"tb.cpp": _TB},
        flags=["-O1", "-std=c++17"],
        include_dirs=[_toolchain.find_ap_include()],
        tag="dat-tb",
    )
    t = FixedType.parse(_TB_TYPES[which])
    rng = np.random.default_rng(which)
    raw = rng.integers(t.min_raw, t.max_raw, size=(200, 5), endpoint=True)
    raw[0, :3] = [t.min_raw, t.max_raw, 0]
    p = tmp_path / "tb_input_features.dat"
    write_dat(p, raw, t)
    out = subprocess.run([str(exe), str(which), str(p)], check=True, capture_output=True, text=True).stdout
    bits = np.array([[int(v) for v in line.split()] for line in out.splitlines()], dtype=np.int64)
    tb_raw = (
        np.where(t.signed & (bits >= 1 << (t.width - 1)), bits - (1 << t.width), bits) if t.signed else bits
    )
    # fwparity's model of the test bench (float32 step) agrees with the compiled one on every value ...
    assert read_dat(p, t, tb_float32=True).tolist() == tb_raw.tolist()
    # ... and where float32 holds the value exactly, the test bench sees exactly the raw code that was
    # written.
    exact = ~float32_inexact(raw, t.frac_bits)
    assert np.array_equal(tb_raw[exact], raw[exact])
    assert exact.all() == (t.width <= 24 + 1)  # wide types do lose bits in hls4ml's float test bench


def test_format_dat_rejects_length_mismatch() -> None:
    from fwparity.errors import InvalidArgument

    with pytest.raises(InvalidArgument, match=r"^arrays differ in length: \[1, 2\]$"):
        format_dat([np.zeros((1, 1), np.int64), np.zeros((2, 1), np.int64)], "ap_int<4>")


def test_wide_type_mixes_exact_and_quantized_tokens(tmp_path: Path) -> None:
    p = tmp_path / "w.dat"
    t = FixedType.parse(
        "ap_fixed<70,10>"
    )  # 60 fractional bits: grid values need more than a double's 53 bits
    on_grid = decimal_strings([2**59 + 1], 60)[0]  # 0.5 + 2**-60
    p.write_text(f"{on_grid} 0.1\n")
    got = read_dat(p, t)
    assert got[0, 0] == 2**59 + 1  # exact, although float(on_grid) == 0.5
    assert got[0, 1] == t.from_float([0.1])[0]  # off the grid: quantized like ap_fixed<70,10>(double)
