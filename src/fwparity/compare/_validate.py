"""validate(): run one Model on the same raw inputs through several backends and compare them bit for bit.

This is the library call under ``fwparity validate`` and the pytest assertion: quantize the inputs once, run
every backend on the same raw codes (DESIGN.md data flow), then :func:`compare_runs` against the first
backend.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import InvalidArgument, InvalidType
from ._comparison import Comparison, compare_runs

__all__ = ["quantize_inputs", "validate"]


def quantize_inputs(model: Any, inputs: Any) -> dict[str, np.ndarray]:
    """Raw input codes for ``model`` from floats (quantized like ``input_t(double)``) or raw integers.

    ``inputs`` is an array (for a one-input model) or a dict of arrays by input name; float arrays are values,
    integer (or object) arrays are raw codes and must lie in the input type's range.

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.model import Layer, Model, Tensor
    >>> from fwparity.compare import quantize_inputs
    >>> m = Model("m", [Tensor("x", (2,), "ap_fixed<8,3>")],
    ...           [Layer("r", "relu", ["x"], (2,), {"result": "ap_fixed<8,3>"})], ["r"])
    >>> quantize_inputs(m, np.array([[0.5, -0.03]]))["x"].tolist()
    [[16, -1]]
    """
    names = [t.name for t in model.inputs]
    if not isinstance(inputs, Mapping):
        if len(names) != 1:
            raise InvalidArgument(
                f"model {model.name!r} has {len(names)} inputs ({', '.join(names)}); "
                "pass inputs as a dict by name"
            )
        inputs = {names[0]: inputs}
    unknown = sorted(set(inputs) - set(names))
    if unknown:
        raise InvalidArgument(f"inputs has {unknown!r}, which are not inputs of model {model.name!r}")
    raw: dict[str, np.ndarray] = {}
    for tensor in model.inputs:
        if tensor.name not in inputs:
            raise InvalidArgument(f"inputs lacks input {tensor.name!r} of model {model.name!r}")
        a = np.asarray(inputs[tensor.name])
        if a.shape[1:] != tuple(tensor.shape):
            raise InvalidArgument(
                f"input {tensor.name!r} has shape {a.shape}; model {model.name!r} expects (N, "
                f"{', '.join(map(str, tensor.shape))})"
            )
        t = tensor.type
        if a.dtype.kind == "f":
            raw[tensor.name] = np.asarray(t.from_float(a))
        elif a.dtype.kind in "iu" or a.dtype == object:
            if a.size and (int(a.min()) < t.min_raw or int(a.max()) > t.max_raw):
                raise InvalidArgument(
                    f"input {tensor.name!r} holds raw codes in [{int(a.min())}, {int(a.max())}], outside {t} "
                    f"[{t.min_raw}, {t.max_raw}]"
                )
            raw[tensor.name] = a.astype(t.dtype)
        else:
            raise InvalidType(f"input {tensor.name!r} must be a float or integer array, not dtype {a.dtype}")
    return raw


def validate(
    model: Any,
    inputs: Any,
    *,
    against: Sequence[Any] = ("reference", "csim", "rtl"),
    options: Mapping[str, Mapping[str, Any]] | None = None,
    trace: bool = True,
    tolerance_lsb: int = 0,
    max_listed: int = 100,
    vector_source: str = "inputs",
    seed: int | None = None,
) -> Comparison:
    """Run ``model`` through each backend in ``against`` on the same raw inputs and compare with the first.

    Parameters
    ----------
    model
        A :class:`~fwparity.model.Model`, or a path that :func:`fwparity.load_model` reads.
    inputs
        Floats (quantized like ``input_t(double)``) or raw integer codes: an array for a one-input model, else
        a dict by input name, shaped ``(N, *input shape)``.
    against
        Backend names (``"reference"``, ``"csim"``, ``"rtl"``) or Backend objects; the first is the expected
        side.
    options
        Backend name -> keyword options for :func:`fwparity.get_backend` (e.g. ``{"csim": {"project":
        dir}}``).
    trace
        Ask every backend for per-layer traces, so the first divergent layer can be named (a backend that
        cannot trace returns none, and its pair reports the layer as unknown).
    tolerance_lsb, max_listed
        As for :func:`compare_bits`.
    vector_source, seed
        Recorded in the report.

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.model import Layer, Model, Tensor
    >>> from fwparity.compare import validate
    >>> m = Model("m", [Tensor("x", (2,), "ap_fixed<8,3>")],
    ...           [Layer("r", "relu", ["x"], (2,), {"result": "ap_fixed<8,3>"})], ["r"])
    >>> validate(m, np.array([[0.5, -1.0]]), against=("reference", "reference")).status
    'parity'
    """
    from .._backend import Backend, get_backend

    if isinstance(model, (str, os.PathLike)):
        from ..model import load_model

        model = load_model(model)
    if isinstance(against, str):
        against = [a.strip() for a in against.split(",") if a.strip()]
    if len(against) < 2:
        raise InvalidArgument(f"against needs at least two backends, not against={tuple(against)!r}")
    options = dict(options or {})
    raw = quantize_inputs(model, inputs)
    backends = []
    for item in against:
        if isinstance(item, Backend):
            backends.append(item)
        elif isinstance(item, str):
            backends.append(get_backend(item, **dict(options.get(item, {}))))
        else:
            raise InvalidType(f"against entries must be backend names or Backend objects, not {item!r}")
    results = [b.run(model, raw, trace=trace) for b in backends]
    return compare_runs(
        results,
        model,
        inputs=raw,
        tolerance_lsb=tolerance_lsb,
        max_listed=max_listed,
        vector_source=vector_source,
        seed=seed,
    )
