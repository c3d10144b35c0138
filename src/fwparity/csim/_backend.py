"""``CsimBackend``: the csim implementation of :class:`fwparity._backend.Backend`.

What C++ runs is chosen when the backend is made: an existing hls4ml project directory or a csim manifest
(``project=...``, the build under test), or, by default, HLS C++ that :mod:`fwparity.csim.emit` writes from
the model on the installed hls4ml's nnet_utils. Inputs and outputs are matched to the top's arrays in order
(hls4ml writes them in model order) and checked by size.

Worker processes are expensive to start (~0.2 s) and a library is loaded once per worker, so runners are kept
in a small process-wide pool keyed by library and options and closed at interpreter exit. The backend object
itself holds only its configuration (DESIGN.md principle 3).
"""

from __future__ import annotations

import atexit
import os
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._backend import Backend, RunResult
from ..errors import InvalidArgument, SimulationError
from .build import CsimLibrary
from .runner import CsimRunner

if TYPE_CHECKING:
    from ..model import Model

__all__ = ["CsimBackend", "EMITTED_MARKER", "build_for", "write_emitted"]

#: Live runners by (library, workers, timeout), least recently used first; at most _POOL_SIZE are kept.
_POOL: OrderedDict[tuple[Any, ...], CsimRunner] = OrderedDict()
_POOL_SIZE = 4


def _close_pool() -> None:
    for runner in _POOL.values():
        runner.close()
    _POOL.clear()


atexit.register(_close_pool)


def build_for(
    model: Model | None,
    project: str | os.PathLike[str] | None = None,
    *,
    flags: Sequence[str] | None = None,
    trace: bool = True,
) -> CsimLibrary:
    """The csim library for ``project`` (hls4ml directory or ``.toml`` manifest), or emitted from
    ``model``.
    """
    if project is not None:
        path = Path(project)
        if path.suffix == ".toml":
            from .manifest import load_csim_manifest

            return load_csim_manifest(path).build()
        if (path / EMITTED_MARKER).is_file():
            return _build_emitted_dir(model, path, flags=flags)
        from .hls4ml_project import build_hls4ml_project

        return build_hls4ml_project(path, trace=trace, flags=flags)
    if model is None:
        raise InvalidArgument("build_for needs a model or project=, got neither")
    from .emit import build_model

    return build_model(model, flags=flags)


#: The file that marks a directory as C++ emitted by fwparity (see :func:`write_emitted`).
EMITTED_MARKER = "fwp_top.cpp"


def write_emitted(model: Model, directory: str | os.PathLike[str]) -> Path:
    """Write the C++ that :func:`~fwparity.csim.emit_model` makes for ``model`` into ``directory``.

    The directory can then be edited (to try a change, or to break it on purpose) and run as the build under
    test with ``CsimBackend(project=directory)`` or ``fwparity validate MODEL --csim DIRECTORY``. Its top
    signature (ports and trace points) is taken from ``model`` again, so only the bodies may change.
    """
    from .emit import emit_model

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in emit_model(model).files.items():
        (out / name).write_text(text)
    return out


def _build_emitted_dir(model: Model | None, path: Path, *, flags: Sequence[str] | None) -> CsimLibrary:
    from .. import _toolchain
    from .build import build_csim_library
    from .emit import emit_model

    if model is None:
        raise InvalidArgument(f"project={str(path)!r} holds emitted C++, which needs the model it came from")
    signature = emit_model(model).signature
    files = {p.name: p.read_text() for p in sorted(path.iterdir()) if p.suffix in (".h", ".hpp", ".cpp")}
    nnet = _toolchain.find_nnet_utils()
    return build_csim_library(signature, files, include_dirs=[nnet.parent], flags=flags)


class CsimBackend(Backend):
    """Run a model's HLS C++ in g++ C simulation, on raw bits, in crash-safe worker processes.

    Parameters
    ----------
    project : path, optional
        An hls4ml project directory, a csim manifest (``.toml``) or a directory written by
        :func:`write_emitted`, to run instead of C++ emitted from the model.
    workers : int
        Worker processes per library (default 2); 0 runs in this process (no crash safety).
    timeout : float
        Seconds per batch before the run is declared hung.
    batch_size : int, optional
        Vectors per batch (error messages name the batch); default: all at once.
    flags : sequence of str, optional
        Compiler flags (default ``-O3 -std=c++17``).
    """

    name = "csim"

    def __init__(
        self,
        *,
        project: str | os.PathLike[str] | None = None,
        workers: int = 2,
        timeout: float = 600.0,
        batch_size: int | None = None,
        flags: Sequence[str] | None = None,
    ) -> None:
        self._project = None if project is None else Path(project)
        self._workers = workers
        self._timeout = timeout
        self._batch_size = batch_size
        self._flags = None if flags is None else tuple(flags)

    @property
    def workers(self) -> int:
        """Worker processes per library (0: in this process)."""
        return self._workers

    @property
    def options(self) -> dict[str, Any]:
        """The keyword arguments that rebuild this backend, so a caller can make a variant without touching
        private attributes: ``CsimBackend(**{**b.options, "workers": 1})``."""
        return {
            "project": self._project,
            "workers": self._workers,
            "timeout": self._timeout,
            "batch_size": self._batch_size,
            "flags": self._flags,
        }

    def __repr__(self) -> str:
        return f"CsimBackend(project={str(self._project) if self._project else None!r})"

    def _runner(self, library: CsimLibrary) -> CsimRunner:
        key = (str(library.path), self._workers, self._timeout)
        runner = _POOL.get(key)
        if runner is None or runner._closed:
            runner = CsimRunner(library, workers=self._workers, timeout=self._timeout)
            _POOL[key] = runner
            while len(_POOL) > _POOL_SIZE:  # idle workers of old libraries would pile up in long sessions
                _POOL.popitem(last=False)[1].close()
        _POOL.move_to_end(key)
        return runner

    def run(self, model: Model, inputs_raw: Mapping[str, np.ndarray], *, trace: bool = False) -> RunResult:
        """Run ``model``'s C++ on ``{input name: raw (N, *shape)}``; see
        :class:`fwparity._backend.Backend`.
        """
        t0 = time.perf_counter()
        library = build_for(model, self._project, flags=self._flags)
        runner = self._runner(library)
        in_ports = [p for p in runner.ports if p.direction == "in"]
        out_ports = [p for p in runner.ports if p.direction == "out"]
        if len(in_ports) != len(model.inputs) or len(out_ports) != len(model.outputs):
            raise SimulationError(
                f"The C++ top {library.signature.function!r} has {len(in_ports)} inputs and "
                f"{len(out_ports)} outputs; "
                f"model {model.name!r} has {len(model.inputs)} and {len(model.outputs)}"
            )
        unknown = sorted(set(inputs_raw) - {t.name for t in model.inputs})
        if unknown:
            raise InvalidArgument(f"inputs_raw has {unknown!r}, which are not inputs of model {model.name!r}")
        feed = {}
        for tensor, port in zip(model.inputs, in_ports, strict=True):
            if tensor.name not in inputs_raw:
                raise InvalidArgument(f"inputs_raw lacks input {tensor.name!r} of model {model.name!r}")
            size = int(np.prod(tensor.shape, dtype=np.int64))
            if size != port.size:
                raise SimulationError(
                    f"Model input {tensor.name!r} has {size} elements but top argument {port.name!r} has "
                    f"{port.size}"
                )
            a = np.asarray(inputs_raw[tensor.name])
            if a.dtype.kind == "f":
                raise InvalidArgument(
                    f"Backend.run takes raw integer inputs; input {tensor.name!r} has dtype={a.dtype} "
                    "(use fwparity.emulate for float values)"
                )
            feed[port.name] = a.reshape(a.shape[0], -1) if a.ndim else a
        result = runner.run(feed, trace=trace, batch_size=self._batch_size)
        outputs = {}
        shapes = _output_shapes(model)
        for name, port in zip(model.outputs, out_ports, strict=True):
            raw = result.outputs[port.name]
            outputs[name] = raw.reshape((raw.shape[0], *shapes.get(name, (port.size,))))
        traced = {}
        if trace:
            layer_shapes = {layer.name: tuple(layer.shape) for layer in model.layers}
            for name, raw in result.trace.items():
                shape = layer_shapes.get(name)
                if shape is not None and int(np.prod(shape, dtype=np.int64)) == raw.shape[1]:
                    traced[name] = raw.reshape((raw.shape[0], *shape))
                else:
                    traced[name] = raw
        return RunResult(backend=self.name, outputs=outputs, trace=traced, seconds=time.perf_counter() - t0)


def _output_shapes(model: Model) -> dict[str, tuple[int, ...]]:
    shapes = {t.name: tuple(t.shape) for t in model.inputs}
    shapes.update({layer.name: tuple(layer.shape) for layer in model.layers})
    return {name: shapes[name] for name in model.outputs if name in shapes}
