"""fwparity.report: renderers of a :class:`~fwparity.compare.Comparison`: terminal (rich), report.json, a
self-contained report.html, JUnit XML, and the plain-text :func:`diff_report` used by the pytest assertion.

Every file writer is atomic (a temporary file in the same directory, then ``os.replace``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .html import render_html, write_html
from .json import dumps, read_json, write_json
from .junit import render_junit, write_junit
from .terminal import render_terminal, terminal_text
from .text import diff_report

__all__ = [
    # text
    "diff_report",
    # terminal
    "render_terminal",
    "terminal_text",
    # json
    "dumps",
    "read_json",
    "write_json",
    # html
    "render_html",
    "write_html",
    # junit
    "render_junit",
    "write_junit",
    # all three files
    "write_reports",
]


def write_reports(comparison: Any, directory: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``report.json``, ``report.html`` and ``junit.xml`` into ``directory`` (created if needed).

    Returns the three paths by format name (``"json"``, ``"html"``, ``"junit"``).

    Examples
    --------
    >>> import tempfile
    >>> from fwparity.compare import Comparison
    >>> from fwparity.report import read_json, write_reports
    >>> c = Comparison(pairs=[], model_name="tiny", vector_count=3)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     paths = write_reports(c, d)
    ...     sorted(p.name for p in paths.values()), read_json(paths["json"]) == c
    (['junit.xml', 'report.html', 'report.json'], True)
    """
    d = Path(directory)
    return {
        "json": write_json(comparison, d / "report.json"),
        "html": write_html(comparison, d / "report.html"),
        "junit": write_junit(comparison, d / "junit.xml"),
    }


for _obj in (
    diff_report,
    render_terminal,
    terminal_text,
    dumps,
    read_json,
    write_json,
    render_html,
    write_html,
    render_junit,
    write_junit,
    write_reports,
):
    _obj.__module__ = __name__
del _obj
