"""Compiling a csim library: the bridge plus the user's (or fwparity's) HLS C++, through the build cache.

Every compile goes through :mod:`fwparity._build` (key = sources, flags, include contents, compiler version),
so a warm start never runs g++. Compiler errors are re-pointed from the cache copies back to the user's files,
so the message shows ``myproject.cpp:42: error ...`` where the user can open it.
"""

from __future__ import annotations

import functools
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import _toolchain
from ..errors import BuildError, InvalidArgument
from .bridge import TopSignature, generate_bridge, raw_header_source

__all__ = ["CsimLibrary", "build_csim_library", "DEFAULT_FLAGS"]

#: Default compiler flags; hls4ml's build_lib.sh uses -O3 too.
DEFAULT_FLAGS: tuple[str, ...] = ("-O3", "-std=c++17")


@dataclass(frozen=True)
class CsimLibrary:
    """A built csim shared library and the signature its bridge was generated for (an artefact, not a
    handle).
    """

    path: Path
    signature: TopSignature
    flags: tuple[str, ...] = ()
    sources: tuple[str, ...] = field(default=())


@functools.cache
def _no_gnu_unique(compiler: str) -> tuple[str, ...]:
    """``-fno-gnu-unique`` when the compiler has it (GCC).

    GCC gives static locals of inline/template functions (nnet_utils' activation tables, hls4ml's ``static
    bool initialized``) STB_GNU_UNIQUE binding, which the dynamic loader unifies across the whole process even
    under RTLD_LOCAL: two models loaded side by side would share one table. hls4ml's build_lib.sh adds the
    same flag for the same reason.
    """
    try:
        out = subprocess.run(
            [compiler, "-Werror", "-fsyntax-only", "-fno-gnu-unique", "-xc++", "-"],
            input="",
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except OSError:
        return ()
    return ("-fno-gnu-unique",) if out.returncode == 0 else ()


def _build_module():  # type: ignore[no-untyped-def]
    from .. import _build

    return _build


def _remap_error(message: str, source_paths: Mapping[str, Path]) -> str:
    """Replace cache-copy paths in compiler output with the user's original file paths."""
    for name, original in source_paths.items():
        message = re.sub(rf"(?:[^\s:'\"]*/)?{re.escape(name)}(?=:\d)", str(original), message)
    return message


def build_csim_library(
    signature: TopSignature,
    sources: Mapping[str, str | bytes],
    *,
    include_dirs: Sequence[Path] = (),
    flags: Sequence[str] | None = None,
    defines: Mapping[str, str] | None = None,
    ap_include: Path | str | None = None,
    extra_inputs: Sequence[Path] = (),
    hls4ml_globals: bool = False,
    define_trace_globals: bool = True,
    source_paths: Mapping[str, Path] | None = None,
) -> CsimLibrary:
    """Generate the bridge for ``signature`` and build it with ``sources`` into a cached shared library.

    Parameters
    ----------
    signature : TopSignature
        The top to wrap; its ``header`` must be reachable from ``sources`` or ``include_dirs``.
    sources : mapping of file name to text
        The HLS C++ to compile with the bridge (``.cpp`` files are compiled; headers are only written next to
        them).
    include_dirs : sequence of Path
        Extra ``-I`` directories, searched after the sources' own directory.
    flags : sequence of str, optional
        Compiler flags; default ``-O3 -std=c++17``.
    defines : mapping, optional
        ``-D NAME=VALUE`` pairs (e.g. hls4ml's ``WEIGHTS_DIR``).
    ap_include : path, optional
        The ap_types directory; default :func:`fwparity._toolchain.find_ap_include`. Put a project's bundled
        headers here to compile it with its own copy.
    source_paths : mapping, optional
        Original location of each source, used to point compiler errors at the user's files.

    Returns
    -------
    CsimLibrary

    Raises
    ------
    BuildError
        The compile failed; the message has the command and the first error lines.
    ToolNotFound
        g++ or the ap_types headers are missing.
    """
    for reserved in ("fwp_bridge.cpp", "fwp_raw.h"):
        if reserved in sources:
            raise InvalidArgument(f"Source name {reserved!r} is reserved for fwparity's bridge")
    all_sources: dict[str, str | bytes] = dict(sources)
    all_sources["fwp_raw.h"] = raw_header_source()
    all_sources["fwp_bridge.cpp"] = generate_bridge(
        signature, define_trace_globals=define_trace_globals, hls4ml_globals=hls4ml_globals
    )
    ap_dir = _toolchain.find_ap_include(ap_include)
    all_flags = list(DEFAULT_FLAGS if flags is None else flags)
    for extra in _no_gnu_unique(_toolchain.find_gxx()):
        if extra not in all_flags:
            all_flags.append(extra)
    for name, value in (defines or {}).items():
        all_flags.append(f"-D{name}={value}")
    includes = [ap_dir, *[Path(d) for d in include_dirs]]
    build = _build_module()
    try:
        path = build.build_shared_library(
            all_sources,
            flags=tuple(all_flags),
            include_dirs=includes,
            extra_inputs=extra_inputs,
            tag=signature.function,
        )
    except BuildError as exc:
        raise BuildError(_remap_error(str(exc), source_paths or {})) from None
    return CsimLibrary(Path(path), signature, tuple(all_flags), tuple(sorted(all_sources)))
