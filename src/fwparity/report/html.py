"""report.html: one self-contained file (inline CSS, inline SVG charts drawn here), no scripts, no network.

A report is opened on laptops behind firewalls, attached to e-mails and archived with a firmware release, so
it must not fetch anything: no CDN, no fonts, no JavaScript. Every piece of text that came from a model, a
backend or a user goes through :func:`html.escape`.

Sections: summary; one section per backend pair with its outputs, the first divergent layer and the traced
layers, a histogram of Δ in LSBs, a heat map of differing bit positions per output element and the first
mismatches; the inputs of the first mismatching vectors; the reference's overflow counts per layer.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .._atomic import atomic_write
from ._util import frac_bits_of, value_text, xor_text

__all__ = ["render_html", "write_html"]

_CSS = """
:root { --ok: #1a7f37; --bad: #cf222e; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); margin: 0; }
main { max-width: 1200px; margin: 0 auto; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 6px; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 12px; color: #fff; font-weight: 600;
         font-size: 13px; vertical-align: middle; }
.badge.parity { background: var(--ok); }
.badge.mismatch { background: var(--bad); }
.muted { color: var(--muted); }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code.xor { white-space: nowrap; }
svg { max-width: 100%; height: auto; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
tr.bad .status { color: var(--bad); font-weight: 600; }
tr.ok .status { color: var(--ok); font-weight: 600; }
.cls-rounding { color: #9a6700; }
.cls-overflow { color: #8250df; }
.cls-saturation { color: #cf222e; }
.cls-other { color: #0550ae; }
.charts { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
figure { margin: 0; }
figcaption { font-size: 12px; color: var(--muted); margin-top: 2px; }
svg text { font: 11px system-ui, sans-serif; fill: var(--ink); }
.scroll { overflow-x: auto; max-width: 100%; }
.note { background: var(--bg); border-left: 3px solid var(--line); padding: 6px 10px; margin: 8px 0; }
footer { margin-top: 40px; font-size: 12px; color: var(--muted); }
"""

_CLASS_COLOURS = {"rounding": "#d4a72c", "overflow": "#8250df", "saturation": "#cf222e", "other": "#0550ae"}


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _table(
    headers: Iterable[str],
    rows: Iterable[Iterable[Any]],
    *,
    numeric: set[int] | None = None,
    row_classes: Iterable[str] | None = None,
) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = []
    classes = list(row_classes) if row_classes is not None else None
    for r, row in enumerate(rows):
        cells = []
        for i, cell in enumerate(row):
            raw_html = isinstance(cell, _Raw)
            text = cell.html if raw_html else _e(cell)
            attr = ' class="num"' if i in numeric else ""
            cells.append(f"<td{attr}>{text}</td>")
        cls = f' class="{classes[r]}"' if classes else ""
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return (
        f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        "</div>"
    )


class _Raw:
    """Already-escaped HTML for a table cell."""

    def __init__(self, html_text: str) -> None:
        self.html = html_text


def _classes_html(classes: dict[str, int]) -> _Raw:
    parts = [f'<span class="cls-{_e(k)}">{_e(k)} {v}</span>' for k, v in classes.items() if v]
    return _Raw(", ".join(parts) if parts else "&ndash;")


# ------------------------------------------------------------------------------------------------------------
# SVG charts
# ------------------------------------------------------------------------------------------------------------


def _bucket_label(k: int) -> str:
    n = abs(k)
    lo, hi = 1 << (n - 1), (1 << n) - 1
    if lo == hi:
        return f"{'+' if k > 0 else '-'}{lo}"
    if hi >= 100000:
        return f"+2^{n - 1}.." if k > 0 else f"..-2^{n - 1}"
    return f"+{lo}..{hi}" if k > 0 else f"-{hi}..-{lo}"


def _svg_histogram(hist: dict[int, int], title: str) -> str:
    """Bars of Δ (LSB) in power-of-two buckets; exact counts are printed on the bars and in the tooltips."""
    if not hist:
        return ""
    keys = sorted(hist)
    peak = max(hist.values())
    bar, gap, top, bottom, left = 58, 6, 22, 44, 10
    height = 160
    width = left * 2 + len(keys) * (bar + gap)
    parts = [
        f'<svg width="{width}" height="{top + height + bottom}" '
        f'viewBox="0 0 {width} {top + height + bottom}" '
        f'role="img" aria-label="{_e(title)}"><title>{_e(title)}</title>'
    ]
    for i, k in enumerate(keys):
        count = hist[k]
        h = max(1.0, height * count / peak)
        x = left + i * (bar + gap)
        y = top + height - h
        colour = "#d4a72c" if abs(k) == 1 else "#cf222e" if abs(k) > 8 else "#0969da"
        label = _bucket_label(k)
        parts.append(
            f'<rect x="{x}" y="{y:.1f}" width="{bar}" height="{h:.1f}" fill="{colour}">'
            f"<title>delta {_e(label)} LSB: {count}</title></rect>"
            f'<text x="{x + bar / 2}" y="{y - 4:.1f}" text-anchor="middle">{count}</text>'
            f'<text x="{x + bar / 2}" y="{top + height + 14}" text-anchor="middle">{_e(label)}</text>'
        )
    parts.append(
        f'<line x1="{left - 4}" y1="{top + height}" x2="{width - left + 4}" y2="{top + height}" '
        'stroke="#59636e"/>'
        f'<text x="{width / 2}" y="{top + height + 34}" text-anchor="middle">'
        "delta (LSB), power-of-two buckets</text>"
        "</svg>"
    )
    return "".join(parts)


def _heat_colour(fraction: float) -> str:
    # white -> deep red; never fully white for a nonzero count so a single flip stays visible
    f = 0.15 + 0.85 * fraction
    r, g, b = 255, int(255 - f * (255 - 40)), int(255 - f * (255 - 40))
    return f"#{r:02x}{g:02x}{b:02x}"


def _svg_heatmap(out: Any, max_rows: int = 64) -> tuple[str, str]:
    """Differing bit positions (columns, MSB left) per output element (rows): how often each bit differs."""
    if not out.bit_flips:
        return "", ""
    items = sorted(out.bit_flips.items())
    note = ""
    if len(items) > max_rows:
        busiest = sorted(items, key=lambda kv: (-out.elements.get(kv[0], 0), kv[0]))[:max_rows]
        items = sorted(busiest)
        note = f"the {max_rows} elements with most mismatches of {len(out.bit_flips)}"
    width_bits = out.xor_width or max(len(c) for _, c in items)
    cell, left, top = max(6, min(22, 880 // max(width_bits, 1))), 64, 30
    peak = max(max(c) for _, c in items) or 1
    w = max(left + width_bits * cell + 10, 480)
    h = top + len(items) * cell + 24
    title = f"differing bits of output {out.name}"
    parts = [
        f'<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{_e(title)}">'
        f"<title>{_e(title)}</title>"
    ]
    step = 1
    while step * cell < 20:  # labels at least ~20 px apart, on round bit numbers
        step *= 2
    for col in range(width_bits):
        bit = width_bits - 1 - col
        if bit % step == 0:
            parts.append(
                f'<text x="{left + col * cell + cell / 2}" y="{top - 8}" text-anchor="middle">{bit}</text>'
            )
    for row, (index, counts) in enumerate(items):
        y = top + row * cell
        parts.append(f'<text x="{left - 6}" y="{y + cell - 3}" text-anchor="end">[{index}]</text>')
        for col in range(width_bits):
            bit = width_bits - 1 - col
            count = counts[bit] if bit < len(counts) else 0
            fill = "#f6f8fa" if count == 0 else _heat_colour(count / peak)
            parts.append(
                f'<rect x="{left + col * cell}" y="{y}" width="{cell - 1}" height="{cell - 1}" fill="{fill}">'
                f"<title>element {index}, bit {bit}: differs in {count} mismatches</title></rect>"
            )
    parts.append(
        f'<text x="{left}" y="{h - 6}">bit index (MSB left); darker = differs more often (max {peak})'
        "</text></svg>"
    )
    return "".join(parts), note


def _svg_bars(counts: dict[str, int], title: str) -> str:
    """Horizontal bars, one per layer, with exact counts."""
    items = [(k, v) for k, v in counts.items()]
    if not items:
        return ""
    peak = max(v for _, v in items) or 1
    label_w, bar_w, row = 160, 360, 18
    h = len(items) * row + 10
    w = label_w + bar_w + 80
    parts = [
        f'<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{_e(title)}">'
        f"<title>{_e(title)}</title>"
    ]
    for i, (name, v) in enumerate(items):
        y = 5 + i * row
        bw = bar_w * v / peak
        label = name if len(name) <= 24 else name[:23] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end">{_e(label)}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{bw:.1f}" height="{row - 5}" '
            f'fill="{"#cf222e" if v else "#d1d9e0"}">'
            f"<title>{_e(name)}: {v}</title></rect>"
            f'<text x="{label_w + bw + 6:.1f}" y="{y + 12}">{v}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _svg_class_bar(classes: dict[str, int]) -> str:
    total = sum(classes.values())
    if not total:
        return ""
    w, h, x = 480, 18, 0.0
    parts = [
        f'<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
        f'aria-label="mismatch classes"><title>mismatch classes</title>'
    ]
    for name, count in classes.items():
        if not count:
            continue
        bw = w * count / total
        parts.append(
            f'<rect x="{x:.1f}" y="0" width="{bw:.1f}" height="{h}" '
            f'fill="{_CLASS_COLOURS.get(name, "#888")}">'
            f"<title>{_e(name)}: {count}</title></rect>"
        )
        x += bw
    parts.append("</svg>")
    return "".join(parts)


# ------------------------------------------------------------------------------------------------------------
# Sections
# ------------------------------------------------------------------------------------------------------------


def _summary(c: Any) -> str:
    seed = "" if c.seed is None else str(c.seed)
    info = _table(
        ["model", "sha256", "vectors", "source", "seed", "fwparity"],
        [
            [
                c.model_name,
                _Raw(f"<code>{_e(c.model_sha256 or '')}</code>"),
                c.vector_count,
                c.vector_source,
                seed,
                c.fwparity_version,
            ]
        ],
        numeric={2},
    )
    rows, classes = [], []
    for i, p in enumerate(c.pairs):
        layer = p.first_divergent_layer or ("–" if p.traced or p.ok else "not traced")
        rows.append(
            [
                _Raw(f'<a href="#pair-{i}">{_e(p.name)}</a>'),
                p.vectors,
                p.mismatched_vectors,
                f"{p.mismatched_elements} / {p.compared_elements}"
                if p.compared_elements
                else p.mismatched_elements,
                p.max_abs_lsb,
                _classes_html(p.classes),
                layer,
                _Raw(f'<span class="status">{"parity" if p.ok else "mismatch"}</span>'),
            ]
        )
        classes.append("ok" if p.ok else "bad")
    pairs = (
        _table(
            [
                "backend pair",
                "vectors",
                "mismatched vectors",
                "mismatched elements",
                "max |Δ| LSB",
                "classes",
                "first divergent layer",
                "status",
            ],
            rows,
            numeric={1, 2, 3, 4},
            row_classes=classes,
        )
        if rows
        else '<p class="note">No backend pairs were compared.</p>'
    )
    return f"<section id='summary'><h2>Summary</h2>{info}{pairs}</section>"


def _layers_section(p: Any) -> str:
    if not p.traced:
        return (
            '<p class="note">First divergent layer: unknown. Run both backends with <code>trace=True</code> '
            "to localise the first layer whose raw output differs.</p>"
        )
    if p.first_divergent_layer is None:
        head = '<p class="note">No traced layer differs.</p>'
    else:
        head = (
            f'<p class="note">First divergent layer: <strong>{_e(p.first_divergent_layer)}</strong> '
            "(the first layer in model order whose traced raw output differs; everything before it agrees "
            "bit for bit).</p>"
        )
    rows = []
    for layer in p.layers:
        first = layer.first or {}
        where = (
            (
                f"vector {first['vector']}, index {first['index']}: {first['expected_raw']} vs "
                f"{first['actual_raw']}"
            )
            if first
            else (layer.shape_mismatch and f"shapes {layer.shape_mismatch}")
        )
        rows.append([layer.name, layer.compared_elements, layer.mismatched_elements, where or "–"])
    return head + _table(
        ["layer", "compared elements", "mismatched elements", "first difference (raw)"], rows, numeric={1, 2}
    )


def _mismatch_table(p: Any, limit: int, with_inputs: set[int]) -> str:
    rows = []
    for m in p.mismatches[:limit]:
        out = p.outputs.get(m.output)
        frac = frac_bits_of(out.type) if out is not None else None
        width = out.xor_width if out is not None and out.xor_width else max(m.xor_bits.bit_length(), 1)
        rows.append(
            [
                _Raw(f'<a href="#vector-{m.vector}">{m.vector}</a>') if m.vector in with_inputs else m.vector,
                m.output,
                m.index,
                _Raw(f"<code>{m.expected_raw}</code>"),
                value_text(m.expected_raw, frac),
                _Raw(f"<code>{m.actual_raw}</code>"),
                value_text(m.actual_raw, frac),
                f"{m.delta_lsb:+d}",
                _Raw(f"<code class='xor'>{_e(xor_text(m.xor_bits, width))}</code>"),
                _Raw(f'<span class="cls-{_e(m.cls)}">{_e(m.cls)}</span>'),
            ]
        )
    shown = len(rows)
    caption = (
        f"<p class='muted'>Showing the first {shown} of {p.mismatched_elements} mismatched elements "
        f"(totals are exact; the report lists at most {p.max_listed}).</p>"
    )
    return caption + _table(
        [
            "vector",
            "output",
            "index",
            "expected raw",
            "expected value",
            "actual raw",
            "actual value",
            "Δ LSB",
            "XOR (MSB left)",
            "class",
        ],
        rows,
        numeric={0, 2, 3, 4, 5, 6, 7},
    )


def _pair_section(i: int, p: Any, limit: int, with_inputs: set[int]) -> str:
    parts = [
        f"<section id='pair-{i}'><h2>{_e(p.name)} "
        f"<span class='badge {'parity' if p.ok else 'mismatch'}'>{'parity' if p.ok else 'mismatch'}</span>"
        "</h2>"
    ]
    tol = (
        f", tolerance {p.tolerance_lsb} LSB ({p.within_tolerance} elements within it)"
        if p.tolerance_lsb
        else ""
    )
    secs = ", ".join(f"{k} {v:.3f} s" for k, v in p.seconds.items() if v)
    parts.append(
        f"<p class='muted'>{p.vectors} vectors"
        + (f", {p.compared_elements} elements compared" if p.compared_elements else "")
        + f"{_e(tol)}"
        f"{'; run time ' + _e(secs) if secs else ''}.</p>"
    )
    rows = []
    for out in p.outputs.values():
        rows.append(
            [
                out.name,
                _Raw(f"<code>{_e(out.type)}</code>"),
                str(list(out.shape)),
                out.compared_elements,
                out.mismatched_elements,
                out.mismatched_vectors,
                out.max_abs_lsb,
                _classes_html(out.classes),
            ]
        )
    parts.append(
        "<h3>Outputs</h3>"
        + _table(
            [
                "output",
                "type",
                "shape",
                "compared",
                "mismatched elements",
                "mismatched vectors",
                "max |Δ| LSB",
                "classes",
            ],
            rows,
            numeric={3, 4, 5, 6},
        )
    )
    parts.append("<h3>First divergent layer</h3>" + _layers_section(p))
    if not p.ok:
        hist: dict[int, int] = {}
        for out in p.outputs.values():
            for k, v in out.delta_histogram.items():
                hist[k] = hist.get(k, 0) + v
        charts = [
            f"<figure>{_svg_histogram(hist, f'histogram of delta for {p.name}')}"
            "<figcaption>Δ = actual − expected in LSBs of the output type</figcaption></figure>",
            f"<figure>{_svg_class_bar(p.classes)}"
            f"<figcaption>mismatch classes: {_classes_html(p.classes).html}"
            "</figcaption></figure>",
        ]
        parts.append("<h3>Δ in LSBs</h3><div class='charts'>" + "".join(charts) + "</div>")
        maps = []
        for out in p.outputs.values():
            svg, note = _svg_heatmap(out)
            if svg:
                caption = f"output {_e(out.name)} ({_e(out.type)})" + (f": {_e(note)}" if note else "")
                maps.append(f"<figure>{svg}<figcaption>{caption}</figcaption></figure>")
        parts.append("<h3>Differing bit positions</h3><div class='charts'>" + "".join(maps) + "</div>")
        parts.append("<h3>First mismatches</h3>" + _mismatch_table(p, limit, with_inputs))
    parts.append("</section>")
    return "".join(parts)


def _inputs_section(c: Any) -> str:
    if not c.inputs:
        return ""
    names = list(c.input_types) or sorted({n for raw in c.inputs.values() for n in raw})
    rows = []
    for v, raw in sorted(c.inputs.items()):
        cells: list[Any] = [_Raw(f"<span id='vector-{int(v)}'>{int(v)}</span>")]
        for name in names:
            text = str(raw.get(name, ""))
            if len(text) > 600:
                text = text[:597] + "..."
            cells.append(_Raw(f"<code>{_e(text)}</code>"))
        rows.append(cells)
    headers = ["vector"] + [f"{n} ({c.input_types[n]})" if n in c.input_types else n for n in names]
    return (
        "<section id='inputs'><h2>Inputs of the first mismatching vectors</h2>"
        "<p class='muted'>Raw codes on the input types: replay them to reproduce a mismatch.</p>"
        + _table(headers, rows, numeric={0})
        + "</section>"
    )


def _overflow_section(c: Any) -> str:
    if not c.overflows:
        return (
            "<section id='overflows'><h2>Overflows per layer</h2><p class='muted'>The reference reported no "
            "overflow counts.</p></section>"
        )
    total = sum(c.overflows.values())
    rows = [[name, count] for name, count in c.overflows.items()]
    return (
        "<section id='overflows'><h2>Overflows per layer</h2>"
        f"<p class='muted'>Values the reference wrapped or saturated in each layer ({total} in all). A layer "
        "that overflows is where a mode or width difference between backends shows first.</p>"
        f"<div class='charts'><div>{_table(['layer', 'overflows'], rows, numeric={1})}</div>"
        f"<figure>{_svg_bars(c.overflows, 'overflows per layer')}</figure></div></section>"
    )


def render_html(comparison: Any, *, max_rows: int = 100) -> str:
    """The HTML report of a :class:`~fwparity.compare.Comparison` as one string (no external resources).

    ``max_rows`` caps the mismatch table of each pair (the counts above it are always exact).

    Examples
    --------
    >>> from fwparity.compare import Comparison
    >>> from fwparity.report import render_html
    >>> page = render_html(Comparison(pairs=[], model_name="<tiny>"))
    >>> "&lt;tiny&gt;" in page and "<tiny>" not in page and "http" not in page
    True
    """
    c = comparison
    title = f"fwparity report: {c.model_name} ({c.status})"
    body = [
        f"<header><h1>fwparity report <span class='badge {_e(c.status)}'>{_e(c.status.upper())}</span></h1>",
        f"<p class='muted'>Model <strong>{_e(c.model_name)}</strong>, {c.vector_count} vectors from "
        f"{_e(c.vector_source)}. Every comparison is on raw integer codes; Δ is counted in LSBs of the "
        "output "
        "type.</p></header>",
        _summary(c),
    ]
    body += [_pair_section(i, p, max_rows, set(c.inputs)) for i, p in enumerate(c.pairs)]
    body += [_inputs_section(c), _overflow_section(c)]
    body.append(
        f"<footer>Generated by fwparity {_e(c.fwparity_version)} from report.json schema 1. "
        "This file is self-contained: it loads nothing from the network.</footer>"
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>"
        + "".join(body)
        + "</main></body></html>\n"
    )


def write_html(comparison: Any, path: str | os.PathLike[str], *, max_rows: int = 100) -> Path:
    """Write report.html atomically (temp file + ``os.replace``); return the path."""
    return atomic_write(path, render_html(comparison, max_rows=max_rows))
