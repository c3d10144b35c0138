"""fwparity: prove, bit for bit, that FPGA trigger firmware computes what its software model computes.

Exit codes: 0 parity (or success), 1 mismatch, 2 usage or tool error.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from .errors import FwparityError, InvalidArgument

__all__ = ["main"]

EXIT_OK = 0
EXIT_MISMATCH = 1
EXIT_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on a usage error already; keep that, but never call sys.exit from library code."""


def _not_yet(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        print(f"fwparity {name}: not implemented yet", file=sys.stderr)
        return EXIT_ERROR

    return run


# --------------------------------------------------------------------------------------------------------------------
# Subcommand handlers: thin wrappers over library calls. Each returns an exit code.
# --------------------------------------------------------------------------------------------------------------------


def _cmd_selftest(args: argparse.Namespace) -> int:
    if args.mutants is not None:  # fault injection into the generated C++ and RTL (fwparity._mutants)
        from ._mutants import DEFAULT_VECTORS
        from ._mutants import main as run_mutants

        return run_mutants(names=args.mutants or None, n_vectors=args.vectors or DEFAULT_VECTORS, seed=args.seed)
    from .fixed._selftest import run_selftest

    return run_selftest(hls_include=args.hls_include, samples=args.samples, seed=args.seed)


@contextlib.contextmanager
def _os_errors(command: str) -> Iterator[None]:
    """Turn an OSError (unwritable report directory, disk full ...) into exit 2 with the file named."""
    try:
        yield
    except OSError as exc:
        name = exc.filename if exc.filename is not None else ""
        raise FwparityError(f"cannot use {str(name)!r}: {exc.strerror or exc}") from None


def _chunk_option(args: argparse.Namespace) -> dict[str, int]:
    """``--chunk-size`` when given; otherwise the pipeline's own default (10,000 in one process; on dask
    100,000 for emulate and 20,000 for validate, which holds every backend's trace of a chunk)."""
    return {} if args.chunk_size is None else {"chunk_size": args.chunk_size}


def _cmd_emulate(args: argparse.Namespace) -> int:
    """Stream INPUT through the bit-exact reference into a schema-1 HDF5 file, in chunks, atomically."""
    from ._pipeline import emulate_file, resolve_model, warn_nonfinite

    with _os_errors("emulate"):
        model = resolve_model(args.model)
        if args.dask is not None:  # issue 8: the same file, chunks computed on a dask cluster (docs/scale.md)
            from .distributed import emulate_dask

            n, source = emulate_dask(
                model,
                args.input,
                args.output,
                address=args.dask,
                trace=args.trace,
                link_map=args.link_map,
                **_chunk_option(args),
            )
        else:
            n, source = emulate_file(
                model,
                args.input,
                args.output,
                trace=args.trace,
                link_map=args.link_map,
                **_chunk_option(args),
            )
    warn_nonfinite(source, model)
    print(f"wrote {args.output}: {n} events through model {model.name!r}")
    return EXIT_OK


def _print_and_write(comparison: object, report_dir: str) -> int:
    from .report import render_terminal, write_reports

    with _os_errors("validate"):
        paths = write_reports(comparison, report_dir)
    render_terminal(comparison)
    print(f"reports: {', '.join(str(p) for p in paths.values())}")
    return int(comparison.exit_code)  # type: ignore[attr-defined]


def _cmd_validate(args: argparse.Namespace) -> int:
    """Run MODEL through the backends of --against on the same raw codes; reports in --report-dir."""
    from ._pipeline import (
        board_capture,
        check_positive,
        make_backends,
        open_inputs,
        parse_against,
        resolve_model,
        run_validation,
        warn_nonfinite,
    )

    check_positive(args.max_listed, "--max-listed")
    check_positive(args.chunk_size, "--chunk-size")
    if args.tolerance_lsb is not None and args.tolerance_lsb < 0:
        raise InvalidArgument(f"--tolerance-lsb must be at least 0, not {args.tolerance_lsb!r}")
    with _os_errors("validate"):
        model = resolve_model(args.model)
        if args.board_capture is not None:
            if args.link_map is None or args.vectors is None:
                raise InvalidArgument(
                    "--board-capture needs --vectors INPUT_PATTERN_FILE and --link-map MAP as well"
                )
            comparison = board_capture(
                model,
                inputs=args.vectors,
                capture=args.board_capture,
                link_map=args.link_map,
                tolerance_lsb=args.tolerance_lsb,
                max_listed=args.max_listed,
            )
            return _print_and_write(comparison, args.report_dir)
        default = "reference,csim" + (",rtl" if args.rtl is not None else "")
        against = parse_against(args.against if args.against is not None else default)
        source = open_inputs(
            model, vectors=args.vectors, random=args.random, seed=args.seed, link_map=args.link_map
        )
        backends = make_backends(model, against, csim=args.csim, rtl=args.rtl, model_path=Path(args.model))
        if args.dask is not None:  # issue 8: chunks validated on a dask cluster, merged here (docs/scale.md)
            from .distributed import run_validation_dask

            comparison = run_validation_dask(
                model,
                source,
                backends,
                vectors=args.vectors,
                address=args.dask,
                tolerance_lsb=args.tolerance_lsb,
                max_listed=args.max_listed,
                **_chunk_option(args),
            )
        else:
            comparison = run_validation(
                model,
                source,
                backends,
                tolerance_lsb=args.tolerance_lsb,
                max_listed=args.max_listed,
                **_chunk_option(args),
            )
    warn_nonfinite(source, model)
    return _print_and_write(comparison, args.report_dir)
def _cmd_fuzz(args: argparse.Namespace) -> int:
    """Search for vectors (or, with --random-models, models) on which the backends disagree; save the minimal one."""
    import os

    from ._fuzz import fuzz, fuzz_random_models
    from ._pipeline import check_positive, make_backends, parse_against, resolve_model
    from .report import diff_report

    check_positive(args.examples, "--examples")
    check_positive(args.max_batch, "--max-batch")
    if args.time_budget is not None and not args.time_budget > 0:
        raise InvalidArgument(f"--time-budget must be a positive number of seconds, not {args.time_budget!r}")
    default = "reference,csim" + (",rtl" if args.rtl is not None else "")
    text = args.against if args.against is not None else default
    if len([n for n in text.split(",") if n.strip()]) == 1:
        text = f"reference,{text}"  # one backend under test: against the reference
    against = parse_against(text)
    examples = args.examples if args.examples is not None or args.time_budget is not None else None
    if args.random_models:
        if args.model is not None or args.csim is not None:
            raise InvalidArgument("--random-models draws its own models: give neither MODEL nor --csim")
        from .strategies import MODEL_KINDS

        kinds: tuple[str, ...] = MODEL_KINDS
        if "rtl" in against:
            from .rtlsim import SUPPORTED_KINDS

            kinds = tuple(k for k in MODEL_KINDS if k in SUPPORTED_KINDS)
        result = fuzz_random_models(
            lambda m: make_backends(m, against, csim=None, rtl=args.rtl, model_path=Path(os.devnull)),
            examples=examples, time_budget=args.time_budget, seed=args.seed, save=args.save, kinds=kinds,
        )
    else:
        if args.model is None:
            raise InvalidArgument("fuzz needs MODEL (a model file or an hls4ml project), or --random-models")
        model = resolve_model(args.model)
        backends = make_backends(model, against, csim=args.csim, rtl=args.rtl, model_path=Path(args.model))
        result = fuzz(model, backends, examples=examples, time_budget=args.time_budget, seed=args.seed,
                      save=args.save, max_batch=args.max_batch)
    if result.replayed and not result.examples and result.status != "parity":
        print(f"fwparity fuzz: the {result.replayed} saved regression vectors in {args.save} still fail")
    if result.status == "parity":
        replay = f", {result.replayed} saved regression vectors replayed" if result.replayed else ""
        print(f"fwparity fuzz: parity: {result.examples} examples, {result.vectors} vectors in "
              f"{result.seconds:.1f} s{replay}")
        return EXIT_OK
    print(diff_report(result.comparison))
    for path in result.saved:
        print(f"wrote {path}")
    return EXIT_MISMATCH


def _cmd_vectors_info(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .vectors import info, render_info

    console = Console()
    for renderable in render_info(info(args.file)):
        console.print(renderable)
    return EXIT_OK


def _cmd_vectors_convert(args: argparse.Namespace) -> int:
    from .vectors import convert

    for path in convert(args.input, args.output, to=args.to, link_map=args.link_map):
        print(f"wrote {path}")
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    """Re-render a report.json: the terminal summary, and report.html with ``--html``. A bad file exits 2."""
    from .report import read_json, render_terminal, write_html

    comparison = read_json(args.report)  # FormatError -> exit 2 with the message, via main()
    render_terminal(comparison)
    if args.html:
        path = write_html(comparison, args.html)
        print(f"wrote {path}")
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    """Validate the bundled example (reference vs csim vs RTL) into --out (default ./fwparity-demo)."""
    from ._demo import run_demo
    from ._pipeline import parse_against
    from .report import render_terminal

    against = parse_against(args.against) if args.against is not None else None
    with _os_errors("demo"):
        comparison, paths = run_demo(args.out, against)
    render_terminal(comparison)
    print(f"reports: {', '.join(str(p) for p in paths.values())}")
    return int(comparison.exit_code)


# --------------------------------------------------------------------------------------------------------------------


_DASK_HELP = (
    "run the chunks on dask (pip install 'fwparity[dask]'): alone, a local cluster with one worker per core; "
    "with a scheduler ADDRESS (tcp://host:8786 or a scheduler .json file), that cluster (docs/scale.md)"
)


def _get_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fwparity", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    from . import __version__

    parser.add_argument("--version", action="version", version=f"fwparity {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("selftest", help="compare fwparity.fixed with the real ap_fixed headers compiled by g++")
    p.add_argument("--hls-include", metavar="DIR", default=None, help="directory holding ap_fixed.h")
    p.add_argument("--samples", type=int, default=20000, metavar="N", help="(type, value) pairs per mode family")
    p.add_argument("--seed", type=int, default=0, metavar="S")
    p.add_argument("--mutants", nargs="*", default=None, metavar="REGEX",
                   help="instead: inject single faults into the jet MLP's generated C++/RTL (all, or those matching)")
    p.add_argument("--vectors", type=int, default=None, metavar="N", help="with --mutants: validation vectors")
    p.set_defaults(func=lambda a: _cmd_selftest(a))

    p = sub.add_parser("emulate", help="run the bit-exact reference over an input file")
    p.add_argument("model")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True, help="schema-1 HDF5 file to write")
    p.add_argument("--trace", action="store_true", help="also write every layer's output (trace/reference/)")
    p.add_argument(
        "--chunk-size", type=int, default=None, metavar="N", help="events per chunk (10,000; 100,000 with --dask)"
    )
    p.add_argument("--link-map", metavar="MAP", default=None, help="link map, when INPUT is an EMP/APx file")
    p.add_argument("--dask", nargs="?", const="local", default=None, metavar="ADDRESS", help=_DASK_HELP)
    p.set_defaults(func=lambda a: _cmd_emulate(a))

    p = sub.add_parser("validate", help="compare reference, csim and RTL on the same vectors")
    p.add_argument("model")
    p.add_argument("--csim", metavar="HLS_PROJECT", default=None)
    p.add_argument("--rtl", metavar="auto|MANIFEST", default=None)
    p.add_argument("--vectors", metavar="FILE", default=None)
    p.add_argument("--random", metavar="N", type=int, default=None)
    p.add_argument("--seed", metavar="S", type=int, default=0)
    p.add_argument(
        "--against", default=None, help="backends, expected first (default: reference,csim[,rtl with --rtl])"
    )
    p.add_argument("--report-dir", metavar="DIR", default="fwparity-report")
    p.add_argument("--tolerance-lsb", type=int, default=0, metavar="N", help="differences of <= N LSB pass")
    p.add_argument("--max-listed", type=int, default=100, metavar="N", help="mismatches listed in the report")
    p.add_argument(
        "--chunk-size", type=int, default=None, metavar="N", help="vectors per chunk (10,000; 20,000 with --dask)"
    )
    p.add_argument("--board-capture", metavar="FILE", default=None, help="output pattern file from a board")
    p.add_argument("--link-map", metavar="MAP", default=None, help="link map for EMP/APx pattern files")
    p.add_argument("--dask", nargs="?", const="local", default=None, metavar="ADDRESS", help=_DASK_HELP)
    p.set_defaults(func=lambda a: _cmd_validate(a))

    p = sub.add_parser("fuzz", help="hypothesis-driven search for a mismatch, shrunk and saved (docs/fuzzing.md)")
    p.add_argument("model", nargs="?", default=None, help="model file or hls4ml project (not with --random-models)")
    p.add_argument("--csim", metavar="HLS_PROJECT", default=None, help="C++ under test: hls4ml project or manifest")
    p.add_argument("--rtl", metavar="auto|MANIFEST", default=None, help="RTL under test")
    p.add_argument("--against", default=None, help="backends, first = expected (default reference,csim[,rtl])")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--examples", type=int, default=None, metavar="N", help="batches to try (default 100)")
    budget.add_argument("--time-budget", type=float, default=None, metavar="S", help="seconds to search")
    p.add_argument("--save", metavar="FILE", default="fwparity-fuzz.h5",
                   help="regression vector file: replayed first, written on a mismatch (default %(default)s)")
    p.add_argument("--seed", type=int, default=0, metavar="S")
    p.add_argument("--max-batch", type=int, default=32, metavar="N", help="largest batch of vectors per example")
    p.add_argument("--random-models", action="store_true", help="draw small random models too (slow: a build each)")
    p.set_defaults(func=lambda a: _cmd_fuzz(a))

    p = sub.add_parser("vectors", help="inspect or convert vector and pattern files")
    vsub = p.add_subparsers(dest="vectors_command", metavar="ACTION")
    vsub.required = True
    q = vsub.add_parser("info", help="summarise a vector or pattern file")
    q.add_argument("file")
    q.set_defaults(func=lambda a: _cmd_vectors_info(a))
    q = vsub.add_parser("convert", help="convert between HDF5, hls4ml .dat, EMPv1, EMPv2 and APx")
    q.add_argument("input")
    q.add_argument("output")
    q.add_argument("--to", choices=["hdf5", "dat", "EMPv1", "EMPv2", "APx"], default=None)
    q.add_argument("--link-map", metavar="MAP", default=None)
    q.set_defaults(func=lambda a: _cmd_vectors_convert(a))

    p = sub.add_parser("report", help="render a report.json")
    p.add_argument("report")
    p.add_argument("--html", metavar="FILE", default=None)
    p.set_defaults(func=lambda a: _cmd_report(a))

    p = sub.add_parser("demo", help="validate the bundled example model")
    p.add_argument("--out", metavar="DIR", default="fwparity-demo", help="report directory")
    p.add_argument("--against", default=None, help="backends to run (default: reference,csim,rtl)")
    p.set_defaults(func=lambda a: _cmd_demo(a))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (the console script passes it to ``sys.exit``)."""
    parser = _get_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse reports usage errors by exiting
        return int(exc.code) if isinstance(exc.code, int) else EXIT_ERROR
    try:
        return int(args.func(args))
    except FwparityError as exc:
        print(f"fwparity {args.command}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"fwparity {args.command}: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except Exception:
        # A bug, not a verdict: Python's exit status for a traceback is 1, which CI would read as "mismatch".
        import traceback

        traceback.print_exc()
        message = f"fwparity {args.command}: internal error (the traceback above is a fwparity bug)"
        print(message, file=sys.stderr)
        return EXIT_ERROR
