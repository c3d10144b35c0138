"""emulate(): input forms, range checks, trace, overflow counts, exact values and batch chunking."""

from __future__ import annotations

import fractions

import numpy as np
import pytest

import fwparity
from fwparity.errors import InvalidArgument, InvalidType, UnsupportedLayer
from fwparity.layers import LAYERS, Emulation, emulate
from fwparity.model import Layer, Model, Tensor


def _mlp() -> Model:
    w = np.array([[16, -8], [8, 32]])  # <8,3>: 0.5, -0.25, 0.25, 1.0
    layers = [
        Layer(
            "fc",
            "dense",
            ["x"],
            (2,),
            {
                "weight": "ap_fixed<8,3>",
                "bias": "ap_fixed<8,3>",
                "accum": "ap_fixed<8,3>",
                "result": "ap_fixed<8,3>",
            },
            {"weight": w, "bias": np.array([0, 0])},
            {"n_in": 2, "n_out": 2},
        ),
        Layer("relu", "relu", ["fc"], (2,), {"result": "ap_fixed<8,3>"}),
    ]
    return Model("mlp", [Tensor("x", (2,), "ap_fixed<8,3,AP_RND,AP_SAT>")], layers, ["relu"])


def test_top_level_export_is_the_layers_function() -> None:
    assert fwparity.emulate is emulate


def test_float_inputs_are_quantised_like_input_t_double() -> None:
    # input_t = <8,3,RND,SAT> (F = 5): 1.015625 is the tie 32.5 LSB -> 33; 100.0 saturates to 127
    em = emulate(_mlp(), np.array([[1.0 + 2**-6, 100.0]]))
    # fc (accum <8,3>, products floored to F = 5): 33*16>>5 + 127*8>>5 = 16 + 31; 33*-8>>5 + 127*32>>5 =
    # -9 + 127
    assert em.raw["relu"].tolist() == [[47, 118]]
    assert isinstance(em, Emulation)


def test_raw_and_float_inputs_agree() -> None:
    model = _mlp()
    raw = np.array([[32, -16], [127, -128]])
    a = emulate(model, raw)
    b = emulate(model, raw / 32.0)
    assert a.raw["relu"].tolist() == b.raw["relu"].tolist()


def test_dict_inputs_and_trace() -> None:
    em = emulate(_mlp(), {"x": np.array([[32, 32]])}, trace=True)
    assert set(em.trace) == {"fc", "relu"}
    assert em.trace["fc"].tolist() == [[24, 24]]  # 0.5 + 0.25 = 0.75, -0.25 + 1.0 = 0.75
    assert str(em.trace_types["fc"]) == "ap_fixed<8,3>"


def test_values_are_exact() -> None:
    em = emulate(_mlp(), np.array([[32, 32]]))
    assert em.values["relu"].tolist() == [[0.75, 0.75]]
    wide = Model(
        "w",
        [Tensor("x", (1,), "ap_fixed<70,10>")],
        [Layer("id", "linear", ["x"], (1,), {"result": "ap_fixed<70,10>"})],
        ["id"],
    )
    v = emulate(wide, np.array([[3]], dtype=object)).values["id"]
    assert v.dtype == object and v[0, 0] == fractions.Fraction(3, 2**60)


def test_overflows_counted_per_layer() -> None:
    # output 1 of the first event: 0 + (-128*-8 >> 5 = 32) + (127*32 >> 5 = 127) = 159 wraps in <8,3>:
    # one event
    em = emulate(_mlp(), np.array([[-128, 127], [0, 0]]))
    assert em.raw["relu"].tolist() == [[0, 0], [0, 0]]
    assert em.overflows == {"fc": 1, "relu": 0}
    assert emulate(_mlp(), np.array([[127, 127]]), count_overflows=False).overflows == {}


def test_batches_larger_than_a_chunk_are_concatenated(monkeypatch: pytest.MonkeyPatch) -> None:
    from fwparity.layers import _emulate

    monkeypatch.setattr(_emulate, "_BATCH_CHUNK", 4096)
    model = _mlp()
    rng = np.random.default_rng(0)
    x = rng.integers(-128, 128, size=(20000, 2))
    whole = emulate(model, x, trace=True)
    parts = [emulate(model, x[i : i + 7000]) for i in range(0, 20000, 7000)]
    np.testing.assert_array_equal(whole.raw["relu"], np.concatenate([p.raw["relu"] for p in parts]))
    assert whole.trace["fc"].shape == (20000, 2)


@pytest.mark.parametrize(
    ("inputs", "error", "message"),
    [
        pytest.param(
            np.array([[128, 0]]),
            InvalidArgument,
            r"^Input 'x' has raw code 128 outside ap_fixed<8,3,AP_RND,AP_SAT>, whose raw codes are "
            r"\[-128, 127\]; pass floats to quantize values instead$",
            id="raw-out-of-range",
        ),
        pytest.param(
            np.zeros((4, 3)),
            InvalidArgument,
            r"^Input 'x' must have shape \(N, 2\), not \(4, 3\)$",
            id="shape",
        ),
        pytest.param(
            {"y": np.zeros((1, 2))},
            InvalidArgument,
            r"^inputs names 'y' not among the model inputs: x$",
            id="unknown-name",
        ),
        pytest.param(
            np.array([["a", "b"]]),
            InvalidType,
            r"^Input 'x' must be a float array \(values\) or an integer array \(raw codes\), not dtype=<U1$",
            id="strings",
        ),
    ],
)
def test_invalid_inputs(inputs, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        emulate(_mlp(), inputs)


def test_unknown_kind() -> None:
    model = Model(
        "m",
        [Tensor("x", (2,), "ap_fixed<8,3>")],
        [Layer("g", "gru", ["x"], (2,), {"result": "ap_fixed<8,3>"})],
        ["g"],
    )
    with pytest.raises(
        UnsupportedLayer, match=r"^Layer 'g' has kind='gru', which the reference does not model; "
    ):
        emulate(model, np.zeros((1, 2)))


def test_every_model_kind_is_registered() -> None:
    from fwparity.model import KINDS

    assert set(KINDS) <= set(LAYERS)


def _wrapping_mlp(seed: int) -> Model:
    # ap_fixed<16,6> everywhere (accum AP_TRN, AP_WRAP): the low-bits kernel and the screened overflow count.
    rng = np.random.default_rng(seed)
    t = "ap_fixed<16,6>"
    types = {"weight": t, "bias": t, "accum": t, "result": t}
    layers = [
        Layer(
            "fc1",
            "dense",
            ["x"],
            (8,),
            types,
            {"weight": rng.integers(-6000, 6000, (16, 8)), "bias": rng.integers(-512, 512, 8)},
            {"n_in": 16, "n_out": 8},
        ),
        Layer("relu1", "relu", ["fc1"], (8,), {"result": t}),
        Layer(
            "fc2",
            "dense",
            ["relu1"],
            (4,),
            {**types, "accum": "ap_fixed<16,6,AP_RND,AP_SAT>"},
            {"weight": rng.integers(-6000, 6000, (8, 4)), "bias": rng.integers(-512, 512, 4)},
            {"n_in": 8, "n_out": 4},
        ),
    ]
    return Model("wrapping", [Tensor("x", (16,), t)], layers, ["fc2"])


def test_workers_do_not_change_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    from fwparity.layers import _emulate

    monkeypatch.setattr(_emulate, "_BATCH_CHUNK", 256)
    model = _wrapping_mlp(1)
    x = np.random.default_rng(2).normal(0.0, 8.0, size=(3000, 16))
    one = emulate(model, x, trace=True, workers=1)
    assert all(one.overflows[name] > 0 for name in ("fc1", "fc2"))  # the counts are really exercised
    for workers in (2, 3):
        many = emulate(model, x, trace=True, workers=workers)
        np.testing.assert_array_equal(many.raw["fc2"], one.raw["fc2"])
        assert many.trace.keys() == one.trace.keys()
        for name, raw in one.trace.items():
            np.testing.assert_array_equal(many.trace[name], raw)
        assert many.overflows == one.overflows


def test_workers_run_chunks_concurrently(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two chunks that each wait for the other can only finish if two threads run them at the same time.
    import threading

    from fwparity.layers import _emulate

    monkeypatch.setattr(_emulate, "_BATCH_CHUNK", 100)
    barrier = threading.Barrier(2, timeout=30)
    run = _emulate._run

    def meeting_run(*args: object, **kwargs: object) -> object:
        barrier.wait()
        return run(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_emulate, "_run", meeting_run)
    em = emulate(_mlp(), np.zeros((200, 2), dtype=np.int64), workers=2)
    assert em.raw["relu"].shape == (200, 2)


@pytest.mark.parametrize(
    ("workers", "message"),
    [
        pytest.param(0, r"^workers must be a positive integer or None, not workers=0$", id="zero"),
        pytest.param(1.5, r"^workers must be a positive integer or None, not workers=1\.5$", id="float"),
        pytest.param(True, r"^workers must be a positive integer or None, not workers=True$", id="bool"),
    ],
)
def test_invalid_workers(workers: object, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        emulate(_mlp(), np.zeros((1, 2)), workers=workers)  # type: ignore[arg-type]
