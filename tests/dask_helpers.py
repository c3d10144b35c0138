"""Backends for tests/test_dask.py that dask workers can unpickle.

Worker processes import a pickled object's class by module name, and a class defined in a test module is not
importable there under pytest's importlib mode; this module is (``python -m pytest`` puts the repository
root on ``sys.path`` and spawned workers inherit it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fwparity._backend import Backend, RunResult, get_backend


class TamperedReference(Backend):
    """The reference with one raw weight of one dense layer changed: mismatches whose first divergent layer
    is known, spread over every chunk of a run."""

    name = "tampered"

    def __init__(self, layer: str, index: tuple[int, int], delta: int) -> None:
        self.layer, self.index, self.delta = layer, index, delta

    def run(self, model: Any, inputs_raw: Any, *, trace: bool = False) -> RunResult:
        from fwparity.model import Model

        layers = []
        for layer in model.layers:
            if layer.name == self.layer:
                weight = np.array(layer.weights["weight"], copy=True)
                weight[self.index] += self.delta
                layer = type(layer)(
                    layer.name,
                    layer.kind,
                    layer.inputs,
                    layer.shape,
                    layer.types,
                    {**layer.weights, "weight": weight},
                    layer.options,
                )
            layers.append(layer)
        broken = Model(model.name, model.inputs, layers, model.outputs)
        result = get_backend("reference").run(broken, inputs_raw, trace=trace)
        return RunResult(self.name, result.outputs, result.trace)
