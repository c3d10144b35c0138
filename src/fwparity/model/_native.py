"""The native model file: one self-describing HDF5 file, versioned, no pickle.

Layout (schema 1)::

    /                       attrs: fwparity_model_schema = 1, fwparity_version, graph (JSON), sha256
    /weights/<layer>/<key>  raw integers, attr ``type`` (HLS spelling); int64 up to 63 bits, else
                            little-endian two's complement (uint8, shape (*shape, nbytes)), attr ``nbytes``

The graph JSON is :meth:`Model.describe`: names, kinds, inputs, shapes, types as HLS strings and options.
Writing goes to a temporary file in the same directory that is then renamed, so a reader never sees half a
file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_path
from ..errors import FormatError, FwparityError
from ..fixed import FixedType
from ._model import Layer, Model, Tensor, canonical_json

__all__ = ["save_native", "load_native", "SCHEMA"]

#: The schema this version writes and the only one it reads.
SCHEMA = 1


def _h5py() -> Any:
    import h5py

    return h5py


def _encode(raw: np.ndarray, width: int) -> tuple[np.ndarray, int]:
    if width <= 63 and raw.dtype != object:
        return np.ascontiguousarray(raw, dtype="<i8"), 0
    nbytes = 8 * ((width + 1 + 63) // 64)
    flat = [int(v).to_bytes(nbytes, "little", signed=True) for v in raw.reshape(-1).tolist()]
    data = np.frombuffer(b"".join(flat), dtype=np.uint8).reshape(*raw.shape, nbytes)
    return data, nbytes


def _decode(data: np.ndarray, nbytes: int, width: int) -> np.ndarray:
    if nbytes == 0:
        arr = np.asarray(data, dtype=np.int64)
        return arr if width <= 63 else arr.astype(object)
    shape = data.shape[:-1]
    flat = data.reshape(-1, nbytes)
    values = [int.from_bytes(bytes(row), "little", signed=True) for row in flat]
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out.reshape(shape)


def save_native(model: Model, path: str | os.PathLike[str]) -> None:
    """Write ``model`` to ``path`` (see the module docstring for the layout)."""
    from .. import __version__

    h5py = _h5py()
    with atomic_path(path, parents=True) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["fwparity_model_schema"] = SCHEMA
        f.attrs["fwparity_version"] = __version__
        f.attrs["graph"] = canonical_json(model.describe())
        f.attrs["sha256"] = model.sha256()
        weights = f.create_group("weights")
        for layer in model.layers:
            if not layer.weights:
                continue
            group = weights.create_group(layer.name)
            for key, raw in layer.weights.items():
                t = layer.types[key]
                data, nbytes = _encode(np.asarray(raw), t.width)
                ds = group.create_dataset(key, data=data)
                ds.attrs["type"] = str(t)
                ds.attrs["nbytes"] = nbytes


def load_native(path: str | os.PathLike[str]) -> Model:
    """Read a file written by :func:`save_native`; FormatError naming the file if it is not one."""
    h5py = _h5py()
    p = Path(path)
    try:
        f = h5py.File(p, "r")
    except OSError as exc:
        raise FormatError(f"{str(p)!r} is not an fwparity model file (not HDF5: {exc})") from None
    with f:
        if "fwparity_model_schema" not in f.attrs:
            raise FormatError(
                f"{str(p)!r} is not an fwparity model file (no fwparity_model_schema attribute)"
            )
        schema = int(f.attrs["fwparity_model_schema"])
        if schema != SCHEMA:
            raise FormatError(
                f"{str(p)!r} has fwparity_model_schema={schema}; this fwparity reads schema {SCHEMA} only"
            )
        try:
            graph = json.loads(_text(f.attrs["graph"]))
            inputs = [Tensor(t["name"], tuple(t["shape"]), t["type"]) for t in graph["inputs"]]
            layers = []
            for spec in graph["layers"]:
                weights = {}
                for key, meta in spec.get("weights", {}).items():
                    ds = f["weights"][spec["name"]][key]
                    type_text = _text(ds.attrs["type"])
                    if type_text != spec["types"][key]:
                        raise FormatError(
                            f"{str(p)!r}: weights/{spec['name']}/{key} has type {type_text!r} "
                            "but the graph says "
                            f"{spec['types'][key]!r}"
                        )
                    width = FixedType.parse(type_text).width
                    weights[key] = _decode(ds[()], int(ds.attrs["nbytes"]), width)
                    if list(weights[key].shape) != list(meta["shape"]):
                        raise FormatError(
                            f"{str(p)!r}: weights/{spec['name']}/{key} has shape {weights[key].shape}, "
                            f"the graph says {tuple(meta['shape'])}"
                        )
                layers.append(
                    Layer(
                        spec["name"],
                        spec["kind"],
                        spec["inputs"],
                        tuple(spec["shape"]),
                        spec["types"],
                        weights,
                        spec.get("options", {}),
                    )
                )
            model = Model(graph["name"], inputs, layers, graph["outputs"])
        except FormatError:
            raise
        except (KeyError, TypeError, ValueError, json.JSONDecodeError, FwparityError) as exc:
            raise FormatError(
                f"{str(p)!r} is a corrupt fwparity model file: {type(exc).__name__}: {exc}"
            ) from None
        stored = _text(f.attrs.get("sha256", ""))
    if stored and stored != model.sha256():
        raise FormatError(
            f"{str(p)!r} is corrupt: its content hash differs from the stored sha256={stored!r}"
        )
    try:
        model.validate()
    except FwparityError as exc:
        raise FormatError(f"{str(p)!r} holds an invalid model: {exc}") from None
    return model


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
