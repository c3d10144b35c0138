"""The ``rtl`` backend used by ``fwparity validate``: generated or manifest-described RTL in the Verilator harness.

``fwparity.rtlsim`` provides the pieces (:func:`~fwparity.rtlsim.generate`, :func:`~fwparity.rtlsim.build_harness`,
:func:`~fwparity.rtlsim.run_batch`, ``load_rtl_manifest``); this module joins them into a
:class:`~fwparity._backend.Backend` so the CLI can treat RTL like the other backends.

Tracing: RTL has no printf. To still name the first divergent layer, the generated design for ``--rtl auto``
exposes every layer's output as an extra output port (the same pipeline with more taps), and a manifest may list,
besides the model outputs, outputs named after model layers; both come back as the run's ``trace``.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._backend import Backend, RunResult
from .errors import FormatError, InvalidArgument

if TYPE_CHECKING:
    from .model import Model

__all__ = ["GeneratedRtlBackend", "traced_variant"]

# (model sha256, manifest path or "", traced) -> HarnessBuild; a build is cached on disk by content anyway, this
# only saves regenerating and rehashing the Verilog for every chunk of one run.
_BUILDS: dict[tuple[str, str, bool], Any] = {}


def traced_variant(model: Model) -> Model:
    """``model`` with every layer's output also listed as a model output (model outputs first, then layers)."""
    from .model import Model

    extra = [layer.name for layer in model.layers if layer.name not in model.outputs]
    return Model(model.name, list(model.inputs), list(model.layers), [*model.outputs, *extra])


class GeneratedRtlBackend(Backend):
    """Run ``model`` as RTL in Verilator: the design fwparity generates (default) or one from a manifest.

    Parameters
    ----------
    manifest : path, optional
        A TOML manifest (``fwparity.rtlsim`` docs) describing user RTL. Without it the RTL is generated from the
        model.
    """

    name = "rtl"

    def __init__(self, *, manifest: str | os.PathLike[str] | None = None) -> None:
        self._manifest = None if manifest is None else Path(manifest)

    def __repr__(self) -> str:
        return f"GeneratedRtlBackend(manifest={str(self._manifest) if self._manifest else None!r})"

    def _build(self, model: Model, trace: bool) -> Any:
        from .rtlsim import build_harness, generate

        key = (model.sha256(), str(self._manifest or ""), trace)
        build = _BUILDS.get(key)
        if build is not None:
            return build
        if self._manifest is not None:
            from .rtlsim._manifest import load_rtl_manifest

            design = load_rtl_manifest(self._manifest)
            outputs = {p.tensor for p in design.outputs}
            missing = [name for name in model.outputs if name not in outputs]
            if missing:
                raise FormatError(
                    f"RTL manifest {str(self._manifest)!r} has no output for model output {missing[0]!r} "
                    f"(outputs: {', '.join(sorted(outputs))})"
                )
            build = build_harness(design)
        else:
            source = traced_variant(model) if trace else model
            with tempfile.TemporaryDirectory(prefix="fwparity-rtl-") as tmp:
                # The harness build copies the sources into the cache, so the generated files may go.
                build = build_harness(generate(source, tmp))
        _BUILDS[key] = build
        return build

    def run(self, model: Model, inputs_raw: Mapping[str, np.ndarray], *, trace: bool = False) -> RunResult:
        from .rtlsim import run_batch

        t0 = time.perf_counter()
        build = self._build(model, trace)
        feed = {}
        for tensor in model.inputs:
            if tensor.name not in inputs_raw:
                raise InvalidArgument(f"inputs_raw lacks input {tensor.name!r} of model {model.name!r}")
            feed[tensor.name] = np.asarray(inputs_raw[tensor.name])
        outs, _cycles, _seconds = run_batch(build, feed)
        layers = {layer.name: layer for layer in model.layers}
        outputs = {name: outs[name] for name in model.outputs}
        traced = {}
        if trace:
            for name, raw in outs.items():
                if name in layers:
                    traced[name] = raw.reshape((raw.shape[0], *layers[name].shape))
        return RunResult(backend=self.name, outputs=outputs, trace=traced, seconds=time.perf_counter() - t0)
