"""diff_report: the plain-text rendering shared by the pytest assertion, logs and ``fwparity report``.

It is deliberately plain (no colour, no box drawing) so it reads the same in a CI log, a pytest failure and an
e-mail, and its lines stay short enough to diff.
"""

from __future__ import annotations

from typing import Any

from ._util import frac_bits_of, value_text, xor_text

__all__ = ["diff_report"]


def _classes_text(classes: dict[str, int]) -> str:
    parts = [f"{k} {v}" for k, v in classes.items() if v]
    return ", ".join(parts) if parts else "none"


def _count(total: int, before: str, after: str) -> str:
    # A schema-1 file written by another tool may not say how many elements were compared (0 = unknown).
    return f"{before}{total}{after}" if total else ""


def _code(raw: int, frac: int | None) -> str:
    value = value_text(raw, frac)
    return f"{raw} ({value})" if value else str(raw)


def _pair_lines(pair: Any, max_mismatches: int, inputs: dict[int, dict[str, Any]] | None) -> list[str]:
    lines: list[str] = []
    tol = f" (tolerance {pair.tolerance_lsb} LSB)" if pair.tolerance_lsb else ""
    if pair.ok:
        within = (
            f"; {pair.within_tolerance} elements differ within the tolerance" if pair.within_tolerance else ""
        )
        lines.append(
            f"{pair.name}: parity on {pair.vectors} vectors"
            f"{_count(pair.compared_elements, ' (', ' elements)')}"
            f"{tol}{within}"
        )
        return lines
    lines.append(
        f"{pair.name}: {pair.mismatched_vectors} of {pair.vectors} vectors differ, "
        f"{pair.mismatched_elements}{_count(pair.compared_elements, ' of ', '')} elements; "
        f"max |delta| {pair.max_abs_lsb} LSB"
        f"{tol}; {_classes_text(pair.classes)}"
    )
    if pair.traced:
        layer = next((x for x in pair.layers if x.name == pair.first_divergent_layer), None)
        if layer is None:
            lines.append("  first divergent layer: none of the traced layers differs")
        elif layer.shape_mismatch:
            lines.append(f"  first divergent layer: {layer.name} (shapes differ: {layer.shape_mismatch})")
        else:
            first = layer.first or {}
            lines.append(
                f"  first divergent layer: {layer.name} ({layer.mismatched_elements} of "
                f"{layer.compared_elements} "
                f"elements; first at vector {first.get('vector')}, index {first.get('index')}: expected "
                f"{first.get('expected_raw')}, actual {first.get('actual_raw')})"
            )
    else:
        lines.append("  first divergent layer: unknown (run both backends with trace=True to localise)")
    for out in pair.outputs.values():
        if out.mismatched_elements:
            lines.append(
                f"  output {out.name} ({out.type}): {out.mismatched_elements} of {out.compared_elements} "
                f"elements in {out.mismatched_vectors} vectors; max |delta| {out.max_abs_lsb} LSB; "
                f"{_classes_text(out.classes)}"
            )
    shown = pair.mismatches[:max_mismatches]
    lines.append(f"  first mismatches ({len(shown)} of {pair.mismatched_elements}):")
    rows = [("vector", "output", "index", "expected", "actual", "delta", "class", "xor")]
    for m in shown:
        out = pair.outputs.get(m.output)
        frac = frac_bits_of(out.type) if out is not None else None
        width = out.xor_width if out is not None and out.xor_width else max(m.xor_bits.bit_length(), 1)
        rows.append(
            (
                str(m.vector),
                m.output,
                str(m.index),
                _code(m.expected_raw, frac),
                _code(m.actual_raw, frac),
                f"{m.delta_lsb:+d}",
                m.cls,
                xor_text(m.xor_bits, width),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        lines.append("    " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    if inputs:
        for v in sorted({m.vector for m in shown}):
            if v in inputs:
                text = ", ".join(f"{name}={raw}" for name, raw in inputs[v].items())
                lines.append(f"  inputs of vector {v} (raw): {_clip(text, 400)}")
    return lines


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def diff_report(comparison: Any, *, max_mismatches: int = 10) -> str:
    """Render a :class:`~fwparity.compare.Comparison` or a :class:`~fwparity.compare.PairComparison` as text.

    Parameters
    ----------
    comparison
        What :func:`fwparity.compare.compare_runs` or :func:`fwparity.compare.compare_bits` returned.
    max_mismatches
        How many of the listed mismatches to print per pair.

    Returns
    -------
    str
        A status line, then per pair its counts, classes, first divergent layer and first mismatches (raw code
        and exact value of both sides, delta in LSBs, class, XOR of the bit patterns), and the inputs of those
        vectors.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace as Run
    >>> from fwparity.compare import compare_runs
    >>> from fwparity.report import diff_report
    >>> ref = Run(backend="reference", outputs={"y": np.array([[5, 127]])}, trace={}, overflows={},
    ...           seconds=0.0)
    >>> dut = Run(backend="csim", outputs={"y": np.array([[6, -120]])}, trace={}, overflows={}, seconds=0.0)
    >>> c = compare_runs([ref, dut], inputs={"x": np.array([[3]])}, output_types={"y": "ap_fixed<8,3>"},
    ...                  model_name="tiny", vector_source="random", seed=0)
    >>> print(diff_report(c))
    fwparity: MISMATCH for model 'tiny', 1 vectors (random, seed 0)
    reference vs csim: 1 of 1 vectors differ, 2 of 2 elements; max |delta| 247 LSB; rounding 1, saturation 1
      first divergent layer: unknown (run both backends with trace=True to localise)
      output y (ap_fixed<8,3>): 2 of 2 elements in 1 vectors; max |delta| 247 LSB; rounding 1, saturation 1
      first mismatches (2 of 2):
        vector  output  index  expected       actual        delta  class       xor
        0       y       0      5 (0.15625)    6 (0.1875)    +1     rounding    00000011
        0       y       1      127 (3.96875)  -120 (-3.75)  -247   saturation  11110111
      inputs of vector 0 (raw): x=[3]
    """
    if hasattr(comparison, "pairs"):
        c = comparison
        seed = f", seed {c.seed}" if c.seed is not None else ""
        sha = f" (sha256 {c.model_sha256[:12]})" if c.model_sha256 else ""
        lines = [
            f"fwparity: {c.status.upper()} for model {c.model_name!r}{sha}, {c.vector_count} vectors "
            f"({c.vector_source}{seed})"
        ]
        if not c.pairs:
            lines.append("no backend pairs were compared")
        for pair in c.pairs:
            lines += _pair_lines(pair, max_mismatches, c.inputs)
        return "\n".join(lines)
    return "\n".join(_pair_lines(comparison, max_mismatches, None))
