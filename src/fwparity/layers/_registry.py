"""The layer registry: ``kind -> fn(layer, inputs, tally) -> raw``, the bridge from a Model's Layer to the
functions.

Each entry reads the Layer's ``types``, ``weights`` and ``options`` as docs/internals.md section 3 tabulates
them and calls the pure function of the same name. ``inputs`` is a list of ``(raw, FixedType)`` pairs, one per
name in ``layer.inputs``, batch axis first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import UnsupportedLayer
from . import _activations as act
from ._dense import conv1d, conv2d, dense
from ._merge import MERGE_OPS, batchnorm, concatenate, dot, merge
from ._pooling import avg_pool, global_avg_pool, global_max_pool, max_pool
from ._quant import Tally, requant
from ._softmax import softmax

if TYPE_CHECKING:
    from ..fixed import FixedType
    from ..model import Layer

__all__ = ["LAYERS", "register_layer", "run_layer"]

Inputs = list[tuple[np.ndarray, "FixedType"]]
LayerFn = Callable[["Layer", Inputs, "Tally | None"], np.ndarray]

#: kind -> function(layer, inputs, tally) -> raw output (N, *layer.shape) on layer.types["result"].
LAYERS: dict[str, LayerFn] = {}


def register_layer(kind: str) -> Callable[[LayerFn], LayerFn]:
    """Decorator adding ``fn`` to :data:`LAYERS` under ``kind`` (a plug-in point for new layer kinds)."""

    def deco(fn: LayerFn) -> LayerFn:
        LAYERS[kind] = fn
        return fn

    return deco


def _one(layer: Layer, inputs: Inputs) -> tuple[np.ndarray, FixedType]:
    if len(inputs) != 1:
        raise UnsupportedLayer(
            f"Layer {layer.name!r} of kind {layer.kind!r} takes one input, got {len(inputs)}"
        )
    return inputs[0]


def _type(layer: Layer, key: str, default: str | None = None) -> FixedType:
    from ..fixed import FixedType

    t = layer.types.get(key)
    if t is None:
        if default is None:
            raise UnsupportedLayer(f"Layer {layer.name!r} of kind {layer.kind!r} has no types[{key!r}]")
        return FixedType.parse(default)
    return t


def _ints(v: Any, n: int) -> tuple[int, ...]:
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    return tuple(int(e) for e in v)


@register_layer("dense")
def _dense(layer: Layer, inputs: Inputs, tally: Tally | None) -> np.ndarray:
    x, xt = _one(layer, inputs)
    o = layer.options
    return dense(
        x,
        x_type=xt,
        weight=layer.weights["weight"],
        weight_type=layer.types["weight"],
        bias=layer.weights.get("bias"),
        bias_type=layer.types.get("bias"),
        accum_type=layer.types["accum"],
        result_type=layer.types["result"],
        strategy=str(o.get("strategy", "latency")).lower(),
        reuse_factor=int(o.get("reuse_factor", 1)),
        tally=tally,
    )


def _conv_common(layer: Layer) -> dict[str, Any]:
    return dict(
        weight=layer.weights["weight"],
        weight_type=layer.types["weight"],
        bias=layer.weights.get("bias"),
        bias_type=layer.types.get("bias"),
        accum_type=layer.types["accum"],
        result_type=layer.types["result"],
    )


@register_layer("conv1d")
def _conv1d(layer: Layer, inputs: Inputs, tally: Tally | None) -> np.ndarray:
    x, xt = _one(layer, inputs)
    o = layer.options
    stride = _ints(o.get("strides", 1), 1)[0]
    return conv1d(
        x,
        x_type=xt,
        stride=stride,
        pad_left=int(o.get("pad_left", 0)),
        pad_right=int(o.get("pad_right", 0)),
        tally=tally,
        **_conv_common(layer),
    )


@register_layer("conv2d")
def _conv2d(layer: Layer, inputs: Inputs, tally: Tally | None) -> np.ndarray:
    x, xt = _one(layer, inputs)
    o = layer.options
    pads = tuple(int(o.get(k, 0)) for k in ("pad_top", "pad_bottom", "pad_left", "pad_right"))
    return conv2d(
        x,
        x_type=xt,
        strides=_ints(o.get("strides", 1), 2),  # type: ignore[arg-type]
        pads=pads,  # type: ignore[arg-type]
        tally=tally,
        **_conv_common(layer),
    )


def _pool_args(layer: Layer, nd: int) -> dict[str, Any]:
    o = layer.options
    pool = _ints(o.get("pool", 2), nd)
    strides = _ints(o.get("strides", pool), nd)
    if "pads" in o:
        pads = _ints(o["pads"], 2 * nd)
    else:
        keys = ("pad_left", "pad_right") if nd == 1 else ("pad_top", "pad_bottom", "pad_left", "pad_right")
        pads = tuple(int(o.get(k, 0)) for k in keys)
    return dict(pool=pool, strides=strides, pads=pads)


def _make_pool(kind: str) -> None:
    nd = 1 if kind.endswith("1d") else 2

    def fn(layer: Layer, inputs: Inputs, tally: Tally | None) -> np.ndarray:
        x, xt = _one(layer, inputs)
        res = layer.types["result"]
        if kind.startswith("global_max"):
            return global_max_pool(
                x, x_type=xt, result_type=res, accum_type=layer.types.get("accum"), tally=tally
            )
        if kind.startswith("global_avg"):
            return global_avg_pool(
                x, x_type=xt, accum_type=_type(layer, "accum"), result_type=res, tally=tally
            )
        if kind.startswith("max"):
            return max_pool(
                x,
                x_type=xt,
                result_type=res,
                accum_type=layer.types.get("accum"),
                tally=tally,
                **_pool_args(layer, nd),
            )
        return avg_pool(
            x,
            x_type=xt,
            accum_type=_type(layer, "accum"),
            result_type=res,
            tally=tally,
            count_pad=bool(layer.options.get("count_pad", False)),
            **_pool_args(layer, nd),
        )

    LAYERS[kind] = fn


for _k in (
    "maxpool1d",
    "maxpool2d",
    "avgpool1d",
    "avgpool2d",
    "global_maxpool1d",
    "global_maxpool2d",
    "global_avgpool1d",
    "global_avgpool2d",
):
    _make_pool(_k)


@register_layer("batchnorm")
def _batchnorm(layer: Layer, inputs: Inputs, tally: Tally | None) -> np.ndarray:
    x, xt = _one(layer, inputs)
    return batchnorm(
        x,
        x_type=xt,
        scale=layer.weights["scale"],
        scale_type=layer.types["scale"],
        bias=layer.weights["bias"],
        bias_type=layer.types["bias"],
        result_type=layer.types["result"],
        tally=tally,
    )


@register_layer("linear")
def _linear(layer: Layer, inputs: Inputs, tally: Tally | None) -> np.ndarray:
    x, xt = _one(layer, inputs)
    return act.linear(x, x_type=xt, result_type=layer.types["result"], tally=tally)


@register_layer("relu")
def _relu(layer: Layer, inputs: Inputs, tally: Tally | None) -> np.ndarray:
    x, xt = _one(layer, inputs)
    return act.relu(x, x_type=xt, result_type=layer.types["result"], tally=tally)


@register_layer("leaky_relu")
def _leaky(layer: Layer, inputs: Inputs, tally: Tally | None) -> np.ndarray:
    x, xt = _one(layer, inputs)
    return act.leaky_relu(
        x,
        x_type=xt,
        alpha=int(layer.options["alpha"]),
        alpha_type=layer.types["param"],
        result_type=layer.types["result"],
        tally=tally,
    )


@register_layer("thresholded_relu")
def _thresholded(layer: Layer, inputs: Inputs, tally: Tally | None) -> np.ndarray:
    x, xt = _one(layer, inputs)
    return act.thresholded_relu(
        x,
        x_type=xt,
        theta=int(layer.options["theta"]),
        theta_type=layer.types["param"],
        result_type=layer.types["result"],
        tally=tally,
    )


@register_layer("relu_max")
def _relu_max(layer: Layer, inputs: Inputs, tally: Tally | None) -> np.ndarray:
    x, xt = _one(layer, inputs)
    return act.relu_max(
        x,
        x_type=xt,
        max_value=int(layer.options["max_value"]),
        result_type=layer.types["result"],
        tally=tally,
    )


def _make_hard(kind: str) -> None:
    fn_impl = act.hard_sigmoid if kind == "hard_sigmoid" else act.hard_tanh

    def fn(layer: Layer, inputs: Inputs, tally: Tally | None) -> np.ndarray:
        x, xt = _one(layer, inputs)
        return fn_impl(
            x,
            x_type=xt,
            slope=int(layer.options["slope"]),
            slope_type=layer.types["slope"],
            shift=int(layer.options["shift"]),
            shift_type=layer.types["shift"],
            result_type=layer.types["result"],
            tally=tally,
        )

    LAYERS[kind] = fn


_make_hard("hard_sigmoid")
_make_hard("hard_tanh")


def _make_table(kind: str) -> None:
    impl = getattr(act, kind)

    def fn(layer: Layer, inputs: Inputs, tally: Tally | None) -> np.ndarray:
        x, xt = _one(layer, inputs)
        kw: dict[str, Any] = dict(
            x_type=xt,
            table_type=_type(layer, "table", "ap_fixed<18,8>"),
            table_size=int(layer.options.get("table_size", 1024)),
            result_type=layer.types["result"],
            tally=tally,
        )
        if kind == "elu" and "alpha" in layer.options:
            kw.update(alpha=int(layer.options["alpha"]), alpha_type=_type(layer, "param"))
        return impl(x, **kw)

    LAYERS[kind] = fn


for _k in ("sigmoid", "tanh", "softplus", "softsign", "elu", "selu"):
    _make_table(_k)


@register_layer("softmax")
def _softmax(layer: Layer, inputs: Inputs, tally: Tally | None) -> np.ndarray:
    x, xt = _one(layer, inputs)
    o = layer.options
    size = int(o.get("table_size", 1024))
    t = layer.types
    return softmax(
        x,
        x_type=xt,
        result_type=t["result"],
        implementation=str(o.get("implementation", "stable")),
        exp_table_type=t.get("exp_table"),
        inv_table_type=t.get("inv_table"),
        accum_type=t.get("accum"),
        inv_inp_type=t.get("inv_inp"),
        inp_norm_type=t.get("inp_norm"),
        table_type=t.get("table"),
        exp_table_size=int(o.get("exp_table_size", size)),
        inv_table_size=int(o.get("inv_table_size", size)),
        exp_scale=float(o.get("exp_scale", 1.0)),
        axis=int(o.get("axis", -1)),
        tally=tally,
    )


def _make_merge(op: str) -> None:
    def fn(layer: Layer, inputs: Inputs, tally: Tally | None) -> np.ndarray:
        if len(inputs) != 2:
            raise UnsupportedLayer(f"Layer {layer.name!r} ({op}) takes two inputs, got {len(inputs)}")
        (a, at), (b, bt) = inputs
        out = merge(op, a, b, a_type=at, b_type=bt, result_type=layer.types["result"], tally=tally)
        return out.reshape(out.shape[0], *layer.shape)

    LAYERS[op] = fn


for _k in MERGE_OPS:
    _make_merge(_k)


@register_layer("concatenate")
def _concatenate(layer: Layer, inputs: Inputs, tally: Tally | None) -> np.ndarray:
    return concatenate(
        list(inputs), result_type=layer.types["result"], axis=int(layer.options.get("axis", -1)), tally=tally
    )


@register_layer("dot")
def _dot(layer: Layer, inputs: Inputs, tally: Tally | None) -> np.ndarray:
    (a, at), (b, bt) = inputs
    out = dot(
        a,
        b,
        a_type=at,
        b_type=bt,
        accum_type=layer.types["accum"],
        result_type=layer.types["result"],
        tally=tally,
    )
    return out.reshape(out.shape[0], *layer.shape)


def _reshape(layer: Layer, inputs: Inputs, tally: Tally | None) -> np.ndarray:
    x, xt = _one(layer, inputs)
    out = np.asarray(x).reshape(np.asarray(x).shape[0], *layer.shape)
    res = layer.types["result"]
    return out if res == xt else requant(out, xt.frac_bits, res, tally)


LAYERS["flatten"] = _reshape
LAYERS["reshape"] = _reshape


def run_layer(layer: Layer, inputs: Inputs, tally: Tally | None = None) -> np.ndarray:
    """Run one Layer of a Model on raw inputs; unknown kinds raise UnsupportedLayer."""
    fn = LAYERS.get(layer.kind)
    if fn is None:
        raise UnsupportedLayer(
            f"Layer {layer.name!r} has kind={layer.kind!r}, which the reference does not model; "
            f"known kinds: {', '.join(sorted(LAYERS))}"
        )
    return fn(layer, inputs, tally)
