"""What a simulator needs to know about an RTL design: files, top, protocol and where each tensor lives.

Both the generator (:func:`fwparity.rtlsim.generate`) and the manifest loader (user RTL) produce an
:class:`RtlDesign`; the batch harness and the cocotb benches only read one. Keeping the two sources behind one
description is what lets ``fwparity validate --rtl`` treat hand-written and generated firmware alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgument

if TYPE_CHECKING:
    from ..fixed import FixedType

__all__ = ["PortMap", "RtlDesign", "GeneratedRTL", "PROTOCOLS", "DEFAULT_SIGNALS"]

#: The handshakes the harness and the benches drive.
PROTOCOLS = ("valid", "ap_ctrl_hs", "axis")

#: Control-signal names per protocol (role -> HDL port). A manifest may rename any of them; an empty name
# means the
#: design has no such signal (``out_valid`` absent: outputs are sampled ``latency`` cycles after the input).
DEFAULT_SIGNALS: dict[str, dict[str, str]] = {
    "valid": {"clock": "clk", "reset": "rst", "in_valid": "in_valid", "out_valid": "out_valid"},
    "ap_ctrl_hs": {
        "clock": "ap_clk",
        "reset": "ap_rst",
        "ap_start": "ap_start",
        "ap_done": "ap_done",
        "ap_idle": "ap_idle",
        "ap_ready": "ap_ready",
    },
    "axis": {
        "clock": "clk",
        "reset": "rst",
        "s_tvalid": "s_axis_tvalid",
        "s_tready": "s_axis_tready",
        "s_tdata": "s_axis_tdata",
        "s_tlast": "s_axis_tlast",
        "m_tvalid": "m_axis_tvalid",
        "m_tready": "m_axis_tready",
        "m_tdata": "m_axis_tdata",
        "m_tlast": "m_axis_tlast",
    },
}


@dataclass(frozen=True)
class PortMap:
    """Where one model tensor sits in the design: HDL port, bit offset in it, shape and element type.

    Element ``k`` of the flattened (C-order) tensor occupies bits ``[offset + k*W, offset + (k+1)*W)`` of
    ``port``,
    W being ``type.width``. AXI-Stream designs pack several tensors into one ``tdata`` port at different
    offsets.
    """

    tensor: str
    port: str
    shape: tuple[int, ...]
    type: FixedType
    offset: int = 0

    @property
    def size(self) -> int:
        """Number of elements."""
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def width(self) -> int:
        """Bits the tensor occupies."""
        return self.size * self.type.width


@dataclass(frozen=True)
class RtlDesign:
    """An RTL design the batch harness and the cocotb benches can drive.

    Attributes
    ----------
    top
        Top module name.
    files
        Verilog sources, in compile order.
    protocol
        One of :data:`PROTOCOLS`.
    inputs, outputs
        Tensor placement (:class:`PortMap`), model inputs and model outputs.
    latency
        Cycles from accepting a vector to its result; ``None`` when the handshake alone says when (required
        by a
        ``valid`` design without an ``out_valid`` signal).
    ii
        Initiation interval: the harness offers one vector every ``ii`` cycles.
    signals
        Control-signal names (role -> HDL port), defaults from :data:`DEFAULT_SIGNALS`.
    reset_active_low
        Whether the reset port is active low.
    port_widths
        Width of every data port (HDL port -> bits); derived from the tensors when not given.
    """

    top: str
    files: tuple[Path, ...]
    protocol: str
    inputs: tuple[PortMap, ...]
    outputs: tuple[PortMap, ...]
    latency: int | None = None
    ii: int = 1
    signals: Mapping[str, str] = field(default_factory=dict)
    reset_active_low: bool = False
    port_widths: Mapping[str, int] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise InvalidArgument(
                f"Protocol {self.protocol!r} is not in supported list: {', '.join(PROTOCOLS)}"
            )
        if self.ii < 1:
            raise InvalidArgument(f"Initiation interval must be at least 1, not ii={self.ii!r}")
        if self.latency is not None and self.latency < 0:
            raise InvalidArgument(f"Latency must be non-negative, not latency={self.latency!r}")
        object.__setattr__(self, "files", tuple(Path(f) for f in self.files))
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "outputs", tuple(self.outputs))
        signals = {**DEFAULT_SIGNALS[self.protocol], **dict(self.signals)}
        object.__setattr__(self, "signals", signals)
        widths: dict[str, int] = {}
        for p in (*self.inputs, *self.outputs):
            widths[p.port] = max(widths.get(p.port, 0), p.offset + p.width)
        widths.update(dict(self.port_widths))
        object.__setattr__(self, "port_widths", widths)
        if self.protocol == "valid" and not signals.get("out_valid") and self.latency is None:
            raise InvalidArgument(
                f"Design {self.top!r} uses protocol 'valid' without an out_valid signal, "
                "so it needs a latency"
            )

    def data_ports(self, direction: str) -> list[str]:
        """HDL data ports of ``direction`` ("in" or "out"), in first-use order."""
        maps = self.inputs if direction == "in" else self.outputs
        seen: list[str] = []
        for p in maps:
            if p.port not in seen:
                seen.append(p.port)
        return seen


#: What :func:`fwparity.rtlsim.generate` returns; the same description as user RTL loaded from a manifest.
GeneratedRTL = RtlDesign
