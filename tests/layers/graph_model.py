"""Stop-gap: a fwparity Model built from a live hls4ml ModelGraph, for the layers' bit-exactness proof.

The proof in test_hls4ml_parity.py prefers ``fwparity.load_model(project_dir)`` (the real importer). Until the
hls4ml-project importer can read every layer used there, this helper builds the same Model from the
ModelGraph's Python objects instead, so the layer models can be proven independently of the importer. It reads
what the C++ reads: the types hls4ml wrote, the weights from ``firmware/weights/*.txt`` (the csim loads those
texts with ``strtod`` and ``ap_fixed(double)``), and the table sizes and ``inp_norm_t`` from the generated
config structs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from fwparity.errors import UnsupportedLayer
from fwparity.fixed import FixedType
from fwparity.model import Layer, Model, Tensor


def _t(precision: Any) -> FixedType:
    return FixedType.parse(str(precision))


def _weights(project_dir: Path, var: Any, t: FixedType) -> np.ndarray:
    text = (project_dir / "firmware" / "weights" / f"{var.name}.txt").read_text()
    vals = np.array([float(v) for v in text.replace("\n", ",").split(",") if v.strip()], dtype=np.float64)
    return t.from_float(vals).reshape(np.asarray(var.data).shape)


def _cfg_int(cfg: str, key: str) -> int | None:
    m = re.search(rf"\b{key}\s*=\s*(-?\d+)", cfg)
    return int(m.group(1)) if m else None


def _types(layer: Any) -> dict[str, FixedType]:
    return {
        k[:-2] if k.endswith("_t") else k: _t(v.precision) for k, v in layer.types.items() if k != "index_t"
    }


def model_from_graph(project: Any) -> Model:
    """A Model equivalent to the compiled hls4ml project ``project`` (a tests.hls4ml_gen.GeneratedProject)."""
    hm = project.hls_model
    pdir = Path(project.dir)
    inputs: list[Tensor] = []
    layers: list[Layer] = []
    for hl in hm.get_layers():
        cls = hl.class_name
        out_var = hl.get_output_variable()
        shape = tuple(int(d) for d in out_var.shape)
        types = _types(hl)
        cfg = hl.get_attr("config_cpp", "") or ""
        ins = list(hl.inputs)
        if cls == "Input":
            inputs.append(Tensor(hl.name, shape, types["result"]))
            continue
        kind: str
        weights: dict[str, np.ndarray] = {}
        options: dict[str, Any] = {}
        keep = {"result"}
        if cls == "Dense":
            kind = "dense"
            keep |= {"weight", "bias", "accum"}
            weights = {k: _weights(pdir, hl.weights[k], types[k]) for k in ("weight", "bias")}
            if str(hl.get_attr("strategy", "latency")).lower() == "resource":
                # hls4ml stores Resource-strategy weights transposed, (n_out, n_in); the
                # Model wants (n_in, n_out).
                weights["weight"] = weights["weight"].reshape(hl.get_attr("n_out"), hl.get_attr("n_in")).T
            options = {
                "n_in": hl.get_attr("n_in"),
                "n_out": hl.get_attr("n_out"),
                "strategy": str(hl.get_attr("strategy", "latency")).lower(),
                "reuse_factor": int(hl.get_attr("reuse_factor", 1)),
            }
        elif cls in ("Conv1D", "Conv2D"):
            kind = cls.lower()
            keep |= {"weight", "bias", "accum"}
            weights = {k: _weights(pdir, hl.weights[k], types[k]) for k in ("weight", "bias")}
            if cls == "Conv1D":
                options = {
                    "strides": hl.get_attr("stride_width"),
                    "pad_left": hl.get_attr("pad_left"),
                    "pad_right": hl.get_attr("pad_right"),
                }
            else:
                options = {"strides": [hl.get_attr("stride_height"), hl.get_attr("stride_width")]}
                options.update(
                    {k: hl.get_attr(k) for k in ("pad_top", "pad_bottom", "pad_left", "pad_right")}
                )
        elif cls in ("Pooling1D", "Pooling2D"):
            op = "max" if hl.get_attr("pool_op") == "Max" else "avg"
            kind = f"{op}pool{cls[-2:].lower()}"
            keep |= {"accum"}
            if cls == "Pooling1D":
                options = {
                    "pool": [hl.get_attr("pool_width")],
                    "strides": [hl.get_attr("stride_width")],
                    "pads": [hl.get_attr("pad_left"), hl.get_attr("pad_right")],
                }
            else:
                options = {
                    "pool": [hl.get_attr("pool_height"), hl.get_attr("pool_width")],
                    "strides": [hl.get_attr("stride_height"), hl.get_attr("stride_width")],
                    "pads": [hl.get_attr(k) for k in ("pad_top", "pad_bottom", "pad_left", "pad_right")],
                }
            options["count_pad"] = bool(hl.get_attr("count_pad", False))
        elif cls in ("GlobalPooling1D", "GlobalPooling2D"):
            op = "max" if hl.get_attr("pool_op") == "Max" else "avg"
            kind = f"global_{op}pool{cls[-2:].lower()}"
            keep |= {"accum"}
        elif cls == "BatchNormalization":
            kind = "batchnorm"
            keep |= {"scale", "bias"}
            weights = {k: _weights(pdir, hl.weights[k], types[k]) for k in ("scale", "bias")}
            options = {"n_filt": hl.get_attr("n_filt", -1)}
        elif cls == "Softmax":
            kind = "softmax"
            keep |= {"exp_table", "inv_table", "accum", "inv_inp"}
            options = {
                "implementation": hl.get_attr("implementation", "stable"),
                "exp_table_size": _cfg_int(cfg, "exp_table_size"),
                "inv_table_size": _cfg_int(cfg, "inv_table_size"),
                "table_size": hl.get_attr("table_size"),
            }
            m = re.search(r"exp_scale\s*=\s*([-0-9.eE]+)", cfg)
            options["exp_scale"] = float(m.group(1)) if m else 1.0
            m = re.search(r"typedef\s+(.+?)\s+inp_norm_t;", cfg)
            if m and options["implementation"] == "stable":
                types["inp_norm"] = FixedType.parse(m.group(1))
                keep.add("inp_norm")
        elif cls in ("Activation", "ParametrizedActivation", "HardActivation"):
            act = str(hl.get_attr("activation")).lower()
            kind = {"leakyrelu": "leaky_relu", "thresholdedrelu": "thresholded_relu"}.get(act, act)
            if kind in ("sigmoid", "tanh", "softplus", "softsign", "elu", "selu"):
                keep |= {"table"}
                options = {"table_size": _cfg_int(cfg, "table_size")}
            if cls == "ParametrizedActivation":
                pt = types["param"]
                keep |= {"param"}
                key = {"leaky_relu": "alpha", "thresholded_relu": "theta", "elu": "alpha"}[kind]
                options[key] = int(pt.from_float(np.array([float(hl.get_attr("activ_param", 1.0))]))[0])
            if cls == "HardActivation":
                keep |= {"slope", "shift"}
                options["slope"] = int(types["slope"].from_float(np.array([hl.get_attr("slope")]))[0])
                options["shift"] = int(types["shift"].from_float(np.array([hl.get_attr("shift")]))[0])
        elif cls == "Merge":
            kind = str(hl.get_attr("op")).lower()
        elif cls == "Concatenate":
            kind = "concatenate"
            options = {"axis": int(hl.get_attr("axis", -1))}
        elif cls == "Dot":
            kind = "dot"
            keep |= {"accum"}
        elif cls == "Reshape":
            kind = "reshape"
            options = {"target_shape": list(shape)}
        else:
            raise UnsupportedLayer(f"graph_model does not convert {cls} (layer {hl.name!r})")
        layers.append(
            Layer(hl.name, kind, ins, shape, {k: v for k, v in types.items() if k in keep}, weights, options)
        )
    return Model(
        hm.config.get_project_name() if hasattr(hm.config, "get_project_name") else "model",
        inputs,
        layers,
        list(project.output_names),
    )
