"""Fuzz an hls4ml project's C simulation against fwparity's bit-exact reference, inside your own test suite.

Copy this file into your tests/ directory and point ``FWPARITY_HLS_PROJECT`` at your hls4ml project (the
directory holding ``firmware/``); without it, the test fuzzes fwparity's bundled jet-tagging MLP, so the file
runs as is. How hard it searches comes from the hypothesis profile, which fwparity's pytest plugin registers:
``FWPARITY_HYPOTHESIS_PROFILE=dev`` (50 batches, the default), ``ci`` (200, derandomized) or ``nightly``
(5000), or ``pytest --fwparity-profile ci``.

A failure is shrunk by hypothesis to the smallest batch (usually one vector) and reported with fwparity's diff
report: raw codes on both sides, the XOR of the bits, the mismatch class (rounding, overflow, saturation,
other).
"""

from __future__ import annotations

import os

from hypothesis import given

from fwparity import load_model
from fwparity.pytest_plugin import assert_parity
from fwparity.strategies import input_vectors

PROJECT = os.environ.get("FWPARITY_HLS_PROJECT")


def _model():  # type: ignore[no-untyped-def]
    if PROJECT:
        return load_model(PROJECT)  # the model as hls4ml wrote it: types, raw weights, layer options
    from fwparity._example import example_model

    return example_model()


MODEL = _model()
# The build under test: the project's own C++ (compiled once, cached by content), or C++ emitted from MODEL.
OPTIONS = {"csim": {"project": PROJECT}} if PROJECT else {}


@given(batch=input_vectors(MODEL, max_size=64))
def test_csim_matches_the_reference(batch):  # type: ignore[no-untyped-def]
    assert_parity(MODEL, batch, against=("reference", "csim"), options=OPTIONS)
