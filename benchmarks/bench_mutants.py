"""Benchmark: fault injection into the jet MLP's generated HLS C++ and RTL (``fwparity selftest --mutants``).

Every mutant in :data:`fwparity._mutants.MUTANTS` (35 single faults: rounding and overflow modes, an
accumulator one bit narrower, a weight LSB, a dropped bias, a table entry and a table index off by one,
softmax without the max subtraction, a ReLU dropped, pipeline stages misaligned by a cycle, two output bits
swapped ...) is built through the cache and validated against the reference on the default vectors
(``random_vectors``, 1000, seed 0). The table says, per fault and per fault class, whether fwparity detected
it, how many vectors it needed, and what FINN's ``atol=1e-1`` float check and a print-only test bench would
have caught. Target: 100% detected.

Run: ``python benchmarks/bench_mutants.py [--vectors N] [--only REGEX ...]`` (``make bench`` runs it).
"""

from __future__ import annotations

import argparse
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=None, help="validation vectors (default 1000)")
    parser.add_argument("--only", nargs="*", default=None, metavar="REGEX", help="mutants whose name matches")
    args = parser.parse_args(argv)

    from fwparity._mutants import DEFAULT_VECTORS
    from fwparity._mutants import main as run

    t0 = time.perf_counter()
    code = run(names=args.only, n_vectors=args.vectors or DEFAULT_VECTORS)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
