"""Wrapping an existing hls4ml project directory (Vivado/Vitis writer layout, io_parallel) for raw-bit csim.

The project is compiled with ITS OWN bundled headers (``firmware/ap_types``, ``firmware/nnet_utils``), because
the point is to test the C++ the user will synthesise, and an older project's nnet_utils differs from the
installed hls4ml's. ``WEIGHTS_DIR`` is defined as hls4ml's build_lib.sh does, so the top reads its weights
from the project. The user's files are never modified: a traced build compiles an instrumented copy of the top
.cpp, which lives only in the build cache and copies every layer's output array into trace buffers as raw
bits, so a comparison can name the first layer that diverges.

The top signature comes from ``firmware/<name>.h``; which arguments are inputs and which outputs comes from
``<name>_bridge.cpp`` (hls4ml's ``convert_data`` calls); array sizes may be literals or ``#define``\\ s from
the firmware headers. The importer in :mod:`fwparity.model` reads the same project for the reference model.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import FormatError
from .bridge import Port, TopSignature, TracePoint, trace_info_source
from .build import CsimLibrary, build_csim_library

__all__ = ["Hls4mlProject", "find_hls4ml_project", "instrument_top", "build_hls4ml_project"]


@dataclass(frozen=True)
class Hls4mlProject:
    """The pieces of an hls4ml project that csim needs."""

    root: Path
    name: str
    firmware: Path
    signature: TopSignature
    top_source: str

    @property
    def top_cpp(self) -> Path:
        return self.firmware / f"{self.name}.cpp"


def _project_name(root: Path) -> str:
    build_lib = root / "build_lib.sh"
    if build_lib.is_file():
        m = re.search(r"^PROJECT=(\w+)\s*$", build_lib.read_text(), re.M)
        if m:
            return m.group(1)
    cfg = root / "hls4ml_config.yml"
    if cfg.is_file():
        m = re.search(r"^ProjectName:\s*(\w+)\s*$", cfg.read_text(), re.M)
        if m:
            return m.group(1)
    bridges = sorted(root.glob("*_bridge.cpp"))
    if len(bridges) == 1:
        return bridges[0].name[: -len("_bridge.cpp")]
    raise FormatError(
        f"{str(root)!r} is not an hls4ml project: no build_lib.sh PROJECT=, hls4ml_config.yml ProjectName "
        "or single *_bridge.cpp names the top"
    )


def _defines(firmware: Path) -> dict[str, int]:
    """Integer ``#define``s of the firmware headers (hls4ml writes array sizes as N_INPUT_1_1 etc.)."""
    out: dict[str, int] = {}
    for h in sorted(firmware.glob("*.h")):
        for m in re.finditer(
            r"^\s*#define\s+(\w+)\s+\(?\s*(\d+)\s*\)?\s*$", h.read_text(errors="replace"), re.M
        ):
            out[m.group(1)] = int(m.group(2))
    return out


def _size(expr: str, defines: dict[str, int], where: str) -> int:
    expr = expr.strip()
    if re.fullmatch(r"\d+", expr):
        return int(expr)
    if expr in defines:
        return defines[expr]
    # products such as N_IN*N_CHAN
    parts = [p.strip() for p in expr.split("*")]
    if all(re.fullmatch(r"\d+", p) or p in defines for p in parts):
        total = 1
        for p in parts:
            total *= int(p) if p.isdigit() else defines[p]
        return total
    raise FormatError(f"{where}: cannot evaluate the array size {expr!r}")


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def _split_params(text: str) -> list[str]:
    """Split a parameter list at top-level commas (template arguments may contain commas)."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


_CONVERT_IN = re.compile(r"convert_data<\s*\w+\s*,\s*\w+\s*,\s*([^<>()]+?)\s*>\(\s*(\w+)\s*,\s*\2_ap\s*\)")
_CONVERT_OUT = re.compile(r"convert_data<\s*\w+\s*,\s*\w+\s*,\s*([^<>()]+?)\s*>\(\s*(\w+)_ap\s*,\s*\2\s*\)")


def _parse_signature(name: str, header: Path, bridge: Path | None, defines: dict[str, int]) -> TopSignature:
    text = _strip_comments(header.read_text())
    m = re.search(rf"\bvoid\s+{name}\s*\((.*?)\)\s*;", text, re.S)
    if not m:
        raise FormatError(f"{str(header)!r}: no prototype 'void {name}(...)'")
    params = _split_params(m.group(1))
    sizes: dict[str, str] = {}
    outputs: set[str] = set()
    inputs: set[str] = set()
    if bridge is not None and bridge.is_file():
        btext = bridge.read_text()
        for size, var in _CONVERT_IN.findall(btext):
            inputs.add(var)
            sizes[var] = size
        for size, var in _CONVERT_OUT.findall(btext):
            outputs.add(var)
            sizes[var] = size
    args = []
    for i, p in enumerate(params):
        if outputs or inputs:
            direction = "out" if p.split()[-1].lstrip("&*").split("[")[0] in outputs else "in"
        else:
            direction = "out" if i == len(params) - 1 else "in"
        sm = re.fullmatch(r"hls::stream\s*<\s*(.+?)\s*>\s*&\s*(\w+)", p)
        if sm:
            ctype, var = sm.group(1), sm.group(2)
            direction = "out" if var in outputs else "in" if (outputs or inputs) else direction
            if var not in sizes:
                raise FormatError(
                    f"{str(header)!r}: the element count of stream argument {var!r} of {name} is not in "
                    f"{bridge.name if bridge else 'the bridge'} (nnet::convert_data<..., N>)"
                )
            args.append(Port(var, ctype, _size(sizes[var], defines, str(header)), direction, stream=True))
            continue
        pm = re.fullmatch(r"([\w:<>, ]+?)\s+(\w+)\s*\[\s*([^\]]+)\]", p)
        if not pm:
            raise FormatError(
                f"{str(header)!r}: argument {p!r} of {name} is neither an array 'type name[size]' "
                "(io_parallel) nor a stream 'hls::stream<type> &name' (io_stream)"
            )
        ctype, var, size = pm.group(1).strip(), pm.group(2), _size(pm.group(3), defines, str(header))
        if outputs or inputs:
            direction = "out" if var in outputs else "in"
        args.append(Port(var, ctype, size, direction))
    ns = re.search(rf"\bnamespace\s+(\w+)\s*\{{[^{{}}]*\bvoid\s+{name}\s*\(", text, re.S)
    return TopSignature(name, tuple(args), f"{name}.h", ns.group(1) if ns else None)


def find_hls4ml_project(path: str | os.PathLike[str]) -> Hls4mlProject:
    """Locate the top of the hls4ml project at ``path`` and parse its signature.

    Raises
    ------
    FormatError
        ``path`` is not an hls4ml project, or its top is not an io_parallel array function.
    """
    root = Path(path).resolve()
    name = _project_name(root)
    firmware = root / "firmware"
    header = firmware / f"{name}.h"
    cpp = firmware / f"{name}.cpp"
    for f in (header, cpp):
        if not f.is_file():
            raise FormatError(f"{str(root)!r}: missing {str(f.relative_to(root))!r}")
    sig = _parse_signature(name, header, root / f"{name}_bridge.cpp", _defines(firmware))
    return Hls4mlProject(root, name, firmware, sig, cpp.read_text())


_DECL = re.compile(r"^\s*([\w:]+(?:<[^;]*?>)?)\s+(\w+)\s*\[\s*([^\]]+)\]\s*;", re.M)
_STREAM_DECL = re.compile(r"^\s*hls::stream\s*<\s*(.+?)\s*>\s+(\w+)\s*(?:\([^;]*\))?\s*;", re.M)
_SAVE = re.compile(r"save_layer_output\s*<[^;]*?>\s*\(\s*(\w+)\s*,\s*\"[^\"]*\"\s*,\s*([^;]+?)\s*\)\s*;")
_CALL = re.compile(
    r"^(?P<indent>[ \t]*)(?P<stmt>[^\n;]*\((?P<args>[^;]*)\)\s*;)\s*//\s*(?P<layer>[\w.\-]+)\s*$", re.M
)
_ALIAS = re.compile(
    r"^(?P<indent>[ \t]*)auto\s*&\s*(?P<var>\w+)\s*=\s*(?P<src>\w+)\s*;\s*//\s*(?P<layer>[\w.\-]+)\s*$", re.M
)


def instrument_top(project: Hls4mlProject) -> tuple[str, tuple[TracePoint, ...]]:
    """Return the top .cpp with a raw-bit trace store after every layer, and the trace points in call order.

    A layer is a statement ending in ``// <layer name>`` (how hls4ml's writer annotates each call); its output
    is the first array (or stream) argument that no earlier statement produced. A stream between layers is
    traced when its element count is known (hls4ml's own ``save_layer_output`` calls give it); the trace reads
    its packets and writes them back in order.
    """
    text = project.top_source
    arrays: dict[str, tuple[str, str]] = {}
    for m in _DECL.finditer(text):
        arrays[m.group(2)] = (m.group(1), m.group(3).strip())
    # io_stream: streams between layers; their element counts come from hls4ml's own trace calls, if any
    stream_sizes = {m.group(1): m.group(2) for m in _SAVE.finditer(text)}
    streams: dict[str, tuple[str, str | None]] = {}
    for m in _STREAM_DECL.finditer(text):
        streams[m.group(2)] = (m.group(1), stream_sizes.get(m.group(2)))
    produced = set()
    for p in project.signature.args:
        if p.direction == "out" and p.stream:
            streams[p.name] = (p.ctype, str(p.size))
        elif p.direction == "out":
            arrays[p.name] = (p.ctype, str(p.size))
        else:
            produced.add(p.name)
    inserts: list[tuple[int, str]] = []
    traces: list[TracePoint] = []
    events = sorted(
        [(m.end(), "call", m) for m in _CALL.finditer(text)]
        + [(m.end(), "alias", m) for m in _ALIAS.finditer(text)],
        key=lambda e: e[0],
    )
    for end, kind, m in events:
        if kind == "alias":
            var, src = m.group("var"), m.group("src")
            if src not in arrays:
                continue
            arrays[var] = arrays[src]
            out = [var]
        else:
            names = re.findall(r"\b(\w+)\b", m.group("args"))
            out = [a for a in dict.fromkeys(names) if (a in arrays or a in streams) and a not in produced]
        for var in out[:1]:
            produced.add(var)
            k = len(traces)
            if var in streams:
                ctype, maybe_size = streams[var]
                if maybe_size is None:  # no size known for this stream: not traced
                    continue
                traces.append(TracePoint(m.group("layer"), var, ctype, maybe_size, stream=True))
                inserts.append((end, f"\n{m.group('indent')}fwp::trace_stream({k}, {var}, {maybe_size});"))
                continue
            ctype, size_expr = arrays[var]
            traces.append(TracePoint(m.group("layer"), var, ctype, size_expr))
            inserts.append((end, f"\n{m.group('indent')}fwp::trace_store({k}, {var}, {size_expr});"))
    out_text = text
    for pos, snippet in sorted(inserts, reverse=True):
        out_text = out_text[:pos] + snippet + out_text[pos:]
    out_text = (
        '#include "fwp_raw.h"\n'
        + out_text
        + "\n// fwparity trace description\n"
        + trace_info_source(traces, project.signature.namespace)
    )
    return out_text, tuple(traces)


def build_hls4ml_project(
    path: str | os.PathLike[str] | Hls4mlProject,
    *,
    trace: bool = True,
    flags: Sequence[str] | None = None,
) -> CsimLibrary:
    """Build the raw-bit csim library of an hls4ml project with its own headers.

    Parameters
    ----------
    path : path-like or Hls4mlProject
        The project directory (the one holding ``firmware/`` and ``build_lib.sh``).
    trace : bool
        Compile an instrumented copy of the top that can record every layer's output (the cost is one branch
        per layer when tracing is off at run time).
    flags : sequence of str, optional
        Compiler flags; default ``-O3 -std=c++17``.
    """
    project = path if isinstance(path, Hls4mlProject) else find_hls4ml_project(path)
    sig = project.signature
    source = project.top_source
    if trace:
        source, points = instrument_top(project)
        sig = TopSignature(sig.function, sig.args, sig.header, sig.namespace, points)
    ap_dir = project.firmware / "ap_types"
    fw = project.firmware
    return build_csim_library(
        sig,
        {f"{project.name}.cpp": source},
        include_dirs=[fw],
        flags=flags,
        # build_lib.sh passes -D WEIGHTS_DIR="<abs>/firmware/weights"; as an argv entry the quotes are literal
        defines={"WEIGHTS_DIR": f'"{fw / "weights"}"'},
        ap_include=ap_dir if (ap_dir / "ap_fixed.h").is_file() else None,
        hls4ml_globals=True,
        source_paths={f"{project.name}.cpp": project.top_cpp},
    )
