"""``fwparity demo``: the bundled example validated end to end, reports written, missing tools named.

The full demo (reference vs csim vs RTL) builds the example's RTL, ~2 minutes cold on 2 cores; CI runs it
through ``make demo``. Here the RTL side of the pipeline is covered by tests/test_cli.py on a smaller model,
and the demo runs reference vs csim (its C++ build is shared with test_cli's through the content cache).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fwparity.cli import main


@pytest.mark.requires_gxx
def test_demo_reference_vs_csim_writes_three_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["demo", "--out", str(tmp_path / "demo"), "--against", "reference,csim"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == [
        "junit.xml",
        "report.html",
        "report.json",
    ]
    data = json.loads((tmp_path / "demo" / "report.json").read_text())
    assert data["status"] == "parity"
    assert data["model"]["name"] == "jet_mlp"
    assert [(c["expected"], c["actual"], c["vectors"]) for c in data["comparisons"]] == [
        ("reference", "csim", 1000)
    ]
    assert "PARITY: 1 backend pair(s) agree bit for bit on 1000 vectors" in out


def test_demo_without_verilator_exits_2_naming_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default demo wants every backend; a missing Verilator is an error before any work, not a skip."""
    monkeypatch.setenv("VERILATOR", "/nonexistent/verilator")
    code = main(["demo", "--out", str(tmp_path / "demo")])
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        "fwparity demo: Could not find verilator (looked on PATH and in $VERILATOR): "
        "VERILATOR='/nonexistent/verilator' is not an executable; "
        "install the rtl extra (pip install 'fwparity[rtl]'), or set VERILATOR to a Verilator >= 5 binary\n"
    )
    assert not (tmp_path / "demo").exists()


def test_demo_rejects_a_bad_backend_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["demo", "--out", str(tmp_path / "demo"), "--against", "reference,vivado"])
    assert code == 2
    assert capsys.readouterr().err == (
        "fwparity demo: --against names 'vivado', which is not a backend; choose from reference, csim, rtl\n"
    )
