"""fwparity.strategies: eager argument validation (whole messages pinned), shrinking onto the edges, valid
draws."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from fwparity.errors import InvalidArgument, InvalidType
from fwparity.fixed import FixedType
from fwparity.model import Layer, Model, Tensor
from fwparity.strategies import (
    activation_layers,
    conv_layers,
    dense_layers,
    fixed_arrays,
    fixed_types,
    input_vectors,
    models,
    raw_values,
    softmax_layers,
)

T8 = "ap_fixed<8,3>"
# _find() replays and saves examples through the example database; without it and derandomized, results are
# stable
FIND = settings(database=None, derandomize=True, max_examples=10000)


def _relu_model(shape: tuple[int, ...] = (3,), t: str = T8) -> Model:
    return Model("m", [Tensor("x", shape, t)], [Layer("r", "relu", ["x"], shape, {"result": t})], ["r"])


def _find(strategy, condition):  # type: ignore[no-untyped-def]
    return find(strategy, condition, settings=FIND)


# One table of invalid calls; no draw is forced anywhere: the call itself must raise.
INVALID = [
    pytest.param(
        lambda: fixed_types(min_width=0), InvalidArgument, "min_width=0 must be at least 1", id="min-width"
    ),
    pytest.param(
        lambda: fixed_types(min_width=9, max_width=8),
        InvalidArgument,
        "min_width=9 is larger than max_width=8",
        id="width-order",
    ),
    pytest.param(
        lambda: fixed_types(max_width=1025),
        InvalidArgument,
        "max_width=1025 must be at most 1024 (AP_INT_MAX_W)",
        id="max-width",
    ),
    pytest.param(
        lambda: fixed_types(min_width="a"),
        InvalidType,
        "Expected int but got min_width='a' (type=str)",
        id="width-type",
    ),
    pytest.param(
        lambda: fixed_types(min_int_bits=3, max_int_bits=2),
        InvalidArgument,
        "min_int_bits=3 is larger than max_int_bits=2",
        id="int-bits-order",
    ),
    pytest.param(
        lambda: fixed_types(signed=1),
        InvalidType,
        "Expected bool or None but got signed=1 (type=int)",
        id="signed-type",
    ),
    pytest.param(
        lambda: fixed_types(quantizations=["AP_NEAREST"]),
        InvalidArgument,
        "quantizations holds 'AP_NEAREST', which is not one of AP_TRN, AP_TRN_ZERO, AP_RND, AP_RND_ZERO, "
        "AP_RND_MIN_INF, AP_RND_INF, AP_RND_CONV",
        id="bad-mode",
    ),
    pytest.param(
        lambda: fixed_types(overflows=[]), InvalidArgument, "overflows=[] must not be empty", id="empty-modes"
    ),
    pytest.param(
        lambda: raw_values(T8, min_value=-999),
        InvalidArgument,
        "ap_fixed<8,3> requires min_value=-999 to be at least -128",
        id="min-value-low",
    ),
    pytest.param(
        lambda: raw_values(T8, max_value=999),
        InvalidArgument,
        "ap_fixed<8,3> requires max_value=999 to be at most 127",
        id="max-value-high",
    ),
    pytest.param(
        lambda: raw_values("ap_ufixed<4,2>", max_value=-1),
        InvalidArgument,
        "ap_ufixed<4,2> requires max_value=-1 to be at least 0",
        id="max-value-low",
    ),
    pytest.param(
        lambda: raw_values(T8, min_value=5, max_value=3),
        InvalidArgument,
        "min_value=5 is larger than max_value=3",
        id="value-order",
    ),
    pytest.param(
        lambda: raw_values(T8, min_value=1.5),
        InvalidType,
        "Expected int but got min_value=1.5 (type=float)",
        id="value-type",
    ),
    pytest.param(
        lambda: raw_values(8),
        InvalidType,
        "fmt must be a FixedType, an HLS type string or a strategy, not fmt=8",
        id="fmt-type",
    ),
    pytest.param(lambda: raw_values("ap_fixed<8>"), InvalidArgument, None, id="fmt-text"),
    pytest.param(
        lambda: fixed_arrays(T8, (2, -1)),
        InvalidArgument,
        "shape=(2, -1) must have non-negative dimensions",
        id="shape-negative",
    ),
    pytest.param(
        lambda: fixed_arrays(T8, "3"),
        InvalidType,
        "shape must be an int, a tuple of ints or a strategy, not shape='3'",
        id="shape-type",
    ),
    pytest.param(
        lambda: fixed_arrays(T8, 3, elements=[1, 2]),
        InvalidType,
        "elements must be a SearchStrategy, not elements=[1, 2]",
        id="elements-type",
    ),
    pytest.param(
        lambda: dense_layers(T8, (2, 3)),
        InvalidArgument,
        "dense_layers needs a 1-D input shape, not shape=(2, 3)",
        id="dense-shape",
    ),
    pytest.param(
        lambda: dense_layers(T8, 4, min_units=0),
        InvalidArgument,
        "min_units=0 must be at least 1",
        id="dense-units",
    ),
    pytest.param(
        lambda: conv_layers(T8, 4),
        InvalidArgument,
        "conv_layers needs an input shape (width, channels), not shape=(4,)",
        id="conv-shape",
    ),
    pytest.param(
        lambda: activation_layers(T8, 4, kinds=["gelu"]),
        InvalidArgument,
        "kinds holds 'gelu', which is not in supported list: relu, linear, leaky_relu, thresholded_relu, "
        "relu_max, sigmoid, tanh, softplus, softsign, selu, elu",
        id="activation-kind",
    ),
    pytest.param(
        lambda: softmax_layers(T8, 4),
        InvalidArgument,
        "softmax_layers needs an input type of at least 9 bits (a 256-entry table), not fmt='ap_fixed<8,3>'",
        id="softmax-narrow",
    ),
    pytest.param(
        lambda: softmax_layers("ap_fixed<16,6>", 4, implementations=["fast"]),
        InvalidArgument,
        "implementations holds 'fast', which is not in supported list: stable, latency, legacy, argmax",
        id="softmax-impl",
    ),
    pytest.param(
        lambda: models(min_layers=3, max_layers=2),
        InvalidArgument,
        "min_layers=3 is larger than max_layers=2",
        id="models-layers",
    ),
    pytest.param(lambda: models(kinds=[]), InvalidArgument, "kinds=[] must not be empty", id="models-kinds"),
    pytest.param(
        lambda: models(input_types="ap_fixed<8,3>"),
        InvalidType,
        "input_types must be a SearchStrategy, not input_types='ap_fixed<8,3>'",
        id="models-input-types",
    ),
    pytest.param(
        lambda: input_vectors("model.h5"),
        InvalidType,
        "model must be a fwparity.model.Model, not model='model.h5'",
        id="vectors-model",
    ),
    pytest.param(
        lambda: input_vectors(_relu_model(), min_size=0),
        InvalidArgument,
        "min_size=0 must be at least 1",
        id="vectors-size",
    ),
]


@pytest.mark.parametrize(("call", "error", "message"), INVALID)
def test_invalid_arguments_raise_when_called(
    call: object, error: type[Exception], message: str | None
) -> None:
    with pytest.raises(error, match=None if message is None else f"^{re.escape(message)}$"):
        call()  # type: ignore[operator]


def test_a_strategy_fmt_is_validated_per_draw() -> None:
    bad = raw_values(st.just("ap_fixed<8,3>"), min_value=-999)  # cannot know the type yet: no error on call
    with pytest.raises(InvalidArgument) as info:
        _find(bad, lambda v: True)
    assert info.value.args == (
        "ap_fixed<8,3> requires min_value=-999 to be at least -128",
    )  # hypothesis adds notes


@pytest.mark.parametrize(
    ("fmt", "kwargs", "condition", "expected"),
    [
        pytest.param(T8, {}, lambda v: True, 0, id="zero"),
        pytest.param(T8, {}, lambda v: v != 0, 1, id="plus-one-lsb"),
        pytest.param(T8, {}, lambda v: v < 0, -1, id="minus-one-lsb"),
        pytest.param(T8, {}, lambda v: v > 100, 127, id="max"),
        pytest.param(T8, {}, lambda v: v < -100, -128, id="min"),
        pytest.param(T8, {}, lambda v: 0 < v < 127 and v > 120, 126, id="max-minus-one"),
        pytest.param("ap_ufixed<6,2>", {}, lambda v: True, 0, id="unsigned-zero"),
        pytest.param(T8, {"min_value": 10, "max_value": 20}, lambda v: True, 10, id="user-min"),
        pytest.param(T8, {"min_value": 10, "max_value": 20}, lambda v: v > 15, 20, id="user-max"),
        pytest.param("ap_fixed<80,10>", {}, lambda v: v > 2**70, 2**79 - 1, id="wide-max"),
    ],
)
def test_raw_values_shrink_onto_edges(fmt: str, kwargs: dict, condition: object, expected: int) -> None:
    assert _find(raw_values(fmt, **kwargs), condition) == expected  # type: ignore[arg-type]


def test_fixed_types_shrink_to_a_narrow_default_type() -> None:
    assert str(_find(fixed_types(), lambda t: True)) == "ap_fixed<1,0>"
    assert (
        str(_find(fixed_types(min_width=6), lambda t: t.quantization.name == "RND")) == "ap_fixed<6,0,AP_RND>"
    )


@settings(max_examples=50)
@given(fixed_types(min_width=1, max_width=80, max_sat_bits=3))
def test_fixed_types_are_valid_and_parse_back(t: FixedType) -> None:
    assert FixedType.parse(str(t)) == t
    assert t.sat_bits == 0 or t.overflow.name == "WRAP"


@settings(max_examples=50)
@given(fixed_arrays(fixed_types(max_width=70), st.tuples(st.integers(0, 3), st.integers(1, 3))))
def test_fixed_arrays_hold_raw_codes_in_range(a: object) -> None:
    raw = np.asarray(a.raw)  # type: ignore[attr-defined]
    t = a.fmt  # type: ignore[attr-defined]
    assert raw.dtype == t.dtype
    assert all(t.min_raw <= int(v) <= t.max_raw for v in raw.reshape(-1).tolist())


def test_fixed_arrays_reject_elements_outside_the_format() -> None:
    with pytest.raises(InvalidArgument) as info:
        _find(fixed_arrays(T8, 2, elements=st.just(300)), lambda a: True)
    assert info.value.args == ("elements drew 300, outside ap_fixed<8,3> [-128, 127]",)


@settings(max_examples=40)
@given(models(kinds=("dense", "relu", "leaky_relu", "relu_max", "sigmoid", "tanh", "softmax", "conv1d")))
def test_models_are_valid_and_run_on_the_reference(model: Model) -> None:
    from fwparity.layers import emulate

    model.validate()
    x = {t.name: np.zeros((1, *t.shape), dtype=np.int64) for t in model.inputs}
    em = emulate(model, x)
    assert set(em.raw) == set(model.outputs)


@settings(max_examples=30)
@given(st.data())
def test_layer_strategies_follow_their_input(data: st.DataObject) -> None:
    t = FixedType.parse("ap_fixed<12,4>")
    for layer in (
        data.draw(dense_layers(t, 5, name="d", input="in")),
        data.draw(activation_layers(t, (5,), name="a", input="in")),
        data.draw(softmax_layers(t, (5,), name="s", input="in")),
    ):
        assert layer.inputs == ["in"]
        Model("m", [Tensor("in", (5,), t)], [layer], [layer.name]).validate()


def test_dense_weights_are_on_their_types() -> None:
    layer = _find(dense_layers(T8, 3), lambda layer: layer.shape[0] >= 2)
    w, wt = np.asarray(layer.weights["weight"]), layer.types["weight"]
    assert w.shape == (3, 2)
    assert wt.min_raw <= int(w.min()) and int(w.max()) <= wt.max_raw


def _accum_hits_edge(model: Model, v: dict[str, np.ndarray]) -> bool:
    w = np.asarray(model.layers[0].weights["weight"])[:, 0]
    x = v["x"][0]
    return bool(np.all(np.where(w >= 0, x == 127, x == -128)))


def test_input_vectors_reach_the_accumulator_edge() -> None:
    w = np.array([[5], [-3], [7]])
    model = Model(
        "m",
        [Tensor("x", (3,), T8)],
        [
            Layer(
                "d",
                "dense",
                ["x"],
                (1,),
                {
                    "weight": "ap_fixed<4,1>",
                    "bias": "ap_fixed<4,1>",
                    "accum": "ap_fixed<10,5>",
                    "result": "ap_fixed<8,3>",
                },
                {"weight": w, "bias": np.array([0])},
                {"n_in": 3, "n_out": 1},
            )
        ],
        ["d"],
    )
    v = _find(input_vectors(model), lambda v: _accum_hits_edge(model, v))
    assert v["x"].tolist() == [[127, -128, 127]]


def test_input_vectors_shrink_to_one_vector() -> None:
    v = _find(input_vectors(_relu_model(), max_size=8), lambda v: (v["x"] > 30).sum() >= 2)
    assert v["x"].tolist() == [[127, 127, 127]]


@pytest.mark.parametrize(
    ("shape", "condition"),
    [
        # low 8 bits 1000_0000: half-way for a layer that drops 8 fraction bits
        pytest.param((1,), lambda x: bool(((x & 0xFF) == 0x80).all() and (x != -32768).all()), id="tie"),
        # at or one LSB around the +8 end of the default sigmoid table (8 * 2**10 raw on ap_fixed<16,6>); any of the
        # three landmarks counts, so the search does not hinge on drawing one exact code
        pytest.param((1,), lambda x: bool((np.abs(x - 8 * 1024) <= 1).all()), id="table-edge"),
        # one peak at the top of the range, the rest within 3 LSB of the bottom
        pytest.param(
            (3,),
            lambda x: (
                sorted(x[0].tolist())[-1] == 32767
                and max(sorted(x[0].tolist())[:2]) in (-32767, -32766, -32765)
            ),
            id="softmax-spread",
        ),
    ],
)
def test_input_vectors_reach_the_traps(shape: tuple[int, ...], condition: object) -> None:
    model = _relu_model(shape, "ap_fixed<16,6>")
    v = _find(input_vectors(model), lambda v: condition(v["x"]))  # type: ignore[operator]
    assert v["x"].shape == (1, *shape)
