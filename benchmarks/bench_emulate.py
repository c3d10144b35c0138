"""``fwparity emulate`` at scale: events/s and peak memory on the bundled jet MLP, for growing input files.

Each size runs in a fresh subprocess (so its peak RSS is its own): the input is a schema-1 HDF5 file of float
jet features, streamed through the bit-exact reference in chunks into a schema-1 output file. Memory must not
grow with the number of events; the output of the largest run is spot-checked bit for bit against one
in-memory ``fwparity.emulate`` call on its first and last 10,000 events.

    python benchmarks/bench_emulate.py            # 100k, 300k and 1M events
    python benchmarks/bench_emulate.py 20000      # quick
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import h5py, numpy as np
from fwparity._example import example_model
from fwparity._pipeline import emulate_file

n, chunk, d = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
model = example_model()
src = d / f"in_{n}.h5"
rng = np.random.default_rng(n)
with h5py.File(src, "w") as f:  # written in slices, so the writer's memory does not count the whole file
    f.attrs["fwparity_schema"] = 1
    ds = f.create_dataset("inputs/input_1", shape=(n, 16), dtype="f8", chunks=(min(n, 8192), 16))
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        ds[start:stop] = rng.normal(0.0, 1.5, size=(stop - start, 16))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
emulate_file(model, src, d / f"out_{n}.h5", chunk_size=chunk)
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
ok = None
if n >= 20_000:
    import fwparity
    from fwparity.vectors import read_vectors
    with h5py.File(src) as f, h5py.File(d / f"out_{n}.h5") as g:
        for sl in (slice(0, 10_000), slice(n - 10_000, n)):
            x = f["inputs/input_1"][sl]
            ok = bool((g["outputs/reference/softmax"][sl] == fwparity.emulate(model, x).raw["softmax"]).all())
            if not ok:
                break
print(json.dumps({"n": n, "seconds": seconds, "rss_before_mb": before / 1024, "peak_rss_mb": peak / 1024,
                  "ok": ok}))
"""


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [100_000, 300_000, 1_000_000]
    chunk = 10_000
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for n in sizes:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(n), str(chunk), d],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))
            Path(d, f"in_{n}.h5").unlink()
            Path(d, f"out_{n}.h5").unlink()
    print(f"fwparity emulate, jet MLP 16-64-32-32-5 ap_fixed<16,6>, chunk {chunk}")
    print(
        f"{'events':>10} {'seconds':>9} {'events/s':>10} {'peak RSS MB':>12} {'x RSS of first':>15} "
        f"{'bit-exact':>10}"
    )
    for r in rows:
        print(
            f"{r['n']:>10,} {r['seconds']:>9.1f} {r['n'] / r['seconds']:>10,.0f} {r['peak_rss_mb']:>12.0f} "
            f"{r['peak_rss_mb'] / rows[0]['peak_rss_mb']:>15.2f} {str(r['ok']):>10}"
        )
    return 0 if all(r["ok"] in (True, None) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
