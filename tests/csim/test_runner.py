"""Runner tests on hand-written HLS tops: bit-exactness against fwparity.fixed (an independent model of the
headers)
and exact Python integers, and crash safety (segfault, abort, exit, endless loop) with the caller
surviving."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from fwparity.csim import CsimRunner, load_csim_manifest
from fwparity.errors import InvalidArgument, SimulationError

from .conftest import write_design

pytestmark = pytest.mark.requires_gxx

N_VECTORS = 10_000
RNG_SEED = 20261124

# A tiny dense layer written the way HLS code is: TRN/WRAP accumulator that really wraps, an unsigned gain, a
# RND/SAT output, plus a >64-bit port so the word path is exercised.
_HEADER = """\
#include "ap_fixed.h"
typedef ap_fixed<12,4> in_t;
typedef ap_ufixed<6,2> gain_t;
typedef ap_fixed<10,3> w_t;
typedef ap_fixed<18,6> acc_t;
typedef ap_fixed<10,4,AP_RND,AP_SAT> out_t;
typedef ap_fixed<70,20> big_t;
typedef ap_fixed<80,30,AP_TRN,AP_WRAP> wide_t;
namespace demo {
void top(in_t x[8], gain_t g[1], big_t big[1], out_t y[3], wide_t z[1]);
}
"""

_SOURCE = """\
#include "top.h"
static const int W_RAW[8][3] = {%s};
namespace demo {
void top(in_t x[8], gain_t g[1], big_t big[1], out_t y[3], wide_t z[1]) {
    for (int j = 0; j < 3; ++j) {
        acc_t acc = 0;
        for (int i = 0; i < 8; ++i) {
            w_t w;
            w.range(9, 0) = (unsigned)(W_RAW[i][j] & 0x3FF);
            acc += x[i] * w;
        }
        y[j] = g[0] * acc;
    }
    z[0] = big[0] * x[0];
}
}
"""

_MANIFEST = """\
[top]
function = "top"
namespace = "demo"
header = "top.h"
sources = ["top.cpp"]
args = ["x", "g", "big", "y", "z"]

[[inputs]]
name = "x"
type = "ap_fixed<12,4>"
shape = [8]

[[inputs]]
name = "g"
type = "ap_ufixed<6,2>"
shape = [1]

[[inputs]]
name = "big"
type = "ap_fixed<70,20>"
shape = [1]

[[outputs]]
name = "y"
type = "ap_fixed<10,4,AP_RND,AP_SAT>"
shape = [3]

[[outputs]]
name = "z"
type = "ap_fixed<80,30>"
shape = [1]
"""


@pytest.fixture(scope="module")
def weights() -> np.ndarray:
    return np.random.default_rng(RNG_SEED).integers(-512, 512, size=(8, 3))


@pytest.fixture(scope="module")
def dense_manifest(design_dir: Path, weights: np.ndarray) -> Path:
    body = ", ".join("{" + ", ".join(str(int(v)) for v in row) + "}" for row in weights)
    return write_design(design_dir / "dense", header=_HEADER, source=_SOURCE % body, manifest=_MANIFEST)


@pytest.fixture(scope="module")
def dense_runner(dense_manifest: Path):
    with CsimRunner(load_csim_manifest(dense_manifest).build(), timeout=120) as runner:
        yield runner


def _inputs(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(RNG_SEED + 1)
    big = np.array([int(v) for v in rng.integers(-(2**62), 2**62, size=n)], dtype=object) * (2**7) + np.array(
        [int(v) for v in rng.integers(0, 128, size=n)], dtype=object
    )
    return {
        "x": rng.integers(-(2**11), 2**11, size=(n, 8)),
        "g": rng.integers(0, 2**6, size=(n, 1)),
        "big": big.reshape(n, 1),
    }


def _reference(inp: dict[str, np.ndarray], weights: np.ndarray) -> dict[str, np.ndarray]:
    """The same computation on fwparity.fixed: every assignment is a FixedType.cast of the exact value."""
    from fwparity.fixed import FixedType

    x, g = inp["x"].astype(np.int64), inp["g"].astype(np.int64)
    acc_t = FixedType.parse("ap_fixed<18,6>")
    sum_t = FixedType.parse(
        "ap_fixed<40,25>"
    )  # holds acc + x*w exactly: F = 12 (acc) vs 8 + 7 (product) -> 15
    prod_t = FixedType.parse("ap_fixed<40,24>")  # g*acc: F = 4 + 12 = 16
    out_t = FixedType.parse("ap_fixed<10,4,AP_RND,AP_SAT>")
    y = np.zeros((len(x), 3), dtype=np.int64)
    for j in range(3):
        acc = np.zeros(len(x), dtype=np.int64)
        for i in range(8):
            exact = acc * 8 + x[:, i] * int(weights[i, j])  # acc (F=12) aligned to F=15, plus the product
            acc = acc_t.cast(exact, sum_t)
        y[:, j] = out_t.cast(g[:, 0] * acc, prod_t)
    return {"y": y}


def _wide_reference(inp: dict[str, np.ndarray]) -> np.ndarray:
    """z = wide_t(big * x0) in exact Python integers: product F = 50 + 8 = 58, wide_t F = 50 -> floor >> 8,
    wrap 80.
    """
    out = []
    for b, x0 in zip(inp["big"][:, 0], inp["x"][:, 0], strict=True):
        v = (int(b) * int(x0)) >> 8
        v &= (1 << 80) - 1
        out.append(v - (1 << 80) if v >> 79 else v)
    return np.array(out, dtype=object).reshape(-1, 1)


def test_ports_are_typed_by_the_compiler(dense_runner: CsimRunner) -> None:
    spelled = {p.name: str(p.type) for p in dense_runner.ports}
    assert spelled == {
        "x": "ap_fixed<12,4>",
        "g": "ap_ufixed<6,2>",
        "big": "ap_fixed<70,20>",
        "y": "ap_fixed<10,4,AP_RND,AP_SAT>",
        "z": "ap_fixed<80,30>",
    }


def test_dense_top_bit_exact_against_fixed(dense_runner: CsimRunner, weights: np.ndarray) -> None:
    inp = _inputs(N_VECTORS)
    result = dense_runner.run(inp, batch_size=4096)
    expected = _reference(inp, weights)
    y = result.outputs["y"]
    assert y.dtype == np.int64 and y.shape == (N_VECTORS, 3)
    assert np.array_equal(y, expected["y"])
    # the test means something only if saturation, rounding and wrapping all happened
    assert (y == 511).any() and (y == -512).any()


def test_wide_port_exact_through_words(dense_runner: CsimRunner) -> None:
    inp = _inputs(2_000)
    z = dense_runner.run(inp).outputs["z"]
    assert z.dtype == object and z.shape == (2_000, 1)
    assert z.tolist() == _wide_reference(inp).tolist()
    assert min(z[:, 0]) < -(2**63) and max(z[:, 0]) > 2**63


def test_results_do_not_depend_on_batching_or_workers(dense_manifest: Path) -> None:
    lib = load_csim_manifest(dense_manifest).build()
    inp = _inputs(301)
    with CsimRunner(lib, workers=1) as one, CsimRunner(lib, workers=2) as two:
        a = one.run(inp)
        b = two.run(inp, batch_size=7)
    assert np.array_equal(a.outputs["y"], b.outputs["y"])
    assert a.outputs["z"].tolist() == b.outputs["z"].tolist()


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        pytest.param(
            {"x": np.full((2, 8), 2048), "g": np.zeros((2, 1), int), "big": np.zeros((2, 1), int)},
            r"^Input 'x' holds raw value 2048 outside \[-2048, 2047\] of its 12-bit type$",
            id="raw-out-of-range",
        ),
        pytest.param(
            {"x": np.zeros((2, 8)), "g": np.zeros((2, 1), int), "big": np.zeros((2, 1), int)},
            r"^Input 'x' must hold raw integers, not dtype='float64'; quantize floats first$",
            id="floats",
        ),
        pytest.param(
            {"x": np.zeros((2, 7), int), "g": np.zeros((2, 1), int), "big": np.zeros((2, 1), int)},
            r"^Input 'x' has shape \(2, 7\); expected \(2, 8\)$",
            id="shape",
        ),
        pytest.param(
            {"x": np.zeros((2, 8), int), "g": np.zeros((2, 1), int)},
            r"^inputs has keys \['g', 'x'\]; the top expects \['x', 'g', 'big'\]$",
            id="missing-input",
        ),
    ],
)
def test_invalid_inputs(dense_runner: CsimRunner, inputs: dict[str, np.ndarray], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        dense_runner.run(inputs)


# -- crash safety
# ----------------------------------------------------------------------------------------------------
_CRASH_HEADER = '#include "ap_fixed.h"\nvoid top(ap_int<16> x[2], ap_int<16> y[1]);\n'
_CRASH_SOURCE = """\
#include "top.h"
#include <cstdio>
#include <cstdlib>
void top(ap_int<16> x[2], ap_int<16> y[1]) {
    if (x[0] == 1001) { volatile int *p = nullptr; *p = 1; }        // segfault
    if (x[0] == 1002) { for (volatile int i = 0; ; i = i + 1) {} }  // endless loop
    if (x[0] == 1003) { std::fprintf(stderr, "ERROR: file w2.txt does not exist\\n"); std::exit(1); }
    if (x[0] == 1004) { std::abort(); }
    y[0] = x[0] + x[1];
}
"""
_CRASH_MANIFEST = """\
[top]
function = "top"
header = "top.h"
sources = ["top.cpp"]
flags = ["-O1", "-std=c++17"]

[[inputs]]
name = "x"
type = "ap_int<16>"
shape = [2]

[[outputs]]
name = "y"
type = "ap_int<16>"
shape = [1]
"""


@pytest.fixture(scope="module")
def crash_library(design_dir: Path):
    path = write_design(
        design_dir / "crash", header=_CRASH_HEADER, source=_CRASH_SOURCE, manifest=_CRASH_MANIFEST
    )
    return load_csim_manifest(path).build()


def _crash_inputs(magic: int, at: int, n: int = 400) -> np.ndarray:
    x = np.arange(2 * n, dtype=np.int64).reshape(n, 2) % 1000
    x[at, 0] = magic
    return x


@pytest.mark.parametrize(
    ("magic", "message"),
    [
        pytest.param(
            1001,
            r"^csim worker was killed by SIGSEGV in batch 2 \(vectors 200\.\.299\) at vector 207$",
            id="segfault",
        ),
        pytest.param(
            1004,
            r"^csim worker was killed by SIGABRT in batch 2 \(vectors 200\.\.299\) at vector 207$",
            id="abort",
        ),
        pytest.param(
            1003,
            r"^csim worker exited with status 1 in batch 2 \(vectors 200\.\.299\) at vector 207; its output "
            r"ends "
            r"with:\nERROR: file w2\.txt does not exist$",
            id="exit",
        ),
    ],
)
def test_crash_names_batch_and_vector(crash_library, magic: int, message: str) -> None:
    with CsimRunner(crash_library, timeout=60) as runner:
        with pytest.raises(SimulationError, match=message):
            runner.run(_crash_inputs(magic, 207), batch_size=100)
        # the caller survived, and the next run gets fresh workers
        good = runner.run(_crash_inputs(0, 0, n=10))
        assert good.outputs["y"][:, 0].tolist() == [2 * i + 2 * i + 1 for i in range(10)]
    assert os.getpid() > 0


def test_endless_loop_times_out(crash_library) -> None:
    with CsimRunner(crash_library, timeout=2) as runner:
        t0 = time.monotonic()
        with pytest.raises(
            SimulationError,
            match=r"^csim timed out after 2 s in batch 1 \(vectors 100\.\.199\), stuck at vector 150$",
        ):
            runner.run(_crash_inputs(1002, 150), batch_size=100)
        assert time.monotonic() - t0 < 10
        pids = [w.proc.pid for w in runner._workers]
        assert pids == []  # killed, not left spinning on a core


def test_worker_processes_end_with_the_runner(crash_library) -> None:
    runner = CsimRunner(crash_library)
    runner.run(_crash_inputs(0, 0, n=4))
    procs = [w.proc for w in runner._workers]
    assert len(procs) == 2 and all(p.poll() is None for p in procs)
    runner.close()
    assert all(p.poll() is not None for p in procs)
    for p in procs:
        with pytest.raises(ProcessLookupError):
            os.kill(p.pid, signal.SIGCONT)


# -- streams -------------------------------------------------------------------------------------------------
_STREAM_HEADER = (
    '#include "ap_fixed.h"\n#include "hls_stream.h"\n'
    "void top(hls::stream<ap_fixed<8,3> > &x, hls::stream<ap_fixed<9,4> > &y);\n"
)
_STREAM_SOURCE = """\
#include "top.h"
void top(hls::stream<ap_fixed<8,3> > &x, hls::stream<ap_fixed<9,4> > &y) {
    ap_fixed<8,3> a = x.read(), b = x.read(), c = x.read();
    y.write(a + b);
    if (c == ap_fixed<8,3>(-4)) return;          // one packet short
    y.write(a - c);
    if (c == ap_fixed<8,3>(3.96875)) y.write(c); // one packet too many
}
"""
_STREAM_MANIFEST = """\
[top]
function = "top"
header = "top.h"
sources = ["top.cpp"]
flags = ["-O1", "-std=c++17"]

[[inputs]]
name = "x"
type = "ap_fixed<8,3>"
shape = [3]
stream = true

[[outputs]]
name = "y"
type = "ap_fixed<9,4>"
shape = [2]
stream = true
"""


@pytest.fixture(scope="module")
def stream_library(design_dir: Path):
    path = write_design(
        design_dir / "stream", header=_STREAM_HEADER, source=_STREAM_SOURCE, manifest=_STREAM_MANIFEST
    )
    return load_csim_manifest(path).build()


def test_stream_ports_bit_exact(stream_library) -> None:
    x = np.random.default_rng(3).integers(-127, 127, size=(1000, 3))  # never -128 (-4.0) or 127 (3.96875)
    with CsimRunner(stream_library) as runner:
        y = runner.run(x).outputs["y"]
    # ap_fixed<8,3> a+b and a-c are exact in ap_fixed<9,4> (same F = 5, one more integer bit)
    assert y.tolist() == np.stack([x[:, 0] + x[:, 1], x[:, 0] - x[:, 2]], axis=1).tolist()


@pytest.mark.parametrize(
    ("magic", "message"),
    [
        pytest.param(
            -128,
            r"^Output stream 'y' held fewer than 2 elements after vector 5 in batch 0 \(vectors 0\.\.9\)$",
            id="short",
        ),
        pytest.param(
            127,
            r"^Output stream 'y' held more than 2 elements after vector 5 in batch 0 \(vectors 0\.\.9\)$",
            id="extra",
        ),
    ],
)
@pytest.mark.parametrize("workers", [pytest.param(0, id="in-process"), pytest.param(2, id="workers")])
def test_stream_packet_count_is_checked(stream_library, magic: int, message: str, workers: int) -> None:
    x = np.zeros((10, 3), dtype=np.int64)
    x[5, 2] = magic
    with CsimRunner(stream_library, workers=workers) as runner:
        with pytest.raises(SimulationError, match=message):
            runner.run(x)


def test_worker_killed_between_batches_is_replaced(crash_library) -> None:
    with CsimRunner(crash_library) as runner:
        runner.run(_crash_inputs(0, 0, n=4))
        victim = runner._workers[0].proc
        victim.kill()
        victim.wait()
        good = runner.run(_crash_inputs(0, 0, n=10))
        assert good.outputs["y"][:, 0].tolist() == [4 * i + 1 for i in range(10)]
        assert victim not in [w.proc for w in runner._workers]


def test_hung_workers_die_with_a_killed_parent(crash_library, tmp_path: Path) -> None:
    """A test run killed by CI while the C++ spins must not leave workers burning the cores."""
    import subprocess
    import sys

    script = tmp_path / "parent.py"
    script.write_text(
        "import sys, numpy as np\n"
        "from fwparity.csim import CsimLibrary, CsimRunner, TopSignature, Port\n"
        "lib = CsimLibrary(__import__('pathlib').Path(sys.argv[1]), TopSignature('top', "
        "(Port('x', 'ap_int<16>', 2), Port('y', 'ap_int<16>', 1, 'out')), 'top.h'))\n"
        "r = CsimRunner(lib, timeout=600)\n"
        "r.ports\n"
        "print(' '.join(str(w.proc.pid) for w in r._workers), flush=True)\n"
        "x = np.zeros((4, 2), dtype=np.int64); x[:, 0] = 1002\n"
        "r.run(x)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, str(script), str(crash_library.path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert len(pids) == 2
        time.sleep(0.5)  # both workers are now spinning in the endless loop
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 10
        alive = pids
        while alive and time.monotonic() < deadline:
            time.sleep(0.1)
            alive = [p for p in pids if Path(f"/proc/{p}").exists() and "Z" not in _state(p)]
        assert alive == []
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"
