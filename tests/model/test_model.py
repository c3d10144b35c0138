"""Model, Layer and Tensor: construction, lookups, and validate() naming the offending layer."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from fwparity.errors import InvalidArgument, InvalidType
from fwparity.fixed import FixedType
from fwparity.model import Layer, Model, Tensor
from tests.model.models import tiny_mlp


def test_types_are_parsed_and_shapes_normalised() -> None:
    t = Tensor("x", [4], "ap_fixed<10,4>")
    assert t.shape == (4,) and t.type == FixedType.parse("ap_fixed<10,4>")
    layer = Layer("r", "relu", ("x",), np.array([4]), {"result": "fixed<8,3,RND,SAT>"})
    assert layer.inputs == ["x"] and layer.shape == (4,)
    assert str(layer.types["result"]) == "ap_fixed<8,3,AP_RND,AP_SAT>"


def test_lookups() -> None:
    m = tiny_mlp()
    assert m.layer("relu1").kind == "relu"
    assert m.tensor("x").shape == (4,)
    assert m.tensor("fc2") == Tensor("fc2", (2,), "ap_fixed<16,6>")
    assert m.output_types == {"softmax": FixedType.parse("ap_fixed<16,6>")}
    assert m.output_shapes == {"softmax": (2,)}
    assert m.input_types == {"x": FixedType.parse("ap_fixed<10,4>")}
    assert repr(m) == "Model('tiny', inputs=['x'], layers=4, outputs=['softmax'])"


def test_unknown_layer_lists_the_layers() -> None:
    with pytest.raises(
        InvalidArgument, match=r"^Model 'tiny' has no layer name='fc9'; layers: fc1, relu1, fc2, softmax$"
    ):
        tiny_mlp().layer("fc9")


def test_equality_compares_weights_by_value() -> None:
    a, b = tiny_mlp(), tiny_mlp()
    assert a == b
    b.layer("fc1").weights["weight"] = b.layer("fc1").weights["weight"].copy()
    b.layer("fc1").weights["weight"][1, 1] += 1
    assert a != b


def _broken(edit):
    m = tiny_mlp()
    edit(m)
    return m


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(
            lambda m: m.layers.insert(0, Layer("x", "relu", ["x"], (4,), {"result": "ap_fixed<8,3>"})),
            r"Layer 'x' \(kind='relu'\): the name is already used by another tensor",
            id="duplicate-name",
        ),
        pytest.param(
            lambda m: setattr(m.layers[1], "kind", "gelu"),
            r"Layer 'relu1' \(kind='gelu'\): unknown kind; known kinds: add, average, .*",
            id="unknown-kind",
        ),
        pytest.param(
            lambda m: setattr(m.layers[1], "inputs", ["fc2"]),
            r"Layer 'relu1' \(kind='relu'\) reads input='fc2', which is neither a model input nor an earlier "
            r"layer",
            id="not-topological",
        ),
        pytest.param(
            lambda m: m.layers[0].types.pop("accum"),
            r"Layer 'fc1' \(kind='dense'\) lacks types\['accum'\]",
            id="missing-type",
        ),
        pytest.param(
            lambda m: m.layers[0].weights.pop("bias"),
            r"Layer 'fc1' \(kind='dense'\) lacks weights\['bias'\]",
            id="missing-weight",
        ),
        pytest.param(
            lambda m: m.layers[0].weights.__setitem__("weight", np.zeros((3, 4), dtype=np.int64)),
            r"Layer 'fc1' \(kind='dense'\): weights\['weight'\] has shape \(3, 4\), expected \(4, 3\) from "
            r"input shape \(4,\) and output shape \(3,\)",
            id="weight-shape",
        ),
        pytest.param(
            lambda m: m.layers[0].weights.__setitem__("bias", np.array([0, 128, 0])),
            r"Layer 'fc1' \(kind='dense'\): weights\['bias'\] raw range \[0, 128\] is outside ap_fixed<8,2> "
            r"\[-128, 127\]",
            id="raw-out-of-range",
        ),
        pytest.param(
            lambda m: m.layers[0].weights.__setitem__("bias", np.array([0.5, 1.0, 0.0])),
            r"Layer 'fc1' \(kind='dense'\): weights\['bias'\] must hold raw integers, not dtype float64",
            id="float-weights",
        ),
        pytest.param(
            lambda m: setattr(m.layers[1], "shape", (4,)),
            r"Layer 'relu1' \(kind='relu'\): output shape \(4,\) differs from input shape \(3,\)",
            id="activation-shape",
        ),
        pytest.param(
            lambda m: setattr(m, "outputs", ["nothing"]),
            r"Model 'tiny' output='nothing' is not a tensor of the model",
            id="bad-output",
        ),
        pytest.param(lambda m: setattr(m, "outputs", []), r"Model 'tiny' has no outputs", id="no-outputs"),
    ],
)
def test_validate_names_the_layer(edit, message: str) -> None:
    with pytest.raises(InvalidArgument, match=f"^{message}$"):
        _broken(edit).validate()


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        pytest.param(
            lambda: Tensor("x", (4, 0), "ap_fixed<8,3>"),
            InvalidArgument,
            r"Tensor 'x' shape must have positive dimensions, not \(4, 0\)",
            id="zero-dim",
        ),
        pytest.param(
            lambda: Tensor("x", 4, "ap_fixed<8,3>"),
            InvalidType,
            r"Tensor 'x' shape must be a tuple of ints, not 4",
            id="shape-not-sequence",
        ),
        pytest.param(
            lambda: Layer("", "relu", ["x"], (4,), {"result": "ap_fixed<8,3>"}),
            InvalidArgument,
            r"Layer name must be a non-empty string, not name=''",
            id="empty-name",
        ),
        pytest.param(
            lambda: Layer("r", "relu", "x", (4,), {"result": "ap_fixed<8,3>"}),
            InvalidType,
            r"Layer 'r' inputs must be a list of names, not inputs='x'",
            id="inputs-string",
        ),
        pytest.param(
            lambda: Model("m", [], [], "out"),
            InvalidType,
            r"Model outputs must be a list of names, not outputs='out'",
            id="outputs-string",
        ),
    ],
)
def test_invalid_construction(build, error: type, message: str) -> None:
    with pytest.raises(error, match=f"^{message}$"):
        build()


def test_valid_models_pass_and_copies_are_independent() -> None:
    m = tiny_mlp()
    m.validate()
    c = copy.deepcopy(m)
    c.layer("fc1").weights["bias"][0] = 0
    assert m.layer("fc1").weights["bias"][0] == -100


@pytest.mark.parametrize(
    ("axis", "shape"),
    [
        pytest.param(-1, (2, 6), id="last"),
        pytest.param(2, (2, 6), id="keras-2"),
        pytest.param(1, (4, 3), id="keras-1"),
        pytest.param(-2, (4, 3), id="minus-2"),
    ],
)
def test_concatenate_axis_is_keras_convention(axis: int, shape: tuple[int, int]) -> None:
    """``options["axis"]`` counts the batch axis as 0, like Keras and hls4ml's concat structs."""
    t = "ap_fixed<8,3>"
    m = Model(
        "cat",
        [Tensor("a", (2, 3), t), Tensor("b", (2, 3), t)],
        [Layer("cat", "concatenate", ["a", "b"], shape, {"result": t}, {}, {"axis": axis})],
        ["cat"],
    )
    m.validate()
    wrong = (4, 3) if shape == (2, 6) else (2, 6)
    m.layers[0].shape = wrong
    with pytest.raises(InvalidArgument, match=r"cannot give shape"):
        m.validate()


def _conv_model(weight_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> Model:
    t = "ap_fixed<8,3>"
    types = {"weight": t, "bias": t, "accum": "ap_fixed<16,6>", "result": t}
    w = np.zeros(weight_shape, dtype=np.int64)
    b = np.zeros(out_shape[-1:], dtype=np.int64)
    layer = Layer("conv", "conv1d", ["x"], out_shape, types, {"weight": w, "bias": b}, {"kernel": 3})
    return Model("c", [Tensor("x", (8, 2), t)], [layer], ["conv"])


def test_conv_weight_shapes_are_checked() -> None:
    _conv_model((3, 2, 4), (6, 4)).validate()
    with pytest.raises(
        InvalidArgument,
        match=r"^Layer 'conv' \(kind='conv1d'\): weights\['weight'\] has shape \(3, 4, 2\), expected 3 axes "
        r"ending in \(2, 4\) from input shape \(8, 2\) and output shape \(6, 4\)$",
    ):
        _conv_model((3, 4, 2), (6, 4)).validate()
