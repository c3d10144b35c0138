"""A realistic Comparison for the renderers: three backends, two outputs, traces, overflows, a wide output,
and names that need escaping."""

from __future__ import annotations

import numpy as np
import pytest

from fwparity._backend import RunResult as Run
from fwparity.compare import Comparison, compare_runs

LAYERS = {
    "fc1": "ap_fixed<24,10>",
    "relu1": "ap_fixed<16,6>",
    "fc2": "ap_fixed<16,6,AP_RND,AP_SAT>",
    "softmax": "ap_ufixed<16,0>",
}


def make_comparison(
    *, mismatch: bool = True, model_name: str = "jets_3layer", output: str = "softmax", n: int = 500
) -> Comparison:
    rng = np.random.default_rng(2026)
    trace = {
        "fc1": rng.integers(-(1 << 23), 1 << 23, size=(n, 8)),
        "relu1": rng.integers(0, 1 << 15, size=(n, 8)),
        "fc2": rng.integers(-(1 << 15), 1 << 15, size=(n, 5)),
        output: rng.integers(0, 1 << 16, size=(n, 5)),
    }
    ref = Run(
        "reference",
        {output: trace[output], "wide": np.full((n, 1), (1 << 99) - 1, dtype=object)},
        trace=trace,
        overflows={"fc1": 0, "relu1": 3, "fc2": 41, output: 0},
        seconds=0.05,
    )
    dut_trace = {k: v.copy() for k, v in trace.items()}
    wide = ref.outputs["wide"].copy()
    if mismatch:
        dut_trace["fc2"][7::50, 1] += 1  # rounding in fc2 ...
        dut_trace[output][7::50, 1] += 1  # ... carried to the output
        dut_trace[output][13, 4] = 0  # one saturation-like miss (a rail against something else)
        dut_trace[output][13, 0] ^= 1 << 15
        wide[21, 0] = -3
    csim = Run("csim", {output: dut_trace[output], "wide": wide}, trace=dut_trace, seconds=1.25)
    rtl = Run("rtl", {output: trace[output].copy(), "wide": ref.outputs["wide"].copy()}, seconds=3.5)
    return compare_runs(
        [ref, csim, rtl],
        inputs={"x": rng.integers(-(1 << 15), 1 << 15, size=(n, 16))},
        output_types={output: LAYERS["softmax"], "wide": "ap_fixed<100,40,AP_TRN,AP_SAT>"},
        layer_types={**{k: v for k, v in LAYERS.items() if k != "softmax"}, output: LAYERS["softmax"]},
        vector_source="random",
        seed=7,
        model_name=model_name,
        max_listed=30,
    )


@pytest.fixture
def mismatch_comparison() -> Comparison:
    return make_comparison()


@pytest.fixture
def parity_comparison() -> Comparison:
    return make_comparison(mismatch=False)


@pytest.fixture
def comparison_factory():
    """make_comparison itself, for tests needing other names or sizes (conftest cannot be imported)."""
    return make_comparison
