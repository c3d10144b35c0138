"""TOML manifests describing an existing HLS top, so hand-written HLS C++ can be driven by the csim runner.

A manifest names the sources, the top function and its array arguments with their ap types and shapes::

    [top]
    function = "top"            # the HLS top function
    header = "top.h"            # declares it; found next to the sources or in include_dirs
    namespace = "mydesign"      # optional
    sources = ["top.cpp"]       # relative to the manifest's directory
    include_dirs = ["include"]  # optional
    flags = ["-O3", "-std=c++17"]  # optional (the default)
    defines = { NDEBUG = "1" }  # optional
    hls_include = "/opt/Xilinx/Vitis_HLS/2023.2/include"  # optional; default: find_ap_include()
    args = ["x", "y"]           # optional call order; default: inputs then outputs, in file order

    [[inputs]]
    name = "x"
    type = "ap_fixed<16,6>"
    shape = [16]

    [[outputs]]
    name = "y"
    type = "ap_fixed<16,6,AP_RND,AP_SAT>"
    shape = [5]
    stream = true               # optional: hls::stream<type>& of single elements, `shape` of them per vector

Relative paths are resolved against the manifest's directory, so a manifest can live in a repository and
be run from anywhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import FormatError, InvalidArgument
from .bridge import Port, TopSignature
from .build import CsimLibrary, build_csim_library

try:
    import tomllib
except ImportError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = ["CsimManifest", "load_csim_manifest"]


@dataclass(frozen=True)
class CsimManifest:
    """A parsed manifest: everything needed to build the raw-bit bridge around a hand-written top."""

    path: Path
    signature: TopSignature
    sources: tuple[Path, ...]
    include_dirs: tuple[Path, ...]
    flags: tuple[str, ...] | None
    defines: Mapping[str, str]
    hls_include: Path | None

    def build(self) -> CsimLibrary:
        """Compile (or fetch from the cache) the library for this design."""
        sources = {p.name: p.read_bytes() for p in self.sources}
        names = [p.name for p in self.sources]
        if len(set(names)) != len(names):
            raise FormatError(f"{str(self.path)!r}: sources must have distinct file names, got {names!r}")
        # the sources' own directories first, so "#include \"top.h\"" finds the user's headers
        dirs = list(dict.fromkeys(p.parent for p in self.sources)) + list(self.include_dirs)
        return build_csim_library(
            self.signature,
            sources,
            include_dirs=dirs,
            flags=self.flags,
            defines=self.defines,
            ap_include=self.hls_include,
            source_paths={p.name: p for p in self.sources},
        )


def _canonical_ctype(text: str, where: str) -> str:
    """HLS spelling of a port type; hls4ml spellings (``fixed<16,6>``) are accepted and rewritten for C++."""
    try:
        from ..fixed import FixedType
    except ImportError:  # pragma: no cover - fixed is part of the package
        return text
    try:
        return str(FixedType.parse(text))
    except (ValueError, TypeError) as exc:
        raise FormatError(f"{where}: {exc}") from None


def _get(
    table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = ...
) -> Any:
    if key not in table:
        if default is ...:
            raise FormatError(f"{where}: missing key {key!r}")
        return default
    value = table[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise FormatError(f"{where}: {key} must be a {names}, not {value!r}")
    return value


def load_csim_manifest(path: str | os.PathLike[str]) -> CsimManifest:
    """Read a csim manifest (TOML).

    Parameters
    ----------
    path : path-like
        The manifest file.

    Returns
    -------
    CsimManifest
        Call ``.build()`` to get a :class:`CsimLibrary` for :class:`CsimRunner`.

    Raises
    ------
    FormatError
        The file is not valid TOML or lacks a required key; the message names the file and the key.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise FormatError(f"{str(path)!r} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise InvalidArgument(f"Cannot read manifest path={str(path)!r}: {exc.strerror}") from None
    where = repr(str(path))
    base = path.parent.resolve()
    top = _get(data, "top", dict, where)
    tw = f"{where} [top]"
    function = _get(top, "function", str, tw)
    header = _get(top, "header", str, tw)
    namespace = _get(top, "namespace", str, tw, None)
    sources = tuple(base / s for s in _get(top, "sources", list, tw))
    if not sources:
        raise FormatError(f"{tw}: sources must list at least one file")
    for s in sources:
        if not s.is_file():
            raise FormatError(f"{tw}: source {str(s)!r} does not exist")
    include_dirs = tuple(base / d for d in _get(top, "include_dirs", list, tw, []))
    flags = _get(top, "flags", list, tw, None)
    defines = {str(k): str(v) for k, v in _get(top, "defines", dict, tw, {}).items()}
    hls_include = _get(top, "hls_include", str, tw, None)

    ports: dict[str, Port] = {}
    order: list[str] = []
    for direction, key in (("in", "inputs"), ("out", "outputs")):
        entries = _get(data, key, list, where)
        for i, entry in enumerate(entries):
            ew = f"{where} [[{key}]] #{i}"
            name = _get(entry, "name", str, ew)
            shape = tuple(_get(entry, "shape", list, ew))
            if not shape or not all(isinstance(d, int) and d > 0 for d in shape):
                raise FormatError(f"{ew}: shape must be a list of positive integers, not {list(shape)!r}")
            size = 1
            for d in shape:
                size *= d
            ctype = _canonical_ctype(_get(entry, "type", str, ew), ew)
            if name in ports:
                raise FormatError(f"{ew}: duplicate port name {name!r}")
            stream = _get(entry, "stream", bool, ew, False)
            ports[name] = Port(name, ctype, size, direction, shape, stream=stream)
            order.append(name)
    args = _get(top, "args", list, tw, order)
    if sorted(args) != sorted(order):
        raise FormatError(f"{tw}: args={args!r} must list every input and output once: {order!r}")
    try:
        sig = TopSignature(function, tuple(ports[a] for a in args), header, namespace)
    except InvalidArgument as exc:
        raise FormatError(f"{where}: {exc}") from None
    return CsimManifest(
        path=path,
        signature=sig,
        sources=sources,
        include_dirs=include_dirs,
        flags=tuple(flags) if flags is not None else None,
        defines=defines,
        hls_include=Path(hls_include) if hls_include is not None else None,
    )
