"""Wrap one library module in a registered ``valid`` top, so a layer can be simulated on its own.

Layer-by-layer tests drive each module through the same batch harness as a whole model: a bug in the harness
would
show up everywhere, and a bug in a module shows up in exactly one place.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ._design import PortMap, RtlDesign
from ._library import library_files

__all__ = ["wrap_module"]


def wrap_module(
    module: str,
    parameters: Mapping[str, Any],
    inputs: Sequence[PortMap],
    outputs: Sequence[PortMap],
    out_dir: str | os.PathLike[str],
    *,
    top: str | None = None,
) -> RtlDesign:
    """Write ``<top>.v`` instantiating library ``module`` with ``parameters``; outputs registered (latency 1).

    ``PortMap.port`` names the module's port; the wrapper's ports are ``in_<port>`` and ``out_<port>``.

    Examples
    --------
    >>> import tempfile
    >>> from fwparity.fixed import ap_fixed
    >>> from fwparity.rtlsim import PortMap
    >>> d = wrap_module("fwp_requant", {"OUT_W": 8, "OUT_F": 4},
    ...                 [PortMap("x", "din", (), ap_fixed(16, 6))],
    ...                 [PortMap("y", "dout", (), ap_fixed(8, 4))],
    ...                 tempfile.mkdtemp())
    >>> d.top, d.latency, [p.port for p in d.inputs]
    ('wrap_fwp_requant', 1, ['in_din'])
    """
    top = top or f"wrap_{module}"
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lib = library_files()
    files = []
    for name in sorted(lib):
        dst = out / lib[name].name
        shutil.copyfile(lib[name], dst)
        files.append(dst)
    widths_in = {p.port: p.width for p in inputs}
    widths_out = {p.port: p.width for p in outputs}
    decl = ["    input wire clk", "    input wire rst", "    input wire in_valid", "    output reg out_valid"]
    decl += [f"    input wire [{w - 1}:0] in_{p}" for p, w in widths_in.items()]
    decl += [f"    output reg [{w - 1}:0] out_{p}" for p, w in widths_out.items()]
    plist = ", ".join(f".{k}({v})" for k, v in parameters.items())
    body = [f"    wire [{w - 1}:0] c_{p};" for p, w in widths_out.items()]
    conns = [f".{p}(in_{p})" for p in widths_in] + [f".{p}(c_{p})" for p in widths_out]
    body.append(f"    {module} #({plist}) u_dut ({', '.join(conns)});")
    body.append("    always @(posedge clk) begin")
    body.append("        out_valid <= rst ? 1'b0 : in_valid;")
    body += [f"        out_{p} <= c_{p};" for p in widths_out]
    body.append("    end")
    top_file = out / f"{top}.v"
    top_file.write_text(f"module {top} (\n" + ",\n".join(decl) + "\n);\n" + "\n".join(body) + "\nendmodule\n")
    files.append(top_file)

    def rename(p: PortMap, prefix: str) -> PortMap:
        return PortMap(p.tensor, f"{prefix}{p.port}", p.shape, p.type, p.offset)

    return RtlDesign(
        top=top,
        files=tuple(files),
        protocol="valid",
        inputs=tuple(rename(p, "in_") for p in inputs),
        outputs=tuple(rename(p, "out_") for p in outputs),
        latency=1,
    )
