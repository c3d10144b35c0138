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
