"""Comparison and report.json schema 1: round trip, a JSON Schema written from DESIGN.md, and refusals."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from fwparity._backend import RunResult as Run
from fwparity.compare import Comparison, compare_runs
from fwparity.errors import FormatError, InvalidArgument

jsonschema = pytest.importorskip("jsonschema")  # in the [dev] extra


# Written from DESIGN.md's "report.json (schema 1) has at least ..." paragraph, independently of the code.
_INT = {"type": "integer"}
REPORT_SCHEMA_1 = {
    "type": "object",
    "required": ["schema", "fwparity_version", "model", "vectors", "status", "comparisons"],
    "properties": {
        "schema": {"const": 1},
        "fwparity_version": {"type": "string"},
        "model": {
            "type": "object",
            "required": ["name", "sha256"],
            "properties": {"name": {"type": "string"}, "sha256": {"type": ["string", "null"]}},
        },
        "vectors": {
            "type": "object",
            "required": ["count", "source", "seed"],
            "properties": {
                "count": _INT,
                "source": {"type": "string"},
                "seed": {"type": ["integer", "null"]},
            },
        },
        "status": {"enum": ["parity", "mismatch"]},
        "comparisons": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "expected",
                    "actual",
                    "vectors",
                    "mismatched_vectors",
                    "mismatched_elements",
                    "max_abs_lsb",
                    "first_divergent_layer",
                    "mismatches",
                ],
                "properties": {
                    "expected": {"type": "string"},
                    "actual": {"type": "string"},
                    "vectors": _INT,
                    "mismatched_vectors": _INT,
                    "mismatched_elements": _INT,
                    "max_abs_lsb": _INT,
                    "first_divergent_layer": {"type": ["string", "null"]},
                    "mismatches": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": [
                                "vector",
                                "output",
                                "index",
                                "expected_raw",
                                "actual_raw",
                                "delta_lsb",
                                "xor_bits",
                                "class",
                            ],
                            "properties": {
                                "vector": _INT,
                                "output": {"type": "string"},
                                "index": _INT,
                                "expected_raw": _INT,
                                "actual_raw": _INT,
                                "delta_lsb": _INT,
                                "xor_bits": _INT,
                                "class": {"enum": ["rounding", "overflow", "saturation", "other"]},
                            },
                        },
                    },
                },
            },
        },
    },
}


def _comparison(mismatch: bool = True) -> Comparison:
    wide = (1 << 99) - 1
    ref = Run(
        "reference",
        {"y": np.array([[1, 2], [3, 4], [5, 6]]), "w": np.array([[wide], [0], [7]], dtype=object)},
        trace={"fc": np.array([[1], [2], [3]]), "y": np.array([[1, 2], [3, 4], [5, 6]])},
        overflows={"fc": 4, "y": 0},
        seconds=0.25,
    )
    dut_y = np.array([[1, 2], [3, 5], [5, 6]]) if mismatch else ref.outputs["y"].copy()
    dut_w = np.array([[-1], [0], [7]], dtype=object) if mismatch else ref.outputs["w"].copy()
    csim = Run(
        "csim", {"y": dut_y, "w": dut_w}, trace={"fc": np.array([[1], [2], [3]]), "y": dut_y}, seconds=1.5
    )
    rtl = Run("rtl", {"y": ref.outputs["y"].copy(), "w": ref.outputs["w"].copy()}, seconds=2.0)
    return compare_runs(
        [ref, csim, rtl],
        inputs={"x": np.array([[10, -3], [11, 12], [-128, 127]])},
        output_types={"y": "ap_fixed<8,3>", "w": "ap_fixed<100,40>"},
        layer_types={"fc": "ap_fixed<16,6>", "y": "ap_fixed<8,3>"},
        vector_source="vectors.h5",
        seed=42,
        model_name="jets",
    )


def test_to_json_matches_schema_1():
    data = json.loads(json.dumps(_comparison().to_json()))
    jsonschema.validate(data, REPORT_SCHEMA_1)
    assert data["status"] == "mismatch"
    assert data["vectors"] == {"count": 3, "source": "vectors.h5", "seed": 42}
    assert [
        (p["expected"], p["actual"], p["mismatched_vectors"], p["first_divergent_layer"])
        for p in data["comparisons"]
    ] == [("reference", "csim", 2, "y"), ("reference", "rtl", 0, None)]


def test_schema_check_rejects_a_broken_report():
    """The schema above is strict enough to fail: a sanity check of the oracle itself."""
    data = json.loads(json.dumps(_comparison().to_json()))
    data["comparisons"][0]["mismatches"][0]["class"] = "rounded"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, REPORT_SCHEMA_1)


@pytest.mark.parametrize("mismatch", [pytest.param(True, id="mismatch"), pytest.param(False, id="parity")])
def test_json_round_trip_is_exact(mismatch):
    c = _comparison(mismatch)
    text = json.dumps(c.to_json())
    back = Comparison.from_json(json.loads(text))
    assert back == c
    assert json.dumps(back.to_json()) == text
    assert back.status == ("mismatch" if mismatch else "parity")
    assert back.exit_code == int(mismatch)


def test_wide_raw_codes_survive_json_exactly():
    data = json.loads(json.dumps(_comparison().to_json()))
    (m,) = [m for m in data["comparisons"][0]["mismatches"] if m["output"] == "w"]
    assert (m["expected_raw"], m["actual_raw"], m["delta_lsb"], m["class"]) == (
        (1 << 99) - 1,
        -1,
        -(1 << 99),
        "saturation",
    )


def test_metadata():
    c = _comparison()
    assert c.overflows == {"fc": 4, "y": 0}
    assert c.inputs == {0: {"x": [10, -3]}, 1: {"x": [11, 12]}}  # the mismatching vectors only
    assert c.pairs[0].seconds == {"expected": 0.25, "actual": 1.5}


def test_minimal_schema_1_file_from_another_tool_is_read():
    data = {
        "schema": 1,
        "fwparity_version": "0.0",
        "model": {"name": "m", "sha256": None},
        "vectors": {"count": 2, "source": "x", "seed": None},
        "status": "mismatch",
        "comparisons": [
            {
                "expected": "a",
                "actual": "b",
                "vectors": 2,
                "mismatched_vectors": 1,
                "mismatched_elements": 1,
                "max_abs_lsb": 1,
                "first_divergent_layer": None,
                "mismatches": [
                    {
                        "vector": 1,
                        "output": "y",
                        "index": 0,
                        "expected_raw": 3,
                        "actual_raw": 4,
                        "delta_lsb": 1,
                        "xor_bits": 7,
                        "class": "rounding",
                    }
                ],
            }
        ],
    }
    c = Comparison.from_json(data)
    assert (c.status, c.pairs[0].classes["rounding"], c.pairs[0].mismatches[0].highest_bit) == (
        "mismatch",
        1,
        2,
    )


def _broken(path: tuple, value: object) -> dict:
    data = json.loads(json.dumps(_comparison().to_json()))
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    "data, message",
    [
        pytest.param([1], "r.json: expected a JSON object at the top level, not list", id="not-object"),
        pytest.param(
            {"status": "parity"},
            "r.json: no 'schema' field; this is not a fwparity report.json",
            id="no-schema",
        ),
        pytest.param(
            _broken(("schema",), 2),
            "r.json: schema=2 is not supported; this fwparity reads schema 1",
            id="schema-2",
        ),
        pytest.param(_broken(("model",), KeyError), "r.json: missing field 'model'", id="no-model"),
        pytest.param(
            _broken(("vectors", "count"), "3"),
            "r.json: field vectors.'count' has the wrong type (str)",
            id="count-str",
        ),
        pytest.param(
            _broken(("status",), "ok"), "r.json: status='ok' is neither 'parity' nor 'mismatch'", id="status"
        ),
        pytest.param(
            _broken(("comparisons", 0, "mismatches", 0, "class"), "rounded"),
            "r.json: comparisons[0].mismatches[0].'class'='rounded' is not one of rounding, overflow, "
            "saturation, other",
            id="class",
        ),
        pytest.param(
            _broken(("comparisons", 0, "first_divergent_layer"), KeyError),
            "r.json: missing field comparisons[0].'first_divergent_layer'",
            id="no-layer",
        ),
    ],
)
def test_from_json_refuses(data, message):
    with pytest.raises(FormatError, match=f"^{re.escape(message)}$"):
        Comparison.from_json(data, source="r.json")


def test_compare_runs_needs_two_results():
    with pytest.raises(InvalidArgument, match=r"^compare_runs needs at least two results, got 1$"):
        compare_runs([Run("reference", {})], output_types={"y": "ap_int<8>"})
