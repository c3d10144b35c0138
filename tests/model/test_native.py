"""The native model file: round trip, a stable content hash, and clear errors for files that are not ours."""

from __future__ import annotations

import json
import re
from pathlib import Path

import h5py
import numpy as np
import pytest

from fwparity.errors import FormatError, InvalidArgument
from fwparity.model import Model, load_model
from tests.model.models import tiny_mlp


@pytest.mark.parametrize("wide", [pytest.param(False, id="int64"), pytest.param(True, id="wide-80bit")])
def test_round_trip_is_identical(tmp_path: Path, wide: bool) -> None:
    model = tiny_mlp(wide=wide)
    path = tmp_path / "m.fwp.h5"
    model.save(path)
    loaded = load_model(path)
    assert loaded == model
    assert loaded.sha256() == model.sha256()
    assert loaded.layer("fc2").weights["weight"].dtype == (object if wide else np.int64)
    # saving what was loaded gives the same hash again (no drift through int widths or JSON)
    model.save(tmp_path / "again.h5")
    assert load_model(tmp_path / "again.h5").sha256() == model.sha256()


def test_wide_raw_values_survive_exactly(tmp_path: Path) -> None:
    model = tiny_mlp(wide=True)
    model.save(tmp_path / "m.h5")
    w = load_model(tmp_path / "m.h5").layer("fc2").weights["weight"]
    assert w[1, 0] == 12345678901234567890123 and w[0, 1] == -(1 << 78)


def test_sha256_is_pinned() -> None:
    # A change to the canonical encoding changes every model id in every report and vector file: make it loud.
    assert tiny_mlp().sha256() == PINNED_SHA


PINNED_SHA = "abb1bc5ff2222b3b6e2264024bd4b9938ae8077716bc983a4f6ea563b21c763c"


def test_sha256_ignores_integer_dtype() -> None:
    a = tiny_mlp()
    b = tiny_mlp()
    b.layer("fc1").weights["weight"] = b.layer("fc1").weights["weight"].astype(np.int16)
    assert a.sha256() == b.sha256()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda m: (
                m.layer("fc1")
                .weights["weight"]
                .__setitem__((0, 0), m.layer("fc1").weights["weight"][0, 0] ^ 1)
            ),
            id="one-weight-lsb",
        ),
        pytest.param(lambda m: m.layer("fc2").weights["bias"].__setitem__(1, -6), id="one-bias"),
        pytest.param(
            lambda m: setattr(m.layer("relu1"), "types", {"result": "ap_fixed<10,4,AP_RND,AP_WRAP>"}),
            id="overflow-mode",
        ),
        pytest.param(lambda m: m.layer("softmax").options.__setitem__("table_size", 512), id="option"),
        pytest.param(lambda m: setattr(m, "outputs", ["fc2"]), id="outputs"),
    ],
)
def test_sha256_changes_with_content(change) -> None:
    model = tiny_mlp()
    before = model.sha256()
    change(model)
    model.__post_init__()
    for layer in model.layers:
        layer.__post_init__()
    assert model.sha256() != before


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "m.h5"
    tiny_mlp().save(path)
    tiny_mlp(wide=True).save(path)  # overwrite in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.h5"]
    assert load_model(path) == tiny_mlp(wide=True)


def test_file_is_self_describing(tmp_path: Path) -> None:
    path = tmp_path / "m.h5"
    tiny_mlp().save(path)
    with h5py.File(path, "r") as f:
        assert int(f.attrs["fwparity_model_schema"]) == 1
        graph = json.loads(f.attrs["graph"])
        assert [layer["kind"] for layer in graph["layers"]] == ["dense", "relu", "dense", "softmax"]
        assert f["weights/fc1/weight"].attrs["type"] == "ap_fixed<8,2>"
        assert f.attrs["sha256"] == tiny_mlp().sha256()


def _write(path: Path, **attrs: object) -> None:
    with h5py.File(path, "w") as f:
        for k, v in attrs.items():
            f.attrs[k] = v


def _tamper_weight(path: Path) -> None:
    with h5py.File(path, "r+") as f:
        ds = f["weights/fc1/weight"]
        data = ds[()]
        data[0, 0] += 1
        ds[...] = data


def _tamper_graph(path: Path) -> None:
    with h5py.File(path, "r+") as f:
        f.attrs["graph"] = "{not json"


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        pytest.param(
            lambda p: p.write_bytes(b"hello, not hdf5"),
            r"^'{p}' is not an fwparity model file \(not HDF5: .*\)$",
            id="not-hdf5",
        ),
        pytest.param(
            lambda p: _write(p, something=1),
            r"^'{p}' is not an fwparity model file \(no fwparity_model_schema attribute\)$",
            id="no-schema",
        ),
        pytest.param(
            lambda p: _write(p, fwparity_model_schema=2),
            r"^'{p}' has fwparity_model_schema=2; this fwparity reads schema 1 only$",
            id="future-schema",
        ),
        pytest.param(
            lambda p: (tiny_mlp().save(p), _tamper_weight(p)),
            r"^'{p}' is corrupt: its content hash differs from the stored sha256='[0-9a-f]{{64}}'$",
            id="tampered-weight",
        ),
        pytest.param(
            lambda p: (tiny_mlp().save(p), _tamper_graph(p)),
            r"^'{p}' is a corrupt fwparity model file: JSONDecodeError: .*$",
            id="broken-graph",
        ),
    ],
)
def test_bad_files_raise_format_error_naming_the_file(tmp_path: Path, prepare, message: str) -> None:
    path = tmp_path / "bad.h5"
    prepare(path)
    with pytest.raises(FormatError, match=message.format(p=re.escape(str(path)))):
        load_model(path)


def test_missing_path_is_invalid_argument(tmp_path: Path) -> None:
    path = tmp_path / "nope.h5"
    with pytest.raises(
        InvalidArgument,
        match=rf"^path='{re.escape(str(path))}' is neither a model file nor an hls4ml project directory$",
    ):
        load_model(path)


def test_model_is_reexported_at_top_level() -> None:
    import fwparity

    assert fwparity.Model is Model and fwparity.load_model is load_model
    assert Model.__module__ == "fwparity.model"
