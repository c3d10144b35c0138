"""The bundled example: a jet-tagging MLP (16 -> 64 -> 32 -> 32 -> 5, ReLU, stable softmax), all
ap_fixed<16,6>.

It is the model of ``fwparity demo`` and the CLI tests. The weights are drawn from a fixed seed directly on
the ap_fixed<16,6> grid, so the model is the same on every machine and needs neither Keras nor hls4ml. The
committed files under ``vectors/`` (``jet_mlp.fwp.h5``, ``jet_mlp_vectors.h5``) are written by
``vectors/make_example.py`` from this module; :func:`example_model` rebuilds the same model when those files
are not at hand (an installed wheel has no ``vectors/`` directory).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .model import Model

__all__ = ["EXAMPLE_SEED", "example_model", "example_inputs", "example_dir", "example_files"]

EXAMPLE_SEED = 20240611
_T = "ap_fixed<16,6>"
_SIZES = (16, 64, 32, 32, 5)
_SOFTMAX_TYPES = {
    # hls4ml 1.3 defaults for the stable softmax (fpga_backend.py); inp_norm_t = ap_ufixed<W-1, I-1> of the
    # input.
    "exp_table": "ap_fixed<18,8,AP_RND,AP_SAT>",
    "inv_table": "ap_fixed<18,8,AP_RND,AP_SAT>",
    "accum": "ap_fixed<18,8,AP_RND,AP_SAT>",
    "inv_inp": "ap_fixed<18,8,AP_RND,AP_SAT>",
    "inp_norm": "ap_ufixed<15,5>",
    "result": _T,
}


def example_model(seed: int = EXAMPLE_SEED) -> Model:
    """The jet-tagging MLP with weights drawn from ``seed`` (raw codes of ap_fixed<16,6>).

    Weights are normal with standard deviation ``1/sqrt(n_in)`` (so activations stay inside ap_fixed<16,6>'s
    range of +-32 for typical inputs), biases normal with 0.1, both rounded to the 2**-10 grid.

    Examples
    --------
    >>> m = example_model()
    >>> [layer.name for layer in m.layers]
    ['fc1', 'relu1', 'fc2', 'relu2', 'fc3', 'relu3', 'output', 'softmax']
    >>> m.sha256() == example_model().sha256()
    True
    """
    from .fixed import FixedType
    from .model import Layer, Model, Tensor

    t = FixedType.parse(_T)
    rng = np.random.default_rng(seed)
    scale = 1 << t.frac_bits

    def raw(values: np.ndarray) -> np.ndarray:
        return np.clip(np.round(values * scale), t.min_raw, t.max_raw).astype(np.int64)

    layers = []
    previous = "input_1"
    dense_names = ["fc1", "fc2", "fc3", "output"]
    for k, name in enumerate(dense_names):
        n_in, n_out = _SIZES[k], _SIZES[k + 1]
        weight = raw(rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_in, n_out)))
        bias = raw(rng.normal(0.0, 0.1, size=(n_out,)))
        layers.append(
            Layer(
                name,
                "dense",
                [previous],
                (n_out,),
                {"weight": t, "bias": t, "accum": t, "result": t},
                {"weight": weight, "bias": bias},
                {"n_in": n_in, "n_out": n_out, "strategy": "latency"},
            )
        )
        previous = name
        if name != "output":
            relu = f"relu{k + 1}"
            layers.append(Layer(relu, "relu", [previous], (n_out,), {"result": t}))
            previous = relu
    layers.append(
        Layer(
            "softmax",
            "softmax",
            [previous],
            (_SIZES[-1],),
            {k: FixedType.parse(v) for k, v in _SOFTMAX_TYPES.items()},
            {},
            {
                "implementation": "stable",
                "table_size": 1024,
                "exp_table_size": 1024,
                "inv_table_size": 1024,
                "exp_scale": 1.0,
                "n_in": _SIZES[-1],
                "n_slice": _SIZES[-1],
                "n_outer": 1,
                "n_inner": 1,
                "axis": -1,
            },
        )
    )
    model = Model("jet_mlp", [Tensor("input_1", (_SIZES[0],), t)], layers, ["softmax"])
    model.validate()
    return model


def example_inputs(n: int, seed: int = EXAMPLE_SEED) -> np.ndarray:
    """``n`` float64 jet-feature vectors (16 values each), physics-like: mostly within +-4, a few large.

    Examples
    --------
    >>> example_inputs(3).shape
    (3, 16)
    """
    rng = np.random.default_rng(seed + 1)
    x = rng.normal(0.0, 1.5, size=(n, _SIZES[0]))
    wide = rng.random(size=x.shape) < 0.02
    x[wide] *= 12.0  # a few values near or beyond the +-32 rails of ap_fixed<16,6>
    return x


def example_dir() -> Path | None:
    """The repository's ``vectors/`` directory when fwparity runs from a checkout (editable install), else
    None."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "data", here.parents[1] / "vectors"):
        if (candidate / "jet_mlp.fwp.h5").is_file():
            return candidate
    return None


def example_files() -> tuple[Path, Path] | None:
    """(model file, vector file) of the bundled example, or None when they are not installed."""
    d = example_dir()
    if d is None or not (d / "jet_mlp_vectors.h5").is_file():
        return None
    return d / "jet_mlp.fwp.h5", d / "jet_mlp_vectors.h5"
