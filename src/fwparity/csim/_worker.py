"""Child process that owns one loaded csim library (run as a script by :mod:`fwparity.csim.runner`).

It is a script, not a module of the package, and it uses only the standard library (buffers are bytes, not
numpy arrays), so a worker starts in a few tens of milliseconds. A crash of the C++ (segfault, abort,
``exit(1)`` from a missing weights file, an endless loop) kills only this process. The library is loaded once
and serves every batch until the parent says stop.

Protocol over two pipes (``multiprocessing.connection.Connection`` on raw fds, pickled messages):
parent -> child ``("run", n, [input bytes], want_trace, directions)`` or ``("stop",)``; child -> parent first
``("ready", info)`` then ``("ok", rc, [output bytes], [trace bytes])`` per run. Buffers hold little-endian
int64 per element (W <= 63) or uint64 words (wider). The index of the vector being computed lives in an 8-byte
shared file mapping, which the parent reads after a crash.
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


def _buffer(n: int, info: list[int]) -> bytearray:
    """A zeroed raw buffer for n vectors of a port: 8 bytes per element, or per word when wide."""
    size, width = info[0], info[1]
    return bytearray(8 * n * size * (1 if width <= 63 else _nwords(width)))


def _pointers(buffers: list[bytearray]) -> Any:
    arr = (ctypes.c_void_p * max(1, len(buffers)))()
    for i, b in enumerate(buffers):
        if len(b):
            arr[i] = ctypes.addressof((ctypes.c_char * len(b)).from_buffer(b))
    return arr


class Loaded:
    """A loaded bridge library: its self-description and a raw-bit run call (shared by the worker and
    in-process use).
    """

    def __init__(self, lib: Any) -> None:
        self.lib = lib
        lib.fwp_port_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
        lib.fwp_trace_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
        lib.fwp_trace_name.restype = ctypes.c_char_p
        lib.fwp_run.argtypes = [
            ctypes.c_longlong,
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.fwp_run.restype = ctypes.c_int
        self.ports = [_describe(lib.fwp_port_info, k) for k in range(lib.fwp_n_ports())]
        self.traces = [
            (lib.fwp_trace_name(k).decode(), _describe(lib.fwp_trace_info, k))
            for k in range(lib.fwp_n_traces())
        ]
        self.abi = lib.fwp_abi_version()

    def info(self) -> dict[str, Any]:
        return {"abi": self.abi, "ports": self.ports, "traces": self.traces}

    def run(
        self, n: int, inputs: list[Any], want_trace: bool, directions: list[str], progress_ptr: int | None
    ) -> tuple[str, int, list[bytearray], list[bytearray]]:
        in_bufs = [b if isinstance(b, bytearray) else bytearray(b) for b in inputs]
        out_infos = [info for info, d in zip(self.ports, directions, strict=True) if d == "out"]
        outputs = [_buffer(n, info) for info in out_infos]
        trace_bufs = [_buffer(n, info) for _, info in self.traces] if want_trace else []
        tr_arr = _pointers(trace_bufs) if trace_bufs else None
        rc = self.lib.fwp_run(n, _pointers(in_bufs), _pointers(outputs), tr_arr, progress_ptr)
        return ("ok", rc, outputs, trace_bufs)


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when its parent dies (PR_SET_PDEATHSIG).

    Then a hung C++ loop cannot outlive a test run that was killed; elsewhere the closed pipe still ends an
    idle worker. (The signal follows the parent *thread*; a runner whose thread ended gets fresh workers on
    its next run.)
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def main(argv: list[str]) -> int:
    lib_path, progress_path, cmd_fd, res_fd = argv[1], argv[2], int(argv[3]), int(argv[4])
    if len(argv) > 5:
        _die_with_parent(int(argv[5]))
    from multiprocessing.connection import Connection

    cmd = Connection(cmd_fd, writable=False)
    res = Connection(res_fd, readable=False)
    try:
        loaded = Loaded(ctypes.CDLL(lib_path, mode=os.RTLD_LOCAL | os.RTLD_NOW))
    except Exception as exc:  # report, don't die silently: the parent turns it into SimulationError
        res.send(("error", f"{type(exc).__name__}: {exc}"))
        return 1
    res.send(("ready", loaded.info()))

    fd = os.open(progress_path, os.O_RDWR)
    progress_map = mmap.mmap(fd, 8)
    os.close(fd)
    progress = ctypes.c_longlong.from_buffer(progress_map)
    progress_ptr = ctypes.addressof(progress)

    while True:
        try:
            msg = cmd.recv()
        except EOFError:
            return 0
        if msg[0] == "stop":
            return 0
        _, n, inputs, want_trace, directions = msg
        progress.value = -1
        reply = loaded.run(n, inputs, want_trace, directions, progress_ptr)
        sys.stdout.flush()
        res.send(reply)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
