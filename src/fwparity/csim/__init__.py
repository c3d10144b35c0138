"""fwparity.csim: HLS C simulation with raw-bit batches.

Build a raw-bit bridge around an HLS top (hand-written and described by a TOML manifest, an existing hls4ml
project, or C++ emitted from a fwparity Model), compile it through the content-hash cache, and run it in
crash-safe worker processes. See docs/csim.md.
"""

from __future__ import annotations

from ._backend import CsimBackend, build_for, write_emitted
from .bridge import ABI_VERSION, Port, TopSignature, TracePoint, generate_bridge
from .build import DEFAULT_FLAGS, CsimLibrary, build_csim_library
from .emit import SUPPORTED_KINDS, EmittedProject, build_model, emit_model
from .hls4ml_project import Hls4mlProject, build_hls4ml_project, find_hls4ml_project, instrument_top
from .manifest import CsimManifest, load_csim_manifest
from .runner import CsimOutputs, CsimRunner, PortSpec
from .tbdata import TbData, read_tb_data, write_tb_data

__all__ = [
    # _backend
    "CsimBackend",
    "build_for",
    "write_emitted",
    # bridge
    "ABI_VERSION",
    "Port",
    "TopSignature",
    "TracePoint",
    "generate_bridge",
    # build
    "DEFAULT_FLAGS",
    "CsimLibrary",
    "build_csim_library",
    # emit
    "SUPPORTED_KINDS",
    "EmittedProject",
    "build_model",
    "emit_model",
    # hls4ml_project
    "Hls4mlProject",
    "build_hls4ml_project",
    "find_hls4ml_project",
    "instrument_top",
    # manifest
    "CsimManifest",
    "load_csim_manifest",
    # runner
    "CsimOutputs",
    "CsimRunner",
    "PortSpec",
    # tbdata
    "TbData",
    "read_tb_data",
    "write_tb_data",
]

for _name in __all__:
    _obj = globals()[_name]
    if hasattr(_obj, "__module__") and isinstance(_obj, type) or callable(_obj):
        try:
            _obj.__module__ = __name__
        except (AttributeError, TypeError):
            pass
del _name, _obj
