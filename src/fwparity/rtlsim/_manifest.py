"""TOML manifests describing user RTL, so any hand-written or HLS-synthesised top can be driven by the
harness.

A manifest names the sources, the top module, its protocol and where each model tensor sits::

    [top]
    module = "myproject"        # the top module
    sources = ["rtl/a.v", "rtl/myproject.v"]   # relative to the manifest's directory, in compile order
    protocol = "ap_ctrl_hs"     # "valid" | "ap_ctrl_hs" | "axis"
    latency = 7                 # optional; required for "valid" without an out_valid signal
    ii = 1                      # optional initiation interval (default 1)
    reset_active_low = false    # optional

    [signals]                   # optional: rename control signals; "" means absent
    clock = "ap_clk"
    reset = "ap_rst"

    [[inputs]]
    name = "x"                  # the model input it carries
    port = "input_1"            # HDL port
    type = "ap_fixed<16,6>"
    shape = [16]
    offset = 0                  # optional bit offset inside the port (AXI-Stream tdata packing)

    [[outputs]]
    name = "fc4"
    port = "layer13_out"
    type = "ap_fixed<16,6>"
    shape = [5]

Element k of a tensor occupies bits [offset + k*W, offset + (k+1)*W) of its port (hls4ml io_parallel packing).
Control-signal defaults per protocol are in :data:`fwparity.rtlsim.DEFAULT_SIGNALS`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import FormatError, InvalidArgument
from ._design import DEFAULT_SIGNALS, PROTOCOLS, PortMap, RtlDesign

try:
    import tomllib
except ImportError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = ["load_rtl_manifest"]


def _get(table: Mapping[str, Any], key: str, types: tuple[type, ...], where: str, default: Any = ...) -> Any:
    if key not in table:
        if default is ...:
            raise FormatError(f"{where}: missing key {key!r}")
        return default
    value = table[key]
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        names = " or ".join(t.__name__ for t in types)
        raise FormatError(f"{where}: {key} must be a {names}, not {value!r}")
    return value


def _tensors(doc: Mapping[str, Any], key: str, where: str) -> tuple[PortMap, ...]:
    from ..fixed import FixedType

    entries = doc.get(key, [])
    if not isinstance(entries, list) or not entries:
        raise FormatError(f"{where}: [[{key}]] must list at least one tensor")
    maps = []
    for i, entry in enumerate(entries):
        ew = f"{where}: {key}[{i}]"
        name = _get(entry, "name", (str,), ew)
        port = _get(entry, "port", (str,), ew, name)
        shape = _get(entry, "shape", (list,), ew)
        if not shape or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape):
            raise FormatError(f"{ew}: shape must be a list of positive integers, not {shape!r}")
        try:
            t = FixedType.parse(_get(entry, "type", (str,), ew))
        except InvalidArgument as exc:
            raise FormatError(f"{ew}: {exc}") from None
        offset = _get(entry, "offset", (int,), ew, 0)
        if offset < 0:
            raise FormatError(f"{ew}: offset must be non-negative, not {offset!r}")
        maps.append(PortMap(name, port, tuple(shape), t, offset))
    return tuple(maps)


def load_rtl_manifest(path: str | os.PathLike[str]) -> RtlDesign:
    """Read a manifest and return the :class:`RtlDesign` it describes (sources resolved, not yet built).

    Raises
    ------
    InvalidArgument
        The file cannot be read.
    FormatError
        Bad TOML, a missing or mistyped key, a missing source file, an unknown protocol; the message names the
        file and the entry.
    """
    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise InvalidArgument(f"Cannot read manifest path={str(path)!r}: {exc.strerror}") from None
    where = repr(str(path))
    try:
        doc = tomllib.loads(text.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(f"{where} is not valid TOML: {exc}") from None
    top = doc.get("top")
    if not isinstance(top, dict):
        raise FormatError(f"{where}: missing table [top]")
    tw = f"{where} [top]"
    module = _get(top, "module", (str,), tw)
    sources = _get(top, "sources", (list,), tw)
    if not sources:
        raise FormatError(f"{tw}: sources must list at least one file")
    files = []
    for s in sources:
        if not isinstance(s, str):
            raise FormatError(f"{tw}: sources must be strings, not {s!r}")
        f = (path.parent / s).resolve()
        if not f.is_file():
            raise FormatError(f"{tw}: source {s!r} does not exist")
        files.append(f)
    protocol = _get(top, "protocol", (str,), tw)
    if protocol not in PROTOCOLS:
        raise FormatError(f"{tw}: protocol {protocol!r} is not in supported list: {', '.join(PROTOCOLS)}")
    latency = _get(top, "latency", (int,), tw, None)
    ii = _get(top, "ii", (int,), tw, 1)
    active_low = _get(top, "reset_active_low", (bool,), tw, False)
    signals = doc.get("signals", {})
    if not isinstance(signals, dict):
        raise FormatError(f"{where}: [signals] must be a table")
    unknown = sorted(set(signals) - set(DEFAULT_SIGNALS[protocol]))
    if unknown:
        raise FormatError(
            f"{where} [signals]: {unknown[0]!r} is not a {protocol} signal "
            f"(known: {', '.join(DEFAULT_SIGNALS[protocol])})"
        )
    for k, v in signals.items():
        if not isinstance(v, str):
            raise FormatError(f"{where} [signals]: {k} must be a str, not {v!r}")
    try:
        return RtlDesign(
            top=module,
            files=tuple(files),
            protocol=protocol,
            inputs=_tensors(doc, "inputs", where),
            outputs=_tensors(doc, "outputs", where),
            latency=latency,
            ii=ii,
            signals=signals,
            reset_active_low=active_low,
        )
    except InvalidArgument as exc:
        raise FormatError(f"{where}: {exc}") from None
