"""CsimBackend's configuration: public options that rebuild it (no g++ needed to make one)."""

from __future__ import annotations

from pathlib import Path

from fwparity.csim import CsimBackend


def test_options_rebuild_the_backend_with_one_change() -> None:
    b = CsimBackend(project="prj", workers=3, timeout=5.0, batch_size=100, flags=["-O2"])
    assert b.workers == 3
    assert b.options == {
        "project": Path("prj"),
        "workers": 3,
        "timeout": 5.0,
        "batch_size": 100,
        "flags": ("-O2",),
    }
    one = CsimBackend(**{**b.options, "workers": 1})
    assert one.options == {**b.options, "workers": 1}
    assert b.workers == 3  # the original is unchanged
