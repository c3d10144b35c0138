"""Every library module is lint-clean under ``verilator --lint-only -Wall``, for parameter sets that reach
each of
its generate branches; and lint failures come back as BuildError with Verilator's file:line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fwparity.errors import BuildError
from fwparity.rtlsim import library_files, lint

pytestmark = pytest.mark.requires_verilator

CASES = [
    ("fwp_requant", {}),
    ("fwp_requant", {"IN_W": 8, "IN_F": 0, "OUT_W": 4, "OUT_F": 3, "QUANT": 6, "OVF": 3}),
    (
        "fwp_requant",
        {"IN_W": 33, "IN_F": 20, "OUT_W": 70, "OUT_F": -2, "OUT_SIGNED": 0, "QUANT": 2, "SAT_BITS": 2},
    ),
    ("fwp_requant", {"OUT_W": 1, "OUT_F": 0, "QUANT": 5, "OVF": 1}),
    ("fwp_requant", {"QUANT": 1, "OVF": 2}),
    ("fwp_requant", {"QUANT": 3, "IN_SIGNED": 0}),
    ("fwp_requant", {"QUANT": 4, "IN_F": 11}),
    ("fwp_dense", {}),
    ("fwp_dense", {"A_O": 1, "A_Q": 2}),
    ("fwp_dense", {"A_F": 24}),
    ("fwp_dense", {"A_W": 60, "A_F": 30, "X_S": 0, "W_S": 0}),
    ("fwp_relu", {"MODE": 0}),
    ("fwp_relu", {"MODE": 1}),
    ("fwp_relu", {"MODE": 2}),
    ("fwp_relu", {"MODE": 3}),
    ("fwp_relu", {"MODE": 4, "P_F": 3}),
    ("fwp_lut_act", {}),
    ("fwp_lut_act", {"X_F": -6, "X_W": 8}),
    ("fwp_lut_act", {"TABLE_SIZE": 8, "SIZE_LOG2": 3}),
    ("fwp_lut_act", {"TABLE_SIZE": 100, "SIZE_LOG2": 7}),
    ("fwp_lut_act", {"TABLE_SIZE": 1, "SIZE_LOG2": 1}),
    ("fwp_softmax", {}),
    ("fwp_softmax", {"STABLE": 0}),
    ("fwp_softmax", {"N": 2}),
    ("fwp_softmax", {"N": 7, "ACC_O": 0, "ACC_Q": 0}),
    ("fwp_tree_add", {"N": 1}),
    ("fwp_tree_add", {"N": 3}),
    ("fwp_tree_add", {"N": 9, "A_O": 1}),
    ("fwp_add_requant", {}),
    ("fwp_batchnorm", {}),
    ("fwp_batchnorm", {"N_FILT": 2, "B_F": 3, "S_F": 14}),
    ("fwp_merge", {"OP": 0}),
    ("fwp_merge", {"OP": 1, "B_F": 4, "B_S": 0}),
    ("fwp_merge", {"OP": 2}),
    ("fwp_merge", {"OP": 3}),
    ("fwp_merge", {"OP": 4, "A_F": 2}),
    ("fwp_merge", {"OP": 5}),
    ("fwp_pool", {}),
    ("fwp_pool", {"HAS_ACC": 0}),
    ("fwp_pool", {"MODE": 1}),
    ("fwp_pool", {"MODE": 1, "A_S": 0, "X_F": 4, "C": 3}),
    ("fwp_argmax", {}),
    ("fwp_argmax", {"N": 1}),
    ("fwp_argmax", {"N": 7, "X_S": 0, "R_W": 4, "R_F": 4, "R_O": 1}),
    ("fwp_softmax_legacy", {}),
    ("fwp_softmax_legacy", {"N": 1}),
    ("fwp_softmax_legacy", {"N": 3, "X_S": 0, "EXP_SIZE": 100, "INV_SIZE": 64, "T_Q": 2, "T_O": 1}),
    ("fwp_lut_index", {}),
    ("fwp_lut_index", {"X_W": 6, "X_F": -3, "DEN_NEG": 0, "OFFSET": 512, "SIZE": 1000}),
    ("fwp_lut_index", {"X_W": 40, "X_F": 30, "X_S": 0}),
    ("fwp_elu", {}),
    ("fwp_elu", {"SELU": 1}),
    ("fwp_elu", {"TABLE_SIZE": 100, "X_S": 0}),
    ("fwp_elu", {"TABLE_SIZE": 8, "T_S": 0, "P_W": 8, "P_F": 7, "P_S": 1, "ALPHA": "8'hb3"}),
    ("fwp_hard_act", {}),
    ("fwp_hard_act", {"TANH": 1}),
    ("fwp_hard_act", {"X_S": 0, "SL_S": 1, "SH_S": 1}),
    (
        "fwp_hard_act",
        # negative fractional bits everywhere: d has AF < 0, so d_t(1) truncates to 0
        {"TANH": 1, "X_W": 6, "X_F": -2, "SL_W": 4, "SL_F": -1, "SH_W": 3, "SH_F": -3}
        | {"SLOPE": "4'h3", "SHIFT": "3'h1"},  # vector parameters take sized literals
    ),
    ("fwp_dot", {}),
    ("fwp_dot", {"N": 1}),
    ("fwp_dot", {"N": 3, "A_S": 0, "ACC_Q": 2, "ACC_O": 1}),
]


@pytest.mark.parametrize(
    ("module", "params"),
    [
        pytest.param(m, p, id=f"{m}-" + ("-".join(f"{k}={v}" for k, v in p.items()) or "default"))
        for m, p in CASES
    ],
)
def test_module_is_lint_clean(module: str, params: dict[str, int | str]) -> None:
    assert lint(list(library_files().values()), module, parameters=params) == ""


def test_every_module_is_linted() -> None:
    assert {m for m, _ in CASES} == set(library_files())


def test_lint_error_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.v"
    bad.write_text("module bad(input wire a, output wire [1:0] y);\n  assign y = a;\nendmodule\n")
    with pytest.raises(BuildError) as info:
        lint([bad], "bad")
    assert re.search(r"^%Warning-WIDTHEXPAND: .*bad\.v:2:\d+: ", str(info.value), re.M)
