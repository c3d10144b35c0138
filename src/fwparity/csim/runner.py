"""Crash-safe batched runner for csim libraries.

HLS C++ under test can segfault, abort, call ``exit(1)`` (hls4ml does when a weights file is missing) or loop
forever. Loading it into the Python process that is validating it would turn any of those into a dead pytest
run or CI job with no hint of which vector did it. So each library runs in worker processes (``_worker.py``,
started with the same interpreter, kept alive across batches so the library is loaded once), each batch is
split across the workers (default two: both cores; hls4ml tops keep static weight-loading flags, so threads
inside one process are not safe, processes are), and a dead or silent worker becomes a
:class:`~fwparity.errors.SimulationError` naming the batch, its vector range and the vector being computed.
The caller survives; the next run starts fresh workers.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidArgument, SimulationError
from .bridge import ABI_VERSION
from .build import CsimLibrary

__all__ = ["CsimRunner", "PortSpec", "CsimOutputs", "fixed_type_from_info"]

_Q_MODES = ("RND", "RND_ZERO", "RND_MIN_INF", "RND_INF", "RND_CONV", "TRN", "TRN_ZERO")
_O_MODES = ("SAT", "SAT_ZERO", "SAT_SYM", "WRAP", "WRAP_SM")
_WORKER = Path(__file__).with_name("_worker.py")


def fixed_type_from_info(info: Sequence[int]) -> Any:
    """FixedType from the compiler's description of a type (``fwp::describe``: size, W, I, S, Q, O, N,
    is_int).
    """
    from ..fixed import FixedType, Overflow, Quantization

    _, width, iwidth, signed, q, o, n, is_int = (int(v) for v in info)
    return FixedType(
        width,
        iwidth,
        signed=bool(signed),
        quantization=Quantization["" + _Q_MODES[q]],
        overflow=Overflow[_O_MODES[o]],
        sat_bits=n,
        is_int=bool(is_int),
    )


@dataclass(frozen=True)
class PortSpec:
    """A port or trace buffer as the compiled library describes it."""

    name: str
    direction: str
    size: int
    shape: tuple[int, ...]
    width: int
    signed: bool
    info: tuple[int, ...]

    @property
    def type(self) -> Any:
        return fixed_type_from_info(self.info)

    @property
    def frac_bits(self) -> int:
        return self.info[1] - self.info[2]

    @property
    def min_raw(self) -> int:
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def max_raw(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1


@dataclass
class CsimOutputs:
    """Raw outputs (name -> (N, *shape)) and, when traced, raw layer outputs (layer -> (N, size))."""

    outputs: dict[str, np.ndarray]
    trace: dict[str, np.ndarray]
    seconds: float


def _to_wire(raw: np.ndarray, spec: PortSpec, n: int) -> np.ndarray:
    """Raw values -> the bridge's buffer layout, refusing values the type cannot hold (they would wrap
    silently).
    """
    flat = np.asarray(raw).reshape(n, spec.size)
    if flat.dtype.kind not in "iuO":
        raise InvalidArgument(
            f"Input {spec.name!r} must hold raw integers, not dtype={str(flat.dtype)!r}; "
            "quantize floats first"
        )
    if flat.size:
        lo, hi = flat.min(), flat.max()
        if int(lo) < spec.min_raw or int(hi) > spec.max_raw:
            bad = int(lo) if int(lo) < spec.min_raw else int(hi)
            raise InvalidArgument(
                f"Input {spec.name!r} holds raw value {bad} outside [{spec.min_raw}, {spec.max_raw}] of its "
                f"{spec.width}-bit type"
            )
    if spec.width <= 63:
        return np.ascontiguousarray(flat, dtype=np.int64)
    words = (spec.width + 63) // 64
    mask = (1 << 64) - 1
    modulus = 1 << spec.width
    out = np.empty((n, spec.size, words), dtype=np.uint64)
    for idx, v in np.ndenumerate(flat):
        u = int(v) % modulus
        for k in range(words):
            out[idx + (k,)] = (u >> (64 * k)) & mask
    return out


def _from_wire(buf: np.ndarray, spec: PortSpec, n: int) -> np.ndarray:
    """The bridge's buffer layout -> raw values shaped (n, *shape): int64, or exact Python ints for W >=
    64.
    """
    if spec.width <= 63:
        return buf.reshape((n, *spec.shape))
    out = np.empty((n, spec.size), dtype=object)
    words = buf.shape[-1]
    sign = 1 << (spec.width - 1)
    for i in range(n):
        for e in range(spec.size):
            u = 0
            for k in range(words):
                u |= int(buf[i, e, k]) << (64 * k)
            if spec.signed and u & sign:
                u -= 1 << spec.width
            out[i, e] = u
    return out.reshape((n, *spec.shape))


class _Worker:
    """One child process holding the library. Internal to CsimRunner."""

    def __init__(self, lib_path: Path, tmpdir: Path, index: int) -> None:
        self.progress_path = tmpdir / f"progress{index}"
        self.progress_path.write_bytes(struct.pack("q", -1))
        self.log_path = tmpdir / f"worker{index}.log"
        cmd_r, cmd_w = os.pipe()
        res_r, res_w = os.pipe()
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-S",  # the worker needs only the standard library; skipping site saves start-up time
                    str(_WORKER),
                    str(lib_path),
                    str(self.progress_path),
                    str(cmd_r),
                    str(res_w),
                    str(os.getpid()),
                ],
                pass_fds=(cmd_r, res_w),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        os.close(cmd_r)
        os.close(res_w)
        self.cmd = Connection(cmd_w, readable=False)
        self.res = Connection(res_r, writable=False)
        fd = os.open(self.progress_path, os.O_RDONLY)
        try:
            self._progress = mmap.mmap(fd, 8, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)

    def progress(self) -> int:
        return int(struct.unpack("q", self._progress[:8])[0])

    def log_tail(self, lines: int = 12) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def receive(self, deadline: float) -> Any:
        """The next message, or raise _Dead/_Hung (the caller adds the batch context)."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Hung()
            if self.res.poll(min(remaining, 0.5)):
                try:
                    return self.res.recv()
                except (EOFError, OSError):
                    raise _Dead(self._wait_status()) from None
            if self.proc.poll() is not None:
                # died without a message: drain a last reply that may have raced with the exit
                if self.res.poll(0):
                    try:
                        return self.res.recv()
                    except (EOFError, OSError):
                        pass
                raise _Dead(self._wait_status())

    def _wait_status(self) -> str:
        try:
            rc = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "stopped answering"
        if rc < 0:
            try:
                return f"was killed by {signal.Signals(-rc).name}"
            except ValueError:
                return f"was killed by signal {-rc}"
        return f"exited with status {rc}"

    def close(self, *, kill: bool = False) -> None:
        if self.proc.poll() is None and not kill:
            try:
                self.cmd.send(("stop",))
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired, ValueError):
                kill = True
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for conn in (self.cmd, self.res):
            try:
                conn.close()
            except OSError:
                pass
        try:
            self._progress.close()
        except (BufferError, ValueError):
            pass


class _Dead(Exception):
    def __init__(self, status: str) -> None:
        self.status = status


class _Hung(Exception):
    pass


class CsimRunner:
    """Run a :class:`CsimLibrary` on raw-bit batches in crash-safe worker processes.

    Use it as a context manager (or call :meth:`close`): the workers stay alive between :meth:`run` calls, so
    the library is loaded, and an hls4ml top's weights are read, once.

    Parameters
    ----------
    library : CsimLibrary
        What :func:`build_csim_library` (or a wrapper of it) returned.
    workers : int
        Worker processes; a batch is split evenly across them. Default 2 (both cores of a CI runner). ``0``
        loads the library into this process instead (private ``RTLD_LOCAL`` copy): lowest latency for small
        batches, but a crash of the C++ then takes the caller down with it.
    timeout : float
        Seconds one batch may take before the workers are killed and the batch is reported as hung.
    """

    def __init__(self, library: CsimLibrary, *, workers: int = 2, timeout: float = 600.0) -> None:
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 0:
            raise InvalidArgument(f"workers must be a non-negative integer, not workers={workers!r}")
        if not timeout > 0:
            raise InvalidArgument(f"timeout must be positive, not timeout={timeout!r}")
        self.library = library
        self.n_workers = workers
        self.timeout = float(timeout)
        self._tmp = tempfile.TemporaryDirectory(prefix="fwparity-csim-")
        self._workers: list[_Worker] = []
        self._ports: list[PortSpec] | None = None
        self._traces: list[PortSpec] | None = None
        self._spawned = 0
        self._local: Any = None
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------------------------------
    def __enter__(self) -> CsimRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers and remove their scratch files."""
        for w in self._workers:
            w.close()
        self._workers = []
        self._local = None
        self._closed = True
        self._tmp.cleanup()

    def _kill_all(self) -> None:
        for w in self._workers:
            w.close(kill=True)
        self._workers = []

    def _ensure_workers(self) -> None:
        if self._closed:
            raise InvalidArgument(f"This CsimRunner for {self.library.path.name} is closed; create a new one")
        if self.n_workers == 0:
            if self._local is None:
                from .. import _build
                from ._worker import Loaded

                self._local = Loaded(_build.load_library(self.library.path))
                self._describe(self._local.info())
            return
        # a worker that died between batches (killed, out of memory) is replaced rather than written to
        for w in [w for w in self._workers if w.proc.poll() is not None]:
            w.close(kill=True)
            self._workers.remove(w)
        # start every missing worker first, then wait for them: the interpreter start-ups overlap
        fresh = []
        while len(self._workers) < self.n_workers:
            self._spawned += 1
            w = _Worker(self.library.path, Path(self._tmp.name), self._spawned)
            self._workers.append(w)
            fresh.append(w)
        deadline = time.monotonic() + max(60.0, self.timeout)
        for w in fresh:
            try:
                msg = w.receive(deadline)
            except (_Dead, _Hung) as exc:
                tail = w.log_tail()
                self._kill_all()
                status = exc.status if isinstance(exc, _Dead) else "did not start in time"
                raise SimulationError(
                    f"csim worker for {self.library.path.name} {status} while loading the library"
                    + (f":\n{tail}" if tail else "")
                ) from None
            if msg[0] != "ready":
                self._kill_all()
                raise SimulationError(f"csim worker could not load {str(self.library.path)!r}: {msg[1]}")
            self._describe(msg[1])

    def _describe(self, info: dict[str, Any]) -> None:
        if self._ports is not None:
            return
        if info["abi"] != ABI_VERSION:
            raise SimulationError(
                f"Library {str(self.library.path)!r} has bridge ABI {info['abi']}, expected {ABI_VERSION}"
            )
        sig_args = self.library.signature.args
        ports = []
        for p, raw in zip(sig_args, info["ports"], strict=True):
            if raw[0] != p.size:
                raise SimulationError(
                    f"Port {p.name!r} has {raw[0]} elements in the compiled top but size={p.size} in the "
                    f"signature"
                )
            ports.append(PortSpec(p.name, p.direction, p.size, p.shape, raw[1], bool(raw[3]), tuple(raw)))
        self._ports = ports
        self._traces = [
            PortSpec(name, "trace", raw[0], (raw[0],), raw[1], bool(raw[3]), tuple(raw))
            for name, raw in info["traces"]
        ]

    @property
    def ports(self) -> list[PortSpec]:
        """Ports as compiled (starts the workers on first use)."""
        if self._ports is None:
            self._ensure_workers()
        assert self._ports is not None
        return self._ports

    @property
    def trace_points(self) -> list[PortSpec]:
        """Trace buffers the library offers (empty unless built from an instrumented top)."""
        if self._traces is None:
            self._ensure_workers()
        assert self._traces is not None
        return self._traces

    # -- running ---------------------------------------------------------------------------------------------
    def run(
        self,
        inputs: Mapping[str, np.ndarray] | Sequence[np.ndarray] | np.ndarray,
        *,
        trace: bool = False,
        batch_size: int | None = None,
    ) -> CsimOutputs:
        """Run every vector of ``inputs`` (raw integers, batch axis first) and return raw outputs.

        ``inputs`` is a mapping by input name, a sequence in argument order, or a single array for a one-input
        top. ``batch_size`` bounds how many vectors cross to the workers at once (default: all); batch numbers
        in error messages count from 0.
        """
        t0 = time.perf_counter()
        ports = self.ports
        in_ports = [p for p in ports if p.direction == "in"]
        out_ports = [p for p in ports if p.direction == "out"]
        arrays = self._inputs_by_port(inputs, in_ports)
        n = int(np.asarray(arrays[0]).shape[0]) if in_ports else 0
        for p, a in zip(in_ports, arrays, strict=True):
            a = np.asarray(a)
            if a.shape[0] != n or int(np.prod(a.shape[1:], dtype=np.int64)) != p.size:
                raise InvalidArgument(
                    f"Input {p.name!r} has shape {a.shape!r}; expected ({n}, {', '.join(map(str, p.shape))})"
                )
        wire = [_to_wire(np.asarray(a), p, n) for p, a in zip(in_ports, arrays, strict=True)]
        if batch_size is None:
            batch_size = max(n, 1)
        if not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidArgument(f"batch_size must be a positive integer, not batch_size={batch_size!r}")
        directions = [p.direction for p in ports]
        out_parts: list[list[np.ndarray]] = [[] for _ in out_ports]
        trace_parts: list[list[np.ndarray]] = [[] for _ in self.trace_points]
        for b, start in enumerate(range(0, n, batch_size)):
            stop = min(n, start + batch_size)
            outs, traces = self._run_batch(b, start, stop, wire, trace, directions)
            for k, o in enumerate(outs):
                out_parts[k].append(o)
            for k, t in enumerate(traces):
                trace_parts[k].append(t)
        outputs = {}
        for p, parts in zip(out_ports, out_parts, strict=True):
            buf = np.concatenate(parts) if parts else _empty(p)
            outputs[p.name] = _from_wire(buf, p, n)
        traced = {}
        if trace:
            for p, parts in zip(self.trace_points, trace_parts, strict=True):
                buf = np.concatenate(parts) if parts else _empty(p)
                traced[p.name] = _from_wire(buf, p, n)
        return CsimOutputs(outputs, traced, time.perf_counter() - t0)

    @staticmethod
    def _inputs_by_port(inputs: Any, in_ports: list[PortSpec]) -> list[Any]:
        if isinstance(inputs, Mapping):
            missing = [p.name for p in in_ports if p.name not in inputs]
            extra = sorted(set(inputs) - {p.name for p in in_ports})
            if missing or extra:
                raise InvalidArgument(
                    f"inputs has keys {sorted(inputs)!r}; the top expects {[p.name for p in in_ports]!r}"
                )
            return [inputs[p.name] for p in in_ports]
        if isinstance(inputs, np.ndarray):
            inputs = [inputs]
        inputs = list(inputs)
        if len(inputs) != len(in_ports):
            raise InvalidArgument(f"Got {len(inputs)} input arrays; the top has {len(in_ports)} inputs")
        return inputs

    def _run_batch(
        self, b: int, start: int, stop: int, wire: list[np.ndarray], trace: bool, directions: list[str]
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        self._ensure_workers()
        if self._local is not None:
            progress = ctypes.c_longlong(-1)
            inputs = [a[start:stop].tobytes() for a in wire]
            msg = self._local.run(stop - start, inputs, trace, directions, ctypes.addressof(progress))
            if msg[1] != 0:
                self._stream_error(msg[1], b, start, stop, start + progress.value)
            return self._arrays(msg[2], stop - start, False), self._arrays(msg[3], stop - start, True)
        n = stop - start
        k = min(len(self._workers), max(1, n))
        bounds = [start + (n * i) // k for i in range(k + 1)]
        deadline = time.monotonic() + self.timeout
        sent = []
        for i in range(k):
            lo, hi = bounds[i], bounds[i + 1]
            w = self._workers[i]
            try:
                w.cmd.send(("run", hi - lo, [a[lo:hi].tobytes() for a in wire], trace, directions))
            except OSError as exc:  # it died after the liveness check above
                self._kill_all()
                raise SimulationError(
                    f"csim worker could not be sent batch {b} (vectors {start}..{stop - 1}): {exc}"
                ) from None
            sent.append((w, lo, hi))
        results = []
        for w, lo, hi in sent:
            try:
                msg = w.receive(deadline)
            except _Dead as exc:
                at = w.progress()
                tail = w.log_tail()
                self._kill_all()
                where = f" at vector {lo + at}" if 0 <= at < hi - lo else ""
                raise SimulationError(
                    f"csim worker {exc.status} in batch {b} (vectors {start}..{stop - 1}){where}"
                    + (f"; its output ends with:\n{tail}" if tail else "")
                ) from None
            except _Hung:
                at = w.progress()
                self._kill_all()
                where = f", stuck at vector {lo + at}" if 0 <= at < hi - lo else ""
                raise SimulationError(
                    f"csim timed out after {self.timeout:g} s in batch {b} (vectors "
                    f"{start}..{stop - 1}){where}"
                ) from None
            if msg[1] != 0:
                self._stream_error(msg[1], b, start, stop, lo + w.progress())
            results.append((self._arrays(msg[2], hi - lo, False), self._arrays(msg[3], hi - lo, True)))
        outs = [np.concatenate([r[0][j] for r in results]) for j in range(len(results[0][0]))]
        traces = [np.concatenate([r[1][j] for r in results]) for j in range(len(results[0][1]))]
        return outs, traces

    def _stream_error(self, rc: int, b: int, start: int, stop: int, vector: int) -> None:
        port = self.ports[(rc - 1) // 2]
        what = "fewer" if (rc - 1) % 2 == 0 else "more"
        raise SimulationError(
            f"Output stream {port.name!r} held {what} than {port.size} elements after vector {vector} in "
            f"batch {b} (vectors {start}..{stop - 1})"
        )

    def _arrays(self, buffers: list[bytearray], n: int, traces: bool) -> list[np.ndarray]:
        """Raw buffers from the bridge -> (n, size) int64 or (n, size, words) uint64 arrays (no copy)."""
        if traces and not buffers:  # not traced this run
            return []
        specs = self.trace_points if traces else [p for p in self.ports if p.direction == "out"]
        out: list[np.ndarray] = []
        for spec, buf in zip(specs, buffers, strict=True):
            if spec.width <= 63:
                out.append(np.frombuffer(buf, dtype="<i8").reshape(n, spec.size))
            else:
                out.append(np.frombuffer(buf, dtype="<u8").reshape(n, spec.size, (spec.width + 63) // 64))
        return out


def _empty(p: PortSpec) -> np.ndarray:
    if p.width <= 63:
        return np.zeros((0, p.size), dtype=np.int64)
    return np.zeros((0, p.size, (p.width + 63) // 64), dtype=np.uint64)
