"""Write the bundled example of ``fwparity demo``: the jet-tagging MLP and a small vector file.

    python vectors/make_example.py        # rewrites vectors/jet_mlp.fwp.h5 and vectors/jet_mlp_vectors.h5

The model (16 -> 64 -> 32 -> 32 -> 5, ReLU, stable softmax, ap_fixed<16,6>) and its weights come from
``fwparity._example`` with a fixed seed, so rerunning this script reproduces the same model (same sha256). The
vector file holds 1,000 float jet-feature vectors (physics values, quantized like ``input_t(double)`` when
read) and the reference outputs for them.
"""

from __future__ import annotations

from pathlib import Path

from fwparity._backend import get_backend
from fwparity._example import EXAMPLE_SEED, example_inputs, example_model
from fwparity.compare import quantize_inputs
from fwparity.vectors import VectorSet, write_vectors

HERE = Path(__file__).resolve().parent
N_VECTORS = 1000


def main() -> None:
    model = example_model(EXAMPLE_SEED)
    model.save(HERE / "jet_mlp.fwp.h5")
    x = example_inputs(N_VECTORS, EXAMPLE_SEED)
    vs = VectorSet(model_sha256=model.sha256(), seed=EXAMPLE_SEED)
    vs.add_input("input_1", x)
    vs.add_run_result(get_backend("reference").run(model, quantize_inputs(model, x)), model)
    write_vectors(HERE / "jet_mlp_vectors.h5", vs)
    print(f"wrote {HERE / 'jet_mlp.fwp.h5'} (sha256 {model.sha256()}) and {HERE / 'jet_mlp_vectors.h5'}")


if __name__ == "__main__":
    main()
