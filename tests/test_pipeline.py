"""The glue under ``fwparity validate``/``emulate`` (fwparity._pipeline), without external tools.

The oracle for chunked runs is the same run done whole: merging the comparisons of chunks must give exactly
the report of one comparison over all vectors, and streaming emulation must write exactly what one
``emulate()`` call returns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

import fwparity
from fwparity._backend import Backend, RunResult, get_backend
from fwparity._example import example_inputs, example_model
from fwparity._pipeline import (
    _from_arrays,
    emulate_file,
    merge_comparisons,
    open_inputs,
    parse_against,
    run_validation,
)
from fwparity.compare import compare_runs, quantize_inputs
from fwparity.errors import FormatError, InvalidArgument
from fwparity.vectors import VectorSet, read_vectors, write_vectors


@pytest.fixture(scope="module")
def model() -> Any:
    return example_model()


class TamperedReference(Backend):
    """The reference with one raw weight of one dense layer changed: a known first divergent layer."""

    name = "tampered"

    def __init__(self, layer: str, index: tuple[int, int], delta: int) -> None:
        self.layer, self.index, self.delta = layer, index, delta

    def run(self, model: Any, inputs_raw: Any, *, trace: bool = False) -> RunResult:
        from fwparity.model import Model

        layers = []
        for layer in model.layers:
            if layer.name == self.layer:
                w = np.array(layer.weights["weight"], copy=True)
                w[self.index] += self.delta
                layer = type(layer)(
                    layer.name,
                    layer.kind,
                    layer.inputs,
                    layer.shape,
                    layer.types,
                    {**layer.weights, "weight": w},
                    layer.options,
                )
            layers.append(layer)
        broken = Model(model.name, model.inputs, layers, model.outputs)
        result = get_backend("reference").run(broken, inputs_raw, trace=trace)
        return RunResult(self.name, result.outputs, result.trace)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "reference,xsim",
            r"^--against names 'xsim', which is not a backend; choose from reference, csim, rtl$",
            id="unknown",
        ),
        pytest.param(
            "reference",
            r"^--against needs at least two backends to compare, not against='reference'$",
            id="one",
        ),
        pytest.param("csim,csim", r"^--against names a backend twice: against='csim,csim'$", id="twice"),
        pytest.param("", r"^--against needs at least two backends to compare, not against=''$", id="empty"),
    ],
)
def test_parse_against_rejects(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        parse_against(text)


@pytest.mark.parametrize(
    "chunk_size",
    [
        pytest.param(7, id="7"),
        pytest.param(37, id="37"),
        pytest.param(100, id="100"),
        pytest.param(1000, id="whole"),
    ],
)
def test_chunked_validation_equals_whole_run(model: Any, chunk_size: int) -> None:
    """The merged report of any chunking is the report of one whole comparison (listing caps included)."""
    x = example_inputs(300, seed=5)
    raw = quantize_inputs(model, x)
    backends = [get_backend("reference"), TamperedReference("fc2", (3, 7), 1 << 11)]
    whole = compare_runs([b.run(model, raw, trace=True) for b in backends], model, inputs=raw, max_listed=25)
    source = _from_arrays(model, {"input_1": x}, "inputs", None)
    chunked = run_validation(model, source, backends, chunk_size=chunk_size, max_listed=25)
    assert whole.status == "mismatch"
    assert whole.pairs[0].first_divergent_layer == "fc2"
    got, want = chunked.to_json(), whole.to_json()
    for pair in (*got["comparisons"], *want["comparisons"]):
        pair.pop("seconds")
    want["vectors"]["source"] = "inputs"
    assert got == want


@pytest.mark.parametrize(
    "chunk_size",
    [
        pytest.param(7, id="7"),
        pytest.param(37, id="37"),
    ],
)
def test_chunked_validation_keeps_the_whole_runs_inputs_with_few_listed(model: Any, chunk_size: int) -> None:
    """With max_listed=3 (below the 10 kept inputs) a chunked run keeps exactly the inputs a whole run keeps:
    those of the first listed vectors over the whole run, not of every chunk's first ones."""
    x = example_inputs(300, seed=5)
    raw = quantize_inputs(model, x)
    backends = [
        get_backend("reference"),
        TamperedReference("fc2", (3, 7), 1 << 11),
        TamperedReference("fc1", (0, 1), -(1 << 9)),
    ]
    whole = compare_runs([b.run(model, raw, trace=True) for b in backends], model, inputs=raw, max_listed=3)
    source = _from_arrays(model, {"input_1": x}, "inputs", None)
    chunked = run_validation(model, source, backends, chunk_size=chunk_size, max_listed=3)
    assert whole.status == "mismatch"
    assert 3 < len(whole.inputs) < 10  # two pairs' listed vectors, and fewer than the 10 kept inputs
    got, want = chunked.to_json(), whole.to_json()
    for pair in (*got["comparisons"], *want["comparisons"]):
        pair.pop("seconds")
    want["vectors"]["source"] = "inputs"
    assert got == want


def test_merge_rejects_a_first_chunk_with_an_offset(model: Any) -> None:
    raw = quantize_inputs(model, example_inputs(2))
    ref = get_backend("reference").run(model, raw)
    c = compare_runs([ref, ref], model)
    with pytest.raises(InvalidArgument, match=r"^the first chunk must start at vector 0, not offset=5$"):
        merge_comparisons(None, c, 5)


def test_emulate_file_streams_exactly_what_emulate_returns(model: Any, tmp_path: Path) -> None:
    x = example_inputs(567, seed=9)
    vs = VectorSet(seed=42)
    vs.add_input("features", x)  # any name: a one-input model takes the only dataset
    write_vectors(tmp_path / "in.h5", vs)
    n, _ = emulate_file(model, tmp_path / "in.h5", tmp_path / "out.h5", trace=True, chunk_size=100)
    out = read_vectors(tmp_path / "out.h5")
    em = fwparity.emulate(model, x, trace=True)
    assert n == 567
    assert out.seed == 42 and out.model_sha256 == model.sha256()
    np.testing.assert_array_equal(out.inputs["input_1"], quantize_inputs(model, x)["input_1"])
    np.testing.assert_array_equal(out.outputs["reference"]["softmax"], em.raw["softmax"])
    assert sorted(out.trace["reference"]) == sorted(em.trace)
    for layer, raw in em.trace.items():
        np.testing.assert_array_equal(out.trace["reference"][layer], raw)
    assert str(out.output_types["reference"]["softmax"]) == "ap_fixed<16,6>"


def test_nonfinite_inputs_are_counted_and_quantized_like_the_headers(model: Any, tmp_path: Path) -> None:
    x = example_inputs(10, seed=1)
    x[0, 0], x[1, 3], x[2, 5], x[3, 0] = np.nan, np.inf, -np.inf, np.nan
    vs = VectorSet()
    vs.add_input("input_1", x)
    write_vectors(tmp_path / "in.h5", vs)
    n, source = emulate_file(model, tmp_path / "in.h5", tmp_path / "out.h5", chunk_size=3)
    assert source.nonfinite == {"nan": 2, "inf": 2}
    t = model.inputs[0].type
    stored = read_vectors(tmp_path / "out.h5").inputs["input_1"]
    np.testing.assert_array_equal(stored, t.from_float(x))  # from_float is proven against g++ elsewhere


def test_emulate_memory_does_not_grow_with_the_file(model: Any, tmp_path: Path) -> None:
    """Peak Python allocations for 4k and 16k events differ by far less than the 4x more data."""
    import tracemalloc

    peaks = []
    for n in (4_000, 16_000):
        vs = VectorSet()
        vs.add_input("input_1", np.random.default_rng(n).normal(size=(n, 16)))
        write_vectors(tmp_path / f"in{n}.h5", vs)
        del vs
        tracemalloc.start()
        emulate_file(model, tmp_path / f"in{n}.h5", tmp_path / f"out{n}.h5", chunk_size=1_000)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < peaks[0] * 1.3, peaks


def test_an_exception_mid_stream_leaves_the_earlier_output(
    model: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vs = VectorSet()
    vs.add_input("input_1", example_inputs(50))
    write_vectors(tmp_path / "in.h5", vs)
    out = tmp_path / "out.h5"
    out.write_bytes(b"earlier result")
    calls = {"n": 0}
    original = fwparity._backend.ReferenceBackend.run

    def failing(self: Any, *args: Any, **kwargs: Any) -> RunResult:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(fwparity._backend.ReferenceBackend, "run", failing)
    with pytest.raises(KeyboardInterrupt):
        emulate_file(model, tmp_path / "in.h5", out, chunk_size=10)
    assert out.read_bytes() == b"earlier result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.h5", "out.h5"]  # no temporary file left


def test_a_typed_dataset_of_the_wrong_type_names_it(model: Any, tmp_path: Path) -> None:
    vs = VectorSet()
    vs.add_input("input_1", np.zeros((4, 16), dtype=np.int64), "ap_fixed<18,8>")
    write_vectors(tmp_path / "in.h5", vs)
    with pytest.raises(
        FormatError,
        match=r"dataset inputs/input_1 has type ap_fixed<18,8>, expected "
        r"ap_fixed<16,6> for model input 'input_1'$",
    ):
        open_inputs(model, vectors=tmp_path / "in.h5")  # from the metadata, before any data is read


def test_a_truncated_hdf5_file_is_a_format_error(model: Any, tmp_path: Path) -> None:
    vs = VectorSet()
    vs.add_input("input_1", example_inputs(100))
    write_vectors(tmp_path / "in.h5", vs)
    data = (tmp_path / "in.h5").read_bytes()
    (tmp_path / "cut.h5").write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match=r"cut\.h5"):
        source = open_inputs(model, vectors=tmp_path / "cut.h5")
        list(source.chunks(10))
    with h5py.File(tmp_path / "in.h5") as f:  # the original is still fine
        assert f["inputs/input_1"].shape == (100, 16)
