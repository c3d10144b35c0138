"""Generate a Verilog top for a :class:`~fwparity.model.Model` from the layer library in ``rtl/``.

Every layer becomes one instance of a library module (or, for convolutions and pooling, a few unrolled
instances)
followed by a register, so the design is a pipeline with initiation interval 1 and a latency equal to the
depth of
the layer graph. Branches of a graph (merges, skip connections) are re-aligned with delay registers. Weights
and
lookup tables are Verilog parameters, flattened with element ``k`` in bits ``[k*W +: W]``.

The protocol wrapper is one of: ``valid`` (``in_valid``/``out_valid`` beside parallel ports), ``ap_ctrl_hs``
(Vitis-style ``ap_start``/``ap_done``/``ap_idle``/``ap_ready`` and ``<port>_ap_vld``) or ``axis``
(AXI4-Stream with
one beat per vector and back-pressure stalling the whole pipeline).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidArgument, UnsupportedLayer
from ._design import PROTOCOLS, PortMap, RtlDesign
from ._library import library_files

if TYPE_CHECKING:
    from ..fixed import FixedType
    from ..model import Layer, Model

__all__ = ["generate", "type_params", "hex_vector"]

_QUANT = {"TRN": 0, "TRN_ZERO": 1, "RND": 2, "RND_ZERO": 3, "RND_MIN_INF": 4, "RND_INF": 5, "RND_CONV": 6}
#: fwp_requant's OVF codes. WRAP_SM is signed only, like the headers (FixedType refuses an unsigned one).
_OVF = {"WRAP": 0, "SAT": 1, "SAT_ZERO": 2, "SAT_SYM": 3, "WRAP_SM": 4}


def type_params(prefix: str, t: FixedType, *, modes: bool = True, where: str = "") -> dict[str, int]:
    """The library's parameters for a fixed-point type: ``<prefix>_W``, ``_F``, ``_S`` and (destinations)
    ``_Q``,
    ``_O``, ``_N``.

    Every quantization and overflow mode of ap_fixed maps to a code (``_QUANT``, ``_OVF``), AP_WRAP_SM included.

    Raises
    ------
    UnsupportedLayer
        An overflow mode without an fwp_requant code (none today; kept so a new mode fails loudly).
    """
    p = {f"{prefix}_W": t.width, f"{prefix}_F": t.frac_bits, f"{prefix}_S": int(t.signed)}
    if modes:
        ovf = t.overflow.name
        if ovf not in _OVF:
            raise UnsupportedLayer(
                f"{where}type {t} uses overflow mode AP_{ovf}, which the RTL library lacks"
            )
        p.update(
            {f"{prefix}_Q": _QUANT[t.quantization.name], f"{prefix}_O": _OVF[ovf], f"{prefix}_N": t.sat_bits}
        )
    return p


def hex_vector(values: Any, width: int) -> str:
    """A Verilog sized hex literal packing ``values`` (flattened, C order), element ``k`` in bits ``[k*W +:
    W]``.

    Examples
    --------
    >>> hex_vector([1, -1, 2], 4)
    "12'h2f1"
    """
    flat = [int(v) for v in np.asarray(values, dtype=object).reshape(-1)]
    mask = (1 << width) - 1
    total = 0
    for k, v in enumerate(flat):
        total |= (v & mask) << (k * width)
    bits = max(len(flat) * width, 1)
    return f"{bits}'h{total:0{(bits + 3) // 4}x}"


def _ident(name: str) -> str:
    ident = re.sub(r"\W", "_", name)
    return ident if re.match(r"[A-Za-z_]", ident) else f"t_{ident}"


def _size(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


@dataclass
class _Tensor:
    """A tensor inside the generated core: its wire name at the stage it becomes valid."""

    name: str
    shape: tuple[int, ...]
    type: FixedType
    stage: int
    wire: str

    @property
    def width(self) -> int:
        return _size(self.shape) * self.type.width


@dataclass
class _Core:
    """Verilog text being assembled for the core module, plus the delay lines already emitted."""

    lines: list[str] = field(default_factory=list)
    delays: dict[tuple[str, int], str] = field(default_factory=dict)
    modules: set[str] = field(default_factory=lambda: {"fwp_requant"})

    def tap(self, t: _Tensor, stage: int) -> str:
        """The wire carrying ``t`` as it is at ``stage`` (>= t.stage), adding delay registers as needed."""
        wire = t.wire
        for s in range(t.stage + 1, stage + 1):
            key = (t.name, s)
            if key not in self.delays:
                name = f"{_ident(t.name)}_s{s}"
                self.lines.append(f"    reg [{t.width - 1}:0] {name};")
                self.lines.append(f"    always @(posedge clk) if (ce) {name} <= {wire};")
                self.delays[key] = name
            wire = self.delays[key]
        return wire

    def instance(self, module: str, name: str, params: dict[str, Any], ports: dict[str, str]) -> None:
        self.modules.add(module)
        plist = ",\n        ".join(f".{k}({v})" for k, v in params.items())
        conns = ", ".join(f".{k}({v})" for k, v in ports.items())
        self.lines.append(f"    {module} #(\n        {plist}\n    ) {name} ({conns});")


_Emitter = Callable[[_Core, "Layer", list[_Tensor], str, str], None]
_EMITTERS: dict[str, _Emitter] = {}


def _emits(*kinds: str) -> Callable[[_Emitter], _Emitter]:
    def register(fn: _Emitter) -> _Emitter:
        for k in kinds:
            _EMITTERS[k] = fn
        return fn

    return register


def _where(layer: Layer) -> str:
    return f"Layer {layer.name!r} ({layer.kind}): "


@_emits("dense")
def _dense(core: _Core, layer: Layer, ins: list[_Tensor], out: str, u: str) -> None:
    x = ins[0]
    if len(x.shape) != 1:
        raise UnsupportedLayer(
            f"{_where(layer)}the RTL generator supports dense on 1-D inputs, not shape {x.shape}"
        )
    n_in, n_out = x.shape[0], layer.shape[-1]
    t = layer.types
    params: dict[str, Any] = {"N_IN": n_in, "N_OUT": n_out}
    params.update(type_params("X", x.type, modes=False))
    params.update(type_params("W", t["weight"], modes=False))
    params.update(type_params("B", t["bias"], modes=False))
    params.update(type_params("A", t["accum"], where=_where(layer)))
    params.update(type_params("R", t["result"], where=_where(layer)))
    params["WEIGHTS"] = hex_vector(
        np.asarray(layer.weights["weight"]).reshape(n_in, n_out), t["weight"].width
    )
    params["BIASES"] = hex_vector(np.asarray(layer.weights["bias"]).reshape(n_out), t["bias"].width)
    core.instance("fwp_dense", u, params, {"x": x.wire, "y": out})


_RELU_MODES = {"linear": 0, "relu": 1, "relu_max": 2, "leaky_relu": 3, "thresholded_relu": 4}


@_emits(*_RELU_MODES)
def _relu(core: _Core, layer: Layer, ins: list[_Tensor], out: str, u: str) -> None:
    x = ins[0]
    params: dict[str, Any] = {"N": _size(x.shape), "MODE": _RELU_MODES[layer.kind]}
    params.update(type_params("X", x.type, modes=False))
    params.update(type_params("R", layer.types["result"], where=_where(layer)))
    if layer.kind == "relu_max":
        params["MAX"] = hex_vector([layer.options["max_value"]], x.type.width)
    elif layer.kind in ("leaky_relu", "thresholded_relu"):
        p = layer.types["param"]
        params.update(type_params("P", p, modes=False))
        key = "alpha" if layer.kind == "leaky_relu" else "theta"
        params["ALPHA" if key == "alpha" else "THETA"] = hex_vector([layer.options[key]], p.width)
    core.instance("fwp_relu", u, params, {"x": x.wire, "y": out})


def _is_pow2(n: int) -> bool:
    return n >= 1 and (n & (n - 1)) == 0


#: Table activations: half of the input range the table covers ([-R, R)), as in nnet_activation.h.
_LUT_HALF_RANGE = {"sigmoid": 8, "tanh": 4, "softplus": 8, "softsign": 8}


@_emits(*_LUT_HALF_RANGE)
def _lut(core: _Core, layer: Layer, ins: list[_Tensor], out: str, u: str) -> None:
    from ..fixed import FixedType
    from ..layers import activation_table

    x = ins[0]
    # Any size: fwp_lut_index clamps the index like the C++, so a table that is not a power of two is fine.
    size = _table_size(layer, "table_size", int(layer.options.get("table_size", 1024)))
    table_t = layer.types.get("table") or FixedType.parse("ap_fixed<18,8>")
    table = activation_table(layer.kind, size, table_t)
    params: dict[str, Any] = {"N": _size(x.shape)}
    params.update(type_params("X", x.type, modes=False))
    params.update(type_params("T", table_t, modes=False))
    params.update(type_params("R", layer.types["result"], where=_where(layer)))
    params.update(
        {
            "TABLE_SIZE": size,
            "SIZE_LOG2": max((size - 1).bit_length(), 1),  # the index width
            "DEN_LOG2": (2 * _LUT_HALF_RANGE[layer.kind]).bit_length() - 1,
            "TABLE": hex_vector(table, table_t.width),
        }
    )
    core.instance("fwp_lut_act", u, params, {"x": x.wire, "y": out})


@_emits("softmax")
def _softmax(core: _Core, layer: Layer, ins: list[_Tensor], out: str, u: str) -> None:
    from ..fixed import FixedType
    from ..layers import softmax_exp_table, softmax_inv_table

    x = ins[0]
    o = layer.options
    impl = str(o.get("implementation", "stable"))
    if impl not in ("stable", "latency", "legacy", "argmax"):
        raise UnsupportedLayer(
            f"{_where(layer)}softmax implementation {impl!r} has no RTL module (stable, latency, legacy, argmax)"
        )
    if len(x.shape) != 1 or int(o.get("axis", -1)) not in (-1, 1):
        raise UnsupportedLayer(f"{_where(layer)}the RTL softmax works on 1-D inputs, not shape {x.shape}")
    if impl == "argmax":
        _softmax_argmax(core, layer, x, out, u)
        return
    if impl == "legacy":
        _softmax_legacy(core, layer, x, out, u)
        return
    t = layer.types
    default = FixedType.parse("ap_fixed<18,8,AP_RND,AP_SAT>")
    exp_t = t.get("exp_table") or default
    inv_t = t.get("inv_table") or default
    acc_t = t.get("accum") or default
    inv_inp_t = t.get("inv_inp") or exp_t
    size = int(o.get("table_size", 1024))
    exp_size = int(o.get("exp_table_size", size))
    inv_size = int(o.get("inv_table_size", size))
    for name, n in (("exp_table_size", exp_size), ("inv_table_size", inv_size)):
        if not _is_pow2(n):
            raise UnsupportedLayer(f"{_where(layer)}{name}={n!r} is not a power of two")
    stable = impl == "stable"
    if stable:
        norm_t = t.get("inp_norm")
        if norm_t is None:
            sgn = int(x.type.signed)
            norm_t = FixedType(x.type.width - sgn, x.type.int_bits - sgn, signed=False)
        index_t = norm_t
    else:
        norm_t = x.type
        index_t = x.type
    exp_log2, inv_log2 = exp_size.bit_length() - 1, inv_size.bit_length() - 1
    for what, it, nbits in (("exp", index_t, exp_log2), ("inv", inv_inp_t, inv_log2)):
        if it.width < nbits:
            raise UnsupportedLayer(
                f"{_where(layer)}the {what} table needs {nbits} address bits but {it} has "
                f"{it.width} (hls4ml#885)"
            )
    exp_table = softmax_exp_table(exp_size, index_t, exp_t, float(o.get("exp_scale", 1.0)), stable)
    inv_table = softmax_inv_table(inv_size, inv_inp_t, inv_t)
    params: dict[str, Any] = {"N": x.shape[0], "STABLE": int(stable)}
    params.update(type_params("X", x.type, modes=False))
    params.update(type_params("NORM", norm_t, where=_where(layer)))
    params.update(type_params("EXP", exp_t, modes=False))
    params["EXP_LOG2"] = exp_log2
    params.update(type_params("ACC", acc_t, where=_where(layer)))
    params.update(type_params("INVIN", inv_inp_t, where=_where(layer)))
    params.update(type_params("INV", inv_t, modes=False))
    params["INV_LOG2"] = inv_log2
    params.update(type_params("R", t["result"], where=_where(layer)))
    params["EXP_TABLE"] = hex_vector(exp_table, exp_t.width)
    params["INV_TABLE"] = hex_vector(inv_table, inv_t.width)
    core.instance("fwp_softmax", u, params, {"x": x.wire, "y": out})


def _softmax_argmax(core: _Core, layer: Layer, x: _Tensor, out: str, u: str) -> None:
    """softmax_argmax: res_t(1) at the first maximum, 0 elsewhere (no tables, no accum_t)."""
    params: dict[str, Any] = {"N": x.shape[0]}
    params.update({k: v for k, v in type_params("X", x.type, modes=False).items() if k != "X_F"})
    params.update(type_params("R", layer.types["result"], where=_where(layer)))
    core.instance("fwp_argmax", u, params, {"x": x.wire, "y": out})


def _negative_index_fits(x_t: FixedType, numerator: int, den_log2: int) -> bool:
    """Whether ``int(x * numerator / -2**den_log2)`` stays inside a C int for every negative code of ``x_t``.

    The RTL wraps like the C++ (fwp_lut_index), but elu reads ``table[min(index, N-1)]`` with no lower clamp: a
    wrapped (negative) index is an out-of-bounds read in the C++, so the generator refuses such a type.
    """
    worst = (-x_t.min_raw * numerator) >> den_log2
    worst = worst >> x_t.frac_bits if x_t.frac_bits >= 0 else worst << -x_t.frac_bits
    return worst < 1 << 31


def _table_size(layer: Layer, key: str, size: int) -> int:
    if size < 1 or size >= 1 << 31:
        raise UnsupportedLayer(f"{_where(layer)}{key}={size!r} must be in [1, 2**31) for a C int table index")
    return size


def _softmax_legacy(core: _Core, layer: Layer, x: _Tensor, out: str, u: str) -> None:
    """softmax_legacy: N*(N-1) exp-table reads of exact differences, sums on table_t, one inverse-table read."""
    from ..fixed import FixedType
    from ..layers._tables import legacy_exp_table, legacy_inv_table

    o = layer.options
    size = int(o.get("table_size", 1024))
    exp_size = _table_size(layer, "exp_table_size", int(o.get("exp_table_size", size)))
    inv_size = _table_size(layer, "inv_table_size", int(o.get("inv_table_size", size)))
    table_t = layer.types.get("table") or FixedType.parse("ap_fixed<18,8>")
    params: dict[str, Any] = {"N": x.shape[0]}
    params.update(type_params("X", x.type, modes=False))
    params.update(type_params("T", table_t, where=_where(layer)))
    params.update({"EXP_SIZE": exp_size, "INV_SIZE": inv_size})
    params.update(type_params("R", layer.types["result"], where=_where(layer)))
    params["EXP_TABLE"] = hex_vector(legacy_exp_table(exp_size, table_t), table_t.width)
    params["INV_TABLE"] = hex_vector(legacy_inv_table(inv_size, table_t), table_t.width)
    core.instance("fwp_softmax_legacy", u, params, {"x": x.wire, "y": out})


@_emits("hard_sigmoid", "hard_tanh")
def _hard(core: _Core, layer: Layer, ins: list[_Tensor], out: str, u: str) -> None:
    x = ins[0]
    t = layer.types
    for key in ("slope", "shift"):
        if key not in t or key not in layer.options:
            raise UnsupportedLayer(f"{_where(layer)}needs types[{key!r}] and options[{key!r}] (a raw code)")
    params: dict[str, Any] = {"N": _size(x.shape), "TANH": int(layer.kind == "hard_tanh")}
    params.update(type_params("X", x.type, modes=False))
    params.update(type_params("SL", t["slope"], modes=False))
    params.update(type_params("SH", t["shift"], modes=False))
    params["SLOPE"] = hex_vector([layer.options["slope"]], t["slope"].width)
    params["SHIFT"] = hex_vector([layer.options["shift"]], t["shift"].width)
    params.update(type_params("R", t["result"], where=_where(layer)))
    core.instance("fwp_hard_act", u, params, {"x": x.wire, "y": out})


@_emits("elu", "selu")
def _elu(core: _Core, layer: Layer, ins: list[_Tensor], out: str, u: str) -> None:
    from ..fixed import FixedType
    from ..layers import activation_table

    x = ins[0]
    size = _table_size(layer, "table_size", int(layer.options.get("table_size", 1024)))
    if not _negative_index_fits(x.type, size, 3):
        raise UnsupportedLayer(
            f"{_where(layer)}int(x * {size} / -8) overflows a C int for input type {x.type} (the C++ then reads "
            "outside the table); use a narrower input type or a smaller table_size"
        )
    table_t = layer.types.get("table") or FixedType.parse("ap_fixed<18,8>")
    params: dict[str, Any] = {"N": _size(x.shape), "SELU": int(layer.kind == "selu")}
    params.update(type_params("X", x.type, modes=False))
    params.update(type_params("T", table_t, modes=False))
    if layer.kind == "elu" and "alpha" in layer.options:
        p = layer.types.get("param")
        if p is None:
            raise UnsupportedLayer(f"{_where(layer)}options['alpha'] needs types['param'] (alpha's param_t)")
        params.update(type_params("P", p, modes=False))
        params["ALPHA"] = hex_vector([layer.options["alpha"]], p.width)
    else:
        params.update({"P_W": 2, "P_F": 0, "P_S": 0, "ALPHA": "2'h1"})  # the overload whose alpha is exactly 1
    params.update(type_params("R", layer.types["result"], where=_where(layer)))
    params["TABLE_SIZE"] = size
    params["TABLE"] = hex_vector(activation_table(layer.kind, size, table_t), table_t.width)
    core.instance("fwp_elu", u, params, {"x": x.wire, "y": out})


@_emits("batchnorm")
def _batchnorm(core: _Core, layer: Layer, ins: list[_Tensor], out: str, u: str) -> None:
    x = ins[0]
    t = layer.types
    scale = np.asarray(layer.weights["scale"]).reshape(-1)
    bias = np.asarray(layer.weights["bias"]).reshape(-1)
    params: dict[str, Any] = {"N": _size(x.shape), "N_FILT": scale.size}
    params.update(type_params("X", x.type, modes=False))
    params.update(type_params("S", t["scale"], modes=False))
    params.update(type_params("B", t["bias"], modes=False))
    params.update(type_params("R", t["result"], where=_where(layer)))
    params["SCALES"] = hex_vector(scale, t["scale"].width)
    params["BIASES"] = hex_vector(bias, t["bias"].width)
    core.instance("fwp_batchnorm", u, params, {"x": x.wire, "y": out})


_MERGE_OPS = {"add": 0, "subtract": 1, "multiply": 2, "average": 3, "maximum": 4, "minimum": 5}


@_emits(*_MERGE_OPS)
def _merge(core: _Core, layer: Layer, ins: list[_Tensor], out: str, u: str) -> None:
    if len(ins) != 2:
        raise UnsupportedLayer(f"{_where(layer)}takes two inputs, got {len(ins)}")
    a, b = ins
    if _size(a.shape) != _size(b.shape):
        raise UnsupportedLayer(
            f"{_where(layer)}the RTL merge needs equal shapes, not {a.shape} and {b.shape}"
        )
    params: dict[str, Any] = {"N": _size(a.shape), "OP": _MERGE_OPS[layer.kind]}
    params.update(type_params("A", a.type, modes=False))
    params.update(type_params("B", b.type, modes=False))
    params.update(type_params("R", layer.types["result"], where=_where(layer)))
    core.instance("fwp_merge", u, params, {"a": a.wire, "b": b.wire, "y": out})


@_emits("dot")
def _dot(core: _Core, layer: Layer, ins: list[_Tensor], out: str, u: str) -> None:
    if len(ins) != 2:
        raise UnsupportedLayer(f"{_where(layer)}takes two inputs, got {len(ins)}")
    a, b = ins
    if len(a.shape) != 1 or a.shape != b.shape:
        raise UnsupportedLayer(
            f"{_where(layer)}the RTL dot (hls4ml dot1d) needs two 1-D inputs of equal length, not {a.shape} "
            f"and {b.shape}"
        )
    t = layer.types
    if "accum" not in t:
        raise UnsupportedLayer(f"{_where(layer)}needs types['accum'] (dot1d's accum_t)")
    params: dict[str, Any] = {"N": a.shape[0]}
    params.update(type_params("A", a.type, modes=False))
    params.update(type_params("B", b.type, modes=False))
    params.update(type_params("ACC", t["accum"], where=_where(layer)))
    params.update(type_params("R", t["result"], where=_where(layer)))
    core.instance("fwp_dot", u, params, {"a": a.wire, "b": b.wire, "y": out})


@_emits("concatenate")
def _concatenate(core: _Core, layer: Layer, ins: list[_Tensor], out: str, u: str) -> None:
    res = layer.types["result"]
    rw = res.width
    # Cast each input to the result type, then wire elements where numpy's concatenate puts them.
    axis = int(layer.options.get("axis", -1))
    nd = len(ins[0].shape)
    ax = axis - 1 if axis > 0 else axis + nd  # Keras convention: axis 0 is the batch axis
    parts = []
    for k, x in enumerate(ins):
        cast = f"{out}_in{k}"
        core.lines.append(f"    wire [{_size(x.shape) * rw - 1}:0] {cast};")
        params: dict[str, Any] = {"N": _size(x.shape), "MODE": 0}
        params.update(type_params("X", x.type, modes=False))
        params.update(type_params("R", res, where=_where(layer)))
        core.instance("fwp_relu", f"{u}_in{k}", params, {"x": x.wire, "y": cast})
        parts.append(
            np.stack([np.full(_size(x.shape), k), np.arange(_size(x.shape))], axis=-1).reshape(*x.shape, 2)
        )
    order = np.concatenate(parts, axis=ax).reshape(-1, 2)
    for e, (k, j) in enumerate(order.tolist()):
        core.lines.append(
            f"    assign {out}[{e * rw + rw - 1}:{e * rw}] = {out}_in{k}[{j * rw + rw - 1}:{j * rw}];"
        )


def _ints(v: Any, n: int) -> tuple[int, ...]:
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    return tuple(int(e) for e in v)


def _windows(
    shape: tuple[int, ...], kernel: tuple[int, ...], strides: tuple[int, ...], pads: tuple[int, ...]
) -> np.ndarray:
    """Element indices (into the flattened, channels-last input) of every window: shape (*out, K, C), -1 for a
    padded cell. Windows are listed in C order, cells in kernel order (kh, kw), as hls4ml's im2col fills
    them."""
    *spatial, chans = shape
    nd = len(spatial)
    idx = np.arange(_size(tuple(shape))).reshape(shape)
    padded = np.full([spatial[i] + pads[2 * i] + pads[2 * i + 1] for i in range(nd)] + [chans], -1)
    padded[tuple(slice(pads[2 * i], pads[2 * i] + spatial[i]) for i in range(nd))] = idx
    out = [(padded.shape[i] - kernel[i]) // strides[i] + 1 for i in range(nd)]
    if any(o < 1 for o in out):
        raise InvalidArgument(f"kernel {kernel} is larger than the padded input {padded.shape[:-1]}")
    win = np.empty(out + [_size(kernel), chans], dtype=np.int64)
    for o in np.ndindex(*out):
        for k, offs in enumerate(np.ndindex(*kernel)):
            win[o + (k,)] = padded[tuple(o[i] * strides[i] + offs[i] for i in range(nd))]
    return win


def _gather(x: _Tensor, indices: np.ndarray, pad: str) -> str:
    """A Verilog concatenation of x's elements at ``indices`` (element 0 in the low bits); -1 gives
    ``pad``."""
    w = x.type.width
    parts = [pad if i < 0 else f"{x.wire}[{i * w + w - 1}:{i * w}]" for i in np.asarray(indices).reshape(-1)]
    return "{" + ", ".join(reversed(parts)) + "}"


@_emits("conv1d", "conv2d")
def _conv(core: _Core, layer: Layer, ins: list[_Tensor], out: str, u: str) -> None:
    x = ins[0]
    nd = 1 if layer.kind == "conv1d" else 2
    if len(x.shape) != nd + 1:
        raise UnsupportedLayer(
            f"{_where(layer)}expects input (*spatial[{nd}], channels), not shape {x.shape}"
        )
    o = layer.options
    t = layer.types
    w = np.asarray(layer.weights["weight"])
    kernel = tuple(w.shape[:nd])
    n_filt = w.shape[-1]
    strides = _ints(o.get("strides", 1), nd)
    keys = ("pad_left", "pad_right") if nd == 1 else ("pad_top", "pad_bottom", "pad_left", "pad_right")
    pads = tuple(int(o.get(k, 0)) for k in keys)
    win = _windows(x.shape, kernel, strides, pads)
    n_in = _size(kernel) * x.shape[-1]
    bias = layer.weights.get("bias")
    bias_t = t.get("bias") or t["weight"]
    params: dict[str, Any] = {"N_IN": n_in, "N_OUT": n_filt}
    params.update(type_params("X", x.type, modes=False))
    params.update(type_params("W", t["weight"], modes=False))
    params.update(type_params("B", bias_t, modes=False))
    params.update(type_params("A", t["accum"], where=_where(layer)))
    params.update(type_params("R", t["result"], where=_where(layer)))
    params["WEIGHTS"] = hex_vector(w.reshape(n_in, n_filt), t["weight"].width)
    params["BIASES"] = hex_vector(np.zeros(n_filt, dtype=np.int64) if bias is None else bias, bias_t.width)
    rw = t["result"].width * n_filt
    zero = f"{x.type.width}'d0"
    for p, o_idx in enumerate(np.ndindex(*win.shape[:-2])):
        patch = f"{u}_p{p}"
        core.lines.append(f"    wire [{n_in * x.type.width - 1}:0] {patch} = {_gather(x, win[o_idx], zero)};")
        core.instance(
            "fwp_dense", f"{u}_{p}", params, {"x": patch, "y": f"{out}[{(p + 1) * rw - 1}:{p * rw}]"}
        )


_POOLS = {
    "maxpool1d": (1, 0),
    "maxpool2d": (2, 0),
    "avgpool1d": (1, 1),
    "avgpool2d": (2, 1),
    "global_maxpool1d": (1, 0),
    "global_maxpool2d": (2, 0),
    "global_avgpool1d": (1, 1),
    "global_avgpool2d": (2, 1),
}


@_emits(*_POOLS)
def _pool(core: _Core, layer: Layer, ins: list[_Tensor], out: str, u: str) -> None:
    x = ins[0]
    nd, mode = _POOLS[layer.kind]
    if len(x.shape) != nd + 1:
        raise UnsupportedLayer(
            f"{_where(layer)}expects input (*spatial[{nd}], channels), not shape {x.shape}"
        )
    o = layer.options
    if layer.kind.startswith("global"):
        pool, strides, pads = tuple(x.shape[:-1]), tuple(x.shape[:-1]), (0,) * (2 * nd)
    else:
        pool = _ints(o.get("pool", 2), nd)
        strides = _ints(o.get("strides", pool), nd)
        if "pads" in o:
            pads = _ints(o["pads"], 2 * nd)
        else:
            keys = (
                ("pad_left", "pad_right") if nd == 1 else ("pad_top", "pad_bottom", "pad_left", "pad_right")
            )
            pads = tuple(int(o.get(k, 0)) for k in keys)
    win = _windows(x.shape, pool, strides, pads)
    k_cells, chans = win.shape[-2:]
    acc_t = layer.types.get("accum")
    if mode == 1 and acc_t is None:
        raise UnsupportedLayer(f"{_where(layer)}average pooling needs types['accum']")
    xw = x.type.width
    # Max pooling pads with pad_val<T, Max>: the sign bit alone; average pooling pads with 0 and does not
    # count it.
    pad = f"{{1'b1, {xw - 1}'d0}}" if mode == 0 and xw > 1 else f"{xw}'d{1 if mode == 0 else 0}"
    rw = layer.types["result"].width * chans
    for p, o_idx in enumerate(np.ndindex(*win.shape[:-2])):
        cells = win[o_idx]
        count = _size(pool) if o.get("count_pad") else int(np.count_nonzero(cells[:, 0] >= 0))
        params: dict[str, Any] = {
            "K": k_cells,
            "C": chans,
            "MODE": mode,
            "COUNT": max(count, 1),
            "HAS_ACC": int(acc_t is not None),
        }
        params.update(type_params("X", x.type, modes=False))
        if acc_t is not None:
            params.update(type_params("A", acc_t, where=_where(layer)))
        params.update(type_params("R", layer.types["result"], where=_where(layer)))
        window = f"{u}_w{p}"
        core.lines.append(f"    wire [{k_cells * chans * xw - 1}:0] {window} = {_gather(x, cells, pad)};")
        core.instance(
            "fwp_pool", f"{u}_{p}", params, {"x": window, "y": f"{out}[{(p + 1) * rw - 1}:{p * rw}]"}
        )


@_emits("flatten", "reshape")
def _reshape(core: _Core, layer: Layer, ins: list[_Tensor], out: str, u: str) -> None:
    x = ins[0]
    res = layer.types["result"]
    if res != x.type:
        # hls4ml's flatten/reshape only rename the array; a different type would be a cast we do not model
        # here.
        params: dict[str, Any] = {"N": _size(x.shape), "MODE": 0}
        params.update(type_params("X", x.type, modes=False))
        params.update(type_params("R", res, where=_where(layer)))
        core.instance("fwp_relu", u, params, {"x": x.wire, "y": out})
    else:
        core.lines.append(f"    assign {out} = {x.wire};")


def _emit_layers(model: Model) -> tuple[_Core, dict[str, _Tensor], int]:
    core = _Core()
    tensors: dict[str, _Tensor] = {}
    for t in model.inputs:
        tensors[t.name] = _Tensor(t.name, tuple(t.shape), t.type, 0, f"in_{_ident(t.name)}")
    for layer in model.layers:
        emitter = _EMITTERS.get(layer.kind)
        if emitter is None:
            raise UnsupportedLayer(
                f"{_where(layer)}the RTL generator has no module for kind {layer.kind!r} "
                f"(supported: {', '.join(sorted(_EMITTERS))})"
            )
        srcs = [tensors[name] for name in layer.inputs]
        stage = 1 + max(s.stage for s in srcs)
        aligned = [_Tensor(s.name, s.shape, s.type, stage - 1, core.tap(s, stage - 1)) for s in srcs]
        res = layer.types["result"]
        width = _size(tuple(layer.shape)) * res.width
        ident = _ident(layer.name)
        comb = f"{ident}_d"
        core.lines.append(f"    // layer {layer.name!r}: {layer.kind} -> {tuple(layer.shape)} {res}")
        core.lines.append(f"    wire [{width - 1}:0] {comb};")
        emitter(core, layer, aligned, comb, f"u_{ident}")
        core.lines.append(f"    reg [{width - 1}:0] {ident}_q;")
        core.lines.append(f"    always @(posedge clk) if (ce) {ident}_q <= {comb};")
        tensors[layer.name] = _Tensor(layer.name, tuple(layer.shape), res, stage, f"{ident}_q")
    latency = max((tensors[o].stage for o in model.outputs), default=0)
    return core, tensors, latency


def _core_module(name: str, model: Model, core: _Core, tensors: dict[str, _Tensor], latency: int) -> str:
    ports = ["    input wire clk", "    input wire rst", "    input wire ce", "    input wire in_valid"]
    for t in model.inputs:
        ports.append(f"    input wire [{tensors[t.name].width - 1}:0] in_{_ident(t.name)}")
    ports.append("    output wire out_valid")
    ports.append("    output wire busy")
    for o in model.outputs:
        ports.append(f"    output wire [{tensors[o].width - 1}:0] out_{_ident(o)}")
    # Tap the outputs first: aligning a shallow output to the full latency appends delay registers to
    # core.lines.
    assigns = [f"    assign out_{_ident(o)} = {core.tap(tensors[o], latency)};" for o in model.outputs]
    body = list(core.lines) + assigns
    if latency == 1:
        vld = [
            "    reg vld;",
            "    always @(posedge clk) if (rst) vld <= 1'b0; else if (ce) vld <= in_valid;",
            "    assign out_valid = vld;",
            "    assign busy = vld;",
        ]
    else:
        vld = [
            f"    reg [{latency - 1}:0] vld;",
            f"    always @(posedge clk) if (rst) vld <= {latency}'d0; "
            f"else if (ce) vld <= {{vld[{latency - 2}:0], in_valid}};",
            f"    assign out_valid = vld[{latency - 1}];",
            "    assign busy = |vld;",
        ]
    return (
        f"// Pipeline core of model {model.name!r}: one registered stage per layer, latency {latency}.\n"
        "/* verilator lint_off UNUSEDSIGNAL */\n"
        f"module {name} (\n" + ",\n".join(ports) + "\n);\n" + "\n".join(vld + body) + "\nendmodule\n"
        "/* verilator lint_on UNUSEDSIGNAL */\n"
    )


def _pad8(bits: int) -> int:
    return max(8, (bits + 7) // 8 * 8)


def _wrapper(
    top: str,
    core_name: str,
    model: Model,
    tensors: dict[str, _Tensor],
    interface: str,
) -> tuple[str, list[PortMap], list[PortMap], dict[str, str]]:
    ins = [tensors[t.name] for t in model.inputs]
    outs = [tensors[o] for o in model.outputs]
    conn_in = [f".in_{_ident(t.name)}(%s)" for t in ins]
    conn_out = [f".out_{_ident(t.name)}(%s)" for t in outs]
    if interface in ("valid", "ap_ctrl_hs"):
        prefix_i, prefix_o = ("in_", "out_") if interface == "valid" else ("", "")
        in_ports = [f"{prefix_i}{_ident(t.name)}" for t in ins]
        out_ports = [f"{prefix_o}{_ident(t.name)}" for t in outs]
        if interface == "ap_ctrl_hs":
            # Vitis names ports after the C arguments; a tensor called like a control signal would clash.
            clash = {"ap_clk", "ap_rst", "ap_start", "ap_done", "ap_idle", "ap_ready"}
            in_ports = [p if p not in clash else f"{p}_in" for p in in_ports]
            out_ports = [p if p not in clash else f"{p}_out" for p in out_ports]
        in_maps = [PortMap(t.name, p, t.shape, t.type) for t, p in zip(ins, in_ports, strict=True)]
        out_maps = [PortMap(t.name, p, t.shape, t.type) for t, p in zip(outs, out_ports, strict=True)]
        decl_in = [f"    input wire [{t.width - 1}:0] {p}" for t, p in zip(ins, in_ports, strict=True)]
        decl_out = [f"    output wire [{t.width - 1}:0] {p}" for t, p in zip(outs, out_ports, strict=True)]
        conns = [c % p for c, p in zip(conn_in, in_ports, strict=True)] + [
            c % p for c, p in zip(conn_out, out_ports, strict=True)
        ]
        if interface == "valid":
            ctrl = [
                "    input wire clk",
                "    input wire rst",
                "    input wire in_valid",
                "    output wire out_valid",
            ]
            body = [
                f"    {core_name} u_core (.clk(clk), .rst(rst), .ce(1'b1), .in_valid(in_valid), "
                f".out_valid(out_valid), .busy(), {', '.join(conns)});"
            ]
            signals: dict[str, str] = {}
        else:
            ctrl = [
                "    input wire ap_clk",
                "    input wire ap_rst",
                "    input wire ap_start",
                "    output wire ap_done",
                "    output wire ap_idle",
                "    output wire ap_ready",
            ]
            decl_out += [f"    output wire {p}_ap_vld" for p in out_ports]
            # II = 1: a started vector is always taken, so ap_ready follows ap_start; ap_done pulses per
            # result.
            body = [
                "    wire done, busy;",
                f"    {core_name} u_core (.clk(ap_clk), .rst(ap_rst), .ce(1'b1), .in_valid(ap_start), "
                f".out_valid(done), .busy(busy), {', '.join(conns)});",
                "    assign ap_ready = ap_start;",
                "    assign ap_done = done;",
                "    assign ap_idle = ~ap_start & ~busy;",
            ]
            body += [f"    assign {p}_ap_vld = done;" for p in out_ports]
            signals = {}
        decl = ctrl + decl_in + decl_out
        text = f"module {top} (\n" + ",\n".join(decl) + "\n);\n" + "\n".join(body) + "\nendmodule\n"
        return text, in_maps, out_maps, signals
    # AXI4-Stream: every input tensor packed into one tdata beat (in model order), likewise the outputs.
    in_maps, off = [], 0
    for t in ins:
        in_maps.append(PortMap(t.name, "s_axis_tdata", t.shape, t.type, off))
        off += t.width
    in_w = _pad8(off)
    out_maps, off = [], 0
    for t in outs:
        out_maps.append(PortMap(t.name, "m_axis_tdata", t.shape, t.type, off))
        off += t.width
    out_used, out_w = off, _pad8(off)
    conns = [
        c % f"s_axis_tdata[{m.offset + m.width - 1}:{m.offset}]"
        for c, m in zip(conn_in, in_maps, strict=True)
    ]
    conns += [
        c % f"m_axis_tdata[{m.offset + m.width - 1}:{m.offset}]"
        for c, m in zip(conn_out, out_maps, strict=True)
    ]
    decl = [
        "    input wire clk",
        "    input wire rst",
        "    input wire s_axis_tvalid",
        "    output wire s_axis_tready",
        f"    input wire [{in_w - 1}:0] s_axis_tdata",
        "    input wire s_axis_tlast",
        "    output wire m_axis_tvalid",
        "    input wire m_axis_tready",
        f"    output wire [{out_w - 1}:0] m_axis_tdata",
        "    output wire m_axis_tlast",
    ]
    body = [
        "    // Back-pressure stalls the whole pipeline:",
        "    // it advances when the output register is free or being taken.",
        "    wire ce = m_axis_tready | ~m_axis_tvalid;",
        "    assign s_axis_tready = ce;",
        "    assign m_axis_tlast = m_axis_tvalid;",
        f"    {core_name} u_core (.clk(clk), .rst(rst), .ce(ce), .in_valid(s_axis_tvalid), "
        f".out_valid(m_axis_tvalid), .busy(), {', '.join(conns)});",
    ]
    if out_w > out_used:
        body.append(f"    assign m_axis_tdata[{out_w - 1}:{out_used}] = {out_w - out_used}'d0;")
    text = (
        "/* verilator lint_off UNUSEDSIGNAL */\n"
        f"module {top} (\n"
        + ",\n".join(decl)
        + "\n);\n"
        + "\n".join(body)
        + "\nendmodule\n/* verilator lint_on UNUSEDSIGNAL */\n"
    )
    return text, in_maps, out_maps, {}


def generate(
    model: Model, out_dir: str | os.PathLike[str], *, interface: str = "valid", top: str | None = None
) -> RtlDesign:
    """Write a Verilog implementation of ``model`` into ``out_dir`` and describe it.

    Parameters
    ----------
    model
        The model; every layer kind must have a library module (see ``fwparity.rtlsim.SUPPORTED_KINDS``).
    out_dir
        Directory for ``<top>.v`` and copies of the library modules it uses (created if needed).
    interface
        ``"valid"``, ``"ap_ctrl_hs"`` or ``"axis"``.
    top
        Top module name; default ``fwp_<model name>``.

    Returns
    -------
    GeneratedRTL
        Files (library first, top last), top name, port map, latency in cycles, initiation interval 1.

    Raises
    ------
    InvalidArgument
        Unknown ``interface``.
    UnsupportedLayer
        A layer kind or type the library does not implement; the message names the layer.
    """
    if interface not in PROTOCOLS:
        raise InvalidArgument(f"Interface {interface!r} is not in supported list: {', '.join(PROTOCOLS)}")
    top = top or f"fwp_{_ident(model.name)}"
    core, tensors, latency = _emit_layers(model)
    if latency < 1:
        raise UnsupportedLayer(f"Model {model.name!r} has no layers between its inputs and outputs")
    core_name = f"{top}_core"
    core_text = _core_module(core_name, model, core, tensors, latency)
    wrapper, in_maps, out_maps, signals = _wrapper(top, core_name, model, tensors, interface)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lib = library_files()
    files: list[Path] = []
    # Copy the whole library (a few small files): modules instantiate each other, and Verilator ignores the
    # rest.
    for module in sorted(lib):
        dst = out / lib[module].name
        shutil.copyfile(lib[module], dst)
        files.append(dst)
    top_file = out / f"{top}.v"
    header = (
        f"// Generated by fwparity.rtlsim.generate for model {model.name!r} (sha256 {model.sha256()[:16]}),\n"
        f"// interface {interface}, latency {latency} cycles, II 1.\n"
    )
    top_file.write_text(header + core_text + "\n" + wrapper)
    files.append(top_file)
    return RtlDesign(
        top=top,
        files=tuple(files),
        protocol=interface,
        inputs=tuple(in_maps),
        outputs=tuple(out_maps),
        latency=latency,
        ii=1,
        signals=signals,
    )


#: Layer kinds the generator can place.
SUPPORTED_KINDS = _EMITTERS
