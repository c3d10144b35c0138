"""JUnit XML: one testcase per backend pair and output, so CI shows which output of which build broke.

The failure message carries the counts; its text body carries the first mismatches (the same lines as
:func:`~fwparity.report.diff_report`). ElementTree escapes every attribute and text node.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from .._atomic import atomic_write
from ._util import frac_bits_of, value_text

__all__ = ["render_junit", "write_junit"]


def _failure_message(pair: Any, out: Any) -> str:
    classes = ", ".join(f"{k} {v}" for k, v in out.classes.items() if v)
    where = f"; first divergent layer {pair.first_divergent_layer}" if pair.first_divergent_layer else ""
    return (
        f"{out.mismatched_elements} of {out.compared_elements} elements differ in "
        f"{out.mismatched_vectors} of "
        f"{pair.vectors} vectors; max |delta| {out.max_abs_lsb} LSB; {classes}{where}"
    )


def _failure_body(pair: Any, out: Any, limit: int) -> str:
    frac = frac_bits_of(out.type)
    lines = [f"{pair.name}, output {out.name} ({out.type}), shape {list(out.shape)}"]
    listed = [m for m in pair.mismatches if m.output == out.name][:limit]
    for m in listed:
        ev, av = value_text(m.expected_raw, frac), value_text(m.actual_raw, frac)
        lines.append(
            f"vector {m.vector} index {m.index}: expected {m.expected_raw}"
            + (f" ({ev})" if ev else "")
            + f", actual {m.actual_raw}"
            + (f" ({av})" if av else "")
            + f", delta {m.delta_lsb:+d} LSB, {m.cls}"
        )
    if out.mismatched_elements > len(listed):
        lines.append(f"... {out.mismatched_elements - len(listed)} more (listed: first {len(listed)})")
    return "\n".join(lines)


def render_junit(comparison: Any, *, max_listed: int = 20) -> str:
    """JUnit XML text for a :class:`~fwparity.compare.Comparison`.

    Testcases are named ``<output>`` with classname ``fwparity.<model>.<expected>_vs_<actual>``; a pair with
    no output types gets a single testcase named after the pair.
    """
    c = comparison
    suite_name = f"fwparity.{c.model_name}"
    cases = []
    failures = 0
    total_time = 0.0
    for pair in c.pairs:
        classname = f"{suite_name}.{pair.expected}_vs_{pair.actual}"
        outs = list(pair.outputs.values())
        seconds = float(pair.seconds.get("actual", 0.0))
        total_time += seconds
        share = seconds / max(len(outs), 1)
        if not outs:
            case = ET.Element("testcase", classname=classname, name=pair.name, time=f"{share:.6f}")
            if not pair.ok:
                failures += 1
                ET.SubElement(
                    case, "failure", message=f"{pair.mismatched_elements} elements differ", type="mismatch"
                )
            cases.append(case)
            continue
        for out in outs:
            case = ET.Element("testcase", classname=classname, name=out.name, time=f"{share:.6f}")
            if out.mismatched_elements:
                failures += 1
                failure = ET.SubElement(case, "failure", message=_failure_message(pair, out), type="mismatch")
                failure.text = _failure_body(pair, out, max_listed)
            cases.append(case)
    root = ET.Element(
        "testsuites",
        name="fwparity",
        tests=str(len(cases)),
        failures=str(failures),
        errors="0",
        time=f"{total_time:.6f}",
    )
    suite = ET.SubElement(
        root,
        "testsuite",
        name=suite_name,
        tests=str(len(cases)),
        failures=str(failures),
        errors="0",
        skipped="0",
        time=f"{total_time:.6f}",
    )
    props = ET.SubElement(suite, "properties")
    for key, value in (
        ("model", c.model_name),
        ("model_sha256", c.model_sha256 or ""),
        ("vectors", str(c.vector_count)),
        ("vector_source", c.vector_source),
        ("seed", "" if c.seed is None else str(c.seed)),
        ("status", c.status),
        ("fwparity_version", c.fwparity_version),
    ):
        ET.SubElement(props, "property", name=key, value=value)
    suite.extend(cases)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(comparison: Any, path: str | os.PathLike[str], *, max_listed: int = 20) -> Path:
    """Write junit.xml atomically (temp file + ``os.replace``); return the path."""
    return atomic_write(path, render_junit(comparison, max_listed=max_listed))
