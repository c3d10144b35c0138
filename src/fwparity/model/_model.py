"""The Model: a graph of layer specifications with their fixed-point types and raw integer weights.

Every backend (the numpy reference, the HLS emitter, the RTL generator) reads the same :class:`Model`, and
every importer produces one, so nothing outside :mod:`fwparity.model` knows a file format (DESIGN.md principle
2). Weights are raw integers on their type's grid, never floats: a Model describes what the firmware
*computes*, and the firmware only ever sees the quantized codes.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidArgument, InvalidType

if TYPE_CHECKING:
    from ..fixed import FixedType

__all__ = ["Tensor", "Layer", "Model", "KINDS"]

#: Every layer kind a Model may hold, with the ``types`` keys it needs besides ``result`` and its weight names
#: (docs/internals.md section 3). Optional type keys are not listed; ``validate`` checks only these.
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "dense": (("weight", "bias", "accum"), ("weight", "bias")),
    "conv1d": (("weight", "bias", "accum"), ("weight", "bias")),
    "conv2d": (("weight", "bias", "accum"), ("weight", "bias")),
    "maxpool1d": ((), ()),
    "maxpool2d": ((), ()),
    "avgpool1d": ((), ()),
    "avgpool2d": ((), ()),
    "global_maxpool1d": ((), ()),
    "global_maxpool2d": ((), ()),
    "global_avgpool1d": ((), ()),
    "global_avgpool2d": ((), ()),
    "batchnorm": (("scale", "bias"), ("scale", "bias")),
    "linear": ((), ()),
    "relu": ((), ()),
    "leaky_relu": (("param",), ()),
    "elu": ((), ()),
    "thresholded_relu": (("param",), ()),
    "relu_max": ((), ()),
    "hard_sigmoid": ((), ()),
    "hard_tanh": ((), ()),
    "sigmoid": (("table",), ()),
    "tanh": (("table",), ()),
    "softplus": (("table",), ()),
    "softsign": (("table",), ()),
    "selu": (("table",), ()),
    "softmax": ((), ()),
    "add": ((), ()),
    "subtract": ((), ()),
    "multiply": ((), ()),
    "average": ((), ()),
    "maximum": ((), ()),
    "minimum": ((), ()),
    "concatenate": ((), ()),
    "dot": (("accum",), ()),
    "flatten": ((), ()),
    "reshape": ((), ()),
}

_MERGES = {"add", "subtract", "multiply", "average", "maximum", "minimum", "dot"}


def _as_type(value: Any, what: str) -> FixedType:
    # Accepting HLS strings here keeps hand-written Models short; FixedType.parse names the bad text itself.
    from ..fixed import FixedType

    try:
        return FixedType.parse(value)
    except InvalidArgument:
        raise
    except Exception as exc:  # pragma: no cover - parse raises InvalidArgument for bad input
        raise InvalidArgument(f"{what} must be a FixedType or an HLS type string, not {value!r}") from exc


def _as_shape(value: Any, what: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(d) for d in value)
    except TypeError:
        raise InvalidType(f"{what} must be a tuple of ints, not {value!r}") from None
    if any(d < 1 for d in shape):
        raise InvalidArgument(f"{what} must have positive dimensions, not {value!r}")
    return shape


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, tuple):
        return list(obj)
    raise InvalidType(f"option value {obj!r} (type={type(obj).__name__}) is not JSON-able")


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no whitespace: the same content always gives the same text (and hash)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_json_default, allow_nan=False)


def raw_to_bytes(raw: np.ndarray, width: int) -> bytes:
    """Raw integers as fixed-size little-endian two's complement: 8 bytes each up to 63 bits, more beyond.

    One encoding per width keeps :meth:`Model.sha256` independent of whether an array arrived as int32, int64
    or object, and exact for wide types.
    """
    arr = np.asarray(raw)
    if width <= 63 and arr.dtype != object:
        return np.ascontiguousarray(arr, dtype="<i8").tobytes()
    nbytes = 8 * ((width + 1 + 63) // 64)
    return b"".join(int(v).to_bytes(nbytes, "little", signed=True) for v in arr.reshape(-1).tolist())


@dataclass
class Tensor:
    """A named model input: its shape without the batch axis and its fixed-point type.

    Examples
    --------
    >>> from fwparity.model import Tensor
    >>> Tensor("x", (16,), "ap_fixed<16,6>")
    Tensor(name='x', shape=(16,), type=ap_fixed(16, 6))
    """

    name: str
    shape: tuple[int, ...]
    type: FixedType

    def __post_init__(self) -> None:
        self.shape = _as_shape(self.shape, f"Tensor {self.name!r} shape")
        self.type = _as_type(self.type, f"Tensor {self.name!r} type")


@dataclass
class Layer:
    """One layer: its kind, input tensor names, output shape, fixed-point types, raw weights and options.

    A layer's output tensor is named after the layer. ``weights[k]`` holds raw integers on ``types[k]``; the
    kinds, their type keys and options are tabulated in docs/internals.md section 3.

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.model import Layer
    >>> relu = Layer("relu1", "relu", ["fc1"], (4,), {"result": "ap_fixed<8,3>"})
    >>> relu.types["result"]
    ap_fixed(8, 3)
    """

    name: str
    kind: str
    inputs: list[str]
    shape: tuple[int, ...]
    types: dict[str, FixedType]
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InvalidArgument(f"Layer name must be a non-empty string, not name={self.name!r}")
        if isinstance(self.inputs, str):
            raise InvalidType(
                f"Layer {self.name!r} inputs must be a list of names, not inputs={self.inputs!r}"
            )
        self.inputs = [str(i) for i in self.inputs]
        self.shape = _as_shape(self.shape, f"Layer {self.name!r} shape")
        self.types = {str(k): _as_type(v, f"Layer {self.name!r} types[{k!r}]") for k, v in self.types.items()}
        self.weights = {str(k): np.asarray(v) for k, v in self.weights.items()}
        self.options = dict(self.options)

    def __eq__(self, other: object) -> bool:
        # numpy arrays make the dataclass-generated __eq__ ambiguous; compare weights by raw value instead.
        if not isinstance(other, Layer):
            return NotImplemented
        return (
            (self.name, self.kind, self.inputs, self.shape, self.types, self.options)
            == (other.name, other.kind, other.inputs, other.shape, other.types, other.options)
            and self.weights.keys() == other.weights.keys()
            and all(
                self.weights[k].shape == other.weights[k].shape
                and bool(np.all(self.weights[k] == other.weights[k]))
                for k in self.weights
            )
        )

    __hash__ = None  # type: ignore[assignment]

    def describe(self) -> dict[str, Any]:
        """The layer minus its weight values, as JSON-able data (weights appear as shape and type only)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "inputs": list(self.inputs),
            "shape": list(self.shape),
            "types": {k: str(v) for k, v in self.types.items()},
            "weights": {k: {"shape": list(v.shape)} for k, v in self.weights.items()},
            "options": self.options,
        }


@dataclass(eq=False)
class Model:
    """A quantized network: named inputs, layers in topological order, and the names of the output tensors.

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.model import Layer, Model, Tensor
    >>> m = Model(
    ...     "tiny",
    ...     inputs=[Tensor("x", (2,), "ap_fixed<8,3>")],
    ...     layers=[
    ...         Layer("fc", "dense", ["x"], (1,),
    ...               {"weight": "ap_fixed<8,2>", "bias": "ap_fixed<8,2>", "accum": "ap_fixed<16,6>",
    ...                "result": "ap_fixed<16,6>"},
    ...               {"weight": np.array([[3], [-5]]), "bias": np.array([1])},
    ...               {"n_in": 2, "n_out": 1, "strategy": "latency"}),
    ...         Layer("out", "relu", ["fc"], (1,), {"result": "ap_fixed<8,3>"}),
    ...     ],
    ...     outputs=["out"],
    ... )
    >>> m.validate()
    >>> m.output_types
    {'out': ap_fixed(8, 3)}
    >>> len(m.sha256())
    64
    """

    name: str
    inputs: list[Tensor]
    layers: list[Layer]
    outputs: list[str]

    def __post_init__(self) -> None:
        self.inputs = list(self.inputs)
        self.layers = list(self.layers)
        if isinstance(self.outputs, str):
            raise InvalidType(f"Model outputs must be a list of names, not outputs={self.outputs!r}")
        self.outputs = [str(o) for o in self.outputs]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model):
            return NotImplemented
        return (self.name, self.inputs, self.layers, self.outputs) == (
            other.name,
            other.inputs,
            other.layers,
            other.outputs,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Model({self.name!r}, inputs={[t.name for t in self.inputs]!r}, "
            f"layers={len(self.layers)}, outputs={self.outputs!r})"
        )

    # -- lookups
    # -------------------------------------------------------------------------------------------------
    def layer(self, name: str) -> Layer:
        """The layer called ``name``; InvalidArgument listing the layers if there is none."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise InvalidArgument(
            f"Model {self.name!r} has no layer name={name!r}; layers: "
            f"{', '.join(layer.name for layer in self.layers)}"
        )

    def tensor(self, name: str) -> Tensor:
        """The tensor called ``name``: a model input, or a layer's output (named after the layer)."""
        for t in self.inputs:
            if t.name == name:
                return t
        for layer in self.layers:
            if layer.name == name:
                return Tensor(layer.name, layer.shape, layer.types["result"])
        raise InvalidArgument(f"Model {self.name!r} has no tensor name={name!r}")

    @property
    def input_types(self) -> dict[str, FixedType]:
        """Input name -> type."""
        return {t.name: t.type for t in self.inputs}

    @property
    def output_types(self) -> dict[str, FixedType]:
        """Output name -> the type of the raw codes the firmware writes there."""
        return {name: self.tensor(name).type for name in self.outputs}

    @property
    def output_shapes(self) -> dict[str, tuple[int, ...]]:
        """Output name -> shape without the batch axis."""
        return {name: self.tensor(name).shape for name in self.outputs}

    # -- checks
    # --------------------------------------------------------------------------------------------------
    def validate(self) -> None:
        """Check names, topology, types, weight shapes and raw ranges; raise InvalidArgument naming the layer.

        Importers call this before returning, so a backend can trust any Model it is handed.
        """
        seen: dict[str, tuple[int, ...]] = {}
        for t in self.inputs:
            if t.name in seen:
                raise InvalidArgument(f"Model {self.name!r} has two tensors named {t.name!r}")
            seen[t.name] = t.shape
        for layer in self.layers:
            where = f"Layer {layer.name!r} (kind={layer.kind!r})"
            if layer.name in seen:
                raise InvalidArgument(f"{where}: the name is already used by another tensor")
            if layer.kind not in KINDS:
                raise InvalidArgument(f"{where}: unknown kind; known kinds: {', '.join(sorted(KINDS))}")
            if not layer.inputs:
                raise InvalidArgument(f"{where} has no inputs")
            for name in layer.inputs:
                if name not in seen:
                    raise InvalidArgument(
                        f"{where} reads input={name!r}, which is neither a model input nor an earlier layer"
                    )
            need_types, need_weights = KINDS[layer.kind]
            for key in ("result", *need_types):
                if key not in layer.types:
                    raise InvalidArgument(f"{where} lacks types[{key!r}]")
            for key in need_weights:
                if key not in layer.weights:
                    raise InvalidArgument(f"{where} lacks weights[{key!r}]")
            for key, raw in layer.weights.items():
                wt = layer.types.get(key)
                if wt is None:
                    raise InvalidArgument(f"{where}: weights[{key!r}] has no matching types[{key!r}]")
                if raw.dtype != object and not np.issubdtype(raw.dtype, np.integer):
                    raise InvalidArgument(
                        f"{where}: weights[{key!r}] must hold raw integers, not dtype {raw.dtype}"
                    )
                if raw.size:
                    lo, hi = int(raw.min()), int(raw.max())
                    if lo < wt.min_raw or hi > wt.max_raw:
                        raise InvalidArgument(
                            f"{where}: weights[{key!r}] raw range [{lo}, {hi}] is outside {wt} "
                            f"[{wt.min_raw}, {wt.max_raw}]"
                        )
            self._check_shapes(layer, [seen[n] for n in layer.inputs], where)
            seen[layer.name] = layer.shape
        if not self.outputs:
            raise InvalidArgument(f"Model {self.name!r} has no outputs")
        for name in self.outputs:
            if name not in seen:
                raise InvalidArgument(f"Model {self.name!r} output={name!r} is not a tensor of the model")

    @staticmethod
    def _check_shapes(layer: Layer, shapes: list[tuple[int, ...]], where: str) -> None:
        kind, opt = layer.kind, layer.options

        def size(s: tuple[int, ...]) -> int:
            return int(np.prod(s))

        if kind == "dense":
            n_in, n_out = shapes[0][-1], layer.shape[-1]
            if layer.weights["weight"].shape != (n_in, n_out):
                raise InvalidArgument(
                    f"{where}: weights['weight'] has shape {layer.weights['weight'].shape}, "
                    f"expected {(n_in, n_out)} from input shape {shapes[0]} and output shape {layer.shape}"
                )
            if layer.weights["bias"].shape != (n_out,):
                raise InvalidArgument(
                    f"{where}: weights['bias'] has shape {layer.weights['bias'].shape}, expected {(n_out,)}"
                )
        elif kind in ("conv1d", "conv2d"):
            rank = 3 if kind == "conv1d" else 4
            w = layer.weights["weight"]
            c_in, n_filt = shapes[0][-1], layer.shape[-1]
            if w.ndim != rank or w.shape[-2:] != (c_in, n_filt) or len(shapes[0]) != rank - 1:
                raise InvalidArgument(
                    f"{where}: weights['weight'] has shape {w.shape}, expected {rank} axes ending in "
                    f"{(c_in, n_filt)} from input shape {shapes[0]} and output shape {layer.shape}"
                )
            if layer.weights["bias"].shape != (n_filt,):
                raise InvalidArgument(
                    f"{where}: weights['bias'] has shape {layer.weights['bias'].shape}, expected {(n_filt,)}"
                )
        elif kind in ("batchnorm",):
            n = layer.shape[-1]
            for key in ("scale", "bias"):
                if layer.weights[key].shape != (n,):
                    raise InvalidArgument(
                        f"{where}: weights[{key!r}] has shape {layer.weights[key].shape}, expected {(n,)}"
                    )
        if kind in (
            "linear",
            "relu",
            "leaky_relu",
            "elu",
            "thresholded_relu",
            "relu_max",
            "hard_sigmoid",
            "hard_tanh",
            "sigmoid",
            "tanh",
            "softplus",
            "softsign",
            "selu",
            "softmax",
            "batchnorm",
        ):
            if shapes[0] != layer.shape:
                raise InvalidArgument(
                    f"{where}: output shape {layer.shape} differs from input shape {shapes[0]}"
                )
        elif kind in ("flatten", "reshape"):
            if size(shapes[0]) != size(layer.shape):
                raise InvalidArgument(
                    f"{where}: output shape {layer.shape} has {size(layer.shape)} elements, "
                    f"input {shapes[0]} "
                    f"has {size(shapes[0])}"
                )
        elif kind in _MERGES - {"dot"}:
            if len(shapes) != 2 or shapes[0] != shapes[1] or shapes[0] != layer.shape:
                raise InvalidArgument(
                    f"{where} needs two inputs of its output shape {layer.shape}, got {shapes}"
                )
        elif kind == "concatenate":
            keras_axis = int(opt.get("axis", -1))  # Keras convention: 0 is the batch axis
            axis = keras_axis - 1 if keras_axis > 0 else keras_axis
            total = sum(s[axis] for s in shapes)
            if len(shapes) < 2 or layer.shape[axis] != total:
                raise InvalidArgument(
                    f"{where}: concatenating {shapes} on axis={keras_axis} cannot give shape {layer.shape}"
                )

    # -- identity and files
    # ----------------------------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        """The whole model minus weight values, as JSON-able data (the native file's graph)."""
        return {
            "name": self.name,
            "inputs": [{"name": t.name, "shape": list(t.shape), "type": str(t.type)} for t in self.inputs],
            "layers": [layer.describe() for layer in self.layers],
            "outputs": list(self.outputs),
        }

    def sha256(self) -> str:
        """Hash of the canonical content: the graph as canonical JSON, then every raw weight, fixed encoding.

        It identifies the model in reports and vector files, so it depends only on what the firmware computes:
        the same network saved, loaded or imported again gives the same hash; one changed raw weight
        changes it.
        """
        h = hashlib.sha256()
        h.update(b"fwparity-model-1\0")
        h.update(canonical_json(self.describe()).encode())
        for layer in self.layers:
            for key in sorted(layer.weights):
                h.update(f"\0{layer.name}/{key}\0".encode())
                h.update(raw_to_bytes(layer.weights[key], layer.types[key].width))
        return h.hexdigest()

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the native file (HDF5, schema 1; docs/model.md) atomically: temp file, then rename."""
        from ._native import save_native

        save_native(self, path)
