"""Exception hierarchy.

Everything fwparity raises on purpose derives from :class:`FwparityError`, so a caller can catch one root. Errors
about an argument also derive from the builtin a Python programmer would expect (``ValueError``/``TypeError``), so
generic code that already catches those keeps working.
"""

from __future__ import annotations

__all__ = [
    "FwparityError",
    "InvalidArgument",
    "InvalidType",
    "ToolNotFound",
    "BuildError",
    "SimulationError",
    "FormatError",
    "UnsupportedLayer",
]


class FwparityError(Exception):
    """Root of every error fwparity raises deliberately."""


class InvalidArgument(FwparityError, ValueError):
    """An argument has a value fwparity cannot accept; the message names the argument and shows the value."""


class InvalidType(FwparityError, TypeError):
    """An argument has the wrong Python type."""


class ToolNotFound(FwparityError, RuntimeError):
    """An external tool (g++, Verilator, the ap_types headers, ...) is missing; the message says what to install."""


class BuildError(FwparityError, RuntimeError):
    """Compiling C++ or Verilating RTL failed; the message carries the command and the first error lines."""


class SimulationError(FwparityError, RuntimeError):
    """A simulation crashed, hung or returned something unusable; the message names the batch and vector range."""


class FormatError(FwparityError, ValueError):
    """A file (vectors, pattern file, model, HLS project) is malformed; the message names the file and position."""


class UnsupportedLayer(FwparityError, NotImplementedError):
    """A model contains a layer or option fwparity does not model; the message names the layer and the C++ call."""
