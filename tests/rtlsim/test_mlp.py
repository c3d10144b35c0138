"""The jet-tagging MLP end to end: generated Verilog, Verilator batch harness, 10,000+ vectors, against
emulate."""

from __future__ import annotations

import numpy as np
import pytest

import fwparity
from fwparity.model import Model
from fwparity.rtlsim import RtlBackend

pytestmark = pytest.mark.requires_verilator


def test_jet_mlp_is_bit_exact(jet_mlp: Model) -> None:
    rng = np.random.default_rng(1)
    x = rng.integers(-(1 << 13), 1 << 13, size=(12_000, 16))
    x[:200] = rng.integers(-(1 << 15), 1 << 15, size=(200, 16))  # full range: wrapped accumulators, rails
    result = RtlBackend().run(jet_mlp, {"x": x})
    expected = fwparity.emulate(jet_mlp, {"x": x}).raw["softmax"]
    actual = result.outputs["softmax"]
    assert result.backend == "rtl"
    assert actual.shape == (12_000, 5)
    bad = np.argwhere(actual != expected)
    assert bad.size == 0, f"{len(bad)} elements differ, first (vector, output) {tuple(bad[0])}"
    # The softmax must see varied logits, or a broken network could still match a constant.
    assert len(np.unique(expected)) > 100
