"""cocotb benches for the three protocols (a few hundred vectors each), on Verilator and on Icarus, plus the
scoreboard's mismatch report and kept waveform. ap_ctrl_hs on Verilator is covered by the batch harness
(tests/rtlsim/test_batch.py); here it runs on Icarus, whose 4-state values also exercise the X/Z check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import fwparity
from fwparity.model import Model
from fwparity.rtlsim import generate
from fwparity.rtlsim.cocotb_runner import run_cocotb

N = 300


@pytest.fixture(scope="module")
def vectors(small_mlp: Model) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    x = np.random.default_rng(9).integers(-(1 << 15), 1 << 15, size=(N, 4))
    return {"x": x}, fwparity.emulate(small_mlp, {"x": x}).raw


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cocotb")


@pytest.mark.parametrize(
    ("interface", "simulator", "stall"),
    [
        pytest.param("valid", "verilator", 0, marks=pytest.mark.requires_verilator, id="valid-verilator"),
        pytest.param("axis", "verilator", 35, marks=pytest.mark.requires_verilator, id="axis-verilator"),
        pytest.param("axis", "icarus", 35, marks=pytest.mark.requires_iverilog, id="axis-icarus"),
        pytest.param("ap_ctrl_hs", "icarus", 0, marks=pytest.mark.requires_iverilog, id="ap_ctrl_hs-icarus"),
    ],
)
def test_bench_passes(
    small_mlp: Model, vectors: tuple, work: Path, interface: str, simulator: str, stall: int
) -> None:
    inputs, expected = vectors
    design = generate(small_mlp, work / f"rtl-{interface}", interface=interface)
    result = run_cocotb(
        design,
        inputs,
        expected,
        work_dir=work / f"{interface}-{simulator}",
        simulator=simulator,
        stall_percent=stall,
    )
    assert (result.vectors, result.mismatch_count, result.waveform) == (N, 0, None)
    if stall:
        assert result.cycles > N * 1.2  # back-pressure really stalled the stream


@pytest.mark.requires_verilator
def test_mismatch_is_named_and_waveform_kept(small_mlp: Model, vectors: tuple, work: Path) -> None:
    inputs, expected = vectors
    wrong = {k: np.array(v, copy=True) for k, v in expected.items()}
    wrong["softmax"][17, 2] += 1
    design = generate(small_mlp, work / "rtl-valid", interface="valid")
    result = run_cocotb(design, inputs, wrong, work_dir=work / "valid-verilator")
    assert result.mismatch_count == 1
    assert result.mismatches == [
        {
            "vector": 17,
            "output": "softmax",
            "index": 2,
            "expected_raw": int(wrong["softmax"][17, 2]),
            "actual_raw": int(expected["softmax"][17, 2]),
            "class": "value",
        }
    ]
    assert result.waveform is not None and result.waveform.is_file()
    assert result.waveform.name.startswith("fwp_small-mismatch.")
