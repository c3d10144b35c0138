"""fwparity._atomic: the one atomic-replacement helper every writer uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from fwparity._atomic import atomic_path, atomic_write


def test_an_exception_leaves_the_earlier_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.h5"
    target.write_text("old")
    with pytest.raises(RuntimeError, match=r"^boom$"), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.h5"]


def test_atomic_write_makes_parents_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "report.json"
    assert atomic_write(target, "one") == target
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_without_parents_a_missing_directory_fails(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError), atomic_path(tmp_path / "missing" / "x.txt"):
        pass  # pragma: no cover - mkstemp fails first
