"""cocotb bench for fwparity designs: protocol drivers and monitors, a raw-integer scoreboard.

The runner glue (:mod:`fwparity.rtlsim.cocotb_runner`) writes a JSON job (``FWP_BENCH_JOB``): the protocol
and its
signal names, per-vector input port values, and the expected raw integers per output tensor. This bench
drives the
vectors under the protocol's handshake, collects each result when the handshake says so, compares raw integers
element by element and writes a JSON report (``FWP_BENCH_RESULT``) naming vector, output and element of every
mismatch. An output bit that is X or Z is its own mismatch class ("xz"): a 4-state simulator (Icarus) can
show it,
Verilator cannot.

Timing: inputs are driven on the falling edge, handshakes and outputs sampled in the ReadOnly phase after it,
and
transfers happen on the next rising edge, the same discipline as the Verilator batch harness.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly


def _sig(dut: Any, name: str) -> Any:
    return getattr(dut, name) if name else None


def _high(signal: Any) -> bool:
    """A 1-bit control signal is high (X/Z count as low: a handshake only fires on a clean 1)."""
    return str(signal.value) == "1"


class Scoreboard:
    """Compares collected port values against the expected raw integers, element by element."""

    def __init__(self, job: dict[str, Any]) -> None:
        self.outputs = job["outputs"]  # [{tensor, port, offset, width, size, signed, expected: [[int]]}]
        self.mismatches: list[dict[str, Any]] = []
        self.checked = 0

    def check(self, vector: int, ports: dict[str, Any]) -> None:
        for out in self.outputs:
            value = ports[out["port"]]
            w = out["width"]
            mask = (1 << w) - 1
            expected = [int(v) for v in out["expected"][vector]]
            if not value.is_resolvable:
                # Locate the unresolvable elements from the bit string (MSB first).
                bits = str(value)[::-1]
                for k in range(out["size"]):
                    chunk = bits[out["offset"] + k * w : out["offset"] + (k + 1) * w]
                    if any(c not in "01" for c in chunk):
                        self.mismatches.append(
                            {
                                "vector": vector,
                                "output": out["tensor"],
                                "index": k,
                                "expected_raw": expected[k],
                                "actual_raw": chunk[::-1],
                                "class": "xz",
                            }
                        )
                continue
            whole = value.to_unsigned()
            for k in range(out["size"]):
                raw = (whole >> (out["offset"] + k * w)) & mask
                if out["signed"] and raw >> (w - 1):
                    raw -= 1 << w
                if raw != expected[k]:
                    self.mismatches.append(
                        {
                            "vector": vector,
                            "output": out["tensor"],
                            "index": k,
                            "expected_raw": expected[k],
                            "actual_raw": raw,
                            "class": "value",
                        }
                    )
        self.checked += 1


@cocotb.test()
async def fwp_bench(dut: Any) -> None:
    """Drive every vector of the job through the design and score the results."""
    with open(os.environ["FWP_BENCH_JOB"]) as f:
        job = json.load(f)
    sig = job["signals"]
    proto = job["protocol"]
    n = len(job["inputs"])
    rng = random.Random(job.get("seed", 1))
    stall = int(job.get("stall_percent", 0))
    ii = int(job.get("ii", 1))
    latency = job.get("latency")
    idle_limit = int(job.get("idle_limit", 1000))
    board = Scoreboard(job)
    out_ports = sorted({o["port"] for o in job["outputs"]})

    clk = _sig(dut, sig["clock"])
    # Period in simulator steps: works whatever the precision (Icarus defaults to 1 s).
    cocotb.start_soon(Clock(clk, 2).start())
    rst = _sig(dut, sig.get("reset", ""))
    rst_on, rst_off = (0, 1) if job.get("reset_active_low") else (1, 0)

    def drive_inputs(vec: dict[str, int] | None) -> None:
        for port in job["in_ports"]:
            getattr(dut, port).value = int(vec[port]) if vec is not None else 0

    if proto == "valid":
        start, ready = _sig(dut, sig.get("in_valid", "")), None
        done = _sig(dut, sig.get("out_valid", ""))
    elif proto == "ap_ctrl_hs":
        start, ready, done = _sig(dut, sig["ap_start"]), _sig(dut, sig["ap_ready"]), _sig(dut, sig["ap_done"])
    else:
        start, ready = _sig(dut, sig["s_tvalid"]), _sig(dut, sig["s_tready"])
        done, out_ready = _sig(dut, sig["m_tvalid"]), _sig(dut, sig["m_tready"])
        if sig.get("s_tlast"):
            getattr(dut, sig["s_tlast"]).value = 1

    # Reset with idle inputs.
    if start is not None:
        start.value = 0
    drive_inputs(None)
    if proto == "axis":
        out_ready.value = 1
    if rst is not None:
        rst.value = rst_on
    for _ in range(4):
        await FallingEdge(clk)
    if rst is not None:
        rst.value = rst_off

    sent = got = cycle = idle = 0
    last_sent = -ii
    sent_cycle: list[int] = []
    while got < n:
        await FallingEdge(clk)
        offer = sent < n and cycle - last_sent >= ii
        if start is not None:
            start.value = int(offer)
        drive_inputs(job["inputs"][sent] if offer else None)
        take = True
        if proto == "axis":
            take = stall <= 0 or rng.randrange(100) >= stall
            out_ready.value = int(take)
        await ReadOnly()
        progress = False
        if done is not None:
            has_result = _high(done)
        else:
            has_result = got < len(sent_cycle) and cycle == sent_cycle[got] + int(latency)
        if has_result and take and got < sent:
            board.check(got, {p: getattr(dut, p).value for p in out_ports})
            got += 1
            progress = True
        accepted = offer and (ready is None or _high(ready))
        if accepted:
            sent_cycle.append(cycle)
            sent += 1
            last_sent = cycle
            progress = True
        cycle += 1
        idle = 0 if progress else idle + 1
        if idle > idle_limit:
            break

    report = {
        "vectors": n,
        "checked": board.checked,
        "cycles": cycle,
        "mismatches": board.mismatches[:1000],
        "mismatch_count": len(board.mismatches),
        "timeout_vector": got if got < n else None,
    }
    with open(os.environ["FWP_BENCH_RESULT"], "w") as f:
        json.dump(report, f)
    assert got == n, f"watchdog: no result for vector {got} of {n} after {idle_limit} idle cycles"
    assert not board.mismatches, f"{len(board.mismatches)} mismatching elements; first: {board.mismatches[0]}"
