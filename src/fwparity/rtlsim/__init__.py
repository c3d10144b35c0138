"""fwparity.rtlsim: RTL simulation of fixed-point models.

The Verilog layer library (``rtl/``), a generator that instantiates it for a :class:`~fwparity.model.Model`, a
Verilator batch harness that runs a whole batch per call, a loader for user RTL described by a TOML manifest,
the
``rtl`` backend, and glue to run the cocotb benches in ``testbenches/``.
"""

from __future__ import annotations

from ._backend import RtlBackend, design_for
from ._design import DEFAULT_SIGNALS, PROTOCOLS, GeneratedRTL, PortMap, RtlDesign
from ._library import library_dir, library_files, lint
from ._manifest import load_rtl_manifest
from ._wrap import wrap_module
from .batch import HarnessBuild, build_harness, run_batch
from .generate import SUPPORTED_KINDS, generate

__all__ = [
    # _design
    "RtlDesign",
    "GeneratedRTL",
    "PortMap",
    "PROTOCOLS",
    "DEFAULT_SIGNALS",
    # _backend
    "RtlBackend",
    "design_for",
    # _manifest
    "load_rtl_manifest",
    # _library
    "library_dir",
    "library_files",
    "lint",
    # _wrap
    "wrap_module",
    # batch
    "HarnessBuild",
    "build_harness",
    "run_batch",
    # generate
    "generate",
    "SUPPORTED_KINDS",
]

for _obj in (
    RtlBackend,
    design_for,
    load_rtl_manifest,
    RtlDesign,
    PortMap,
    library_dir,
    library_files,
    lint,
    wrap_module,
    HarnessBuild,
    build_harness,
    run_batch,
    generate,
):
    _obj.__module__ = __name__
del _obj
