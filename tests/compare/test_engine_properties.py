"""compare_bits against a slow, obviously-correct element-by-element loop written from the documented rules.

The loop is the oracle: plain Python ints, no numpy, one element at a time. Hypothesis draws the type (1 to
130 bits, signed or not, with SAT_SYM sometimes), the shape, and codes that cluster at the rails, at +-1 LSB
and one period (2**W) away, where the vectorised engine's int64/object paths and rule order are easiest to get
wrong.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from fwparity._backend import RunResult
from fwparity.compare import compare_bits
from fwparity.fixed import FixedType


def _oracle_class(e: int, a: int, t: FixedType) -> str:
    d = a - e
    if abs(d) == 1:
        return "rounding"
    if d % (1 << t.width) == 0:
        return "overflow"
    lo, hi = t.min_raw, t.max_raw
    lows = {lo} | ({lo + 1} if t.signed and t.width > 1 and t.overflow.name == "SAT_SYM" else set())
    for side, other in ((e, a), (a, e)):
        if side == hi and other >= lo:
            return "saturation"
        if side in lows and other <= hi:
            return "saturation"
    return "other"


def _oracle_xor(e: int, a: int, t: FixedType, width: int) -> int:
    mask = (1 << width) - 1
    return (e & mask) ^ (a & mask)


@st.composite
def _cases(draw):
    width = draw(st.integers(1, 130))
    signed = draw(st.booleans())
    overflow = draw(st.sampled_from(["AP_WRAP", "AP_SAT", "AP_SAT_SYM"]))
    t = FixedType(width, draw(st.integers(-4, width + 4)), signed=signed, overflow=overflow)
    n, m = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    lo, hi = t.min_raw, t.max_raw
    period = 1 << width

    def near(v: int) -> st.SearchStrategy[int]:
        return st.integers(-2, 2).map(lambda k: v + k)

    in_range = st.one_of(
        st.integers(lo, hi),
        near(lo).filter(lambda v: lo <= v <= hi),
        near(hi).filter(lambda v: lo <= v <= hi),
        st.just(0) if lo <= 0 <= hi else st.just(lo),
    )
    e = [[draw(in_range) for _ in range(m)] for _ in range(n)]

    def actual_of(v: int) -> st.SearchStrategy[int]:
        return st.one_of(
            st.just(v),
            near(v),
            st.integers(lo, hi),
            st.just(lo),
            st.just(hi),
            st.sampled_from([v + period, v - period, v + 2 * period]),  # out-of-range codes: a broken backend
        )

    a = [[draw(actual_of(v)) for v in row] for row in e]
    tol = draw(st.sampled_from([0, 0, 0, 1, 3]))
    return t, e, a, tol


def _array(rows: list[list[int]]) -> np.ndarray:
    if all(-(1 << 62) <= v < 1 << 62 for row in rows for v in row):
        return np.array(rows, dtype=np.int64)
    out = np.empty((len(rows), len(rows[0])), dtype=object)
    out[:] = rows
    return out


@given(_cases(), st.integers(0, 12))
def test_engine_matches_the_elementwise_oracle(case, max_listed):
    t, e, a, tol = case
    pair = compare_bits(
        RunResult("reference", {"y": _array(e)}),
        RunResult("csim", {"y": _array(a)}),
        output_types={"y": t},
        tolerance_lsb=tol,
        max_listed=max_listed,
    )
    expected = []
    within = 0
    for v, (erow, arow) in enumerate(zip(e, a, strict=True)):
        for i, (ev, av) in enumerate(zip(erow, arow, strict=True)):
            if ev == av:
                continue
            if abs(av - ev) <= tol:
                within += 1
                continue
            expected.append((v, i, ev, av, av - ev, _oracle_class(ev, av, t)))
    out = pair.outputs["y"]
    width = out.xor_width
    assert (pair.mismatched_elements, pair.within_tolerance) == (len(expected), within)
    assert pair.mismatched_vectors == len({x[0] for x in expected})
    assert pair.max_abs_lsb == max((abs(x[4]) for x in expected), default=0)
    assert pair.classes == {c: sum(x[5] == c for x in expected) for c in pair.classes}
    assert [
        (m.vector, m.index, m.expected_raw, m.actual_raw, m.delta_lsb, m.cls) for m in pair.mismatches
    ] == (expected[:max_listed])
    for m in pair.mismatches:
        assert m.xor_bits == _oracle_xor(m.expected_raw, m.actual_raw, t, width)
        assert m.highest_bit == m.xor_bits.bit_length() - 1
    # the XOR width holds every code: widened only when a code is out of range
    codes = [v for row in e + a for v in row]
    fits = all(t.min_raw <= v <= t.max_raw for v in codes)
    assert width == t.width if fits or not expected else width >= t.width
    flips = {}
    for _v, i, ev, av, _, _ in expected:
        x = _oracle_xor(ev, av, t, width)
        counts = flips.setdefault(i, [0] * width)
        for b in range(width):
            counts[b] += (x >> b) & 1
    assert out.bit_flips == flips
    assert sum(out.delta_histogram.values()) == len(expected)
