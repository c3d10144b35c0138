"""Manifest parsing: a valid manifest's signature, and one table of invalid manifests with whole messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from fwparity.csim import load_csim_manifest
from fwparity.errors import FormatError, InvalidArgument

VALID = """\
[top]
function = "top"
header = "top.h"
namespace = "ns"
sources = ["top.cpp"]
include_dirs = ["inc"]
flags = ["-O2"]
defines = { A = 1 }
args = ["y", "x"]

[[inputs]]
name = "x"
type = "fixed<16,6,RND,SAT>"
shape = [2, 3]

[[outputs]]
name = "y"
type = "ap_uint<4>"
shape = [5]
stream = true
"""


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "top.cpp").write_text("")
    path = tmp_path / "design.toml"
    path.write_text(text)
    return path


def test_valid_manifest(tmp_path: Path) -> None:
    m = load_csim_manifest(_write(tmp_path, VALID))
    sig = m.signature
    assert (sig.function, sig.header, sig.namespace) == ("top", "top.h", "ns")
    assert [(p.name, p.ctype, p.size, p.direction, p.shape, p.stream) for p in sig.args] == [
        ("y", "ap_uint<4>", 5, "out", (5,), True),
        ("x", "ap_fixed<16,6,AP_RND,AP_SAT>", 6, "in", (2, 3), False),
    ]
    assert m.sources == (tmp_path.resolve() / "top.cpp",)
    assert m.include_dirs == (tmp_path.resolve() / "inc",)
    assert (m.flags, dict(m.defines), m.hls_include) == (("-O2",), {"A": "1"}, None)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(("[top]", "[tp]"), r"^'.*design\.toml': missing key 'top'$", id="no-top"),
        pytest.param(
            ('function = "top"\n', ""),
            r"^'.*design\.toml' \[top\]: missing key 'function'$",
            id="no-function",
        ),
        pytest.param(
            ('sources = ["top.cpp"]', 'sources = "top.cpp"'),
            r"^'.*design\.toml' \[top\]: sources must be a list, not 'top\.cpp'$",
            id="sources-not-list",
        ),
        pytest.param(
            ('sources = ["top.cpp"]', "sources = []"),
            r"^'.*design\.toml' \[top\]: sources must list at least one file$",
            id="no-sources",
        ),
        pytest.param(
            ('sources = ["top.cpp"]', 'sources = ["gone.cpp"]'),
            r"^'.*design\.toml' \[top\]: source '.*gone\.cpp' does not exist$",
            id="missing-source",
        ),
        pytest.param(
            ("shape = [2, 3]", "shape = [2, 0]"),
            r"^'.*design\.toml' \[\[inputs\]\] #0: shape must be a list of positive integers, not \[2, 0\]$",
            id="zero-dim",
        ),
        pytest.param(
            ('type = "fixed<16,6,RND,SAT>"', 'type = "float"'),
            r"^'.*design\.toml' \[\[inputs\]\] #0: Cannot parse a fixed-point type from 'float'; expected "
            r"ap_fixed<W,I\[,Q\[,O\[,N\]\]\]>, .*$",
            id="bad-type",
        ),
        pytest.param(
            ('name = "y"', 'name = "x"'),
            r"^'.*design\.toml' \[\[outputs\]\] #0: duplicate port name 'x'$",
            id="duplicate-port",
        ),
        pytest.param(
            ('args = ["y", "x"]', 'args = ["y"]'),
            r"^'.*design\.toml' \[top\]: args=\['y'\] must list every input and output once: \['x', 'y'\]$",
            id="args-incomplete",
        ),
        pytest.param(
            ('function = "top"', 'function = "2top"'),
            r"^'.*design\.toml': Top function must be a C identifier, not function='2top'$",
            id="bad-function-name",
        ),
        pytest.param(
            ("stream = true", 'stream = "yes"'),
            r"^'.*design\.toml' \[\[outputs\]\] #0: stream must be a bool, not 'yes'$",
            id="stream-not-bool",
        ),
        pytest.param(("[top]", "[top"), r"^'.*design\.toml' is not valid TOML: .*$", id="bad-toml"),
    ],
)
def test_invalid_manifest(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    old, new = edit
    assert old in VALID
    with pytest.raises(FormatError, match=message):
        load_csim_manifest(_write(tmp_path, VALID.replace(old, new, 1)))


def test_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(
        InvalidArgument, match=r"^Cannot read manifest path='.*nope\.toml': No such file or directory$"
    ):
        load_csim_manifest(tmp_path / "nope.toml")
