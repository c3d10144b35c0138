"""junit.xml: one testcase per backend pair and output, failures exactly where outputs differ."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from fwparity.report import render_junit, write_junit


def _cases(xml_text: str) -> list[tuple[str, str, ET.Element | None]]:
    root = ET.fromstring(xml_text.encode("utf-8"))
    return [(c.get("classname"), c.get("name"), c.find("failure")) for c in root.iter("testcase")]


def test_testcases_and_failures(mismatch_comparison):
    text = render_junit(mismatch_comparison)
    root = ET.fromstring(text.encode("utf-8"))
    assert (root.tag, root.get("tests"), root.get("failures"), root.get("errors")) == (
        "testsuites",
        "4",
        "2",
        "0",
    )
    (suite,) = root.findall("testsuite")
    assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == (
        "fwparity.jets_3layer",
        "4",
        "2",
    )
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert (props["status"], props["seed"], props["vectors"]) == ("mismatch", "7", "500")
    cases = _cases(text)
    assert [(cls, name, failure is not None) for cls, name, failure in cases] == [
        ("fwparity.jets_3layer.reference_vs_csim", "softmax", True),
        ("fwparity.jets_3layer.reference_vs_csim", "wide", True),
        ("fwparity.jets_3layer.reference_vs_rtl", "softmax", False),
        ("fwparity.jets_3layer.reference_vs_rtl", "wide", False),
    ]
    failure = cases[0][2]
    assert failure.get("message") == (
        "12 of 2500 elements differ in 11 of 500 vectors; max |delta| 32768 LSB; rounding 10, saturation 1, "
        "other 1; first divergent layer fc2"
    )
    assert failure.get("type") == "mismatch"
    body = failure.text.splitlines()
    assert body[0] == "reference vs csim, output softmax (ap_ufixed<16,0>), shape [5]"
    assert body[1] == (
        "vector 7 index 1: expected 28044 (0.42791748046875), actual 28045 (0.4279327392578125), "
        "delta +1 LSB, rounding"
    )
    assert len(body) == 1 + 12  # all 12 softmax mismatches are within the listed 30


def test_failure_body_notes_what_is_not_listed(mismatch_comparison):
    cases = _cases(render_junit(mismatch_comparison, max_listed=3))
    assert cases[0][2].text.splitlines()[-1] == "... 9 more (listed: first 3)"


def test_parity_has_no_failures(parity_comparison):
    root = ET.fromstring(render_junit(parity_comparison).encode("utf-8"))
    assert (root.get("tests"), root.get("failures")) == ("4", "0")
    assert root.find(".//failure") is None


def test_hostile_names_stay_well_formed(comparison_factory):
    name = '<out & "quoted">'
    cases = _cases(render_junit(comparison_factory(model_name="m<&>", output=name, n=60)))
    assert cases[0][:2] == ("fwparity.m<&>.reference_vs_csim", name)


def test_write_junit_atomic(tmp_path, mismatch_comparison):
    path = write_junit(mismatch_comparison, tmp_path / "junit.xml")
    assert path.read_text(encoding="utf-8") == render_junit(mismatch_comparison)
    assert [p.name for p in tmp_path.iterdir()] == ["junit.xml"]
