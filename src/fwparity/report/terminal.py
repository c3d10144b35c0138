"""Terminal summary with rich: a row per backend pair and a status line (for ``validate`` and ``report``)."""

from __future__ import annotations

import io
from typing import Any

__all__ = ["render_terminal", "terminal_text"]


def _table(comparison: Any) -> Any:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    c = comparison
    seed = f", seed {c.seed}" if c.seed is not None else ""
    table = Table(
        title=escape(f"fwparity: model {c.model_name!r}, {c.vector_count} vectors ({c.vector_source}{seed})"),
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    for column, justify in (
        ("pair", "left"),
        ("mismatched\nvectors", "right"),
        ("mismatched\nelements", "right"),
        ("max |Δ|\nLSB", "right"),
        ("first divergent\nlayer", "left"),
        ("status", "left"),
    ):
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for p in c.pairs:
        layer = p.first_divergent_layer or ("-" if p.traced or p.ok else "not traced")
        status = "[green]parity[/]" if p.ok else "[bold red]mismatch[/]"
        elements = f"{p.mismatched_elements} / {p.compared_elements}" if p.compared_elements else ""
        table.add_row(
            escape(p.name),
            str(p.mismatched_vectors),
            elements or str(p.mismatched_elements),
            str(p.max_abs_lsb),
            escape(layer),
            status,
        )
    return table


def _status_line(comparison: Any) -> str:
    from rich.markup import escape

    c = comparison
    if c.ok:
        return (
            f"[bold green]PARITY[/]: {len(c.pairs)} backend pair(s) agree bit for bit on {c.vector_count} "
            "vectors"
        )
    bad = [p for p in c.pairs if not p.ok]
    worst = max(bad, key=lambda p: p.mismatched_vectors)
    return (
        f"[bold red]MISMATCH[/]: {len(bad)} of {len(c.pairs)} backend pair(s) differ; "
        f"worst {escape(worst.name)}: "
        f"{worst.mismatched_vectors} of {worst.vectors} vectors, max |Δ| {worst.max_abs_lsb} LSB"
    )


def render_terminal(comparison: Any, *, console: Any = None) -> None:
    """Print the summary table and the status line of a :class:`~fwparity.compare.Comparison` to ``console``.

    ``console`` is a :class:`rich.console.Console` (default: a new one on stdout).
    """
    from rich.console import Console
    from rich.markup import escape

    console = console or Console()
    console.print(_table(comparison))
    for p in comparison.pairs:
        classes = ", ".join(f"{k} {v}" for k, v in p.classes.items() if v)
        if classes:
            console.print(f"  {escape(p.name)}: {classes}", highlight=False)
    console.print(_status_line(comparison))


def terminal_text(comparison: Any, *, width: int = 120) -> str:
    """The same summary as plain text (no colour codes) at a fixed width, for logs and tests.

    Examples
    --------
    >>> from fwparity.compare import Comparison
    >>> from fwparity.report import terminal_text
    >>> print(terminal_text(Comparison(pairs=[], model_name="tiny", vector_count=3)).splitlines()[-1])
    PARITY: 0 backend pair(s) agree bit for bit on 3 vectors
    """
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False, legacy_windows=False)
    render_terminal(comparison, console=console)
    return buffer.getvalue()
