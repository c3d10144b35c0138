"""The importer on real hls4ml 1.3.0 projects, checked against the projects' own C++ (compiled with g++).

Every project is written by hls4ml from a Keras 3 model (``tests/hls4ml_gen.py``, ``compile=False``: the
importer reads files, it needs no hls4ml build). The oracle (``tests/model/cpp_oracle.py``) compiles a dump
program against each project's own headers and weights files, so "raw-equal to what the C++ uses" is checked
against g++ and the real ap_types headers, not against fwparity's own quantizer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fwparity.errors import UnsupportedLayer
from fwparity.fixed import FixedType
from fwparity.model import Layer, Model, load_model
from tests.hls4ml_gen import GeneratedProject, jet_tagger_spec, keras_weights, make_project
from tests.model.cpp_oracle import cpp_facts

pytestmark = [pytest.mark.requires_keras, pytest.mark.requires_gxx]

ZOO = [
    {"kind": "dense", "units": 8, "name": "fc1"},
    {"kind": "leaky_relu", "negative_slope": 0.1, "name": "leaky"},
    {"kind": "batchnorm", "name": "bn"},
    {"kind": "elu", "name": "elu"},
    {"kind": "tanh", "name": "tanh"},
    {"kind": "dense", "units": 6, "name": "fc2"},
    {"kind": "sigmoid", "name": "sigm"},
    {"kind": "softplus", "name": "splus"},
    {"kind": "softsign", "name": "ssign"},
    {"kind": "hard_sigmoid", "name": "hsig"},
    {"kind": "dense", "units": 5, "name": "fc3"},
    {"kind": "softmax", "name": "softmax"},
]
ZOO_PRECISIONS = {
    "input_1": {"result": "ap_fixed<12,4,AP_RND,AP_SAT>"},
    # few fractional bits: hls4ml prints 3 decimals, so the decimal rounding before the floor matters
    "fc1": {
        "weight": "ap_fixed<6,3>",
        "bias": "ap_fixed<8,3,AP_RND_CONV,AP_SAT_SYM>",
        "accum": "ap_fixed<24,10>",
    },
    # more fractional bits than a double has: the wide exact path
    "fc2": {"weight": "ap_fixed<70,4>", "bias": "ap_ufixed<10,2>", "accum": "ap_fixed<30,10,AP_RND,AP_SAT>"},
    "bn": {"scale": "ap_fixed<10,3,AP_RND>", "bias": "ap_fixed<10,3,AP_TRN_ZERO,AP_SAT>"},
    "tanh": {"table": "ap_fixed<14,2,AP_RND,AP_SAT>"},
    "softmax": {"exp_table": "ap_fixed<16,6,AP_RND,AP_SAT>", "accum": "ap_fixed<20,10,AP_RND,AP_SAT>"},
}
ZOO_CONFIG = {"tanh": {"TableSize": 512}, "softmax": {"Implementation": "latency", "TableSize": 256}}

CASES: dict[str, dict[str, Any]] = {
    "jet-tagger": dict(spec=jet_tagger_spec(), input_shape=(16,)),
    "zoo": dict(
        spec=ZOO,
        input_shape=(5,),
        default_precision="ap_fixed<16,6>",
        precisions=ZOO_PRECISIONS,
        layer_config=ZOO_CONFIG,
        seed=3,
    ),
    "resource": dict(
        spec=[("dense", 6), ("relu",), ("dense", 3)],
        input_shape=(4,),
        strategy="Resource",
        layer_config={"dense1": {"ReuseFactor": 2}},
        seed=5,
    ),
    "conv1d": dict(
        spec=[
            {"kind": "conv1d", "filters": 3, "kernel_size": 3, "padding": "same"},
            ("relu",),
            ("maxpool1d", 2),
            {"kind": "conv1d", "filters": 2, "kernel_size": 2},
            ("avgpool1d", 2),
            ("flatten",),
            ("dense", 3),
        ],
        input_shape=(10, 2),
        seed=1,
    ),
    "conv2d": dict(
        spec=[
            {"kind": "conv2d", "filters": 2, "kernel_size": 3, "padding": "same"},
            ("relu",),
            ("maxpool2d", 2),
            {"kind": "conv2d", "filters": 3, "kernel_size": 2},
            ("global_avgpool2d",),
        ],
        input_shape=(6, 6, 2),
        seed=2,
    ),
    "namespace-h-only": dict(
        spec=[("dense", 4), ("relu",), ("dense", 2)],
        input_shape=(3,),
        namespace="trig",
        write_weights_txt=False,
        project_name="l1top",
        seed=4,
    ),
    "two-inputs-two-outputs": dict(
        spec=[
            {"kind": "dense", "units": 4, "name": "da", "inputs": ["a"]},
            {"kind": "dense", "units": 4, "name": "db", "inputs": ["b"]},
            {"kind": "add", "name": "sum", "inputs": ["da", "db"]},
            {"kind": "multiply", "name": "mul", "inputs": ["sum", "db"]},
            {"kind": "concatenate", "name": "cat", "inputs": ["mul", "da"]},
            {"kind": "dense", "units": 2, "name": "head", "inputs": ["cat"]},
        ],
        input_shape={"a": (3,), "b": (3,)},
        outputs=["head", "sum"],
        seed=6,
    ),
}


@pytest.fixture(scope="module", params=list(CASES), ids=list(CASES))
def case(request, tmp_path_factory) -> tuple[str, GeneratedProject, Model, Any]:
    name = request.param
    kw = dict(CASES[name])
    project = make_project(tmp_path_factory, kw.pop("spec"), compile=False, **kw)
    model = load_model(project.dir)
    facts = cpp_facts(project.dir, project.hls_model, tmp_path_factory.mktemp(f"oracle-{name}"))
    return name, project, model, facts


def _hls_layers(project: GeneratedProject) -> dict[str, Any]:
    return {layer.name: layer for layer in project.hls_model.get_layers() if layer.class_name != "InputLayer"}


def _cpp_order(layer: Layer, key: str) -> np.ndarray:
    """A Model weight back in the C++ array's flat order (hls4ml transposes for the Resource strategy)."""
    w = layer.weights[key]
    if key == "weight" and layer.options.get("strategy") == "resource":
        w = np.moveaxis(w, -1, 0)
    return w.reshape(-1)


def _spec(t: FixedType) -> tuple[int, int, bool, str, str]:
    return (t.width, t.int_bits, t.signed, t.quantization.value, t.overflow.value)


def test_every_layer_is_imported_under_its_hls4ml_name(case) -> None:
    name, project, model, _ = case
    hls = _hls_layers(project)
    imported = {layer.name for layer in model.layers}
    # hls4ml's Flatten/Reshape are no-op aliases in the C++ and have no function; everything else is a call
    expected = {n for n, layer in hls.items() if layer.get_attr("function_cpp", None)}
    assert expected <= imported
    assert {layer.kind for layer in model.layers} - {"flatten", "reshape"} <= {
        "dense",
        "relu",
        "leaky_relu",
        "batchnorm",
        "elu",
        "tanh",
        "sigmoid",
        "softplus",
        "softsign",
        "hard_sigmoid",
        "softmax",
        "conv1d",
        "conv2d",
        "maxpool1d",
        "avgpool1d",
        "maxpool2d",
        "global_avgpool2d",
        "add",
        "multiply",
        "concatenate",
    }


def test_types_match_the_cpp_typedefs(case) -> None:
    _, project, model, facts = case
    hls = _hls_layers(project)
    checked = 0
    for layer in model.layers:
        if layer.name not in hls:
            continue
        hl = hls[layer.name]
        for key, t in layer.types.items():
            hls_type = hl.types.get(f"{key}_t")
            if key == "result":
                hls_type = hl.get_output_variable().type
            if hls_type is None or hls_type.name not in facts.types:
                continue
            assert _spec(t) == facts.types[hls_type.name], (layer.name, key, hls_type.name)
            checked += 1
    for t in model.inputs:
        var = next(v for v in project.hls_model.get_input_variables() if v.name == t.name)
        assert _spec(t.type) == facts.types[var.type.name]
        checked += 1
    assert checked >= len(model.layers)


def test_weights_are_raw_equal_to_what_the_cpp_holds(case) -> None:
    _, project, model, facts = case
    hls = _hls_layers(project)
    compared = 0
    for layer in model.layers:
        for key in layer.weights:
            array = hls[layer.name].weights[key].name
            got = np.asarray(_cpp_order(layer, key), dtype=object)
            want = facts.arrays[array].astype(object)
            assert got.shape == want.shape and (got == want).all(), (layer.name, key, array)
            compared += 1
    assert compared == len(facts.arrays)


def test_weight_layout_is_keras_layout(case) -> None:
    """Model weights keep Keras' axes ((n_in, n_out), (k, c_in, n_filt), ...) whatever the C++ order, and
    equal hls4ml's documented path T(strtod(f'{w:.{F}f}')) with F = max(0, fractional bits)."""
    _, project, model, _ = case
    for layer in model.layers:
        if layer.kind not in ("dense", "conv1d", "conv2d"):
            continue
        kernel, bias = keras_weights(project, layer.name)
        for key, values in (("weight", kernel), ("bias", bias)):
            t = layer.types[key]
            decimals = max(0, t.frac_bits)
            printed = np.array([float(f"{float(v):.{decimals}f}") for v in values.reshape(-1)])
            want = t.from_float(printed).reshape(values.shape)
            assert layer.weights[key].shape == values.shape
            assert (np.asarray(layer.weights[key], dtype=object) == np.asarray(want, dtype=object)).all(), (
                layer.name,
                key,
            )


def test_graph_inputs_and_outputs(case) -> None:
    name, project, model, _ = case
    assert [t.name for t in model.inputs] == [v.name for v in project.hls_model.get_input_variables()]
    assert [t.shape for t in model.inputs] == [
        tuple(v.shape) for v in project.hls_model.get_input_variables()
    ]
    assert model.outputs == project.output_names
    assert model.name == project.hls_model.config.get_project_name()


def test_import_is_deterministic_and_round_trips(case, tmp_path: Path) -> None:
    _, project, model, _ = case
    assert load_model(project.dir).sha256() == model.sha256()
    assert load_model(project.dir / "firmware").sha256() == model.sha256()
    model.save(tmp_path / "m.h5")
    assert load_model(tmp_path / "m.h5") == model


def test_zoo_options_follow_the_config(tmp_path_factory) -> None:
    kw = dict(CASES["zoo"])
    project = make_project(tmp_path_factory, kw.pop("spec"), compile=False, **kw)
    m = load_model(project.dir)
    assert m.layer("tanh").options == {"table_size": 512}
    sm = m.layer("softmax")
    assert sm.options["implementation"] == "latency"
    # the softmax struct carries exp/inv table sizes; table_size is activ_config's default, unused by softmax
    assert (sm.options["exp_table_size"], sm.options["inv_table_size"], sm.options["table_size"]) == (
        256,
        256,
        1024,
    )
    assert str(sm.types["accum"]) == "ap_fixed<20,10,AP_RND,AP_SAT>"
    # hls4ml 1.3.0 records exp_table: ap_fixed<16,6,...> in hls4ml_config.yml but writes the default into
    # defines.h; the C++ is what runs, which is why the importer reads types from the C++ and not the yaml
    assert str(sm.types["exp_table"]) == "ap_fixed<18,8,AP_RND,AP_SAT>"
    assert "exp_table: ap_fixed<16,6,AP_RND,AP_SAT>" in (project.dir / "hls4ml_config.yml").read_text()
    leaky = m.layer("leaky")
    # alpha is passed as a literal 0.1 and becomes param_t(0.1): floor(0.1 * 2^10) on ap_fixed<16,6>
    assert (str(leaky.types["param"]), leaky.options["alpha"]) == ("ap_fixed<16,6>", 102)
    hsig = m.layer("hsig")
    assert (str(hsig.types["slope"]), hsig.options["slope"]) == ("ap_ufixed<16,0>", 13107)
    assert (str(hsig.types["shift"]), hsig.options["shift"]) == ("ap_ufixed<2,0>", 2)
    assert m.layer("fc2").weights["weight"].dtype == object  # 70-bit weights stay exact


def test_resource_strategy_and_reuse_factor_are_recorded(tmp_path_factory) -> None:
    kw = dict(CASES["resource"])
    project = make_project(tmp_path_factory, kw.pop("spec"), compile=False, **kw)
    m = load_model(project.dir)
    assert m.layer("dense1").options == {"n_in": 4, "n_out": 6, "strategy": "resource", "reuse_factor": 2}
    assert m.layer("dense3").options == {"n_in": 6, "n_out": 3, "strategy": "resource", "reuse_factor": 1}


ZEROPAD_CASES = {
    "zeropad1d-conv1d": dict(
        spec=[
            {"kind": "zeropad1d", "padding": (2, 1)},
            {"kind": "conv1d", "filters": 2, "kernel_size": 3},
            ("relu",),
        ],
        input_shape=(6, 2),
    ),
    # the conv's own "same" pads add to the explicit padding's
    "zeropad2d-conv2d": dict(
        spec=[
            {"kind": "zeropad2d", "padding": ((1, 0), (0, 2))},
            {"kind": "conv2d", "filters": 2, "kernel_size": 2, "padding": "same"},
        ],
        input_shape=(4, 4, 2),
    ),
}


@pytest.mark.requires_hls4ml
@pytest.mark.parametrize("name", list(ZEROPAD_CASES))
def test_zero_padding_folded_into_the_conv_is_bit_exact(tmp_path_factory, name: str) -> None:
    """hls4ml writes Keras ZeroPadding as nnet::zeropad*_cl; the importer folds it into the conv's pads, and
    the reference on that Model matches hls4ml's csim on the conv output, bit for bit."""
    import fwparity

    kw = dict(ZEROPAD_CASES[name])
    project = make_project(tmp_path_factory, kw.pop("spec"), seed=8, **kw)
    model = load_model(project.dir)
    assert [layer.kind for layer in model.layers if layer.kind not in ("relu", "linear")] == [
        name.split("-")[-1]
    ]
    conv = model.layers[-1] if model.layers[-1].kind.startswith("conv") else model.layers[-2]
    if name == "zeropad2d-conv2d":
        assert conv.inputs == ["input_1"]
        assert [conv.options[k] for k in ("pad_top", "pad_bottom", "pad_left", "pad_right")] == [1, 1, 0, 3]
    in_shape = model.inputs[0].shape
    x = np.random.default_rng(3).normal(0.0, 3.0, size=(300, *in_shape))
    outputs, trace = project.trace(x)
    emulated = fwparity.emulate(model, x, trace=True)
    want = conv.types["result"].from_float(trace[conv.name].reshape(300, *conv.shape))
    assert np.array_equal(emulated.trace[conv.name], want)
    for out_name, values in outputs.items():
        t = model.output_types[out_name]
        assert np.array_equal(emulated.raw[out_name], t.from_float(values))


def test_zero_padding_with_a_cast_keeps_the_cast(tmp_path_factory, tmp_path: Path) -> None:
    """hls4ml 1.3.0 always gives ZeroPadding its input's type (a result precision in the config is ignored),
    so the cast path is checked on a copy of a generated project whose padding type was edited by hand."""
    import shutil

    kw = dict(ZEROPAD_CASES["zeropad2d-conv2d"])
    project = make_project(tmp_path_factory, kw.pop("spec"), seed=8, compile=False, **kw)
    copy = tmp_path / "prj"
    shutil.copytree(project.dir, copy)
    defines = copy / "firmware" / "defines.h"
    text = defines.read_text()
    assert "typedef ap_fixed<16,6> layer2_t;" in text
    defines.write_text(
        text.replace("typedef ap_fixed<16,6> layer2_t;", "typedef ap_fixed<9,3,AP_RND,AP_SAT> layer2_t;")
    )
    model = load_model(copy)
    cast, conv = model.layers
    assert (cast.name, cast.kind, cast.inputs, cast.shape) == (
        "zeropad2d1_cast",
        "linear",
        ["input_1"],
        (4, 4, 2),
    )
    assert str(cast.types["result"]) == "ap_fixed<9,3,AP_RND,AP_SAT>"
    assert conv.inputs == ["zeropad2d1_cast"]


def test_zero_padding_before_pooling_is_unsupported(tmp_path_factory) -> None:
    project = make_project(
        tmp_path_factory,
        [{"kind": "zeropad1d", "padding": (1, 1)}, ("maxpool1d", 2)],
        input_shape=(6, 2),
        compile=False,
    )
    with pytest.raises(UnsupportedLayer) as info:
        load_model(project.dir)
    assert str(info.value) == (
        "Layer 'zeropad1d1': nnet::zeropad1d_cl is supported only when a single conv1d reads it; call: "
        "nnet::zeropad1d_cl<input_t, layer2_t, config2>(input_1, layer2_out); // zeropad1d1"
    )
