"""Child process that owns one loaded csim library (run as a script by :mod:`fwparity.csim.runner`).

It is a script, not a module of the package, so starting it imports only numpy and the standard library (fast
spawns), and a crash of the C++ (segfault, abort, ``exit(1)`` from a missing weights file, an endless loop) kills
only this process. The library is loaded once and serves every batch until the parent says stop.

Protocol over two pipes (``multiprocessing.connection.Connection`` on raw fds, pickled messages):
parent -> child ``("run", n, [input buffers], want_trace)`` or ``("stop",)``; child -> parent first
``("ready", info)`` then ``("ok", [output buffers], [trace buffers or None])`` per run. The index of the vector being
computed lives in an 8-byte shared file mapping, which the parent reads after a crash.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import sys
from typing import Any


def _nwords(width: int) -> int:
    return (width + 63) // 64


def _describe(fn: Any, k: int) -> list[int]:
    info = (ctypes.c_longlong * 8)()
    fn(k, info)
    return list(info)


def _buffer(np: Any, n: int, info: list[int]) -> Any:
    size, width = info[0], info[1]
    if width <= 63:
        return np.zeros((n, size), dtype=np.int64)
    return np.zeros((n, size, _nwords(width)), dtype=np.uint64)


def main(argv: list[str]) -> int:
    lib_path, progress_path, cmd_fd, res_fd = argv[1], argv[2], int(argv[3]), int(argv[4])
    from multiprocessing.connection import Connection

    import numpy as np

    cmd = Connection(cmd_fd, writable=False)
    res = Connection(res_fd, readable=False)
    try:
        lib = ctypes.CDLL(lib_path, mode=os.RTLD_LOCAL if hasattr(os, "RTLD_LOCAL") else 0)
        lib.fwp_port_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
        lib.fwp_trace_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
        lib.fwp_trace_name.restype = ctypes.c_char_p
        lib.fwp_run.argtypes = [ctypes.c_longlong, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        lib.fwp_run.restype = ctypes.c_int
        ports = [_describe(lib.fwp_port_info, k) for k in range(lib.fwp_n_ports())]
        traces = [
            (lib.fwp_trace_name(k).decode(), _describe(lib.fwp_trace_info, k)) for k in range(lib.fwp_n_traces())
        ]
        abi = lib.fwp_abi_version()
    except Exception as exc:  # report, don't die silently: the parent turns it into SimulationError
        res.send(("error", f"{type(exc).__name__}: {exc}"))
        return 1
    res.send(("ready", {"abi": abi, "ports": ports, "traces": traces}))

    fd = os.open(progress_path, os.O_RDWR)
    progress_map = mmap.mmap(fd, 8)
    os.close(fd)
    progress = ctypes.c_longlong.from_buffer(progress_map)
    progress_ptr = ctypes.addressof(progress)
    directions = None

    while True:
        try:
            msg = cmd.recv()
        except EOFError:
            return 0
        if msg[0] == "stop":
            return 0
        _, n, inputs, want_trace, directions = msg
        out_infos = [info for info, d in zip(ports, directions) if d == "out"]
        outputs = [_buffer(np, n, info) for info in out_infos]
        in_arr = (ctypes.c_void_p * max(1, len(inputs)))(*[a.ctypes.data for a in inputs])
        out_arr = (ctypes.c_void_p * max(1, len(outputs)))(*[a.ctypes.data for a in outputs])
        trace_bufs = [_buffer(np, n, info) for _, info in traces] if want_trace else []
        tr_arr = (ctypes.c_void_p * max(1, len(traces)))(*[a.ctypes.data for a in trace_bufs]) if trace_bufs else None
        progress.value = -1
        sys.stdout.flush()
        rc = lib.fwp_run(n, in_arr, out_arr, tr_arr, progress_ptr)
        sys.stdout.flush()
        res.send(("ok", rc, outputs, trace_bufs))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
