"""The vectors API as `fwparity emulate` uses it, with a real Model and the reference backend: stream inputs
in chunks, run each, append the RunResult: the file equals one whole-batch run (forgiving reader included)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fwparity._backend import get_backend
from fwparity.model import Layer, Model, Tensor
from fwparity.vectors import (
    VectorSet,
    VectorWriter,
    iter_input_chunks,
    read_inputs,
    read_vectors,
    write_vectors,
)


def _model() -> Model:
    return Model(
        "tiny",
        inputs=[Tensor("x", (2,), "ap_fixed<8,3>")],
        layers=[
            Layer(
                "fc",
                "dense",
                ["x"],
                (1,),
                {
                    "weight": "ap_fixed<8,2>",
                    "bias": "ap_fixed<8,2>",
                    "accum": "ap_fixed<16,6>",
                    "result": "ap_fixed<16,6>",
                },
                {"weight": np.array([[3], [-5]]), "bias": np.array([1])},
                {"n_in": 2, "n_out": 1, "strategy": "latency"},
            ),
            Layer("out", "relu", ["fc"], (1,), {"result": "ap_fixed<8,3>"}),
        ],
        outputs=["out"],
    )


def test_stream_chunks_through_the_reference_into_a_vector_writer(tmp_path: Path) -> None:
    model = _model()
    physics = np.random.default_rng(3).uniform(-4, 4, size=(23, 2))
    src = tmp_path / "in.h5"
    vs = VectorSet(seed=3)
    vs.add_input("features", physics)  # float physics values under any name: the one-input rule applies
    write_vectors(src, vs)
    backend = get_backend("reference")
    out = tmp_path / "out.h5"
    with VectorWriter(out, model_sha256=model.sha256(), seed=3) as w:
        for chunk in iter_input_chunks(src, 5, model=model):
            w.append_inputs(chunk, model.input_types)
            w.append_run_result(backend.run(model, chunk, trace=True), model)
    whole_inputs = read_inputs(src, model)
    assert whole_inputs["x"].tolist() == model.inputs[0].type.from_float(physics).tolist()
    whole = backend.run(model, whole_inputs, trace=True)
    got = read_vectors(out)
    assert got.model_sha256 == model.sha256() and got.seed == 3
    assert got.inputs["x"].tolist() == whole_inputs["x"].tolist()
    assert got.outputs["reference"]["out"].tolist() == whole.outputs["out"].tolist()
    assert got.trace["reference"]["fc"].tolist() == whole.trace["fc"].tolist()
    assert str(got.output_types["reference"]["out"]) == "ap_fixed<8,3>"
    assert str(got.trace_types["reference"]["fc"]) == "ap_fixed<16,6>"
