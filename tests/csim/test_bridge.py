"""Bridge generation: one table of invalid signatures (whole messages) and the generated C++ for streams."""

from __future__ import annotations

import pytest

from fwparity.csim import Port, TopSignature, generate_bridge
from fwparity.errors import InvalidArgument

X = Port("x", "ap_fixed<8,3>", 4)
Y = Port("y", "ap_fixed<8,3>", 2, "out")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(
            lambda: Port("1x", "int", 1), r"^Port name must be a C identifier, not name='1x'$", id="port-name"
        ),
        pytest.param(
            lambda: Port("x", "int", 1, "inout"),
            r"^Port 'x' has direction='inout'; expected 'in' or 'out'$",
            id="direction",
        ),
        pytest.param(
            lambda: Port("x", "int", 0),
            r"^Port 'x' needs a positive element count, not size=0$",
            id="size-zero",
        ),
        pytest.param(
            lambda: Port("x", "int", 6, shape=(2, 2)),
            r"^Port 'x' has shape=\(2, 2\) but size=6$",
            id="shape-size",
        ),
        pytest.param(
            lambda: TopSignature("my top", (X, Y), "t.h"),
            r"^Top function must be a C identifier, not function='my top'$",
            id="function",
        ),
        pytest.param(
            lambda: TopSignature("top", (X, Y), "t.h", "a::"),
            r"^Namespace must be a C\+\+ qualified name, not namespace='a::'$",
            id="namespace",
        ),
        pytest.param(
            lambda: TopSignature("top", (X, X, Y), "t.h"),
            r"^Top 'top' has duplicate argument names \['x'\]$",
            id="duplicate",
        ),
        pytest.param(
            lambda: TopSignature("top", (X,), "t.h"),
            r"^Top 'top' needs at least one input and one output array$",
            id="no-output",
        ),
    ],
)
def test_invalid(build, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgument, match=message):
        build()


def test_stream_ports_use_packets_and_check_counts() -> None:
    sig = TopSignature(
        "top",
        (Port("x", "input_t", 6, stream=True), Port("y", "result_t", 4, "out", stream=True)),
        "top.h",
        "ns",
    )
    src = generate_bridge(sig)
    assert "using namespace ns;" in src
    assert "fwp::describe<fwp::packet<input_t>::elem>(6, info)" in src
    assert "fwp::stream_in<input_t>(a0, inputs[0], v, 6);" in src
    assert (
        "if (int rc = fwp::stream_out<result_t>(b0, outputs[0], v, 4)) "
        "{ if (progress) *progress = v; return 2 * 1 + rc; }" in src
    )
    assert src.count("FWP_EXPORT") == 7  # abi, ports x2, traces x3, run
