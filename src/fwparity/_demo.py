"""``fwparity demo``: validate the bundled example (reference vs csim vs RTL) and write the three reports.

The demo is the first thing a new user runs (``make demo``), so it checks the tools before any work and names
what to install when one is missing. Asked for nothing in particular, it runs every backend; with ``against``
it runs exactly those.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .errors import UnsupportedLayer

__all__ = ["DEFAULT_OUT", "run_demo"]

DEFAULT_OUT = "fwparity-demo"


def _example() -> tuple[Any, Any, Path]:
    """(model, InputSource, model path) of the bundled example: the committed files, or the same model rebuilt
    from its seed (then the path is a placeholder)."""
    from ._example import example_files, example_inputs, example_model
    from ._pipeline import _from_arrays, open_inputs
    from .model import load_model

    files = example_files()
    if files is not None:
        model = load_model(files[0])
        return model, open_inputs(model, vectors=files[1]), files[0]
    model = example_model()
    source = _from_arrays(model, {"input_1": example_inputs(1000)}, "example_inputs(1000)", None)
    return model, source, Path("jet_mlp.fwp.h5")


def rtl_gap(model: Any) -> str | None:
    """Why the RTL generator cannot build ``model`` (the first layer kind it lacks), or None if it can."""
    from .rtlsim import SUPPORTED_KINDS

    for layer in model.layers:
        if layer.kind not in SUPPORTED_KINDS:
            return (
                f"the RTL layer library has no module for layer {layer.name!r} (kind {layer.kind!r}) yet; "
                f"it has {', '.join(sorted(SUPPORTED_KINDS))}"
            )
    return None


def run_demo(
    out: str | os.PathLike[str] = DEFAULT_OUT, against: list[str] | None = None
) -> tuple[Any, dict[str, Path]]:
    """Validate the example and write ``report.json``, ``report.html`` and ``junit.xml`` into ``out``.

    Returns the Comparison and the report paths. Raises ``ToolNotFound`` (naming what to install) when a
    backend's tool is missing and ``UnsupportedLayer`` when ``against`` asks for RTL the generator cannot
    build.
    """
    from ._pipeline import make_backends, run_validation, warn
    from .report import write_reports

    model, source, model_path = _example()
    chosen = list(against) if against else ["reference", "csim", "rtl"]
    if against is None and "rtl" in chosen:
        gap = rtl_gap(model)
        if gap is not None:
            # Not a missing tool: the example needs a layer the RTL library does not have. Say so, loudly.
            warn(f"RTL not compared: {gap} (run with --against to choose the backends)")
            chosen.remove("rtl")
    elif "rtl" in chosen:
        gap = rtl_gap(model)
        if gap is not None:
            raise UnsupportedLayer(f"cannot compare RTL for the example model: {gap}")
    rtl = "auto" if "rtl" in chosen else None
    backends = make_backends(model, chosen, csim=None, rtl=rtl, model_path=model_path)
    comparison = run_validation(model, source, backends)
    paths = write_reports(comparison, Path(out))
    return comparison, paths
