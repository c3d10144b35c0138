"""fwparity: prove, bit for bit, that FPGA trigger firmware computes what its fixed-point software model computes.

The top level re-exports the few entry points most users need; everything else lives in the subpackages
(:mod:`fwparity.fixed`, :mod:`fwparity.layers`, :mod:`fwparity.model`, :mod:`fwparity.csim`, :mod:`fwparity.rtlsim`,
:mod:`fwparity.vectors`, :mod:`fwparity.compare`, :mod:`fwparity.report`). Heavy subpackages are imported lazily so
``import fwparity`` (and the pytest plugin) stay cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import FwparityError, InvalidArgument, ToolNotFound

__version__ = "0.1.0.dev0"

__all__ = [
    # errors
    "FwparityError",
    "InvalidArgument",
    "ToolNotFound",
    # fixed
    "FixedType",
    "ap_fixed",
    "ap_ufixed",
    # model
    "Model",
    "load_model",
    # pipeline
    "emulate",
    "validate",
]

# name -> module that defines it; resolved on first attribute access.
_LAZY = {
    "FixedType": "fwparity.fixed",
    "ap_fixed": "fwparity.fixed",
    "ap_ufixed": "fwparity.fixed",
    "Model": "fwparity.model",
    "load_model": "fwparity.model",
    "emulate": "fwparity.layers",
    "validate": "fwparity.compare",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fwparity' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
