"""`fwparity report REPORT.json [--html FILE]`: exit 0 on a good report, 2 and a message on a bad one."""

from __future__ import annotations

import json

from fwparity.cli import main
from fwparity.report import render_html, write_json


def test_renders_html_and_summary(tmp_path, mismatch_comparison, capsys):
    report = write_json(mismatch_comparison, tmp_path / "report.json")
    out = tmp_path / "page.html"
    assert main(["report", str(report), "--html", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == render_html(mismatch_comparison)
    printed = capsys.readouterr().out
    assert "MISMATCH" in printed and printed.rstrip().endswith(f"wrote {out}")


def test_summary_only(tmp_path, parity_comparison, capsys):
    report = write_json(parity_comparison, tmp_path / "report.json")
    assert main(["report", str(report)]) == 0
    assert "PARITY" in capsys.readouterr().out


def test_unknown_schema_exits_2(tmp_path, capsys):
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"schema": 99}))
    assert main(["report", str(report), "--html", str(tmp_path / "x.html")]) == 2
    assert capsys.readouterr().err == (
        f"fwparity report: {report}: schema=99 is not supported; this fwparity reads schema 1\n"
    )
    assert not (tmp_path / "x.html").exists()


def test_bad_json_exits_2(tmp_path, capsys):
    report = tmp_path / "report.json"
    report.write_text("{")
    assert main(["report", str(report)]) == 2
    assert capsys.readouterr().err == (
        f"fwparity report: {report}: not valid JSON (Expecting property name enclosed in double quotes at "
        "line 1, "
        "column 2)\n"
    )


MINIMAL = {
    "schema": 1,
    "fwparity_version": "0.0",
    "model": {"name": "other_tool", "sha256": None},
    "vectors": {"count": 2, "source": "board.txt", "seed": None},
    "status": "mismatch",
    "comparisons": [
        {
            "expected": "emulator",
            "actual": "board",
            "vectors": 2,
            "mismatched_vectors": 1,
            "mismatched_elements": 1,
            "max_abs_lsb": 3,
            "first_divergent_layer": None,
            "mismatches": [
                {
                    "vector": 1,
                    "output": "y",
                    "index": 0,
                    "expected_raw": 3,
                    "actual_raw": 6,
                    "delta_lsb": 3,
                    "xor_bits": 5,
                    "class": "other",
                }
            ],
        }
    ],
}


def test_minimal_schema_1_report_from_another_tool_renders_everywhere(tmp_path, capsys):
    """Only the DESIGN.md fields: every renderer must cope without the extras (no outputs, no layers)."""
    import xml.etree.ElementTree as ET

    from fwparity.report import diff_report, read_json, render_junit

    report = tmp_path / "report.json"
    report.write_text(json.dumps(MINIMAL))
    assert main(["report", str(report), "--html", str(tmp_path / "r.html")]) == 0
    assert "emulator vs board" in (tmp_path / "r.html").read_text(encoding="utf-8")
    c = read_json(report)
    cases = ET.fromstring(render_junit(c).encode()).findall(".//testcase")
    assert [(x.get("name"), x.find("failure").get("message")) for x in cases] == [
        ("emulator vs board", "1 elements differ")
    ]
    assert diff_report(c).splitlines()[1] == (
        "emulator vs board: 1 of 2 vectors differ, 1 elements; max |delta| 3 LSB; other 1"
    )
    assert diff_report(c).splitlines()[-2:] == [
        "    vector  output  index  expected  actual  delta  class  xor",
        "    1       y       0      3         6       +3     other  101",
    ]
