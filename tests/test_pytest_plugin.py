"""fwparity.pytest_plugin: cheap import, options declared once with their precedence, hypothesis profiles, the
backend hook and assert_parity's failure message (run in real pytest subprocesses through pytester)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]


def test_importing_the_plugin_loads_no_heavy_module() -> None:
    code = (
        "import sys, fwparity.pytest_plugin\n"
        "heavy = [m for m in ('numpy', 'h5py', 'hypothesis', 'rich', 'fwparity.fixed', 'fwparity.compare',"
        " 'fwparity.csim', 'fwparity.strategies') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


PROFILE_TEST = """
from hypothesis import settings

def test_profile():
    print("MAX", settings.default.max_examples, "DERANDOMIZE", settings.default.derandomize)
"""


@pytest.mark.parametrize(
    ("args", "env", "ini", "expected"),
    [
        pytest.param([], None, None, "MAX 50 DERANDOMIZE False", id="default-dev"),
        pytest.param([], "ci", None, "MAX 200 DERANDOMIZE True", id="env-ci"),
        pytest.param([], None, "nightly", "MAX 5000 DERANDOMIZE False", id="ini-nightly"),
        pytest.param(
            ["--fwparity-profile", "nightly"],
            "ci",
            "dev",
            "MAX 5000 DERANDOMIZE False",
            id="option-beats-env-and-ini",
        ),
        pytest.param([], "ci", "nightly", "MAX 200 DERANDOMIZE True", id="env-beats-ini"),
    ],
)
def test_hypothesis_profile_precedence(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: str | None,
    ini: str | None,
    expected: str,
) -> None:
    monkeypatch.delenv("FWPARITY_HYPOTHESIS_PROFILE", raising=False)
    if env:
        monkeypatch.setenv("FWPARITY_HYPOTHESIS_PROFILE", env)
    if ini:
        pytester.makeini(f"[pytest]\nfwparity_profile = {ini}\n")
    pytester.makepyfile(PROFILE_TEST)
    result = pytester.runpytest_subprocess("-s", *args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*{expected}*"])


def test_unknown_profile_is_a_usage_error(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FWPARITY_HYPOTHESIS_PROFILE", "weekly")
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*fwparity: hypothesis profile 'weekly' is not in supported list: dev, ci, nightly*"]
    )


BACKENDS_TEST = """
def test_backends(fwparity_backends):
    print("BACKENDS", ",".join(fwparity_backends))
"""


@pytest.mark.parametrize(
    ("args", "env", "ini", "expected"),
    [
        pytest.param([], None, None, "reference,csim", id="default"),
        pytest.param([], "reference,rtl", None, "reference,rtl", id="env"),
        pytest.param([], None, "csim, rtl", "csim,rtl", id="ini"),
        pytest.param(
            ["--fwparity-backends", "reference,reference"],
            "reference,rtl",
            "csim,rtl",
            "reference,reference",
            id="option-first",
        ),
    ],
)
def test_backends_option_precedence(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: str | None,
    ini: str | None,
    expected: str,
) -> None:
    monkeypatch.delenv("FWPARITY_BACKENDS", raising=False)
    if env:
        monkeypatch.setenv("FWPARITY_BACKENDS", env)
    if ini:
        pytester.makeini(f"[pytest]\nfwparity_backends = {ini}\n")
    pytester.makepyfile(BACKENDS_TEST)
    result = pytester.runpytest_subprocess("-s", *args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [f"fwparity: backends {expected}, hypothesis profile *", f"*BACKENDS {expected}"]
    )


CONFTEST_TAMPERED = """
import numpy as np
from fwparity._backend import Backend, ReferenceBackend


class FlipLsb(Backend):
    # The reference with the LSB of output element 1 flipped on vectors whose element 0 is negative.
    name = "flipped"

    def run(self, model, inputs_raw, *, trace=False):
        result = ReferenceBackend().run(model, inputs_raw, trace=False)
        x = np.asarray(next(iter(inputs_raw.values())))
        out = result.outputs[model.outputs[0]].copy()
        out[x[:, 0] < 0, 1] ^= 1
        result.outputs[model.outputs[0]] = out
        result.backend = self.name
        return result


def pytest_fwparity_make_backend(name, options):
    if name == "flipped":
        return FlipLsb()
    return None
"""

PARITY_TEST = """
import numpy as np
from fwparity.model import Layer, Model, Tensor
from fwparity.pytest_plugin import assert_parity

MODEL = Model("m", [Tensor("x", (2,), "ap_fixed<8,3>")],
              [Layer("lin", "linear", ["x"], (2,), {"result": "ap_fixed<8,3>"})], ["lin"])


def test_same():
    c = assert_parity(MODEL, np.array([[-3, 5], [4, 4]]), against="reference,reference")
    assert c.status == "parity"


def test_configured(fwparity_backends):
    assert_parity(MODEL, np.array([[-3, 5], [4, 4]]))
"""


def test_assert_parity_failure_is_the_diff_report(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FWPARITY_BACKENDS", raising=False)
    pytester.makeconftest(CONFTEST_TAMPERED)
    pytester.makepyfile(PARITY_TEST)
    result = pytester.runpytest_subprocess("--fwparity-backends", "reference,flipped")
    result.assert_outcomes(passed=1, failed=1)
    # the diff report's text, not a traceback into fwparity
    result.stdout.fnmatch_lines(
        [
            "_* test_configured _*",
            "fwparity: MISMATCH for model 'm' (sha256 *), 2 vectors (inputs)",
            "reference vs flipped: 1 of 2 vectors differ, 1 of 4 elements; max |delta| 1 LSB; rounding 1",
            "*0       lin     1      5 (0.15625)  4 (0.125)  -1     rounding  00000001",
            "  inputs of vector 0 (raw): x=[-3, 5]",
        ]
    )
    assert "pytest_plugin.py" not in result.stdout.str()
    assert "__tracebackhide__" not in result.stdout.str()


def test_hook_is_first_result(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FWPARITY_BACKENDS", raising=False)
    pytester.makeconftest(CONFTEST_TAMPERED)
    pytester.makepyfile("""
def test_make(fwparity_make_backend):
    assert type(fwparity_make_backend("flipped")).__name__ == "FlipLsb"
    assert type(fwparity_make_backend("reference")).__name__ == "ReferenceBackend"
""")
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
