"""The public API: docs/api.md lists exactly ``fwparity.__all__`` (STYLE.md section 2), and every lazily
imported top-level name resolves to the object its subpackage defines."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import fwparity

API_MD = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def _documented_top_level() -> list[str]:
    """The ``- `name`: ...`` bullets of the "Top level" section, in order."""
    text = API_MD.read_text()
    section = text.split("## Top level: `fwparity`", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^- `(\w+)`:", section, flags=re.MULTILINE)


def test_docs_api_md_lists_exactly_the_top_level_all() -> None:
    assert _documented_top_level() == list(fwparity.__all__)


def test_every_subpackage_named_in_docs_api_md_exists() -> None:
    for name in re.findall(r"^### `(fwparity\.\w+)`", API_MD.read_text(), flags=re.MULTILINE):
        module = importlib.import_module(name)
        assert getattr(module, "__all__", None), name


@pytest.mark.parametrize("name", sorted(fwparity._LAZY))
def test_every_lazy_name_resolves(name: str) -> None:
    assert name in fwparity.__all__
    value = getattr(fwparity, name)
    assert value is getattr(importlib.import_module(fwparity._LAZY[name]), name)


def test_every_name_in_all_resolves() -> None:
    for name in fwparity.__all__:
        assert getattr(fwparity, name) is not None, name
    assert sorted(set(fwparity.__all__)) == sorted(fwparity.__all__)
