"""docs/layers.md's example runs and prints what the page says it prints."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "layers.md"


def test_layers_md_example_runs_as_documented() -> None:
    text = DOC.read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), {})
    printed = out.getvalue().splitlines()
    # each print(...) line of the example documents its output after "# "
    prints = [line for line in code.splitlines() if line.startswith("print(")]
    documented = [line.split("# ", 1)[1].split("   (")[0] for line in prints]
    assert printed[0] == documented[0]
    assert printed[1] == documented[1]
    assert printed[3] == documented[3]
