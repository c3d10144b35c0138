"""C++ emitted from a Model: against hls4ml's own csim of the project the Model was imported from (independent
oracle), against the numpy reference on a hand-built Model (no Keras involved), and through CsimBackend."""

from __future__ import annotations

import numpy as np
import pytest

from fwparity._backend import get_backend
from fwparity.csim import CsimBackend, CsimRunner, build_model, emit_model
from fwparity.errors import UnsupportedLayer
from fwparity.model import Layer, Model, Tensor

pytestmark = [pytest.mark.requires_gxx, pytest.mark.requires_hls4ml]

KERAS = [pytest.mark.requires_keras, pytest.mark.filterwarnings("ignore::DeprecationWarning:keras")]


def _rand(t: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    from fwparity.fixed import FixedType

    ft = FixedType.parse(t)
    return rng.integers(ft.min_raw, ft.max_raw + 1, size=shape)


def _hand_model() -> Model:
    """Every emitted kind, with RND/SAT and wrapping types, built directly (no Keras, no hls4ml project)."""
    rng = np.random.default_rng(11)
    x = Tensor("x", (6,), "ap_fixed<10,4>")
    y = Tensor("y", (4,), "ap_fixed<12,3,AP_RND,AP_SAT>")
    wt, bt = "ap_fixed<8,2>", "ap_fixed<10,3>"
    layers = [
        Layer(
            "d1",
            "dense",
            ["x"],
            (4,),
            {"weight": wt, "bias": bt, "accum": "ap_fixed<18,7>", "result": "ap_fixed<14,5>"},
            {"weight": _rand(wt, (6, 4), rng), "bias": _rand(bt, (4,), rng)},
            {"n_in": 6, "n_out": 4, "strategy": "latency"},
        ),
        Layer("sum", "add", ["d1", "y"], (4,), {"result": "ap_fixed<12,5,AP_RND_CONV,AP_SAT>"}),
        Layer(
            "bn",
            "batchnorm",
            ["sum"],
            (4,),
            {"scale": "ap_fixed<9,2>", "bias": "ap_fixed<9,3>", "result": "ap_fixed<13,5>"},
            {"scale": _rand("ap_fixed<9,2>", (4,), rng), "bias": _rand("ap_fixed<9,3>", (4,), rng)},
            {"n_filt": 4, "n_in": 4},
        ),
        Layer(
            "act",
            "tanh",
            ["bn"],
            (4,),
            {"table": "ap_fixed<18,8>", "result": "ap_fixed<12,2>"},
            {},
            {"table_size": 1024},
        ),
        Layer("r", "relu", ["d1"], (4,), {"result": "ap_ufixed<9,4,AP_RND,AP_SAT>"}),
        Layer("cat", "concatenate", ["act", "r"], (8,), {"result": "ap_fixed<12,4>"}, {}, {"axis": -1}),
        Layer(
            "d2",
            "dense",
            ["cat"],
            (3,),
            {"weight": wt, "bias": bt, "accum": "ap_fixed<20,8,AP_RND,AP_SAT>", "result": "ap_fixed<16,6>"},
            {"weight": _rand(wt, (8, 3), rng), "bias": _rand(bt, (3,), rng)},
            {"n_in": 8, "n_out": 3, "strategy": "latency"},
        ),
        Layer(
            "sig",
            "sigmoid",
            ["d2"],
            (3,),
            {"table": "ap_fixed<18,8>", "result": "ap_fixed<10,1,AP_RND,AP_SAT>"},
            {},
            {"table_size": 512},
        ),
        Layer(
            "sm",
            "softmax",
            ["d2"],
            (3,),
            {
                "exp_table": "ap_fixed<18,8,AP_RND,AP_SAT>",
                "inv_table": "ap_fixed<18,8,AP_RND,AP_SAT>",
                "accum": "ap_fixed<18,8,AP_RND,AP_SAT>",
                "inv_inp": "ap_fixed<18,8,AP_RND,AP_SAT>",
                "inp_norm": "ap_ufixed<15,5>",
                "result": "ap_fixed<16,6>",
            },
            {},
            {
                "implementation": "stable",
                "table_size": 1024,
                "exp_table_size": 1024,
                "inv_table_size": 1024,
                "exp_scale": 1.0,
                "n_in": 3,
                "n_slice": 3,
                "n_outer": 1,
                "n_inner": 1,
                "axis": -1,
            },
        ),
    ]
    return Model("hand", [x, y], layers, ["sig", "sm", "cat"])


def _activation_model() -> Model:
    """One branch per parametrised or table activation, concatenated so one run checks them all."""
    x = Tensor("x", (8,), "ap_fixed<12,4>")
    res = {"result": "ap_fixed<14,5,AP_RND,AP_SAT>"}
    tab = {"table": "ap_fixed<18,8>"}
    layers = [
        Layer("lr", "leaky_relu", ["x"], (8,), {**res, "param": "ap_fixed<8,1>"}, {}, {"alpha": 38}),
        Layer("th", "thresholded_relu", ["x"], (8,), {**res, "param": "ap_fixed<10,4>"}, {}, {"theta": 40}),
        Layer("r6", "relu_max", ["x"], (8,), res, {}, {"max_value": 6 * 256}),
        Layer(
            "el",
            "elu",
            ["x"],
            (8,),
            {**res, **tab, "param": "ap_fixed<10,2>"},
            {},
            {"alpha": 200, "table_size": 1024},
        ),
        Layer("e1", "elu", ["x"], (8,), {**res, **tab}, {}, {"table_size": 256}),
        Layer("se", "selu", ["x"], (8,), {**res, **tab}, {}, {"table_size": 1024}),
        Layer("sp", "softplus", ["x"], (8,), {**res, **tab}, {}, {"table_size": 1024}),
        Layer("ss", "softsign", ["x"], (8,), {**res, **tab}, {}, {"table_size": 512}),
        Layer("c1", "concatenate", ["lr", "th"], (16,), res, {}, {"axis": -1}),
        Layer("c2", "concatenate", ["r6", "el"], (16,), res, {}, {"axis": -1}),
        Layer("c3", "concatenate", ["e1", "se"], (16,), res, {}, {"axis": -1}),
        Layer("c4", "concatenate", ["sp", "ss"], (16,), res, {}, {"axis": -1}),
        Layer("m1", "maximum", ["c1", "c2"], (16,), res),
        Layer("m2", "subtract", ["c3", "c4"], (16,), res),
        Layer("out", "multiply", ["m1", "m2"], (16,), {"result": "ap_fixed<20,8>"}),
    ]
    return Model("activations", [x], layers, ["out"])


def test_emitted_activations_match_reference_on_every_layer() -> None:
    model = _activation_model()
    inputs = {"x": _rand("ap_fixed<12,4>", (3000, 8), np.random.default_rng(13))}
    ours = CsimBackend().run(model, inputs, trace=True)
    ref = get_backend("reference").run(model, inputs, trace=True)
    assert np.array_equal(ours.outputs["out"], ref.outputs["out"])
    for name in ref.trace:
        assert np.array_equal(ours.trace[name], ref.trace[name]), name
    assert len(np.unique(ours.outputs["out"])) > 100


def _pooling_model() -> Model:
    """Max and average pooling in 1D, 2D and global form, with padding, strides and narrow accumulators."""
    a = Tensor("a", (10, 3), "ap_fixed<10,4>")
    b = Tensor("b", (6, 6, 2), "ap_fixed<9,3,AP_RND,AP_SAT>")
    res = "ap_fixed<12,5>"
    layers = [
        Layer("mp1", "maxpool1d", ["a"], (5, 3), {"result": res}, {}, {"pool": 2, "strides": 2}),
        Layer(
            "ap1",
            "avgpool1d",
            ["a"],
            (10, 3),
            {"result": res, "accum": "ap_fixed<11,4,AP_TRN,AP_SAT>"},
            {},
            {"pool": 3, "strides": 1, "pad_left": 1, "pad_right": 1},
        ),
        Layer("ga1", "global_avgpool1d", ["a"], (3,), {"result": res, "accum": "ap_fixed<16,8>"}),
        Layer("gm1", "global_maxpool1d", ["ap1"], (3,), {"result": res}),
        Layer("mp2", "maxpool2d", ["b"], (3, 3, 2), {"result": res}, {}, {"pool": 2, "strides": 2}),
        Layer(
            "ap2",
            "avgpool2d",
            ["b"],
            (3, 3, 2),
            {"result": res, "accum": "ap_fixed<14,6>"},
            {},
            {"pool": 3, "strides": 2, "pad_top": 1, "pad_bottom": 1, "pad_left": 1, "pad_right": 1},
        ),
        Layer("ga2", "global_avgpool2d", ["mp2"], (2,), {"result": res, "accum": "ap_fixed<14,6>"}),
        Layer("gm2", "global_maxpool2d", ["ap2"], (2,), {"result": res}),
    ]
    return Model("pools", [a, b], layers, ["mp1", "ga1", "gm1", "ga2", "gm2"])


def test_emitted_pooling_matches_reference_on_every_layer() -> None:
    model = _pooling_model()
    rng = np.random.default_rng(14)
    inputs = {
        "a": _rand("ap_fixed<10,4>", (2000, 10, 3), rng),
        "b": _rand("ap_fixed<9,3,AP_RND,AP_SAT>", (2000, 6, 6, 2), rng),
    }
    ours = CsimBackend().run(model, inputs, trace=True)
    ref = get_backend("reference").run(model, inputs, trace=True)
    for name in model.outputs:
        assert ours.outputs[name].shape == ref.outputs[name].shape, name
        assert np.array_equal(ours.outputs[name], ref.outputs[name]), name
    for name in ref.trace:
        assert np.array_equal(ours.trace[name], ref.trace[name]), name


@pytest.fixture(scope="module")
def hand() -> Model:
    return _hand_model()


def test_emitted_hand_model_matches_reference_on_every_layer(hand: Model) -> None:
    rng = np.random.default_rng(12)
    inputs = {
        "x": _rand("ap_fixed<10,4>", (5000, 6), rng),
        "y": _rand("ap_fixed<12,3,AP_RND,AP_SAT>", (5000, 4), rng),
    }
    ours = CsimBackend().run(hand, inputs, trace=True)
    ref = get_backend("reference").run(hand, inputs, trace=True)
    assert set(ours.outputs) == {"sig", "sm", "cat"}
    for name in ref.outputs:
        assert np.array_equal(ours.outputs[name], ref.outputs[name]), name
    assert set(ours.trace) == {layer.name for layer in hand.layers}
    for name in ours.trace:
        assert np.array_equal(ours.trace[name], ref.trace[name]), name
    assert len(np.unique(ours.outputs["sm"])) > 100


def test_emitted_weights_are_the_raw_codes(hand: Model) -> None:
    cpp = emit_model(hand).files["fwp_top.cpp"]
    w = hand.layer("d1").weights["weight"].reshape(-1)
    assert "static const int64_t w_d1_raw[] = {" + ", ".join(f"{int(v)}LL" for v in w) + "};" in cpp
    assert "load_weights_from_txt" not in cpp


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        pytest.param(
            Layer("conv", "conv1d", ["x"], (3,), {"result": "ap_fixed<8,3>"}, {}, {}),
            r"^Layer 'conv' has kind='conv1d', which fwparity\.csim\.emit cannot write as HLS C\+\+ yet; "
            r"supported: add, average, avgpool1d, avgpool2d, batchnorm, concatenate, dense, elu, flatten, "
            r"global_avgpool1d, global_avgpool2d, global_maxpool1d, global_maxpool2d, leaky_relu, linear, "
            r"maximum, maxpool1d, maxpool2d, minimum, multiply, relu, relu_max, reshape, selu, sigmoid, "
            r"softmax, softplus, softsign, subtract, tanh, thresholded_relu$",
            id="unsupported-kind",
        ),
    ],
)
def test_unsupported(layer: Layer, message: str) -> None:
    model = Model("m", [Tensor("x", (6,), "ap_fixed<8,3>")], [layer], [layer.name])
    with pytest.raises(UnsupportedLayer, match=message):
        emit_model(model)


@pytest.mark.parametrize("which", [pytest.param("jet", marks=KERAS), pytest.param("mixed", marks=KERAS)])
def test_emitted_from_imported_model_matches_hls4ml(which: str, request) -> None:
    """Model imported from an hls4ml project -> emitted C++ -> csim, against hls4ml's csim of that project."""
    from fwparity import load_model

    project = request.getfixturevalue(which)
    model = load_model(project.dir)
    lib = build_model(model)
    rng = np.random.default_rng(4)
    raw = {
        t.name: rng.integers(t.type.min_raw, t.type.max_raw + 1, size=(2000, *t.shape)) for t in model.inputs
    }
    with CsimRunner(lib) as runner:
        ours = runner.run([raw[t.name] for t in model.inputs])
        out_port = [p for p in runner.ports if p.direction == "out"][0]
    floats = [raw[t.name] * 2.0**-t.type.frac_bits for t in model.inputs]
    theirs = project.predict(floats)[project.output_names[0]] * 2.0**out_port.frac_bits
    assert np.array_equal(ours.outputs[out_port.name], theirs.astype(np.int64).reshape(2000, -1))


@pytest.mark.parametrize("which", [pytest.param("jet", marks=KERAS), pytest.param("mixed", marks=KERAS)])
def test_backend_on_project_matches_reference_per_layer(which: str, request) -> None:
    """CsimBackend(project=...) runs the project's own C++; the reference runs the imported Model."""
    from fwparity import load_model

    project = request.getfixturevalue(which)
    model = load_model(project.dir)
    rng = np.random.default_rng(6)
    raw = {
        t.name: rng.integers(t.type.min_raw, t.type.max_raw + 1, size=(1000, *t.shape)) for t in model.inputs
    }
    ours = CsimBackend(project=project.dir, batch_size=400).run(model, raw, trace=True)
    ref = get_backend("reference").run(model, raw, trace=True)
    assert list(ours.outputs) == list(model.outputs)
    for name in model.outputs:
        assert np.array_equal(ours.outputs[name], ref.outputs[name]), name
    common = set(ours.trace) & set(ref.trace)
    assert common == {layer.name for layer in model.layers}
    for name in sorted(common):
        assert np.array_equal(ours.trace[name], ref.trace[name]), name


def _clashing_names_model() -> Model:
    """Tensor names that collide with C++ keywords, with each other once sanitised (``a.b``/``a_b``, ``1``/``_1``),
    with the generated identifiers (input ``in``/``x``, output ``out``; dense ``fc`` next to ``fc_raw``, whose
    ``w_fc_raw`` array is ``fc``'s raw initialiser; sigmoid ``s_exp`` next to softmax ``s``, both giving
    ``s_exp_table_t``) and with the C++ syntax of comments and strings (quote, backslash, newline)."""
    rng = np.random.default_rng(3)
    t = "ap_fixed<10,4>"
    wt, bt = "ap_fixed<8,2>", "ap_fixed<8,3>"

    def dense(name: str, src: str) -> Layer:
        return Layer(
            name,
            "dense",
            [src],
            (4,),
            {"weight": wt, "bias": bt, "accum": "ap_fixed<20,8>", "result": t},
            {"weight": _rand(wt, (4, 4), rng), "bias": _rand(bt, (4,), rng)},
            {"n_in": 4, "n_out": 4, "strategy": "latency"},
        )

    layers = [
        Layer("input_1", "add", ["in", "x"], (4,), {"result": t}),
        Layer("int", "relu", ["input_1"], (4,), {"result": t}),
        dense("fc", "int"),
        dense("fc_raw", "fc"),
        dense("class", "fc_raw"),
        Layer("a.b", "relu", ["class"], (4,), {"result": t}),
        Layer("a_b", "relu", ["a.b"], (4,), {"result": "ap_fixed<9,3>"}),
        Layer("1", "linear", ["a_b"], (4,), {"result": t}),
        Layer("_1", "relu", ["1"], (4,), {"result": t}),
        Layer('q"\\\nr\\', "linear", ["_1"], (4,), {"result": t}),
        Layer(
            "s_exp",
            "sigmoid",
            ['q"\\\nr\\'],
            (4,),
            {"table": "ap_fixed<18,8>", "result": "ap_fixed<16,6>"},
            {},
            {"table_size": 1024},
        ),
        Layer(
            "s",
            "softmax",
            ["s_exp"],
            (4,),
            {
                "exp_table": "ap_fixed<18,8,AP_RND,AP_SAT>",
                "inv_table": "ap_fixed<18,8,AP_RND,AP_SAT>",
                "accum": "ap_fixed<18,8,AP_RND,AP_SAT>",
                "inv_inp": "ap_fixed<18,8,AP_RND,AP_SAT>",
                "inp_norm": "ap_ufixed<15,5>",
                "result": "ap_fixed<16,6>",
            },
            {},
            {"implementation": "stable", "table_size": 1024},
        ),
        Layer("out", "multiply", ["s", "class"], (4,), {"result": "ap_fixed<20,8>"}),
    ]
    return Model("clash\\", [Tensor("in", (4,), t), Tensor("x", (4,), t)], layers, ["out", "fc_raw"])


def test_clashing_names_build_and_match_reference_on_every_layer() -> None:
    model = _clashing_names_model()
    rng = np.random.default_rng(17)
    inputs = {name: _rand("ap_fixed<10,4>", (500, 4), rng) for name in ("in", "x")}
    ours = CsimBackend().run(model, inputs, trace=True)
    ref = get_backend("reference").run(model, inputs, trace=True)
    for name in ("out", "fc_raw"):
        assert np.array_equal(ours.outputs[name], ref.outputs[name]), name
    assert set(ours.trace) == {layer.name for layer in model.layers}  # names survive the C string round trip
    for name in ref.trace:
        assert np.array_equal(ours.trace[name], ref.trace[name]), name
    assert len(np.unique(ours.outputs["out"])) > 20
