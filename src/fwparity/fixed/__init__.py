"""fwparity.fixed: ap_fixed / ap_ufixed / ap_int / ap_uint types, quantization, overflow and exact arithmetic.

Values are raw integer numpy arrays next to a :class:`FixedType`; floats appear only at the edges
(:func:`from_float`, :func:`to_float`). Every conversion reproduces the Xilinx ``ap_types`` headers bit for
bit.
"""

from __future__ import annotations

from ._arith import (
    add,
    add_type,
    c_int_type,
    div,
    div_type,
    eq,
    ge,
    gt,
    le,
    lt,
    mul,
    mul_type,
    ne,
    neg,
    neg_type,
    shl,
    shr,
    sub,
    sub_type,
)
from ._array import FixedArray
from ._fxp import from_fxp, to_fxp
from ._quantize import cast, from_float, requantize, to_float
from ._type import MAX_WIDTH, FixedType, Overflow, Quantization, ap_fixed, ap_int, ap_ufixed, ap_uint

__all__ = [
    # _type
    "FixedType",
    "Quantization",
    "Overflow",
    "ap_fixed",
    "ap_ufixed",
    "ap_int",
    "ap_uint",
    "MAX_WIDTH",
    # _quantize
    "requantize",
    "from_float",
    "to_float",
    "cast",
    # _arith
    "mul_type",
    "add_type",
    "sub_type",
    "div_type",
    "neg_type",
    "c_int_type",
    "add",
    "sub",
    "mul",
    "div",
    "neg",
    "shl",
    "shr",
    "lt",
    "le",
    "gt",
    "ge",
    "eq",
    "ne",
    # _array
    "FixedArray",
    # _fxp
    "to_fxp",
    "from_fxp",
]

for _name in __all__:
    _obj = globals()[_name]
    if hasattr(_obj, "__module__") and not isinstance(_obj, int):
        _obj.__module__ = __name__
del _name, _obj
