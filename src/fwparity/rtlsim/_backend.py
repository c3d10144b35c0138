"""``RtlBackend``: the rtl implementation of :class:`fwparity._backend.Backend`.

What RTL runs is chosen when the backend is made: a user design (a TOML manifest path or an
:class:`RtlDesign`,
the build under test), or, by default, Verilog that :func:`fwparity.rtlsim.generate` writes from the model.
The
backend holds only this configuration; generated sources go to a content-addressed directory and Verilator
builds to
the build cache, so nothing from one run is kept on ``self`` (DESIGN.md principle 3).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import _build
from .._backend import Backend, RunResult
from ..errors import InvalidArgument
from ._design import PROTOCOLS, RtlDesign
from ._manifest import load_rtl_manifest
from .batch import DEFAULT_CFLAGS, DEFAULT_IDLE_LIMIT, build_harness, run_batch
from .generate import generate

if TYPE_CHECKING:
    from ..model import Model

__all__ = ["RtlBackend", "design_for"]


def design_for(
    model: Model, rtl: str | os.PathLike[str] | RtlDesign | None = None, *, interface: str = "valid"
) -> RtlDesign:
    """The design to simulate: ``rtl`` (a manifest path or an :class:`RtlDesign`) or one generated from
    ``model``.

    Generated sources are written under the build cache, in a directory named by the model's hash and the
    interface, so regenerating the same model rewrites the same bytes and hits the same Verilator build.
    """
    if isinstance(rtl, RtlDesign):
        design = rtl
    elif rtl is not None and str(rtl) != "auto":
        design = load_rtl_manifest(rtl)
    else:
        out = _build.cache_dir() / "rtlgen" / f"{model.sha256()[:24]}-{interface}"
        design = generate(model, out, interface=interface)
    _check_ports(model, design)
    return design


def _check_ports(model: Model, design: RtlDesign) -> None:
    inputs = {t.name: tuple(t.shape) for t in model.inputs}
    for m in design.inputs:
        if m.tensor not in inputs:
            raise InvalidArgument(
                f"RTL input {m.tensor!r} (port {m.port!r}) is not an input of model {model.name!r} "
                f"(inputs: {', '.join(inputs)})"
            )
    outputs = set(model.outputs)
    for m in design.outputs:
        if m.tensor not in outputs:
            raise InvalidArgument(
                f"RTL output {m.tensor!r} (port {m.port!r}) is not an output of model {model.name!r} "
                f"(outputs: {', '.join(model.outputs)})"
            )


class RtlBackend(Backend):
    """Run a model's RTL under Verilator, a whole batch per call.

    Parameters
    ----------
    rtl
        ``None`` or ``"auto"``: generate from the model; a path: a TOML manifest (:func:`load_rtl_manifest`);
        or an
        :class:`RtlDesign`.
    interface
        Protocol of generated RTL: ``"valid"``, ``"ap_ctrl_hs"`` or ``"axis"``.
    cflags
        C++ flags for the Verilated model.
    stall_percent
        AXI-Stream only: share of cycles with ``tready`` low (random back-pressure).
    idle_limit
        Watchdog: cycles without progress before a run stops with :class:`~fwparity.errors.SimulationError`.

    Examples
    --------
    >>> RtlBackend()
    RtlBackend(rtl=None, interface='valid')
    """

    name = "rtl"

    def __init__(
        self,
        rtl: str | os.PathLike[str] | RtlDesign | None = None,
        *,
        interface: str = "valid",
        cflags: Sequence[str] = DEFAULT_CFLAGS,
        stall_percent: int = 0,
        idle_limit: int = DEFAULT_IDLE_LIMIT,
    ) -> None:
        if interface not in PROTOCOLS:
            raise InvalidArgument(f"Interface {interface!r} is not in supported list: {', '.join(PROTOCOLS)}")
        if not 0 <= stall_percent < 100:
            raise InvalidArgument(f"stall_percent must be in [0, 100), not stall_percent={stall_percent!r}")
        self._rtl = rtl if rtl is None or isinstance(rtl, RtlDesign) else Path(rtl)
        self._interface = interface
        self._cflags = tuple(cflags)
        self._stall = int(stall_percent)
        self._idle = int(idle_limit)

    def __repr__(self) -> str:
        rtl = None if self._rtl is None else str(self._rtl) if isinstance(self._rtl, Path) else self._rtl.top
        return f"RtlBackend(rtl={rtl!r}, interface={self._interface!r})"

    def run(self, model: Model, inputs_raw: Mapping[str, np.ndarray], *, trace: bool = False) -> RunResult:
        """Simulate ``model``'s RTL on raw inputs. ``trace`` is accepted for the interface; the RTL exposes
        only
        its outputs, so the trace stays empty."""
        t0 = time.perf_counter()
        design = design_for(model, self._rtl, interface=self._interface)
        build = build_harness(design, cflags=self._cflags)
        outputs, _, _ = run_batch(build, inputs_raw, idle_limit=self._idle, stall_percent=self._stall)
        return RunResult(backend=self.name, outputs=outputs, seconds=time.perf_counter() - t0)
