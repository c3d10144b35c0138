"""validate(): real backends on the same raw inputs. The reference is fwparity's numpy model; the "firmware"
under test is either the same model with one weight changed (so the right answer for the first divergent layer
is known by construction) or the C++ that fwparity emits, compiled by g++ with the real ap_types headers."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest

from fwparity._backend import Backend, RunResult, get_backend
from fwparity.compare import quantize_inputs, random_vectors, validate
from fwparity.errors import InvalidArgument
from fwparity.model import Layer, Model, Tensor


def _model() -> Model:
    rng = np.random.default_rng(4)
    dense = {
        "weight": "ap_fixed<8,2>",
        "bias": "ap_fixed<8,2>",
        "accum": "ap_fixed<24,10>",
        "result": "ap_fixed<16,6>",
    }
    return Model(
        "tiny_mlp",
        inputs=[Tensor("x", (6,), "ap_fixed<12,4>")],
        layers=[
            Layer(
                "fc1",
                "dense",
                ["x"],
                (5,),
                dense,
                {"weight": rng.integers(-128, 128, (6, 5)), "bias": rng.integers(-128, 128, (5,))},
                {"n_in": 6, "n_out": 5, "strategy": "latency"},
            ),
            Layer("relu1", "relu", ["fc1"], (5,), {"result": "ap_fixed<12,4,AP_RND,AP_SAT>"}),
            Layer(
                "fc2",
                "dense",
                ["relu1"],
                (3,),
                dense,
                {"weight": rng.integers(-128, 128, (5, 3)), "bias": rng.integers(-128, 128, (3,))},
                {"n_in": 5, "n_out": 3, "strategy": "latency"},
            ),
        ],
        outputs=["fc2"],
    )


class _Tampered(Backend):
    """The reference run on a copy of the model with one weight of one layer changed: a firmware bug whose
    location is known."""

    name = "tampered"

    def __init__(self, layer: str, delta: int) -> None:
        self._layer, self._delta = layer, delta

    def run(self, model, inputs_raw, *, trace=False) -> RunResult:
        bad = copy.deepcopy(model)
        w = bad.layer(self._layer).weights["weight"]
        w[0, 0] = np.clip(w[0, 0] + self._delta, -128, 127)
        result = get_backend("reference").run(bad, inputs_raw, trace=trace)
        return RunResult(self.name, result.outputs, result.trace, {}, result.seconds)


@pytest.mark.parametrize("layer", ["fc1", "fc2"])
def test_first_divergent_layer_is_the_tampered_one(layer):
    model = _model()
    inputs = random_vectors(model, 400, seed=1)
    c = validate(model, inputs, against=["reference", _Tampered(layer, 64)], seed=1, vector_source="random")
    (pair,) = c.pairs
    assert (c.status, pair.actual, pair.first_divergent_layer) == ("mismatch", "tampered", layer)
    assert [x.name for x in pair.layers][:3] == ["fc1", "relu1", "fc2"]
    assert c.model_sha256 == model.sha256() and c.overflows.keys() == {"fc1", "relu1", "fc2"}
    assert set(c.inputs) == set(pair.first_mismatched_vectors[:10])


def test_parity_of_the_reference_with_itself():
    model = _model()
    c = validate(model, random_vectors(model, 100, seed=2, floats=True), against="reference,reference")
    assert (c.status, c.pairs[0].compared_elements) == ("parity", 300)


@pytest.mark.requires_gxx
def test_reference_against_emitted_csim():
    """End to end through real g++ and the ap_types headers: reference and csim agree on every edge case."""
    model = _model()
    c = validate(
        model,
        random_vectors(model, 200, seed=3),
        against=("reference", "csim"),
        options={"csim": {"workers": 0}},
    )
    assert c.status == "parity", c.pairs[0].mismatches[:5]
    assert c.pairs[0].compared_elements == 600


def _cast_model(result_type: str) -> Model:
    """x -> dense (wide, never overflows) -> linear cast into ``result_type``, the only difference."""
    rng = np.random.default_rng(8)
    wide = "ap_fixed<24,10>"
    return Model(
        "cast",
        inputs=[Tensor("x", (6,), "ap_fixed<12,4>")],
        layers=[
            Layer(
                "fc",
                "dense",
                ["x"],
                (5,),
                {"weight": "ap_fixed<8,2>", "bias": "ap_fixed<8,2>", "accum": wide, "result": wide},
                {"weight": rng.integers(-128, 128, (6, 5)), "bias": rng.integers(-128, 128, (5,))},
                {"n_in": 6, "n_out": 5, "strategy": "latency"},
            ),
            Layer("cast", "linear", ["fc"], (5,), {"result": result_type}),
        ],
        outputs=["cast"],
    )


class _OnModel(Backend):
    """Run a backend on another model: firmware built with different output modes than the software model."""

    def __init__(self, backend: Backend, model: Model) -> None:
        self._backend, self._model = backend, model
        self.name = backend.name

    def run(self, model, inputs_raw, *, trace=False) -> RunResult:
        return self._backend.run(self._model, inputs_raw, trace=trace)


@pytest.mark.requires_gxx
def test_classes_of_a_real_mode_mismatch_in_compiled_cpp():
    """Software model AP_RND/AP_SAT, firmware (C++ compiled by g++) AP_TRN/AP_WRAP on the same output.

    Ground truth from the reference's trace of ``fc`` (the value before the cast, F = 14 -> F = 5, a shift by
    9): where the value fits ap_fixed<8,3>, RND and TRN differ by exactly one LSB when the dropped bits are
    >= 1/2, so every mismatch there must be ``rounding``; where it does not fit, SAT sits on a rail and WRAP
    does not, so the mismatch must be ``saturation`` (or ``rounding`` if the wrapped code lands next to it).
    """
    firmware = _cast_model("ap_fixed<8,3>")
    software = _cast_model("ap_fixed<8,3,AP_RND,AP_SAT>")
    inputs = random_vectors(software, 2000, seed=5)
    csim = _OnModel(get_backend("csim", workers=0), firmware)

    own = validate(firmware, inputs, against=["reference", csim])
    assert own.status == "parity", own.pairs[0].mismatches[:5]

    c = validate(software, inputs, against=["reference", csim], max_listed=10**6)
    (pair,) = c.pairs
    reference = get_backend("reference").run(software, inputs, trace=True)
    fc = reference.trace["fc"].astype(np.int64)
    trn, rnd = fc >> 9, (fc + (1 << 8)) >> 9
    fits = (trn >= -128) & (rnd <= 127)  # both roundings fit (trn <= rnd), so neither side saturates or wraps
    assert 0 < int((~fits).sum()) < fits.size  # the vectors do reach both regimes
    in_range = {(m.vector, m.index): m.cls for m in pair.mismatches if fits[m.vector, m.index]}
    beyond = {(m.vector, m.index): m for m in pair.mismatches if not fits[m.vector, m.index]}
    assert set(in_range.values()) == {"rounding"}
    assert len(in_range) == int((fits & (trn != rnd)).sum())
    assert beyond and all(
        m.cls == "saturation" or (m.cls == "rounding" and abs(m.delta_lsb) == 1) for m in beyond.values()
    )
    assert len(pair.mismatches) == pair.mismatched_elements
    assert pair.first_divergent_layer == "cast"


@pytest.mark.parametrize(
    "inputs, kwargs, message",
    [
        pytest.param(
            np.zeros((2, 5)), {}, "input 'x' has shape (2, 5); model 'tiny_mlp' expects (N, 6)", id="shape"
        ),
        pytest.param(
            np.full((2, 6), 5000),
            {},
            "input 'x' holds raw codes in [5000, 5000], outside ap_fixed<12,4> [-2048, 2047]",
            id="raw-range",
        ),
        pytest.param(
            {"y": np.zeros((2, 6))},
            {},
            "inputs has ['y'], which are not inputs of model 'tiny_mlp'",
            id="unknown-input",
        ),
        pytest.param(
            np.zeros((2, 6)),
            {"against": ["reference"]},
            "against needs at least two backends, not against=('reference',)",
            id="one-backend",
        ),
    ],
)
def test_invalid_calls(inputs, kwargs, message):
    with pytest.raises(InvalidArgument, match=f"^{re.escape(message)}$"):
        validate(_model(), inputs, **kwargs)


def test_quantize_inputs_floats_like_input_t_double():
    raw = quantize_inputs(_model(), np.array([[0.5, -0.5, 1 / 256, -1 / 512, 7.99, -9.0]]))["x"]
    # ap_fixed<12,4>: F = 8, AP_TRN floors, AP_WRAP wraps -9.0 (raw -2304) to -2304 + 4096 = 1792
    assert raw.tolist() == [[128, -128, 1, -1, 2045, 1792]]
