"""``fwparity selftest``: compare fwparity.fixed with the real ap_types headers, compiled on this machine.

Everything fwparity proves rests on :mod:`fwparity.fixed` being bit-exact with ``ap_fixed``. The test suite
checks that in CI, but the headers a user's firmware is built with may differ (a Vitis release, a patched
copy), so the same comparison ships as a command: it compiles the user's headers (``--hls-include``) through
the build cache, pushes biased random values through both sides and prints one table per mode family.

The generators here (:func:`type_pool`, :func:`float_values`, :func:`raw_values` ...) are shared with
``tests/fixed/test_oracle.py``, so the command and the test suite probe the same corners: exact ties at the
target LSB, range edges +-1 LSB, +-0, NaN of both signs, +-inf, subnormals, huge values and random bit
patterns.
"""

from __future__ import annotations

import math
import os
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidArgument
from . import _oracle

__all__ = [
    "Check",
    "Mismatch",
    "type_pool",
    "random_type",
    "float_values",
    "raw_values",
    "check_from_float",
    "check_cast",
    "check_binary",
    "run_selftest",
]


# ------------------------------------------------------------------------------------------------------------
# Types
# ------------------------------------------------------------------------------------------------------------


def _fixed() -> Any:
    from fwparity import fixed  # deferred: this module is imported by the CLI before numpy work starts

    return fixed


def random_type(
    rng: np.random.Generator,
    *,
    quantization: Any = None,
    overflow: Any = None,
    signed: bool | None = None,
    max_width: int = 128,
) -> Any:
    """Draw one FixedType: widths biased to small ones and to the 63/64/65 word boundary, ``I`` in [-W, 2W+5],
    ``N`` in {0, 1, 2, W}; ``quantization``/``overflow``/``signed`` are drawn unless given."""
    fx = _fixed()
    Q, Ov = fx.Quantization, fx.Overflow
    roll = rng.random()
    if roll < 0.45 or max_width <= 17:
        width = int(rng.integers(1, min(17, max_width + 1)))
    elif roll < 0.65 or max_width < 63:
        width = int(rng.integers(17, min(63, max_width + 1)))
    elif roll < 0.85 or max_width <= 66:
        width = min(int(rng.choice([63, 64, 65])), max_width)
    else:
        width = int(rng.integers(66, max_width + 1))
    if signed is None:
        signed = bool(rng.random() < 0.6) if overflow is not Ov.WRAP_SM else True
    if quantization is None:
        quantization = list(Q)[int(rng.integers(len(Q)))]
    if overflow is None:
        choices = [o for o in Ov if signed or o is not Ov.WRAP_SM]
        overflow = choices[int(rng.integers(len(choices)))]
    # I mostly in [0, W] (the usual case), sometimes outside it (F > W or F < 0 are legal and have their own
    # paths).
    if rng.random() < 0.6:
        int_bits = int(rng.integers(0, width + 1))
    else:
        int_bits = int(rng.integers(-width, 2 * width + 6))
    sat_bits = int(rng.choice([0, 0, 1, 2, width]))
    sat_bits = min(sat_bits, width)
    return fx.FixedType(
        width, int_bits, signed=signed, quantization=quantization, overflow=overflow, sat_bits=sat_bits
    )


def _int_type(width: int, signed: bool) -> Any:
    fx = _fixed()
    return fx.FixedType(width, width, signed=signed, is_int=True)


def type_pool(
    seed: int, *, per_mode: int = 2, extra: int = 0, int_widths: Sequence[int] = (1, 8, 33, 64, 65)
) -> list:
    """A deterministic list of types covering every (Q, O) combination.

    Each combination appears ``per_mode`` times (the first signed, the second unsigned unless the mode is
    AP_WRAP_SM), then come ``extra`` fully random types and ``ap_int``/``ap_uint`` of ``int_widths``. The same
    seed gives the same list, hence the same cached build.
    """
    fx = _fixed()
    rng = np.random.default_rng(seed)
    pool: list[Any] = []
    for q in fx.Quantization:
        for o in fx.Overflow:
            for k in range(per_mode):
                signed = True if (k % 2 == 0 or o is fx.Overflow.WRAP_SM) else False
                pool.append(random_type(rng, quantization=q, overflow=o, signed=signed))
    pool += [random_type(rng) for _ in range(extra)]
    pool += [_int_type(w, s) for w in int_widths for s in (True, False)]
    return list(dict.fromkeys(pool))


# ------------------------------------------------------------------------------------------------------------
# Values
# ------------------------------------------------------------------------------------------------------------

_SPECIALS = np.array(
    [
        0.0,
        -0.0,
        math.nan,
        -math.nan,
        math.inf,
        -math.inf,
        5e-324,
        -5e-324,
        2.2250738585072014e-308,
        -2.2250738585072014e-308,
        1.5e-310,
        -1.5e-310,
        1e300,
        -1e300,
        2.0**64 + 2.0**12,
        -(2.0**64 + 2.0**12),
        2.0**63,
        -(2.0**63),
        1.7976931348623157e308,
        -1.7976931348623157e308,
        0.5,
        -0.5,
        0.3,
        -0.3,
        -0.49,
        -1e-300,
        1.0,
        -1.0,
        2.7,
        -2.7,
    ],
    dtype=np.float64,
)


def _random_ints(rng: np.random.Generator, lo: int, hi: int, n: int) -> list[int]:
    """n uniform Python ints in [lo, hi] (any size)."""
    span = hi - lo + 1
    if span <= 1 << 62:
        return [lo + int(v) for v in rng.integers(0, span, size=n, dtype=np.int64)]
    bits = span.bit_length() + 8
    words = (bits + 63) // 64
    raw = rng.integers(0, 1 << 63, size=(n, words), dtype=np.int64).tolist()
    out = []
    for row in raw:
        v = 0
        for w in row:
            v = (v << 63) | int(w)
        out.append(lo + v % span)
    return out


def _ldexp_list(mantissas: Iterable[int], exponent: int) -> np.ndarray:
    """``m * 2**exponent`` as doubles; exact while |m| < 2**53, else the nearest double (still a probe)."""
    out = []
    for m in mantissas:
        try:
            out.append(math.ldexp(float(m), exponent))
        except OverflowError:
            out.append(math.copysign(math.inf, m))
    return np.array(out, dtype=np.float64)


def float_values(t: Any, rng: np.random.Generator, n: int) -> np.ndarray:
    """About ``n`` doubles that probe type ``t``.

    Always the special values and the range edges +-1 LSB and +-1/2 LSB; the rest is a random mix of exact
    ties and quarter points at t's LSB, values spread over t's range, log-uniform magnitudes over the whole
    double range and random bit patterns (NaN payloads included).
    """
    f = t.frac_bits
    lo, hi = t.min_raw, t.max_raw
    share = max(1, n // 6 + 1)
    ks = _random_ints(rng, lo - 4, hi + 4, share)
    ties = _ldexp_list((2 * k + 1 for k in ks), -f - 1)
    quarters = _ldexp_list((4 * k + int(rng.choice([1, 3])) for k in ks), -f - 2)
    edge_ks = [lo, lo + 1, lo - 1, hi, hi - 1, hi + 1, 0, 1, -1, 2 * lo, 2 * hi + 2]
    edges = np.concatenate(
        [
            _ldexp_list(edge_ks, -f),
            _ldexp_list((2 * k + 1 for k in edge_ks), -f - 1),
            _ldexp_list((2 * k - 1 for k in edge_ks), -f - 1),
        ]
    )
    inside = _ldexp_list(ks, -f) + np.ldexp(rng.random(share), -f)
    scale = math.ldexp(1.0, min(t.int_bits, 1000))
    spread = rng.uniform(-4.0, 4.0, share) * scale
    mags = np.ldexp(rng.random(share) + 0.5, rng.integers(-1074, 1024, share).astype(np.int32))
    mags *= rng.choice([-1.0, 1.0], share)
    bits = rng.integers(0, 2**63, share, dtype=np.int64).view(np.uint64) | (
        rng.integers(0, 2, share).astype(np.uint64) << np.uint64(63)
    )
    patterns = bits.view(np.float64)
    base = np.concatenate([_SPECIALS, edges])
    rest = np.concatenate([ties, quarters, inside, spread, mags, patterns])
    take = max(0, n - len(base))
    return np.concatenate([base, rng.permutation(rest)[:take]]).astype(np.float64)


def raw_values(
    t: Any, rng: np.random.Generator, n: int, *, tie_shift: int = 0, nonzero: bool = False
) -> np.ndarray:
    """About ``n`` raw codes of ``t``: the edges (min, max, 0, +-1) and uniform codes.

    With ``tie_shift = s > 0`` a quarter of them are exact ties ``k*2**s + 2**(s-1)`` for a cast that drops
    ``s`` fractional bits.
    """
    lo, hi = t.min_raw, t.max_raw
    edges = [v for v in (lo, lo + 1, hi, hi - 1, 0, 1, -1, 2, -2) if lo <= v <= hi]
    codes = edges + _random_ints(rng, lo, hi, max(0, n - len(edges)))
    if tie_shift > 0:
        half = 1 << (tie_shift - 1)
        for i in range(len(edges), len(codes), 4):
            v = (codes[i] >> tie_shift << tie_shift) + half
            codes[i] = v if lo <= v <= hi else codes[i]
    if nonzero:
        codes = [v if v != 0 else (1 if hi >= 1 else -1) for v in codes]
    codes = codes[: max(n, 1)] if len(codes) > n else codes
    return np.array(codes, dtype=t.dtype)


# ------------------------------------------------------------------------------------------------------------
# Checks
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch:
    """One disagreement between fwparity.fixed and the compiled headers, with what reproduces it."""

    operation: str  # C++ spelling: "ap_fixed<8,3,AP_RND> v = 0x1.8p-3"
    expected_raw: int  # what the headers computed
    actual_raw: int | None  # what fwparity.fixed computed (None: it raised)

    def __str__(self) -> str:
        actual = "raised" if self.actual_raw is None else self.actual_raw
        return f"{self.operation}: headers raw {self.expected_raw}, fwparity raw {actual}"


@dataclass
class Check:
    """The result of comparing one operation over a batch."""

    family: str  # "from_float", "cast", "binary"
    dst: Any
    pairs: int
    mismatches: int = 0
    examples: list[Mismatch] = field(default_factory=list)  # the first few mismatches
    label: str = ""  # grouping key within a table (operator, cast direction)
    error: str = ""  # fwparity raised instead of returning

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.error


def _compare(
    family: str,
    dst: Any,
    label: str,
    expected: np.ndarray,
    compute: Callable[[], Any],
    describe: Callable[[int], str],
    max_listed: int,
) -> Check:
    n = len(expected)
    try:
        actual = np.asarray(compute())
    except Exception as exc:  # a crash in fwparity is a finding, reported like a mismatch of the whole batch
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return Check(
            family,
            dst,
            n,
            n,
            [Mismatch(describe(0), int(expected[0]), None)],
            label,
            f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})",
        )
    if actual.shape != expected.shape:
        return Check(
            family, dst, n, n, [], label, f"fwparity returned shape {actual.shape}, expected {expected.shape}"
        )
    if expected.dtype == object or actual.dtype == object:
        bad = [
            i
            for i, (e, a) in enumerate(zip(expected.tolist(), actual.tolist(), strict=True))
            if int(e) != int(a)
        ]
    else:
        bad = np.flatnonzero(expected != actual).tolist()
    examples = [Mismatch(describe(i), int(expected[i]), int(actual[i])) for i in bad[:max_listed]]
    return Check(family, dst, n, len(bad), examples, label)


def _double(x: float) -> str:
    """A double, exactly: hex-float notation, and the bit pattern for a NaN (its sign and payload matter)."""
    x = float(x)
    if math.isnan(x):
        return f"nan(bits 0x{np.array(x).view(np.uint64).item():016x})"
    return x.hex()


def check_from_float(oracle: _oracle.Oracle, t: Any, values: np.ndarray, *, max_listed: int = 10) -> Check:
    """``T v = x`` in both: the headers' conversion against ``t.from_float``."""
    values = np.asarray(values, dtype=np.float64)
    expected = oracle.from_float(t, values)
    return _compare(
        "from_float",
        t,
        "",
        expected,
        lambda: t.from_float(values),
        lambda i: f"{t} v = {_double(values[i])}",
        max_listed,
    )


def check_cast(oracle: _oracle.Oracle, raw: np.ndarray, src: Any, dst: Any, *, max_listed: int = 10) -> Check:
    """``T dst = src`` in both: the headers' assignment against ``dst.cast(raw, src)``."""
    expected = oracle.cast(raw, src, dst)
    return _compare(
        "cast",
        dst,
        _cast_label(src, dst),
        expected,
        lambda: dst.cast(raw, src),
        lambda i: f"{dst} d = {src}(raw {int(raw[i])})",
        max_listed,
    )


_ARITH = {"+": "add", "-": "sub", "*": "mul", "/": "div"}


def check_binary(
    oracle: _oracle.Oracle,
    op: str,
    a: np.ndarray,
    a_t: Any,
    b: np.ndarray,
    b_t: Any,
    dst: Any,
    *,
    max_listed: int = 10,
) -> Check:
    """``T d = a op b`` in both: the headers against fwparity's exact operator followed by ``dst.cast``."""
    fx = _fixed()
    expected = oracle.binary(op, a, a_t, b, b_t, dst)

    def compute() -> np.ndarray:
        raw, rt = getattr(fx, _ARITH[op])(a, a_t, b, b_t)
        return dst.cast(raw, rt)

    return _compare(
        "binary",
        dst,
        op,
        expected,
        compute,
        lambda i: f"{dst} d = {a_t}(raw {int(a[i])}) {op} {b_t}(raw {int(b[i])})",
        max_listed,
    )


def _cast_label(src: Any, dst: Any) -> str:
    if dst.is_int:
        return "to ap_int / ap_uint"
    if dst.frac_bits < src.frac_bits:
        return "drops fractional bits"
    if dst.width - dst.frac_bits < src.width - src.frac_bits:
        return "drops integer bits"
    return "widening"


# ------------------------------------------------------------------------------------------------------------
# The command
# ------------------------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    conversions: list[Any]
    casts: list[tuple[Any, Any]]
    binops: list[tuple[str, Any, Any, Any]]


def selftest_plan(seed: int) -> _Plan:
    """The types ``fwparity selftest --seed S`` compiles.

    Every (Q, O) combination as a conversion target (signed and unsigned) and as a cast target, casts to
    ap_int/ap_uint, and each operator into a few random targets: about 135 kernels, ~30 CPU-seconds of g++.
    """
    fx = _fixed()
    rng = np.random.default_rng([seed, 1])
    conversions = type_pool(seed, per_mode=2, int_widths=(8, 65))
    casts = []
    for q in fx.Quantization:
        for o in fx.Overflow:
            src = random_type(rng, max_width=96)
            casts.append((src, random_type(rng, quantization=q, overflow=o, max_width=96)))
    for width, signed in ((8, True), (65, False)):  # assignment to ap_int truncates toward zero, not floor
        casts.append((random_type(rng, max_width=96), _int_type(width, signed)))
    binops = []
    for op in _oracle.OPS:
        for _ in range(6):
            a, b = random_type(rng, max_width=48), random_type(rng, max_width=48)
            binops.append((op, a, b, random_type(rng, max_width=64)))
    return _Plan(conversions, casts, binops)


def _run_checks(oracle: _oracle.Oracle, plan: _Plan, samples: int, seed: int) -> list[Check]:
    rng = np.random.default_rng([seed, 2])
    per_conv = max(1, samples // len(plan.conversions))
    per_cast = max(1, samples // len(plan.casts))
    per_bin = max(1, samples // len(plan.binops))
    checks = [check_from_float(oracle, t, float_values(t, rng, per_conv)) for t in plan.conversions]
    for src, dst in plan.casts:
        raw = raw_values(src, rng, per_cast, tie_shift=src.frac_bits - dst.frac_bits)
        checks.append(check_cast(oracle, raw, src, dst))
    for op, a_t, b_t, dst in plan.binops:
        a = raw_values(a_t, rng, per_bin)
        b = raw_values(b_t, rng, per_bin, nonzero=(op == "/"))
        checks.append(check_binary(oracle, op, a, a_t, b, b_t, dst))
    return checks


def _table_rows(
    checks: Sequence[Check], key: Callable[[Check], str | None], order: Sequence[str]
) -> list[tuple]:
    rows: dict[str, list[int]] = {name: [0, 0, 0] for name in order}
    for c in checks:
        name = key(c)
        if name is None:
            continue
        row = rows.setdefault(name, [0, 0, 0])
        row[0] += 1
        row[1] += c.pairs
        row[2] += c.mismatches
    return [(name, *vals) for name, vals in rows.items() if vals[0]]


def run_selftest(
    *,
    hls_include: str | os.PathLike[str] | None = None,
    samples: int = 20000,
    seed: int = 0,
    console: Any = None,
) -> int:
    """Compile the ap_types headers, compare fwparity.fixed with them and print the tables.

    Parameters
    ----------
    hls_include
        Directory holding ``ap_fixed.h`` (a Vitis install's ``include``); default: ``$XILINX_HLS/include`` or
        the copy inside hls4ml.
    samples
        (type, value) pairs per mode family.
    seed
        Chooses the types and the values; the same seed repeats the same run.
    console
        A ``rich.console.Console`` to print to (default: stdout).

    Returns
    -------
    int
        0 when every pair agrees, 1 on any mismatch.

    Raises
    ------
    ToolNotFound
        No g++ or no ``ap_fixed.h`` (the CLI turns this into exit code 2).
    InvalidArgument
        ``samples`` < 1 or ``seed`` < 0.
    """
    from rich.console import Console
    from rich.table import Table

    if samples < 1:
        raise InvalidArgument(f"samples={samples!r} must be at least 1")
    if seed < 0:
        raise InvalidArgument(f"seed={seed!r} must be a non-negative integer")
    fx = _fixed()
    console = console or Console(highlight=False)
    started = time.perf_counter()
    plan = selftest_plan(seed)
    oracle = _oracle.build_oracle(
        conversions=plan.conversions, casts=plan.casts, binops=plan.binops, hls_include=hls_include
    )
    built = time.perf_counter()
    checks = _run_checks(oracle, plan, samples, seed)
    checked = time.perf_counter()

    conv = [c for c in checks if c.family == "from_float"]
    tables = [
        (
            "Quantization modes: T v = double",
            "Q mode",
            _table_rows(
                conv,
                lambda c: "ap_int / ap_uint" if c.dst.is_int else c.dst.quantization.value,
                [q.value for q in fx.Quantization] + ["ap_int / ap_uint"],
            ),
        ),
        (
            "Overflow modes: T v = double",
            "O mode",
            _table_rows(
                conv,
                lambda c: (
                    None if c.dst.is_int else c.dst.overflow.value + (" (N>0)" if c.dst.sat_bits else "")
                ),
                [o.value + n for o in fx.Overflow for n in ("", " (N>0)")],
            ),
        ),
        (
            "Casts: T d = src",
            "kind",
            _table_rows([c for c in checks if c.family == "cast"], lambda c: c.label, []),
        ),
        (
            "Arithmetic: T d = a op b",
            "op",
            _table_rows([c for c in checks if c.family == "binary"], lambda c: c.label, list(_oracle.OPS)),
        ),
    ]
    for title, first, rows in tables:
        table = Table(title=title, title_justify="left")
        table.add_column(first)
        table.add_column("types", justify="right")
        table.add_column("pairs checked", justify="right")
        table.add_column("mismatches", justify="right")
        for name, ntypes, pairs, bad in rows:
            style = "red" if bad else "green"
            table.add_row(name, str(ntypes), f"{pairs:,}", f"[{style}]{bad:,}[/{style}]")
        console.print(table)

    total = sum(c.pairs for c in checks)
    failed = [c for c in checks if not c.ok]
    console.print(f"headers: {oracle.include_dir}", markup=False, soft_wrap=True)
    console.print(
        f"g++ build {built - started:.1f} s (cached after the first run), check {checked - built:.1f} s, "
        f"{total:,} pairs, seed {seed}"
    )
    if not failed:
        console.print(
            "[bold green]PASS[/]: fwparity.fixed matches the compiled ap_types headers "
            f"on all {total:,} pairs"
        )
        return 0
    console.print("[bold red]FAIL[/]: fwparity.fixed disagrees with the compiled headers; first mismatches:")
    listed = 0
    for c in failed:
        if c.error:
            console.print(f"  {c.dst}: fwparity raised {c.error}", markup=False, soft_wrap=True)
        for m in c.examples:
            if listed < 20:
                console.print(f"  {m}", markup=False, soft_wrap=True)
                listed += 1
    return 1
