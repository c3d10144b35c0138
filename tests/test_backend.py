"""The backend interface: RunResult, get_backend lookup and the reference backend."""

from __future__ import annotations

import numpy as np
import pytest

from fwparity._backend import BACKENDS, Backend, ReferenceBackend, RunResult, get_backend, register_backend
from fwparity.errors import InvalidArgument
from fwparity.model import Layer, Model, Tensor


def _model() -> Model:
    return Model(
        "m",
        [Tensor("x", (3,), "ap_fixed<8,3>")],
        [Layer("r", "relu", ["x"], (3,), {"result": "ap_fixed<6,2>"})],
        ["r"],
    )


def test_reference_backend_runs_raw_inputs() -> None:
    result = get_backend("reference").run(_model(), {"x": np.array([[-5, 5, 127]])}, trace=True)
    assert isinstance(result, RunResult)
    assert result.backend == "reference"
    assert result.outputs["r"].tolist() == [[0, 2, -1]]  # 127 >> 1 = 63 wraps in <6,2> to -1
    assert result.trace["r"].tolist() == result.outputs["r"].tolist()
    assert result.overflows == {"r": 1}
    assert result.seconds >= 0


def test_reference_backend_without_counting() -> None:
    result = ReferenceBackend(count_overflows=False).run(_model(), {"x": np.array([[1, 2, 3]])})
    assert result.overflows == {} and result.trace == {}


def test_reference_backend_refuses_floats() -> None:
    with pytest.raises(
        InvalidArgument,
        match=r"^Backend.run takes raw integer inputs; input 'x' has dtype=float64 "
        r"\(use fwparity.emulate for float values\)$",
    ):
        get_backend("reference").run(_model(), {"x": np.zeros((1, 3))})


def test_register_backend() -> None:
    class Echo(Backend):
        name = "echo"

        def run(self, model, inputs_raw, *, trace=False):
            return RunResult(self.name, dict(inputs_raw))

    register_backend("echo", Echo)
    try:
        assert get_backend("echo").run(_model(), {"x": np.array([[1]])}).outputs["x"].tolist() == [[1]]
    finally:
        del BACKENDS["echo"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param(
            "xsim", r"^Backend 'xsim' is not in supported list: csim, reference, rtl$", id="unknown"
        ),
    ],
)
def test_invalid_backend(name: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        get_backend(name)


def test_missing_backend_class() -> None:
    register_backend("ghost", "fwparity.errors:GhostBackend")
    try:
        with pytest.raises(
            InvalidArgument,
            match=r"^Backend 'ghost' is not available: fwparity.errors defines no "
            r"GhostBackend$",
        ):
            get_backend("ghost")
    finally:
        del BACKENDS["ghost"]


def test_reference_backend_passes_workers_to_emulate(monkeypatch: pytest.MonkeyPatch) -> None:
    """``workers`` reaches ``emulate`` (a dask worker runs one thread), and the bits do not depend on it."""
    import fwparity.layers

    seen: list[object] = []
    real = fwparity.layers.emulate

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(kwargs.get("workers"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fwparity.layers, "emulate", spy)
    x = {"x": np.array([[-5, 5, 127], [1, 2, 3]])}
    one = ReferenceBackend(workers=1).run(_model(), x)
    default = ReferenceBackend().run(_model(), x)
    assert seen == [1, None]
    assert one.outputs["r"].tolist() == default.outputs["r"].tolist()
    assert ReferenceBackend(workers=3).workers == 3
    assert ReferenceBackend(count_overflows=False).count_overflows is False


@pytest.mark.parametrize(
    ("workers", "message"),
    [
        pytest.param(0, r"^workers must be a positive integer or None, not workers=0$", id="zero"),
        pytest.param("2", r"^workers must be a positive integer or None, not workers='2'$", id="str"),
    ],
)
def test_reference_backend_rejects_workers(workers: object, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        ReferenceBackend(workers=workers)  # type: ignore[arg-type]
