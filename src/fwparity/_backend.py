"""One backend interface for the reference, C simulation and RTL simulation (DESIGN.md principle 3).

``Backend.run(model, inputs_raw, *, trace=False) -> RunResult``: raw integer inputs in, raw integer outputs
out. Backends keep no state from one run to the next; whatever a run builds is returned or cached by content,
never stored on ``self``. :func:`get_backend` looks them up by name; the csim and rtl backends live in their
subpackages and are imported only when asked for, so ``fwparity.get_backend("reference")`` needs neither g++
nor Verilator.
"""

from __future__ import annotations

import abc
import importlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import InvalidArgument

if TYPE_CHECKING:
    from .model import Model

__all__ = ["RunResult", "Backend", "ReferenceBackend", "get_backend", "register_backend", "BACKENDS"]


@dataclass
class RunResult:
    """What every backend returns for one batch of vectors.

    Attributes
    ----------
    backend : str
        the backend's name ("reference", "csim", "rtl")
    outputs : dict
        output name -> raw integers (N, *shape)
    trace : dict
        layer name -> raw integers (N, *shape); empty unless traced
    overflows : dict
        layer name -> count of wrapped or saturated values (the reference fills it; other backends
        leave it empty)
    seconds : float
        wall time of the run
    """

    backend: str
    outputs: dict[str, np.ndarray]
    trace: dict[str, np.ndarray] = field(default_factory=dict)
    overflows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class Backend(abc.ABC):
    """A way of computing a Model's raw outputs from raw inputs."""

    name: str = ""

    @abc.abstractmethod
    def run(self, model: Model, inputs_raw: Mapping[str, np.ndarray], *, trace: bool = False) -> RunResult:
        """Run ``model`` on ``{input name: raw (N, *shape)}`` and return the raw outputs (and trace)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReferenceBackend(Backend):
    """The numpy reference: :func:`fwparity.emulate` on raw inputs.

    Parameters
    ----------
    count_overflows : bool
        Count wrapped and saturated values per layer (``RunResult.overflows``); off is faster.
    workers : int or None
        Threads per run, as ``emulate(..., workers=)``; the bits do not depend on it.

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.model import Layer, Model, Tensor
    >>> model = Model("m", [Tensor("x", (2,), "ap_fixed<8,3>")],
    ...               [Layer("relu1", "relu", ["x"], (2,), {"result": "ap_fixed<8,3>"})], ["relu1"])
    >>> result = get_backend("reference").run(model, {"x": np.array([[16, -16]])})
    >>> result.backend, result.outputs["relu1"].tolist(), result.overflows
    ('reference', [[16, 0]], {'relu1': 0})
    """

    name = "reference"

    def __init__(self, *, count_overflows: bool = True, workers: int | None = None) -> None:
        from .layers._emulate import _worker_count

        _worker_count(workers)  # a bad value fails here, naming it, not at the first run
        self._count_overflows = bool(count_overflows)  # configuration only, never run state
        self._workers = workers

    @property
    def count_overflows(self) -> bool:
        """Whether runs count wrapped and saturated values per layer."""
        return self._count_overflows

    @property
    def workers(self) -> int | None:
        """Threads per run, passed to :func:`fwparity.emulate` (None: the usable CPUs, at most 8). One
        process per core (a dask worker) wants 1, or threads in every process oversubscribe the cores."""
        return self._workers

    def run(self, model: Model, inputs_raw: Mapping[str, np.ndarray], *, trace: bool = False) -> RunResult:
        from .layers import emulate

        t0 = time.perf_counter()
        raw = {}
        for name, arr in inputs_raw.items():
            a = np.asarray(arr)
            if a.dtype.kind == "f":
                raise InvalidArgument(
                    f"Backend.run takes raw integer inputs; input {name!r} has dtype={a.dtype} "
                    "(use fwparity.emulate for float values)"
                )
            raw[name] = a
        em = emulate(model, raw, trace=trace, count_overflows=self._count_overflows, workers=self._workers)
        return RunResult(
            backend=self.name,
            outputs=em.raw,
            trace=em.trace,
            overflows=em.overflows,
            seconds=time.perf_counter() - t0,
        )


#: name -> factory(**options) -> Backend; "module:attr" strings are imported on first use.
BACKENDS: dict[str, Callable[..., Backend] | str] = {
    "reference": ReferenceBackend,
    "csim": "fwparity.csim:CsimBackend",
    "rtl": "fwparity.rtlsim:RtlBackend",
}


def register_backend(name: str, factory: Callable[..., Backend] | str) -> None:
    """Make ``get_backend(name)`` use ``factory``: a callable or a ``"module:attr"`` string."""
    BACKENDS[name] = factory


def get_backend(name: str, **options: Any) -> Backend:
    """The backend called ``name`` ("reference", "csim", "rtl"), built with ``options``.

    Raises
    ------
    InvalidArgument
        for an unknown name, or a backend whose subpackage does not provide it.

    Examples
    --------
    >>> get_backend("reference")
    ReferenceBackend()
    >>> get_backend("xsim")
    Traceback (most recent call last):
    ...
    fwparity.errors.InvalidArgument: Backend 'xsim' is not in supported list: csim, reference, rtl
    """
    factory = BACKENDS.get(name)
    if factory is None:
        raise InvalidArgument(f"Backend {name!r} is not in supported list: {', '.join(sorted(BACKENDS))}")
    if isinstance(factory, str):
        module, _, attr = factory.partition(":")
        obj = getattr(importlib.import_module(module), attr, None)
        if obj is None:
            raise InvalidArgument(f"Backend {name!r} is not available: {module} defines no {attr}")
        factory = obj
    return factory(**options)
