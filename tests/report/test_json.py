"""report.json files: atomic writes that round-trip, and clear refusals of bad files."""

from __future__ import annotations

import json
import os
import re

import pytest

from fwparity.errors import FormatError
from fwparity.report import dumps, read_json, write_json, write_reports


def test_write_and_read_back(tmp_path, mismatch_comparison):
    path = write_json(mismatch_comparison, tmp_path / "report.json")
    assert read_json(path) == mismatch_comparison
    assert json.loads(path.read_text())["comparisons"][0]["first_divergent_layer"] == "fc2"


def test_number_arrays_stay_on_one_line(mismatch_comparison):
    text = dumps(mismatch_comparison)
    assert '"shape": [5],' in text and "[10, 4, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]" in text
    assert json.loads(text) == mismatch_comparison.to_json()


def test_write_reports_writes_the_three_files(tmp_path, mismatch_comparison):
    paths = write_reports(mismatch_comparison, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["junit.xml", "report.html", "report.json"]
    assert set(paths) == {"json", "html", "junit"}


def test_a_failed_write_keeps_the_old_file(tmp_path, mismatch_comparison, parity_comparison, monkeypatch):
    path = write_json(parity_comparison, tmp_path / "report.json")
    before = path.read_text()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="^disk full$"):
        write_json(mismatch_comparison, path)
    assert path.read_text() == before == dumps(parity_comparison)
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # the temp file was removed


@pytest.mark.parametrize(
    "content, message",
    [
        pytest.param(
            "{not json",
            "not valid JSON (Expecting property name enclosed in double quotes at line 1, column 2)",
            id="syntax",
        ),
        pytest.param('{"schema": 7}', "schema=7 is not supported; this fwparity reads schema 1", id="schema"),
        pytest.param("[]", "expected a JSON object at the top level, not list", id="array"),
        pytest.param(b"\xff\xfe", "not UTF-8 text (invalid start byte at byte 0)", id="binary"),
    ],
)
def test_read_json_refuses(tmp_path, content, message):
    path = tmp_path / "r.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(FormatError, match=f"^{re.escape(f'{path}: {message}')}$"):
        read_json(path)


def test_read_json_missing_file(tmp_path):
    path = tmp_path / "nope.json"
    with pytest.raises(
        FormatError, match=f"^{re.escape(f'{path}: cannot read the report (No such file or directory)')}$"
    ):
        read_json(path)
