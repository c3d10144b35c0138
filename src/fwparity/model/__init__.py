"""fwparity.model: the Model (a graph of layer specs with fixed-point types and raw weights), its native file
format, and importers (hls4ml project directories).

The reference, the HLS emitter and the RTL generator all read a :class:`Model`; :func:`load_model` is the one
place that knows file formats.
"""

from __future__ import annotations

from ._load import load_model
from ._model import KINDS, Layer, Model, Tensor

__all__ = [
    # _model
    "Tensor",
    "Layer",
    "Model",
    "KINDS",
    # _load
    "load_model",
]

for _obj in (Tensor, Layer, Model, load_model):
    _obj.__module__ = __name__
del _obj
