"""Random input vectors that go where fixed-point firmware breaks, deterministic from a seed.

Uniform random codes rarely hit the places where two implementations of the same model disagree: the ends of
the range (saturation against wrapping), ±1 LSB (rounding), the dead zone and the edges of the activation
tables, or the logit spreads that overflow hls4ml's stable-softmax ``inp_norm_t``. :func:`random_vectors`
mixes those cases into otherwise uniform vectors. Each vector gets one *category*, by its index modulo 20 (so
the first seven vectors already cover every category and any ``n >= 20`` keeps the proportions):

============== ======== ======================================================================================
category       share    each element is ...
============== ======== ======================================================================================
``uniform``    7 / 20   uniform over ``[min_raw, max_raw]``
``near_zero``  2 / 20   uniform over raw ``[-16, 16]`` (clipped to the range)
``full_scale`` 2 / 20   one of ``min_raw, min_raw+1, max_raw-1, max_raw``; with ``floats=True`` also one LSB
                        beyond each end (``min_raw-1``, ``max_raw+1``), which exercises the input quantizer's
                        overflow mode
``lsb``        2 / 20   one of raw ``-1, 0, +1`` (``0, 1`` for unsigned types)
``table``      3 / 20   a code at or one LSB around a table landmark: the trunc-toward-zero dead zone edge
                        ``±16/N`` (sigmoid-like, ``±8/N`` for tanh), zero, the table range ends ``±8`` (``±4``
                        for tanh) and twice them; ``N`` and the kinds come from the model's table layers
                        (default a sigmoid and a tanh with N = 1024)
``spread``     2 / 20   one peak element and the rest far below it: either peak at ``max_raw`` and the rest
                        near ``min_raw`` (the largest softmax spread), or the rest exactly ``2**(W-1)`` raw
                        below the peak, ±1 (the spread where ``ap_ufixed<W-1,I-1>`` inp_norm_t wraps)
``tie``        2 / 20   with ``floats=True``: exactly halfway between two codes, ``(raw + 1/2) * 2**-F``,
                        to test the input quantizer's tie rule; without ``floats`` (or when ``W >= 53``,
                        where the half-way value is not a double) uniform
============== ======== ======================================================================================

The landmarks are aimed at the model input: they reach a table directly only when the table layer reads the
input, and otherwise through the layers in between, which is still where a mismatch is likeliest.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import InvalidArgument, InvalidType

__all__ = ["VECTOR_MIX", "random_vectors"]

#: The category of vector ``i`` is ``VECTOR_MIX[i % len(VECTOR_MIX)]``.
VECTOR_MIX: tuple[str, ...] = (
    "uniform", "near_zero", "full_scale", "lsb", "table", "spread", "tie",
    "uniform", "table", "uniform", "full_scale", "near_zero", "uniform", "spread",
    "lsb", "uniform", "tie", "table", "uniform", "uniform",
)  # fmt: skip

# kind -> (index scale numerator: idx = trunc0(x * N / scale), table half-range)
_TABLE_KINDS = {"sigmoid": (16, 8), "softplus": (16, 8), "softsign": (16, 8), "selu": (16, 8), "tanh": (8, 4)}
_DEFAULT_TABLES = ((16, 8, 1024), (8, 4, 1024))


def _tensors(source: Any) -> tuple[list[tuple[str, tuple[int, ...], Any]], list[tuple[int, int, int]]]:
    """(name, shape, type) per input, and the table landmarks (scale, half range, N) of the model if any."""
    from .engine import _as_type

    tables: list[tuple[int, int, int]] = []
    if hasattr(source, "inputs") and hasattr(source, "layers"):
        items: list[Any] = list(source.inputs)
        for layer in source.layers:
            if layer.kind in _TABLE_KINDS:
                scale, half = _TABLE_KINDS[layer.kind]
                tables.append((scale, half, int(layer.options.get("table_size", 1024))))
    elif isinstance(source, Mapping):
        items = []
        for name, spec in source.items():
            if hasattr(spec, "shape") and hasattr(spec, "type"):
                items.append((str(name), spec.shape, spec.type))
            else:
                shape, t = spec
                items.append((str(name), shape, t))
    elif isinstance(source, Sequence) and not isinstance(source, str):
        items = list(source)
    else:
        raise InvalidType(
            f"model_or_input_tensors must be a Model, a list of Tensors or a dict name -> (shape, type), "
            f"not {source!r}"
        )
    out = []
    for item in items:
        if hasattr(item, "name") and hasattr(item, "shape") and hasattr(item, "type"):
            name, shape, t = item.name, item.shape, item.type
        else:
            name, shape, t = item
        out.append((str(name), tuple(int(d) for d in shape), _as_type(t, f"input {name!r} type")))
    if not out:
        raise InvalidArgument(f"model_or_input_tensors={source!r} has no inputs")
    return out, tables or list(_DEFAULT_TABLES)


def _uniform(rng: np.random.Generator, lo: int, hi: int, size: tuple[int, ...], wide: bool) -> np.ndarray:
    if not wide:
        return rng.integers(lo, hi, size=size, dtype=np.int64, endpoint=True)
    # Wide types: 64 extra random bits make the modulo bias below 2**-64; exact Python ints throughout.
    span = hi - lo + 1
    words = (span.bit_length() + 64 + 31) // 32
    draws = rng.integers(0, 1 << 32, size=(*size, words), dtype=np.uint64).reshape(-1, words)
    values = []
    for row in draws.tolist():
        acc = 0
        for w in row:
            acc = (acc << 32) | w
        values.append(lo + acc % span)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out.reshape(size)


def _pick(
    rng: np.random.Generator, candidates: Sequence[int], size: tuple[int, ...], wide: bool
) -> np.ndarray:
    pool = np.array(list(candidates), dtype=object if wide else np.int64)
    return pool[rng.integers(0, len(pool), size=size)]


def _landmarks(t: Any, tables: list[tuple[int, int, int]]) -> list[int]:
    """Raw codes at and one LSB around each table landmark, inside the type's range."""
    frac = int(t.width) - int(t.int_bits)
    points: set[int] = {0}
    for scale, half, n in tables:
        for x in (Fraction(scale, n), Fraction(half), Fraction(2 * half)):
            for sign in (1, -1):
                raw = math.floor(sign * x * Fraction(2) ** frac)
                points.update((raw - 1, raw, raw + 1))
    lo, hi = int(t.min_raw), int(t.max_raw)
    return sorted(p for p in points if lo <= p <= hi)


def random_vectors(
    model_or_input_tensors: Any,
    n: int,
    *,
    seed: int,
    floats: bool = False,
) -> dict[str, np.ndarray]:
    """``n`` input vectors per model input, mixing uniform codes with the edge cases in the table above.

    Parameters
    ----------
    model_or_input_tensors
        A Model (its inputs, and its table layers for the landmarks), a list of Tensors or ``(name, shape,
        type)`` tuples, or a dict ``name -> (shape, type)``.
    n
        Number of vectors.
    seed
        The generator seed: the same seed always gives the same vectors.
    floats
        Return float64 values instead of raw codes, including half-LSB ties and values one LSB beyond the
        range, so the input quantization (``input_t(double)``) is tested too. Every value is exact in float64
        for ``W <= 52``.

    Returns
    -------
    dict[str, numpy.ndarray]
        Input name -> ``(n, *shape)`` array of raw codes on the input type (int64, or object for ``W > 63``),
        or of float64 values with ``floats=True``.

    Examples
    --------
    >>> from fwparity.compare import random_vectors
    >>> v = random_vectors({"x": ((3,), "ap_fixed<8,3>")}, 7, seed=1)
    >>> v["x"].shape, v["x"].dtype.name
    ((7, 3), 'int64')
    >>> sorted(set(v["x"][2].tolist()) - {-128, -127, 126, 127})  # vector 2 is full_scale
    []
    >>> bool((random_vectors({"x": ((3,), "ap_fixed<8,3>")}, 7, seed=1)["x"] == v["x"]).all())
    True
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise InvalidType(f"n must be an integer, not n={n!r}")
    if n < 0:
        raise InvalidArgument(f"n must be at least 0, not n={n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise InvalidType(f"seed must be an integer, not seed={seed!r}")
    tensors, tables = _tensors(model_or_input_tensors)
    rng = np.random.default_rng(int(seed))
    categories = np.array([VECTOR_MIX[i % len(VECTOR_MIX)] for i in range(int(n))], dtype=object)
    result: dict[str, np.ndarray] = {}
    for name, shape, t in tensors:
        m = int(np.prod(shape)) if shape else 1
        lo, hi, width = int(t.min_raw), int(t.max_raw), int(t.width)
        frac = width - int(t.int_bits)
        # int64 storage needs room for the one-beyond-range codes too.
        wide = width > 62
        raw = np.zeros((int(n), m), dtype=object if wide else np.int64)
        ties = np.zeros((int(n), m), dtype=bool)
        for cat in dict.fromkeys(VECTOR_MIX):
            rows = np.flatnonzero(categories == cat)
            if rows.size == 0:
                continue
            size = (rows.size, m)
            if cat == "uniform" or (cat == "tie" and (not floats or width >= 53)):
                block = _uniform(rng, lo, hi, size, wide)
            elif cat == "near_zero":
                block = _uniform(rng, max(lo, -16), min(hi, 16), size, wide)
            elif cat == "full_scale":
                ends = [lo, min(lo + 1, hi), max(hi - 1, lo), hi]
                if floats:
                    ends += [lo - 1, hi + 1]
                block = _pick(rng, ends, size, wide)
            elif cat == "lsb":
                block = _pick(rng, [v for v in (-1, 0, 1) if lo <= v <= hi], size, wide)
            elif cat == "table":
                block = _pick(rng, _landmarks(t, tables), size, wide)
            elif cat == "spread":
                block = _spread(rng, lo, hi, width, size, wide)
            else:  # tie
                block = _uniform(rng, lo, hi - 1 if hi > lo else hi, size, wide)
                ties[rows] = True
            raw[rows] = block
        raw_nd: np.ndarray = raw.reshape((int(n), *shape))
        if not floats:
            result[name] = raw_nd.astype(np.int64) if width <= 63 else raw_nd
            continue
        ties_nd: np.ndarray = ties.reshape(raw_nd.shape)
        if wide:
            values = np.array(
                [math.ldexp(int(v), -frac) for v in raw_nd.reshape(-1).tolist()], dtype=np.float64
            ).reshape(raw_nd.shape)
            result[name] = values
            continue
        # (2r + 1) * 2**-(F+1) is the exact midpoint; exact in float64 because |2r + 1| < 2**53 here.
        values = np.ldexp(raw_nd.astype(np.float64), -frac)
        mid = np.ldexp((2 * raw_nd + 1).astype(np.float64), -(frac + 1))
        result[name] = np.where(ties_nd, mid, values)
    return result


def _spread(
    rng: np.random.Generator, lo: int, hi: int, width: int, size: tuple[int, int], wide: bool
) -> np.ndarray:
    rows, m = size
    if m == 1:
        return _pick(rng, [lo, hi], size, wide)
    dtype = object if wide else np.int64
    peak_at = rng.integers(0, m, size=rows)
    boundary_variant = rng.integers(0, 2, size=rows).astype(bool)
    jitter_low = rng.integers(0, 4, size=size).astype(dtype)
    jitter_edge = rng.integers(-1, 2, size=size).astype(dtype)
    peaks = np.where(boundary_variant, _uniform(rng, max(lo, 0), hi, (rows,), wide), hi).astype(dtype)
    # Largest spread: the peak on max_raw, the rest just above min_raw. Boundary: the rest 2**(W-1) raw below.
    far = lo + jitter_low
    edge = peaks[:, None] - (1 << (width - 1)) + jitter_edge
    out = np.where(boundary_variant[:, None], edge, far)
    out = np.minimum(np.maximum(out, lo), hi).astype(dtype)
    out[np.arange(rows), peak_at] = peaks
    return out
