"""The comparison engine: raw integers from two backends in, a :class:`PairComparison` out.

Everything here works on raw integer codes, never on floats: two backends agree when their codes are
identical, and a difference is measured in LSBs of the output type (``delta_lsb = actual_raw -
expected_raw``). The engine is modelled on the CMS L1 trigger DQM "data vs emulator" comparisons: exact counts
per output, per element and per vector, a short list of the first mismatches with exact totals next to it, and
a class for each mismatch that hints at its cause.

Mismatch classes
----------------
Let ``T`` be the output type (``W = T.width``, ``lo = T.min_raw``, ``hi = T.max_raw``), ``e`` and ``a`` the
expected and actual raw codes and ``d = a - e``. The first rule that applies wins:

============== ===============================================================================================
class          rule
============== ===============================================================================================
``rounding``   ``|d| == 1``: the two sides quantized the same value to neighbouring codes (a Q-mode or
               precision difference, e.g. AP_TRN against AP_RND, or a product quantized in a different place).
``overflow``   ``d`` is a nonzero multiple of ``2**W``: the same W-bit pattern read with a different
               extension, or one side wrapped a value the other kept (only possible when a backend hands back
               a raw outside ``[lo, hi]``, e.g. an unsigned pattern of a signed type).
``saturation`` one side sits on a rail of ``T`` and the other does not: the rails are ``hi`` and ``lo`` (and
               ``lo + 1`` for a signed AP_SAT_SYM type, its symmetric minimum). The other side must be inside
               the range or beyond *that same* rail (an unclipped wider value); a value beyond the opposite
               rail is ``other``. This is what one side clipping while the other wrapped (AP_SAT against
               AP_WRAP) or overflowed an intermediate looks like. The rails are those of ``T`` whatever its
               overflow mode, because the clipping may happen in an earlier layer with a saturating type.
``other``      anything else.
============== ===============================================================================================

Examples for ``ap_fixed<8,3>`` (``lo = -128``, ``hi = 127``): ``(5, 6)`` rounding; ``(5, 261)`` overflow;
``(127, -120)`` saturation; ``(-128, 40)`` saturation; ``(127, -200)`` other (beyond the opposite rail);
``(5, 9)`` other.

``xor_bits`` is the XOR of the two codes as unsigned W-bit patterns (``v mod 2**W``). When a side is outside
the type's range the patterns are widened to the narrowest two's-complement width holding both, so the XOR
still shows the bits that differ (this is the only case in which ``overflow`` can occur). ``highest_bit`` is
the index of its highest set bit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InvalidArgument, InvalidType

__all__ = [
    "MISMATCH_CLASSES",
    "Mismatch",
    "OutputStats",
    "LayerStats",
    "PairComparison",
    "classify_mismatch",
    "compare_bits",
]

#: The mismatch classes, in the order their rules are tried.
MISMATCH_CLASSES: tuple[str, ...] = ("rounding", "overflow", "saturation", "other")

# int64 subtraction is exact only while both operands stay inside +-2**62.
_INT64_SAFE = 1 << 62


@dataclass(frozen=True)
class Mismatch:
    """One differing element: where it is, both raw codes, and how they differ.

    ``index`` is the flat (C-order) index of the element inside one vector's output, so ``(vector, output,
    index)`` finds it in any backend's output array reshaped to ``(N, -1)``.
    """

    vector: int
    output: str
    index: int
    expected_raw: int
    actual_raw: int
    delta_lsb: int
    xor_bits: int
    highest_bit: int
    cls: str

    def to_json(self) -> dict[str, Any]:
        """The report.json ``mismatches`` entry (schema 1); ``class`` is a Python keyword, hence ``cls``."""
        return {
            "vector": self.vector,
            "output": self.output,
            "index": self.index,
            "expected_raw": self.expected_raw,
            "actual_raw": self.actual_raw,
            "delta_lsb": self.delta_lsb,
            "xor_bits": self.xor_bits,
            "highest_bit": self.highest_bit,
            "class": self.cls,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Mismatch:
        """Inverse of :meth:`to_json`; ``highest_bit`` is recomputed from ``xor_bits`` when absent."""
        xor = int(data["xor_bits"])
        return cls(
            vector=int(data["vector"]),
            output=str(data["output"]),
            index=int(data["index"]),
            expected_raw=int(data["expected_raw"]),
            actual_raw=int(data["actual_raw"]),
            delta_lsb=int(data["delta_lsb"]),
            xor_bits=xor,
            highest_bit=int(data.get("highest_bit", xor.bit_length() - 1)),
            cls=str(data["class"]),
        )


@dataclass
class OutputStats:
    """Exact counts for one output of one backend pair.

    ``elements`` maps a flat element index to its number of mismatched vectors, ``bit_flips`` maps it to the
    number of mismatches in which each bit differs (index 0 is the LSB; the list has ``xor_width`` entries),
    and ``delta_histogram`` maps a signed bucket ``k`` to a count: ``k = sign(d) * d.bit_length()``, so bucket
    1 is ``d = +1``, bucket 2 is ``d`` in ``[2, 3]``, bucket -3 is ``d`` in ``[-7, -4]``. Only nonzero entries
    are kept.
    """

    name: str
    type: str
    shape: tuple[int, ...]
    compared_elements: int = 0
    mismatched_elements: int = 0
    mismatched_vectors: int = 0
    within_tolerance: int = 0
    max_abs_lsb: int = 0
    classes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MISMATCH_CLASSES, 0))
    elements: dict[int, int] = field(default_factory=dict)
    bit_flips: dict[int, list[int]] = field(default_factory=dict)
    xor_width: int = 0
    delta_histogram: dict[int, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "shape": list(self.shape),
            "compared_elements": self.compared_elements,
            "mismatched_elements": self.mismatched_elements,
            "mismatched_vectors": self.mismatched_vectors,
            "within_tolerance": self.within_tolerance,
            "max_abs_lsb": self.max_abs_lsb,
            "classes": dict(self.classes),
            "elements": [[i, n] for i, n in sorted(self.elements.items())],
            "xor_width": self.xor_width,
            "bit_flips": [[i, list(c)] for i, c in sorted(self.bit_flips.items())],
            "delta_histogram": [[k, n] for k, n in sorted(self.delta_histogram.items())],
        }

    @classmethod
    def from_json(cls, name: str, data: Mapping[str, Any]) -> OutputStats:
        return cls(
            name=name,
            type=str(data["type"]),
            shape=tuple(int(d) for d in data["shape"]),
            compared_elements=int(data["compared_elements"]),
            mismatched_elements=int(data["mismatched_elements"]),
            mismatched_vectors=int(data["mismatched_vectors"]),
            within_tolerance=int(data["within_tolerance"]),
            max_abs_lsb=int(data["max_abs_lsb"]),
            classes={str(k): int(v) for k, v in data["classes"].items()},
            elements={int(i): int(n) for i, n in data["elements"]},
            xor_width=int(data["xor_width"]),
            bit_flips={int(i): [int(x) for x in c] for i, c in data["bit_flips"]},
            delta_histogram={int(k): int(n) for k, n in data["delta_histogram"]},
        )


@dataclass
class LayerStats:
    """How one traced layer compares: ``mismatched_elements`` beyond the tolerance, and the first of them."""

    name: str
    compared_elements: int
    mismatched_elements: int
    first: dict[str, int] | None = None  # {"vector", "index", "expected_raw", "actual_raw"}
    shape_mismatch: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "compared_elements": self.compared_elements,
            "mismatched_elements": self.mismatched_elements,
            "first": None if self.first is None else dict(self.first),
            "shape_mismatch": self.shape_mismatch,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LayerStats:
        first = data.get("first")
        return cls(
            name=str(data["name"]),
            compared_elements=int(data["compared_elements"]),
            mismatched_elements=int(data["mismatched_elements"]),
            first=None if first is None else {str(k): int(v) for k, v in first.items()},
            shape_mismatch=data.get("shape_mismatch"),
        )


@dataclass
class PairComparison:
    """The result of comparing one backend (``actual``) against another (``expected``) on the same vectors.

    Totals are exact; ``mismatches`` lists only the first ``max_listed`` (ordered by vector, then output in
    model order, then element index) and ``vector_counts`` only the first ``max_listed`` mismatching vectors.
    """

    expected: str
    actual: str
    vectors: int
    outputs: dict[str, OutputStats]
    mismatches: list[Mismatch]
    mismatched_vectors: int = 0
    mismatched_elements: int = 0
    compared_elements: int = 0
    within_tolerance: int = 0
    max_abs_lsb: int = 0
    classes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MISMATCH_CLASSES, 0))
    vector_counts: dict[int, int] = field(default_factory=dict)
    first_mismatched_vectors: list[int] = field(default_factory=list)
    traced: bool = False
    layers: list[LayerStats] = field(default_factory=list)
    first_divergent_layer: str | None = None
    tolerance_lsb: int = 0
    max_listed: int = 100
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no element differs by more than the tolerance."""
        return self.mismatched_elements == 0

    @property
    def name(self) -> str:
        """``"expected vs actual"``, the label every renderer uses."""
        return f"{self.expected} vs {self.actual}"

    def to_json(self) -> dict[str, Any]:
        """One entry of report.json's ``comparisons`` list (schema 1 fields first, then the extras)."""
        return {
            "expected": self.expected,
            "actual": self.actual,
            "vectors": self.vectors,
            "mismatched_vectors": self.mismatched_vectors,
            "mismatched_elements": self.mismatched_elements,
            "max_abs_lsb": self.max_abs_lsb,
            "first_divergent_layer": self.first_divergent_layer,
            "mismatches": [m.to_json() for m in self.mismatches],
            "compared_elements": self.compared_elements,
            "within_tolerance": self.within_tolerance,
            "tolerance_lsb": self.tolerance_lsb,
            "max_listed": self.max_listed,
            "classes": dict(self.classes),
            "vector_counts": [[v, n] for v, n in sorted(self.vector_counts.items())],
            "first_mismatched_vectors": list(self.first_mismatched_vectors),
            "outputs": {name: o.to_json() for name, o in self.outputs.items()},
            "traced": self.traced,
            "layers": [layer.to_json() for layer in self.layers],
            "seconds": dict(self.seconds),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PairComparison:
        return cls(
            expected=str(data["expected"]),
            actual=str(data["actual"]),
            vectors=int(data["vectors"]),
            mismatched_vectors=int(data["mismatched_vectors"]),
            mismatched_elements=int(data["mismatched_elements"]),
            max_abs_lsb=int(data["max_abs_lsb"]),
            first_divergent_layer=data["first_divergent_layer"],
            mismatches=[Mismatch.from_json(m) for m in data["mismatches"]],
            compared_elements=int(data.get("compared_elements", 0)),
            within_tolerance=int(data.get("within_tolerance", 0)),
            tolerance_lsb=int(data.get("tolerance_lsb", 0)),
            max_listed=int(data.get("max_listed", len(data["mismatches"]))),
            classes={
                str(k): int(v) for k, v in data.get("classes", _count_classes(data["mismatches"])).items()
            },
            vector_counts={int(v): int(n) for v, n in data.get("vector_counts", [])},
            first_mismatched_vectors=[int(v) for v in data.get("first_mismatched_vectors", [])],
            outputs={str(k): OutputStats.from_json(str(k), v) for k, v in data.get("outputs", {}).items()},
            traced=bool(data.get("traced", False)),
            layers=[LayerStats.from_json(x) for x in data.get("layers", [])],
            seconds={str(k): float(v) for k, v in data.get("seconds", {}).items()},
        )


def _count_classes(mismatches: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    # A minimal schema-1 file without the "classes" extra: count what is listed (a lower bound; see the docs).
    counts = dict.fromkeys(MISMATCH_CLASSES, 0)
    for m in mismatches:
        counts[str(m["class"])] = counts.get(str(m["class"]), 0) + 1
    return counts


# ------------------------------------------------------------------------------------------------------------
# Type helpers
# ------------------------------------------------------------------------------------------------------------


def _as_type(value: Any, what: str) -> Any:
    """A FixedType from a FixedType or an HLS string; anything else is refused (no guessing)."""
    if hasattr(value, "width") and hasattr(value, "min_raw") and hasattr(value, "max_raw"):
        return value
    if isinstance(value, str):
        from ..fixed import FixedType

        return FixedType.parse(value)
    raise InvalidType(f"{what} must be a FixedType or an HLS type string, not {value!r}")


def _rails(t: Any) -> tuple[int, int, int | None]:
    """(lo, hi, symmetric lo or None): the codes a saturating type clips to."""
    lo, hi = int(t.min_raw), int(t.max_raw)
    overflow = getattr(getattr(t, "overflow", None), "name", str(getattr(t, "overflow", "")))
    sym = lo + 1 if (t.signed and t.width > 1 and overflow.endswith("SAT_SYM")) else None
    return lo, hi, sym


def classify_mismatch(expected_raw: int, actual_raw: int, fixed_type: Any) -> str:
    """The class of one mismatch (see the module docstring for the rules); ``""`` when the codes are equal.

    Parameters
    ----------
    expected_raw, actual_raw
        The two raw codes.
    fixed_type
        The output type (a FixedType or an HLS type string).

    Returns
    -------
    str
        One of :data:`MISMATCH_CLASSES`, or ``""`` for equal codes.

    Examples
    --------
    >>> from fwparity.compare import classify_mismatch
    >>> [classify_mismatch(e, a, "ap_fixed<8,3>") for e, a in [(5, 6), (5, 261), (127, -120), (5, 9), (7, 7)]]
    ['rounding', 'overflow', 'saturation', 'other', '']
    """
    t = _as_type(fixed_type, "fixed_type")
    e, a = int(expected_raw), int(actual_raw)
    cls = _classify(
        np.array([e], dtype=object), np.array([a], dtype=object), np.array([a - e], dtype=object), t
    )
    return "" if e == a else MISMATCH_CLASSES[int(cls[0])]


def _classify(ev: np.ndarray, av: np.ndarray, delta: np.ndarray, t: Any) -> np.ndarray:
    """Vectorised class codes (indices into MISMATCH_CLASSES) of differing pairs, on int64 or object."""
    lo, hi, sym = _rails(t)
    absd = np.abs(delta)
    rounding = absd == 1
    period = 1 << int(t.width)
    if delta.dtype == object or period <= _INT64_SAFE:
        overflow = (delta % period) == 0
    else:  # int64 deltas are smaller than 2**63, so only a zero delta is a multiple of a wider period
        overflow = delta == 0
    overflow &= ~rounding

    def on_low_rail(v: np.ndarray) -> np.ndarray:
        r = v == lo
        if sym is not None:
            r |= v == sym
        return np.asarray(r, dtype=bool)

    e_hi, a_hi = np.asarray(ev == hi, dtype=bool), np.asarray(av == hi, dtype=bool)
    e_lo, a_lo = on_low_rail(ev), on_low_rail(av)
    a_not_below = np.asarray(av >= lo, dtype=bool)  # the other side is not beyond the opposite (low) rail
    a_not_above = np.asarray(av <= hi, dtype=bool)
    e_not_below = np.asarray(ev >= lo, dtype=bool)
    e_not_above = np.asarray(ev <= hi, dtype=bool)
    saturation = (e_hi & a_not_below) | (e_lo & a_not_above) | (a_hi & e_not_below) | (a_lo & e_not_above)
    saturation &= ~rounding & ~overflow
    codes = np.full(delta.shape, 3, dtype=np.int8)
    codes[saturation] = 2
    codes[overflow] = 1
    codes[rounding] = 0
    return codes


def _pattern_width(t: Any, values: Sequence[np.ndarray]) -> int:
    """The XOR width: W, widened so any out-of-range code still shows all its differing bits."""
    width = int(t.width)
    lo, hi = int(t.min_raw), int(t.max_raw)
    for v in values:
        if v.size == 0:
            continue
        vmin, vmax = int(v.min()), int(v.max())
        if vmin < lo or vmax > hi:
            need = max(abs(vmin).bit_length(), abs(vmax).bit_length()) + 1
            width = max(width, need)
    return width


# ------------------------------------------------------------------------------------------------------------
# The engine
# ------------------------------------------------------------------------------------------------------------


def _as_raw(arr: Any, what: str) -> np.ndarray:
    a = np.asarray(arr)
    if a.dtype == object:
        return a
    if not np.issubdtype(a.dtype, np.integer):
        raise InvalidArgument(f"{what} must hold raw integers, not dtype {a.dtype}")
    if a.dtype == np.uint64 and a.size and int(a.max()) >= _INT64_SAFE:
        return a.astype(object)
    return a.astype(np.int64, copy=False)


def _exact_pair(e: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both as int64 when every code is safely inside int64 (so deltas cannot wrap), else both as object."""
    if e.dtype != object and a.dtype != object:
        bounds = [int(x.min()) for x in (e, a) if x.size] + [int(x.max()) for x in (e, a) if x.size]
        if all(-_INT64_SAFE <= b < _INT64_SAFE for b in bounds):
            return e, a
    return e.astype(object), a.astype(object)


def _bit_length(absv: np.ndarray, max_bits: int) -> np.ndarray:
    """Vectorised ``int.bit_length`` for non-negative int64 or object arrays."""
    out = np.zeros(absv.shape, dtype=np.int64)
    for b in range(max_bits):
        out[np.asarray((absv >> b) > 0, dtype=bool)] = b + 1
    return out


def _check_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidType(f"{name} must be an integer, not {name}={value!r}")
    if value < 0:
        raise InvalidArgument(f"{name} must be at least 0, not {name}={value!r}")
    return int(value)


def compare_bits(
    expected: Any,
    actual: Any,
    model: Any = None,
    *,
    output_types: Mapping[str, Any] | None = None,
    layer_types: Mapping[str, Any] | None = None,
    tolerance_lsb: int = 0,
    max_listed: int = 100,
) -> PairComparison:
    """Compare two backends' raw outputs element by element and localise the first divergent layer.

    Parameters
    ----------
    expected, actual
        :class:`fwparity.RunResult`-like objects (``backend``, ``outputs``, ``trace``, ``seconds``) from the
        same input vectors. ``expected`` is the side taken as right (usually the reference).
    model
        The :class:`fwparity.model.Model`; gives the output types and the layer order. Optional when
        ``output_types`` is given.
    output_types
        Output name -> FixedType (or HLS string); overrides the model's. Only these outputs are compared.
    layer_types
        Traced layer name -> type, in model order; used for the layer order when there is no model.
    tolerance_lsb
        Differences of at most this many LSBs are counted as ``within_tolerance``, not as mismatches.
    max_listed
        How many mismatches (and mismatching vectors) to list; the totals are always exact.

    Returns
    -------
    PairComparison

    Raises
    ------
    InvalidArgument
        An output is missing on one side, the shapes differ, or the arguments are out of range.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace as Run
    >>> from fwparity.compare import compare_bits
    >>> ref = Run(backend="reference", outputs={"y": np.array([[5, 127], [0, 1]])}, trace={}, seconds=0.0)
    >>> dut = Run(backend="csim", outputs={"y": np.array([[6, -120], [0, 1]])}, trace={}, seconds=0.0)
    >>> pair = compare_bits(ref, dut, output_types={"y": "ap_fixed<8,3>"})
    >>> pair.mismatched_vectors, pair.mismatched_elements, pair.max_abs_lsb
    (1, 2, 247)
    >>> [(m.vector, m.index, m.delta_lsb, m.cls) for m in pair.mismatches]
    [(0, 0, 1, 'rounding'), (0, 1, -247, 'saturation')]
    """
    tolerance_lsb = _check_int(tolerance_lsb, "tolerance_lsb")
    max_listed = _check_int(max_listed, "max_listed")
    layer_order: list[str] = []
    if model is not None:
        types = dict(model.output_types)
        layer_order = [layer.name for layer in model.layers]
    else:
        types = {}
    if output_types is not None:
        types = dict(output_types)
    if not types:
        raise InvalidArgument("compare_bits needs output_types or a model, got neither (output_types=None)")
    if not layer_order and layer_types is not None:
        layer_order = list(layer_types)
    types = {str(k): _as_type(v, f"output_types[{k!r}]") for k, v in types.items()}

    n_vectors: int | None = None
    stats: dict[str, OutputStats] = {}
    listed: list[Mismatch] = []
    per_vector: np.ndarray | None = None
    totals = dict.fromkeys(MISMATCH_CLASSES, 0)
    max_abs = 0
    for name, t in types.items():
        e_raw = _output(expected, name, "expected")
        a_raw = _output(actual, name, "actual")
        if e_raw.shape != a_raw.shape:
            raise InvalidArgument(
                f"output {name!r}: {expected.backend!r} gave shape {e_raw.shape} but {actual.backend!r} gave "
                f"{a_raw.shape}"
            )
        if e_raw.ndim == 0:
            raise InvalidArgument(f"output {name!r} has no batch axis (shape {e_raw.shape})")
        n = e_raw.shape[0]
        if n_vectors is None:
            n_vectors = n
            per_vector = np.zeros(n, dtype=np.int64)
        elif n != n_vectors:
            raise InvalidArgument(f"output {name!r} has {n} vectors but the first output has {n_vectors}")
        assert per_vector is not None
        shape = tuple(int(d) for d in e_raw.shape[1:])
        e2, a2 = _exact_pair(e_raw.reshape(n, -1), a_raw.reshape(n, -1))
        out = OutputStats(name=name, type=str(t), shape=shape, compared_elements=int(e2.size))
        out.xor_width = int(t.width)
        stats[name] = out
        differ = np.asarray(e2 != a2, dtype=bool)
        if not differ.any():
            continue
        vec_idx, el_idx = np.nonzero(differ)
        ev, av = e2[differ], a2[differ]
        delta = av - ev
        absd = np.abs(delta)
        beyond = np.asarray(absd > tolerance_lsb, dtype=bool)
        out.within_tolerance = int(differ.sum()) - int(beyond.sum())
        if not beyond.any():
            continue
        vec_idx, el_idx, ev, av, delta, absd = (x[beyond] for x in (vec_idx, el_idx, ev, av, delta, absd))
        codes = _classify(ev, av, delta, t)
        width = _pattern_width(t, [ev, av])
        out.xor_width = width
        mask = (1 << width) - 1
        if ev.dtype != object and width > 62:
            ev_p, av_p = ev.astype(object), av.astype(object)
        else:
            ev_p, av_p = ev, av
        xor = (ev_p & mask) ^ (av_p & mask)
        m_el = differ.shape[1]
        highest = np.full(xor.shape, -1, dtype=np.int64)
        flips = np.zeros((m_el, width), dtype=np.int64)
        for b in range(width):
            bit = np.asarray((xor >> b) & 1, dtype=np.int64)
            highest[bit == 1] = b
            flips[:, b] = np.bincount(el_idx, weights=bit, minlength=m_el).astype(np.int64)
        out.mismatched_elements = int(beyond.sum())
        vec_counts = np.bincount(vec_idx, minlength=n)
        out.mismatched_vectors = int(np.count_nonzero(vec_counts))
        per_vector += vec_counts
        out.max_abs_lsb = int(absd.max())
        max_abs = max(max_abs, out.max_abs_lsb)
        for code, count in zip(*np.unique(codes, return_counts=True), strict=True):
            out.classes[MISMATCH_CLASSES[int(code)]] = int(count)
            totals[MISMATCH_CLASSES[int(code)]] += int(count)
        el_counts = np.bincount(el_idx, minlength=m_el)
        for i in np.flatnonzero(el_counts):
            out.elements[int(i)] = int(el_counts[i])
            out.bit_flips[int(i)] = [int(c) for c in flips[i]]
        buckets = _bit_length(absd, max(1, out.max_abs_lsb.bit_length())) * np.where(
            np.asarray(delta < 0, dtype=bool), -1, 1
        )
        for k, count in zip(*np.unique(buckets, return_counts=True), strict=True):
            out.delta_histogram[int(k)] = int(count)
        # nonzero() yields vector-major order, so the first max_listed here are this output's earliest ones.
        for j in range(min(max_listed, len(ev))):
            listed.append(
                Mismatch(
                    vector=int(vec_idx[j]),
                    output=name,
                    index=int(el_idx[j]),
                    expected_raw=int(ev[j]),
                    actual_raw=int(av[j]),
                    delta_lsb=int(delta[j]),
                    xor_bits=int(xor[j]),
                    highest_bit=int(highest[j]),
                    cls=MISMATCH_CLASSES[int(codes[j])],
                )
            )
    order = {name: i for i, name in enumerate(types)}
    listed.sort(key=lambda m: (m.vector, order[m.output], m.index))
    listed = listed[:max_listed]
    assert per_vector is not None and n_vectors is not None
    bad_vectors = np.flatnonzero(per_vector)
    pair = PairComparison(
        expected=str(expected.backend),
        actual=str(actual.backend),
        vectors=int(n_vectors),
        outputs=stats,
        mismatches=listed,
        mismatched_vectors=int(bad_vectors.size),
        mismatched_elements=sum(o.mismatched_elements for o in stats.values()),
        compared_elements=sum(o.compared_elements for o in stats.values()),
        within_tolerance=sum(o.within_tolerance for o in stats.values()),
        max_abs_lsb=max_abs,
        classes=totals,
        vector_counts={int(v): int(per_vector[v]) for v in bad_vectors[:max_listed]},
        first_mismatched_vectors=[int(v) for v in bad_vectors[:max_listed]],
        tolerance_lsb=tolerance_lsb,
        max_listed=max_listed,
        seconds={
            "expected": float(getattr(expected, "seconds", 0.0) or 0.0),
            "actual": float(getattr(actual, "seconds", 0.0) or 0.0),
        },
    )
    _localise(pair, expected, actual, layer_order, list(types), tolerance_lsb)
    return pair


def _output(run: Any, name: str, side: str) -> np.ndarray:
    outputs = run.outputs
    if name not in outputs:
        have = ", ".join(sorted(outputs)) or "none"
        raise InvalidArgument(f"{side} run {run.backend!r} has no output {name!r}; it has: {have}")
    return _as_raw(outputs[name], f"{run.backend!r} output {name!r}")


def _localise(
    pair: PairComparison,
    expected: Any,
    actual: Any,
    layer_order: list[str],
    output_names: list[str],
    tolerance_lsb: int,
) -> None:
    """Fill ``pair.layers`` and ``first_divergent_layer`` from the traces, when both sides have them.

    The layers are taken in model order; without a model, in the order of ``layer_types``, else the expected
    trace's own order. An output whose layer was not traced stands in for it (an output tensor is named after
    its layer), so a divergence in the last layer is still found.
    """
    e_trace = dict(getattr(expected, "trace", None) or {})
    a_trace = dict(getattr(actual, "trace", None) or {})
    if not e_trace or not a_trace:
        return
    pair.traced = True
    for name in output_names:
        e_trace.setdefault(name, expected.outputs[name])
        a_trace.setdefault(name, actual.outputs[name])
    order = list(layer_order) or list(e_trace)
    order += [name for name in e_trace if name not in order]
    for name in order:
        if name not in e_trace or name not in a_trace:
            continue
        e_raw = _as_raw(e_trace[name], f"{expected.backend!r} trace {name!r}")
        a_raw = _as_raw(a_trace[name], f"{actual.backend!r} trace {name!r}")
        if e_raw.shape != a_raw.shape:
            stats = LayerStats(
                name, int(e_raw.size), int(e_raw.size), shape_mismatch=f"{e_raw.shape} vs {a_raw.shape}"
            )
        else:
            n = e_raw.shape[0] if e_raw.ndim else 1
            e2, a2 = _exact_pair(e_raw.reshape(n, -1), a_raw.reshape(n, -1))
            bad = np.asarray(np.abs(a2 - e2) > tolerance_lsb, dtype=bool)
            stats = LayerStats(name, int(e2.size), int(bad.sum()))
            if stats.mismatched_elements:
                v, i = (int(x[0]) for x in np.nonzero(bad))
                stats.first = {
                    "vector": v,
                    "index": i,
                    "expected_raw": int(e2[v, i]),
                    "actual_raw": int(a2[v, i]),
                }
        pair.layers.append(stats)
        if pair.first_divergent_layer is None and stats.mismatched_elements:
            pair.first_divergent_layer = name
