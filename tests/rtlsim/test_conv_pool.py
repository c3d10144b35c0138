"""Convolutions and pooling for small inputs (unrolled per output pixel by the generator) against the
reference."""

from __future__ import annotations

import numpy as np
import pytest

import fwparity
from fwparity.model import Layer, Model, Tensor

pytestmark = pytest.mark.requires_verilator

X = "ap_fixed<10,4>"


def _model() -> Model:
    rng = np.random.default_rng(21)
    w2 = rng.integers(-128, 128, (3, 3, 2, 2))
    w1 = rng.integers(-128, 128, (3, 2, 3))
    conv_t = {"weight": "ap_fixed<8,2>", "bias": "ap_fixed<8,3>"}
    layers = [
        Layer(
            "conv2d",
            "conv2d",
            ["img"],
            (4, 4, 2),
            {**conv_t, "accum": "ap_fixed<14,6,AP_RND,AP_SAT>", "result": "ap_fixed<10,4,AP_RND,AP_SAT>"},
            {"weight": w2, "bias": rng.integers(-128, 128, 2)},
            {
                "kernel": [3, 3],
                "strides": [1, 1],
                "padding": "same",
                "pad_top": 1,
                "pad_bottom": 1,
                "pad_left": 1,
                "pad_right": 1,
            },
        ),
        Layer(
            "maxpool2d",
            "maxpool2d",
            ["conv2d"],
            (2, 2, 2),
            {"result": "ap_fixed<8,3,AP_TRN,AP_SAT>"},
            options={"pool": [2, 2], "strides": [2, 2]},
        ),
        Layer(
            "avgpool2d",
            "avgpool2d",
            ["img"],
            (2, 2, 2),
            {"accum": "ap_fixed<12,5>", "result": "ap_fixed<10,4,AP_RND>"},
            options={
                "pool": [3, 3],
                "strides": [2, 2],
                "pad_top": 0,
                "pad_bottom": 1,
                "pad_left": 0,
                "pad_right": 1,
            },
        ),
        Layer("gap", "global_avgpool2d", ["conv2d"], (2,), {"accum": "ap_fixed<16,8>", "result": X}),
        Layer(
            "conv1d",
            "conv1d",
            ["seq"],
            (4, 3),
            {**conv_t, "accum": "ap_fixed<16,6>", "result": X},
            {"weight": w1, "bias": rng.integers(-128, 128, 3)},
            {"kernel": 3, "strides": 2, "padding": "same", "pad_left": 1, "pad_right": 0},
        ),
        Layer(
            "maxpool1d",
            "maxpool1d",
            ["seq"],
            (3, 2),
            {"result": X},
            options={"pool": 3, "strides": 3, "pad_left": 0, "pad_right": 1},
        ),
        Layer("gmp", "global_maxpool1d", ["conv1d"], (3,), {"accum": "ap_fixed<12,6>", "result": X}),
    ]
    return Model(
        "convpool",
        [Tensor("img", (4, 4, 2), X), Tensor("seq", (8, 2), X)],
        layers,
        ["maxpool2d", "avgpool2d", "gap", "conv1d", "maxpool1d", "gmp"],
    )


@pytest.fixture(scope="module")
def results() -> tuple[dict, dict]:
    model = _model()
    rng = np.random.default_rng(5)
    inputs = {
        "img": rng.integers(-512, 512, (10_000, 4, 4, 2)),
        "seq": rng.integers(-512, 512, (10_000, 8, 2)),
    }
    from fwparity.rtlsim import RtlBackend

    return fwparity.emulate(model, inputs).raw, RtlBackend().run(model, inputs).outputs


@pytest.mark.parametrize("name", ["maxpool2d", "avgpool2d", "gap", "conv1d", "maxpool1d", "gmp"])
def test_conv_pool_matches_reference(name: str, results: tuple[dict, dict]) -> None:
    expected, actual = results
    bad = np.argwhere(np.asarray(actual[name]) != np.asarray(expected[name]))
    assert bad.size == 0, f"{len(bad)} differ, first at {tuple(bad[0])}"
    assert len(np.unique(expected[name])) > 8
