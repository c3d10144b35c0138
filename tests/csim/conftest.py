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


MIXED_SPEC = [
    {"kind": "dense", "units": 8, "name": "da", "inputs": ["in_a"]},
    {"kind": "dense", "units": 8, "name": "db", "inputs": ["in_b"]},
    {"kind": "add", "name": "merge", "inputs": ["da", "db"]},
    {"kind": "batchnorm", "name": "bn"},
    {"kind": "tanh", "name": "th"},
    {"kind": "concatenate", "name": "cat", "inputs": ["th", "db"]},
    {"kind": "dense", "units": 4, "name": "head"},
    {"kind": "sigmoid", "name": "sig"},
]


@pytest.fixture(scope="session")
def jet(tmp_path_factory: pytest.TempPathFactory):
    """The KERAS_3layer jet tagger as a real hls4ml project (all ap_fixed<16,6>)."""
    from tests.hls4ml_gen import jet_tagger_spec, make_project

    return make_project(
        tmp_path_factory, jet_tagger_spec(), input_shape=(16,), default_precision="ap_fixed<16,6>"
    )


@pytest.fixture(scope="session")
def mixed(tmp_path_factory: pytest.TempPathFactory):
    """Two inputs, merge, batchnorm, tanh, concatenate, sigmoid, RND/SAT types and a namespace."""
    from tests.hls4ml_gen import make_project

    return make_project(
        tmp_path_factory,
        MIXED_SPEC,
        input_shape={"in_a": (8,), "in_b": (8,)},
        default_precision="ap_fixed<14,5>",
        precisions={
            "da": {"accum": "ap_fixed<20,8,AP_RND,AP_SAT>"},
            "head": {"result": "ap_fixed<18,7,AP_RND,AP_SAT>"},
        },
        namespace="mixed_ns",
        seed=3,
    )


@pytest.fixture(scope="session")
def streamed(tmp_path_factory: pytest.TempPathFactory):
    """io_stream: a Conv1D (packets of one pixel's channels) feeding a Dense (one packet of all elements)."""
    from tests.hls4ml_gen import make_project

    return make_project(
        tmp_path_factory,
        [("conv1d", 3, 3), ("relu",), ("flatten",), ("dense", 4), ("sigmoid",)],
        input_shape=(8, 2),
        io_type="io_stream",
        default_precision="ap_fixed<14,5>",
        seed=7,
    )
