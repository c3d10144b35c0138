"""Raw-bit batched bridge: C++ ``extern "C"`` entry points around an HLS top function.

hls4ml's own bridge converts every element through ``float``/``double`` and is called once per vector from
Python (hls4ml-layers.md section 1). fwparity's bridge instead takes the raw bits of a whole batch, sets each
element with a range assignment (no quantisation, no double), calls the top once per vector inside one C loop,
and reads the outputs back as raw bits. Widths up to 63 bits travel as sign-extended ``int64`` (one per
element); wider types travel as ``ceil(W/64)`` little-endian ``uint64`` words per element, so nothing is ever
rounded or wrapped on the way.

The generated library exports (C ABI, version 1):

- ``int fwp_abi_version()``
- ``int fwp_n_ports()`` / ``void fwp_port_info(int k, long long info[8])``: size, W, I, signed, Q, O, N,
  is_int of argument k, read from the compiler's view of the type.
- ``int fwp_n_traces()`` / ``void fwp_trace_info(int k, long long info[8])`` /
  ``const char* fwp_trace_name(int k)``
- ``int fwp_run(long long n, void** inputs, void** outputs, void** traces, long long* progress)``: runs n
  vectors; ``progress`` (shared memory in the runner) holds the index of the vector being computed, so a crash
  can be named. A non-zero return names an output stream that held too few (2k+1) or too many (2k+2)
  elements for argument k.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InvalidArgument

__all__ = ["Port", "TopSignature", "TracePoint", "generate_bridge", "raw_header_source", "ABI_VERSION"]

ABI_VERSION = 1

_IDENT = re.compile(r"^[A-Za-z_]\w*$")


@dataclass(frozen=True)
class Port:
    """One array (or stream) argument of an HLS top function.

    ``ctype`` is the C++ spelling used to declare the array in the bridge (a typedef such as ``input_t``
    for an hls4ml project, or an ``ap_fixed<...>`` spelling); ``type`` is the matching FixedType when known
    up front (a manifest) or ``None`` when it is read back from the compiled library (a wrapped project). A
    ``stream`` port is an ``hls::stream<ctype>&`` whose packets are ``ctype`` (an hls4ml
    ``nnet::array<T, N>`` or a single element); ``size`` is still the element count per vector.
    """

    name: str
    ctype: str
    size: int
    direction: str = "in"  # "in" or "out"
    shape: tuple[int, ...] = ()
    type: Any = None  # fwparity.fixed.FixedType | None
    stream: bool = False

    @property
    def elem_ctype(self) -> str:
        """The C++ type of one element (the packet's element type for a stream)."""
        return f"fwp::packet<{self.ctype}>::elem" if self.stream else self.ctype

    def __post_init__(self) -> None:
        if not _IDENT.match(self.name):
            raise InvalidArgument(f"Port name must be a C identifier, not name={self.name!r}")
        if self.direction not in ("in", "out"):
            raise InvalidArgument(
                f"Port {self.name!r} has direction={self.direction!r}; expected 'in' or 'out'"
            )
        if not isinstance(self.size, int) or self.size < 1:
            raise InvalidArgument(
                f"Port {self.name!r} needs a positive element count, not size={self.size!r}"
            )
        if not self.shape:
            object.__setattr__(self, "shape", (self.size,))
        n = 1
        for d in self.shape:
            n *= d
        if n != self.size:
            raise InvalidArgument(f"Port {self.name!r} has shape={self.shape!r} but size={self.size!r}")


@dataclass(frozen=True)
class TracePoint:
    """A layer output that an instrumented top copies into trace buffer ``index`` (see hls4ml_project)."""

    layer: str
    variable: str
    ctype: str
    size_expr: str
    stream: bool = False


@dataclass(frozen=True)
class TopSignature:
    """What the bridge needs to call a top: its name, namespace, header and arguments in call order."""

    function: str
    args: tuple[Port, ...]
    header: str
    namespace: str | None = None
    traces: tuple[TracePoint, ...] = field(default=())

    def __post_init__(self) -> None:
        if not _IDENT.match(self.function):
            raise InvalidArgument(f"Top function must be a C identifier, not function={self.function!r}")
        if self.namespace is not None and not re.match(r"^[A-Za-z_]\w*(::[A-Za-z_]\w*)*$", self.namespace):
            raise InvalidArgument(f"Namespace must be a C++ qualified name, not namespace={self.namespace!r}")
        names = [p.name for p in self.args]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise InvalidArgument(f"Top {self.function!r} has duplicate argument names {dup!r}")
        if not any(p.direction == "in" for p in self.args) or not any(
            p.direction == "out" for p in self.args
        ):
            raise InvalidArgument(f"Top {self.function!r} needs at least one input and one output array")

    @property
    def inputs(self) -> tuple[Port, ...]:
        return tuple(p for p in self.args if p.direction == "in")

    @property
    def outputs(self) -> tuple[Port, ...]:
        return tuple(p for p in self.args if p.direction == "out")


def raw_header_source() -> str:
    """The text of ``fwp_raw.h`` (package data), passed to the build as a source so it is in the key."""
    return (Path(__file__).parent / "cpp" / "fwp_raw.h").read_text()


def _qualified(sig: TopSignature) -> str:
    return f"{sig.namespace}::{sig.function}" if sig.namespace else sig.function


def generate_bridge(
    sig: TopSignature, *, define_trace_globals: bool = True, hls4ml_globals: bool = False
) -> str:
    """Return the C++ source of the raw-bit bridge for ``sig``.

    ``define_trace_globals`` defines ``fwp::trace_ptrs``/``trace_vector`` here (one definition per library).
    ``hls4ml_globals`` also defines the ``nnet::trace_enabled`` family that hls4ml's own bridge would have
    defined, because a top written with ``TraceOutput`` references them.

    Examples
    --------
    >>> sig = TopSignature("top", (Port("x", "ap_fixed<8,3>", 4), Port("y", "ap_fixed<8,3>", 1, "out")),
    ...                "top.h")
    >>> src = generate_bridge(sig)
    >>> "fwp::set_raw(a0[e], inputs[0], v * 4 + e);" in src and 'extern "C"' in src
    True
    """
    lines: list[str] = [
        "// Generated by fwparity.csim.bridge: raw-bit batched entry points. Do not edit.",
        "#include <cstdint>",
        "#include <cstring>",
        '#include "fwp_raw.h"',
        f'#include "{sig.header}"',
        "",
    ]
    if sig.namespace:
        # port types may be typedefs inside the namespace (hls4ml writes defines.h inside it)
        lines += [f"using namespace {sig.namespace};", ""]
    if define_trace_globals:
        lines += ["void **fwp::trace_ptrs = nullptr;", "long long fwp::trace_vector = 0;", ""]
    if hls4ml_globals:
        lines += [
            "#include <map>",
            "#include <string>",
            "namespace nnet {",
            "bool trace_enabled = false;",
            "std::map<std::string, void *> *trace_outputs = NULL;",
            "size_t trace_type_size = sizeof(double);",
            "} // namespace nnet",
            "",
        ]
    lines.append('extern "C" {')
    lines.append(f"FWP_EXPORT int fwp_abi_version() {{ return {ABI_VERSION}; }}")
    lines.append(f"FWP_EXPORT int fwp_n_ports() {{ return {len(sig.args)}; }}")
    lines.append("FWP_EXPORT void fwp_port_info(int k, long long *info) {")
    lines.append("    switch (k) {")
    for k, p in enumerate(sig.args):
        lines.append(f"    case {k}: fwp::describe<{p.elem_ctype}>({p.size}, info); break;")
    lines.append("    default: info[0] = -1;")
    lines.append("    }")
    lines.append("}")
    if not sig.traces:
        lines += [
            "FWP_EXPORT int fwp_n_traces() { return 0; }",
            "FWP_EXPORT void fwp_trace_info(int, long long *info) { info[0] = -1; }",
            'FWP_EXPORT const char *fwp_trace_name(int) { return ""; }',
        ]
    lines.append(
        "FWP_EXPORT int fwp_run(long long n, void **inputs, void **outputs, void **traces, "
        "volatile long long *progress) {"
    )
    lines.append("    fwp::trace_ptrs = traces;")
    lines.append("    for (long long v = 0; v < n; ++v) {")
    lines.append("        if (progress) *progress = v;")
    lines.append("        fwp::trace_vector = v;")
    call_args = []
    i_in = i_out = 0
    for p in sig.args:
        if p.stream:
            var = f"a{i_in}" if p.direction == "in" else f"b{i_out}"
            lines.append(f"        hls::stream<{p.ctype}> {var};")
            if p.direction == "in":
                lines.append(f"        fwp::stream_in<{p.ctype}>({var}, inputs[{i_in}], v, {p.size});")
                i_in += 1
            else:
                i_out += 1
        elif p.direction == "in":
            var = f"a{i_in}"
            lines.append(f"        {p.ctype} {var}[{p.size}];")
            lines.append(
                f"        for (long long e = 0; e < {p.size}; ++e) fwp::set_raw({var}[e], inputs[{i_in}], v "
                f"* {p.size} + e);"
            )
            i_in += 1
        else:
            var = f"b{i_out}"
            # zeroed so an output the top never writes reads as 0 every time, not as stale memory (hls4ml#228)
            lines.append(f"        {p.ctype} {var}[{p.size}];")
            lines.append(f"        for (long long e = 0; e < {p.size}; ++e) {var}[e] = 0;")
            i_out += 1
        call_args.append(var)
    lines.append(f"        {_qualified(sig)}({', '.join(call_args)});")
    i_out = 0
    for k, p in enumerate(sig.args):
        if p.direction == "out" and p.stream:
            # a stream that holds fewer or more packets than the port's size is reported, not padded
            lines.append(
                f"        if (int rc = fwp::stream_out<{p.ctype}>(b{i_out}, outputs[{i_out}], v, {p.size})) "
                f"{{ if (progress) *progress = v; return 2 * {k} + rc; }}"
            )
            i_out += 1
        elif p.direction == "out":
            lines.append(
                f"        for (long long e = 0; e < {p.size}; ++e) fwp::get_raw(b{i_out}[e], "
                f"outputs[{i_out}], v * {p.size} + e);"
            )
            i_out += 1
    lines.append("    }")
    lines.append("    fwp::trace_ptrs = nullptr;")
    lines.append("    if (progress) *progress = n;")
    lines.append("    return 0;")
    lines.append("}")
    lines.append('} // extern "C"')
    return "\n".join(lines) + "\n"


def _c_string(text: str) -> str:
    """``text`` as the contents of a C string literal: its UTF-8 bytes, quotes, backslashes and anything
    outside printable ASCII as 3-digit octal escapes (hex escapes would swallow a following hex digit)."""
    out = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        out.append(ch if 0x20 <= byte < 0x7F and ch not in '"\\?' else f"\\{byte:03o}")
    return "".join(out)


def trace_info_source(traces: Sequence[TracePoint], namespace: str | None = None) -> str:
    """C++ appended to an instrumented top: describes each trace buffer with the types visible there."""
    lines = [f"using namespace {namespace};"] if namespace else []
    lines += ['extern "C" {', f"FWP_EXPORT int fwp_n_traces() {{ return {len(traces)}; }}"]
    lines.append("FWP_EXPORT void fwp_trace_info(int k, long long *info) {")
    lines.append("    switch (k) {")
    for k, t in enumerate(traces):
        ctype = f"fwp::packet<{t.ctype}>::elem" if t.stream else t.ctype
        lines.append(f"    case {k}: fwp::describe<{ctype}>({t.size_expr}, info); break;")
    lines.append("    default: info[0] = -1;")
    lines.append("    }")
    lines.append("}")
    lines.append("FWP_EXPORT const char *fwp_trace_name(int k) {")
    lines.append("    switch (k) {")
    for k, t in enumerate(traces):
        lines.append(f'    case {k}: return "{_c_string(t.layer)}";')
    lines.append('    default: return "";')
    lines.append("    }")
    lines.append("}")
    lines.append('} // extern "C"')
    return "\n".join(lines) + "\n"
