"""hls4ml test-bench data: ``tb_data/tb_input_features.dat`` and ``tb_output_predictions.dat``.

One sample per line, values separated by spaces; for a model with several inputs (or outputs) the flattened
tensors follow one another on the line in model order. hls4ml's generated ``myproject_test.cpp`` splits each
line with ``strtok(line, " ")``, converts every token with ``atof`` and stores it in a ``std::vector<float>``,
then assigns ``input_t(float)``. So what the firmware sees is ``input_t(float32(atof(text)))``.

fwparity writes each raw code as the exact decimal expansion of ``raw * 2**-frac_bits`` (a binary fraction
always has a finite decimal expansion), so no digit is lost in the file. The ``float`` step in the test bench
is exact only when the value fits a float32: at most 24 significant bits (``raw`` with its trailing zero bits
removed) and an exponent in float32's range. :func:`float32_inexact` finds the values where hls4ml's own test
bench would therefore feed a different input than the file says; fwparity's csim runner passes raw bits and
has no such loss.

Readers are lenient: any whitespace separates values, ``#`` comments and blank lines are skipped, and a value
that is not on the type's grid is quantized like ``input_t(double)`` (or, with ``tb_float32=True``, exactly
like the hls4ml test bench: ``input_t(float(atof(text)))``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import FormatError, InvalidArgument
from ._frames import format_error
from ._text import read_text, split_lines, write_text_atomic
from ._types import as_type

if TYPE_CHECKING:
    from ..fixed import FixedType

__all__ = [
    "decimal_strings",
    "float32_inexact",
    "format_dat",
    "parse_dat",
    "read_dat",
    "read_dat_tensors",
    "write_dat",
]

_TOKEN = re.compile(r"\S+")


def decimal_strings(raw: Any, frac_bits: int) -> list[str]:
    """Exact decimal text of ``raw * 2**-frac_bits`` for every element (flattened), shortest exact form.

    Examples
    --------
    >>> decimal_strings([5, -3, 0, 8, -1], 3)
    ['0.625', '-0.375', '0', '1', '-0.125']
    >>> decimal_strings([3], -2), decimal_strings([1], 10)
    (['12'], ['0.0009765625'])
    """
    values = np.asarray(raw).reshape(-1).tolist()
    if frac_bits <= 0:
        return [str(int(v) << -frac_bits) for v in values]
    mask = (1 << frac_bits) - 1
    scale = 5**frac_bits
    out = []
    for v in values:
        v = int(v)
        a = -v if v < 0 else v
        q, r = a >> frac_bits, a & mask
        if r == 0:
            text = str(q)
        else:
            text = f"{q}.{str(r * scale).rjust(frac_bits, '0').rstrip('0')}"
        out.append("-" + text if v < 0 else text)
    return out


def float32_inexact(raw: Any, frac_bits: int) -> np.ndarray:
    """Boolean mask of the values that a float32 cannot hold exactly (hls4ml's test bench would alter them).

    >>> float32_inexact([2**24 - 1, 2**24 + 1, 2**30], 0).tolist()
    [False, True, False]
    """
    arr = np.asarray(raw)
    flat = arr.reshape(-1).tolist()
    out = np.zeros(len(flat), dtype=bool)
    for i, v in enumerate(flat):
        a = abs(int(v))
        if a == 0:
            continue
        tz = (a & -a).bit_length() - 1
        sig = a.bit_length() - tz
        low_exp = tz - frac_bits  # value = m * 2**low_exp with m odd
        high_exp = a.bit_length() - 1 - frac_bits
        out[i] = sig > 24 or high_exp > 127 or low_exp < -149
    return out.reshape(arr.shape)


def _columns(arrays: Any, types: Any) -> list[tuple[np.ndarray, FixedType]]:
    if isinstance(arrays, np.ndarray) or not isinstance(arrays, Sequence):
        arrays, types = [arrays], [types]
    elif isinstance(types, (str,)) or not isinstance(types, Sequence):
        types = [types] * len(arrays)
    if len(arrays) != len(types):
        raise InvalidArgument(f"{len(arrays)} arrays need {len(arrays)} types, not types={types!r}")
    cols = []
    for arr, t in zip(arrays, types, strict=True):
        a = np.asarray(arr)
        if a.ndim == 0:
            raise InvalidArgument(f"arrays must have a vector axis first, not a scalar {a!r}")
        cols.append((a.reshape(a.shape[0], -1), as_type(t)))
    if len({c[0].shape[0] for c in cols}) > 1:
        raise InvalidArgument(f"arrays differ in length: {[c[0].shape[0] for c in cols]!r}")
    return cols


def format_dat(arrays: Any, types: Any) -> str:
    """The .dat text for raw codes: one line per vector, the flattened arrays one after another.

    ``arrays`` is one (N, ...) array or a sequence of them; ``types`` the matching FixedType(s) (one for all,
    too).

    Examples
    --------
    >>> import numpy as np
    >>> arrays = [np.array([[4, -1], [3, 0]]), np.array([[1], [2]])]
    >>> print(format_dat(arrays, ["ap_fixed<8,6>", "ap_uint<4>"]), end="")
    1 -0.25 1
    0.75 0 2
    """
    cols = _columns(arrays, types)
    n = cols[0][0].shape[0]
    per_col = [np.array(decimal_strings(a, t.frac_bits), dtype=object).reshape(a.shape) for a, t in cols]
    rows = np.concatenate(per_col, axis=1) if per_col else np.empty((n, 0), dtype=object)
    return "".join(" ".join(row) + "\n" for row in rows.tolist())


def write_dat(path: str | os.PathLike[str], arrays: Any, types: Any) -> None:
    """Write :func:`format_dat` text to ``path`` atomically."""
    write_text_atomic(path, format_dat(arrays, types))


def parse_dat(text: str, *, source: str = "<string>") -> tuple[list[int], list[list[str]]]:
    """Line numbers and tokens of the non-blank, non-comment lines; FormatError if their lengths differ."""
    numbers: list[int] = []
    rows: list[list[str]] = []
    width: tuple[int, int] | None = None
    for i, line in enumerate(split_lines(text)):
        tokens = line.split()
        if not tokens or tokens[0].startswith("#"):
            continue
        if width is None:
            width = (len(tokens), i + 1)
        elif len(tokens) != width[0]:
            col = len(line) + 1 if len(tokens) < width[0] else _column(line, width[0])
            raise format_error(
                source, i + 1, col, f"{len(tokens)} values, but line {width[1]} has {width[0]}"
            )
        numbers.append(i + 1)
        rows.append(tokens)
    return numbers, rows


def _column(line: str, index: int) -> int:
    """1-based column of the ``index``-th token of ``line`` (only computed for error messages)."""
    return [m.start() + 1 for m in _TOKEN.finditer(line)][index]


def _floats(text: str, numbers: list[int], rows: list[list[str]], width: int, source: str) -> np.ndarray:
    """All tokens as float64 in one vectorised conversion; a bad token is located only on failure."""
    try:
        return np.array(rows, dtype=np.float64).reshape(len(rows), width)
    except ValueError:
        pass
    lines = split_lines(text)
    for ln, tokens in zip(numbers, rows, strict=True):
        for k, tok in enumerate(tokens):
            try:
                float(tok)
            except ValueError:
                raise format_error(
                    source, ln, _column(lines[ln - 1], k), f"{tok!r} is not a number"
                ) from None
    raise FormatError(f"{source}: cannot convert the values to numbers")  # pragma: no cover - float() agrees


def read_dat(path: str | os.PathLike[str], type: Any = None, *, tb_float32: bool = False) -> np.ndarray:
    """Read a .dat file as an (N, M) array: float64 values without ``type``, raw codes of ``type`` with it.

    With ``type``, a value exactly on the type's grid and in range becomes its raw code exactly (no float
    step, so wide types survive); other values are quantized like ``type(double)``, or with ``tb_float32``
    like the hls4ml test bench (``type(float(atof(text)))``).
    """
    source = os.fspath(path)
    text = read_text(path)
    numbers, rows = parse_dat(text, source=source)
    m = len(rows[0]) if rows else 0
    values = _floats(text, numbers, rows, m, source)
    if type is None:
        return values
    return _to_raw(values, rows, [as_type(type)] * m, tb_float32)


def _to_raw(
    values: np.ndarray, rows: list[list[str]], types: list[FixedType], tb_float32: bool
) -> np.ndarray:
    """Raw codes per column type. Up to 53 bits every grid value is a double, so ``T(double(text))`` is exact
    for on-grid text and is the documented quantization otherwise: one vectorised ``from_float`` per type.
    Wider types parse on-grid text exactly with Fraction (no double step), one token at a time.
    """
    n, m = values.shape
    wide = any(t.dtype == object for t in types)
    out = np.zeros((n, m), dtype=object if wide else np.int64)
    if tb_float32:
        values = values.astype(np.float32).astype(np.float64)
    by_type: dict[FixedType, list[int]] = {}
    for k, t in enumerate(types):
        by_type.setdefault(t, []).append(k)
    for t, cols in by_type.items():
        quantized = t.from_float(values[:, cols])
        if t.width <= 53 or tb_float32:
            out[:, cols] = quantized
            continue
        for r in range(n):
            for j, k in enumerate(cols):
                exact = _exact_raw(rows[r][k], t)
                out[r, k] = quantized[r, j] if exact is None else exact
    return out


def _exact_raw(token: str, t: FixedType) -> int | None:
    """The raw code of ``token`` if it is exactly on ``t``'s grid and in range, else None."""
    try:
        exact = Fraction(token) * (Fraction(2) ** t.frac_bits)
    except (ValueError, ZeroDivisionError):
        return None
    if exact.denominator == 1 and t.min_raw <= exact.numerator <= t.max_raw:
        return exact.numerator
    return None


def read_dat_tensors(
    path: str | os.PathLike[str], tensors: Sequence[Any], *, tb_float32: bool = False
) -> dict[str, np.ndarray]:
    """Split each line over ``tensors`` (objects with ``name``, ``shape``, ``type``, e.g. ``model.inputs``) as
    raw codes of each tensor's type, shaped (N, *shape). The line length must equal the tensors' total size.
    """
    source = os.fspath(path)
    text = read_text(path)
    numbers, rows = parse_dat(text, source=source)
    sizes = [int(np.prod(t.shape, dtype=np.int64)) for t in tensors]
    types: list[FixedType] = []
    for t, s in zip(tensors, sizes, strict=True):
        types += [as_type(t.type)] * s
    if rows and len(rows[0]) != len(types):
        names = ", ".join(f"{t.name}{tuple(t.shape)}" for t in tensors)
        raise FormatError(
            f"{source}:{numbers[0]}: {len(rows[0])} values per line, but {names} need {len(types)}"
        )
    flat = _to_raw(_floats(text, numbers, rows, len(types), source), rows, types, tb_float32)
    out, start = {}, 0
    for t, s in zip(tensors, sizes, strict=True):
        col = flat[:, start : start + s]
        out[t.name] = col.astype(as_type(t.type).dtype).reshape(len(rows), *t.shape)
        start += s
    return out
