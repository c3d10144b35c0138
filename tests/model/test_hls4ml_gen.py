"""The test-project generator itself: its no-recompile trace() must equal hls4ml's own trace(), because every
bit-exactness proof in the suite reads csim through it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tests.hls4ml_gen import make_project

pytestmark = [pytest.mark.requires_keras, pytest.mark.requires_gxx, pytest.mark.requires_hls4ml]


def test_trace_equals_hls4ml_trace_without_recompiling(tmp_path_factory) -> None:
    spec = [("dense", 6), ("relu",), ("dense", 4), ("tanh",), ("dense", 3), ("softmax",)]
    project = make_project(
        tmp_path_factory, spec, input_shape=(5,), default_precision="ap_fixed<14,5>", seed=11
    )
    assert make_project(
        tmp_path_factory, spec, input_shape=(5,), default_precision="ap_fixed<14,5>", seed=11
    ) is (project)
    x = np.random.default_rng(0).normal(0.0, 2.0, size=(64, 5))
    outputs, trace = project.trace(x)
    predicted = project.predict(x)
    assert list(outputs) == list(predicted) == ["softmax6"]
    np.testing.assert_array_equal(outputs["softmax6"], predicted["softmax6"])
    assert list(trace) == ["dense1", "relu2", "dense3", "tanh4", "dense5", "softmax6"]
    # hls4ml's own trace recompiles the project with tracing (slow) and is the reference here
    # (this test's project is private to it: the recompile rewrites its directory)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y_ref, trace_ref = project.hls_model.trace(np.ascontiguousarray(x))
    np.testing.assert_array_equal(y_ref, outputs["softmax6"])
    assert set(trace_ref) == set(trace)
    for name, values in trace_ref.items():
        np.testing.assert_array_equal(values, trace[name], err_msg=name)
    # the values are on the types' grids and not trivially zero
    assert np.count_nonzero(trace["dense1"]) > trace["dense1"].size // 2
    assert np.array_equal(trace["dense1"] * 2**9, np.round(trace["dense1"] * 2**9))
