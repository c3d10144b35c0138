"""docs/vectors.md stays runnable: every `$ fwparity ...` and `$ cmp ...` line of its console blocks runs."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from fwparity.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "vectors.md"


def _commands() -> list[list[str]]:
    blocks = re.findall(r"```console\n(.*?)```", DOC.read_text(), flags=re.S)
    return [shlex.split(line[2:]) for block in blocks for line in block.splitlines() if line.startswith("$ ")]


def test_doc_has_examples() -> None:
    commands = _commands()
    assert [c[0] for c in commands].count("fwparity") >= 8 and ["cmp"] == sorted(
        {c[0] for c in commands} - {"fwparity"}
    )


def test_doc_examples_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(ROOT / "vectors" / "patterns", tmp_path / "vectors" / "patterns")
    monkeypatch.chdir(tmp_path)
    for argv in _commands():
        if argv[0] == "cmp":
            assert Path(argv[1]).read_bytes() == Path(argv[2]).read_bytes(), argv
            continue
        assert main(argv[1:]) == 0, (argv, capsys.readouterr().err)
    out = capsys.readouterr().out
    assert "inputs/x" in out and "outputs/board/y" in out and "(EMPv2)" in out
