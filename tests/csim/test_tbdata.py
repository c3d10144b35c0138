"""tb_data files of an hls4ml project: exact raw round trip, float predictions, line layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fwparity.csim.tbdata import TB_INPUTS, TB_OUTPUTS, read_tb_data, write_tb_data
from fwparity.errors import InvalidArgument
from fwparity.model import Layer, Model, Tensor


@pytest.fixture
def model() -> Model:
    return Model(
        "m",
        [Tensor("a", (3,), "ap_fixed<16,6>"), Tensor("b", (2,), "ap_fixed<40,12>")],
        [
            Layer("r", "relu", ["a"], (3,), {"result": "ap_fixed<16,6>"}),
            Layer("s", "relu", ["b"], (2,), {"result": "ap_ufixed<8,3>"}),
        ],
        ["r", "s"],
    )


def test_raw_round_trip_is_exact(tmp_path: Path, model: Model) -> None:
    rng = np.random.default_rng(0)
    inputs = {
        "a": rng.integers(-(2**15), 2**15, size=(50, 3)),
        "b": rng.integers(-(2**39), 2**39, size=(50, 2)),
    }
    outputs = {"r": np.maximum(inputs["a"], 0), "s": rng.integers(0, 256, size=(50, 2))}
    paths = write_tb_data(tmp_path, inputs, outputs, model)
    assert paths == [tmp_path / TB_INPUTS, tmp_path / TB_OUTPUTS]
    lines = (tmp_path / TB_INPUTS).read_text().splitlines()
    assert len(lines) == 50 and all(len(line.split(" ")) == 5 for line in lines)
    back = read_tb_data(tmp_path, model, raw=True)
    for name in inputs:
        assert np.array_equal(back.inputs[name], inputs[name]), name
    assert back.predictions is not None
    for name in outputs:
        assert np.array_equal(back.predictions[name], outputs[name]), name


def test_predictions_default_to_float_values(tmp_path: Path, model: Model) -> None:
    (tmp_path / "tb_data").mkdir()
    (tmp_path / TB_INPUTS).write_text("1 0.5 -2 0.25 3\n")
    (tmp_path / TB_OUTPUTS).write_text("0.1 0.2 0.3 0.4 0.5\n")
    data = read_tb_data(tmp_path, model)
    assert data.inputs["a"].tolist() == [[1024, 512, -2048]]
    assert data.inputs["b"].tolist() == [[2**26, 3 * 2**28]]
    assert data.predictions is not None
    assert data.predictions["r"].tolist() == [[0.1, 0.2, 0.3]] and data.predictions["s"].tolist() == [
        [0.4, 0.5]
    ]


def test_prediction_width_mismatch(tmp_path: Path, model: Model) -> None:
    (tmp_path / "tb_data").mkdir()
    (tmp_path / TB_INPUTS).write_text("1 0.5 -2 0.25 3\n")
    (tmp_path / TB_OUTPUTS).write_text("0.1 0.2\n")
    with pytest.raises(
        InvalidArgument,
        match=r"^'.*tb_output_predictions\.dat' has 2 values per line; the model's outputs have 5$",
    ):
        read_tb_data(tmp_path, model)
