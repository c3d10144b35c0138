"""random_vectors: determinism, ranges, and that every category of the mix produces what the docs promise.
Landmarks and category membership are recomputed here by hand from the documented rules."""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pytest

from fwparity.compare import VECTOR_MIX, random_vectors
from fwparity.errors import InvalidArgument, InvalidType
from fwparity.fixed import FixedType


def _rows(category: str, n: int = 200) -> list[int]:
    return [i for i in range(n) if VECTOR_MIX[i % len(VECTOR_MIX)] == category]


def test_same_seed_same_vectors_other_seed_other_vectors():
    spec = {"x": ((16,), "ap_fixed<16,6>"), "y": ((2, 3), "ap_ufixed<10,4>")}
    a, b, c = (random_vectors(spec, 300, seed=s) for s in (7, 7, 8))
    assert all(np.array_equal(a[k], b[k]) for k in spec)
    assert not np.array_equal(a["x"], c["x"])
    assert (a["x"].shape, a["y"].shape) == ((300, 16), (300, 2, 3))


def test_mix_proportions():
    assert len(VECTOR_MIX) == 20
    assert {k: VECTOR_MIX.count(k) for k in set(VECTOR_MIX)} == {
        "uniform": 7,
        "near_zero": 2,
        "full_scale": 2,
        "lsb": 2,
        "table": 3,
        "spread": 2,
        "tie": 2,
    }
    assert set(VECTOR_MIX[:7]) == set(VECTOR_MIX)  # seven vectors already cover every category


@pytest.mark.parametrize(
    "type_text",
    [
        pytest.param(t, id=t)
        for t in (
            "ap_fixed<8,3>",
            "ap_ufixed<4,2>",
            "ap_fixed<1,1>",
            "ap_uint<1>",
            "ap_fixed<16,6,AP_RND,AP_SAT>",
            "ap_int<63>",
            "ap_fixed<18,-2>",
        )
    ],
)
def test_raw_codes_stay_in_range(type_text):
    t = FixedType.parse(type_text)
    raw = random_vectors({"x": ((5,), t)}, 400, seed=3)["x"]
    assert raw.dtype == np.int64
    assert t.min_raw <= int(raw.min()) and int(raw.max()) <= t.max_raw


def test_categories_ap_fixed_8_3():
    t = FixedType.parse("ap_fixed<8,3>")  # lo -128, hi 127, F 5
    raw = random_vectors({"x": ((6,), t)}, 200, seed=11)["x"]
    assert set(raw[_rows("full_scale")].ravel().tolist()) == {-128, -127, 126, 127}
    assert set(raw[_rows("lsb")].ravel().tolist()) == {-1, 0, 1}
    near = raw[_rows("near_zero")]
    assert -16 <= int(near.min()) and int(near.max()) <= 16
    # landmarks for F=5: the dead-zone edges +-16/1024 and +-8/1024 are raw floor(+-0.5), floor(+-0.25) =
    # 0 or -1,
    # each +-1; +-8 and +-16 are outside the range; tanh's +4 is raw 128 (only 127 survives), -4 is raw -128.
    assert set(raw[_rows("table")].ravel().tolist()) == {-2, -1, 0, 1, 127, -128, -127}
    for row in raw[_rows("spread")]:
        peak = int(row.max())
        rest = np.delete(row, int(np.argmax(row)))
        max_spread = peak == 127 and all(-128 <= int(v) <= -125 for v in rest)
        boundary = all(int(v) in {max(-128, peak - 128 + k) for k in (-1, 0, 1)} for v in rest)
        assert max_spread or boundary, row


def test_table_landmarks_from_the_model():
    from fwparity.model import Layer, Model, Tensor

    model = Model(
        "m",
        [Tensor("x", (8,), "ap_fixed<16,6>")],
        [
            Layer(
                "t",
                "tanh",
                ["x"],
                (8,),
                {"table": "ap_fixed<18,8>", "result": "ap_fixed<16,6>"},
                options={"table_size": 256},
            )
        ],
        ["t"],
    )
    raw = random_vectors(model, 100, seed=0)["x"]
    # F=10; tanh with N=256: dead-zone edge 8/256 -> raw 32, range end 4 -> 4096, twice it 8 -> 8192.
    expected = {0}
    for x in (Fraction(8, 256), Fraction(4), Fraction(8)):
        for s in (1, -1):
            r = int(s * x * 1024)
            expected |= {r - 1, r, r + 1}
    got = set(raw[_rows("table", 100)].ravel().tolist())
    assert got <= expected and len(got) > 10


def test_default_landmarks_cover_sigmoid_and_tanh():
    raw = random_vectors({"x": ((64,), "ap_fixed<16,6>")}, 60, seed=5)["x"]
    got = set(raw[_rows("table", 60)].ravel().tolist())
    for landmark in (
        16,
        -16,
        8,
        -8,
        8192,
        -8192,
        4096,
        -4096,
        16384,
        -16384,
    ):  # 16/1024, 8/1024, 8, 4, 16 at F=10
        assert landmark in got or landmark - 1 in got or landmark + 1 in got


def test_wide_types_are_exact_python_ints():
    t = FixedType.parse("ap_fixed<100,40>")
    raw = random_vectors({"x": ((4,), t)}, 60, seed=2)["x"]
    assert raw.dtype == object and all(type(v) is int for v in raw.ravel())
    assert t.min_raw <= min(raw.ravel()) and max(raw.ravel()) <= t.max_raw
    assert set(raw[_rows("full_scale", 60)].ravel()) <= {t.min_raw, t.min_raw + 1, t.max_raw - 1, t.max_raw}
    assert max(abs(v) for v in raw[_rows("uniform", 60)].ravel()) > 1 << 90  # really full-range


def test_floats_hit_ties_and_the_range_ends_exactly():
    t = FixedType.parse("ap_fixed<10,4>")  # F = 6
    x = random_vectors({"x": ((8,), t)}, 200, seed=9, floats=True)["x"]
    assert x.dtype == np.float64
    scaled = [Fraction(v) * 64 for v in x.ravel()]
    ties = [Fraction(v) * 64 for v in x[_rows("tie")].ravel()]
    assert all(s.denominator == 2 for s in ties)  # exactly half-way between two codes
    others = [s for i, row in enumerate(x) for s in (Fraction(v) * 64 for v in row) if i not in _rows("tie")]
    assert all(s.denominator == 1 for s in others)
    assert set(x[_rows("full_scale")].ravel() * 64) == {-513, -512, -511, 510, 511, 512}  # one LSB beyond too
    assert -513 <= min(scaled) and max(scaled) <= 512


@pytest.mark.parametrize(
    "args, kwargs, exc, message",
    [
        pytest.param(
            ({"x": ((2,), "ap_int<8>")}, -1),
            {"seed": 0},
            InvalidArgument,
            "n must be at least 0, not n=-1",
            id="n-negative",
        ),
        pytest.param(
            ({"x": ((2,), "ap_int<8>")}, 2.5),
            {"seed": 0},
            InvalidType,
            "n must be an integer, not n=2.5",
            id="n-float",
        ),
        pytest.param(
            ({"x": ((2,), "ap_int<8>")}, 2),
            {"seed": None},
            InvalidType,
            "seed must be an integer, not seed=None",
            id="seed-none",
        ),
        pytest.param(
            (42, 2),
            {"seed": 0},
            InvalidType,
            "model_or_input_tensors must be a Model, a list of Tensors or a dict name -> (shape, type), "
            "not 42",
            id="source",
        ),
        pytest.param(
            ({}, 2), {"seed": 0}, InvalidArgument, "model_or_input_tensors={} has no inputs", id="empty"
        ),
    ],
)
def test_invalid_calls(args, kwargs, exc, message):
    with pytest.raises(exc, match=f"^{re.escape(message)}$"):
        random_vectors(*args, **kwargs)
