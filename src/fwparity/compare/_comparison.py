"""Comparison: the backend pairs of one validation run plus the metadata a report needs (report.json).

:func:`compare_runs` builds one from the :class:`RunResult` of each backend; :meth:`Comparison.to_json` /
:meth:`Comparison.from_json` are report.json (DESIGN.md, schema 1) in both directions, so a report written
today can be re-rendered later with ``fwparity report``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import FormatError, InvalidArgument
from .engine import MISMATCH_CLASSES, PairComparison, _check_int, compare_bits

__all__ = ["SCHEMA_VERSION", "Comparison", "compare_runs"]

#: The report.json schema this fwparity writes and reads.
SCHEMA_VERSION = 1


def _version() -> str:
    from .. import __version__

    return __version__


@dataclass
class Comparison:
    """The comparisons of one validation run (each backend against the expected one) and their context.

    ``inputs`` holds the raw input codes of the first mismatching vectors (vector index -> input name ->
    nested list), so a report shows what to replay; ``overflows`` is the reference's count of wrapped or
    saturated values per layer, which often explains a mismatch before any bit is looked at.

    Examples
    --------
    >>> from fwparity.compare import Comparison
    >>> c = Comparison(pairs=[], model_name="tiny", vector_count=0)
    >>> c.status
    'parity'
    >>> Comparison.from_json(c.to_json()) == c
    True
    """

    pairs: list[PairComparison]
    model_name: str = "model"
    model_sha256: str | None = None
    vector_count: int = 0
    vector_source: str = "unknown"
    seed: int | None = None
    overflows: dict[str, int] = field(default_factory=dict)
    input_types: dict[str, str] = field(default_factory=dict)
    inputs: dict[int, dict[str, Any]] = field(default_factory=dict)
    fwparity_version: str = field(default_factory=_version)

    @property
    def status(self) -> str:
        """``"parity"`` when every pair agrees (within its tolerance), else ``"mismatch"``."""
        return "parity" if all(p.ok for p in self.pairs) else "mismatch"

    @property
    def ok(self) -> bool:
        return self.status == "parity"

    @property
    def exit_code(self) -> int:
        """The command-line exit code for this result: 0 parity, 1 mismatch."""
        return 0 if self.ok else 1

    def to_json(self) -> dict[str, Any]:
        """report.json, schema 1: the DESIGN.md fields, then the extras the renderers use."""
        return {
            "schema": SCHEMA_VERSION,
            "fwparity_version": self.fwparity_version,
            "model": {"name": self.model_name, "sha256": self.model_sha256},
            "vectors": {"count": self.vector_count, "source": self.vector_source, "seed": self.seed},
            "status": self.status,
            "comparisons": [p.to_json() for p in self.pairs],
            "overflows": dict(self.overflows),
            "inputs": {
                "types": dict(self.input_types),
                "vectors": [{"vector": v, "raw": raw} for v, raw in sorted(self.inputs.items())],
            },
        }

    @classmethod
    def from_json(cls, data: Any, *, source: str = "report") -> Comparison:
        """Read report.json data (a parsed dict); FormatError naming the field when it is not schema 1.

        Only the DESIGN.md fields are required; the extras default to empty, so a minimal schema-1 file
        written by another tool still renders.
        """
        _check_report(data, source)
        inputs = data.get("inputs") or {}
        return cls(
            pairs=[PairComparison.from_json(p) for p in data["comparisons"]],
            model_name=str(data["model"]["name"]),
            model_sha256=data["model"].get("sha256"),
            vector_count=int(data["vectors"]["count"]),
            vector_source=str(data["vectors"].get("source", "unknown")),
            seed=data["vectors"].get("seed"),
            overflows={str(k): int(v) for k, v in (data.get("overflows") or {}).items()},
            input_types={str(k): str(v) for k, v in (inputs.get("types") or {}).items()},
            inputs={int(x["vector"]): dict(x["raw"]) for x in inputs.get("vectors") or []},
            fwparity_version=str(data["fwparity_version"]),
        )


def _check_report(data: Any, source: str) -> None:
    """Hand checks of the schema-1 required fields, so a bad file fails with a message, not a KeyError."""
    if not isinstance(data, dict):
        raise FormatError(f"{source}: expected a JSON object at the top level, not {type(data).__name__}")
    if "schema" not in data:
        raise FormatError(f"{source}: no 'schema' field; this is not a fwparity report.json")
    if data["schema"] != SCHEMA_VERSION:
        raise FormatError(
            f"{source}: schema={data['schema']!r} is not supported; "
            f"this fwparity reads schema {SCHEMA_VERSION}"
        )

    def need(obj: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
        if not isinstance(obj, dict) or key not in obj:
            raise FormatError(f"{source}: missing field {where}{key!r}")
        value = obj[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            raise FormatError(f"{source}: field {where}{key!r} has the wrong type ({type(value).__name__})")
        return value

    need(data, "fwparity_version", str, "")
    need(need(data, "model", dict, ""), "name", str, "model.")
    need(need(data, "vectors", dict, ""), "count", int, "vectors.")
    status = need(data, "status", str, "")
    if status not in ("parity", "mismatch"):
        raise FormatError(f"{source}: status={status!r} is neither 'parity' nor 'mismatch'")
    comparisons = need(data, "comparisons", list, "")
    for i, pair in enumerate(comparisons):
        where = f"comparisons[{i}]."
        for key in ("expected", "actual"):
            need(pair, key, str, where)
        for key in ("vectors", "mismatched_vectors", "mismatched_elements", "max_abs_lsb"):
            need(pair, key, int, where)
        if "first_divergent_layer" not in pair:
            raise FormatError(f"{source}: missing field {where}'first_divergent_layer'")
        for j, m in enumerate(need(pair, "mismatches", list, where)):
            mwhere = f"{where}mismatches[{j}]."
            for key in ("vector", "index", "expected_raw", "actual_raw", "delta_lsb", "xor_bits"):
                need(m, key, int, mwhere)
            need(m, "output", str, mwhere)
            cls = need(m, "class", str, mwhere)
            if cls not in MISMATCH_CLASSES:
                raise FormatError(
                    f"{source}: {mwhere}'class'={cls!r} is not one of {', '.join(MISMATCH_CLASSES)}"
                )


def compare_runs(
    results: Sequence[Any],
    model: Any = None,
    *,
    inputs: Mapping[str, np.ndarray] | None = None,
    output_types: Mapping[str, Any] | None = None,
    layer_types: Mapping[str, Any] | None = None,
    vector_source: str = "unknown",
    seed: int | None = None,
    tolerance_lsb: int = 0,
    max_listed: int = 100,
    max_inputs: int = 10,
    model_name: str | None = None,
) -> Comparison:
    """Compare every result against the first one and gather the report metadata.

    Parameters
    ----------
    results
        RunResults from the same vectors; ``results[0]`` is the expected side (normally the reference).
    model
        The Model; gives output types, layer order, name and sha256.
    inputs
        The raw input codes that were run (input name -> (N, ...) array); the first ``max_inputs`` mismatching
        vectors' inputs are copied into the report.
    output_types, layer_types, tolerance_lsb, max_listed
        As for :func:`compare_bits`.
    vector_source, seed
        Where the vectors came from (a file name, ``"random"``) and the generator seed, for the report.
    max_inputs
        How many mismatching vectors' inputs to keep.
    model_name
        Overrides the model's name (or names a model-less comparison).

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace as Run
    >>> from fwparity.compare import compare_runs
    >>> ref = Run(backend="reference", outputs={"y": np.array([[3], [4]])}, trace={}, overflows={"fc": 2},
    ...           seconds=0.0)
    >>> dut = Run(backend="csim", outputs={"y": np.array([[3], [5]])}, trace={}, overflows={}, seconds=0.0)
    >>> c = compare_runs([ref, dut], inputs={"x": np.array([[1, 2], [7, -8]])},
    ...                  output_types={"y": "ap_fixed<8,3>"}, model_name="tiny")
    >>> c.status, c.pairs[0].mismatched_vectors, c.inputs, c.overflows
    ('mismatch', 1, {1: {'x': [7, -8]}}, {'fc': 2})
    """
    if len(results) < 2:
        raise InvalidArgument(f"compare_runs needs at least two results, got {len(results)}")
    max_inputs = _check_int(max_inputs, "max_inputs")
    expected = results[0]
    pairs = [
        compare_bits(
            expected,
            actual,
            model,
            output_types=output_types,
            layer_types=layer_types,
            tolerance_lsb=tolerance_lsb,
            max_listed=max_listed,
        )
        for actual in results[1:]
    ]
    first_bad = sorted({v for p in pairs for v in p.first_mismatched_vectors})[:max_inputs]
    kept: dict[int, dict[str, Any]] = {}
    input_types: dict[str, str] = {}
    if model is not None:
        input_types = {t.name: str(t.type) for t in model.inputs}
    if inputs is not None:
        for v in first_bad:
            kept[v] = {str(name): np.asarray(raw)[v].tolist() for name, raw in inputs.items()}
    return Comparison(
        pairs=pairs,
        model_name=model_name or (str(model.name) if model is not None else "model"),
        model_sha256=model.sha256() if model is not None else None,
        vector_count=pairs[0].vectors,
        vector_source=vector_source,
        seed=seed,
        overflows={str(k): int(v) for k, v in (getattr(expected, "overflows", None) or {}).items()},
        input_types=input_types,
        inputs=kept,
    )
