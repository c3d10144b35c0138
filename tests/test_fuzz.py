"""fwparity fuzz: a planted fault in hand-written HLS C++ (a csim manifest that truncates instead of rounding
on one value range) is found, shrunk to one minimal vector, saved as a schema-1 regression file with its
report, and replayed first on the next run; the g++-compiled C++ is the independent side, the reference the
expected one."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from fwparity._backend import Backend, RunResult, get_backend
from fwparity._fuzz import fuzz, fuzz_random_models, regression_paths
from fwparity.cli import main
from fwparity.errors import InvalidArgument
from fwparity.model import Layer, Model, Tensor
from fwparity.vectors import read_vectors

pytest_plugins = ["pytester"]

X_T = "ap_fixed<10,4>"
Y_T = "ap_fixed<8,3,AP_RND,AP_SAT>"

TOP_CPP = """
#include "top.h"
void top(ap_fixed<10,4> x[4], ap_fixed<8,3,AP_RND,AP_SAT> y[4]) {
    for (int i = 0; i < 4; ++i) {
        ap_fixed<10,4> r = x[i] > 0 ? x[i] : ap_fixed<10,4>(0);
        if (%(fault)s && r >= ap_fixed<10,4>(1.5625) && r < ap_fixed<10,4>(1.875)) {
            y[i] = ap_fixed<8,3,AP_TRN,AP_SAT>(r);  // planted: truncates on raw 100..119
        } else {
            y[i] = r;
        }
    }
}
"""


def _model() -> Model:
    return Model(
        "planted", [Tensor("x", (4,), X_T)], [Layer("relu", "relu", ["x"], (4,), {"result": Y_T})], ["relu"]
    )


def _project(tmp: Path, *, fault: bool) -> Path:
    d = tmp / ("faulty" if fault else "fixed")
    d.mkdir()
    (d / "top.h").write_text(
        '#include "ap_fixed.h"\nvoid top(ap_fixed<10,4> x[4], ap_fixed<8,3,AP_RND,AP_SAT> y[4]);\n'
    )
    (d / "top.cpp").write_text(TOP_CPP % {"fault": "true" if fault else "false"})
    (d / "top.toml").write_text(
        textwrap.dedent(f"""
        [top]
        function = "top"
        header = "top.h"
        sources = ["top.cpp"]

        [[inputs]]
        name = "x"
        type = "{X_T}"
        shape = [4]

        [[outputs]]
        name = "y"
        type = "{Y_T}"
        shape = [4]
    """)
    )
    return d / "top.toml"


@pytest.mark.requires_gxx
def test_planted_rounding_fault_is_found_shrunk_saved_and_replayed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model_file = tmp_path / "planted.fwp.h5"
    _model().save(model_file)
    manifest = _project(tmp_path, fault=True)
    save = tmp_path / "regression.h5"
    argv = [
        "fuzz",
        str(model_file),
        "--csim",
        str(manifest),
        "--examples",
        "200",
        "--save",
        str(save),
        "--seed",
        "3",
    ]

    assert main(argv) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[1].startswith(
        "reference vs csim: 1 of 1 vectors differ, 1 of 4 elements; max |delta| 1 LSB"
    )
    vec, report, _ = regression_paths(save)
    assert f"wrote {vec}" in out and f"wrote {report}" in out

    saved = read_vectors(vec)
    x = saved.inputs["x"]
    assert x.shape == (1, 4)  # shrunk to one vector ...
    nonzero = [int(v) for v in x[0] if v != 0]
    assert len(nonzero) == 1 and 100 <= nonzero[0] < 120 and nonzero[0] % 2 == 1  # ... with one trap element
    assert str(saved.input_types["x"]) == X_T
    ref, csim = saved.outputs["reference"]["relu"], saved.outputs["csim"]["relu"]
    assert int(np.sum(ref != csim)) == 1 and int(np.max(ref - csim)) == 1  # rounding up vs truncating
    doc = json.loads(report.read_text())
    assert doc["status"] == "mismatch" and doc["comparisons"][0]["mismatches"][0]["class"] == "rounding"

    # Replay first: the same file fails again before any search.
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"fwparity fuzz: the 1 saved regression vectors in {save} still fail"

    # The fixed C++ passes the replay, then the search.
    fixed = _project(tmp_path, fault=False)
    argv[3] = str(fixed)
    assert main([*argv[:4], "--examples", "20", "--save", str(save)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("fwparity fuzz: parity: 20 examples, ") and out.rstrip().endswith(
        ", 1 saved regression vectors replayed"
    )


def test_reference_against_itself_finds_nothing() -> None:
    ref = get_backend("reference")
    result = fuzz(_model(), [ref, ref], examples=30, seed=1)
    assert (result.status, result.examples, result.saved) == ("parity", 30, [])
    assert result.vectors >= 30


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"examples": 0}, "examples must be a positive integer, not examples=0", id="examples"),
        pytest.param(
            {"examples": None, "time_budget": -1.0},
            "time_budget must be a positive number of seconds, not time_budget=-1.0",
            id="budget",
        ),
    ],
)
def test_fuzz_arguments(kwargs: dict, message: str) -> None:
    ref = get_backend("reference")
    with pytest.raises(InvalidArgument, match=f"^{message}$"):
        fuzz(_model(), [ref, ref], **kwargs)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["fuzz"],
            "fwparity fuzz: fuzz needs MODEL (a model file or an hls4ml project), or --random-models",
            id="no-model",
        ),
        pytest.param(
            ["fuzz", "m.h5", "--random-models"],
            "fwparity fuzz: --random-models draws its own models: give neither MODEL nor --csim",
            id="model-and-random",
        ),
        pytest.param(
            ["fuzz", "missing.h5"],
            "fwparity fuzz: MODEL 'missing.h5' does not exist (expected a model file or an hls4ml project)",
            id="missing-model",
        ),
        pytest.param(
            ["fuzz", "m.h5", "--examples", "0"],
            "fwparity fuzz: --examples must be a positive integer, not 0",
            id="examples",
        ),
    ],
)
def test_cli_errors_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == message


def test_examples_and_time_budget_are_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fuzz", "m.h5", "--examples", "5", "--time-budget", "3"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


@pytest.mark.requires_gxx
@pytest.mark.requires_hls4ml
def test_the_pytest_example_runs_against_the_bundled_model(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FWPARITY_HLS_PROJECT", raising=False)
    pytester.makepyfile(test_fuzz_hls4ml=(EXAMPLES / "test_fuzz_hls4ml.py").read_text())
    result = pytester.runpytest_subprocess("--fwparity-profile", "dev", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_ci_job_runs_a_valid_fuzz_command() -> None:
    import re
    import shlex

    import yaml

    from fwparity.cli import _get_parser

    job = yaml.safe_load((EXAMPLES / "fwparity-fuzz.yml").read_text())
    steps = job["jobs"]["fuzz"]["steps"]
    fuzz_steps = [s["run"] for s in steps if str(s.get("run", "")).startswith("fwparity fuzz")]
    assert len(fuzz_steps) == 1
    command = re.sub(r"\$\{\{[^}]*\}\}", "7", fuzz_steps[0])  # GitHub expressions -> a number
    args = _get_parser().parse_args(shlex.split(command)[1:])
    assert (args.command, args.model, args.against, args.time_budget, args.save) == (
        "fuzz",
        "my_hls4ml_prj",
        "reference,csim",
        7.0,
        "tests/regressions/fuzz.h5",
    )
    pytest_steps = [s for s in steps if str(s.get("run", "")).startswith("pytest ")]
    assert pytest_steps[0]["run"] == "pytest tests/test_fuzz_hls4ml.py"
    assert (EXAMPLES / "test_fuzz_hls4ml.py").is_file()


class _TanhFault(Backend):
    """The reference, except that any model holding a tanh layer gets output element 0's LSB flipped."""

    name = "tampered"

    def run(self, model: Model, inputs_raw: dict, *, trace: bool = False) -> RunResult:  # type: ignore[override]
        result = get_backend("reference").run(model, inputs_raw)
        if any(layer.kind == "tanh" for layer in model.layers):
            out = result.outputs[model.outputs[0]].copy()
            out.reshape(out.shape[0], -1)[:, 0] ^= 1
            result.outputs[model.outputs[0]] = out
        return RunResult(self.name, result.outputs)


def test_random_models_shrink_to_a_minimal_model_and_replay(tmp_path: Path) -> None:
    from fwparity.model import load_model

    save = tmp_path / "models.h5"
    backends = lambda m: [get_backend("reference"), _TanhFault()]  # noqa: E731
    result = fuzz_random_models(backends, examples=200, seed=2, save=save)
    assert result.status == "mismatch"
    assert [(layer.kind, layer.shape) for layer in result.model.layers] == [("tanh", (1,))]  # minimal model
    assert result.inputs["x"].shape == (1, 1)  # and one vector
    vec, report, model_file = regression_paths(save)
    assert [p.name for p in result.saved] == [vec.name, report.name, model_file.name]
    assert load_model(model_file).sha256() == result.model.sha256()
    again = fuzz_random_models(backends, examples=5, seed=9, save=save)  # replayed first, still failing
    assert (again.status, again.examples, again.replayed) == ("mismatch", 0, 1)
