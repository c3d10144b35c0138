"""Wrapped hls4ml projects: fwparity's raw-bit csim of the project's own C++ against hls4ml's own csim
(predict and
trace through hls4ml's float64 bridge, exact for these widths), layer by layer."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from fwparity.csim import CsimRunner, build_hls4ml_project, find_hls4ml_project
from fwparity.errors import FormatError

pytestmark = [
    pytest.mark.requires_keras,
    pytest.mark.requires_hls4ml,
    pytest.mark.requires_gxx,
    # Keras 3 with numpy 2 warns inside get_weights(); not ours to fix
    pytest.mark.filterwarnings("ignore::DeprecationWarning:keras"),
]


def _raw_inputs(runner: CsimRunner, n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        p.name: rng.integers(p.min_raw, p.max_raw + 1, size=(n, p.size))
        for p in runner.ports
        if p.direction == "in"
    }


def _floats(runner: CsimRunner, raw: dict[str, np.ndarray]) -> list[np.ndarray]:
    return [raw[p.name] * 2.0**-p.frac_bits for p in runner.ports if p.direction == "in"]


def _to_raw(values: np.ndarray, frac_bits: int) -> np.ndarray:
    scaled = values * 2.0**frac_bits
    assert np.array_equal(scaled, np.round(scaled)), "hls4ml's float64 output is not on the type grid"
    return scaled.astype(np.int64)


@pytest.mark.parametrize("which", ["jet", "mixed", "streamed"])
def test_outputs_match_hls4ml_predict(which: str, request) -> None:
    project = request.getfixturevalue(which)
    lib = build_hls4ml_project(project.dir)
    with CsimRunner(lib) as runner:
        raw = _raw_inputs(runner, 3000, seed=1)
        ours = runner.run(raw)
        outs = [p for p in runner.ports if p.direction == "out"]
    theirs = project.predict(_floats(runner, raw))
    assert len(outs) == len(project.output_names) == 1
    expected = _to_raw(theirs[project.output_names[0]], outs[0].frac_bits)
    got = ours.outputs[outs[0].name]
    assert np.array_equal(got, expected.reshape(got.shape))
    assert len(np.unique(got)) > 50  # random inputs give varied outputs, not a constant


@pytest.mark.parametrize("which", ["jet", "mixed", "streamed"])
def test_every_layer_traced_matches_hls4ml_trace(which: str, request) -> None:
    project = request.getfixturevalue(which)
    lib = build_hls4ml_project(project.dir)
    with CsimRunner(lib) as runner:
        raw = _raw_inputs(runner, 200, seed=2)
        ours = runner.run(raw, trace=True)
        points = {p.name: p for p in runner.trace_points}
    _, theirs = project.trace(_floats(runner, raw))
    assert set(ours.trace) == set(theirs) and theirs
    for layer, values in theirs.items():
        expected = _to_raw(values.reshape(len(values), -1), points[layer].frac_bits)
        assert np.array_equal(ours.trace[layer], expected), layer


def test_namespace_and_io_are_found(mixed) -> None:
    project = find_hls4ml_project(mixed.dir)
    sig = project.signature
    assert sig.namespace == "mixed_ns"
    assert [(p.name, p.direction, p.size) for p in sig.args] == [
        ("in_a", "in", 8),
        ("in_b", "in", 8),
        (sig.outputs[0].name, "out", 4),
    ]


def test_project_is_compiled_with_its_own_headers_and_left_untouched(jet, tmp_path: Path) -> None:
    copy = tmp_path / "prj"
    shutil.copytree(jet.dir, copy, ignore=shutil.ignore_patterns("*.so", "*.o"))
    activation = copy / "firmware" / "nnet_utils" / "nnet_activation.h"
    # an "older" bundled nnet_utils whose relu lets negative values through: csim must run this copy's code
    text = activation.read_text()
    patched = text.replace(
        "        else\n            res[ii] = 0;\n", "        else\n            res[ii] = datareg;\n", 1
    )
    assert patched != text
    activation.write_text(patched)
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(copy.rglob("*")) if p.is_file()}
    x = {"input_1": np.random.default_rng(5).integers(-(2**15), 2**15, size=(64, 16))}
    with (
        CsimRunner(build_hls4ml_project(copy)) as patched_runner,
        CsimRunner(build_hls4ml_project(jet.dir)) as orig,
    ):
        a = patched_runner.run(x, trace=True).trace["relu1"]
        b = orig.run(x, trace=True).trace["relu1"]
    assert (a < 0).any() and not (b < 0).any()
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(copy.rglob("*")) if p.is_file()}
    assert after == before


@pytest.mark.parametrize(
    ("files", "message"),
    [
        pytest.param(
            {},
            r"^'.*' is not an hls4ml project: no build_lib\.sh PROJECT=, hls4ml_config\.yml ProjectName or "
            r"single "
            r"\*_bridge\.cpp names the top$",
            id="empty-dir",
        ),
        pytest.param(
            {"build_lib.sh": "PROJECT=myproject\n"},
            r"^'.*': missing 'firmware/myproject\.h'$",
            id="no-header",
        ),
        pytest.param(
            {
                "build_lib.sh": "PROJECT=myproject\n",
                "firmware/myproject.h": "void myproject(input_t *x, result_t y[5]);\n",
                "firmware/myproject.cpp": "",
            },
            r"^'.*myproject\.h': argument 'input_t \*x' of myproject is neither an array 'type name\[size\]' "
            r"\(io_parallel\) nor a stream 'hls::stream<type> &name' \(io_stream\)$",
            id="pointer-argument",
        ),
    ],
)
def test_not_a_project(tmp_path: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    with pytest.raises(FormatError, match=message):
        find_hls4ml_project(tmp_path)
