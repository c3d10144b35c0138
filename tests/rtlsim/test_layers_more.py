"""The RTL modules added for issue #5 (softmax 'argmax' and 'legacy', hard_sigmoid/hard_tanh, elu/selu, dot)
against the reference layers (fwparity.emulate), bit for bit, through the Verilator batch harness.

Each grid point is one model (one Verilator build) with every new layer as a branch of the same inputs, on a
different precision: plain TRN/WRAP, RND/SAT with saturating accumulators and tables, and an unsigned narrow input
with WRAP plus saturation bits, a signed slope/shift and result types without integer bits (where ``d = 1`` in
hard_sigmoid wraps and ``res_t(1)`` of argmax wraps). Inputs cover the whole raw range: both rails, zero and +-1 LSB,
small values (the tables' dead zone, small softmax spreads), and ties for argmax's first-maximum rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import fwparity
from fwparity.errors import UnsupportedLayer
from fwparity.fixed import FixedType
from fwparity.model import Layer, Model, Tensor
from fwparity.rtlsim import build_harness, generate, run_batch

pytestmark = pytest.mark.requires_verilator

N_IN = 6
N_VECTORS = 10_000


@dataclass(frozen=True)
class Grid:
    """One precision point: the input types and the types of every new layer."""

    x: str
    y: str
    result: str  # activations' and softmaxes' result type
    small: str  # a result type with few integer bits (wraps or saturates often)
    table: str  # table_t of elu/selu and of legacy softmax
    slope: str
    shift: str
    slope_raw: int
    shift_raw: int
    accum: str  # dot's accum_t
    table_size: int
    coarse_hard: bool = False  # add a hard_sigmoid whose d has a negative number of fractional bits
    dot_small: str | None = None  # dot_small's result type when ``small`` is too fine for the sums (default small)


GRID = {
    "trn-wrap": Grid(
        x="ap_fixed<16,6>",
        y="ap_fixed<12,4>",
        result="ap_fixed<16,6>",
        small="ap_ufixed<8,1>",
        table="ap_fixed<18,8>",
        slope="ap_ufixed<16,0>",
        shift="ap_ufixed<2,0>",
        slope_raw=13107,  # 0.2, hls4ml's default
        shift_raw=2,  # 0.5
        accum="ap_fixed<20,8>",
        table_size=1024,
    ),
    "rnd-sat": Grid(
        x="ap_fixed<10,4>",
        y="ap_fixed<10,4>",
        result="ap_fixed<12,3,AP_RND,AP_SAT>",
        small="ap_fixed<6,1,AP_RND_CONV,AP_SAT_SYM>",
        table="ap_fixed<12,4,AP_RND,AP_SAT>",
        slope="ap_fixed<8,1>",
        shift="ap_fixed<6,1>",
        slope_raw=77,  # 0.6015625
        shift_raw=-9,  # -0.28125: a signed shift widens d's type differently
        accum="ap_fixed<10,3,AP_RND,AP_SAT>",  # saturates mid-sum
        table_size=512,
    ),
    "unsigned-wrap": Grid(
        x="ap_ufixed<8,3>",
        y="ap_fixed<8,2>",
        result="ap_fixed<10,2,AP_RND_ZERO,AP_WRAP,2>",
        small="ap_fixed<6,1>",  # res_t(1) wraps to the negative minimum
        table="ap_fixed<10,2,AP_TRN,AP_WRAP,1>",
        slope="ap_ufixed<4,-1>",  # d's type has no integer bit: 'd = 1' wraps (the C++ quirk)
        shift="ap_ufixed<3,-1>",
        slope_raw=5,
        shift_raw=3,
        accum="ap_fixed<9,3,AP_RND_INF,AP_WRAP>",
        table_size=100,  # not a power of two: legal for elu/selu/legacy (clamped indices)
    ),
    "negative-frac": Grid(
        x="ap_fixed<8,10>",  # LSB 4: the table indices shift left after truncating (X_F < 0)
        y="ap_fixed<7,8>",
        result="ap_fixed<12,10,AP_RND,AP_SAT>",
        small="ap_ufixed<4,1,AP_RND_MIN_INF,AP_SAT_ZERO>",
        table="ap_fixed<14,6,AP_RND_ZERO,AP_WRAP>",
        slope="ap_fixed<6,2>",
        shift="ap_fixed<4,2>",
        slope_raw=19,
        shift_raw=1,
        accum="ap_fixed<10,14,AP_RND_CONV,AP_SAT>",  # coarser than the products: every term rounds
        table_size=60,  # N / 8, N / 16 and N / 64 not integers: the first truncation matters before the shift
        coarse_hard=True,
        dot_small="ap_fixed<8,12,AP_RND_MIN_INF,AP_SAT_ZERO>",  # the sums are multiples of 16
    ),
}

#: Layers whose every output is one code by design (the test that outputs vary skips them).
CONSTANT_BY_DESIGN = {
    # d = slope * x + shift has LSB 4, so 'if (d > 1) d = 1' assigns 1 to a type that truncates it to 0: the C++
    # returns 0 for every input (and a module that ignores the quirk returns 1 for large inputs).
    "hsig_coarse",
}


def _layers(g: Grid) -> list[Layer]:
    n = (N_IN,)
    hard = {"slope": g.slope, "shift": g.shift}
    hard_opts = {"slope": g.slope_raw, "shift": g.shift_raw}
    size = g.table_size
    return [
        Layer("argmax", "softmax", ["x"], n, {"result": g.result}, options={"implementation": "argmax"}),
        Layer("argmax_small", "softmax", ["x"], n, {"result": g.small}, options={"implementation": "argmax"}),
        Layer(
            "legacy",
            "softmax",
            ["x"],
            n,
            {"table": g.table, "result": g.result},
            options={"implementation": "legacy", "table_size": size},
        ),
        Layer("hsig", "hard_sigmoid", ["x"], n, {**hard, "result": g.result}, options=hard_opts),
        Layer("hsig_small", "hard_sigmoid", ["x"], n, {**hard, "result": g.small}, options=hard_opts),
        Layer("htanh", "hard_tanh", ["x"], n, {**hard, "result": g.result}, options=hard_opts),
        Layer("htanh_small", "hard_tanh", ["x"], n, {**hard, "result": g.small}, options=hard_opts),
        Layer("elu", "elu", ["x"], n, {"table": g.table, "result": g.result}, options={"table_size": size}),
        Layer(
            "elu_alpha",
            "elu",
            ["y"],
            n,
            {"table": g.table, "param": "ap_fixed<8,2>", "result": g.small},
            options={"table_size": size, "alpha": -77},  # -1.203125: a negative alpha flips the branch's sign
        ),
        Layer("selu", "selu", ["y"], n, {"table": g.table, "result": g.result}, options={"table_size": size}),
        # fwp_lut_act (through fwp_lut_index): any table size, here also 100 and 60
        Layer("softsign", "softsign", ["x"], n, {"table": g.table, "result": g.result}, options={"table_size": size}),
        Layer("dot", "dot", ["x", "y"], (1,), {"accum": g.accum, "result": g.result}),
        Layer("dot_small", "dot", ["y", "x"], (1,), {"accum": g.accum, "result": g.dot_small or g.small}),
    ] + (
        [
            # fwp_lut_act through fwp_lut_index: with X_F < 0, int(x * 8 / 16) truncates before the left shift
            Layer(
                "sigmoid_tiny",
                "sigmoid",
                ["x"],
                n,
                {"table": g.table, "result": g.result},
                options={"table_size": 8},
            ),
            Layer(
                "hsig_coarse",
                "hard_sigmoid",
                ["x"],
                n,
                {"slope": "ap_fixed<4,4>", "shift": "ap_fixed<4,6>", "result": g.result},
                options={"slope": 3, "shift": -2},  # d = 3x - 8: raw 1 (4.0) is > 1
            ),
        ]
        if g.coarse_hard
        else []
    )


def _model(name: str) -> Model:
    g = GRID[name]
    layers = _layers(g)
    inputs = [Tensor("x", (N_IN,), g.x), Tensor("y", (N_IN,), g.y)]
    return Model(f"more_{name.replace('-', '_')}", inputs, layers, [layer.name for layer in layers])


def _vectors(t: FixedType, rng: np.random.Generator) -> np.ndarray:
    """Raw codes over the whole range, with rails, zero, +-1, small values and repeated values (ties)."""
    x = rng.integers(t.min_raw, t.max_raw + 1, size=(N_VECTORS, N_IN))
    q = N_VECTORS // 8
    x[:q] >>= max(t.width // 2, 1)  # small magnitudes: dead zones, small softmax spreads
    edges = np.array(
        sorted(v for v in {t.min_raw, t.min_raw + 1, -1, 0, 1, t.max_raw - 1, t.max_raw} if t.min_raw <= v <= t.max_raw)
    )
    x[q : 2 * q] = rng.choice(edges, size=(q, N_IN))
    # Ties: copy one element over another, so the maximum often appears twice (argmax keeps the first).
    rows = np.arange(2 * q, 3 * q)
    src, dst = rng.integers(0, N_IN, q), rng.integers(0, N_IN, q)
    x[rows, dst] = x[rows, src]
    x[3 * q : 3 * q + 3] = np.array([t.min_raw, t.max_raw, 0])[:, None]  # all-equal rows: every index ties
    return x


@pytest.fixture(scope="module", params=list(GRID), ids=list(GRID))
def grid_results(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Model, dict, dict]:
    name = request.param
    model = _model(name)
    rng = np.random.default_rng(sum(map(ord, name)))
    inputs = {t.name: _vectors(t.type, rng) for t in model.inputs}
    design = generate(model, tmp_path_factory.mktemp(name))
    actual, _, _ = run_batch(build_harness(design), inputs)
    expected = fwparity.emulate(model, inputs).raw
    return model, expected, actual


def test_new_layers_match_reference(grid_results: tuple[Model, dict, dict]) -> None:
    model, expected, actual = grid_results
    failures = []
    for layer in model.layers:
        exp, act = np.asarray(expected[layer.name]), np.asarray(actual[layer.name])
        assert act.shape == exp.shape, layer.name
        bad = np.argwhere(act != exp)
        if bad.size:
            v = tuple(bad[0])
            failures.append(
                f"{layer.name}: {len(bad)} elements differ; first at (vector, element) {v}: rtl {act[v]!r}, "
                f"reference {exp[v]!r}"
            )
    assert not failures, "\n".join(failures)


def test_outputs_are_not_trivial(grid_results: tuple[Model, dict, dict]) -> None:
    # A constant output would match a broken module too: every branch must produce several distinct codes.
    model, expected, _ = grid_results
    for layer in model.layers:
        distinct = len(np.unique(np.asarray(expected[layer.name])))
        assert distinct == 1 if layer.name in CONSTANT_BY_DESIGN else distinct > 1, layer.name


def _one_layer(layer: Layer, *inputs: Tensor) -> Model:
    return Model("refused", list(inputs), [layer], [layer.name])


@pytest.mark.parametrize(
    ("model", "message"),
    [
        pytest.param(
            _one_layer(
                Layer("wide_elu", "elu", ["x"], (4,), {"table": "ap_fixed<18,8>", "result": "ap_fixed<16,6>"}),
                Tensor("x", (4,), "ap_fixed<48,40>"),
            ),
            r"^Layer 'wide_elu' \(elu\): int\(x \* 1024 / -8\) overflows a C int for input type ap_fixed<48,40>",
            id="elu-index-overflows-int",
        ),
        pytest.param(
            _one_layer(
                Layer("dot2d", "dot", ["a", "b"], (1,), {"accum": "ap_fixed<20,8>", "result": "ap_fixed<16,6>"}),
                Tensor("a", (2, 3), "ap_fixed<8,3>"),
                Tensor("b", (2, 3), "ap_fixed<8,3>"),
            ),
            r"^Layer 'dot2d' \(dot\): the RTL dot \(hls4ml dot1d\) needs two 1-D inputs of equal length, "
            r"not \(2, 3\) and \(2, 3\)$",
            id="dot-2d",
        ),
        pytest.param(
            _one_layer(
                Layer(
                    "am", "softmax", ["x"], (2, 3), {"result": "ap_fixed<16,6>"}, options={"implementation": "argmax"}
                ),
                Tensor("x", (2, 3), "ap_fixed<8,3>"),
            ),
            r"^Layer 'am' \(softmax\): the RTL softmax works on 1-D inputs, not shape \(2, 3\)$",
            id="argmax-2d",
        ),
        pytest.param(
            _one_layer(
                Layer(
                    "elu_a",
                    "elu",
                    ["x"],
                    (4,),
                    {"table": "ap_fixed<18,8>", "result": "ap_fixed<16,6>"},
                    options={"alpha": 3},
                ),
                Tensor("x", (4,), "ap_fixed<8,3>"),
            ),
            r"^Layer 'elu_a' \(elu\): options\['alpha'\] needs types\['param'\] \(alpha's param_t\)$",
            id="elu-alpha-without-param-type",
        ),
    ],
)
def test_refusals_name_layer_and_reason(model: Model, message: str, tmp_path: Path) -> None:
    with pytest.raises(UnsupportedLayer, match=message):
        generate(model, tmp_path)


@pytest.mark.requires_iverilog
@pytest.mark.parametrize("name", list(GRID), ids=list(GRID))
def test_icarus_agrees(name: str, tmp_path: Path) -> None:
    # The library is plain Verilog-2005: Icarus (through the cocotb bench) must compute the same codes.
    from fwparity.rtlsim.cocotb_runner import run_cocotb

    model = _model(name)
    rng = np.random.default_rng(sum(map(ord, name)))
    inputs = {t.name: _vectors(t.type, rng)[::50] for t in model.inputs}  # 200 vectors, every kind of row
    expected = fwparity.emulate(model, inputs).raw
    design = generate(model, tmp_path / "rtl")
    result = run_cocotb(design, inputs, expected, work_dir=tmp_path / "icarus", simulator="icarus")
    assert (result.vectors, result.mismatch_count) == (200, 0), result.mismatches[:3]
