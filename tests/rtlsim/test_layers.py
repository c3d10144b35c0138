"""Every generated layer module against the reference layer (fwparity.emulate), layer by layer.

One model fans a single input out to one branch per layer kind, every branch a model output, so the whole
table
costs one Verilator build. Inputs cover the full raw range (logit spreads past 2**(I-1), the LUT dead zone,
both rails), with overflow-prone types so saturation and wrapping paths are exercised.
"""

from __future__ import annotations

import numpy as np
import pytest

import fwparity
from fwparity.model import Layer, Model, Tensor
from fwparity.rtlsim import build_harness, generate, run_batch

pytestmark = pytest.mark.requires_verilator

T = "ap_fixed<16,6>"
N_IN = 8
N_VECTORS = 10_000


def _branches(rng: np.random.Generator) -> list[Layer]:
    n = (N_IN,)
    return [
        Layer("relu", "relu", ["x"], n, {"result": "ap_fixed<10,4,AP_RND,AP_SAT>"}),
        Layer("linear", "linear", ["x"], n, {"result": "ap_fixed<8,3,AP_RND_CONV,AP_WRAP,2>"}),
        Layer(
            "leaky", "leaky_relu", ["x"], n, {"param": "ap_fixed<8,1>", "result": T}, options={"alpha": 38}
        ),
        Layer(
            "relu6", "relu_max", ["x"], n, {"result": "ap_ufixed<8,3,AP_RND>"}, options={"max_value": 6 << 10}
        ),
        Layer(
            "thresh",
            "thresholded_relu",
            ["x"],
            n,
            {"param": "ap_fixed<8,4>", "result": T},
            options={"theta": 13},
        ),
        Layer(
            "sigmoid",
            "sigmoid",
            ["x"],
            n,
            {"table": "ap_fixed<18,8>", "result": T},
            options={"table_size": 1024},
        ),
        Layer(
            "tanh",
            "tanh",
            ["x"],
            n,
            {"table": "ap_fixed<18,8>", "result": "ap_fixed<12,2,AP_RND,AP_SAT>"},
            options={"table_size": 512},
        ),
        Layer("softmax", "softmax", ["x"], n, {"result": T}, options={"implementation": "stable"}),
        Layer(
            "softmax_lat",
            "softmax",
            ["x"],
            n,
            {"result": "ap_ufixed<16,1>"},
            options={"implementation": "latency", "table_size": 1024},
        ),
        Layer(
            "bn",
            "batchnorm",
            ["x"],
            n,
            {"scale": "ap_fixed<12,3>", "bias": "ap_fixed<12,5>", "result": "ap_fixed<16,6,AP_RND,AP_SAT>"},
            weights={"scale": rng.integers(-2048, 2048, N_IN), "bias": rng.integers(-2048, 2048, N_IN)},
            options={"n_filt": N_IN},
        ),
        Layer("add", "add", ["x", "relu"], n, {"result": "ap_fixed<16,6,AP_TRN,AP_SAT>"}),
        Layer("sub", "subtract", ["x", "linear"], n, {"result": T}),
        Layer("mul", "multiply", ["x", "linear"], n, {"result": "ap_fixed<16,4,AP_RND_INF,AP_SAT_SYM>"}),
        Layer("avg", "average", ["x", "relu"], n, {"result": T}),
        Layer("max", "maximum", ["x", "linear"], n, {"result": T}),
        Layer("min", "minimum", ["x", "linear"], n, {"result": T}),
        Layer(
            "cat",
            "concatenate",
            ["x", "relu"],
            (2 * N_IN,),
            {"result": "ap_fixed<12,5,AP_RND,AP_SAT>"},
            options={"axis": -1},
        ),
        Layer(
            "dense_sat",
            "dense",
            ["x"],
            (5,),
            {
                "weight": "ap_fixed<8,2>",
                "bias": "ap_fixed<8,4>",
                "accum": "ap_fixed<14,5,AP_RND,AP_SAT>",
                "result": "ap_fixed<10,4,AP_RND_ZERO,AP_SAT_ZERO>",
            },
            weights={"weight": rng.integers(-128, 128, (N_IN, 5)), "bias": rng.integers(-128, 128, 5)},
            options={"n_in": N_IN, "n_out": 5},
        ),
        Layer(
            "dense_wrap",
            "dense",
            ["relu"],
            (3,),
            {"weight": "ap_ufixed<6,1>", "bias": "ap_fixed<8,4>", "accum": "ap_fixed<12,4>", "result": T},
            weights={"weight": rng.integers(0, 64, (N_IN, 3)), "bias": rng.integers(-128, 128, 3)},
            options={"n_in": N_IN, "n_out": 3},
        ),
    ]


@pytest.fixture(scope="module")
def layer_model() -> Model:
    rng = np.random.default_rng(7)
    layers = _branches(rng)
    return Model("layers", [Tensor("x", (N_IN,), T)], layers, [layer.name for layer in layers])


@pytest.fixture(scope="module")
def results(layer_model: Model, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    rng = np.random.default_rng(11)
    x = rng.integers(-(1 << 15), 1 << 15, size=(N_VECTORS, N_IN))
    x[: N_VECTORS // 4] >>= 6  # a quarter with small values: the LUT dead zone and in-range softmax spreads
    design = generate(layer_model, tmp_path_factory.mktemp("layers"))
    actual, _, _ = run_batch(build_harness(design), {"x": x})
    expected = fwparity.emulate(layer_model, {"x": x}).raw
    return expected, actual


@pytest.mark.parametrize("name", [layer.name for layer in _branches(np.random.default_rng(7))])
def test_layer_matches_reference(name: str, results: tuple[dict, dict]) -> None:
    expected, actual = results
    exp, act = np.asarray(expected[name]), np.asarray(actual[name])
    assert act.shape == exp.shape
    bad = np.argwhere(act != exp)
    assert bad.size == 0, (
        f"{len(bad)} elements differ; first at (vector, element) {tuple(bad[0])}: "
        f"rtl {act[tuple(bad[0])]!r}, reference {exp[tuple(bad[0])]!r}"
    )


def test_branches_are_not_trivial(results: tuple[dict, dict]) -> None:
    # A constant output would match a broken module too; every branch must produce many distinct codes.
    expected, _ = results
    for name, arr in expected.items():
        assert len(np.unique(arr)) > 8, name
