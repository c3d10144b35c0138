"""fwparity.layers: bit-exact reference models of hls4ml's layers, and :func:`emulate`.

Every layer is a pure function on raw integer arrays (batch axis first) that takes the FixedTypes and raw
weights it needs, so it can be used without a Model. :data:`LAYERS` maps a Model layer kind to the function
that runs it; :func:`emulate` walks a Model through them. See docs/layers.md for the semantics and hls4ml's
quirks.
"""

from __future__ import annotations

from ._activations import (
    elu,
    hard_sigmoid,
    hard_tanh,
    leaky_relu,
    linear,
    lut_index,
    relu,
    relu_max,
    selu,
    sigmoid,
    softplus,
    softsign,
    tanh,
    thresholded_relu,
)
from ._dense import accumulation_order, conv1d, conv2d, dense
from ._emulate import Emulation, emulate, exact_values, prepare_inputs
from ._merge import batchnorm, concatenate, dot, merge
from ._pooling import avg_pool, global_avg_pool, global_max_pool, max_pool
from ._quant import Tally, requant
from ._registry import LAYERS, register_layer, run_layer
from ._softmax import softmax, top_bits_index, tree_reduce_add
from ._tables import activation_table, softmax_exp_table, softmax_inv_table

__all__ = [
    # _emulate
    "emulate",
    "Emulation",
    "prepare_inputs",
    "exact_values",
    # _registry
    "LAYERS",
    "register_layer",
    "run_layer",
    # _quant
    "Tally",
    "requant",
    # _dense
    "dense",
    "conv1d",
    "conv2d",
    "accumulation_order",
    # _activations
    "linear",
    "relu",
    "leaky_relu",
    "thresholded_relu",
    "relu_max",
    "hard_sigmoid",
    "hard_tanh",
    "sigmoid",
    "tanh",
    "softplus",
    "softsign",
    "elu",
    "selu",
    "lut_index",
    # _softmax
    "softmax",
    "top_bits_index",
    "tree_reduce_add",
    # _pooling
    "max_pool",
    "avg_pool",
    "global_max_pool",
    "global_avg_pool",
    # _merge
    "merge",
    "concatenate",
    "dot",
    "batchnorm",
    # _tables
    "activation_table",
    "softmax_exp_table",
    "softmax_inv_table",
]

for _name in __all__:
    _obj = globals()[_name]
    if callable(_obj) and hasattr(_obj, "__module__"):
        try:
            _obj.__module__ = __name__
        except (AttributeError, TypeError):  # pragma: no cover - builtins
            pass
del _name, _obj
