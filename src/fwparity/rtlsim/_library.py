"""Where the Verilog layer library lives, and how to lint it.

The library is plain Verilog-2005 in ``rtl/`` (one parameterised module per layer family). In a source
checkout it
sits at the repository root; an installed wheel ships it as package data in ``fwparity/rtl``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from .. import _toolchain
from ..errors import BuildError, ToolNotFound

__all__ = ["library_dir", "library_files", "lint"]


def library_dir() -> Path:
    """Return the directory holding ``fwp_requant.v`` and the other library modules.

    Raises
    ------
    ToolNotFound
        Neither the package data nor a source checkout has the library.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "rtl", here.parents[2] / "rtl"):
        if (candidate / "fwp_requant.v").is_file():
            return candidate
    raise ToolNotFound("Could not find the fwparity Verilog library (fwp_requant.v); reinstall fwparity")


def library_files() -> dict[str, Path]:
    """Module name -> file, for every ``fwp_*.v`` in the library (one module per file, named like the
    file)."""
    return {p.stem: p for p in sorted(library_dir().glob("fwp_*.v"))}


def lint(
    files: Sequence[os.PathLike[str] | str], top: str, *, parameters: Mapping[str, int] | None = None
) -> str:
    """Run ``verilator --lint-only -Wall`` on ``files`` with ``top`` as top module; return the (empty) log.

    Raises
    ------
    BuildError
        Any warning or error; the message carries Verilator's ``file:line`` diagnostics.
    """
    import subprocess

    exe = _toolchain.require_tool("verilator")
    argv = [exe, "--lint-only", "-Wall", "--top-module", top]
    for name, value in (parameters or {}).items():
        argv.append(f"-G{name}={value}")
    argv += [str(f) for f in files]
    env = {k: v for k, v in os.environ.items() if k != "VERILATOR_ROOT"}
    env["PATH"] = f"{Path(exe).parent}{os.pathsep}{env.get('PATH', '')}"
    env["LC_ALL"] = "C"
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.startswith("%")]
        raise BuildError(f"Lint of top={top!r} failed:\n" + "\n".join(lines[:20]))
    return "\n".join(ln for ln in proc.stderr.splitlines() if ln.startswith("%"))
