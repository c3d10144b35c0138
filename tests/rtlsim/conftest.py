"""Shared models for the RTL tests: the jet-tagging MLP and a small model for the protocol benches."""

from __future__ import annotations

import numpy as np
import pytest

from fwparity.model import Layer, Model, Tensor

T = "ap_fixed<16,6>"


def mlp(name: str, dims: list[int], seed: int, *, weight_bits: int = 11) -> Model:
    """Dense/ReLU stack ending in a stable softmax, every type ap_fixed<16,6> (hls4ml's granularity='model').

    Weights are random raw codes of ``weight_bits`` magnitude bits (|w| < 2, so activations stay in range and
    the
    softmax sees varied logits rather than rails).
    """
    rng = np.random.default_rng(seed)
    layers, prev = [], "x"
    for k, (n_in, n_out) in enumerate(zip(dims[:-1], dims[1:], strict=True), start=1):
        layers.append(
            Layer(
                f"fc{k}",
                "dense",
                [prev],
                (n_out,),
                {"weight": T, "bias": T, "accum": T, "result": T},
                {
                    "weight": rng.integers(-(1 << weight_bits), 1 << weight_bits, (n_in, n_out)),
                    "bias": rng.integers(-(1 << weight_bits), 1 << weight_bits, (n_out,)),
                },
                {"n_in": n_in, "n_out": n_out},
            )
        )
        prev = f"fc{k}"
        if k < len(dims) - 1:
            layers.append(Layer(f"relu{k}", "relu", [prev], (n_out,), {"result": T}))
            prev = f"relu{k}"
    layers.append(
        Layer("softmax", "softmax", [prev], (dims[-1],), {"result": T}, options={"implementation": "stable"})
    )
    return Model(name, [Tensor("x", (dims[0],), T)], layers, ["softmax"])


@pytest.fixture(scope="session")
def jet_mlp() -> Model:
    """The jet-tagging MLP: 16 -> 64 -> 32 -> 32 -> 5, ReLU, softmax; random weights, fixed seed."""
    return mlp("jet", [16, 64, 32, 32, 5], seed=0)


@pytest.fixture(scope="session")
def small_mlp() -> Model:
    """4 -> 6 -> 3 with softmax: cheap to build, enough to exercise every protocol."""
    return mlp("small", [4, 6, 3], seed=3)
