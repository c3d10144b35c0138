"""The ``rtl`` backend as ``fwparity validate`` uses it: :class:`fwparity.rtlsim.RtlBackend` plus a per-layer
trace.

RTL has no printf. To still name the first divergent layer, ``validate`` runs the RTL of
:func:`traced_variant` of the model (the same layers, with every layer's output also a model output, so the
generated design gets a port per layer: the same pipeline with more taps) and splits what comes back into the
model's outputs and the trace. A manifest (user RTL) may likewise list, besides the model outputs, outputs
named after model layers; they become the trace.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ._backend import Backend, RunResult
from .errors import FormatError

if TYPE_CHECKING:
    from .model import Model

__all__ = ["GeneratedRtlBackend", "traced_variant"]


def traced_variant(model: Model) -> Model:
    """``model`` with every layer's output also listed as a model output (model outputs first, then
    layers)."""
    from .model import Model

    extra = [layer.name for layer in model.layers if layer.name not in model.outputs]
    return Model(model.name, list(model.inputs), list(model.layers), [*model.outputs, *extra])


class GeneratedRtlBackend(Backend):
    """Run ``model`` as RTL in Verilator (generated from the model, or from a manifest), with a layer trace.

    Parameters
    ----------
    manifest : path, optional
        A TOML manifest (docs/rtl.md) describing user RTL. Without it the RTL is generated from the model.
    """

    name = "rtl"

    def __init__(self, *, manifest: str | os.PathLike[str] | None = None) -> None:
        self._manifest = None if manifest is None else Path(manifest)

    def __repr__(self) -> str:
        return f"GeneratedRtlBackend(manifest={str(self._manifest) if self._manifest else None!r})"

    def run(self, model: Model, inputs_raw: Mapping[str, np.ndarray], *, trace: bool = False) -> RunResult:
        from .rtlsim import RtlBackend
        from .rtlsim._manifest import load_rtl_manifest

        t0 = time.perf_counter()
        rtl = None
        if self._manifest is not None:
            rtl = load_rtl_manifest(self._manifest)
            have = {p.tensor for p in rtl.outputs}
            missing = [name for name in model.outputs if name not in have]
            if missing:
                raise FormatError(
                    f"RTL manifest {str(self._manifest)!r} has no output for model output {missing[0]!r} "
                    f"(outputs: {', '.join(sorted(have))})"
                )
        run_model = traced_variant(model) if trace else model
        result = RtlBackend(rtl).run(run_model, inputs_raw)
        shapes = {layer.name: tuple(layer.shape) for layer in model.layers}
        outputs = {name: result.outputs[name] for name in model.outputs}
        traced = {}
        if trace:
            for name, raw in result.outputs.items():
                if name in shapes:
                    traced[name] = np.asarray(raw).reshape((raw.shape[0], *shapes[name]))
        return RunResult(backend=self.name, outputs=outputs, trace=traced, seconds=time.perf_counter() - t0)
