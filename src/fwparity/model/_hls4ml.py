"""Import an hls4ml (Vivado/Vitis, io_parallel) project directory as a :class:`~fwparity.model.Model`, without
Keras.

The project's own C++ is the source of truth, because it is what csim and synthesis compile: types come from
the ``typedef``s, sizes from the declarations (``#define``s resolved), options from the config structs in
``parameters.h`` (falling back to the defaults of the bundled ``nnet_utils``), the graph from the ``nnet::``
calls in the top function, and weights from the files the C++ reads: ``weights/<w>.txt`` when the top loads
them with ``load_weights_from_txt`` (csim), else the initialiser in ``weights/<w>.h``. Either way a decimal
token becomes ``T(strtod(token))``, which is ``FixedType.from_float(float(token))`` (Python's ``float`` is
correctly rounded like ``strtod``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, FwparityError, InvalidArgument, UnsupportedLayer
from . import _cpp
from ._model import Layer, Model, Tensor

__all__ = ["import_hls4ml_project", "find_firmware_dir"]

# nnet:: functions that are plumbing, not layers.
_HELPERS = {
    "save_layer_output",
    "load_weights_from_txt",
    "convert_data",
    "convert_data_back",
    "copy_data",
    "copy_data_axi",
    "print_result",
    "fill_zero",
    "fill_data",
}

_ACTIVATION_KINDS = {
    "relu": "relu",
    "linear": "linear",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "softplus": "softplus",
    "softsign": "softsign",
    "selu": "selu",
}
_TABLE_KINDS = {"sigmoid", "tanh", "softplus", "softsign", "selu", "elu"}
_MERGE_KINDS = {"add", "subtract", "multiply", "average", "maximum", "minimum"}
_SOFTMAX_FUNCS = {
    "softmax": None,
    "softmax_latency": "latency",
    "softmax_stable": "stable",
    "softmax_legacy": "legacy",
    "softmax_argmax": "argmax",
    "softmax_multidim": None,
}


def find_firmware_dir(path: Path) -> Path:
    """Where the project's C++ is: ``<path>/firmware`` when it has sources, else ``path`` itself."""
    fw = path / "firmware"
    if fw.is_dir() and any(fw.glob("*.cpp")):
        return fw
    return path


def _read(p: Path) -> str:
    try:
        return p.read_text(errors="replace")
    except OSError as exc:  # pragma: no cover - unreadable files are rare
        raise FormatError(f"Could not read {str(p)!r}: {exc}") from None


def _yaml_scalar(text: str, key: str) -> str | None:
    m = re.search(rf"^{re.escape(key)}:\s*(\S[^\n]*)$", text, re.M)
    return m.group(1).strip().strip("'\"") if m else None


@dataclass
class _Var:
    type: str
    shape: tuple[int, ...]
    tensor: str = ""  # the Model tensor holding it (input name or producing layer name)


@dataclass
class _Ctx:
    fw: Path
    defines: dict[str, str]
    typedefs: dict[str, str]
    structs: dict[str, _cpp.Struct]
    base_structs: dict[str, _cpp.Struct]
    weight_decls: dict[str, tuple[str, str, str]]  # name -> (type, size text, initialiser text or "")
    weight_txt: dict[str, tuple[str, str, str]]  # name -> (type, size text, file name)
    vars: dict[str, _Var] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)

    # -- types -----------------------------------------------------------------------------------------------
    def resolve_type(self, text: str, struct: _cpp.Struct | None = None, *, where: str = "") -> Any:
        from ..fixed import FixedType

        t = text
        for _ in range(32):
            t = t.strip()
            if struct is not None and t in struct.types:
                t = struct.types[t]
                continue
            bare = t.split("::")[-1] if "<" not in t else t
            if bare in self.typedefs and self.typedefs[bare] != t:
                t = self.typedefs[bare]
                continue
            if "::" in t and "<" not in t:
                owner, _, member = t.rpartition("::")
                s = self.struct(owner)
                if s is not None and member in s.types:
                    t = s.types[member]
                    struct = s
                    continue
            break
        if t.startswith(("ap_fixed<", "ap_ufixed<", "ap_int<", "ap_uint<")):
            try:
                return FixedType.parse(t)
            except FwparityError as exc:
                raise FormatError(f"{where}: cannot read type {text!r} (= {t!r}): {exc}") from None
        raise UnsupportedLayer(
            f"{where}: type {text!r} resolves to {t!r}, which is not an ap_fixed/ap_int type"
        )

    # -- structs ---------------------------------------------------------------------------------------------
    def struct(self, name: str) -> _cpp.Struct | None:
        bare = name.split("::")[-1]
        return self.structs.get(bare) or self.base_structs.get(bare)

    def config(self, name: str, where: str) -> _cpp.Struct:
        s = self.structs.get(name.split("::")[-1])
        if s is None:
            raise FormatError(f"{where}: config struct {name!r} is not defined in the project headers")
        return s

    def chain(self, s: _cpp.Struct) -> list[_cpp.Struct]:
        out, seen = [s], {s.name}
        while out[-1].base:
            b = self.struct(out[-1].base)
            if b is None or b.name in seen:
                break
            out.append(b)
            seen.add(b.name)
        return out

    def member(self, s: _cpp.Struct, key: str) -> str | None:
        for st in self.chain(s):
            if key in st.values:
                return st.values[key]
        return None

    def member_type(self, s: _cpp.Struct, key: str) -> str | None:
        for st in self.chain(s):
            if key in st.types:
                return st.types[key]
        return None

    def value(self, s: _cpp.Struct, key: str, where: str, default: Any = None) -> Any:
        text = self.member(s, key)
        if text is None:
            if default is not None:
                return default
            raise FormatError(f"{where}: config struct {s.name!r} has no member {key!r}")
        names = dict(self.defines)
        for st in reversed(self.chain(s)):
            names.update(st.values)
        v = _cpp.evaluate(text, names)
        return v

    def int_value(self, s: _cpp.Struct, key: str, where: str, default: int | None = None) -> int:
        v = self.value(s, key, where, default)
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if not isinstance(v, int):
            raise FormatError(f"{where}: config {s.name}::{key} = {v!r} is not an integer constant")
        return v

    def dims(self, factors: list[str], where: str) -> tuple[int, ...]:
        out = []
        for f in factors:
            v = _cpp.evaluate(f, self.defines)
            if not isinstance(v, int):
                raise FormatError(f"{where}: array size {f!r} is not an integer constant")
            out.append(v)
        return tuple(out)

    # -- weights ---------------------------------------------------------------------------------------------
    def load_weights(self, name: str, where: str) -> tuple[np.ndarray, Any]:
        """Raw weights of array ``name`` exactly as csim holds them, and their type."""
        if name in self.weight_txt:
            type_text, size_text, fname = self.weight_txt[name]
            path = self.fw / "weights" / fname
            if not path.is_file():
                path = self.fw / fname
            if path.is_file():
                line = _read(path).split("\n", 1)[0]
                tokens = line.split(",")
                values = [_to_double(tok) for tok in tokens]
                return self._quantize(name, values, type_text, size_text, str(path), where)
        if name in self.weight_decls:
            type_text, size_text, init = self.weight_decls[name]
            if init:
                tokens = _cpp.split_top_level(init)
                values = [_to_double(tok) for tok in tokens if tok.strip()]
                return self._quantize(name, values, type_text, size_text, f"weights/{name}.h", where)
        raise FormatError(
            f"{where}: no values for weight array {name!r} (neither weights/{name}.txt loaded by the top "
            "function "
            f"nor an initialiser in weights/*.h) in {str(self.fw)!r}"
        )

    def _quantize(
        self, name: str, values: list[float], type_text: str, size_text: str, source: str, where: str
    ) -> tuple[np.ndarray, Any]:
        t = self.resolve_type(type_text, where=where)
        size = _cpp.evaluate(size_text, self.defines) if size_text else len(values)
        if isinstance(size, int) and size != len(values):
            raise FormatError(f"{source!r} holds {len(values)} values for {name}[{size}]")
        raw = t.from_float(np.asarray(values, dtype=np.float64))
        return np.asarray(raw), t


def _to_double(token: str) -> float:
    # istringstream >> double: leading whitespace skipped, a failed parse gives 0.0 (C++11).
    tok = token.strip().rstrip("fFlL")
    m = re.match(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:inf|nan)", tok, re.I)
    return float(m.group(0)) if m else 0.0


_WEIGHT_DECL = re.compile(
    r"(?:^|\n)\s*(?:static\s+)?(?:const\s+)?([A-Za-z_][\w:]*(?:<[^;=\[]*>)?)\s+([A-Za-z_]\w*)"
    r"\s*\[\s*([^\]]*)\]\s*(?:=\s*\{(.*?)\})?\s*;",
    re.S,
)
_LOAD_TXT = re.compile(
    r"nnet::load_weights_from_txt\s*<\s*([^;]*?)\s*,\s*([^,<>;]+?)\s*>\s*\(\s*(\w+)\s*,\s*\"([^\"]+)\""
)


def _base_structs(fw: Path) -> dict[str, _cpp.Struct]:
    """Config struct defaults from the project's bundled nnet_utils, else the installed hls4ml's."""
    nnet = fw / "nnet_utils"
    if not nnet.is_dir():
        try:
            from .._toolchain import find_nnet_utils

            nnet = find_nnet_utils()
        except FwparityError:
            return {}
    out: dict[str, _cpp.Struct] = {}
    for h in sorted(nnet.glob("*.h")):
        text = _read(h)
        if "struct" in text:
            for name, s in _cpp.parse_structs(text).items():
                out.setdefault(name, s)
    return out


def import_hls4ml_project(path: Path, *, top: str | None = None) -> Model:
    """Read an hls4ml project directory into a validated Model (see the module docstring, docs/model.md)."""
    path = Path(path)
    fw = find_firmware_dir(path)
    where_prj = str(path)
    yaml_text = ""
    for y in (path / "hls4ml_config.yml", path.parent / "hls4ml_config.yml"):
        if y.is_file():
            yaml_text = _read(y)
            break
    io_type = _yaml_scalar(yaml_text, "IOType") if yaml_text else None
    if io_type and io_type != "io_parallel":
        raise UnsupportedLayer(
            f"Project {where_prj!r} uses IOType={io_type!r}; fwparity imports io_parallel only"
        )
    backend = _yaml_scalar(yaml_text, "Backend") if yaml_text else None
    if backend and backend.lower() not in ("vivado", "vitis", "vivadoaccelerator", "vitisaccelerator"):
        raise UnsupportedLayer(
            f"Project {where_prj!r} uses Backend={backend!r}; fwparity imports Vivado/Vitis only"
        )

    headers = sorted(fw.glob("*.h"))
    cpps = sorted(fw.glob("*.cpp"))
    if not cpps:
        raise FormatError(f"{where_prj!r} is not an hls4ml project: no .cpp files in it or in its firmware/")
    header_text = "\n".join(_read(h) for h in headers)
    weight_headers = sorted((fw / "weights").glob("*.h")) if (fw / "weights").is_dir() else []
    weight_text = "\n".join(_read(h) for h in weight_headers)

    defines = {**_cpp.parse_defines(header_text)}
    typedefs = {**_cpp.parse_typedefs(header_text), **_cpp.parse_typedefs(weight_text)}
    structs = _cpp.parse_structs(header_text)
    weight_decls = {}
    for m in _WEIGHT_DECL.finditer(_cpp.strip_all_comments(weight_text)):
        t, n, size, init = m.group(1), m.group(2), m.group(3), m.group(4) or ""
        if n not in weight_decls or init:
            weight_decls[n] = (t, size, init)

    # Candidate tops: functions in the project sources that call at least one nnet:: layer.
    candidates: list[tuple[_cpp.Function, list[Any]]] = []
    for cpp in cpps:
        text = _read(cpp)
        if "nnet::" not in text:
            continue
        for fn in _cpp.parse_functions(text, cpp.name):
            stmts = _cpp.parse_body(fn.body)
            if any(isinstance(s, _cpp.Call) and _is_layer_call(s) for s in stmts):
                candidates.append((fn, stmts))
    if not candidates:
        raise FormatError(
            f"{where_prj!r}: no top function calling nnet:: layers found in {[c.name for c in cpps]}"
        )

    def qual(fn: _cpp.Function) -> str:
        return f"{fn.namespace}::{fn.name}" if fn.namespace else fn.name

    if top is not None:
        chosen = [c for c in candidates if top in (c[0].name, qual(c[0]))]
        if not chosen:
            raise InvalidArgument(
                f"top={top!r} is not a top function of {where_prj!r}; candidates: "
                f"{', '.join(qual(c[0]) for c in candidates)}"
            )
    else:
        chosen = candidates
    if len(chosen) > 1:
        raise InvalidArgument(
            f"{where_prj!r} has several top functions; pass top= one of: "
            f"{', '.join(qual(c[0]) for c in chosen)}"
        )
    fn, stmts = chosen[0]

    weight_txt = {}
    for m in _LOAD_TXT.finditer(_cpp.strip_all_comments(fn.body)):
        weight_txt[m.group(3)] = (_cpp._normalise_type(m.group(1)), m.group(2), m.group(4))

    ctx = _Ctx(fw, defines, typedefs, structs, _base_structs(fw), weight_decls, weight_txt)
    return _build(ctx, fn, stmts)


def _is_layer_call(call: _cpp.Call) -> bool:
    return call.func.startswith("nnet::") and call.func.split("::")[-1] not in _HELPERS


def _layer_name(ctx: _Ctx, call: _cpp.Call, out_var: str) -> str:
    comment = call.comment.split()[0] if call.comment.split() else ""
    name = comment if re.fullmatch(r"[A-Za-z_][\w.\-]*", comment) else re.sub(r"_out$", "", out_var)
    base, i = name, 2
    while name in ctx.names:
        name = f"{base}_{i}"
        i += 1
    ctx.names.add(name)
    return name


def _build(ctx: _Ctx, fn: _cpp.Function, stmts: list[Any]) -> Model:
    where_fn = f"{fn.file}: {fn.name}()"
    params = []
    for p in fn.params:
        if "hls::stream" in p:
            raise UnsupportedLayer(
                f"{where_fn}: parameter {p!r} is an hls::stream (io_stream); io_parallel only"
            )
        d = _cpp.parse_param(p)
        if d is not None:
            params.append(d)
    for d in params:
        ctx.vars[d.name] = _Var(d.type, ctx.dims(d.dims, where_fn))
    aliases: dict[str, str] = {}
    calls = []
    for st in stmts:
        if isinstance(st, _cpp.Decl):
            ctx.vars[st.name] = _Var(st.type, ctx.dims(st.dims, where_fn))
        elif isinstance(st, _cpp.Alias):
            aliases[st.name] = st.target
    # Anything but declarations, aliases and nnet:: calls that touches a data array is hand-written glue the
    # Model cannot express; refuse it rather than import a model that silently differs from the C++.
    data_names = set(ctx.vars) | set(aliases)
    for st in stmts:
        if isinstance(st, _cpp.Other):
            code = st.text.split("//", 1)[0]
            touched = sorted(n for n in data_names if re.search(rf"\b{re.escape(n)}\b", code))
            if touched:
                raise UnsupportedLayer(
                    f"{where_fn}: statement {code.strip()!r} uses {touched[0]!r} outside an nnet:: call; "
                    "fwparity cannot model hand-written code"
                )
        elif isinstance(st, _cpp.Call):
            if not st.func.startswith("nnet::"):
                raise UnsupportedLayer(
                    f"{where_fn}: call {st.line!r} is not an nnet:: layer; fwparity cannot model it"
                )
            if _is_layer_call(st):
                calls.append(st)

    # Outputs are the parameters some layer writes (its last data argument); the rest are inputs, in order.
    written = set()
    for c in calls:
        data = [a for a in c.args if a in ctx.vars or a in aliases]
        if data:
            written.add(data[-1])
    param_names = [d.name for d in params]
    inputs = []
    for name in param_names:
        if name not in written:
            v = ctx.vars[name]
            inputs.append(
                Tensor(name, v.shape, ctx.resolve_type(v.type, where=f"{where_fn} parameter {name!r}"))
            )
            v.tensor = name
            ctx.names.add(name)

    layers: list[Layer] = []
    emitted_alias: dict[str, str] = {}

    def tensor_of(var: str, consumer: _cpp.Call, consumer_shape: tuple[int, ...] | None) -> str:
        if var in aliases:
            if var not in emitted_alias:
                src = tensor_of(aliases[var], consumer, None)
                src_var = _var_of_tensor(ctx, src)
                size = int(np.prod(src_var.shape))
                shape = consumer_shape if consumer_shape and int(np.prod(consumer_shape)) == size else (size,)
                name = re.sub(r"_out$", "", var)
                while name in ctx.names:
                    name += "_"
                ctx.names.add(name)
                kind = "flatten" if len(shape) == 1 else "reshape"
                layers.append(
                    Layer(
                        name,
                        kind,
                        [src],
                        shape,
                        {"result": _tensor_type(layers, inputs, src)},
                        {},
                        {"target_shape": list(shape)},
                    )
                )
                ctx.vars[var] = _Var(src_var.type, shape, name)
                emitted_alias[var] = name
            return emitted_alias[var]
        v = ctx.vars.get(var)
        if v is None or not v.tensor:
            raise FormatError(f"{where_fn}: {consumer.line!r} reads {var!r} before any layer writes it")
        return v.tensor

    for call in calls:
        where = f"{where_fn}: {call.line!r}"
        data = [a for a in call.args if a in ctx.vars or a in aliases]
        if not data:
            raise FormatError(f"{where}: no data arguments recognised")
        out_var = data[-1]
        if out_var not in ctx.vars:
            raise FormatError(f"{where}: output {out_var!r} is not a declared array")
        name = _layer_name(ctx, call, out_var)
        in_shape_hint = _input_shape_hint(ctx, call, where)
        in_tensors = [tensor_of(a, call, in_shape_hint) for a in data[:-1]]
        layer = _map_call(ctx, call, name, in_tensors, out_var, layers, inputs, where)
        layers.append(layer)
        ctx.vars[out_var].tensor = name

    outputs = []
    for pname in param_names:
        if pname in written:
            v = ctx.vars[pname]
            if not v.tensor:
                raise FormatError(f"{where_fn}: output parameter {pname!r} is never written")
            outputs.append(v.tensor)
    layers = _fold_zeropads(layers, inputs, outputs)
    model = Model(fn.name, inputs, layers, outputs)
    try:
        model.validate()
    except InvalidArgument as exc:
        raise FormatError(f"{str(ctx.fw)!r}: the imported model is inconsistent: {exc}") from None
    return model


def _var_of_tensor(ctx: _Ctx, tensor: str) -> _Var:
    for v in ctx.vars.values():
        if v.tensor == tensor:
            return v
    raise FormatError(f"no array holds tensor {tensor!r}")  # pragma: no cover - internal consistency


def _tensor_type(layers: list[Layer], inputs: list[Tensor], name: str) -> Any:
    for t in inputs:
        if t.name == name:
            return t.type
    for layer in layers:
        if layer.name == name:
            return layer.types["result"]
    raise FormatError(f"unknown tensor {name!r}")  # pragma: no cover - internal consistency


def _tensor_shape(layers: list[Layer], inputs: list[Tensor], name: str) -> tuple[int, ...]:
    for t in inputs:
        if t.name == name:
            return t.shape
    for layer in layers:
        if layer.name == name:
            return layer.shape
    raise FormatError(f"unknown tensor {name!r}")  # pragma: no cover - internal consistency


def _fold_zeropads(layers: list[Layer], inputs: list[Tensor], outputs: list[str]) -> list[Layer]:
    """Fold each ``nnet::zeropad*_cl`` into the one convolution that reads it (its pads add to the conv's).

    If the padding's result type differs from its input type, the cast is kept as a ``linear`` layer named
    ``<pad>_cast`` (casting then padding with zeros equals padding then casting). Padding that feeds anything
    else (pooling pads with the most negative value, not zero) or is an output is not modelled.
    """
    out: list[Layer] = []
    by_name = {layer.name: layer for layer in layers}
    for layer in layers:
        if layer.kind != "zeropad":
            out.append(layer)
            continue
        consumers = [c for c in layers if layer.name in c.inputs]
        func, call = layer.options["func"], layer.options["call"]
        target = "conv1d" if func == "zeropad1d_cl" else "conv2d"
        if layer.name in outputs or len(consumers) != 1 or consumers[0].kind != target:
            raise UnsupportedLayer(
                f"Layer {layer.name!r}: nnet::{func} is supported only when a single {target} reads it; "
                f"call: {call}"
            )
        conv = consumers[0]
        src = layer.inputs[0]
        src_type = (
            by_name[src].types["result"] if src in by_name else next(t.type for t in inputs if t.name == src)
        )
        if src_type != layer.types["result"]:
            cast = Layer(
                f"{layer.name}_cast",
                "linear",
                [src],
                tuple(layer.options["in_shape"]),
                {"result": layer.types["result"]},
            )
            out.append(cast)
            src = cast.name
        conv.inputs = [src if i == layer.name else i for i in conv.inputs]
        for key in ("pad_top", "pad_bottom", "pad_left", "pad_right"):
            if key in layer.options:
                conv.options[key] = int(conv.options.get(key, 0)) + int(layer.options[key])
        pads = [v for k, v in conv.options.items() if k.startswith("pad_")]
        conv.options["padding"] = "same" if any(pads) else "valid"
        conv.options["in_shape"] = list(layer.options["in_shape"])
    return out


def _input_shape_hint(ctx: _Ctx, call: _cpp.Call, where: str) -> tuple[int, ...] | None:
    """The input shape a conv/pool/dense call expects, from its config (shapes hls4ml's Reshape aliases)."""
    fname = call.func.split("::")[-1]
    if len(call.targs) < 3:
        return None
    s = ctx.structs.get(call.targs[-1].split("::")[-1])
    if s is None:
        return None
    try:
        if fname.startswith("conv_1d") or fname == "pooling1d_cl":
            chan = "n_chan" if fname.startswith("conv") else "n_filt"
            width = "in_width" if fname.startswith("conv") else "n_in"
            return (ctx.int_value(s, width, where), ctx.int_value(s, chan, where))
        if fname.startswith("conv_2d") or fname == "pooling2d_cl":
            chan = "n_chan" if fname.startswith("conv") else "n_filt"
            return (
                ctx.int_value(s, "in_height", where),
                ctx.int_value(s, "in_width", where),
                ctx.int_value(s, chan, where),
            )
        if fname.startswith("dense"):
            return (ctx.int_value(s, "n_in", where),)
    except FormatError:
        return None
    return None


def _enum_tail(v: Any) -> str:
    return str(v).split("::")[-1].strip()


def _strategy(ctx: _Ctx, s: _cpp.Struct, where: str, call: _cpp.Call) -> str:
    text = ctx.member(s, "strategy")
    if text is None:
        return "latency"
    st = _enum_tail(text).lower()
    if st in ("latency", "resource", "resource_unrolled"):
        return "resource" if st.startswith("resource") else "latency"
    raise UnsupportedLayer(f"{where}: strategy {text!r} is not modelled (layer call {call.line!r})")


def _map_call(
    ctx: _Ctx,
    call: _cpp.Call,
    name: str,
    in_tensors: list[str],
    out_var: str,
    layers: list[Layer],
    inputs: list[Tensor],
    where: str,
) -> Layer:
    fname = call.func.split("::")[-1]
    out = ctx.vars[out_var]
    shape = out.shape
    where = f"Layer {name!r} ({call.line})"

    def res_type() -> Any:
        return ctx.resolve_type(out.type, where=where)

    def cfg() -> _cpp.Struct:
        return ctx.config(call.targs[-1], where)

    def typ(s: _cpp.Struct, key: str, default: str | None = None) -> Any:
        text = ctx.member_type(s, key) or default
        if text is None:
            raise FormatError(f"{where}: config struct {s.name!r} has no typedef {key!r}")
        return ctx.resolve_type(text, s, where=where)

    def unsupported(why: str = "") -> UnsupportedLayer:
        extra = f" ({why})" if why else ""
        return UnsupportedLayer(
            f"Layer {name!r}: nnet::{fname} is not supported by fwparity{extra}; call: {call.line}"
        )

    if fname in ("dense", "dense_latency", "dense_resource"):
        s = cfg()
        prod = ctx.member_type(s, "product") or s.aliases.get("product", "")
        if prod and "mult" not in prod:
            raise unsupported(f"product {prod!r}")
        n_in, n_out = ctx.int_value(s, "n_in", where), ctx.int_value(s, "n_out", where)
        strategy = _strategy(ctx, s, where, call)
        rf = ctx.int_value(s, "reuse_factor", where, 1)
        if fname == "dense_resource":
            strategy = "resource"
        w_name, b_name = _weight_args(ctx, call, 2, where)
        w, wt = ctx.load_weights(w_name, where)
        b, bt = ctx.load_weights(b_name, where)
        w = w.reshape(n_out, n_in).T.copy() if strategy == "resource" else w.reshape(n_in, n_out)
        return Layer(
            name,
            "dense",
            in_tensors,
            shape,
            {"weight": wt, "bias": bt, "accum": typ(s, "accum_t"), "result": res_type()},
            {"weight": w, "bias": b.reshape(n_out)},
            {"n_in": n_in, "n_out": n_out, "strategy": strategy, "reuse_factor": rf},
        )

    if fname in (
        "conv_1d_cl",
        "conv_1d_latency_cl",
        "conv_1d_resource_cl",
        "conv_2d_cl",
        "conv_2d_latency_cl",
        "conv_2d_resource_cl",
    ):
        s = cfg()
        two = fname.startswith("conv_2d")
        if ctx.int_value(s, "dilation", where, 1) != 1:
            raise unsupported("dilation != 1")
        mult = ctx.struct(ctx.member_type(s, "mult_config") or "")
        if mult is not None:
            prod = mult.aliases.get("product", "")
            if prod and "mult" not in prod:
                raise unsupported(f"product {prod!r}")
        strategy = _strategy(ctx, s, where, call)
        n_chan, n_filt = ctx.int_value(s, "n_chan", where), ctx.int_value(s, "n_filt", where)
        w_name, b_name = _weight_args(ctx, call, 2, where)
        w, wt = ctx.load_weights(w_name, where)
        b, bt = ctx.load_weights(b_name, where)
        iv = lambda k: ctx.int_value(s, k, where)  # noqa: E731
        if two:
            kh, kw = iv("filt_height"), iv("filt_width")
            if strategy == "resource":
                w = w.reshape(n_filt, kh, kw, n_chan).transpose(1, 2, 3, 0).copy()
            else:
                w = w.reshape(kh, kw, n_chan, n_filt)
            pads = {k: iv(k) for k in ("pad_top", "pad_bottom", "pad_left", "pad_right")}
            opts: dict[str, Any] = {
                "kernel": [kh, kw],
                "strides": [iv("stride_height"), iv("stride_width")],
                "padding": "same" if any(pads.values()) else "valid",
                **pads,
                "in_shape": [iv("in_height"), iv("in_width"), n_chan],
                "strategy": strategy,
                "reuse_factor": ctx.int_value(s, "reuse_factor", where, 1),
            }
        else:
            k = iv("filt_width")
            if strategy == "resource":
                w = w.reshape(n_filt, k, n_chan).transpose(1, 2, 0).copy()
            else:
                w = w.reshape(k, n_chan, n_filt)
            pads = {kk: iv(kk) for kk in ("pad_left", "pad_right")}
            opts = {
                "kernel": k,
                "strides": iv("stride_width"),
                "padding": "same" if any(pads.values()) else "valid",
                **pads,
                "in_shape": [iv("in_width"), n_chan],
                "strategy": strategy,
                "reuse_factor": ctx.int_value(s, "reuse_factor", where, 1),
            }
        return Layer(
            name,
            "conv2d" if two else "conv1d",
            in_tensors,
            shape,
            {"weight": wt, "bias": bt, "accum": typ(s, "accum_t"), "result": res_type()},
            {"weight": w, "bias": b.reshape(n_filt)},
            opts,
        )

    if fname in ("pooling1d_cl", "pooling2d_cl", "global_pooling1d_cl", "global_pooling2d_cl"):
        s = cfg()
        op = _enum_tail(ctx.member(s, "pool_op") or "")
        if op not in ("Max", "Average"):
            raise unsupported(f"pool_op {op!r}")
        prefix = "max" if op == "Max" else "avg"
        types = {"result": res_type()}
        acc = ctx.member_type(s, "accum_t")
        if acc is not None:
            types["accum"] = ctx.resolve_type(acc, s, where=where)
        iv = lambda k: ctx.int_value(s, k, where)  # noqa: E731
        if fname.startswith("global"):
            kind = f"global_{prefix}pool{'2d' if '2d' in fname else '1d'}"
            return Layer(name, kind, in_tensors, shape, types, {}, {})
        if fname == "pooling1d_cl":
            pads = {k: iv(k) for k in ("pad_left", "pad_right")}
            opts = {
                "pool": iv("pool_width"),
                "strides": iv("stride_width"),
                "padding": "same" if any(pads.values()) else "valid",
                "pads": [pads["pad_left"], pads["pad_right"]],
                **pads,
                "count_pad": _bool(ctx.member(s, "count_pad")),
            }
            return Layer(name, f"{prefix}pool1d", in_tensors, shape, types, {}, opts)
        pads = {k: iv(k) for k in ("pad_top", "pad_bottom", "pad_left", "pad_right")}
        opts = {
            "pool": [iv("pool_height"), iv("pool_width")],
            "strides": [iv("stride_height"), iv("stride_width")],
            "padding": "same" if any(pads.values()) else "valid",
            "pads": list(pads.values()),
            **pads,
            "count_pad": _bool(ctx.member(s, "count_pad")),
        }
        return Layer(name, f"{prefix}pool2d", in_tensors, shape, types, {}, opts)

    if fname == "normalize":
        s = cfg()
        s_name, b_name = _weight_args(ctx, call, 2, where)
        sc, st = ctx.load_weights(s_name, where)
        bi, btp = ctx.load_weights(b_name, where)
        return Layer(
            name,
            "batchnorm",
            in_tensors,
            shape,
            {"scale": st, "bias": btp, "result": res_type()},
            {"scale": sc, "bias": bi},
            {"n_filt": int(sc.size), "n_in": ctx.int_value(s, "n_in", where)},
        )

    if fname in _ACTIVATION_KINDS or fname in ("elu", "leaky_relu", "thresholded_relu"):
        s = cfg()
        kind = _ACTIVATION_KINDS.get(fname, fname)
        types = {"result": res_type()}
        opts = {}
        if kind in _TABLE_KINDS:
            types["table"] = typ(s, "table_t")
            opts["table_size"] = ctx.int_value(s, "table_size", where)
        if fname in ("elu", "leaky_relu", "thresholded_relu"):
            # template <data_T, param_T, res_T, CONFIG_T>(data, param, res): the literal becomes
            # param_T(double).
            if len(call.targs) != 4 or len(call.args) != 3:
                raise unsupported("unexpected template or call arguments")
            pt = ctx.resolve_type(call.targs[1], s, where=where)
            literal = _cpp.evaluate(call.args[1], ctx.defines)
            if not isinstance(literal, (int, float)):
                raise unsupported(f"parameter {call.args[1]!r} is not a constant")
            types["param"] = pt
            key = "theta" if fname == "thresholded_relu" else "alpha"
            opts[key] = int(np.asarray(pt.from_float(np.asarray([float(literal)])))[0])
        return Layer(name, kind, in_tensors, shape, types, {}, opts)

    if fname in ("relu_max", "relu6", "relu1"):
        in_t = _tensor_type(layers, inputs, in_tensors[0])
        if fname == "relu_max":
            mx = _cpp.evaluate(call.targs[2], ctx.defines)
            if not isinstance(mx, int):
                raise unsupported(f"MAX_INT {call.targs[2]!r} is not an integer")
        else:
            mx = 6 if fname == "relu6" else 1
        raw = int(np.asarray(in_t.from_float(np.asarray([float(mx)])))[0])
        return Layer(name, "relu_max", in_tensors, shape, {"result": res_type()}, {}, {"max_value": raw})

    if fname in ("hard_sigmoid", "hard_tanh"):
        s = cfg()
        types = {"result": res_type()}
        opts = {}
        for key in ("slope", "shift"):
            t_text = s.types.get(f"__type_of__{key}")
            v_text = ctx.member(s, key)
            if t_text is None or v_text is None:
                raise FormatError(f"{where}: config struct {s.name!r} lacks {key}")
            t = ctx.resolve_type(t_text, s, where=where)
            v = _cpp.evaluate(v_text, ctx.defines)
            if not isinstance(v, (int, float)):
                raise unsupported(f"{key} {v_text!r} is not a constant")
            types[key] = t
            opts[key] = int(np.asarray(t.from_float(np.asarray([float(v)])))[0])
        return Layer(name, fname, in_tensors, shape, types, {}, opts)

    if fname in _SOFTMAX_FUNCS:
        s = cfg()
        impl = _SOFTMAX_FUNCS[fname]
        if impl is None:
            text = ctx.member(s, "implementation")
            # before hls4ml 0.6 there was one softmax: exp table over [-8, 8), inverse table over [0, 64),
            # which later versions kept as "legacy"
            impl = _enum_tail(text).lower() if text is not None else "legacy"
        if impl not in ("stable", "latency", "legacy", "argmax"):
            raise unsupported(f"implementation {impl!r}")
        types = {"result": res_type()}
        for key, typedef in (
            ("exp_table", "exp_table_t"),
            ("inv_table", "inv_table_t"),
            ("accum", "accum_t"),
            ("inv_inp", "inv_inp_t"),
            ("inp_norm", "inp_norm_t"),
            ("table", "table_t"),
        ):
            text = ctx.member_type(s, typedef)
            if text is not None:
                types[key] = ctx.resolve_type(text, s, where=where)
        table_size = ctx.int_value(s, "table_size", where, 1024)
        scale = ctx.value(s, "exp_scale", where, 1.0)
        opts = {
            "implementation": impl,
            "table_size": table_size,
            "exp_table_size": ctx.int_value(s, "exp_table_size", where, table_size),
            "inv_table_size": ctx.int_value(s, "inv_table_size", where, table_size),
            "exp_scale": float(scale) if isinstance(scale, (int, float)) else 1.0,
            "n_in": ctx.int_value(s, "n_in", where),
        }
        for key in ("n_slice", "n_outer", "n_inner", "axis"):
            if ctx.member(s, key) is not None:
                v = ctx.value(s, key, where)
                opts[key] = v if not isinstance(v, int) or v < 2**31 else v - 2**32
        if opts.get("n_outer", 1) != 1 or opts.get("n_inner", 1) != 1:
            raise unsupported("multi-dimensional softmax (n_outer/n_inner != 1)")
        return Layer(name, "softmax", in_tensors, shape, types, {}, opts)

    if fname in _MERGE_KINDS or fname == "dot1d":
        types = {"result": res_type()}
        if fname == "dot1d":
            s = cfg()
            types["accum"] = typ(s, "accum_t")
            return Layer(name, "dot", in_tensors, shape, types, {}, {})
        return Layer(name, fname, in_tensors, shape, types, {}, {})

    if fname in ("concatenate1d", "concatenate2d", "concatenate3d"):
        s = cfg()
        axis = ctx.value(s, "axis", where, -1)
        if isinstance(axis, int) and axis >= 2**31:
            axis -= 2**32
        if not isinstance(axis, int):
            raise unsupported(f"axis {axis!r}")
        # Keras convention, as in the C++ struct: 0 is the batch axis, negative counts from the end
        return Layer(name, "concatenate", in_tensors, shape, {"result": res_type()}, {}, {"axis": axis})

    if fname in ("zeropad1d_cl", "zeropad2d_cl"):
        # Folded into the following convolution by _fold_zeropads (the Model has no padding kind): zero
        # padding then a conv equals the conv with larger pads, and zeros survive any cast to the result type.
        s = cfg()
        iv = lambda k: ctx.int_value(s, k, where)  # noqa: E731
        keys = (
            ("pad_left", "pad_right")
            if fname == "zeropad1d_cl"
            else ("pad_top", "pad_bottom", "pad_left", "pad_right")
        )
        in_shape = _tensor_shape(layers, inputs, in_tensors[0])
        return Layer(
            name,
            "zeropad",
            in_tensors,
            shape,
            {"result": res_type()},
            {},
            {**{k: iv(k) for k in keys}, "call": call.line, "func": fname, "in_shape": list(in_shape)},
        )

    raise unsupported()


def _bool(text: str | None) -> bool:
    return (text or "").strip() == "true"


def _weight_args(ctx: _Ctx, call: _cpp.Call, first: int, where: str) -> tuple[str, str]:
    names = [a for a in call.args if a in ctx.weight_decls or a in ctx.weight_txt]
    if len(names) != 2:
        raise FormatError(f"{where}: expected two weight arrays among the arguments, found {names!r}")
    return names[0], names[1]
