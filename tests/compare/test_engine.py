"""compare_bits: classification, counts, caps, localisation. Every expected value here is worked out by hand
from the rules in fwparity.compare.engine's docstring (not by calling the engine), so the tests can fail."""

from __future__ import annotations

import time

import numpy as np
import pytest

from fwparity._backend import RunResult as Run
from fwparity.compare import MISMATCH_CLASSES, classify_mismatch, compare_bits
from fwparity.errors import InvalidArgument, InvalidType


def _one(t: str, e: int, a: int, tolerance: int = 0):
    dtype = object if abs(e) >= 1 << 62 or abs(a) >= 1 << 62 else np.int64
    ref = Run("reference", {"y": np.array([[e]], dtype=dtype)})
    dut = Run("csim", {"y": np.array([[a]], dtype=dtype)})
    return compare_bits(ref, dut, output_types={"y": t}, tolerance_lsb=tolerance)


W100_MAX = (1 << 99) - 1

# (type, expected_raw, actual_raw, tolerance, class or None, delta, xor_bits, highest_bit)
CLASSIFICATION = [
    pytest.param("ap_fixed<8,3>", 5, 6, 0, "rounding", 1, 0b011, 1, id="rounding"),
    pytest.param("ap_fixed<8,3>", -1, -2, 0, "rounding", -1, 0b1, 0, id="rounding-negative"),
    pytest.param("ap_fixed<8,3>", 127, 126, 0, "rounding", -1, 0b1, 0, id="rounding-beats-saturation"),
    # 5 vs 261 = 5 + 2**8: identical low 8 bits; the XOR is widened to 10 bits to show bit 8.
    pytest.param("ap_fixed<8,3>", 5, 261, 0, "overflow", 256, 256, 8, id="overflow-wrap-by-2^W"),
    # an unsigned reading of a signed code: -3 is 0b11111101 = 253
    pytest.param("ap_fixed<8,3>", -3, 253, 0, "overflow", 256, 0b100000000, 8, id="overflow-sign-extension"),
    pytest.param("ap_fixed<8,3>", 7, 7 - 512, 0, "overflow", -512, 0b1000000000, 9, id="overflow-by-2x2^W"),
    pytest.param(
        "ap_fixed<8,3>", 127, -120, 0, "saturation", -247, 0b11110111, 7, id="saturation-high-vs-wrap"
    ),
    pytest.param("ap_fixed<8,3>", -128, 40, 0, "saturation", 168, 0b10101000, 7, id="saturation-low"),
    pytest.param(
        "ap_fixed<8,3>", 100, 127, 0, "saturation", 27, 100 ^ 127, 4, id="saturation-actual-on-rail"
    ),
    # 300 is beyond the same (high) rail: an unclipped wider value; XOR widened to 10 bits
    pytest.param("ap_fixed<8,3>", 127, 300, 0, "saturation", 173, 127 ^ 300, 8, id="saturation-unclipped"),
    pytest.param(
        "ap_fixed<8,3>", 127, -200, 0, "other", -327, 127 ^ (-200 & 0x1FF), 8, id="other-beyond-opposite"
    ),
    pytest.param(
        "ap_fixed<8,3,AP_TRN,AP_SAT_SYM>",
        -127,
        50,
        0,
        "saturation",
        177,
        (-127 & 0xFF) ^ 50,
        7,
        id="saturation-sat-sym-rail",
    ),
    pytest.param("ap_fixed<8,3>", -127, 50, 0, "other", 177, (-127 & 0xFF) ^ 50, 7, id="other-not-a-rail"),
    pytest.param("ap_ufixed<8,4>", 255, 3, 0, "saturation", -252, 255 ^ 3, 7, id="saturation-unsigned-high"),
    pytest.param("ap_ufixed<8,4>", 0, 200, 0, "saturation", 200, 200, 7, id="saturation-unsigned-zero"),
    pytest.param("ap_ufixed<8,4>", 10, 12, 0, "other", 2, 10 ^ 12, 2, id="other-unsigned"),
    pytest.param("ap_fixed<8,3>", 5, 9, 0, "other", 4, 5 ^ 9, 3, id="other"),
    pytest.param("ap_fixed<100,40>", 1 << 98, (1 << 98) + 1, 0, "rounding", 1, 1, 0, id="wide-rounding"),
    pytest.param(
        "ap_fixed<100,40>",
        W100_MAX,
        -5,
        0,
        "saturation",
        -5 - W100_MAX,
        W100_MAX ^ (-5 & ((1 << 100) - 1)),
        99,
        id="wide-saturation",
    ),
    pytest.param(
        "ap_fixed<100,40>", 7, 7 + (1 << 100), 0, "overflow", 1 << 100, 1 << 100, 100, id="wide-overflow"
    ),
    pytest.param(
        "ap_fixed<100,40>",
        1 << 80,
        (1 << 80) + 12345,
        0,
        "other",
        12345,
        (1 << 80) ^ ((1 << 80) + 12345),
        13,
        id="wide-other",
    ),
    pytest.param("ap_fixed<8,3>", 5, 7, 2, None, None, None, None, id="tolerance-absorbs"),
    pytest.param("ap_fixed<8,3>", 5, 8, 2, "other", 3, 5 ^ 8, 3, id="tolerance-exceeded"),
]


@pytest.mark.parametrize("t, e, a, tol, cls, delta, xor, high", CLASSIFICATION)
def test_classification(t, e, a, tol, cls, delta, xor, high):
    pair = _one(t, e, a, tol)
    if cls is None:
        assert (pair.mismatched_elements, pair.within_tolerance, pair.mismatches, pair.ok) == (0, 1, [], True)
        return
    (m,) = pair.mismatches
    assert (m.cls, m.delta_lsb, m.xor_bits, m.highest_bit) == (cls, delta, xor, high)
    assert (m.expected_raw, m.actual_raw) == (e, a)
    assert pair.classes == {k: int(k == cls) for k in MISMATCH_CLASSES}
    assert pair.max_abs_lsb == abs(delta)


@pytest.mark.parametrize(
    "t, e, a, tol, cls, delta, xor, high", [p for p in CLASSIFICATION if p.values[3] == 0]
)
def test_classify_mismatch_agrees(t, e, a, tol, cls, delta, xor, high):
    assert classify_mismatch(e, a, t) == cls


def test_wide_object_arrays_keep_exact_python_ints():
    e = np.array([[W100_MAX, 1 << 90], [0, -(1 << 99)]], dtype=object)
    a = np.array([[W100_MAX - 1, (1 << 90) + 3], [0, -(1 << 99)]], dtype=object)
    pair = compare_bits(
        Run("reference", {"y": e}), Run("rtl", {"y": a}), output_types={"y": "ap_fixed<100,1>"}
    )
    assert [(m.vector, m.index, m.delta_lsb, m.cls) for m in pair.mismatches] == [
        (0, 0, -1, "rounding"),
        (0, 1, 3, "other"),
    ]
    assert all(type(m.expected_raw) is int for m in pair.mismatches)
    assert pair.outputs["y"].bit_flips == {0: [1] + [0] * 99, 1: [1, 1] + [0] * 98}


def test_int64_against_object_array():
    e = np.array([[1, 2, 3]], dtype=np.int64)
    a = np.array([[1, 2, 4]], dtype=object)
    pair = compare_bits(
        Run("reference", {"y": e}), Run("csim", {"y": a}), output_types={"y": "ap_fixed<16,6>"}
    )
    assert [(m.index, m.delta_lsb, m.cls) for m in pair.mismatches] == [(2, 1, "rounding")]


def test_counts_per_output_element_and_vector():
    t = "ap_fixed<8,3>"
    y_ref = np.zeros((6, 2, 3), dtype=np.int64)
    y_dut = y_ref.copy()
    y_dut[1, 0, 2] = 1  # vector 1, flat index 2, +1 rounding
    y_dut[1, 1, 0] = -4  # vector 1, flat index 3, -4 other (bucket -3: [-7, -4])
    y_dut[4, 0, 2] = 2  # vector 4, flat index 2, +2 other (bucket 2)
    z_ref = np.full((6, 1), 127, dtype=np.int64)
    z_dut = z_ref.copy()
    z_dut[5, 0] = -128  # vector 5, saturation, |delta| 255
    ref = Run("reference", {"y": y_ref, "z": z_ref})
    dut = Run("csim", {"y": y_dut, "z": z_dut})
    pair = compare_bits(ref, dut, output_types={"y": t, "z": t})
    y, z = pair.outputs["y"], pair.outputs["z"]
    assert (pair.vectors, pair.mismatched_vectors, pair.mismatched_elements, pair.compared_elements) == (
        6,
        3,
        4,
        42,
    )
    assert pair.vector_counts == {1: 2, 4: 1, 5: 1}
    assert pair.first_mismatched_vectors == [1, 4, 5]
    assert (y.mismatched_elements, y.mismatched_vectors, y.max_abs_lsb) == (3, 2, 4)
    assert (z.mismatched_elements, z.mismatched_vectors, z.max_abs_lsb) == (1, 1, 255)
    assert y.elements == {2: 2, 3: 1}
    assert y.classes == {"rounding": 1, "overflow": 0, "saturation": 0, "other": 2}
    assert z.classes == {"rounding": 0, "overflow": 0, "saturation": 1, "other": 0}
    assert pair.classes == {"rounding": 1, "overflow": 0, "saturation": 1, "other": 2}
    assert y.delta_histogram == {-3: 1, 1: 1, 2: 1}
    assert z.delta_histogram == {-8: 1}
    # index 2: 0^1 = bit 0 and 0^2 = bit 1; index 3: 0 ^ (-4 & 0xFF) = 0b11111100
    assert y.bit_flips == {2: [1, 1, 0, 0, 0, 0, 0, 0], 3: [0, 0, 1, 1, 1, 1, 1, 1]}
    assert z.bit_flips == {0: [1] * 8}
    assert pair.max_abs_lsb == 255
    assert [(m.vector, m.output, m.index) for m in pair.mismatches] == [
        (1, "y", 2),
        (1, "y", 3),
        (4, "y", 2),
        (5, "z", 0),
    ]


def test_listing_is_capped_but_totals_are_exact():
    ref = Run(
        "reference", {"a": np.zeros((1000, 8), dtype=np.int64), "b": np.zeros((1000, 2), dtype=np.int64)}
    )
    dut = Run("csim", {"a": np.ones((1000, 8), dtype=np.int64), "b": np.full((1000, 2), -1, dtype=np.int64)})
    pair = compare_bits(ref, dut, output_types={"a": "ap_fixed<8,3>", "b": "ap_fixed<8,3>"}, max_listed=12)
    assert (pair.mismatched_elements, pair.mismatched_vectors) == (10000, 1000)
    assert pair.classes["rounding"] == 10000
    assert [(m.vector, m.output, m.index) for m in pair.mismatches] == (
        [(0, "a", i) for i in range(8)] + [(0, "b", 0), (0, "b", 1)] + [(1, "a", 0), (1, "a", 1)]
    )
    assert pair.vector_counts == {v: 10 for v in range(12)}
    assert pair.outputs["a"].elements == {i: 1000 for i in range(8)}


def test_max_listed_zero_lists_nothing():
    ref = Run("reference", {"y": np.zeros((3, 2), dtype=np.int64)})
    dut = Run("csim", {"y": np.ones((3, 2), dtype=np.int64)})
    pair = compare_bits(ref, dut, output_types={"y": "ap_fixed<8,3>"}, max_listed=0)
    assert (pair.mismatches, pair.vector_counts, pair.mismatched_elements, pair.mismatched_vectors) == (
        [],
        {},
        6,
        3,
    )


def test_parity():
    y = np.arange(12, dtype=np.int64).reshape(4, 3)
    pair = compare_bits(
        Run("reference", {"y": y}), Run("rtl", {"y": y.copy()}), output_types={"y": "ap_int<8>"}
    )
    assert pair.ok and (pair.mismatched_elements, pair.max_abs_lsb, pair.mismatches) == (0, 0, [])


# -- first divergent layer -----------------------------------------------------------------------------------

LAYERS = {"fc1": "ap_fixed<16,6>", "relu1": "ap_fixed<8,3>", "fc2": "ap_fixed<16,6>", "out": "ap_fixed<8,3>"}


def _traced(diverge_at: str | None, *, reverse: bool = False, delta: int = 1):
    rng = np.random.default_rng(0)
    ref = {name: rng.integers(-100, 100, size=(5, 4)) for name in LAYERS}
    dut = {name: v.copy() for name, v in ref.items()}
    if diverge_at is not None:
        started = False
        for name in LAYERS:
            started |= name == diverge_at
            if started:
                dut[name][3, 2] += delta
    if reverse:
        ref = dict(reversed(list(ref.items())))
        dut = dict(reversed(list(dut.items())))
    return (Run("reference", {"out": ref["out"]}, trace=ref), Run("csim", {"out": dut["out"]}, trace=dut))


@pytest.mark.parametrize("layer", list(LAYERS))
def test_first_divergent_layer(layer):
    ref, dut = _traced(layer)
    pair = compare_bits(ref, dut, output_types={"out": "ap_fixed<8,3>"}, layer_types=LAYERS)
    assert pair.first_divergent_layer == layer
    stats = {x.name: x for x in pair.layers}
    assert stats[layer].first == {
        "vector": 3,
        "index": 2,
        "expected_raw": int(ref.trace[layer][3, 2]),
        "actual_raw": int(ref.trace[layer][3, 2]) + 1,
    }


def test_first_divergent_layer_follows_model_order_not_trace_order():
    ref, dut = _traced("relu1", reverse=True)
    pair = compare_bits(ref, dut, output_types={"out": "ap_fixed<8,3>"}, layer_types=LAYERS)
    assert pair.first_divergent_layer == "relu1"
    assert [x.name for x in pair.layers] == list(LAYERS)


def test_untraced_output_layer_stands_in():
    ref, dut = _traced("out")
    for run in (ref, dut):
        del run.trace["out"]
    pair = compare_bits(ref, dut, output_types={"out": "ap_fixed<8,3>"}, layer_types=LAYERS)
    assert pair.first_divergent_layer == "out"


def test_no_traces_means_unknown_layer():
    ref, dut = _traced("fc2")
    dut.trace = {}
    pair = compare_bits(ref, dut, output_types={"out": "ap_fixed<8,3>"}, layer_types=LAYERS)
    assert (pair.traced, pair.first_divergent_layer, pair.layers) == (False, None, [])
    assert pair.mismatched_elements == 1


def test_layer_differences_within_tolerance_are_not_divergence():
    ref, dut = _traced("fc1", delta=1)
    pair = compare_bits(ref, dut, output_types={"out": "ap_fixed<8,3>"}, layer_types=LAYERS, tolerance_lsb=1)
    assert (pair.first_divergent_layer, pair.ok, pair.within_tolerance) == (None, True, 1)


def test_model_supplies_types_and_order():
    from fwparity.model import Layer, Model, Tensor

    model = Model(
        "tiny",
        inputs=[Tensor("x", (2,), "ap_fixed<8,3>")],
        layers=[
            Layer(
                "fc",
                "dense",
                ["x"],
                (2,),
                {
                    "weight": "ap_fixed<8,2>",
                    "bias": "ap_fixed<8,2>",
                    "accum": "ap_fixed<16,6>",
                    "result": "ap_fixed<16,6>",
                },
                {"weight": np.array([[1, 0], [0, 1]]), "bias": np.array([0, 0])},
                {"n_in": 2, "n_out": 2, "strategy": "latency"},
            ),
            Layer("act", "relu", ["fc"], (2,), {"result": "ap_ufixed<6,2>"}),
        ],
        outputs=["act"],
    )
    fc = np.array([[5, -3]])
    ref = Run("reference", {"act": np.array([[63, 0]])}, trace={"act": np.array([[63, 0]]), "fc": fc})
    dut = Run("rtl", {"act": np.array([[0, 0]])}, trace={"fc": fc + [[0, 1]], "act": np.array([[0, 0]])})
    pair = compare_bits(ref, dut, model)
    assert (pair.first_divergent_layer, pair.mismatches[0].cls, pair.outputs["act"].type) == (
        "fc",
        "saturation",
        "ap_ufixed<6,2>",
    )


# -- invalid calls -------------------------------------------------------------------------------------------

_Y = {"y": np.zeros((2, 3), dtype=np.int64)}
_T = {"y": "ap_fixed<8,3>"}


@pytest.mark.parametrize(
    "ref_out, dut_out, kwargs, exc, message",
    [
        pytest.param(
            _Y,
            {"z": _Y["y"]},
            {"output_types": _T},
            InvalidArgument,
            "actual run 'csim' has no output 'y'; it has: z",
            id="missing-output",
        ),
        pytest.param(
            _Y,
            {"y": np.zeros((2, 4), dtype=np.int64)},
            {"output_types": _T},
            InvalidArgument,
            "output 'y': 'reference' gave shape (2, 3) but 'csim' gave (2, 4)",
            id="shape",
        ),
        pytest.param(
            _Y,
            {"y": np.zeros((2, 3))},
            {"output_types": _T},
            InvalidArgument,
            "'csim' output 'y' must hold raw integers, not dtype float64",
            id="float-output",
        ),
        pytest.param(
            _Y,
            _Y,
            {},
            InvalidArgument,
            "compare_bits needs output_types or a model, got neither (output_types=None)",
            id="no-types",
        ),
        pytest.param(
            _Y,
            _Y,
            {"output_types": _T, "tolerance_lsb": -1},
            InvalidArgument,
            "tolerance_lsb must be at least 0, not tolerance_lsb=-1",
            id="tolerance-negative",
        ),
        pytest.param(
            _Y,
            _Y,
            {"output_types": _T, "max_listed": "10"},
            InvalidType,
            "max_listed must be an integer, not max_listed='10'",
            id="max-listed-str",
        ),
        pytest.param(
            _Y,
            _Y,
            {"output_types": _T, "tolerance_lsb": True},
            InvalidType,
            "tolerance_lsb must be an integer, not tolerance_lsb=True",
            id="tolerance-bool",
        ),
        pytest.param(
            _Y,
            _Y,
            {"output_types": {"y": 8}},
            InvalidType,
            "output_types['y'] must be a FixedType or an HLS type string, not 8",
            id="type-not-a-type",
        ),
    ],
)
def test_invalid_calls(ref_out, dut_out, kwargs, exc, message):
    import re

    with pytest.raises(exc, match=f"^{re.escape(message)}$"):
        compare_bits(Run("reference", ref_out), Run("csim", dut_out), **kwargs)


def test_speed_100k_vectors():
    """The engine must not be the bottleneck of a validation run: 1.6 M elements with 1% mismatches."""
    rng = np.random.default_rng(1)
    ref = rng.integers(-(1 << 15), 1 << 15, size=(100_000, 16))
    dut = ref.copy()
    hit = rng.random(ref.shape) < 0.01
    dut[hit] += rng.integers(-3, 4, size=int(hit.sum()))
    start = time.perf_counter()
    pair = compare_bits(
        Run("reference", {"y": ref}), Run("csim", {"y": dut}), output_types={"y": "ap_fixed<16,6>"}
    )
    elapsed = time.perf_counter() - start
    assert pair.mismatched_elements == int((ref != dut).sum())
    assert elapsed < 5.0, f"compare_bits took {elapsed:.2f} s"
