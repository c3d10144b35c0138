"""End-to-end runs of ``fwparity validate`` / ``emulate`` / board captures through ``fwparity.cli.main``.

What these prove:
- parity on the bundled example between the reference and C++ compiled by g++ on the real ap_types headers and
  hls4ml's nnet_utils (csim), and generated RTL in Verilator, with exit code 0 and three valid report files;
- a deliberately broken build (one weight changed in the emitted C++, one weight changed in the generated
  Verilog) exits 1, and report.json names the first divergent layer, the element and the differing bits;
- every bad input in the table exits 2 with a message naming the culprit, and writes nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fwparity._example import example_inputs, example_model
from fwparity.cli import main
from fwparity.compare import quantize_inputs
from fwparity.report import read_json
from fwparity.vectors import VectorSet, load_link_map, write_emp, write_vectors

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "vectors" / "jet_mlp.fwp.h5"
EXAMPLE_VECTORS = REPO / "vectors" / "jet_mlp_vectors.h5"

LINK_MAP = """\
frames_per_bx = 9
board_tmux = 1
max_frames_per_file = 180
board_id = "CMSSW"

[channels.rx]
tmux = 1
interpacket_gap = 3

[channels.tx]
tmux = 1
interpacket_gap = 3

[[links]]
interface = "rx"
channel = 0
indices = [0]

[[links]]
interface = "rx"
channel = 1
indices = [1]

[[links]]
interface = "tx"
channel = 0
indices = [4]

[[tensors]]
name = "x"
role = "input"
type = "ap_fixed<16,6>"
shape = [16]

[[tensors]]
name = "y"
role = "output"
type = "ap_fixed<16,6>"
shape = [5]

[[fields]]
tensor = "x"
interface = "rx"
channel = 0
first = 0
count = 8

[[fields]]
tensor = "x"
interface = "rx"
channel = 1
first = 8
count = 8

[[fields]]
tensor = "y"
interface = "tx"
channel = 0
stride = 20
per_word = 3
"""


@pytest.fixture(scope="module")
def model() -> Any:
    return example_model()


def _report(directory: Path) -> dict[str, Any]:
    data = json.loads((directory / "report.json").read_text())
    read_json(directory / "report.json")  # also a valid schema-1 report for the reader
    assert (directory / "report.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert "<testsuite" in (directory / "junit.xml").read_text()
    return data


def test_the_bundled_example_is_what_the_script_writes(model: Any) -> None:
    """vectors/make_example.py is deterministic: the committed model is the seeded one."""
    import fwparity

    assert fwparity.load_model(EXAMPLE).sha256() == model.sha256()


# -- parity and broken builds --------------------------------------------------------------------------------


@pytest.mark.requires_gxx
def test_validate_example_reference_vs_csim(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "validate",
            str(EXAMPLE),
            "--vectors",
            str(EXAMPLE_VECTORS),
            "--against",
            "reference,csim",
            "--chunk-size",
            "300",
            "--report-dir",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    data = _report(tmp_path)
    assert data["status"] == "parity"
    assert data["vectors"] == {"count": 1000, "source": "jet_mlp_vectors.h5", "seed": 20240611}
    assert data["model"]["sha256"] == example_model().sha256()
    [pair] = data["comparisons"]
    assert (pair["expected"], pair["actual"], pair["vectors"], pair["mismatched_elements"]) == (
        "reference",
        "csim",
        1000,
        0,
    )
    assert pair["traced"] and [layer["name"] for layer in pair["layers"]][:2] == ["fc1", "relu1"]
    assert "PARITY" in out


def _emitted_with_one_weight_changed(model: Any, directory: Path) -> tuple[int, int]:
    """Write the emitted C++ and add 4096 raw (4.0) to fc1's first weight; return (old, new) raw codes."""
    from fwparity.csim import write_emitted

    write_emitted(model, directory)
    cpp = directory / "fwp_top.cpp"
    text = cpp.read_text()
    m = re.search(r"w_fc1_raw\[\] = \{(-?\d+)LL", text)
    assert m is not None
    old = int(m.group(1))
    new = old + 4096
    cpp.write_text(text[: m.start(1)] + str(new) + text[m.end(1) :])
    return old, new


@pytest.mark.requires_gxx
def test_a_changed_weight_in_the_emitted_cpp_is_caught(
    model: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = _emitted_with_one_weight_changed(model, tmp_path / "cpp")
    assert model.layer("fc1").weights["weight"].reshape(-1)[0] == old  # element (0, 0): feeds fc1 element 0
    code = main(
        [
            "validate",
            str(EXAMPLE),
            "--csim",
            str(tmp_path / "cpp"),
            "--against",
            "reference,csim",
            "--random",
            "400",
            "--seed",
            "1",
            "--chunk-size",
            "150",
            "--report-dir",
            str(tmp_path / "r"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 1, out
    data = _report(tmp_path / "r")
    [pair] = data["comparisons"]
    assert data["status"] == "mismatch"
    assert pair["first_divergent_layer"] == "fc1"
    fc1 = next(layer for layer in pair["layers"] if layer["name"] == "fc1")
    assert fc1["first"]["index"] == 0  # only fc1 element 0 reads weight (0, 0)
    assert fc1["mismatched_elements"] > 0
    m = pair["mismatches"][0]
    assert m["xor_bits"] == (m["expected_raw"] ^ m["actual_raw"]) & 0xFFFF and m["xor_bits"] != 0
    assert "MISMATCH" in out


def _small_model() -> Any:
    """A model the RTL builds in ~25 s: 16 -> 8 -> ReLU -> 5 -> stable softmax, ap_fixed<16,6>."""
    from fwparity.model import Layer, Model, Tensor

    full = example_model()
    rng = np.random.default_rng(11)
    t = "ap_fixed<16,6>"

    def dense(name: str, src: str, n_in: int, n_out: int) -> Layer:
        return Layer(
            name,
            "dense",
            [src],
            (n_out,),
            {"weight": t, "bias": t, "accum": t, "result": t},
            {
                "weight": rng.integers(-400, 400, size=(n_in, n_out)),
                "bias": rng.integers(-100, 100, size=(n_out,)),
            },
            {"n_in": n_in, "n_out": n_out, "strategy": "latency"},
        )

    sm = full.layer("softmax")
    return Model(
        "small_mlp",
        [Tensor("input_1", (16,), t)],
        [
            dense("fc1", "input_1", 16, 8),
            Layer("relu1", "relu", ["fc1"], (8,), {"result": t}),
            dense("output", "relu1", 8, 5),
            Layer("softmax", "softmax", ["output"], (5,), dict(sm.types), {}, dict(sm.options)),
        ],
        ["softmax"],
    )


@pytest.fixture(scope="module")
def small_model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("small") / "small.fwp.h5"
    _small_model().save(path)
    return path


@pytest.mark.requires_verilator
@pytest.mark.requires_gxx
def test_validate_generated_rtl(small_model_file: Path, tmp_path: Path) -> None:
    code = main(
        [
            "validate",
            str(small_model_file),
            "--rtl",
            "auto",
            "--against",
            "reference,rtl",
            "--random",
            "2000",
            "--seed",
            "4",
            "--report-dir",
            str(tmp_path),
        ]
    )
    data = _report(tmp_path)
    assert code == 0
    [pair] = data["comparisons"]
    assert (pair["actual"], pair["vectors"], pair["mismatched_elements"], pair["traced"]) == (
        "rtl",
        2000,
        0,
        True,
    )
    assert [layer["name"] for layer in pair["layers"]] == ["fc1", "relu1", "output", "softmax"]


@pytest.mark.requires_verilator
@pytest.mark.requires_gxx
def test_a_changed_weight_in_the_generated_rtl_is_caught(small_model_file: Path, tmp_path: Path) -> None:
    """Generate the RTL (every layer on a port), change fc1's weight (2, 3) in the Verilog, run it from a
    manifest."""
    from fwparity._rtl_backend import traced_variant
    from fwparity.model import load_model
    from fwparity.rtlsim import generate
    from fwparity.rtlsim.generate import hex_vector

    model = load_model(small_model_file)
    design = generate(traced_variant(model), tmp_path / "rtl")
    w = np.array(model.layer("fc1").weights["weight"])
    top = design.files[-1]
    text = top.read_text()
    original = hex_vector(w, 16)
    w[2, 3] += 1 << 12
    assert text.count(original) == 1
    top.write_text(text.replace(original, hex_vector(w, 16)))
    lines = [
        "[top]",
        f'module = "{design.top}"',
        "sources = [" + ", ".join(f'"rtl/{f.name}"' for f in design.files) + "]",
        f'protocol = "{design.protocol}"',
        f"latency = {design.latency}",
        "",
        "[signals]",
    ]
    lines += [f'{role} = "{port}"' for role, port in design.signals.items()]
    for kind, maps in (("inputs", design.inputs), ("outputs", design.outputs)):
        for p in maps:
            lines += [
                "",
                f"[[{kind}]]",
                f'name = "{p.tensor}"',
                f'port = "{p.port}"',
                f'type = "{p.type}"',
                f"shape = [{', '.join(map(str, p.shape))}]",
                f"offset = {p.offset}",
            ]
    (tmp_path / "design.toml").write_text("\n".join(lines) + "\n")
    code = main(
        [
            "validate",
            str(small_model_file),
            "--rtl",
            str(tmp_path / "design.toml"),
            "--against",
            "reference,rtl",
            "--random",
            "500",
            "--seed",
            "2",
            "--report-dir",
            str(tmp_path / "r"),
        ]
    )
    data = _report(tmp_path / "r")
    assert code == 1
    [pair] = data["comparisons"]
    assert pair["first_divergent_layer"] == "fc1"
    fc1 = pair["layers"][0]
    assert fc1["name"] == "fc1" and fc1["first"]["index"] == 3  # weight (2, 3) feeds fc1 element 3 only
    assert fc1["first"]["actual_raw"] != fc1["first"]["expected_raw"]
    m = pair["mismatches"][0]
    assert m["output"] == "softmax" and m["xor_bits"] == (m["expected_raw"] ^ m["actual_raw"]) & 0xFFFF


# -- emulate -------------------------------------------------------------------------------------------------


def test_emulate_cli_writes_schema1_outputs(
    model: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import fwparity
    from fwparity.vectors import read_vectors

    code = main(
        ["emulate", str(EXAMPLE), str(EXAMPLE_VECTORS), "-o", str(tmp_path / "out.h5"), "--chunk-size", "128"]
    )
    assert code == 0
    assert capsys.readouterr().out == f"wrote {tmp_path / 'out.h5'}: 1000 events through model 'jet_mlp'\n"
    out = read_vectors(tmp_path / "out.h5")
    stored = read_vectors(EXAMPLE_VECTORS)
    em = fwparity.emulate(model, stored.inputs["input_1"])
    np.testing.assert_array_equal(out.outputs["reference"]["softmax"], em.raw["softmax"])
    assert out.trace == {}


# -- board captures ------------------------------------------------------------------------------------------


@pytest.fixture()
def board_files(model: Any, tmp_path: Path) -> tuple[Path, Path, Path, np.ndarray]:
    """An input pattern file and a 'captured' output pattern file for 20 events (what the reference
    computes)."""
    import fwparity

    lm_path = tmp_path / "map.toml"
    lm_path.write_text(LINK_MAP)
    lm = load_link_map(lm_path)
    raw = quantize_inputs(model, example_inputs(20, seed=3))["input_1"]
    y = fwparity.emulate(model, raw).raw["softmax"]
    [board_in] = lm.pack({"x": raw, "y": np.zeros_like(y)})
    write_emp(board_in, tmp_path / "rx.txt", version=2)
    return lm_path, tmp_path / "rx.txt", tmp_path / "tx.txt", y


def _write_capture(lm_path: Path, path: Path, x: np.ndarray, y: np.ndarray) -> None:
    [board] = load_link_map(lm_path).pack({"x": x, "y": y})
    write_emp(board, path, version=2)


def test_board_capture_parity_and_one_flipped_bit(model: Any, board_files: Any, tmp_path: Path) -> None:
    lm_path, rx, tx, y = board_files
    x = quantize_inputs(model, example_inputs(20, seed=3))["input_1"]
    _write_capture(lm_path, tx, x, y)
    args = [
        "validate",
        str(EXAMPLE),
        "--vectors",
        str(rx),
        "--board-capture",
        str(tx),
        "--link-map",
        str(lm_path),
    ]
    assert main([*args, "--report-dir", str(tmp_path / "ok")]) == 0
    ok = _report(tmp_path / "ok")
    assert ok["comparisons"][0]["actual"] == "board" and ok["vectors"]["count"] == 20
    bad = y.copy()
    bad[7, 2] ^= 1 << 5
    _write_capture(lm_path, tx, x, bad)
    assert main([*args, "--report-dir", str(tmp_path / "bad")]) == 1
    [m] = _report(tmp_path / "bad")["comparisons"][0]["mismatches"]
    assert (m["vector"], m["output"], m["index"], m["xor_bits"]) == (7, "softmax", 2, 1 << 5)


# -- bad input -----------------------------------------------------------------------------------------------


def _h5(path: Path, name: str, values: np.ndarray, type_: str | None = None) -> Path:
    vs = VectorSet()
    vs.add_input(name, values, type_)
    write_vectors(path, vs)
    return path


def _untyped_ints(path: Path, values: np.ndarray) -> Path:
    """Raw codes without a type attribute (a file from another tool): taken as raw codes of the model
    input."""
    import h5py

    with h5py.File(path, "w") as f:
        f["inputs/input_1"] = values
    return path


def _truncated(d: Path) -> Path:
    good = _h5(d / "good.h5", "input_1", example_inputs(200))
    data = good.read_bytes()
    (d / "cut.h5").write_bytes(data[: len(data) // 3])
    return d / "cut.h5"


def _bad_emp(d: Path) -> Path:
    text = (REPO / "vectors" / "patterns" / "example_empv2.txt").read_text().splitlines()
    text[5] = text[5][:20] + "zz" + text[5][22:]
    (d / "bad.txt").write_text("\n".join(text) + "\n")
    (d / "map.toml").write_text(LINK_MAP)
    return d / "bad.txt"


# (argv after the model, files to create, message pattern); {d} is the test's directory.
BAD_INPUTS = [
    pytest.param(
        ["validate", "{d}/missing.h5", "--random", "5"],
        None,
        r"MODEL '.*missing\.h5' does not exist \(expected a model file or an hls4ml project\)",
        id="missing-model",
    ),
    pytest.param(
        ["validate", "{d}/garbage.h5", "--random", "5"],
        lambda d: (d / "garbage.h5").write_bytes(b"\x89HDF not really" * 40),
        r"garbage\.h5.*is not an fwparity model file",
        id="corrupt-model",
    ),
    pytest.param(
        ["validate", "{model}", "--vectors", "{d}/nope.h5"],
        None,
        r"--vectors '.*nope\.h5' does not exist",
        id="missing-vectors",
    ),
    pytest.param(
        ["validate", "{model}", "--vectors", "{d}/cut.h5"],
        _truncated,
        r"cut\.h5: not a readable HDF5 file",
        id="truncated-hdf5",
    ),
    pytest.param(
        ["validate", "{model}", "--vectors", "{d}/noise.bin"],
        lambda d: (d / "noise.bin").write_bytes(bytes(range(256)) * 4),
        r"noise\.bin: cannot tell the format from the content",
        id="unknown-format",
    ),
    pytest.param(
        ["validate", "{model}", "--vectors", "{d}/shape.h5"],
        lambda d: _h5(d / "shape.h5", "input_1", np.zeros((4, 12))),
        r"dataset inputs/input_1 has shape \(4, 12\), expected \(N, 16\) for model input 'input_1'",
        id="wrong-shape",
    ),
    pytest.param(
        ["validate", "{model}", "--vectors", "{d}/type.h5"],
        lambda d: _h5(d / "type.h5", "input_1", np.zeros((4, 16), dtype=np.int64), "ap_fixed<18,8>"),
        r"dataset inputs/input_1 has type ap_fixed<18,8>, expected ap_fixed<16,6> for model input",
        id="wrong-type",
    ),
    pytest.param(
        ["validate", "{model}", "--vectors", "{d}/range.h5"],
        lambda d: _untyped_ints(d / "range.h5", np.full((4, 16), 40000, dtype=np.int64)),
        r"range\.h5: dataset inputs/input_1.*40000",
        id="raw-out-of-range",
    ),
    pytest.param(
        ["validate", "{model}", "--vectors", "{d}/cols.dat"],
        lambda d: (d / "cols.dat").write_text("0.5 " * 15 + "\n"),
        r"cols\.dat:1: 15 values per line, but input_1\(16,\) need 16",
        id="dat-columns",
    ),
    pytest.param(
        ["validate", "{model}", "--vectors", "{d}/bad.txt", "--link-map", "{d}/map.toml"],
        _bad_emp,
        r"bad\.txt:6:\d+:",
        id="malformed-pattern-line-column",
    ),
    pytest.param(
        ["validate", "{model}", "--vectors", "{pattern}"],
        None,
        r"is an EMPv2 pattern file; pass --link-map MAP",
        id="pattern-without-link-map",
    ),
    pytest.param(
        ["validate", "{model}", "--random", "5", "--against", "reference,xsim"],
        None,
        r"--against names 'xsim', which is not a backend; choose from reference, csim, rtl",
        id="bad-against",
    ),
    pytest.param(
        ["validate", "{model}", "--random", "5", "--vectors", "{model}"],
        None,
        r"--vectors and --random exclude each other; pass one",
        id="vectors-and-random",
    ),
    pytest.param(
        ["validate", "{model}"], None, r"no input vectors: pass --vectors FILE or --random N", id="no-vectors"
    ),
    pytest.param(
        ["validate", "{model}", "--random", "0"],
        None,
        r"--random must be a positive integer, not 0",
        id="random-zero",
    ),
    pytest.param(
        ["validate", "{model}", "--random", "5", "--against", "reference,rtl", "--rtl", "{d}/none.toml"],
        None,
        r"--rtl '.*none\.toml' is neither 'auto' nor an existing manifest file",
        id="missing-rtl-manifest",
    ),
    pytest.param(
        ["validate", "{model}", "--random", "5", "--rtl", "auto", "--against", "reference,csim"],
        None,
        r"--rtl 'auto' is given but --against reference,csim does not run rtl",
        id="rtl-not-in-against",
    ),
    pytest.param(
        ["validate", "{model}", "--random", "5", "--chunk-size", "0"],
        None,
        r"--chunk-size must be a positive integer, not 0",
        id="chunk-size-zero",
    ),
    pytest.param(
        ["validate", "{model}", "--random", "5", "--tolerance-lsb", "-1"],
        None,
        r"--tolerance-lsb must be at least 0, not -1",
        id="negative-tolerance",
    ),
    pytest.param(
        ["validate", "{model}", "--vectors", "{pattern}", "--board-capture", "{pattern}"],
        None,
        r"--board-capture needs --vectors INPUT_PATTERN_FILE and --link-map MAP as well",
        id="capture-without-link-map",
    ),
    pytest.param(
        ["emulate", "{model}", "{vectors}", "-o", "{d}/no/such/dir/out.h5"],
        None,
        r"directory '.*no/such/dir' does not exist",
        id="emulate-output-dir",
    ),
    pytest.param(
        ["emulate", "{model}", "{vectors}", "-o", "{vectors}"],
        None,
        r"is the input file; write to another file",
        id="emulate-onto-input",
    ),
    pytest.param(
        ["emulate", "{model}", "{d}/nope.h5", "-o", "{d}/o.h5"],
        None,
        r"INPUT '.*nope\.h5' does not exist",
        id="emulate-missing-input",
    ),
]


@pytest.mark.parametrize(("argv", "make", "message"), BAD_INPUTS)
def test_bad_input_exits_2_and_writes_nothing(
    argv: list[str], make: Any, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if make is not None:
        make(tmp_path)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    subs = {
        "{d}": str(tmp_path),
        "{model}": str(EXAMPLE),
        "{vectors}": str(EXAMPLE_VECTORS),
        "{pattern}": str(REPO / "vectors" / "patterns" / "example_empv2.txt"),
    }
    args = []
    for a in argv:
        for k, v in subs.items():
            a = a.replace(k, v)
        args.append(a)
    code = main([*args, "--report-dir", str(tmp_path / "reports")] if args[0] == "validate" else args)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith(f"fwparity {args[0]}: ")
    assert re.search(message, err), err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # no report, no output, no temporary file


@pytest.mark.parametrize(
    ("env", "against", "message"),
    [
        pytest.param(
            {"VERILATOR": "/nonexistent/verilator"},
            "reference,rtl",
            r"Could not find verilator.*install the rtl extra",
            id="verilator",
        ),
        pytest.param(
            {"CXX": "/nonexistent/g++"}, "reference,csim", r"Could not find g\+\+.*install g\+\+", id="gxx"
        ),
    ],
)
def test_a_missing_tool_exits_2_naming_what_to_install(
    env: dict[str, str],
    against: str,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    code = main(
        [
            "validate",
            str(EXAMPLE),
            "--random",
            "10",
            "--against",
            against,
            "--report-dir",
            str(tmp_path / "r"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert re.search(message, err), err
    assert not (tmp_path / "r").exists()


def test_a_report_dir_that_is_a_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A board capture runs only the reference, so this needs no tools to reach the report writer."""
    (tmp_path / "file").write_text("x")
    lm = tmp_path / "map.toml"
    lm.write_text(LINK_MAP)
    model = example_model()
    raw = quantize_inputs(model, example_inputs(4))["input_1"]
    import fwparity

    y = fwparity.emulate(model, raw).raw["softmax"]
    _write_capture(lm, tmp_path / "p.txt", raw, y)
    code = main(
        [
            "validate",
            str(EXAMPLE),
            "--vectors",
            str(tmp_path / "p.txt"),
            "--board-capture",
            str(tmp_path / "p.txt"),
            "--link-map",
            str(lm),
            "--report-dir",
            str(tmp_path / "file"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("fwparity validate: cannot use "), err
    assert (tmp_path / "file").read_text() == "x"


def test_nan_and_inf_inputs_are_quantized_and_warned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x = example_inputs(6)
    x[0, 1], x[2, 2], x[4, 4] = np.nan, np.inf, -np.inf
    _h5(tmp_path / "nan.h5", "input_1", x)
    code = main(["emulate", str(EXAMPLE), str(tmp_path / "nan.h5"), "-o", str(tmp_path / "o.h5")])
    err = capsys.readouterr().err
    assert code == 0
    assert err == (
        "fwparity: warning: nan.h5 holds 1 NaN and 2 infinite input value(s); they were quantized as "
        "ap_fixed<16,6>(double) does in the headers (NaN and inf have no fixed-point value, so check the "
        "source)\n"
    )


def test_an_exception_mid_run_leaves_the_earlier_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pre-existing report.json survives a run that dies in its second chunk."""
    import fwparity._backend as backend_module

    (tmp_path / "report.json").write_text('{"earlier": true}')
    original = backend_module.ReferenceBackend.run
    calls = {"n": 0}

    def dying(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the machine fell over")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(backend_module.ReferenceBackend, "run", dying)
    with pytest.raises(RuntimeError, match="the machine fell over"):
        _validate_reference_twice(tmp_path)
    assert (tmp_path / "report.json").read_text() == '{"earlier": true}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def _validate_reference_twice(report_dir: Path) -> int:
    """What ``fwparity validate`` does, with two reference backends so no tool is needed (the CLI refuses to
    name a backend twice)."""
    from fwparity._backend import get_backend
    from fwparity._pipeline import open_inputs, run_validation
    from fwparity.report import write_reports

    model = example_model()
    source = open_inputs(model, random=100, seed=0)
    comparison = run_validation(
        model, source, [get_backend("reference"), get_backend("reference")], chunk_size=40
    )
    write_reports(comparison, report_dir)
    return int(comparison.exit_code)


# -- docs/cli.md ---------------------------------------------------------------------------------------------


def _doc_examples() -> list[tuple[str, int]]:
    """Every ``$ fwparity ...`` line of docs/cli.md with the exit code it promises (``# exits N``, else 0)."""
    examples = []
    for line in (REPO / "docs" / "cli.md").read_text().splitlines():
        if line.startswith("$ fwparity "):
            m = re.search(r"#\s*exits (\d)", line)
            examples.append((line[2:], int(m.group(1)) if m else 0))
    return examples


@pytest.mark.requires_gxx
def test_the_examples_in_docs_cli_md_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shlex

    (tmp_path / "vectors").symlink_to(REPO / "vectors")
    monkeypatch.chdir(tmp_path)
    examples = _doc_examples()
    assert len(examples) >= 6
    for command, expected in examples:
        code = main(shlex.split(command, comments=True)[1:])
        captured = capsys.readouterr()
        assert code == expected, f"{command}\n{captured.out}\n{captured.err}"


# -- hls4ml projects -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jet_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The KERAS_3layer jet tagger as a real hls4ml 1.3 project; the same description as tests/csim's ``jet``,
    so one session generates it (and fwparity compiles its C++) once."""
    from tests.hls4ml_gen import jet_tagger_spec, make_project

    project = make_project(
        tmp_path_factory, jet_tagger_spec(), input_shape=(16,), default_precision="ap_fixed<16,6>"
    )
    return Path(project.dir)


@pytest.mark.requires_keras
@pytest.mark.requires_gxx
def test_validate_an_hls4ml_project_against_its_own_cpp(jet_project: Path, tmp_path: Path) -> None:
    """MODEL is the project: the reference comes from the importer, csim from the project's own C++ and
    its bundled headers.

    (An edited copy of a project is caught like the edited emitted C++ above; not repeated here, as each
    project build costs ~20 s of the CI budget.)
    """
    code = main(
        ["validate", str(jet_project), "--random", "500", "--seed", "3", "--report-dir", str(tmp_path)]
    )
    data = _report(tmp_path)
    assert code == 0
    [pair] = data["comparisons"]
    assert (pair["expected"], pair["actual"], pair["mismatched_elements"], pair["traced"]) == (
        "reference",
        "csim",
        0,
        True,
    )
    assert {"fc1", "relu1", "softmax"} <= {layer["name"] for layer in pair["layers"]}


@pytest.mark.parametrize(
    "fmt", [pytest.param("dat", id="hls4ml-dat"), pytest.param("APx", id="apx-link-map")]
)
def test_emulate_reads_dat_and_pattern_files(model: Any, fmt: str, tmp_path: Path) -> None:
    """The same raw codes through a .dat file (exact decimals) or an APx file (link map) give emulate()'s
    outputs."""
    import fwparity
    from fwparity.vectors import read_vectors, write_apx, write_dat

    raw = quantize_inputs(model, example_inputs(20, seed=8))["input_1"]
    extra: list[str] = []
    if fmt == "dat":
        src = tmp_path / "tb_input_features.dat"
        write_dat(src, [raw], [model.inputs[0].type])
    else:
        (tmp_path / "map.toml").write_text(LINK_MAP)
        [board] = load_link_map(tmp_path / "map.toml").pack(
            {"x": raw, "y": np.zeros((20, 5), dtype=np.int64)}
        )
        src = tmp_path / "rx.apx"
        write_apx(board, src)
        extra = ["--link-map", str(tmp_path / "map.toml")]
    assert main(["emulate", str(EXAMPLE), str(src), "-o", str(tmp_path / "out.h5"), *extra]) == 0
    out = read_vectors(tmp_path / "out.h5")
    np.testing.assert_array_equal(out.inputs["input_1"], raw)
    np.testing.assert_array_equal(
        out.outputs["reference"]["softmax"], fwparity.emulate(model, raw).raw["softmax"]
    )


def test_an_internal_error_exits_2_not_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A crash must never read as "mismatch" (exit 1) in CI, and must leave an earlier report alone."""
    import fwparity._pipeline as pipeline

    (tmp_path / "report.json").write_text('{"earlier": true}')

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(pipeline, "run_validation", crash)
    code = main(
        [
            "validate",
            str(EXAMPLE),
            "--random",
            "5",
            "--against",
            "reference,csim",
            "--report-dir",
            str(tmp_path),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "RuntimeError: simulated bug" in err
    assert err.endswith("fwparity validate: internal error (the traceback above is a fwparity bug)\n")
    assert (tmp_path / "report.json").read_text() == '{"earlier": true}'


def test_nan_and_inf_in_a_dat_file_are_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = ["0.5 " * 15 + "nan", "-inf " + "0.25 " * 15, "1.0 " * 16, "Infinity " + "0 " * 15]
    (tmp_path / "x.dat").write_text("\n".join(rows) + "\n")
    code = main(["emulate", str(EXAMPLE), str(tmp_path / "x.dat"), "-o", str(tmp_path / "o.h5")])
    err = capsys.readouterr().err
    assert code == 0
    assert err.startswith("fwparity: warning: x.dat holds 1 NaN and 2 infinite input value(s);"), err


# -- --chunk-size defaults -----------------------------------------------------------------------------------

_VALIDATE = ["validate", "{model}", "--random", "5", "--report-dir", "{out}"]


@pytest.mark.parametrize(
    ("argv", "target", "expected"),
    [
        pytest.param(["emulate", "{model}", "{vectors}", "-o", "{out}"], "emulate_file", 10_000, id="emulate"),
        pytest.param(
            # None: emulate_dask picks its own size (500,000, or 50,000 with --trace) once it knows about trace
            ["emulate", "{model}", "{vectors}", "-o", "{out}", "--dask"], "emulate_dask", None, id="emulate-dask"
        ),
        pytest.param(
            ["emulate", "{model}", "{vectors}", "-o", "{out}", "--chunk-size", "7", "--dask"],
            "emulate_dask",
            7,
            id="emulate-dask-given",
        ),
        pytest.param(_VALIDATE, "run_validation", 10_000, id="validate"),
        pytest.param([*_VALIDATE, "--dask"], "run_validation_dask", 20_000, id="validate-dask"),
        pytest.param([*_VALIDATE, "--chunk-size", "9"], "run_validation", 9, id="validate-given"),
    ],
)
def test_chunk_size_defaults_per_pipeline(
    argv: list[str], target: str, expected: int | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --chunk-size each pipeline keeps its own default (the dask ones are larger); with it, it is
    passed through. The pipelines (and the backends) are replaced by spies, so nothing runs and no tool is
    needed."""
    import inspect

    import fwparity._pipeline as pipeline
    import fwparity.distributed as distributed

    module = distributed if target.endswith("_dask") else pipeline
    real = getattr(module, target)
    seen: list[int | None] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        bound = inspect.signature(real).bind(*args, **kwargs)
        bound.apply_defaults()
        seen.append(bound.arguments["chunk_size"])
        raise RuntimeError("spied")

    monkeypatch.setattr(module, target, spy)
    monkeypatch.setattr(pipeline, "make_backends", lambda *a, **k: [])
    fmt = {"model": EXAMPLE, "vectors": EXAMPLE_VECTORS, "out": tmp_path / "out"}
    assert main([a.format(**fmt) for a in argv]) == 2  # the spy's RuntimeError, reported as an internal error
    assert seen == [expected]
