"""HDF5 vector files (schema 1): exact round trips incl. widths > 63, forgiving input resolution,
atomic writes, damaged files, streaming reads and appends."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import h5py
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fwparity.vectors.hdf5 as hdf5_mod
from fwparity.errors import FormatError, InvalidArgument
from fwparity.fixed import FixedType
from fwparity.model import Tensor
from fwparity.vectors import (
    BoardData,
    VectorSet,
    VectorWriter,
    iter_input_chunks,
    read_frames,
    read_inputs,
    read_vectors,
    write_frames,
    write_vectors,
)


def _sample(path: Path) -> VectorSet:
    vs = VectorSet(model_sha256="f" * 64, seed=42)
    vs.add_input("x", np.array([[1, -128, 127], [0, 5, -6]]), "ap_fixed<8,3>")
    vs.add_input("phys", np.array([[0.1], [-2.5]]))
    vs.add_output("reference", "y", np.array([[3], [-4]]), "ap_fixed<16,6,AP_RND,AP_SAT>")
    vs.add_output("csim", "y", np.array([[3], [-5]]), "ap_fixed<16,6,AP_RND,AP_SAT>")
    vs.add_trace("reference", "fc1", np.array([[2**40, -(2**40)], [7, 8]]), "ap_fixed<48,20>")
    write_vectors(path, vs)
    return vs


def test_round_trip_and_layout(tmp_path: Path) -> None:
    p = tmp_path / "v.h5"
    vs = _sample(p)
    back = read_vectors(p)
    assert back.model_sha256 == "f" * 64 and back.seed == 42 and back.n_vectors == 2
    assert back.inputs["x"].tolist() == vs.inputs["x"].tolist() and back.inputs["x"].dtype == np.int64
    assert back.input_types == {"x": FixedType.parse("ap_fixed<8,3>"), "phys": None}
    assert back.inputs["phys"].tolist() == [[0.1], [-2.5]]
    assert back.outputs["csim"]["y"].tolist() == [[3], [-5]]
    assert str(back.output_types["reference"]["y"]) == "ap_fixed<16,6,AP_RND,AP_SAT>"
    assert back.trace["reference"]["fc1"].tolist() == [[2**40, -(2**40)], [7, 8]]
    with h5py.File(p, "r") as f:
        assert f.attrs["fwparity_schema"] == 1
        ds = f["outputs/csim/y"]
        assert ds.dtype == np.int64 and ds.attrs["type"] == "ap_fixed<16,6,AP_RND,AP_SAT>"
        assert ds.chunks is not None and ds.compression == "gzip"
        assert "type" not in f["inputs/phys"].attrs


def test_seed_absent_when_none(tmp_path: Path) -> None:
    p = tmp_path / "v.h5"
    write_vectors(p, VectorSet())
    with h5py.File(p, "r") as f:
        assert "seed" not in f.attrs and f.attrs["model_sha256"] == ""
    assert read_vectors(p).seed is None


@pytest.mark.parametrize(
    ("type_", "values"),
    [
        pytest.param("ap_uint<64>", [0, 2**64 - 1, 2**63], id="uint64"),
        pytest.param("ap_int<64>", [-(2**63), 2**63 - 1, -1], id="int64"),
        pytest.param("ap_fixed<80,20>", [-(2**79), 2**79 - 1, -1, 12345678901234567890123], id="fixed80"),
        pytest.param("ap_ufixed<129,1>", [2**129 - 1, 2**128, 1], id="ufixed129"),
    ],
)
def test_wide_types_are_stored_as_words_and_round_trip(tmp_path: Path, type_: str, values: list[int]) -> None:
    p = tmp_path / "w.h5"
    vs = VectorSet()
    vs.add_output("reference", "y", np.array(values, dtype=object).reshape(-1, 1), type_)
    write_vectors(p, vs)
    t = FixedType.parse(type_)
    with h5py.File(p, "r") as f:
        ds = f["outputs/reference/y"]
        assert ds.attrs["encoding"] == "words64le" and ds.dtype == np.uint64
        assert ds.shape == (len(values), 1, (t.width + 63) // 64)
    back = read_vectors(p).outputs["reference"]["y"]
    assert back.dtype == object and back.reshape(-1).tolist() == values


@st.composite
def typed_raw(draw: st.DrawFn) -> tuple[FixedType, np.ndarray]:
    width = draw(st.integers(1, 140))
    signed = draw(st.booleans())
    t = FixedType.parse(f"{'ap_int' if signed else 'ap_uint'}<{width}>")
    n = draw(st.integers(0, 5))
    vals = draw(st.lists(st.integers(t.min_raw, t.max_raw), min_size=n * 2, max_size=n * 2))
    return t, np.array(vals, dtype=t.dtype).reshape(n, 2)


@given(typed_raw())
def test_any_width_round_trips_exactly(tmp_path_factory: pytest.TempPathFactory, case: tuple) -> None:
    t, raw = case
    p = tmp_path_factory.mktemp("h") / "r.h5"
    vs = VectorSet()
    vs.add_input("x", raw, t)
    write_vectors(p, vs)
    back = read_vectors(p)
    assert back.input_types["x"] == t
    assert back.inputs["x"].dtype == t.dtype and back.inputs["x"].tolist() == raw.tolist()


def test_out_of_range_raw_is_refused() -> None:
    with pytest.raises(
        InvalidArgument,
        match=r"^inputs/x: raw value 128 is outside \[-128, 127\], the range of "
        r"ap_fixed<8,3>$",
    ):
        VectorSet().add_input("x", np.array([[128]]), "ap_fixed<8,3>")


def test_writer_exception_leaves_old_file_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "v.h5"
    _sample(p)
    before = p.read_bytes()
    calls = []
    real = hdf5_mod._create

    def flaky(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(hdf5_mod, "_create", flaky)
    with pytest.raises(KeyboardInterrupt):
        _sample(p)
    assert p.read_bytes() == before
    assert sorted(q.name for q in tmp_path.iterdir()) == ["v.h5"]


def test_vector_writer_exception_leaves_old_file_intact(tmp_path: Path) -> None:
    p = tmp_path / "v.h5"
    _sample(p)
    before = p.read_bytes()
    with pytest.raises(RuntimeError, match="^crash$"), VectorWriter(p) as w:
        w.append("outputs/reference/y", np.array([[1]]), "ap_int<4>")
        raise RuntimeError("crash")
    assert p.read_bytes() == before
    assert sorted(q.name for q in tmp_path.iterdir()) == ["v.h5"]


def test_vector_writer_appends(tmp_path: Path) -> None:
    p = tmp_path / "s.h5"
    with VectorWriter(p, model_sha256="ab", seed=9) as w:
        for start in range(0, 10, 4):
            chunk = np.arange(start, min(10, start + 4)).reshape(-1, 1)
            w.append_inputs({"x": chunk}, {"x": "ap_int<8>"})
            w.append_outputs("reference", {"y": -chunk}, {"y": "ap_int<8>"})
            w.append("trace/reference/big", chunk.astype(object) << 70, "ap_int<80>")
    back = read_vectors(p)
    assert back.inputs["x"].reshape(-1).tolist() == list(range(10))
    assert back.outputs["reference"]["y"].reshape(-1).tolist() == [-i for i in range(10)]
    assert back.trace["reference"]["big"].reshape(-1).tolist() == [i << 70 for i in range(10)]
    assert back.seed == 9 and back.model_sha256 == "ab"


@pytest.mark.parametrize(
    ("dataset", "values", "type_", "message"),
    [
        pytest.param(
            "outputs/y",
            [[1]],
            "ap_int<8>",
            "dataset must be inputs/<name>, outputs/<backend>/<name> or "
            "trace/<backend>/<layer>, not dataset='outputs/y'",
            id="bad-path",
        ),
        pytest.param(
            "outputs/r/y", [[1]], None, "outputs/r/y: raw codes need a type, not type=None", id="no-type"
        ),
        pytest.param(
            "outputs/r/y",
            [[1]],
            "ap_int<9>",
            "outputs/r/y: appended type ap_int<9> differs from the earlier ap_int<8>",
            id="type-change",
        ),
        pytest.param(
            "outputs/r/y",
            [[1, 2]],
            "ap_int<8>",
            "outputs/r/y: appended shape (1, 2) does not continue (1, 1)",
            id="shape-change",
        ),
    ],
)
def test_vector_writer_rejects(
    tmp_path: Path, dataset: str, values: list, type_: str | None, message: str
) -> None:
    with VectorWriter(tmp_path / "s.h5") as w:
        w.append("outputs/r/y", np.array([[0]]), "ap_int<8>")
        with pytest.raises(InvalidArgument, match=f"^{re.escape(message)}$"):
            w.append(dataset, np.array(values), type_)


def test_iter_input_chunks(tmp_path: Path) -> None:
    p = tmp_path / "c.h5"
    vs = VectorSet()
    vs.add_input("a", np.arange(20).reshape(10, 2), "ap_int<8>")
    vs.add_input("b", np.arange(10).reshape(10, 1) * 0.5)
    write_vectors(p, vs)
    chunks = list(iter_input_chunks(p, 4))
    assert [len(c["a"]) for c in chunks] == [4, 4, 2]
    assert np.concatenate([c["a"] for c in chunks]).tolist() == vs.inputs["a"].tolist()
    assert np.concatenate([c["b"] for c in chunks]).tolist() == vs.inputs["b"].tolist()
    with pytest.raises(InvalidArgument, match=r"^chunk_size must be a positive integer, not chunk_size=0$"):
        next(iter_input_chunks(p, 0))


def _model(*tensors: tuple[str, tuple[int, ...], str]) -> SimpleNamespace:
    return SimpleNamespace(inputs=[Tensor(n, s, t) for n, s, t in tensors])


def test_single_input_taken_whatever_its_name(tmp_path: Path) -> None:
    p = tmp_path / "i.h5"
    vs = VectorSet()
    vs.add_input("whatever", np.array([[1, 2], [3, 4]]), "ap_fixed<8,3>")
    write_vectors(p, vs)
    assert read_inputs(p, _model(("x", (2,), "ap_fixed<8,3>")))["x"].tolist() == [[1, 2], [3, 4]]


def test_float_dataset_is_quantized_like_input_t_double(tmp_path: Path) -> None:
    p = tmp_path / "f.h5"
    values = np.array([[0.1, -0.3], [100.0, 1.0 / 3]])
    vs = VectorSet()
    vs.add_input("x", values)
    write_vectors(p, vs)
    t = FixedType.parse("ap_fixed<8,3,AP_RND,AP_SAT>")
    got = read_inputs(p, _model(("x", (2,), str(t))))["x"]
    assert got.tolist() == t.from_float(values).tolist()
    assert got.tolist() == [[3, -10], [127, 11]]  # 0.1*32=3.2->3, -0.3*32=-9.6->-10, saturate, 10.67->11


def test_integer_dataset_without_type_is_raw(tmp_path: Path) -> None:
    p = tmp_path / "r.h5"
    with h5py.File(p, "w") as f:
        f["inputs/x"] = np.array([[1, -2]], dtype=np.int32)
    assert read_inputs(p, _model(("x", (2,), "ap_fixed<8,3>")))["x"].tolist() == [[1, -2]]


@pytest.mark.parametrize(
    ("datasets", "tensors", "message"),
    [
        pytest.param(
            {"x": (np.zeros((3, 4), np.int64), "ap_int<8>")},
            [("x", (5,), "ap_int<8>")],
            "{p}: dataset inputs/x has shape (3, 4), expected (N, 5) for model input 'x'",
            id="shape",
        ),
        pytest.param(
            {"img": (np.zeros((2, 4, 4)), None)},
            [("img", (4, 4, 1), "ap_int<8>")],
            "{p}: dataset inputs/img has shape (2, 4, 4), expected (N, 4, 4, 1) for model input 'img'",
            id="shape-3d",
        ),
        pytest.param(
            {"x": (np.zeros((3, 5), np.int64), "ap_int<9>")},
            [("x", (5,), "ap_int<8>")],
            "{p}: dataset inputs/x has type ap_int<9>, expected ap_int<8> for model input 'x'",
            id="type",
        ),
        pytest.param(
            {"a": (np.zeros((3, 1), np.int64), "ap_int<8>"), "c": (np.zeros((3, 1), np.int64), "ap_int<8>")},
            [("a", (1,), "ap_int<8>"), ("b", (1,), "ap_int<8>")],
            "{p}: no dataset inputs/b for model input 'b' (datasets: inputs/a, inputs/c)",
            id="missing",
        ),
        pytest.param(
            {"x": (np.array([[300]]), None)},
            [("x", (1,), "ap_int<8>")],
            "{p}: dataset inputs/x: raw value 300 is outside [-128, 127], the range of ap_int<8>",
            id="raw-range",
        ),
    ],
)
def test_input_mismatch_names_dataset_shape_and_input(
    tmp_path: Path, datasets: dict, tensors: list, message: str
) -> None:
    p = tmp_path / "m.h5"
    with h5py.File(p, "w") as f:
        for name, (arr, t) in datasets.items():
            f[f"inputs/{name}"] = arr
            if t is not None:
                f[f"inputs/{name}"].attrs["type"] = t
    with pytest.raises(FormatError, match=f"^{re.escape(message.format(p=p))}$"):
        read_inputs(p, _model(*tensors))


def test_truncated_file_is_a_format_error_naming_it(tmp_path: Path) -> None:
    p = tmp_path / "t.h5"
    _sample(p)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        FormatError,
        match=f"^{re.escape(str(p))}: (not a readable HDF5 file|cannot read dataset|"
        r"damaged HDF5 file) \(.*\)$",
    ):
        read_vectors(p)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"not hdf5 at all\n" * 10, id="text"),
        pytest.param(b"\x89HDF\r\n\x1a\n" + bytes(100), id="bad-superblock"),
    ],
)
def test_corrupt_file_is_a_format_error_naming_it(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "c.h5"
    p.write_bytes(content)
    with pytest.raises(FormatError, match=f"^{re.escape(str(p))}: not a readable HDF5 file \\(.*\\)$"):
        read_vectors(p)


def test_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "nope.h5"
    with pytest.raises(FormatError, match=f"^{re.escape(str(p))}: no such file$"):
        read_inputs(p)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "n.h5"
    with h5py.File(p, "w") as f:
        f.attrs["fwparity_schema"] = 2
    with pytest.raises(
        FormatError,
        match=f"^{re.escape(str(p))}: fwparity_schema=2 is newer than this fwparity "
        r"\(reads schema 1\); upgrade fwparity$",
    ):
        read_vectors(p)


def test_bad_type_attribute(tmp_path: Path) -> None:
    p = tmp_path / "b.h5"
    with h5py.File(p, "w") as f:
        f["inputs/x"] = np.zeros((1, 1), np.int64)
        f["inputs/x"].attrs["type"] = "float<3>"
    with pytest.raises(
        FormatError, match=f"^{re.escape(str(p))}: dataset inputs/x has an invalid type attribute: "
    ):
        read_vectors(p)


def test_frames_round_trip(tmp_path: Path) -> None:
    b = BoardData.empty([3, 1], 5, name="brd")
    b.data[0, 2] = 2**64 - 1
    b.valid[1, 1] = b.strobe[0, 0] = False
    p = tmp_path / "f.h5"
    write_frames(p, b)
    assert read_frames(p) == b
    with h5py.File(p, "r") as f:
        assert f["frames/link"][()].tolist() == [1, 3] and f["frames/data"].dtype == np.uint64
        assert f["frames/valid"].shape == (2, 5) and f["frames"].attrs["board_id"] == "brd"
    q = tmp_path / "v.h5"
    write_vectors(q, VectorSet())
    with pytest.raises(FormatError, match=f"^{re.escape(str(q))}: no frames group"):
        read_frames(q)
