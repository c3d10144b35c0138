"""THE PROOF: fwparity's layer models equal hls4ml's own C simulation, bit for bit, on every traced layer.

Each model below is a real Keras 3 model converted by hls4ml 1.3.0 (Vitis, io_parallel) and compiled by g++
against the real ap_types headers (tests/hls4ml_gen.py). The same 10,000 float64 vectors go through hls4ml's
csim (the independent oracle; its per-layer trace is read back as float64, exact for these widths) and through
``fwparity.emulate(model)``; every layer's raw integers must be identical. The models group several layers
each to limit compiles, and the precisions and vectors are chosen to provoke what breaks naive emulators:
rounding and saturating accumulators, narrow accumulators that wrap, ties at the input LSB, inputs outside the
input type, the activation tables' dead zone, tiny and wide tables, large softmax spreads (inp_norm_t wraps),
padding in pooling.

The Model comes from two places: ``fwparity.load_model(project_dir)`` (the importer reading the C++) and, as
an importer-independent cross-check, ``graph_model.model_from_graph`` (built from hls4ml's Python objects).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

import fwparity
from fwparity.fixed import FixedType

from .graph_model import model_from_graph

pytestmark = [
    pytest.mark.requires_keras,
    pytest.mark.requires_gxx,
    pytest.mark.requires_hls4ml,
    # Keras 3 on numpy 2 warns about __array__(copy=...) inside get_weights; not ours to fix.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:keras"),
]

N_VECTORS = int(os.environ.get("FWPARITY_PARITY_VECTORS", "10000"))

P16 = "ap_fixed<16,6>"


def _keras_thresholded() -> Any:
    from tests.hls4ml_gen import _import_keras

    keras = _import_keras()
    inp = keras.Input((8,), name="input_1")
    d = keras.layers.Dense(8, name="fc")(inp)
    t = keras.layers.ReLU(threshold=0.75, name="thr")(d)
    lr = keras.layers.LeakyReLU(negative_slope=0.1, name="leaky")(d)
    m = keras.Model(inp, [t, lr])
    rng = np.random.default_rng(5)
    m.get_layer("fc").set_weights(
        [rng.normal(0, 0.6, (8, 8)).astype("float32"), rng.uniform(-0.5, 0.5, 8).astype("float32")]
    )
    return m


#: name -> (spec or keras-model factory, make_project keyword arguments, input shape(s))
MODELS: dict[str, tuple[Any, dict[str, Any]]] = {
    "jet_tagger": (
        "jet",
        dict(input_shape=(16,), default_precision=P16),
    ),
    "dense_modes": (
        [
            {"kind": "dense", "units": 12, "name": "fc_exact"},
            {"kind": "dense", "units": 10, "name": "fc_rnd_sat"},
            {"kind": "dense", "units": 8, "name": "fc_wrap"},
            {"kind": "dense", "units": 6, "name": "fc_trnzero_sat"},
            {"kind": "dense", "units": 4, "name": "fc_out"},
        ],
        dict(
            input_shape=(10,),
            default_precision="ap_fixed<10,3>",
            precisions={
                "input_1": {"result": "ap_fixed<10,3,AP_RND,AP_SAT>"},
                # F_accum >= F_x + F_w and wide: the exact integer-matmul path.
                "fc_exact": {
                    "weight": "ap_fixed<8,2>",
                    "bias": "ap_fixed<8,2>",
                    "accum": "ap_fixed<32,12>",
                    "result": "ap_fixed<12,4,AP_RND_CONV,AP_SAT_SYM>",
                },
                # per-product rounding and a saturating accumulator narrow enough to saturate mid-sum
                "fc_rnd_sat": {
                    "weight": "ap_fixed<10,2>",
                    "accum": "ap_fixed<12,4,AP_RND,AP_SAT>",
                    "result": "ap_fixed<10,4,AP_RND_INF,AP_SAT>",
                },
                # a narrow wrapping accumulator: wraps often
                "fc_wrap": {"weight": "ap_fixed<9,3>", "accum": "ap_fixed<9,3>", "result": "ap_fixed<8,3>"},
                "fc_trnzero_sat": {
                    "accum": "ap_fixed<11,3,AP_TRN_ZERO,AP_SAT_ZERO>",
                    "result": "ap_ufixed<8,2,AP_RND_MIN_INF,AP_SAT>",
                },
                "fc_out": {
                    "accum": "ap_fixed<14,5,AP_RND_ZERO,AP_SAT_SYM>",
                    "result": "ap_fixed<9,4,AP_RND,AP_WRAP>",
                },
            },
        ),
    ),
    "dense_resource": (
        [
            {"kind": "dense", "units": 6, "name": "fc_rf3"},
            {"kind": "dense", "units": 4, "name": "fc_rf12"},
            {"kind": "dense", "units": 5, "name": "fc_rf8"},
        ],
        dict(
            input_shape=(12,),
            default_precision="ap_fixed<10,3>",
            strategy="Resource",
            precisions={
                "fc_rf3": {"accum": "ap_fixed<9,2,AP_TRN,AP_SAT>"},
                "fc_rf12": {"accum": "ap_fixed<9,2,AP_RND,AP_SAT>"},
                "fc_rf8": {"accum": "ap_fixed<8,2,AP_TRN,AP_SAT>"},
            },
            layer_config={
                "fc_rf3": {"ReuseFactor": 3},
                "fc_rf12": {"ReuseFactor": 12},
                "fc_rf8": {"ReuseFactor": 8},
            },
        ),
    ),
    "activations": (
        [
            {"kind": "dense", "units": 12, "name": "fc"},
            {"kind": "sigmoid", "name": "sigmoid", "inputs": ["fc"]},
            {"kind": "tanh", "name": "tanh_wide", "inputs": ["fc"]},
            {"kind": "softplus", "name": "softplus_tiny", "inputs": ["fc"]},
            {"kind": "softsign", "name": "softsign", "inputs": ["fc"]},
            {"kind": "elu", "name": "elu", "inputs": ["fc"]},
            {"kind": "selu", "name": "selu", "inputs": ["fc"]},
            {"kind": "hard_sigmoid", "name": "hard_sigmoid", "inputs": ["fc"]},
            {"kind": "leaky_relu", "negative_slope": 0.3, "name": "leaky", "inputs": ["fc"]},
            {"kind": "linear", "name": "linear", "inputs": ["fc"]},
            {"kind": "relu", "name": "relu", "inputs": ["fc"]},
            {"kind": "tanh", "name": "tanh_in", "inputs": ["input_1"]},
        ],
        dict(
            input_shape=(12,),
            default_precision=P16,
            outputs=[
                "sigmoid",
                "tanh_wide",
                "softplus_tiny",
                "softsign",
                "elu",
                "selu",
                "hard_sigmoid",
                "leaky",
                "linear",
                "relu",
                "tanh_in",
            ],
            precisions={
                "fc": {"accum": "ap_fixed<20,8>", "result": "ap_fixed<14,6,AP_RND,AP_SAT>"},
                "sigmoid": {"result": "ap_ufixed<8,0,AP_RND,AP_SAT>"},
                "tanh_wide": {"table": "ap_fixed<32,2>", "result": "ap_fixed<24,2,AP_RND,AP_SAT>"},
                "softplus_tiny": {"table": "ap_fixed<10,4,AP_RND,AP_SAT>", "result": "ap_fixed<10,4>"},
                "selu": {"table": "ap_fixed<16,4,AP_RND,AP_SAT>", "result": "ap_fixed<12,4,AP_RND,AP_SAT>"},
                "leaky": {"result": "ap_fixed<10,4,AP_RND,AP_SAT>"},
                "linear": {"result": "ap_fixed<8,3>"},
                "tanh_in": {
                    "table": "ap_fixed<12,2,AP_RND_CONV,AP_SAT>",
                    "result": "ap_fixed<9,2,AP_RND,AP_SAT>",
                },
            },
            layer_config={
                "softplus_tiny": {"TableSize": 64},
                "tanh_in": {"TableSize": 128},
                "elu": {"TableSize": 256},
            },
        ),
    ),
    "softmax": (
        [
            {"kind": "softmax", "name": "sm_stable", "inputs": ["input_1"]},
            {"kind": "softmax", "name": "sm_stable_small", "inputs": ["input_1"]},
            {"kind": "softmax", "name": "sm_latency", "inputs": ["input_1"]},
            {"kind": "softmax", "name": "sm_legacy", "inputs": ["input_1"]},
            {"kind": "softmax", "name": "sm_argmax", "inputs": ["input_1"]},
            {"kind": "dense", "units": 7, "name": "fc", "inputs": ["input_1"]},
            {"kind": "softmax", "name": "sm_after_dense", "inputs": ["fc"]},
        ],
        dict(
            input_shape=(5,),
            default_precision=P16,
            outputs=[
                "sm_stable",
                "sm_stable_small",
                "sm_latency",
                "sm_legacy",
                "sm_argmax",
                "sm_after_dense",
            ],
            precisions={
                "sm_stable_small": {
                    "exp_table": "ap_fixed<12,4,AP_RND,AP_SAT>",
                    "inv_table": "ap_fixed<12,6,AP_RND,AP_SAT>",
                    "accum": "ap_fixed<10,3,AP_RND,AP_SAT>",
                    "result": "ap_ufixed<8,0,AP_RND,AP_SAT>",
                },
                "sm_latency": {"result": "ap_fixed<18,8>"},
                "fc": {"accum": "ap_fixed<18,7>", "result": "ap_fixed<12,5,AP_RND,AP_SAT>"},
            },
            layer_config={
                "sm_stable_small": {"TableSize": 256},
                "sm_latency": {"Implementation": "latency"},
                "sm_legacy": {"Implementation": "legacy"},
                "sm_argmax": {"Implementation": "argmax"},
            },
        ),
    ),
    "conv2d_pool": (
        [
            {"kind": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same", "name": "conv_same"},
            {"kind": "maxpool2d", "pool_size": 2, "name": "maxpool"},
            {"kind": "conv2d", "filters": 3, "kernel_size": 2, "strides": 1, "name": "conv_valid"},
            {"kind": "avgpool2d", "pool_size": 2, "padding": "same", "name": "avgpool_same"},
            {"kind": "global_avgpool2d", "name": "gavg"},
            {"kind": "global_maxpool2d", "name": "gmax", "inputs": ["conv_same"]},
            {
                "kind": "conv2d",
                "filters": 2,
                "kernel_size": 3,
                "strides": 2,
                "name": "conv_s2",
                "inputs": ["input_1"],
            },
            {"kind": "flatten", "name": "flat", "inputs": ["avgpool_same"]},
            {"kind": "dense", "units": 4, "name": "fc_flat"},
        ],
        dict(
            input_shape=(8, 8, 2),
            default_precision="ap_fixed<12,4>",
            outputs=["gavg", "gmax", "conv_s2", "fc_flat"],
            precisions={
                "conv_same": {"accum": "ap_fixed<16,6>", "result": "ap_fixed<10,4,AP_RND,AP_SAT>"},
                "conv_valid": {"accum": "ap_fixed<10,3,AP_RND,AP_SAT>", "result": "ap_fixed<10,3>"},
                "avgpool_same": {"accum": "ap_fixed<12,5,AP_RND,AP_SAT>", "result": "ap_fixed<10,3>"},
                "gavg": {"accum": "ap_fixed<12,5>", "result": "ap_fixed<10,3>"},
            },
        ),
    ),
    "conv1d_pool": (
        [
            {"kind": "conv1d", "filters": 4, "kernel_size": 3, "padding": "same", "name": "conv_same"},
            {"kind": "avgpool1d", "pool_size": 3, "strides": 2, "padding": "same", "name": "avgpool"},
            {"kind": "maxpool1d", "pool_size": 2, "name": "maxpool"},
            {"kind": "global_maxpool1d", "name": "gmax"},
            {
                "kind": "conv1d",
                "filters": 3,
                "kernel_size": 4,
                "strides": 2,
                "name": "conv_s2",
                "inputs": ["input_1"],
            },
            {"kind": "global_avgpool1d", "name": "gavg"},
        ],
        dict(
            input_shape=(13, 2),
            default_precision="ap_fixed<12,4>",
            outputs=["gmax", "gavg"],
            precisions={
                "conv_same": {"accum": "ap_fixed<12,4,AP_RND,AP_SAT>", "result": "ap_fixed<12,4>"},
                "avgpool": {"accum": "ap_fixed<10,4,AP_TRN,AP_SAT>", "result": "ap_fixed<10,4>"},
                "conv_s2": {"accum": "ap_fixed<11,3>"},
                "gavg": {"accum": "ap_fixed<14,5,AP_RND,AP_SAT>", "result": "ap_fixed<8,3,AP_RND,AP_SAT>"},
            },
        ),
    ),
    "merge_batchnorm": (
        [
            {"kind": "add", "name": "add", "inputs": ["a", "b"]},
            {"kind": "subtract", "name": "sub", "inputs": ["a", "b"]},
            {"kind": "multiply", "name": "mul", "inputs": ["a", "b"]},
            {"kind": "average", "name": "avg", "inputs": ["a", "b"]},
            {"kind": "maximum", "name": "max", "inputs": ["a", "b"]},
            {"kind": "minimum", "name": "min", "inputs": ["a", "b"]},
            {"kind": "concatenate", "name": "cat", "inputs": ["a", "b"]},
            {"kind": "batchnorm", "name": "bn", "inputs": ["cat"]},
        ],
        dict(
            input_shape={"a": (6,), "b": (6,)},
            default_precision="ap_fixed<12,4>",
            outputs=["add", "sub", "mul", "avg", "max", "min", "bn"],
            precisions={
                "a": {"result": "ap_fixed<10,3,AP_RND,AP_SAT>"},
                "b": {"result": "ap_fixed<12,5>"},
                "add": {"result": "ap_fixed<8,3>"},
                "sub": {"result": "ap_fixed<10,4,AP_RND,AP_SAT>"},
                "mul": {"result": "ap_fixed<10,4,AP_RND_CONV,AP_WRAP>"},
                "avg": {"result": "ap_fixed<8,2,AP_RND,AP_SAT>"},
                "max": {"result": "ap_fixed<9,3>"},
                "bn": {
                    "scale": "ap_fixed<10,2>",
                    "bias": "ap_fixed<10,3>",
                    "result": "ap_fixed<10,4,AP_RND,AP_SAT>",
                },
            },
        ),
    ),
    "relu_variants": (
        _keras_thresholded,
        dict(
            input_shape=(8,),
            default_precision="ap_fixed<12,4>",
            precisions={
                "leaky": {"param": "ap_fixed<8,1,AP_RND>", "result": "ap_fixed<10,4,AP_RND,AP_SAT>"},
                "thr": {"param": "ap_fixed<8,3>"},
            },
        ),
    ),
}


def _vectors(t: FixedType, shape: tuple[int, ...], n: int, seed: int) -> np.ndarray:
    """Float64 vectors mixing full-range codes, LSB ties, the table dead zone, extremes and out-of-range
    values.
    """
    rng = np.random.default_rng(seed)
    lsb = 2.0**-t.frac_bits
    k = n // 8
    parts = [
        t.to_float(rng.integers(t.min_raw, t.max_raw + 1, size=(3 * k, *shape))),  # every code, uniformly
        (rng.integers(t.min_raw, t.max_raw, size=(k, *shape)) + 0.5) * lsb,  # exact ties at the input LSB
        rng.normal(0.0, 0.02, size=(k, *shape)),  # around zero: the tables' dead zone, rounding toward zero
        rng.normal(0.0, 1.0, size=(k, *shape)),  # the usual physics range
        rng.uniform(-2.0, 2.0, size=(k, *shape))
        * max(abs(t.to_float(np.array([t.min_raw]))[0]), 1.0),  # overflow
    ]
    ext = t.to_float(np.array([t.min_raw, t.max_raw, 0, -1, 1]))
    parts.append(rng.choice(ext, size=(n - 7 * k, *shape)))  # extremes: maximum spreads, saturation
    x = np.concatenate(parts, axis=0)
    return x[rng.permutation(len(x))]


@pytest.fixture(scope="session")
def project_cache(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return {"root": tmp_path_factory}


def _project(cache: dict[str, Any], name: str) -> Any:
    if name not in cache:
        from tests.hls4ml_gen import jet_tagger_spec, make_project

        spec, kwargs = MODELS[name]
        if spec == "jet":
            spec = jet_tagger_spec()
        elif callable(spec):
            spec = spec()
        cache[name] = make_project(cache["root"], spec, **kwargs)
    return cache[name]


def _inputs(project: Any, model: fwparity.Model) -> dict[str, np.ndarray]:
    return {t.name: _vectors(t.type, t.shape, N_VECTORS, seed=i + 7) for i, t in enumerate(model.inputs)}


def _assert_traces_equal(
    model: fwparity.Model,
    x: dict[str, np.ndarray],
    outputs: dict[str, np.ndarray],
    trace: dict[str, np.ndarray],
) -> None:
    __tracebackhide__ = True
    em = fwparity.emulate(model, x, trace=True)
    compared = 0
    for name, csim in {**trace, **outputs}.items():
        if name not in em.trace:
            continue
        t = em.trace_types[name]
        assert t.width <= 53, f"layer {name!r}: {t} is too wide for an exact float64 trace"
        expected = t.from_float(csim)
        # The csim's float64 values must lie exactly on the type's grid, or the raw comparison would
        # be vacuous.
        np.testing.assert_array_equal(
            t.to_float(expected), csim, err_msg=f"csim trace of {name!r} is off-grid"
        )
        got = em.trace[name].reshape(expected.shape)
        bad = np.argwhere(got != expected)
        assert bad.size == 0, (
            f"layer {name!r} ({model.layer(name).kind}, {t}): {len(bad)} of {got.size} values differ; "
            "first at "
            f"{tuple(bad[0])}: csim raw {expected[tuple(bad[0])]}, fwparity raw {got[tuple(bad[0])]}; inputs "
            f"{ {k: v[bad[0][0]].tolist() for k, v in x.items()} }"
        )
        compared += 1
    missing = {layer.name for layer in model.layers} - set(trace) - set(outputs)
    assert compared >= len(model.layers) - len(missing) and compared > 0
    # every layer that hls4ml keeps in its C++ is traced; only no-op reshapes may be absent
    assert all(model.layer(m).kind in ("flatten", "reshape") for m in missing), f"untraced layers {missing}"


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in MODELS])
def test_graph_model_is_bit_exact(project_cache: dict[str, Any], name: str) -> None:
    """The layer models, fed a Model built from hls4ml's Python objects, match the csim on every layer."""
    project = _project(project_cache, name)
    model = model_from_graph(project)
    x = _inputs(project, model)
    outputs, trace = project.trace(x if len(x) > 1 else next(iter(x.values())))
    project_cache[(name, "run")] = (x, outputs, trace)
    _assert_traces_equal(model, x, outputs, trace)


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in MODELS])
def test_load_model_is_bit_exact(project_cache: dict[str, Any], name: str) -> None:
    """``fwparity.emulate(fwparity.load_model(project_dir))`` matches the csim on every layer."""
    project = _project(project_cache, name)
    model = fwparity.load_model(project.dir)
    if (name, "run") in project_cache:
        x, outputs, trace = project_cache[(name, "run")]
    else:
        x = _inputs(project, model)
        outputs, trace = project.trace(x if len(x) > 1 else next(iter(x.values())))
    _assert_traces_equal(model, x, outputs, trace)
