"""The Verilator batch harness: the three protocols, wide ports, user RTL from a manifest, the watchdog and
build
errors."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import fwparity
from fwparity.errors import BuildError, FormatError, InvalidArgument, SimulationError
from fwparity.fixed import FixedType
from fwparity.model import Layer, Model, Tensor
from fwparity.rtlsim import PortMap, RtlBackend, RtlDesign, build_harness, load_rtl_manifest, run_batch
from fwparity.rtlsim.batch import pack_words, unpack_words


def _assert_same(actual: np.ndarray, expected: np.ndarray) -> None:
    bad = np.argwhere(np.asarray(actual != expected))
    assert bad.size == 0, (
        f"{len(bad)} differ, first at {tuple(bad[0])}: {actual[tuple(bad[0])]!r} vs "
        f"{expected[tuple(bad[0])]!r}"
    )


@pytest.mark.parametrize(
    ("width", "signed"),
    [(1, True), (7, False), (16, True), (33, True), (64, False), (70, True), (129, False)],
)
def test_pack_unpack_round_trip(width: int, signed: bool) -> None:
    t = FixedType(width, width // 2, signed=signed)
    rng = np.random.default_rng(width)
    codes = [int(v) for v in rng.integers(0, 1 << 62, 3 * 40)]
    codes = [(c * (c + 12345) << 70) % (1 << width) for c in codes] + [0, (1 << width) - 1]
    codes = [c - (1 << width) if signed and c >> (width - 1) else c for c in codes][: 3 * 40]
    raw = np.array(codes, dtype=object if width > 63 else np.int64).reshape(40, 3)
    maps = [PortMap("a", "p", (3,), t, offset=5)]
    widths = {"p": 5 + 3 * width}
    words = pack_words(maps, widths, ["p"], {"a": raw}, 40)
    assert words.shape == (40, (5 + 3 * width + 31) // 32)
    back = unpack_words(maps, widths, ["p"], words)["a"]
    assert back.tolist() == raw.tolist()


@pytest.mark.requires_verilator
@pytest.mark.parametrize(
    ("interface", "stall"),
    [
        pytest.param("valid", 0, id="valid"),
        pytest.param("ap_ctrl_hs", 0, id="ap_ctrl_hs"),
        pytest.param("axis", 40, id="axis-backpressure"),
    ],
)
def test_protocols_are_bit_exact(small_mlp: Model, interface: str, stall: int) -> None:
    rng = np.random.default_rng(5)
    x = rng.integers(-(1 << 15), 1 << 15, size=(3000, 4))
    result = RtlBackend(interface=interface, stall_percent=stall).run(small_mlp, {"x": x})
    _assert_same(result.outputs["softmax"], fwparity.emulate(small_mlp, {"x": x}).raw["softmax"])


@pytest.mark.requires_verilator
def test_wide_ports(tmp_path: Path) -> None:
    # 3 x 70-bit input (a 210-bit VlWide port) cast to 40-bit outputs (a 120-bit port).
    model = Model(
        "wide",
        [Tensor("x", (3,), "ap_fixed<70,20>")],
        [Layer("y", "linear", ["x"], (3,), {"result": "ap_fixed<40,12,AP_RND_CONV,AP_SAT>"})],
        ["y"],
    )
    rng = np.random.default_rng(70)
    hi = rng.integers(-(1 << 31), 1 << 31, size=(2000, 3))
    lo = rng.integers(0, 1 << 38, size=(2000, 3))
    x = np.array(
        [int(h) * (1 << 38) + int(v) for h, v in zip(hi.ravel(), lo.ravel(), strict=True)], dtype=object
    ).reshape(2000, 3)
    x[:10] >>= 30  # in-range values too, not only rails
    result = RtlBackend().run(model, {"x": x})
    _assert_same(result.outputs["y"], fwparity.emulate(model, {"x": x}).raw["y"])


USER_RTL = """\
// Hand-written: y = relu(x) on ap_fixed<8,3>, two register stages, no out_valid (fixed latency).
module user_relu (input wire clock, input wire reset_n, input wire [31:0] data_in,
                  output reg [31:0] data_out);
    reg [31:0] stage;
    integer k;
    always @(posedge clock) begin
        for (k = 0; k < 4; k = k + 1)
            stage[k*8 +: 8] <= data_in[k*8 + 7] ? 8'd0 : data_in[k*8 +: 8];
        data_out <= reset_n ? stage : 32'd0;
    end
endmodule
"""

MANIFEST = """\
[top]
module = "user_relu"
sources = ["user_relu.v"]
protocol = "valid"
latency = 2
ii = 2
reset_active_low = true

[signals]
clock = "clock"
reset = "reset_n"
in_valid = ""
out_valid = ""

[[inputs]]
name = "x"
port = "data_in"
type = "ap_fixed<8,3>"
shape = [4]

[[outputs]]
name = "relu"
port = "data_out"
type = "ap_fixed<8,3>"
shape = [4]
"""


@pytest.fixture
def relu_model() -> Model:
    t = "ap_fixed<8,3>"
    return Model(
        "relu", [Tensor("x", (4,), t)], [Layer("relu", "relu", ["x"], (4,), {"result": t})], ["relu"]
    )


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    (tmp_path / "user_relu.v").write_text(USER_RTL)
    path = tmp_path / "rtl.toml"
    path.write_text(MANIFEST)
    return path


@pytest.mark.requires_verilator
def test_user_rtl_from_manifest(relu_model: Model, manifest: Path) -> None:
    x = np.random.default_rng(0).integers(-128, 128, size=(5000, 4))
    result = RtlBackend(manifest).run(relu_model, {"x": x})
    _assert_same(result.outputs["relu"], fwparity.emulate(relu_model, {"x": x}).raw["relu"])


def test_manifest_describes_the_design(manifest: Path) -> None:
    design = load_rtl_manifest(manifest)
    assert (design.top, design.protocol, design.latency, design.ii) == ("user_relu", "valid", 2, 2)
    assert design.signals["clock"] == "clock" and design.signals["out_valid"] == ""
    assert [(p.tensor, p.port, p.shape, str(p.type)) for p in design.inputs] == [
        ("x", "data_in", (4,), "ap_fixed<8,3>")
    ]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(
            ('protocol = "valid"', 'protocol = "wishbone"'),
            r" \[top\]: protocol 'wishbone' is not in supported list: valid, ap_ctrl_hs, axis$",
            id="protocol",
        ),
        pytest.param(
            ('sources = ["user_relu.v"]', 'sources = ["missing.v"]'),
            r" \[top\]: source 'missing.v' does not exist$",
            id="source",
        ),
        pytest.param(
            ("shape = [4]\n\n[[outputs]]", "shape = [0]\n\n[[outputs]]"),
            r": inputs\[0\]: shape must be a list of positive integers, not \[0\]$",
            id="shape",
        ),
        pytest.param(
            ('type = "ap_fixed<8,3>"\nshape = [4]\n\n[[outputs]]', "shape = [4]\n\n[[outputs]]"),
            r": inputs\[0\]: missing key 'type'$",
            id="type",
        ),
        pytest.param(
            ('in_valid = ""', 'tvalid = ""'),
            r" \[signals\]: 'tvalid' is not a valid signal \(known: clock, reset, in_valid, out_valid\)$",
            id="signal",
        ),
        pytest.param(
            ("latency = 2\n", ""),
            r": Design 'user_relu' uses protocol 'valid' without an out_valid signal, so it needs a latency$",
            id="latency",
        ),
    ],
)
def test_bad_manifest(manifest: Path, edit: tuple[str, str], message: str) -> None:
    text = manifest.read_text()
    assert edit[0] in text
    manifest.write_text(text.replace(edit[0], edit[1]))
    with pytest.raises(FormatError, match=r"^'" + re.escape(str(manifest)) + "'" + message):
        load_rtl_manifest(manifest)


def test_manifest_tensor_must_be_in_model(relu_model: Model, manifest: Path) -> None:
    manifest.write_text(manifest.read_text().replace('name = "relu"', 'name = "fc9"'))
    with pytest.raises(
        InvalidArgument,
        match=r"^RTL output 'fc9' \(port 'data_out'\) is not an output of model "
        r"'relu' \(outputs: relu\)$",
    ):
        RtlBackend(manifest).run(relu_model, {"x": np.zeros((1, 4), dtype=np.int64)})


@pytest.mark.requires_verilator
def test_watchdog_names_the_vector(tmp_path: Path) -> None:
    # out_valid answers the first two vectors, then never again.
    src = tmp_path / "stuck.v"
    src.write_text(
        "module stuck (input wire clk, input wire rst, input wire in_valid, input wire [7:0] x,\n"
        "              output reg out_valid, output reg [7:0] y);\n"
        "    reg [1:0] n;\n"
        "    always @(posedge clk) begin\n"
        "        if (rst) n <= 2'd0; else if (in_valid && n != 2'd3) n <= n + 2'd1;\n"
        "        out_valid <= !rst && in_valid && n < 2'd2;\n"
        "        y <= x;\n"
        "    end\n"
        "endmodule\n"
    )
    t = FixedType.parse("ap_int<8>")
    design = RtlDesign("stuck", (src,), "valid", (PortMap("x", "x", (1,), t),), (PortMap("y", "y", (1,), t),))
    with pytest.raises(
        SimulationError,
        match=r"^Design 'stuck' \(valid\) gave no result for vector 2 of 10: no "
        r"progress for 64 cycles \(watchdog, after \d+ cycles\)$",
    ):
        run_batch(build_harness(design), {"x": np.arange(10).reshape(10, 1)}, idle_limit=64)


@pytest.mark.requires_verilator
def test_build_error_names_file_and_line(tmp_path: Path) -> None:
    src = tmp_path / "broken.v"
    src.write_text(
        "module broken (input wire clk, input wire [7:0] x, output reg [7:0] y);\n"
        "    always @(posedge clk) y <= x +;\n"
        "endmodule\n"
    )
    t = FixedType.parse("ap_int<8>")
    design = RtlDesign(
        "broken",
        (src,),
        "valid",
        (PortMap("x", "x", (1,), t),),
        (PortMap("y", "y", (1,), t),),
        latency=1,
        signals={"in_valid": "", "out_valid": "", "reset": ""},
    )
    with pytest.raises(BuildError) as info:
        build_harness(design)
    assert re.search(r"%Error: " + re.escape(str(src)) + r":2:\d+: syntax error", str(info.value))
