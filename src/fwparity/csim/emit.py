"""Emit HLS C++ for a fwparity :class:`~fwparity.model.Model` on the installed hls4ml's nnet_utils templates.

The output is what hls4ml's Vivado/Vitis writer produces for io_parallel + Latency (``defines.h`` typedefs,
``parameters.h`` config structs shaped like hls4ml's, a top .cpp calling ``nnet::dense``/``nnet::relu``/...),
with one deliberate difference: weights are initialisers in raw-bit form, set element by element with a range
assignment at load time. So the C++ holds exactly the model's raw weights (no decimal text, no ``strtod``, no
``ap_fixed(double)``), csim needs neither Keras nor a weights directory, and fuzzing reaches real
nnet_utils code.

The top is always instrumented: each layer's output is offered to the raw-bit trace (a null check per layer
when tracing is off).

Supported layer kinds: dense, relu, linear, relu_max, leaky_relu, thresholded_relu, elu, selu, sigmoid, tanh,
softplus, softsign, softmax, batchnorm, add, subtract, multiply, average, maximum, minimum, concatenate,
flatten, reshape, and max/average pooling (1D, 2D, global; channels last). Anything else raises
:class:`~fwparity.errors.UnsupportedLayer`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _toolchain
from ..errors import UnsupportedLayer
from .bridge import Port, TopSignature, TracePoint, trace_info_source
from .build import CsimLibrary, build_csim_library

if TYPE_CHECKING:
    from ..model import Model

__all__ = ["EmittedProject", "emit_model", "build_model", "SUPPORTED_KINDS"]

TOP = "fwp_top"
_ACTIVATIONS = {
    "relu": "relu",
    "linear": "linear",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "softplus": "softplus",
    "softsign": "softsign",
    "selu": "selu",
    "elu": "elu",
}
# activations with a scalar parameter: kind -> (function, option holding the raw value)
_PARAM_ACTIVATIONS = {
    "leaky_relu": ("leaky_relu", "alpha"),
    "thresholded_relu": ("thresholded_relu", "theta"),
}
_MERGES = {"add", "subtract", "multiply", "average", "maximum", "minimum"}
_POOLS = {
    "maxpool1d",
    "avgpool1d",
    "maxpool2d",
    "avgpool2d",
    "global_maxpool1d",
    "global_avgpool1d",
    "global_maxpool2d",
    "global_avgpool2d",
}
SUPPORTED_KINDS = frozenset(
    {"dense", "softmax", "batchnorm", "concatenate", "flatten", "reshape", "relu_max"}
    | _POOLS
    | set(_ACTIVATIONS)
    | set(_PARAM_ACTIVATIONS)
    | _MERGES
)


@dataclass(frozen=True)
class EmittedProject:
    """The emitted files (name -> text) and the top signature of the emitted C++."""

    files: dict[str, str]
    signature: TopSignature


def _ident(name: str) -> str:
    """A C++ identifier fragment for a tensor name: ASCII letters, digits and single underscores, starting
    with a letter (so no reserved ``_X``/``__`` spellings). Not injective (``a.b`` and ``a_b`` both give
    ``a_b``); :meth:`_Writer.claim` makes the final one unique."""
    s = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", name))
    return s if re.match(r"[A-Za-z]", s) else f"L{s}" if s.startswith("_") else f"L_{s}"


def _comment(text: str) -> str:
    """``text`` safe inside a ``//`` comment: no line breaks and no trailing backslash (which would splice
    the next line into the comment)."""
    return re.sub(r"[^\x20-\x5b\x5d-\x7e]", lambda m: f"\\x{ord(m.group()):02x}", text)


#: Every identifier a tensor's fragment ``lid`` can generate, as format strings (see _Writer.claim).
_PER_TENSOR = (
    *(f"{{}}_{key}_t" for key in (
        "input", "result", "weight", "bias", "accum", "table", "param", "scale",
        "exp_table", "inv_table", "inv_inp", "inp_norm",
    )),
    "layer_{}", "x_{}", "y_{}",
    *(f"{p}_{{}}" for p in "wbsp"),
    *(f"{p}_{{}}_raw" for p in "wbsp"),
    *(f"{p}_{{}}_loaded" for p in "wbsp"),
)
#: Identifiers of the emitted files themselves that no generated name may take.
_RESERVED = frozenset({TOP, "fwp_fill"})


def _size(shape: Sequence[int]) -> int:
    return int(np.prod(shape, dtype=np.int64)) if len(shape) else 1


def _raw_initialiser(values: np.ndarray, width: int) -> tuple[str, str]:
    """(C element type, initialiser body) of raw codes, exact: int64 per element, or uint64 words if wide."""
    flat = [int(v) for v in np.asarray(values).reshape(-1).tolist()]
    if width <= 63:
        return "int64_t", ", ".join(f"{v}LL" for v in flat)
    words = (width + 63) // 64
    mask = (1 << 64) - 1
    parts = []
    for v in flat:
        u = v % (1 << width)
        parts += [f"{(u >> (64 * k)) & mask}ULL" for k in range(words)]
    return "uint64_t", ", ".join(parts)


class _Writer:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.typedefs: list[str] = []
        self.configs: list[str] = []
        self.weights: list[str] = []
        self.body: list[str] = []
        self.tensor_type: dict[str, str] = {}
        self.tensor_var: dict[str, str] = {}
        self.tensor_shape: dict[str, tuple[int, ...]] = {}
        self.tensor_fixed: dict[str, Any] = {}
        self.traces: list[TracePoint] = []
        self.claimed: set[str] = set(_RESERVED)
        self.tensor_lid: dict[str, str] = {}

    def claim(self, name: str) -> str:
        """A fragment for tensor ``name`` whose generated identifiers (:data:`_PER_TENSOR`) are all unclaimed,
        so no two tensors' typedefs, arrays or weights collide whatever the names (``a.b`` next to ``a_b``,
        ``x`` next to ``x_raw``, ``a`` next to ``a_exp``). The plain sanitised name when it is free, so the
        C++ reads like hls4ml's; otherwise ``<name>_2``, ``<name>_3``, ..."""
        base = _ident(name)
        lid, k = base, 1
        while any(f.format(lid) in self.claimed for f in _PER_TENSOR):
            k += 1
            lid = f"{base}_{k}"
        self.claimed.update(f.format(lid) for f in _PER_TENSOR)
        return lid

    def typedef(self, name: str, t: Any) -> str:
        self.typedefs.append(f"typedef {t} {name};")
        return name

    def weight(self, var: str, ctype: str, values: np.ndarray, width: int) -> None:
        elem, body = _raw_initialiser(values, width)
        n = _size(np.asarray(values).shape)
        self.weights.append(f"{ctype} {var}[{n}];")
        self.weights.append(f"static const {elem} {var}_raw[] = {{{body}}};")
        self.weights.append(f"static const bool {var}_loaded = fwp_fill({var}, {var}_raw, {n});")

    def pool(self, *args: Any) -> None:
        _emit_pool(self, *args)

    def layer(self, index: int, layer: Any) -> None:
        kind, name = layer.kind, layer.name
        lid = self.tensor_lid[name] = self.claim(name)
        if kind not in SUPPORTED_KINDS:
            raise UnsupportedLayer(
                f"Layer {name!r} has kind={kind!r}, which fwparity.csim.emit cannot write as HLS C++ yet; "
                f"supported: {', '.join(sorted(SUPPORTED_KINDS))}"
            )
        ins = list(layer.inputs)
        for t in ins:
            if t not in self.tensor_type:
                raise UnsupportedLayer(
                    f"Layer {name!r} reads {t!r}, which no earlier layer or input produces"
                )
        res_t = self.typedef(f"{lid}_result_t", layer.types["result"])
        out_var = f"layer_{lid}"
        n_out = _size(layer.shape)
        in_t = self.tensor_type[ins[0]]
        in_v = self.tensor_var[ins[0]]
        n_in = _size(self.tensor_shape[ins[0]])
        cfg = f"config{index}_{lid}"
        self.body.append(f"    {res_t} {out_var}[{n_out}];")
        opts = layer.options
        if kind == "dense":
            w_t = self.typedef(f"{lid}_weight_t", layer.types["weight"])
            b_t = self.typedef(f"{lid}_bias_t", layer.types["bias"])
            a_t = self.typedef(f"{lid}_accum_t", layer.types["accum"])
            w = np.asarray(layer.weights["weight"])
            n_in_w, n_out_w = int(w.shape[0]), int(w.shape[1])
            self.weight(f"w_{lid}", w_t, w, layer.types["weight"].width)
            self.weight(f"b_{lid}", b_t, np.asarray(layer.weights["bias"]), layer.types["bias"].width)
            strategy = str(opts.get("strategy", "latency")).lower()
            if strategy != "latency":
                raise UnsupportedLayer(
                    f"Layer {name!r}: emit writes the Latency strategy only, not strategy={strategy!r}"
                )
            self.configs.append(
                f"struct {cfg} : nnet::dense_config {{\n"
                f"    static const unsigned n_in = {n_in_w};\n"
                f"    static const unsigned n_out = {n_out_w};\n"
                "    static const unsigned io_type = nnet::io_parallel;\n"
                "    static const unsigned strategy = nnet::latency;\n"
                "    static const unsigned reuse_factor = 1;\n"
                "    static const unsigned n_zeros = 0;\n"
                f"    static const unsigned n_nonzeros = {n_in_w * n_out_w};\n"
                "    static const unsigned multiplier_limit = DIV_ROUNDUP(n_in * n_out, reuse_factor) - "
                "n_zeros / reuse_factor;\n"
                "    static const bool store_weights_in_bram = false;\n"
                f"    typedef {a_t} accum_t;\n"
                f"    typedef {b_t} bias_t;\n"
                f"    typedef {w_t} weight_t;\n"
                "    typedef ap_uint<1> index_t;\n"
                "    template<class data_T, class res_T, class CONFIG_T>\n"
                "    using kernel = nnet::DenseLatency<data_T, res_T, CONFIG_T>;\n"
                "    template<class x_T, class y_T>\n"
                "    using product = nnet::product::mult<x_T, y_T>;\n"
                "};\n"
            )
            self.body.append(
                f"    nnet::dense<{in_t}, {res_t}, {cfg}>({in_v}, {out_var}, w_{lid}, b_{lid}); // {_comment(name)}"
            )
        elif kind in _ACTIVATIONS or kind in _PARAM_ACTIVATIONS or kind == "relu_max":
            table = layer.types.get("table", "ap_fixed<18,8>")
            tab_t = self.typedef(f"{lid}_table_t", table)
            param_line = ""
            param_t = None
            if (kind in _PARAM_ACTIVATIONS and "param" in layer.types) or (kind == "elu" and "alpha" in opts):
                param_t = self.typedef(f"{lid}_param_t", layer.types["param"])
                param_line = f"    typedef {param_t} param_t;\n"
            self.configs.append(
                f"struct {cfg} : nnet::activ_config {{\n"
                f"    static const unsigned n_in = {n_in};\n"
                f"    static const unsigned table_size = {int(opts.get('table_size', 1024))};\n"
                "    static const unsigned io_type = nnet::io_parallel;\n"
                "    static const unsigned reuse_factor = 1;\n"
                f"    typedef {tab_t} table_t;\n"
                f"{param_line}"
                "};\n"
            )
            if kind == "relu_max":
                x_type = self.tensor_fixed[ins[0]]
                max_raw = int(opts["max_value"])
                if x_type.frac_bits > 0 and max_raw % (1 << x_type.frac_bits):
                    raise UnsupportedLayer(
                        f"Layer {name!r}: relu_max needs an integer max_value for nnet::relu_max<MAX_INT>, "
                        f"not raw {max_raw} on {x_type}"
                    )
                f = x_type.frac_bits
                max_int = max_raw >> f if f >= 0 else max_raw << -f
                call = f"nnet::relu_max<{in_t}, {res_t}, {max_int}, {cfg}>({in_v}, {out_var});"
            elif param_t is not None:
                fn, key = _PARAM_ACTIVATIONS.get(kind, ("elu", "alpha"))
                self.weight(f"p_{lid}", param_t, np.array([int(opts[key])]), layer.types["param"].width)
                call = f"nnet::{fn}<{in_t}, {param_t}, {res_t}, {cfg}>({in_v}, p_{lid}[0], {out_var});"
            elif kind in _PARAM_ACTIVATIONS:
                raise UnsupportedLayer(f"Layer {name!r} ({kind}) needs types['param'] for its parameter")
            else:
                call = f"nnet::{_ACTIVATIONS[kind]}<{in_t}, {res_t}, {cfg}>({in_v}, {out_var});"
            self.body.append(f"    {call} // {_comment(name)}")
        elif kind == "softmax":
            ty = layer.types
            names = {}
            for key in ("exp_table", "inv_table", "accum", "inv_inp"):
                names[key] = self.typedef(f"{lid}_{key}_t", ty.get(key, "ap_fixed<18,8,AP_RND,AP_SAT>"))
            impl = str(opts.get("implementation", "stable"))
            if "inp_norm" in ty:
                inp_norm = self.typedef(f"{lid}_inp_norm_t", ty["inp_norm"])
            else:
                inp_norm = "ap_fixed<1,0>"
            table_size = int(opts.get("table_size", 1024))
            n_inner, n_outer = int(opts.get("n_inner", 1)), int(opts.get("n_outer", 1))
            self.configs.append(
                f"struct {cfg} : nnet::activ_config {{\n"
                f"    static const unsigned n_in = {n_in};\n"
                f"    static const unsigned n_slice = "
                f"{int(opts.get('n_slice', n_in // n_inner // n_outer))};\n"
                f"    static const unsigned n_outer = {n_outer};\n"
                f"    static const unsigned n_inner = {n_inner};\n"
                "    static const unsigned parallelization_factor = -1;\n"
                f"    static const unsigned exp_table_size = {int(opts.get('exp_table_size', table_size))};\n"
                f"    static const unsigned inv_table_size = {int(opts.get('inv_table_size', table_size))};\n"
                f"    static const unsigned table_size = {table_size};\n"
                "    static const unsigned io_type = nnet::io_parallel;\n"
                "    static const unsigned reuse_factor = 1;\n"
                f"    static const unsigned axis = {int(opts.get('axis', -1))};\n"
                f"    static const nnet::softmax_implementation implementation = "
                f"nnet::softmax_implementation::{impl};\n"
                f"    static constexpr float exp_scale = {float(opts.get('exp_scale', 1.0))!r};\n"
                f"    typedef {names['exp_table']} exp_table_t;\n"
                f"    typedef {names['inv_table']} inv_table_t;\n"
                f"    typedef {names['accum']} accum_t;\n"
                f"    typedef {names['inv_inp']} inv_inp_t;\n"
                f"    typedef {inp_norm} inp_norm_t;\n"
                "};\n"
            )
            fn = "softmax" if n_inner == 1 and n_outer == 1 else "softmax_multidim"
            self.body.append(f"    nnet::{fn}<{in_t}, {res_t}, {cfg}>({in_v}, {out_var}); // {_comment(name)}")
        elif kind == "batchnorm":
            s_t = self.typedef(f"{lid}_scale_t", layer.types["scale"])
            b_t = self.typedef(f"{lid}_bias_t", layer.types["bias"])
            scale = np.asarray(layer.weights["scale"])
            self.weight(f"s_{lid}", s_t, scale, layer.types["scale"].width)
            self.weight(f"b_{lid}", b_t, np.asarray(layer.weights["bias"]), layer.types["bias"].width)
            n_filt = int(opts.get("n_filt", scale.size))
            self.configs.append(
                f"struct {cfg} : nnet::batchnorm_config {{\n"
                f"    static const unsigned n_in = {n_in};\n"
                f"    static const unsigned n_filt = {n_filt};\n"
                "    static const unsigned n_scale_bias = (n_filt == -1) ? n_in : n_filt;\n"
                "    static const unsigned io_type = nnet::io_parallel;\n"
                "    static const unsigned reuse_factor = 1;\n"
                "    static const unsigned multiplier_limit = DIV_ROUNDUP(n_in, reuse_factor);\n"
                "    static const bool store_weights_in_bram = false;\n"
                f"    typedef {b_t} bias_t;\n"
                f"    typedef {s_t} scale_t;\n"
                "    template<class x_T, class y_T>\n"
                "    using product = nnet::product::mult<x_T, y_T>;\n"
                "};\n"
            )
            self.body.append(
                f"    nnet::normalize<{in_t}, {res_t}, {cfg}>({in_v}, {out_var}, s_{lid}, b_{lid}); // {_comment(name)}"
            )
        elif kind in _MERGES or kind == "concatenate":
            if len(ins) != 2:
                raise UnsupportedLayer(
                    f"Layer {name!r} ({kind}) has {len(ins)} inputs; the nnet_merge templates take 2"
                )
            in2_t, in2_v = self.tensor_type[ins[1]], self.tensor_var[ins[1]]
            if kind == "concatenate":
                s1, s2 = self.tensor_shape[ins[0]], self.tensor_shape[ins[1]]
                rank = len(s1)
                if rank not in (1, 2, 3) or len(s2) != rank:
                    raise UnsupportedLayer(f"Layer {name!r}: concatenate of rank {rank} is not emitted")
                axis = int(opts.get("axis", -1))
                dims = "".join(
                    f"    static const unsigned n_elem1_{i} = {s1[i] if i < rank else 0};\n" for i in range(3)
                ) + "".join(
                    f"    static const unsigned n_elem2_{i} = {s2[i] if i < rank else 0};\n" for i in range(3)
                )
                self.configs.append(
                    f"struct {cfg} : nnet::concat_config "
                    f"{{\n{dims}\n    static const int axis = {axis};\n}};\n"
                )
                fn = f"concatenate{rank}d"
            else:
                n1, n2 = n_in, _size(self.tensor_shape[ins[1]])
                self.configs.append(
                    f"struct {cfg} : nnet::merge_config {{\n"
                    f"    static const unsigned n_elem = {max(n1, n2)};\n"
                    f"    static const unsigned n_elem1 = {n1};\n"
                    f"    static const unsigned n_elem2 = {n2};\n"
                    "    static const unsigned reuse_factor = 1;\n"
                    "};\n"
                )
                fn = kind
            self.body.append(
                f"    nnet::{fn}<{in_t}, {in2_t}, {res_t}, {cfg}>({in_v}, {in2_v}, {out_var}); // {_comment(name)}"
            )
        elif kind in _POOLS:
            self.pool(kind, layer, cfg, lid, in_t, in_v, res_t, out_var, self.tensor_shape[ins[0]], ins[0])
        else:  # flatten / reshape: hls4ml aliases the array; a same-type copy is the same values
            self.body.append(f"    for (int i = 0; i < {n_out}; ++i) {out_var}[i] = {in_v}[i]; // {_comment(name)}")
        self.body.append(f"    fwp::trace_store({len(self.traces)}, {out_var}, {n_out});")
        self.traces.append(TracePoint(name, out_var, res_t, str(n_out)))
        self.tensor_type[name] = res_t
        self.tensor_var[name] = out_var
        self.tensor_shape[name] = tuple(layer.shape)
        self.tensor_fixed[name] = layer.types["result"]


def _pool_geometry(opts: dict[str, Any], nd: int) -> tuple[list[int], list[int], list[int]]:
    """pool sizes, strides and pads (1D: left, right; 2D: top, bottom, left, right) from a layer's options."""

    def ints(v: Any) -> list[int]:
        return [int(x) for x in v] if isinstance(v, (list, tuple)) else [int(v)] * nd

    pool = ints(opts.get("pool", 2))
    strides = ints(opts.get("strides", pool))
    if "pads" in opts:
        pads = [int(x) for x in opts["pads"]]
    else:
        keys = ("pad_left", "pad_right") if nd == 1 else ("pad_top", "pad_bottom", "pad_left", "pad_right")
        pads = [int(opts.get(k, 0)) for k in keys]
    return pool, strides, pads


def _emit_pool(
    wr: _Writer,
    kind: str,
    layer: Any,
    cfg: str,
    lid: str,
    in_t: str,
    in_v: str,
    res_t: str,
    out_var: str,
    in_shape: tuple[int, ...],
    src: str,
) -> None:
    nd = 2 if kind.endswith("2d") else 1
    if len(in_shape) != nd + 1:
        raise UnsupportedLayer(
            f"Layer {layer.name!r} ({kind}) needs a channels-last input of rank {nd + 1}, "
            f"not shape {in_shape!r}"
        )
    op = "Max" if "max" in kind else "Average"
    accum = layer.types.get("accum", wr.tensor_fixed[src])
    acc_t = wr.typedef(f"{lid}_accum_t", accum)
    n_filt = in_shape[-1]
    if kind.startswith("global_"):
        dims = (
            f"    static const unsigned n_in = {in_shape[0]};\n"
            if nd == 1
            else f"    static const unsigned in_height = {in_shape[0]};\n"
            f"    static const unsigned in_width = {in_shape[1]};\n"
        )
        wr.configs.append(
            f"struct {cfg} : nnet::pooling{nd}d_config {{\n{dims}"
            f"    static const unsigned n_filt = {n_filt};\n"
            f"    static const nnet::Pool_Op pool_op = nnet::{op};\n"
            "    static const unsigned reuse_factor = 1;\n"
            f"    typedef {acc_t} accum_t;\n"
            "};\n"
        )
        fn = f"global_pooling{nd}d_cl"
    else:
        pool, strides, pads = _pool_geometry(layer.options, nd)
        out_shape = tuple(layer.shape)
        count_pad = "true" if layer.options.get("count_pad", False) else "false"
        if nd == 1:
            dims = (
                f"    static const unsigned n_in = {in_shape[0]};\n"
                f"    static const unsigned n_out = {out_shape[0]};\n"
                f"    static const unsigned n_filt = {n_filt};\n"
                f"    static const unsigned pool_width = {pool[0]};\n"
                "    static const unsigned filt_width = pool_width;\n"
                "    static const unsigned n_chan = n_filt;\n"
                f"    static const unsigned pad_left = {pads[0]};\n"
                f"    static const unsigned pad_right = {pads[1]};\n"
                f"    static const unsigned stride_width = {strides[0]};\n"
            )
        else:
            dims = (
                f"    static const unsigned in_height = {in_shape[0]};\n"
                f"    static const unsigned in_width = {in_shape[1]};\n"
                f"    static const unsigned n_filt = {n_filt};\n"
                f"    static const unsigned stride_height = {strides[0]};\n"
                f"    static const unsigned stride_width = {strides[1]};\n"
                f"    static const unsigned pool_height = {pool[0]};\n"
                f"    static const unsigned pool_width = {pool[1]};\n"
                "    static const unsigned filt_height = pool_height;\n"
                "    static const unsigned filt_width = pool_width;\n"
                "    static const unsigned n_chan = n_filt;\n"
                f"    static const unsigned out_height = {out_shape[0]};\n"
                f"    static const unsigned out_width = {out_shape[1]};\n"
                f"    static const unsigned pad_top = {pads[0]};\n"
                f"    static const unsigned pad_bottom = {pads[1]};\n"
                f"    static const unsigned pad_left = {pads[2]};\n"
                f"    static const unsigned pad_right = {pads[3]};\n"
            )
        wr.configs.append(
            f"struct {cfg} : nnet::pooling{nd}d_config {{\n{dims}"
            f"    static const bool count_pad = {count_pad};\n"
            f"    static const nnet::Pool_Op pool_op = nnet::{op};\n"
            "    static const unsigned reuse_factor = 1;\n"
            f"    typedef {acc_t} accum_t;\n"
            "};\n"
        )
        fn = f"pooling{nd}d_cl"
    wr.body.append(f"    nnet::{fn}<{in_t}, {res_t}, {cfg}>({in_v}, {out_var}); // {_comment(layer.name)}")


def emit_model(model: Model) -> EmittedProject:
    """Write ``model`` as hls4ml-style HLS C++ (io_parallel, Latency).

    Returns
    -------
    EmittedProject
        ``files``: ``defines.h``, ``parameters.h``, ``fwp_top.h``, ``fwp_top.cpp``; ``signature``: the top
        (inputs in model order, then outputs in model order).

    Raises
    ------
    UnsupportedLayer
        A layer kind or option the emitter does not write (the message names the layer).
    """
    wr = _Writer(model)
    args: list[Port] = []
    params: list[str] = []
    for t in model.inputs:
        tid = wr.tensor_lid[t.name] = wr.claim(t.name)
        ctype = wr.typedef(f"{tid}_input_t", t.type)
        var = f"x_{tid}"
        wr.tensor_type[t.name], wr.tensor_var[t.name], wr.tensor_shape[t.name] = ctype, var, tuple(t.shape)
        wr.tensor_fixed[t.name] = t.type
        args.append(Port(var, ctype, _size(t.shape), "in", tuple(t.shape) or (1,)))
        params.append(f"{ctype} {var}[{_size(t.shape)}]")
    for i, layer in enumerate(model.layers):
        wr.layer(i + 2, layer)
    copies = []
    for name in model.outputs:
        if name not in wr.tensor_var:
            raise UnsupportedLayer(f"Model output {name!r} is not produced by any layer")
        var = f"y_{wr.tensor_lid[name]}"
        n = _size(wr.tensor_shape[name])
        ctype = wr.tensor_type[name]
        args.append(Port(var, ctype, n, "out", wr.tensor_shape[name] or (1,)))
        params.append(f"{ctype} {var}[{n}]")
        copies.append(f"    for (int i = 0; i < {n}; ++i) {var}[i] = {wr.tensor_var[name]}[i];")
    defines = "\n".join(
        [
            "#ifndef FWP_DEFINES_H_",
            "#define FWP_DEFINES_H_",
            '#include "ap_fixed.h"',
            '#include "ap_int.h"',
            '#include "nnet_utils/nnet_types.h"',
            "#include <cstddef>",
            "#include <cstdint>",
            "",
            *wr.typedefs,
            "",
            "#endif",
            "",
        ]
    )
    parameters = "\n".join(
        [
            "#ifndef FWP_PARAMETERS_H_",
            "#define FWP_PARAMETERS_H_",
            '#include "defines.h"',
            '#include "nnet_utils/nnet_code_gen.h"',
            '#include "nnet_utils/nnet_helpers.h"',
            '#include "nnet_utils/nnet_activation.h"',
            '#include "nnet_utils/nnet_dense.h"',
            '#include "nnet_utils/nnet_batchnorm.h"',
            '#include "nnet_utils/nnet_merge.h"',
            '#include "nnet_utils/nnet_pooling.h"',
            "",
            *wr.configs,
            "#endif",
            "",
        ]
    )
    header = "\n".join(
        [
            "#ifndef FWP_TOP_H_",
            "#define FWP_TOP_H_",
            '#include "defines.h"',
            f"void {TOP}({', '.join(params)});",
            "#endif",
            "",
        ]
    )
    top = "\n".join(
        [
            f"// Generated by fwparity.csim.emit from model {_comment(repr(model.name))}. Weights are exact raw bits.",
            '#include "fwp_raw.h"',
            f'#include "{TOP}.h"',
            '#include "parameters.h"',
            "",
            "template <class T, class R> static bool fwp_fill(T *dst, const R *raw, long long n) {",
            "    for (long long i = 0; i < n; ++i) fwp::set_raw(dst[i], raw, i);",
            "    return true;",
            "}",
            "",
            *wr.weights,
            "",
            f"void {TOP}({', '.join(params)}) {{",
            *wr.body,
            *copies,
            "}",
            "",
            trace_info_source(wr.traces),
        ]
    )
    files = {"defines.h": defines, "parameters.h": parameters, f"{TOP}.h": header, f"{TOP}.cpp": top}
    return EmittedProject(files, TopSignature(TOP, tuple(args), f"{TOP}.h", None, tuple(wr.traces)))


def build_model(model: Model, *, flags: Sequence[str] | None = None) -> CsimLibrary:
    """Emit ``model`` and build it on the installed hls4ml's nnet_utils (cached by content)."""
    project = emit_model(model)
    nnet = _toolchain.find_nnet_utils()
    return build_csim_library(project.signature, project.files, include_dirs=[nnet.parent], flags=flags)
