"""fwparity.compare: the comparison engine, mismatch classification, first-divergent-layer localisation, the
:class:`Comparison` that every report renders (report.json schema 1), and the edge-case vector generator.

``compare_bits()`` returns data and :func:`fwparity.report.diff_report` renders it; the CLI and the pytest
assertion call the same two functions.
"""

from __future__ import annotations

from ._comparison import SCHEMA_VERSION, Comparison, compare_runs
from ._validate import quantize_inputs, validate
from .engine import (
    MISMATCH_CLASSES,
    LayerStats,
    Mismatch,
    OutputStats,
    PairComparison,
    classify_mismatch,
    compare_bits,
)
from .vectors import VECTOR_MIX, random_vectors

__all__ = [
    # engine
    "MISMATCH_CLASSES",
    "Mismatch",
    "OutputStats",
    "LayerStats",
    "PairComparison",
    "classify_mismatch",
    "compare_bits",
    # _comparison
    "SCHEMA_VERSION",
    "Comparison",
    "compare_runs",
    # _validate
    "validate",
    "quantize_inputs",
    # vectors
    "VECTOR_MIX",
    "random_vectors",
]

for _obj in (
    Mismatch,
    OutputStats,
    LayerStats,
    PairComparison,
    classify_mismatch,
    compare_bits,
    Comparison,
    compare_runs,
    validate,
    quantize_inputs,
    random_vectors,
):
    _obj.__module__ = __name__
del _obj
