"""The examples in docs/fixed.md run and print what the page says."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "fixed.md"


def test_fixed_md_examples() -> None:
    pytest.importorskip("fxpmath")
    result = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted > 30
    assert result.failed == 0
