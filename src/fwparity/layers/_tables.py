"""hls4ml's activation and softmax lookup tables, built exactly as the C++ builds them at run time.

The C++ (nnet_activation.h) fills each table once, with float32 arithmetic and the host libm's
``expf``/``tanhf`` (not correctly rounded), then assigns every entry to ``table_t``. numpy's float64 functions
give different tables for wide ``table_t``, so this module calls the same C library functions through ctypes
and replays each formula's exact sequence of float and double operations (numpy float32/float64 scalars round
the same way as C).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ..errors import UnsupportedLayer

if TYPE_CHECKING:
    from ..fixed import FixedType

__all__ = [
    "activation_table",
    "softmax_exp_table",
    "softmax_inv_table",
    "legacy_exp_table",
    "legacy_inv_table",
    "ACTIVATION_TABLES",
]


@functools.lru_cache(maxsize=1)
def _libm() -> ctypes.CDLL:
    name = ctypes.util.find_library("m") or "libm.so.6"
    lib = ctypes.CDLL(name)
    for fn in ("expf", "tanhf"):
        getattr(lib, fn).argtypes = [ctypes.c_float]
        getattr(lib, fn).restype = ctypes.c_float
    lib.log.argtypes = [ctypes.c_double]
    lib.log.restype = ctypes.c_double
    return lib


def _f32(v: float) -> float:
    return float(np.float32(v))


def expf(x: float) -> float:
    """C ``expf`` (what ``std::exp(float)`` calls)."""
    return float(_libm().expf(_f32(x)))


def tanhf(x: float) -> float:
    """C ``tanhf``."""
    return float(_libm().tanhf(_f32(x)))


def _log(x: float) -> float:
    return float(_libm().log(x))


def _in_val_sym(i: int, n: int, half_range: float) -> float:
    # float in_val = 2 * R * (ii - float(N) / 2.0) / float(N);  (double arithmetic, then rounded to float)
    return _f32((2 * half_range) * (i - float(_f32(n)) / 2.0) / float(_f32(n)))


def _in_val_neg(i: int, n: int) -> float:
    # float in_val = -8.0 * ii / float(N_TABLE);
    return _f32(-8.0 * i / float(_f32(n)))


def _sigmoid(i: int, n: int) -> float:
    x = _in_val_sym(i, n, 8.0)
    # 1.0 / (1 + std::exp(-input)): float add, double divide, returned as float.
    return _f32(1.0 / _f32(1 + expf(-x)))


def _tanh(i: int, n: int) -> float:
    return tanhf(_in_val_sym(i, n, 4.0))


def _softplus(i: int, n: int) -> float:
    x = _in_val_sym(i, n, 8.0)
    return _f32(_log(expf(x) + 1.0))


def _softsign(i: int, n: int) -> float:
    x = _in_val_sym(i, n, 8.0)
    return _f32(x / (abs(x) + 1.0))


def _elu(i: int, n: int) -> float:
    return _f32(expf(_in_val_neg(i, n)) - 1.0)


def _selu(i: int, n: int) -> float:
    x = _in_val_neg(i, n)
    return _f32(1.0507009873554804934193349852946 * (1.6732632423543772848170429916717 * (expf(x) - 1.0)))


#: kind -> (entry function, the table's input range as (numerator N/den) used by the index computation)
ACTIVATION_TABLES: dict[str, Callable[[int, int], float]] = {
    "sigmoid": _sigmoid,
    "tanh": _tanh,
    "softplus": _softplus,
    "softsign": _softsign,
    "elu": _elu,
    "selu": _selu,
}


@functools.lru_cache(maxsize=256)
def activation_table(kind: str, size: int, table_type: FixedType) -> np.ndarray:
    """The raw ``table_t`` entries of an hls4ml table (``init_<kind>_table``)."""
    fn = ACTIVATION_TABLES[kind]
    values = np.array([fn(i, size) for i in range(size)], dtype=np.float64)
    out = table_type.from_float(values)
    out.setflags(write=False)
    return out


def _real_val_from_idx(i: int, size: int, t: FixedType) -> float:
    # softmax_real_val_from_idx<T, N>: the T whose top ceillog2(N) bits are i and lower bits 0, as float.
    nbits = _ceillog2(size)
    shift = t.width - nbits
    if shift < 0:
        raise UnsupportedLayer(
            f"softmax table of size {size} needs {nbits} address bits but {t} has only {t.width}: "
            "the C++ bit slice is undefined (hls4ml#885)"
        )
    raw = i << shift
    if t.signed and raw >= 1 << (t.width - 1):
        raw -= 1 << t.width
    return _f32(math.ldexp(raw, -t.frac_bits))


def _ceillog2(n: int) -> int:
    return 0 if n <= 1 else (n - 1).bit_length()


@functools.lru_cache(maxsize=256)
def softmax_exp_table(
    size: int, index_type: FixedType, table_type: FixedType, exp_scale: float, negative: bool
) -> np.ndarray:
    """``init_exp_table<index_type>``: exp_table_t(expf(±real(i) * exp_scale)) for each address i."""
    scale = _f32(exp_scale)
    vals = []
    for i in range(size):
        x = _f32(_real_val_from_idx(i, size, index_type) * scale)
        if negative:
            x = -x
        vals.append(expf(x))
    out = table_type.from_float(np.array(vals, dtype=np.float64))
    out.setflags(write=False)
    return out


@functools.lru_cache(maxsize=256)
def softmax_inv_table(size: int, index_type: FixedType, table_type: FixedType) -> np.ndarray:
    """``init_invert_table<inv_inp_t>``: inv_table_t(1 / real(i)) in float; 1/0 = +inf."""
    vals = []
    for i in range(size):
        x = _real_val_from_idx(i, size, index_type)
        vals.append(_f32(1.0 / x) if x != 0 else math.inf)
    out = table_type.from_float(np.array(vals, dtype=np.float64))
    out.setflags(write=False)
    return out


@functools.lru_cache(maxsize=64)
def legacy_exp_table(size: int, table_type: FixedType) -> np.ndarray:
    """``init_exp_table_legacy``: table_t(expf(in)) with in over [-8, 8)."""
    vals = [expf(_in_val_sym(i, size, 8.0)) for i in range(size)]
    out = table_type.from_float(np.array(vals, dtype=np.float64))
    out.setflags(write=False)
    return out


@functools.lru_cache(maxsize=64)
def legacy_inv_table(size: int, table_type: FixedType) -> np.ndarray:
    """``init_invert_table_legacy``: table_t(1.0 / in) in double, in = 64 i / N; 0 at i = 0."""
    vals = []
    for i in range(size):
        x = _f32(64.0 * i / float(_f32(size)))
        vals.append(1.0 / x if x > 0.0 else 0.0)
    out = table_type.from_float(np.array(vals, dtype=np.float64))
    out.setflags(write=False)
    return out
