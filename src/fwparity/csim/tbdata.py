"""hls4ml test-bench data in a project: ``tb_data/tb_input_features.dat`` and ``tb_output_predictions.dat``.

A thin layer over :mod:`fwparity.vectors.dat` (which owns the format) that knows where an hls4ml project keeps
the files and which tensors they hold. Inputs are read as raw codes of the model's input types, exactly when
the text is on the grid. ``tb_output_predictions.dat`` usually holds the *float* predictions of the original
Keras model (not firmware outputs), so it is returned as float64 values unless ``raw=True``.

Written files carry the exact decimal expansion of every raw code, so nothing is lost in the file; note that
hls4ml's own C++ test bench parses them with ``atof`` into ``float``, which is exact only up to 24 significant
bits (:func:`fwparity.vectors.dat.float32_inexact` finds the values it would change). fwparity's runner passes
raw bits and has no such loss.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidArgument

if TYPE_CHECKING:
    from ..model import Model

__all__ = ["TbData", "read_tb_data", "write_tb_data", "TB_INPUTS", "TB_OUTPUTS"]

TB_INPUTS = Path("tb_data") / "tb_input_features.dat"
TB_OUTPUTS = Path("tb_data") / "tb_output_predictions.dat"


@dataclass
class TbData:
    """Inputs as raw codes by input name; predictions by output name (float64 values, or raw codes)."""

    inputs: dict[str, np.ndarray]
    predictions: dict[str, np.ndarray] | None


def _output_tensors(model: Model) -> list[Any]:
    from ..model import Tensor

    shapes = {layer.name: layer for layer in model.layers}
    out = []
    for name in model.outputs:
        layer = shapes[name]
        out.append(Tensor(name, tuple(layer.shape), layer.types["result"]))
    return out


def read_tb_data(
    project: str | os.PathLike[str],
    model: Model | None = None,
    *,
    raw: bool = False,
    tb_float32: bool = False,
) -> TbData:
    """Read a project's tb_data files.

    Parameters
    ----------
    project : path-like
        The hls4ml project directory.
    model : Model, optional
        Supplies the tensors (names, shapes, types); default ``fwparity.load_model(project)``.
    raw : bool
        Return predictions as raw codes of the output types (quantized like ``result_t(double)``), not
        floats.
    tb_float32 : bool
        Quantize inputs exactly like hls4ml's C++ test bench (``input_t(float(atof(text)))``).
    """
    root = Path(project)
    if model is None:
        from ..model import load_model

        model = load_model(root)
    from ..vectors.dat import read_dat, read_dat_tensors

    inputs = read_dat_tensors(root / TB_INPUTS, model.inputs, tb_float32=tb_float32)
    predictions = None
    path = root / TB_OUTPUTS
    if path.is_file():
        tensors = _output_tensors(model)
        if raw:
            predictions = read_dat_tensors(path, tensors)
        else:
            values = read_dat(path)
            total = sum(int(np.prod(t.shape, dtype=np.int64)) for t in tensors)
            if values.shape[1] != total:
                raise InvalidArgument(
                    f"{str(path)!r} has {values.shape[1]} values per line; the model's outputs have {total}"
                )
            predictions = {}
            start = 0
            for t in tensors:
                size = int(np.prod(t.shape, dtype=np.int64))
                predictions[t.name] = values[:, start : start + size].reshape(len(values), *t.shape)
                start += size
    return TbData(inputs, predictions)


def write_tb_data(
    project: str | os.PathLike[str],
    inputs_raw: Mapping[str, np.ndarray],
    outputs_raw: Mapping[str, np.ndarray] | None,
    model: Model,
) -> list[Path]:
    """Write raw inputs (and raw outputs) as the project's tb_data files, exactly; returns the paths
    written.
    """
    from ..vectors.dat import write_dat

    root = Path(project)
    (root / "tb_data").mkdir(parents=True, exist_ok=True)
    missing = [t.name for t in model.inputs if t.name not in inputs_raw]
    if missing:
        raise InvalidArgument(f"inputs_raw lacks {missing!r} of model {model.name!r}")
    n = len(np.asarray(inputs_raw[model.inputs[0].name]))
    arrays = [np.asarray(inputs_raw[t.name]).reshape(n, -1) for t in model.inputs]
    write_dat(root / TB_INPUTS, arrays, [t.type for t in model.inputs])
    written = [root / TB_INPUTS]
    if outputs_raw is not None:
        tensors = _output_tensors(model)
        arrays = [np.asarray(outputs_raw[t.name]).reshape(n, -1) for t in tensors]
        write_dat(root / TB_OUTPUTS, arrays, [t.type for t in tensors])
        written.append(root / TB_OUTPUTS)
    return written
