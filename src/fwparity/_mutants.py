"""Fault injection: prove that fwparity's default validation catches the faults that break trigger firmware.

``fwparity selftest --mutants`` takes the bundled jet-tagging MLP (:func:`fwparity._example.example_model`),
generates its HLS C++ (:func:`fwparity.csim.emit_model`) and its RTL (:func:`fwparity.rtlsim.generate`),
applies one fault at a time as a *text edit of the generated sources*, builds the mutant through the
content-hash cache, and validates it against the reference on the default vectors
(:func:`fwparity.compare.random_vectors`, :data:`DEFAULT_VECTORS` vectors, seed 0). Every mutant is listed in
:data:`MUTANTS` with the exact edit.

For each fault it reports: detected or not, how many of the default vectors were needed (the index of the
first mismatching vector, plus one), and what two weaker checks would have said on the same outputs:

- ``atol``: FINN's float tolerance check, ``np.isclose(to_float(expected), to_float(actual), atol=1e-1)`` on
  every output element (a fault is caught when some element is further apart than 0.1);
- ``print``: a test bench that only prints outputs (hls4ml's csim bench): it catches nothing, except a build
  failure or a crash.

The RTL mutants use the MLP up to its logits (the ``output`` dense layer): the RTL softmax is newer than the
dense/ReLU library and is validated on its own elsewhere, and a baseline that is not bit-exact would make
every RTL "detection" meaningless, so both baselines are checked for parity first.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._backend import Backend, RunResult
from .errors import FwparityError

__all__ = ["Mutant", "MutantResult", "MUTANTS", "DEFAULT_VECTORS", "run_mutants", "format_table", "main"]

#: Vectors of the default validation run (``fwparity validate --random 1000``).
DEFAULT_VECTORS = 1000
#: Compiler flags of the mutant builds: -O1 builds the jet MLP about three times faster than -O3 and computes
#: the same bits (the C++ has no undefined behaviour the optimiser could exploit differently).
CXX_FLAGS = ("-O1", "-std=c++17")
_DENSE = ("fc1", "fc2", "fc3", "output")


@dataclass(frozen=True)
class Mutant:
    """One single fault: a text edit of the generated C++ (``target="cpp"``) or RTL (``target="rtl"``)."""

    name: str
    fault: str
    target: str
    edit: str
    apply: Callable[[dict[str, str]], dict[str, str]]


@dataclass
class MutantResult:
    """What validation and the two weaker checks said about one mutant."""

    mutant: Mutant
    detected: bool
    vectors_needed: int | None  # index of the first mismatching vector + 1
    mismatched_vectors: int
    atol_detected: bool
    print_detected: bool  # only a build failure or a crash
    seconds: float
    error: str = ""


# ------------------------------------------------------------------------------------------------------------
# text edits; each must match exactly once, so a change in the generators fails loudly instead of testing
# nothing
# ------------------------------------------------------------------------------------------------------------


def _once(text: str, old: str, new: str, where: str) -> str:
    count = text.count(old)
    if count != 1:
        raise FwparityError(f"Mutation anchor {old!r} occurs {count} times in {where}, expected once")
    return text.replace(old, new)


def _edit(file: str, old: str, new: str) -> Callable[[dict[str, str]], dict[str, str]]:
    def apply(files: dict[str, str]) -> dict[str, str]:
        out = dict(files)
        out[file] = _once(files[file], old, new, file)
        return out

    return apply


def _typedef(name: str, new_type: str) -> Callable[[dict[str, str]], dict[str, str]]:
    def apply(files: dict[str, str]) -> dict[str, str]:
        out = dict(files)
        pattern = re.compile(rf"^typedef (.+) {re.escape(name)};$", re.M)
        if len(pattern.findall(files["defines.h"])) != 1:
            raise FwparityError(f"Mutation anchor typedef {name} not found once in defines.h")
        out["defines.h"] = pattern.sub(f"typedef {new_type} {name};", files["defines.h"])
        return out

    return apply


def _raw_element(var: str, change: Callable[[int], int]) -> Callable[[dict[str, str]], dict[str, str]]:
    """Change element 0 of the raw initialiser ``static const int64_t <var>_raw[] = {...}``."""

    def apply(files: dict[str, str]) -> dict[str, str]:
        out = dict(files)
        text = files["fwp_top.cpp"]
        m = re.search(rf"static const int64_t {re.escape(var)}_raw\[\] = \{{(-?\d+)LL", text)
        if m is None:
            raise FwparityError(f"Mutation anchor {var}_raw not found in fwp_top.cpp")
        out["fwp_top.cpp"] = text[: m.start(1)] + str(change(int(m.group(1)))) + text[m.end(1) :]
        return out

    return apply


def _nnet(header: str, old: str, new: str) -> Callable[[dict[str, str]], dict[str, str]]:
    """Edit an nnet_utils header: the whole nnet_utils directory joins the sources, with ``header``
    changed."""

    def apply(files: dict[str, str]) -> dict[str, str]:
        from . import _toolchain

        out = dict(files)
        nnet = _toolchain.find_nnet_utils()
        for path in sorted(nnet.glob("*.h")):
            out[f"nnet_utils/{path.name}"] = path.read_text()
        out[f"nnet_utils/{header}"] = _once(out[f"nnet_utils/{header}"], old, new, header)
        return out

    return apply


def _rtl_param(
    inst: str, param: str, change: Callable[[str], str]
) -> Callable[[dict[str, str]], dict[str, str]]:
    """Change parameter ``param`` of instance ``inst`` in the generated top."""

    def apply(files: dict[str, str]) -> dict[str, str]:
        out = dict(files)
        top = _top_name(files)
        text = files[top]
        end = text.index(f") {inst} (")
        start = text.rindex("#(", 0, end)
        block = text[start:end]
        m = re.search(rf"\.{param}\(([^)]*)\)", block)
        if m is None:
            raise FwparityError(f"Mutation anchor .{param}(...) not found in instance {inst}")
        block = block[: m.start(1)] + change(m.group(1)) + block[m.end(1) :]
        out[top] = text[:start] + block + text[end:]
        return out

    return apply


def _rtl_regex(
    pattern: str, repl: str | Callable[[re.Match[str]], str]
) -> Callable[[dict[str, str]], dict[str, str]]:
    def apply(files: dict[str, str]) -> dict[str, str]:
        out = dict(files)
        top = _top_name(files)
        new, n = re.subn(pattern, repl, files[top], count=1, flags=re.M)
        if n != 1:
            raise FwparityError(f"Mutation anchor {pattern!r} not found in {top}")
        out[top] = new
        return out

    return apply


def _top_name(files: Mapping[str, str]) -> str:
    return next(name for name in files if name.startswith("fwp_jet") and name.endswith(".v"))


def _flip_lsb_hex(value: str) -> str:
    """``16384'h...`` with bit 0 (element 0's LSB) flipped."""
    size, _, digits = value.partition("'h")
    return f"{size}'h{digits[:-1]}{int(digits[-1], 16) ^ 1:x}"


def _zero_low16_hex(value: str) -> str:
    """``N'h...`` with bits [15:0] (element 0 of a 16-bit vector) cleared."""
    size, _, digits = value.partition("'h")
    return f"{size}'h{digits[:-4]}0000"


def _build_mutants() -> tuple[Mutant, ...]:
    m: list[Mutant] = []
    t = "ap_fixed<16,6>"
    for layer in _DENSE:
        m.append(
            Mutant(
                f"cpp/{layer}/accum-rounding",
                "rounding mode",
                "cpp",
                f"defines.h: typedef {t} {layer}_accum_t -> ap_fixed<16,6,AP_RND> "
                "(products round, not floor)",
                _typedef(f"{layer}_accum_t", "ap_fixed<16,6,AP_RND>"),
            )
        )
        m.append(
            Mutant(
                f"cpp/{layer}/accum-saturation",
                "overflow mode",
                "cpp",
                f"defines.h: typedef {t} {layer}_accum_t -> ap_fixed<16,6,AP_TRN,AP_SAT> "
                "(saturate, not wrap)",
                _typedef(f"{layer}_accum_t", "ap_fixed<16,6,AP_TRN,AP_SAT>"),
            )
        )
        m.append(
            Mutant(
                f"cpp/{layer}/accum-narrower",
                "accumulator one bit narrower",
                "cpp",
                f"defines.h: typedef {t} {layer}_accum_t -> ap_fixed<15,5> (one integer bit less)",
                _typedef(f"{layer}_accum_t", "ap_fixed<15,5>"),
            )
        )
        m.append(
            Mutant(
                f"cpp/{layer}/weight-lsb",
                "one weight's LSB flipped",
                "cpp",
                f"fwp_top.cpp: element 0 of w_{layer}_raw (w[0][0]) with bit 0 flipped",
                _raw_element(f"w_{layer}", lambda v: v ^ 1),
            )
        )
        m.append(
            Mutant(
                f"cpp/{layer}/bias-dropped",
                "bias dropped",
                "cpp",
                f"fwp_top.cpp: element 0 of b_{layer}_raw set to 0",
                _raw_element(f"b_{layer}", lambda v: 0),
            )
        )
    m.append(
        Mutant(
            "cpp/relu2/linear",
            "activation replaced",
            "cpp",
            "fwp_top.cpp: nnet::relu<fc2_result_t, ...> -> nnet::linear<...> (ReLU of layer relu2 dropped)",
            _edit("fwp_top.cpp", "nnet::relu<fc2_result_t", "nnet::linear<fc2_result_t"),
        )
    )
    m.append(
        Mutant(
            "cpp/softmax/result-rounding",
            "rounding mode",
            "cpp",
            "defines.h: typedef ap_fixed<16,6> softmax_result_t -> ap_fixed<16,6,AP_RND>",
            _typedef("softmax_result_t", "ap_fixed<16,6,AP_RND>"),
        )
    )
    m.append(
        Mutant(
            "cpp/softmax/exp-table-trn",
            "table rounding",
            "cpp",
            "defines.h: softmax_exp_table_t ap_fixed<18,8,AP_RND,AP_SAT> -> ap_fixed<18,8,AP_TRN,AP_SAT> "
            "(exp table entries floored)",
            _typedef("softmax_exp_table_t", "ap_fixed<18,8,AP_TRN,AP_SAT>"),
        )
    )
    m.append(
        Mutant(
            "cpp/softmax/table-entry",
            "table entry off by one",
            "cpp",
            "nnet_activation.h init_exp_table: after 'table_out[i] = exp_x;' the LSB of entry 1 is flipped",
            _nnet(
                "nnet_activation.h",
                "        table_out[i] = exp_x;\n",
                "        table_out[i] = exp_x;\n        if (i == 1) table_out[i][0] = !table_out[i][0];\n",
            ),
        )
    )
    m.append(
        Mutant(
            "cpp/softmax/table-index",
            "table index off by one",
            "cpp",
            "nnet_activation.h softmax_stable: exp_table[x] -> exp_table[x + 1] (clamped to the last entry)",
            _nnet(
                "nnet_activation.h",
                "(d_xi_xmax[i]);\n        exp_res[i] = exp_table[x];",
                "(d_xi_xmax[i]);\n        exp_res[i] = "
                "exp_table[x + 1 < CONFIG_T::exp_table_size ? x + 1 : x];",
            ),
        )
    )
    m.append(
        Mutant(
            "cpp/softmax/no-max",
            "softmax without the max subtraction",
            "cpp",
            "nnet_activation.h softmax_stable: d_xi_xmax[i] = x_max - data[i] -> data_T(0) - data[i]",
            _nnet(
                "nnet_activation.h", "d_xi_xmax[i] = x_max - data[i];", "d_xi_xmax[i] = data_T(0) - data[i];"
            ),
        )
    )
    m.append(
        Mutant(
            "cpp/output/bits-swapped",
            "two output bits swapped",
            "cpp",
            "fwp_top.cpp: after the output copy, bits 0 and 1 of y_softmax[0] exchanged",
            _edit(
                "fwp_top.cpp",
                "    for (int i = 0; i < 5; ++i) y_softmax[i] = layer_softmax[i];\n",
                "    for (int i = 0; i < 5; ++i) y_softmax[i] = layer_softmax[i];\n"
                "    { bool b0 = y_softmax[0][0], b1 = y_softmax[0][1]; "
                "y_softmax[0][0] = b1; y_softmax[0][1] = b0; }\n",
            ),
        )
    )
    # RTL (the MLP up to its logits)
    m.append(
        Mutant(
            "rtl/fc1/accum-rounding",
            "rounding mode",
            "rtl",
            "u_fc1: .A_Q(0) -> .A_Q(2) (AP_RND)",
            _rtl_param("u_fc1", "A_Q", lambda v: "2"),
        )
    )
    m.append(
        Mutant(
            "rtl/fc3/accum-saturation",
            "overflow mode",
            "rtl",
            "u_fc3: .A_O(0) -> .A_O(1) (AP_SAT)",
            _rtl_param("u_fc3", "A_O", lambda v: "1"),
        )
    )
    m.append(
        Mutant(
            "rtl/fc2/accum-narrower",
            "accumulator one bit narrower",
            "rtl",
            "u_fc2: .A_W(16) -> .A_W(15), .A_F unchanged (one integer bit less)",
            _rtl_param("u_fc2", "A_W", lambda v: str(int(v) - 1)),
        )
    )
    m.append(
        Mutant(
            "rtl/fc2/weight-lsb",
            "one weight's LSB flipped",
            "rtl",
            "u_fc2: WEIGHTS bit 0 (w[0][0] LSB) flipped",
            _rtl_param("u_fc2", "WEIGHTS", _flip_lsb_hex),
        )
    )
    m.append(
        Mutant(
            "rtl/output/bias-dropped",
            "bias dropped",
            "rtl",
            "u_output: BIASES[15:0] (bias[0]) cleared",
            _rtl_param("u_output", "BIASES", _zero_low16_hex),
        )
    )
    m.append(
        Mutant(
            "rtl/pipeline/out-valid-early",
            "pipeline stage misaligned by one cycle",
            "rtl",
            "core: assign out_valid = vld[L-1] -> vld[L-2] (results taken one cycle early)",
            _rtl_regex(
                r"assign out_valid = vld\[(\d+)\];",
                lambda g: f"assign out_valid = vld[{int(g.group(1)) - 1}];",
            ),
        )
    )
    m.append(
        Mutant(
            "rtl/pipeline/fc2-unregistered",
            "pipeline stage misaligned by one cycle",
            "rtl",
            "core: fc2_q <= fc2_d registered -> assigned combinationally (layer fc2 one cycle early)",
            _rtl_regex(
                r"^    always @\(posedge clk\) if \(ce\) fc2_q <= fc2_d;$", "    always @(*) fc2_q = fc2_d;"
            ),
        )
    )
    m.append(
        Mutant(
            "rtl/output/bits-swapped",
            "two output bits swapped",
            "rtl",
            "core: assign out_output = X -> {X[W-1:2], X[0], X[1]}",
            _rtl_regex(r"assign out_output = (\w+);", r"assign out_output = {\1[79:2], \1[0], \1[1]};"),
        )
    )
    return tuple(m)


# ------------------------------------------------------------------------------------------------------------
# running
# ------------------------------------------------------------------------------------------------------------


class _LibraryBackend(Backend):
    """Runs one already built csim library (a mutant) in a crash-safe worker process."""

    name = "mutant"

    def __init__(self, library: Any) -> None:
        self._library = library

    def run(self, model: Any, inputs_raw: Mapping[str, np.ndarray], *, trace: bool = False) -> RunResult:
        from .csim import CsimRunner

        t0 = time.perf_counter()
        with CsimRunner(self._library, workers=1) as runner:
            ins = [p for p in runner.ports if p.direction == "in"]
            outs = [p for p in runner.ports if p.direction == "out"]
            feed = {}
            for tensor, port in zip(model.inputs, ins, strict=True):
                a = np.asarray(inputs_raw[tensor.name])
                feed[port.name] = a.reshape(a.shape[0], -1)
            res = runner.run(feed)
        shapes = model.output_shapes
        outputs = {
            name: res.outputs[p.name].reshape((-1, *shapes[name]))
            for name, p in zip(model.outputs, outs, strict=True)
        }
        return RunResult(self.name, outputs, seconds=time.perf_counter() - t0)


def _rtl_model(model: Any) -> Any:
    """The model up to its logits (drops the softmax)."""
    from .model import Model

    layers = [layer for layer in model.layers if layer.kind != "softmax"]
    return Model(model.name, list(model.inputs), layers, [layers[-1].name])


def _cpp_backend(model: Any, edit: Callable[[dict[str, str]], dict[str, str]] | None) -> Backend:
    from . import _toolchain
    from .csim import build_csim_library, emit_model

    project = emit_model(model)
    files = dict(project.files)
    if edit is not None:
        files = edit(files)
    nnet = _toolchain.find_nnet_utils()
    library = build_csim_library(project.signature, files, include_dirs=[nnet.parent], flags=CXX_FLAGS)
    return _LibraryBackend(library)


def _rtl_backend(
    model: Any, edit: Callable[[dict[str, str]], dict[str, str]] | None, workdir: Path
) -> Backend:
    from .rtlsim import RtlBackend, generate
    from .rtlsim._design import RtlDesign

    out = Path(tempfile.mkdtemp(prefix="rtl-", dir=workdir))
    design = generate(model, out)
    if edit is not None:
        files = {p.name: p.read_text() for p in design.files}
        files = edit(files)
        for name, text in files.items():
            (out / name).write_text(text)
        design = RtlDesign(
            top=design.top,
            files=design.files,
            protocol=design.protocol,
            inputs=design.inputs,
            outputs=design.outputs,
            latency=design.latency,
            ii=design.ii,
            signals=design.signals,
        )
    return RtlBackend(design)


def _judge(
    model: Any, expected: RunResult, backend: Backend, raw: Mapping[str, np.ndarray]
) -> tuple[bool, int | None, int, bool]:
    from .compare import compare_runs

    actual = backend.run(model, raw)
    comparison = compare_runs([expected, actual], model, inputs=dict(raw))
    differs = np.zeros(next(iter(raw.values())).shape[0], dtype=bool)
    atol = False
    for name, t in model.output_types.items():
        e, a = np.asarray(expected.outputs[name]), np.asarray(actual.outputs[name])
        differs |= (e != a).reshape(e.shape[0], -1).any(axis=1)
        atol |= bool((~np.isclose(t.to_float(e), t.to_float(a), rtol=0.0, atol=1e-1)).any())
    first = int(np.flatnonzero(differs)[0]) + 1 if differs.any() else None
    return comparison.status != "parity", first, int(differs.sum()), atol


def run_mutants(
    mutants: Sequence[Mutant] | None = None,
    *,
    n_vectors: int = DEFAULT_VECTORS,
    seed: int = 0,
    progress: Callable[[MutantResult], None] | None = None,
) -> tuple[list[MutantResult], dict[str, bool]]:
    """Build and validate every mutant; return the results and the baselines' parity (``{"cpp": True,
    ...}``)."""
    from ._backend import ReferenceBackend
    from ._example import example_model
    from .compare import random_vectors

    chosen = list(MUTANTS if mutants is None else mutants)
    full = example_model()
    logits = _rtl_model(full)
    models = {"cpp": full, "rtl": logits}
    raw = {k: random_vectors(m, n_vectors, seed=seed) for k, m in models.items()}
    expected = {k: ReferenceBackend().run(m, raw[k]) for k, m in models.items()}
    baselines: dict[str, bool] = {}
    results = []
    with tempfile.TemporaryDirectory(prefix="fwparity-mutants-") as tmp:
        for target in sorted({mu.target for mu in chosen}):
            m = models[target]
            base = _cpp_backend(m, None) if target == "cpp" else _rtl_backend(m, None, Path(tmp))
            baselines[target] = not _judge(m, expected[target], base, raw[target])[0]
        for mu in chosen:
            m = models[mu.target]
            t0 = time.perf_counter()
            try:
                backend = (
                    _cpp_backend(m, mu.apply) if mu.target == "cpp" else _rtl_backend(m, mu.apply, Path(tmp))
                )
                detected, first, count, atol = _judge(m, expected[mu.target], backend, raw[mu.target])
                result = MutantResult(mu, detected, first, count, atol, False, time.perf_counter() - t0)
            except FwparityError as exc:  # a build failure or a crash: every check "detects" it
                if "Mutation anchor" in str(exc):
                    raise
                result = MutantResult(
                    mu, True, None, 0, True, True, time.perf_counter() - t0, str(exc).splitlines()[0]
                )
            results.append(result)
            if progress is not None:
                progress(result)
    return results, baselines


def format_table(results: Sequence[MutantResult], baselines: Mapping[str, bool], n_vectors: int) -> str:
    """The per-fault table and the per-class summary, as plain text."""
    yes = {True: "yes", False: "NO"}
    lines = [
        f"baselines (unmutated, {n_vectors} vectors): "
        + ", ".join(f"{k} {'parity' if v else 'MISMATCH'}" for k, v in sorted(baselines.items())),
        "",
    ]
    lines.append(f"{'mutant':34} {'fwparity':9} {'vectors':>7} {'atol=0.1':9} {'print-only':10} {'s':>5}")
    for r in results:
        needed = "-" if r.vectors_needed is None else str(r.vectors_needed)
        note = f"  ({r.error})" if r.error else ""
        lines.append(
            f"{r.mutant.name:34} {yes[r.detected]:9} {needed:>7} {yes[r.atol_detected]:9} "
            f"{yes[r.print_detected]:10} {r.seconds:5.1f}{note}"
        )
    lines.append("")
    lines.append(
        f"{'fault class':40} {'mutants':>7} {'fwparity':>8} {'max vectors':>11} {'atol':>5} {'print':>5}"
    )
    classes: dict[str, list[MutantResult]] = {}
    for r in results:
        classes.setdefault(r.mutant.fault, []).append(r)
    for fault, rs in classes.items():
        counts = [r.vectors_needed for r in rs if r.vectors_needed is not None]
        lines.append(
            f"{fault:40} {len(rs):>7} {sum(r.detected for r in rs):>8} "
            f"{(max(counts) if counts else '-')!s:>11} {sum(r.atol_detected for r in rs):>5} "
            f"{sum(r.print_detected for r in rs):>5}"
        )
    total = len(results)
    lines.append("")
    lines.append(
        f"detected: fwparity {sum(r.detected for r in results)}/{total}, "
        f"atol=0.1 {sum(r.atol_detected for r in results)}/{total}, "
        f"print-only {sum(r.print_detected for r in results)}/{total}"
    )
    return "\n".join(lines)


def main(*, names: Sequence[str] | None = None, n_vectors: int = DEFAULT_VECTORS, seed: int = 0) -> int:
    """``fwparity selftest --mutants``: print the table; 0 when every mutant is detected and both baselines
    pass, else 1."""
    chosen = list(MUTANTS)
    if names:
        chosen = [mu for mu in MUTANTS if any(re.search(n, mu.name) for n in names)]

    def show(r: MutantResult) -> None:
        needed = "-" if r.vectors_needed is None else r.vectors_needed
        print(
            f"  {r.mutant.name}: {'detected' if r.detected else 'MISSED'} (vectors needed {needed}, "
            f"{r.seconds:.1f} s)",
            flush=True,
        )

    print(
        f"fwparity selftest --mutants: {len(chosen)} single faults in the jet MLP's generated C++ and RTL",
        flush=True,
    )
    results, baselines = run_mutants(chosen, n_vectors=n_vectors, seed=seed, progress=show)
    print()
    print(format_table(results, baselines, n_vectors))
    ok = all(r.detected for r in results) and all(baselines.values())
    return 0 if ok else 1


#: Every mutant, in report order.
MUTANTS: tuple[Mutant, ...] = _build_mutants()
