"""Build-cache behaviour seen from csim: warm starts, side-by-side libraries with colliding symbols, compiler
errors
pointed at the user's files."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from fwparity.csim import CsimRunner, load_csim_manifest
from fwparity.errors import BuildError

from .conftest import write_design

pytestmark = pytest.mark.requires_gxx

# Two "models" built from the same code generator: same weight array name (w2), same top name, same template
# with a
# static-local table (like nnet_utils' activation tables) and a static "weights loaded" flag, like hls4ml's
# tops.
# Only the weight values differ. Loaded into one process, they must not see each other's symbols (the CMS
# AXOL1TL/CICADA emulator bug).
_HEADER = '#include "ap_fixed.h"\nvoid myproject(ap_fixed<16,6> x[2], ap_fixed<16,6> y[2]);\n'
_SOURCE = """\
#include "top.h"
ap_fixed<16,6> w2[2];
template <class T> T *table() {
    static T t[2] = {T(%(t0)s), T(%(t1)s)};
    return t;
}
void myproject(ap_fixed<16,6> x[2], ap_fixed<16,6> y[2]) {
    static bool loaded_weights = false;
    if (!loaded_weights) { w2[0] = %(w0)s; w2[1] = %(w1)s; loaded_weights = true; }
    for (int i = 0; i < 2; ++i) y[i] = x[i] * w2[i] + table<ap_fixed<16,6> >()[i];
}
"""
_MANIFEST = """\
[top]
function = "myproject"
header = "top.h"
sources = ["top.cpp"]

[[inputs]]
name = "x"
type = "ap_fixed<16,6>"
shape = [2]

[[outputs]]
name = "y"
type = "ap_fixed<16,6>"
shape = [2]
"""

MODELS = {
    "axol1tl": {"w0": "1.5", "w1": "-2.0", "t0": "0.25", "t1": "3.0"},
    "cicada": {"w0": "-0.75", "w1": "4.0", "t0": "-1.0", "t1": "0.5"},
}


def _expected(name: str, x: np.ndarray) -> np.ndarray:
    """y = x*w + t in raw units of ap_fixed<16,6> (F = 10); every value here is exact, and no test value
    overflows.
    """
    m = {k: float(v) for k, v in MODELS[name].items()}
    w = np.array([m["w0"], m["w1"]]) * 1024
    t = np.array([m["t0"], m["t1"]]) * 1024
    return (x * w.astype(np.int64)) // 1024 + t.astype(np.int64)


@pytest.fixture(scope="module")
def libraries(design_dir: Path):
    libs = {}
    for name, values in MODELS.items():
        path = write_design(design_dir / name, header=_HEADER, source=_SOURCE % values, manifest=_MANIFEST)
        libs[name] = load_csim_manifest(path).build()
    return libs


X = np.array([[1024, 2048], [-512, 100], [0, -3000]], dtype=np.int64)


@pytest.mark.parametrize(
    "workers", [pytest.param(0, id="in-process"), pytest.param(1, id="worker-processes")]
)
def test_colliding_symbols_side_by_side(libraries, workers: int) -> None:
    runners = {name: CsimRunner(lib, workers=workers) for name, lib in libraries.items()}
    try:
        # interleave the first calls so each library's one-time initialisation runs while the other is loaded
        first = {name: r.run(X) for name, r in runners.items()}
        again = {name: r.run(X) for name, r in reversed(list(runners.items()))}
    finally:
        for r in runners.values():
            r.close()
    for name in MODELS:
        assert first[name].outputs["y"].tolist() == _expected(name, X).tolist(), name
        assert again[name].outputs["y"].tolist() == _expected(name, X).tolist(), name
    assert first["axol1tl"].outputs["y"].tolist() != first["cicada"].outputs["y"].tolist()


def test_warm_start_under_one_second(design_dir: Path, libraries) -> None:
    path = design_dir / "axol1tl" / "design.toml"
    t0 = time.perf_counter()
    lib = load_csim_manifest(path).build()
    with CsimRunner(lib) as runner:
        y = runner.run(X).outputs["y"]
    seconds = time.perf_counter() - t0
    assert y.tolist() == _expected("axol1tl", X).tolist()
    assert lib.path == libraries["axol1tl"].path
    assert seconds < 1.0, f"warm start took {seconds:.2f} s"


def test_compiler_error_points_at_user_file(design_dir: Path) -> None:
    bad = _SOURCE.replace(
        "static bool loaded_weights = false;", "static bool loaded_weights = false\n    oops;"
    )
    path = write_design(
        design_dir / "broken", header=_HEADER, source=bad % MODELS["cicada"], manifest=_MANIFEST
    )
    with pytest.raises(BuildError) as info:
        load_csim_manifest(path).build()
    message = str(info.value)
    user_file = str(design_dir / "broken" / "top.cpp")
    assert f"{user_file}:9:" in message
    assert "error:" in message
    assert "g++" in message or "c++" in message


def test_bridge_is_exported_under_hidden_visibility(design_dir: Path) -> None:
    flags = 'sources = ["top.cpp"]\nflags = ["-O1", "-fvisibility=hidden"]'
    manifest = _MANIFEST.replace('sources = ["top.cpp"]', flags)
    source = _SOURCE % MODELS["cicada"]
    path = write_design(design_dir / "hidden", header=_HEADER, source=source, manifest=manifest)
    with CsimRunner(load_csim_manifest(path).build(), workers=0) as runner:
        assert runner.run(X).outputs["y"].tolist() == _expected("cicada", X).tolist()
