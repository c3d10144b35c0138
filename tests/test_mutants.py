"""Fault injection (fwparity._mutants): every mutant's edit applies exactly once to the generated sources, and
a handful of real mutants, compiled by g++ / Verilator, are caught by the default validation while the
unmutated builds pass. The full set runs in benchmarks/bench_mutants.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fwparity._example import example_model
from fwparity._mutants import MUTANTS, _rtl_model, format_table, run_mutants
from fwparity.errors import FwparityError


def test_at_least_thirty_distinct_faults_in_both_targets() -> None:
    names = [m.name for m in MUTANTS]
    assert len(names) == len(set(names)) >= 30
    assert {m.target for m in MUTANTS} == {"cpp", "rtl"}
    assert len({m.fault for m in MUTANTS}) >= 10


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_each_edit_changes_exactly_what_it_says(mutant: object, tmp_path: Path) -> None:
    from fwparity.csim import emit_model
    from fwparity.rtlsim import generate

    if mutant.target == "cpp":  # type: ignore[attr-defined]
        files = dict(emit_model(example_model()).files)
    else:
        design = generate(_rtl_model(example_model()), tmp_path)
        files = {p.name: p.read_text() for p in design.files}
    out = mutant.apply(files)  # type: ignore[attr-defined]
    changed = [k for k in files if out[k] != files[k]]
    added = [k for k in out if k not in files]
    assert len(changed) == 1 or (not changed and added)
    # one line (or one inserted statement) differs: a single fault
    for k in changed:
        before, after = files[k].splitlines(), out[k].splitlines()
        assert len(after) - len(before) in (0, 1)
        assert sum(a != b for a, b in zip(before, after, strict=False)) <= 1 or len(after) == len(before) + 1


def test_a_missing_anchor_fails_loudly() -> None:
    mutant = next(m for m in MUTANTS if m.name == "cpp/relu2/linear")
    with pytest.raises(
        FwparityError, match=r"^Mutation anchor 'nnet::relu<fc2_result_t' occurs 0 times in fwp_top"
    ):
        mutant.apply({"fwp_top.cpp": "int main() {}"})


@pytest.mark.requires_gxx
@pytest.mark.requires_verilator
def test_a_handful_of_mutants_are_detected_with_the_defaults() -> None:
    chosen = [
        m
        for m in MUTANTS
        if re.fullmatch(
            r"cpp/fc2/accum-rounding|cpp/softmax/no-max|cpp/output/bits-swapped|rtl/pipeline/out-valid-early",
            m.name,
        )
    ]
    assert len(chosen) == 4
    results, baselines = run_mutants(chosen)
    assert baselines == {
        "cpp": True,
        "rtl": True,
    }  # the unmutated builds are bit-exact: detections mean something
    table = format_table(results, baselines, 1000)
    assert [(r.mutant.name, r.detected) for r in results] == [(m.name, True) for m in chosen], table
    assert all(r.vectors_needed is not None and 1 <= r.vectors_needed <= 1000 for r in results)
    assert not any(r.print_detected for r in results)  # nothing crashed: a print-only bench sees nothing
    assert table.splitlines()[-1].startswith("detected: fwparity 4/4, atol=0.1 ")
