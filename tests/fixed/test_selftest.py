"""``fwparity selftest``, run in-process through ``cli.main``: exit codes and what it prints."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fwparity import cli
from fwparity.fixed import FixedType, Quantization

pytestmark = pytest.mark.requires_gxx


def test_selftest_passes(capsys: pytest.CaptureFixture[str]) -> None:
    # Default seed, so this shares its cached build with `make demo`; fewer samples keep it quick.
    assert cli.main(["selftest", "--samples", "3000"]) == 0
    out = capsys.readouterr().out
    for title in (
        "Quantization modes: T v = double",
        "Overflow modes: T v = double",
        "Casts: T d = src",
        "Arithmetic: T d = a op b",
    ):
        assert title in out
    for row in [q.value for q in Quantization] + ["AP_WRAP_SM", "AP_SAT_SYM (N>0)", "to ap_int / ap_uint"]:
        assert re.search(rf"│ {re.escape(row)} +│ +\d+ │ +[\d,]+ │ +0 │", out), row
    assert re.search(
        r"^PASS: fwparity\.fixed matches the compiled ap_types headers on all [\d,]+ pairs$", out, re.M
    )


def test_selftest_reports_a_mismatch(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Break fwparity.fixed on purpose (flip the LSB of every AP_RND_CONV conversion): exit code 1."""
    original = FixedType.from_float

    def broken(self: FixedType, x: Any) -> np.ndarray:
        raw = original(self, x)
        return raw ^ 1 if self.quantization is Quantization.RND_CONV and not self.is_int else raw

    monkeypatch.setattr(FixedType, "from_float", broken)
    assert cli.main(["selftest", "--samples", "3000"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"│ AP_RND_CONV +│ +\d+ │ +([\d,]+) │ +\1 │", out)  # every pair of that row differs
    assert re.search(r"│ AP_RND +│ +\d+ │ +[\d,]+ │ +0 │", out)
    assert "FAIL: fwparity.fixed disagrees with the compiled headers; first mismatches:" in out
    line = re.search(
        r"^  (ap_u?fixed<[^>]*AP_RND_CONV[^>]*> v = \S+): headers raw (-?\d+), fwparity raw (-?\d+)$",
        out,
        re.M,
    )
    assert line is not None
    assert int(line.group(2)) ^ 1 == int(line.group(3))


def test_bad_hls_include_is_a_tool_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert cli.main(["selftest", "--hls-include", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"fwparity selftest: hls_include={str(tmp_path)!r} does not contain ap_fixed.h; "
        "pass the directory that does\n"
    )


def test_missing_compiler_is_a_tool_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CXX", "/nonexistent/g++")
    assert cli.main(["selftest", "--samples", "10"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "fwparity selftest: Could not find g++ (looked on PATH and in $CXX): "
        "CXX='/nonexistent/g++' is not an executable; install g++"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--samples", "0"], "samples=0 must be at least 1", id="samples"),
        pytest.param(["--seed", "-1"], "seed=-1 must be a non-negative integer", id="seed"),
    ],
)
def test_invalid_arguments(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert cli.main(["selftest", *argv]) == 2
    assert capsys.readouterr().err == f"fwparity selftest: {message}\n"
