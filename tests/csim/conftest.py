"""Shared helpers for the csim tests: hand-written HLS tops described by manifests."""

from __future__ import annotations

from pathlib import Path

import pytest


def write_design(directory: Path, *, header: str, source: str, manifest: str) -> Path:
    """Write top.h, top.cpp and design.toml into ``directory``; return the manifest path."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "top.h").write_text(header)
    (directory / "top.cpp").write_text(source)
    path = directory / "design.toml"
    path.write_text(manifest)
    return path


@pytest.fixture(scope="session")
def design_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("csim_designs")
