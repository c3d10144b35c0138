"""Hypothesis strategies for fixed-point types, raw values, layers, whole Models and trap-biased input
vectors.

Every strategy draws *raw integers* on a :class:`~fwparity.fixed.FixedType`, so hypothesis shrinks towards the
codes where firmware breaks: 0, ±1 LSB and the two ends of the range. Arguments are checked when the function
is called, not at the first draw (hypothesis itself defers validation, so its own tests have to force a draw):
a bad call fails on the line that wrote it.

``fmt`` and ``shape`` may be a value or a strategy; everything after them is keyword-only, ranges are
``min_x``/``max_x`` pairs and ``None`` means "derived from the format".

hypothesis is the ``[fuzz]`` extra: ``pip install 'fwparity[fuzz]'``.

Examples
--------
>>> from hypothesis import find
>>> from fwparity.strategies import raw_values
>>> find(raw_values("ap_fixed<8,3>"), lambda v: v > 100)  # shrinks onto the top of the range
127
>>> raw_values("ap_fixed<8,3>", min_value=-999)
Traceback (most recent call last):
...
fwparity.errors.InvalidArgument: ap_fixed<8,3> requires min_value=-999 to be at least -128
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import InvalidArgument, InvalidType
from .fixed import MAX_WIDTH, FixedArray, FixedType, Overflow, Quantization

try:
    import hypothesis.strategies as st
    from hypothesis.strategies import SearchStrategy
except ImportError as exc:  # pragma: no cover - hypothesis is part of [fuzz], [dev] and [all]
    raise ImportError("fwparity.strategies needs hypothesis: pip install 'fwparity[fuzz]'") from exc

if TYPE_CHECKING:
    from .model import Layer, Model

__all__ = [
    "fixed_types",
    "fixed_formats",
    "raw_values",
    "fixed_arrays",
    "dense_layers",
    "conv_layers",
    "activation_layers",
    "softmax_layers",
    "models",
    "input_vectors",
    "VECTOR_KINDS",
    "MODEL_KINDS",
]

#: Quantization and overflow modes the strategies draw by default (every mode the C++ headers, the reference
#: and the RTL library all implement; AP_WRAP_SM is left out because the RTL library lacks it).
_QUANTS = tuple(Quantization)
_OVFS = (Overflow.WRAP, Overflow.SAT, Overflow.SAT_ZERO, Overflow.SAT_SYM)

#: Layer kinds :func:`models` places by default: the ones both the reference and the emitted HLS C++
#: implement.
MODEL_KINDS = ("dense", "relu", "linear", "leaky_relu", "relu_max", "sigmoid", "tanh", "softmax")
_ACTIVATION_KINDS = (
    "relu",
    "linear",
    "leaky_relu",
    "thresholded_relu",
    "relu_max",
    "sigmoid",
    "tanh",
    "softplus",
    "softsign",
    "selu",
    "elu",
)
_TABLE_KINDS = {"sigmoid", "tanh", "softplus", "softsign", "selu", "elu"}

#: The vector categories of :func:`input_vectors`, in shrink order (hypothesis shrinks towards the first).
VECTOR_KINDS = ("uniform", "lsb", "full_scale", "tie", "accumulator_edge", "table_edge", "softmax_spread")


# ------------------------------------------------------------------------------------------------------------
# argument checks (eager: they run when the strategy function is called)
# ------------------------------------------------------------------------------------------------------------


def _check_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidType(f"Expected int but got {name}={value!r} (type={type(value).__name__})")
    return int(value)


def _check_optional_int(value: Any, name: str) -> int | None:
    return None if value is None else _check_int(value, name)


def _order(lo: int | None, hi: int | None, lo_name: str, hi_name: str) -> None:
    if lo is not None and hi is not None and lo > hi:
        raise InvalidArgument(f"{lo_name}={lo!r} is larger than {hi_name}={hi!r}")


def _at_least(value: int, bound: int, name: str) -> None:
    if value < bound:
        raise InvalidArgument(f"{name}={value!r} must be at least {bound}")


def _check_strategy(value: Any, name: str) -> SearchStrategy[Any]:
    if not isinstance(value, SearchStrategy):
        raise InvalidType(f"{name} must be a SearchStrategy, not {name}={value!r}")
    return value


def _check_type(fmt: Any, name: str = "fmt") -> FixedType:
    if isinstance(fmt, (FixedType, str)):
        return FixedType.parse(fmt)
    raise InvalidType(f"{name} must be a FixedType, an HLS type string or a strategy, not {name}={fmt!r}")


def _check_shape(shape: Any, name: str = "shape") -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    if not isinstance(shape, (tuple, list)):
        raise InvalidType(f"{name} must be an int, a tuple of ints or a strategy, not {name}={shape!r}")
    dims = tuple(_check_int(d, f"{name} dimension") for d in shape)
    if any(d < 0 for d in dims):
        raise InvalidArgument(f"{name}={dims!r} must have non-negative dimensions")
    return dims


def _modes(values: Any, enum: type[Any], default: tuple[Any, ...], name: str) -> tuple[Any, ...]:
    if values is None:
        return default
    if isinstance(values, (str, enum)):
        values = [values]
    out = []
    for v in values:
        if isinstance(v, enum):
            out.append(v)
            continue
        text = str(v).upper()
        text = text if text.startswith("AP_") else f"AP_{text}"
        try:
            out.append(enum(text))
        except ValueError:
            raise InvalidArgument(
                f"{name} holds {v!r}, which is not one of {', '.join(m.value for m in enum)}"
            ) from None
    if not out:
        raise InvalidArgument(f"{name}={values!r} must not be empty")
    return tuple(out)


def _kinds(kinds: Any, allowed: Sequence[str], name: str) -> tuple[str, ...]:
    if isinstance(kinds, str):
        kinds = (kinds,)
    out = tuple(str(k) for k in kinds)
    if not out:
        raise InvalidArgument(f"{name}={kinds!r} must not be empty")
    bad = [k for k in out if k not in allowed]
    if bad:
        raise InvalidArgument(
            f"{name} holds {bad[0]!r}, which is not in supported list: {', '.join(allowed)}"
        )
    return out


def _resolve(
    value: Any, check: Callable[[Any], Any], build: Callable[[Any], SearchStrategy[Any]]
) -> SearchStrategy[Any]:
    """``build(check(value))``, or, when ``value`` is a strategy, the same for each drawn value."""
    if isinstance(value, SearchStrategy):
        return value.flatmap(lambda v: build(check(v)))
    return build(check(value))


# ------------------------------------------------------------------------------------------------------------
# types and values
# ------------------------------------------------------------------------------------------------------------


def fixed_types(
    *,
    min_width: int = 1,
    max_width: int = 32,
    signed: bool | None = None,
    min_int_bits: int | None = None,
    max_int_bits: int | None = None,
    quantizations: Sequence[Quantization | str] | None = None,
    overflows: Sequence[Overflow | str] | None = None,
    max_sat_bits: int = 0,
) -> SearchStrategy[FixedType]:
    """Fixed-point types ``ap_fixed<W,I,Q,O,N>`` / ``ap_ufixed<...>``.

    Parameters
    ----------
    min_width, max_width
        Range of ``W`` (1 to 1024).
    signed
        ``True`` for ap_fixed, ``False`` for ap_ufixed, ``None`` for both.
    min_int_bits, max_int_bits
        Range of ``I``; ``None`` means ``-2`` and ``W + 2`` (the binary point may lie outside the word, as the
        headers allow).
    quantizations, overflows
        Modes to choose from (enum members or spellings with or without ``AP_``); default every mode but
        ``AP_WRAP_SM``.
    max_sat_bits
        Largest ``N`` (saturation bits, drawn for ``AP_WRAP`` only).

    Shrinks towards a narrow signed type with ``I = 0`` and the default modes.

    Examples
    --------
    >>> from hypothesis import find
    >>> str(find(fixed_types(min_width=4), lambda t: t.overflow.name == "SAT"))
    'ap_fixed<4,0,AP_TRN,AP_SAT>'
    """
    lo_w = _check_int(min_width, "min_width")
    hi_w = _check_int(max_width, "max_width")
    _at_least(lo_w, 1, "min_width")
    if hi_w > MAX_WIDTH:
        raise InvalidArgument(f"max_width={hi_w!r} must be at most {MAX_WIDTH} (AP_INT_MAX_W)")
    _order(lo_w, hi_w, "min_width", "max_width")
    if signed is not None and not isinstance(signed, bool):
        raise InvalidType(f"Expected bool or None but got signed={signed!r} (type={type(signed).__name__})")
    lo_i = _check_optional_int(min_int_bits, "min_int_bits")
    hi_i = _check_optional_int(max_int_bits, "max_int_bits")
    _order(lo_i, hi_i, "min_int_bits", "max_int_bits")
    quants = _modes(quantizations, Quantization, _QUANTS, "quantizations")
    ovfs = _modes(overflows, Overflow, _OVFS, "overflows")
    n_max = _check_int(max_sat_bits, "max_sat_bits")
    _at_least(n_max, 0, "max_sat_bits")
    signs = [True, False] if signed is None else [signed]
    if Overflow.WRAP_SM in ovfs and signed is False:
        raise InvalidArgument("overflows holds AP_WRAP_SM, which needs signed types, but signed=False")

    @st.composite
    def draw_type(draw: Any) -> FixedType:
        width = draw(st.integers(lo_w, hi_w))
        ilo = -2 if lo_i is None else lo_i
        ihi = width + 2 if hi_i is None else hi_i
        if ilo > ihi:  # only when one bound is derived: keep the user's bound
            ilo, ihi = (ilo, ilo) if lo_i is not None else (ihi, ihi)
        int_bits = draw(st.integers(ilo, ihi))
        sign = draw(st.sampled_from(signs))
        q = draw(st.sampled_from(quants))
        o = draw(st.sampled_from([m for m in ovfs if sign or m is not Overflow.WRAP_SM]))
        n = draw(st.integers(0, min(n_max, width))) if o is Overflow.WRAP and n_max else 0
        return FixedType(width, int_bits, signed=sign, quantization=q, overflow=o, sat_bits=n)

    return draw_type()


#: STYLE.md's name for the same strategy.
fixed_formats = fixed_types


def _edge_first(lo: int, hi: int) -> SearchStrategy[int]:
    # The sampled edges come first so shrinking lands on them: 0, +-1 LSB, the range ends and one LSB inside.
    edges = list(dict.fromkeys(v for v in (0, 1, -1, lo, hi, lo + 1, hi - 1) if lo <= v <= hi))
    return st.one_of(st.sampled_from(edges), st.integers(lo, hi))


def raw_values(
    fmt: Any, *, min_value: int | None = None, max_value: int | None = None
) -> SearchStrategy[int]:
    """Raw codes (Python ints) of ``fmt``, in ``[min_value, max_value]`` (default: the whole range).

    Shrinks towards 0, then ±1 LSB, then the ends of the range.

    Raises
    ------
    InvalidArgument
        A bound outside the format's range, or ``min_value > max_value``.

    Examples
    --------
    >>> from hypothesis import find
    >>> find(raw_values("ap_fixed<8,3>"), lambda v: v != 0)
    1
    >>> find(raw_values("ap_fixed<8,3>"), lambda v: v < -100)
    -128
    """
    lo_v = _check_optional_int(min_value, "min_value")
    hi_v = _check_optional_int(max_value, "max_value")
    _order(lo_v, hi_v, "min_value", "max_value")

    def check(value: Any) -> tuple[int, int]:
        t = _check_type(value)
        lo, hi = t.min_raw, t.max_raw
        if lo_v is not None:
            if lo_v < lo:
                raise InvalidArgument(f"{t} requires min_value={lo_v!r} to be at least {lo}")
            if lo_v > hi:
                raise InvalidArgument(f"{t} requires min_value={lo_v!r} to be at most {hi}")
            lo = lo_v
        if hi_v is not None:
            if hi_v > t.max_raw:
                raise InvalidArgument(f"{t} requires max_value={hi_v!r} to be at most {t.max_raw}")
            if hi_v < t.min_raw:
                raise InvalidArgument(f"{t} requires max_value={hi_v!r} to be at least {t.min_raw}")
            hi = hi_v
        return lo, hi

    return _resolve(fmt, check, lambda bounds: _edge_first(*bounds))


def fixed_arrays(
    fmt: Any, shape: Any, *, elements: SearchStrategy[int] | None = None
) -> SearchStrategy[FixedArray]:
    """:class:`~fwparity.fixed.FixedArray` s of ``fmt`` and ``shape`` (raw codes from ``elements``, default
    :func:`raw_values`).

    Examples
    --------
    >>> from hypothesis import find
    >>> find(fixed_arrays("ap_ufixed<4,4>", (2, 3)), lambda a: a.raw.sum() >= 40)
    FixedArray([[0, 0, 0], [15, 15, 15]], ap_ufixed(4, 4))
    """
    if elements is not None:
        _check_strategy(elements, "elements")

    def build_type(t: FixedType) -> SearchStrategy[FixedArray]:
        def build_shape(dims: tuple[int, ...]) -> SearchStrategy[FixedArray]:
            n = math.prod(dims)
            elems = raw_values(t) if elements is None else elements
            return st.lists(elems, min_size=n, max_size=n).map(lambda xs: _to_array(xs, t, dims))

        return _resolve(shape, _check_shape, build_shape)

    return _resolve(fmt, _check_type, build_type)


def _to_array(values: list[int], t: FixedType, dims: tuple[int, ...]) -> FixedArray:
    bad = [v for v in values if not t.min_raw <= int(v) <= t.max_raw]
    if bad:
        raise InvalidArgument(f"elements drew {bad[0]!r}, outside {t} [{t.min_raw}, {t.max_raw}]")
    arr = np.empty(len(values), dtype=t.dtype)
    arr[:] = [int(v) for v in values]
    return FixedArray(arr.reshape(dims), t)


# ------------------------------------------------------------------------------------------------------------
# layers: each returns a fwparity.model.Layer reading tensor ``input`` of type ``fmt`` and shape ``shape``
# ------------------------------------------------------------------------------------------------------------

_RESULT_MODES = st.tuples(st.sampled_from(_QUANTS), st.sampled_from(_OVFS))


def _weights(draw: Any, t: FixedType, shape: tuple[int, ...]) -> np.ndarray:
    values = draw(st.lists(raw_values(t), min_size=math.prod(shape), max_size=math.prod(shape)))
    return np.array(values, dtype=np.int64).reshape(shape)


def _result_type(draw: Any, *, min_width: int = 4, max_width: int = 16) -> FixedType:
    width = draw(st.integers(min_width, max_width))
    int_bits = draw(st.integers(1, max(1, width - 2)))
    q, o = draw(_RESULT_MODES)
    return FixedType(width, int_bits, quantization=q, overflow=o)


def _layer(
    name: str,
    kind: str,
    inp: str,
    shape: tuple[int, ...],
    types: dict[str, Any],
    weights: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
) -> Layer:
    from .model import Layer

    return Layer(name, kind, [inp], shape, types, weights or {}, options or {})


def dense_layers(
    fmt: Any,
    shape: Any,
    *,
    name: str = "dense",
    input: str = "x",
    min_units: int = 1,
    max_units: int = 8,
    max_weight_width: int = 10,
) -> SearchStrategy[Layer]:
    """hls4ml Dense layers (Latency strategy) on a 1-D input of ``fmt`` and ``shape``.

    Weight, bias, accumulator and result types are drawn too; the accumulator is sometimes a few bits short of
    the full-precision sum, so its overflow mode matters.
    """
    lo = _check_int(min_units, "min_units")
    hi = _check_int(max_units, "max_units")
    _at_least(lo, 1, "min_units")
    _order(lo, hi, "min_units", "max_units")
    wmax = _check_int(max_weight_width, "max_weight_width")
    _at_least(wmax, 2, "max_weight_width")

    def with_type(t: FixedType) -> SearchStrategy[Layer]:
        def with_shape(dims: tuple[int, ...]) -> SearchStrategy[Layer]:
            if len(dims) != 1 or dims[0] < 1:
                raise InvalidArgument(f"dense_layers needs a 1-D input shape, not shape={dims!r}")
            n_in = dims[0]

            @st.composite
            def draw_dense(draw: Any) -> Layer:
                n_out = draw(st.integers(lo, hi))
                wt = FixedType(draw(st.integers(2, wmax)), draw(st.integers(0, 3)))
                bt = FixedType(draw(st.integers(2, wmax)), draw(st.integers(0, 4)))
                prod_int = t.int_bits + wt.int_bits
                guard = math.ceil(math.log2(n_in + 1))
                # Full-precision accumulator, or one a few integer bits short (overflow edge), or fewer
                # fraction bits.
                a_int = prod_int + guard - draw(st.integers(0, 3))
                a_frac = draw(st.integers(max(0, t.frac_bits + wt.frac_bits - 4), t.frac_bits + wt.frac_bits))
                aq, ao = draw(_RESULT_MODES)
                at = FixedType(max(a_int + a_frac, 1), a_int, quantization=aq, overflow=ao)
                return _layer(
                    name,
                    "dense",
                    input,
                    (n_out,),
                    {"weight": wt, "bias": bt, "accum": at, "result": _result_type(draw)},
                    {"weight": _weights(draw, wt, (n_in, n_out)), "bias": _weights(draw, bt, (n_out,))},
                    {"n_in": n_in, "n_out": n_out, "strategy": "latency"},
                )

            return draw_dense()

        return _resolve(shape, _check_shape, with_shape)

    return _resolve(fmt, _check_type, with_type)


def conv_layers(
    fmt: Any,
    shape: Any,
    *,
    name: str = "conv",
    input: str = "x",
    max_kernel: int = 3,
    max_filters: int = 4,
) -> SearchStrategy[Layer]:
    """hls4ml Conv1D layers (valid padding, stride 1, channels last) on an input of ``shape`` ``(width,
    c_in)``.

    Only the reference implements convolutions today (the HLS emitter and the RTL generator do not), so
    :func:`models` places them only when asked.
    """
    kmax = _check_int(max_kernel, "max_kernel")
    _at_least(kmax, 1, "max_kernel")
    fmax = _check_int(max_filters, "max_filters")
    _at_least(fmax, 1, "max_filters")

    def with_type(t: FixedType) -> SearchStrategy[Layer]:
        def with_shape(dims: tuple[int, ...]) -> SearchStrategy[Layer]:
            if len(dims) != 2 or min(dims) < 1:
                raise InvalidArgument(
                    f"conv_layers needs an input shape (width, channels), not shape={dims!r}"
                )
            width, c_in = dims

            @st.composite
            def draw_conv(draw: Any) -> Layer:
                k = draw(st.integers(1, min(kmax, width)))
                n_filt = draw(st.integers(1, fmax))
                wt = FixedType(draw(st.integers(2, 8)), draw(st.integers(0, 2)))
                bt = FixedType(draw(st.integers(2, 8)), draw(st.integers(0, 3)))
                guard = math.ceil(math.log2(k * c_in + 1))
                a_int = t.int_bits + wt.int_bits + guard - draw(st.integers(0, 2))
                at = FixedType(max(a_int + t.frac_bits + wt.frac_bits, 1), a_int)
                return _layer(
                    name,
                    "conv1d",
                    input,
                    (width - k + 1, n_filt),
                    {"weight": wt, "bias": bt, "accum": at, "result": _result_type(draw)},
                    {"weight": _weights(draw, wt, (k, c_in, n_filt)), "bias": _weights(draw, bt, (n_filt,))},
                    {"kernel": k, "strides": 1, "padding": "valid", "pad_left": 0, "pad_right": 0},
                )

            return draw_conv()

        return _resolve(shape, _check_shape, with_shape)

    return _resolve(fmt, _check_type, with_type)


def activation_layers(
    fmt: Any,
    shape: Any,
    *,
    name: str = "act",
    input: str = "x",
    kinds: Sequence[str] = ("relu", "linear", "leaky_relu", "relu_max", "sigmoid", "tanh"),
) -> SearchStrategy[Layer]:
    """Element-wise activations (ReLU family and the lookup-table ones) on an input of ``fmt`` and
    ``shape``."""
    allowed = _kinds(kinds, _ACTIVATION_KINDS, "kinds")

    def with_type(t: FixedType) -> SearchStrategy[Layer]:
        def with_shape(dims: tuple[int, ...]) -> SearchStrategy[Layer]:
            @st.composite
            def draw_act(draw: Any) -> Layer:
                kind = draw(st.sampled_from(allowed))
                types: dict[str, Any] = {"result": _result_type(draw)}
                options: dict[str, Any] = {}
                if kind == "leaky_relu":
                    types["param"] = FixedType(8, 1)
                    options["alpha"] = draw(st.integers(1, 64))
                elif kind == "thresholded_relu":
                    types["param"] = t.with_(
                        quantization=Quantization.TRN, overflow=Overflow.WRAP, sat_bits=0
                    )
                    options["theta"] = draw(raw_values(types["param"], min_value=0))
                elif kind == "relu_max":
                    # nnet::relu_max<MAX_INT> takes an integer: a whole number of units on the input grid
                    step = 1 << max(t.frac_bits, 0)
                    options["max_value"] = step * draw(st.integers(0, max(t.max_raw, 0) // step))
                elif kind in _TABLE_KINDS:
                    types["table"] = FixedType(18, 8)
                    options["table_size"] = draw(st.sampled_from([1024, 512, 256]))
                return _layer(name, kind, input, dims, types, {}, options)

            return draw_act()

        return _resolve(shape, _check_shape, with_shape)

    return _resolve(fmt, _check_type, with_type)


def softmax_layers(
    fmt: Any,
    shape: Any,
    *,
    name: str = "softmax",
    input: str = "x",
    implementations: Sequence[str] = ("stable", "latency"),
) -> SearchStrategy[Layer]:
    """hls4ml Softmax layers on a 1-D input, with hls4ml's default table types and a drawn result type."""
    impls = _kinds(implementations, ("stable", "latency", "legacy", "argmax"), "implementations")

    def with_type(t: FixedType) -> SearchStrategy[Layer]:
        def with_shape(dims: tuple[int, ...]) -> SearchStrategy[Layer]:
            if len(dims) != 1 or dims[0] < 1:
                raise InvalidArgument(f"softmax_layers needs a 1-D input shape, not shape={dims!r}")
            n = dims[0]
            # The tables are addressed by the top bits of the input (and of ap_ufixed<W-1,I-1> inp_norm_t):
            # a table with more address bits than that is undefined C++ (hls4ml#885), so it is never drawn.
            sizes = [s for s in (1024, 512, 256) if s.bit_length() - 1 <= t.width - 1]
            if not sizes:
                raise InvalidArgument(
                    "softmax_layers needs an input type of at least 9 bits (a 256-entry table), "
                    f"not fmt={str(t)!r}"
                )

            @st.composite
            def draw_softmax(draw: Any) -> Layer:
                impl = draw(st.sampled_from(impls))
                size = draw(st.sampled_from(sizes))
                table = FixedType(18, 8, quantization=Quantization.RND, overflow=Overflow.SAT)
                types = {
                    "exp_table": table,
                    "inv_table": table,
                    "accum": table,
                    "inv_inp": table,
                    "inp_norm": FixedType(max(t.width - 1, 1), t.int_bits - 1, signed=False),
                    "result": _result_type(draw),
                }
                options = {
                    "implementation": impl,
                    "table_size": size,
                    "exp_table_size": size,
                    "inv_table_size": size,
                    "exp_scale": 1.0,
                    "n_in": n,
                    "n_slice": n,
                    "n_outer": 1,
                    "n_inner": 1,
                    "axis": -1,
                }
                return _layer(name, "softmax", input, dims, types, {}, options)

            return draw_softmax()

        return _resolve(shape, _check_shape, with_shape)

    return _resolve(fmt, _check_type, with_type)


# ------------------------------------------------------------------------------------------------------------
# models
# ------------------------------------------------------------------------------------------------------------


def models(
    *,
    min_layers: int = 1,
    max_layers: int = 4,
    min_inputs: int = 1,
    max_inputs: int = 8,
    max_units: int = 8,
    kinds: Sequence[str] = MODEL_KINDS,
    input_types: SearchStrategy[FixedType] | None = None,
) -> SearchStrategy[Model]:
    """Small valid :class:`~fwparity.model.Model` s: a chain of layers drawn from ``kinds`` on a 1-D input.

    The default kinds are those the reference and the emitted HLS C++ both implement, so every drawn model can
    be compared between ``reference`` and ``csim``. ``"conv1d"`` in ``kinds`` starts some models with a 2-D
    input, a Conv1D and a flatten (reference only). Shrinks towards one layer on one input element.

    Examples
    --------
    >>> from hypothesis import find
    >>> m = find(models(), lambda m: True)
    >>> [(layer.kind, layer.shape) for layer in m.layers], m.inputs[0].shape
    ([('relu', (1,))], (1,))
    """
    from .model import Layer, Model, Tensor

    lo = _check_int(min_layers, "min_layers")
    hi = _check_int(max_layers, "max_layers")
    _at_least(lo, 1, "min_layers")
    _order(lo, hi, "min_layers", "max_layers")
    n_lo = _check_int(min_inputs, "min_inputs")
    n_hi = _check_int(max_inputs, "max_inputs")
    _at_least(n_lo, 1, "min_inputs")
    _order(n_lo, n_hi, "min_inputs", "max_inputs")
    units = _check_int(max_units, "max_units")
    _at_least(units, 1, "max_units")
    allowed = _kinds(
        kinds, (*MODEL_KINDS, "thresholded_relu", "softplus", "softsign", "selu", "elu", "conv1d"), "kinds"
    )
    body = [k for k in allowed if k != "conv1d"] or ["dense"]
    in_types = (
        fixed_types(
            min_width=4,
            max_width=16,
            signed=True,
            min_int_bits=1,
            max_int_bits=8,
            quantizations=["AP_TRN"],
            overflows=["AP_WRAP"],
        )
        if input_types is None
        else _check_strategy(input_types, "input_types")
    )

    @st.composite
    def draw_model(draw: Any) -> Model:
        t = draw(in_types)
        n = draw(st.integers(n_lo, n_hi))
        layers: list[Layer] = []
        inputs = [Tensor("x", (n,), t)]
        cur, cur_t, cur_shape = "x", t, (n,)
        if "conv1d" in allowed and draw(st.booleans()):
            width, c_in = draw(st.integers(1, 6)), draw(st.integers(1, 3))
            inputs = [Tensor("x", (width, c_in), t)]
            conv = draw(conv_layers(t, (width, c_in), name="conv0", input="x"))
            flat = int(math.prod(conv.shape))
            layers += [
                conv,
                Layer("flatten0", "flatten", ["conv0"], (flat,), {"result": conv.types["result"]}),
            ]
            cur, cur_t, cur_shape = "flatten0", conv.types["result"], (flat,)
        count = draw(st.integers(lo, hi))
        for i in range(1, count + 1):
            kind = draw(st.sampled_from([k for k in body if k != "softmax" or cur_t.width >= 9] or ["relu"]))
            name = f"{kind}{i}"
            if kind == "dense":
                layer = draw(dense_layers(cur_t, cur_shape, name=name, input=cur, max_units=units))
            elif kind == "softmax":
                layer = draw(softmax_layers(cur_t, cur_shape, name=name, input=cur))
            else:
                layer = draw(activation_layers(cur_t, cur_shape, name=name, input=cur, kinds=[kind]))
            layers.append(layer)
            cur, cur_t, cur_shape = name, layer.types["result"], tuple(layer.shape)
        model = Model("fuzz", inputs, layers, [cur])
        model.validate()
        return model

    return draw_model()


# ------------------------------------------------------------------------------------------------------------
# input vectors biased to the traps
# ------------------------------------------------------------------------------------------------------------


def _table_edges(t: FixedType, model: Any) -> list[int]:
    """Raw codes at and one LSB around the table index landmarks of the model's table layers."""
    scales = {
        "sigmoid": (16, 8),
        "tanh": (8, 4),
        "softplus": (16, 8),
        "softsign": (16, 8),
        "selu": (16, 8),
        "elu": (16, 8),
    }
    tables = [
        (*scales[layer.kind], int(layer.options.get("table_size", 1024)))
        for layer in model.layers
        if layer.kind in scales
    ] or [(16, 8, 1024), (8, 4, 1024)]
    points: set[int] = {0}
    for scale, half, n in tables:
        for x in (Fraction(scale, n), Fraction(half), Fraction(2 * half)):
            for sign in (1, -1):
                raw = math.floor(sign * x * Fraction(2) ** t.frac_bits)
                points.update((raw - 1, raw, raw + 1))
    return sorted(p for p in points if t.min_raw <= p <= t.max_raw)


def _first_dense_signs(model: Any, name: str, size: int) -> list[list[int]]:
    """For each output of a dense layer reading input ``name``: the sign (+1/-1) of each input's weight."""
    rows = []
    for layer in model.layers:
        if layer.kind == "dense" and layer.inputs == [name]:
            w = np.asarray(layer.weights["weight"]).reshape(size, -1)
            for j in range(w.shape[1]):
                rows.append([1 if int(v) >= 0 else -1 for v in w[:, j].tolist()])
    return rows or [[1] * size]


def _vector(t: FixedType, size: int, model: Any, name: str) -> SearchStrategy[list[int]]:
    lo, hi = t.min_raw, t.max_raw
    edges = _table_edges(t, model)
    signs = _first_dense_signs(model, name, size)
    one = raw_values(t)
    interior = st.integers(
        lo, hi
    )  # hypothesis's own spread: reaches the inside of the range, not just its edges
    # "uniform" three times over: most faults live somewhere inside the range, and it stays the shrink target
    kinds = ["uniform", "uniform", "uniform", *VECTOR_KINDS[1:]]

    @st.composite
    def draw_vector(draw: Any) -> list[int]:
        kind = draw(st.sampled_from(kinds))
        if kind == "uniform":
            return draw(st.lists(st.one_of(one, interior), min_size=size, max_size=size))
        if kind == "lsb":
            return draw(
                st.lists(
                    st.sampled_from([v for v in (0, 1, -1) if lo <= v <= hi]), min_size=size, max_size=size
                )
            )
        if kind == "full_scale":
            return draw(
                st.lists(
                    st.sampled_from(sorted({lo, hi, min(lo + 1, hi), max(hi - 1, lo)})),
                    min_size=size,
                    max_size=size,
                )
            )
        if kind == "tie":
            # Codes whose low k bits are 100..0: exactly half-way for a layer that drops k fraction bits.
            k = draw(st.integers(1, max(1, min(t.width - 1, 12))))
            out = []
            for v in draw(st.lists(interior, min_size=size, max_size=size)):
                tie = (v >> k << k) | (1 << (k - 1))
                out.append(tie if lo <= tie <= hi else v)
            return out
        if kind == "accumulator_edge":
            # Every input at the end of the range that pushes one dense output's sum the same way.
            row = draw(st.sampled_from(signs))
            sign = draw(st.sampled_from([1, -1]))
            return [hi if s * sign > 0 else lo for s in row]
        if kind == "table_edge":
            return draw(st.lists(st.sampled_from(edges), min_size=size, max_size=size))
        # softmax_spread: one peak at the top, the rest at the bottom of the range
        peak = draw(st.integers(0, size - 1))
        return [hi if i == peak else lo + draw(st.integers(0, 3)) for i in range(size)]

    return draw_vector()


def input_vectors(
    model: Any, *, min_size: int = 1, max_size: int = 32
) -> SearchStrategy[dict[str, np.ndarray]]:
    """Batches of raw input vectors for ``model``: input name -> ``(N, *shape)`` raw codes, ``N`` in
    ``[min_size, max_size]``.

    Each vector is one of :data:`VECTOR_KINDS`: uniform codes, ±1 LSB, full-scale codes, rounding ties (low
    bits ``100..0``), accumulators driven to their overflow edge (inputs at the range end matching the sign of
    a first dense layer's weights), codes around the lookup-table dead zone and range edges, and large softmax
    spreads. A failing batch shrinks to one vector, of codes at 0, ±1 LSB or the range ends.

    Examples
    --------
    >>> from hypothesis import find
    >>> from fwparity.model import Layer, Model, Tensor
    >>> m = Model("m", [Tensor("x", (3,), "ap_fixed<8,3>")],
    ...           [Layer("r", "relu", ["x"], (3,), {"result": "ap_fixed<8,3>"})], ["r"])
    >>> v = find(input_vectors(m), lambda v: (v["x"] > 100).any())
    >>> v["x"].shape, int(v["x"].max()) > 100
    ((1, 3), True)
    """
    from .model import Model

    if not isinstance(model, Model):
        raise InvalidType(f"model must be a fwparity.model.Model, not model={model!r}")
    lo = _check_int(min_size, "min_size")
    hi = _check_int(max_size, "max_size")
    _at_least(lo, 1, "min_size")
    _order(lo, hi, "min_size", "max_size")
    per_input = []
    for tensor in model.inputs:
        size = int(math.prod(tensor.shape))
        per_input.append((tensor, _vector(tensor.type, size, model, tensor.name)))

    def stack(rows: list[tuple[list[int], ...]]) -> dict[str, np.ndarray]:
        out = {}
        for k, (tensor, _) in enumerate(per_input):
            arr = np.empty((len(rows), int(math.prod(tensor.shape))), dtype=tensor.type.dtype)
            arr[:] = [row[k] for row in rows]
            out[tensor.name] = arr.reshape((len(rows), *tensor.shape))
        return out

    # A list, so the shrinker can delete whole vectors and leave the one that fails.
    return st.lists(st.tuples(*(vec for _, vec in per_input)), min_size=lo, max_size=hi).map(stack)
