"""fwp_requant against FixedType.cast, the exact model of ap_fixed's operator= (itself proven against the
headers).

One Verilated design holds every (source, destination) pair of the grid, each with its own ports, so the
whole grid
costs one build. Narrow sources are enumerated exhaustively (2**14 codes); wide ones get random raw codes.
"""

from __future__ import annotations

import numpy as np
import pytest

from fwparity.errors import InvalidArgument
from fwparity.fixed import FixedType, Overflow
from fwparity.rtlsim import PortMap, RtlDesign, build_harness, library_files, lint, run_batch
from fwparity.rtlsim.generate import type_params

pytestmark = pytest.mark.requires_verilator

QUANT = ["AP_TRN", "AP_TRN_ZERO", "AP_RND", "AP_RND_ZERO", "AP_RND_MIN_INF", "AP_RND_INF", "AP_RND_CONV"]
OVERFLOW = ["AP_WRAP", "AP_SAT", "AP_SAT_ZERO", "AP_SAT_SYM", "AP_WRAP,2", "AP_WRAP_SM", "AP_WRAP_SM,1", "AP_WRAP_SM,3"]

#: (source, destination): every Q x O on a narrowing cast, then shapes that stress the widths.
GRID = [("ap_fixed<14,6>", f"ap_fixed<7,3,{q},{o}>") for q in QUANT for o in OVERFLOW] + [
    ("ap_ufixed<14,4>", "ap_fixed<20,12,AP_RND,AP_SAT>"),  # widening, unsigned -> signed, left shift
    ("ap_fixed<14,6>", "ap_ufixed<6,2,AP_RND_CONV,AP_SAT>"),  # signed -> unsigned saturates negatives to 0
    ("ap_fixed<14,6>", "ap_ufixed<6,4,AP_TRN,AP_WRAP,2>"),  # unsigned N sat bits set on underflow too
    ("ap_fixed<14,6>", "ap_ufixed<6,4,AP_RND_INF,AP_SAT_SYM>"),
    ("ap_fixed<14,6>", "ap_fixed<6,10,AP_RND_CONV,AP_SAT>"),  # F < 0
    ("ap_fixed<14,6>", "ap_fixed<6,-1,AP_RND,AP_SAT>"),  # I < 0
    ("ap_fixed<14,6>", "ap_fixed<1,1,AP_RND,AP_SAT_SYM>"),  # one-bit destination
    ("ap_fixed<14,6>", "ap_fixed<5,2,AP_RND_MIN_INF,AP_WRAP,5>"),  # N = W
    ("ap_ufixed<14,14>", "ap_ufixed<3,3,AP_TRN,AP_SAT_ZERO>"),
    ("ap_fixed<40,12>", "ap_fixed<70,30,AP_RND_INF,AP_SAT>"),  # output wider than 64 bits
    ("ap_fixed<70,20>", "ap_fixed<18,6,AP_RND_CONV,AP_SAT_SYM>"),  # input wider than 64 bits
    ("ap_fixed<64,40>", "ap_fixed<33,13,AP_RND_ZERO,AP_WRAP,3>"),
    # AP_WRAP_SM (signed only): N = 0 takes the MSB from the source bit above the destination (bit W of floor(t)),
    # N = 1 from the source sign, N > 1 sets N saturation bits; each shape below moves that bit somewhere new.
    ("ap_ufixed<14,4>", "ap_fixed<6,4,AP_RND,AP_WRAP_SM>"),  # unsigned source: bit W of floor(t) past it (0)
    ("ap_fixed<14,6>", "ap_fixed<3,5,AP_RND_CONV,AP_WRAP_SM>"),  # F < 0
    ("ap_fixed<14,6>", "ap_fixed<6,-1,AP_RND_INF,AP_WRAP_SM,2>"),  # I < 0
    ("ap_fixed<8,6>", "ap_fixed<6,6,AP_RND,AP_WRAP_SM>"),  # only rounding overflows; bit W is past the source
    ("ap_fixed<14,6>", "ap_fixed<4,6,AP_RND_INF,AP_WRAP_SM,1>"),  # the same with N = 1 and F < 0
    ("ap_fixed<6,2>", "ap_fixed<14,2,AP_TRN,AP_WRAP_SM>"),  # left shift, never out of range
    ("ap_fixed<14,6>", "ap_fixed<8,-1,AP_TRN,AP_WRAP_SM>"),  # left shift (F > F2) that overflows: bit W from the source
    ("ap_fixed<6,6>", "ap_fixed<3,-1,AP_TRN,AP_WRAP_SM>"),  # left shift past W: bit W of floor(t) is 0
    ("ap_fixed<8,8>", "ap_fixed<4,7,AP_TRN,AP_WRAP_SM,1>"),  # F < 0 with N = 1
    ("ap_fixed<14,6>", "ap_fixed<1,1,AP_RND,AP_WRAP_SM>"),  # one-bit destination
    ("ap_fixed<14,6>", "ap_fixed<1,1,AP_TRN,AP_WRAP_SM,1>"),
    ("ap_fixed<14,6>", "ap_fixed<5,2,AP_RND_ZERO,AP_WRAP_SM,5>"),  # N = W
    ("ap_fixed<14,12>", "ap_fixed<4,4,AP_TRN,AP_WRAP_SM>"),  # 1000 folds to 0111 when bit W of floor(t) is 0
    ("ap_fixed<70,20>", "ap_fixed<18,6,AP_RND_CONV,AP_WRAP_SM>"),  # input wider than 64 bits
    ("ap_fixed<40,12>", "ap_fixed<70,8,AP_RND_MIN_INF,AP_WRAP_SM,2>"),  # output wider than 64 bits
    ("ap_fixed<64,40>", "ap_fixed<33,13,AP_RND_ZERO,AP_WRAP_SM,1>"),
]

N_VECTORS = 1 << 14


def _source_codes(t: FixedType, rng: np.random.Generator) -> np.ndarray:
    if t.width <= 14:
        codes = np.arange(t.min_raw, t.max_raw + 1, dtype=np.int64)
        return np.resize(codes, N_VECTORS)
    # Random full-range codes, built from 32-bit chunks so widths above 63 stay exact.
    chunks = rng.integers(0, 1 << 32, size=(N_VECTORS, (t.width + 31) // 32), dtype=np.uint64)
    vals = [sum(int(c) << (32 * k) for k, c in enumerate(row)) % (1 << t.width) for row in chunks]
    vals = [v - (1 << t.width) if t.signed and v >> (t.width - 1) else v for v in vals]
    arr = np.array(vals, dtype=object)
    return arr if t.width > 63 else arr.astype(np.int64)


@pytest.fixture(scope="module")
def grid_design(tmp_path_factory: pytest.TempPathFactory) -> RtlDesign:
    out = tmp_path_factory.mktemp("requant_grid")
    lines, ins, outs = [], [], []
    decl = ["    input wire clk", "    input wire rst", "    input wire in_valid", "    output reg out_valid"]
    for k, (s, d) in enumerate(GRID):
        src, dst = FixedType.parse(s), FixedType.parse(d)
        p = {"IN_W": src.width, "IN_F": src.frac_bits, "IN_SIGNED": int(src.signed)}
        tp = type_params("R", dst)
        p.update(
            {
                "OUT_W": tp["R_W"],
                "OUT_F": tp["R_F"],
                "OUT_SIGNED": tp["R_S"],
                "QUANT": tp["R_Q"],
                "OVF": tp["R_O"],
                "SAT_BITS": tp["R_N"],
            }
        )
        decl.append(f"    input wire [{src.width - 1}:0] x{k}")
        decl.append(f"    output reg [{dst.width - 1}:0] y{k}")
        params = ", ".join(f".{n}({v})" for n, v in p.items())
        lines.append(f"    wire [{dst.width - 1}:0] c{k};")
        lines.append(f"    fwp_requant #({params}) u{k} (.din(x{k}), .dout(c{k}));")
        lines.append(f"    always @(posedge clk) y{k} <= c{k};")
        ins.append(PortMap(f"x{k}", f"x{k}", (), src))
        outs.append(PortMap(f"y{k}", f"y{k}", (), dst))
    lines.append("    always @(posedge clk) out_valid <= rst ? 1'b0 : in_valid;")
    top = out / "requant_grid.v"
    top.write_text(
        "module requant_grid (\n" + ",\n".join(decl) + "\n);\n" + "\n".join(lines) + "\nendmodule\n"
    )
    return RtlDesign(
        top="requant_grid",
        files=(library_files()["fwp_requant"], top),
        protocol="valid",
        inputs=tuple(ins),
        outputs=tuple(outs),
        latency=1,
    )


@pytest.fixture(scope="module")
def grid_results(grid_design: RtlDesign) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    rng = np.random.default_rng(2026)
    inputs = {f"x{k}": _source_codes(FixedType.parse(s), rng) for k, (s, _) in enumerate(GRID)}
    outputs, _, _ = run_batch(build_harness(grid_design), inputs)
    return inputs, outputs


@pytest.mark.parametrize("k", [pytest.param(k, id=f"{s}->{d}") for k, (s, d) in enumerate(GRID)])
def test_requant_matches_cast(
    k: int, grid_results: tuple[dict[str, np.ndarray], dict[str, np.ndarray]]
) -> None:
    inputs, outputs = grid_results
    src, dst = FixedType.parse(GRID[k][0]), FixedType.parse(GRID[k][1])
    expected = dst.cast(inputs[f"x{k}"], src)
    actual = outputs[f"y{k}"]
    bad = np.flatnonzero(np.asarray(actual != expected))
    assert bad.size == 0, (
        f"{bad.size} of {N_VECTORS} differ; first: raw {inputs[f'x{k}'][bad[0]]!r} -> "
        f"rtl {actual[bad[0]]!r}, cast {expected[bad[0]]!r}"
    )


def test_grid_covers_every_mode() -> None:
    quant = {FixedType.parse(d).quantization for _, d in GRID}
    overflow = {(FixedType.parse(d).overflow, FixedType.parse(d).sat_bits > 0) for _, d in GRID}
    assert len(quant) == 7
    assert len(overflow) == 7  # WRAP, SAT, SAT_ZERO, SAT_SYM, WRAP_SM, each WRAP with and without N
    sm = {FixedType.parse(d).sat_bits for _, d in GRID if FixedType.parse(d).overflow is Overflow.WRAP_SM}
    assert {0, 1} <= sm and max(sm) > 1


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("ap_ufixed<6,2,AP_TRN,AP_WRAP_SM>", id="ufixed"),
        pytest.param("ap_ufixed<6,2,AP_RND,AP_WRAP_SM,2>", id="ufixed-n2"),
    ],
)
def test_unsigned_wrap_sm_refused(text: str) -> None:
    # The headers print "cannot support AP_WRAP_SM" and exit for ap_ufixed; the reference refuses to build the type,
    # so no unsigned WRAP_SM ever reaches type_params or fwp_requant.
    with pytest.raises(InvalidArgument, match="WRAP_SM requires a signed type"):
        FixedType.parse(text)


@pytest.mark.parametrize(
    "k",
    [
        pytest.param(k, id=f"{s}->{d}")
        for k, (s, d) in enumerate(GRID)
        if FixedType.parse(d).overflow is Overflow.WRAP_SM and d != "ap_fixed<14,2,AP_TRN,AP_WRAP_SM>"
    ],
)
def test_wrap_sm_points_overflow(
    k: int, grid_results: tuple[dict[str, np.ndarray], dict[str, np.ndarray]]
) -> None:
    # A WRAP_SM grid point whose codes never leave the range would test nothing but the plain wrap: each must have
    # codes that overflow (where wrapping and saturating disagree).
    inputs, _ = grid_results
    src, dst = FixedType.parse(GRID[k][0]), FixedType.parse(GRID[k][1])
    x = inputs[f"x{k}"]
    wrapped = dst.with_(overflow=Overflow.WRAP, sat_bits=0).cast(x, src)
    saturated = dst.with_(overflow=Overflow.SAT, sat_bits=0).cast(x, src)
    assert np.any(wrapped != saturated)


def test_type_params_wrap_sm() -> None:
    p = type_params("A", FixedType.parse("ap_fixed<8,3,AP_RND,AP_WRAP_SM,2>"))
    assert p == {"A_W": 8, "A_F": 5, "A_S": 1, "A_Q": 2, "A_O": 4, "A_N": 2}


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"OVF": 4}, id="n0-right-shift"),
        pytest.param({"OVF": 4, "IN_F": 4, "OUT_F": 12}, id="n0-left-shift"),
        pytest.param({"OVF": 4, "SAT_BITS": 1, "OUT_W": 1, "OUT_F": 0}, id="n1-one-bit"),
        pytest.param({"OVF": 4, "SAT_BITS": 3, "QUANT": 6, "IN_W": 70, "OUT_W": 66}, id="n3-wide"),
    ],
)
def test_wrap_sm_is_lint_clean(params: dict[str, int]) -> None:
    # tests/rtlsim/test_library.py lints every module; these reach the WRAP_SM generate branches.
    assert lint([library_files()["fwp_requant"]], "fwp_requant", parameters=params) == ""
