"""An independent oracle for the importer: ask the project's own C++ what its types and weights are.

A small program includes the project's own ``defines.h``, ``nnet_utils/nnet_helpers.h`` and ``weights/*.h``,
loads each ``weights/<w>.txt`` with the project's ``nnet::load_weights_from_txt`` as the top function does in
csim (or, for projects written without .txt files, keeps the ``.h`` initialisers), then prints, for every
typedef and weight array that hls4ml's own metadata names, the C++ type's width/iwidth/signedness/Q/O and each
weight's raw bit pattern. Nothing here uses fwparity, so agreement with :func:`fwparity.load_model` is
evidence, not an echo.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fwparity import _toolchain

# ap_decl.h enum order
QMODES = ["AP_RND", "AP_RND_ZERO", "AP_RND_MIN_INF", "AP_RND_INF", "AP_RND_CONV", "AP_TRN", "AP_TRN_ZERO"]
OMODES = ["AP_SAT", "AP_SAT_ZERO", "AP_SAT_SYM", "AP_WRAP", "AP_WRAP_SM"]

_PRELUDE = r"""
#include <cstdio>
// Defined by the bridge/testbench in a real build; traced projects reference them.
namespace nnet {
bool trace_enabled = false;
std::map<std::string, void *> *trace_outputs = NULL;
size_t trace_type_size = sizeof(double);
}  // namespace nnet
template <class T> void dump_type(const char *name) {
    ap_uint<T::width> ones = 0;
    ones = ~ones;
    T x;
    x.range(T::width - 1, 0) = ones;
    std::printf("type %s %d %d %d %d %d\n", name, T::width, T::iwidth, (int)(x < 0), (int)T::qmode,
    (int)T::omode);
}
template <class T, int N> void dump_array(const char *name, T *w) {
    std::printf("array %s", name);
    for (int i = 0; i < N; i++) {
        ap_uint<T::width> u = w[i].range(T::width - 1, 0);
        std::printf(" %s", u.to_string(16, false).c_str());  // hex text: exact for any width
    }
    std::printf("\n");
}
"""


@dataclass
class CppFacts:
    """What the C++ says: typedef -> (width, iwidth, signed, Q, O); weight array -> raw (sign-extended)."""

    types: dict[str, tuple[int, int, bool, str, str]] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


def cpp_facts(project_dir: Path, hls_model: Any, work: Path) -> CppFacts:
    """Compile and run the dump program for an hls4ml project written by ``hls_model``."""
    fw = project_dir / "firmware"
    ns = hls_model.config.get_writer_config().get("Namespace")
    txt = hls_model.config.get_writer_config().get("WriteWeightsTxt", True)
    type_names: list[str] = []
    arrays: list[tuple[str, str, int]] = []
    for layer in hls_model.get_layers():
        for t in layer.types.values():
            if str(t.precision).startswith(("fixed", "ufixed")) and t.name not in type_names:
                type_names.append(t.name)
        for w in layer.get_weights():
            arrays.append((w.name, w.type.name, int(w.data_length)))
    loads = [f'nnet::load_weights_from_txt<{t}, {n}>({w}, "{w}.txt");' for w, t, n in arrays] if txt else []
    body = loads + [f'dump_type<{t}>("{t}");' for t in type_names]
    body += [f'dump_array<{t}, {n}>("{w}", {w});' for w, t, n in arrays]
    # The same headers, in the same order, as the top .cpp sees through parameters.h; only the layer templates
    # are left out (they do not touch the weights), which keeps this compile at ~2 s instead of ~12 s.
    includes = ['#include "defines.h"', '#include "nnet_utils/nnet_helpers.h"']
    includes += [f'#include "weights/{w}.h"' for w, _, _ in arrays]
    src = (
        "\n".join(includes)
        + "\n"
        + (f"using namespace {ns};\n" if ns else "")
        + _PRELUDE
        + "int main() {\n    "
        + "\n    ".join(body)
        + "\n    return 0;\n}\n"
    )
    work.mkdir(parents=True, exist_ok=True)
    (work / "oracle.cpp").write_text(src)
    exe = work / "oracle"
    argv = [
        _toolchain.find_gxx(),
        "-std=c++17",
        "-O0",
        "-w",
        f"-I{fw}",
        f"-I{fw / 'ap_types'}",
        f'-DWEIGHTS_DIR="{fw / "weights"}"',
        str(work / "oracle.cpp"),
        "-o",
        str(exe),
    ]
    subprocess.run(argv, check=True, capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"})
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    facts = CppFacts()
    widths: dict[str, int] = {}
    for line in out.splitlines():
        kind, key, *rest = line.split()
        if kind == "type":
            w, i, s, q, o = (int(x) for x in rest)
            facts.types[key] = (w, i, bool(s), QMODES[q], OMODES[o])
    for w, t, _ in arrays:
        widths[w] = facts.types[t][0] if t in facts.types else 64
    for line in out.splitlines():
        kind, key, *rest = line.split()
        if kind == "array":
            width = widths[key]
            u = np.array([int(x, 16) for x in rest], dtype=object)
            signed = facts.types.get(dict((a, b) for a, b, _ in arrays)[key], (0, 0, True))[2]
            raw = np.where(u >= (1 << (width - 1)), u - (1 << width), u) if signed else u
            facts.arrays[key] = raw.astype(object)
    return facts
