"""report.html: self-contained (no network, no scripts), escaped, complete, and rendered by a real browser."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from fwparity.report import render_html, write_html

HOSTILE = '<script>alert("x")</script>&"'


def test_no_external_resources(mismatch_comparison):
    page = render_html(mismatch_comparison)
    assert "http" not in page.lower()  # no URL of any scheme that could reach a network, not even xmlns
    for forbidden in ("<script", "<link", "<iframe", "<img", "@import", "url(", "src="):
        assert forbidden not in page.lower(), forbidden
    hrefs = re.findall(r'href="([^"]*)"', page)
    # in-page anchors only: the pairs, and the listed vectors whose inputs the report keeps
    assert hrefs[:2] == ["#pair-0", "#pair-1"]
    assert set(hrefs[2:]) == {f"#vector-{v}" for v in mismatch_comparison.inputs} != set()
    assert all(f"id='{h[1:]}'" in page for h in hrefs)  # and every anchor exists


def test_everything_from_outside_is_escaped(comparison_factory):
    page = render_html(comparison_factory(model_name=HOSTILE, output=HOSTILE, n=60))
    assert HOSTILE not in page and "<script" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&quot;" in page


def test_sections_and_charts(mismatch_comparison):
    page = render_html(mismatch_comparison)
    for text in (
        "Summary",
        "reference vs csim",
        "reference vs rtl",
        "First divergent layer: <strong>fc2</strong>",
        "Differing bit positions",
        "First mismatches",
        "Inputs of the first mismatching vectors",
        "Overflows per layer",
        "Showing the first 13 of 13 mismatched elements",
    ):
        assert text in page, text
    # histogram: the bars are Δ=+1 (10), Δ in [-511,-256] (1), Δ in [32768, 65535] (1) and the wide one (1)
    assert re.findall(r"<title>delta ([^<]*) LSB: (\d+)</title>", page) == [
        ("..-2^99", "1"),
        ("-511..-256", "1"),
        ("+1", "10"),
        ("+32768..65535", "1"),
    ]
    # heat map of softmax: 3 mismatching elements x 16 bits, wide: 1 element x 100 bits (rtl: none)
    assert len(re.findall(r"<title>element \d+, bit \d+:", page)) == 3 * 16 + 100
    assert "<title>element 1, bit 0: differs in 10 mismatches</title>" in page
    assert re.findall(r"<title>(fc1|relu1|fc2|softmax): (\d+)</title>", page) == [
        ("fc1", "0"),
        ("relu1", "3"),
        ("fc2", "41"),
        ("softmax", "0"),
    ]


def test_parity_page_has_no_mismatch_sections(parity_comparison):
    page = render_html(parity_comparison)
    assert "badge parity" in page and "First mismatches" not in page and "MISMATCH" not in page


def test_write_html_is_atomic_and_leaves_no_temp_files(tmp_path, mismatch_comparison):
    path = write_html(mismatch_comparison, tmp_path / "sub" / "report.html")
    assert path.read_text(encoding="utf-8") == render_html(mismatch_comparison)
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]


# -- a real browser ------------------------------------------------------------------------------------------


def _chromium(page: Path, png: Path, profile: Path) -> str:
    argv = [
        shutil.which("chromium") or "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--screenshot={png}",
        "--window-size=1280,2000",
        "--enable-logging=stderr",
        "--v=0",
        page.as_uri(),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def _console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def _png_size(png: Path) -> tuple[int, int]:
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.requires_chromium
def test_renders_in_headless_chromium_without_console_errors(tmp_path, mismatch_comparison):
    page = write_html(mismatch_comparison, tmp_path / "report.html")
    png = tmp_path / "report.png"
    stderr = _chromium(page, png, tmp_path / "profile")
    assert _console_lines(stderr) == []
    assert _png_size(png) == (1280, 2000)
    assert png.stat().st_size > 50_000  # a blank page is a few kB; this one has tables and charts


@pytest.mark.requires_chromium
def test_console_error_detection_works(tmp_path):
    """The control for the test above: a page that logs an error must be caught by the same check."""
    page = tmp_path / "control.html"
    page.write_text(
        "<!DOCTYPE html><html><body><script>console.error('control-error')</script></body></html>"
    )
    stderr = _chromium(page, tmp_path / "control.png", tmp_path / "profile")
    assert any("control-error" in line for line in _console_lines(stderr))
