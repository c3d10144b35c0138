"""diff_report: the text the pytest assertion and the CLI print."""

from __future__ import annotations

from fwparity.report import diff_report, terminal_text


def test_mismatch_text(mismatch_comparison):
    lines = diff_report(mismatch_comparison, max_mismatches=3).splitlines()
    assert lines[:4] == [
        "fwparity: MISMATCH for model 'jets_3layer', 500 vectors (random, seed 7)",
        "reference vs csim: 12 of 500 vectors differ, 13 of 3000 elements; max |delta| "
        "633825300114114700748351602690 LSB; rounding 10, saturation 2, other 1",
        "  first divergent layer: fc2 (10 of 2500 elements; first at vector 7, index 1: expected 31327, "
        "actual 31328)",
        "  output softmax (ap_ufixed<16,0>): 12 of 2500 elements in 11 vectors; max |delta| 32768 LSB; "
        "rounding 10, "
        "saturation 1, other 1",
    ]
    assert "  first mismatches (3 of 13):" in lines
    table = lines[lines.index("  first mismatches (3 of 13):") + 1 :][:4]
    assert [row.split()[:3] + row.split()[-2:] for row in table] == [
        ["vector", "output", "index", "class", "xor"],
        ["7", "softmax", "1", "rounding", "0000000000000001"],
        ["13", "softmax", "0", "other", "1000000000000000"],
        ["13", "softmax", "4", "saturation", "0000000100001001"],
    ]
    assert lines[-1] == "reference vs rtl: parity on 500 vectors (3000 elements)"
    assert sum(line.startswith("  inputs of vector ") for line in lines) == 2  # vectors 7 and 13


def test_pair_alone(mismatch_comparison):
    text = diff_report(mismatch_comparison.pairs[1])
    assert text == "reference vs rtl: parity on 500 vectors (3000 elements)"


def test_terminal_summary(mismatch_comparison, parity_comparison):
    text = terminal_text(mismatch_comparison, width=200)
    assert "MISMATCH: 1 of 2 backend pair(s) differ; worst reference vs csim: 12 of 500 vectors" in text
    row = next(line.split() for line in text.splitlines() if line.strip().startswith("reference vs csim  "))
    assert row == ["reference", "vs", "csim", "12", "13", "/", "3000", str((1 << 99) + 2), "fc2", "mismatch"]
    assert "  reference vs csim: rounding 10, saturation 2, other 1" in text.splitlines()
    assert terminal_text(parity_comparison, width=200).splitlines()[-1] == (
        "PARITY: 2 backend pair(s) agree bit for bit on 500 vectors"
    )


def test_terminal_does_not_interpret_names_as_markup(comparison_factory):
    text = terminal_text(comparison_factory(model_name="[bold]m[/]", n=60), width=200)
    assert text.splitlines()[0].strip() == "fwparity: model '[bold]m[/]', 60 vectors (random, seed 7)"
