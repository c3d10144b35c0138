"""The engine under ``fwparity fuzz``: hypothesis searches for a batch of input vectors (or a whole random
model) on which two backends disagree, shrinks it to a minimal case, and saves it as a regression vector file.

Backends are made (and so compiled) once per model: a CsimBackend's build is cached by content and its worker
pool is process-wide, so each example costs one batched call per backend. The search runs in rounds of
hypothesis examples, each round with its own seed, until ``examples`` are spent or ``time_budget`` seconds
have passed. A failing batch is shrunk by hypothesis (fewer vectors, codes towards 0, ±1 LSB and the range
ends; with random models, fewer and narrower layers too), re-run with traces, and written as:

- ``FILE`` (HDF5 vector file, schema 1): ``inputs/<name>`` raw codes and ``outputs/<backend>/<name>`` of every
  backend;
- ``FILE`` with suffix ``.report.json``: the comparison (report.json schema 1);
- with random models, ``FILE`` with suffix ``.model.h5``: the minimal model (native format).

An existing ``FILE`` is replayed before any search: if it still fails, that is the result (exit 1) and no new
search runs; if it passes, its vectors are kept in the file next to any new failure, so regressions
accumulate.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InvalidArgument

__all__ = ["FuzzResult", "fuzz", "fuzz_random_models", "replay", "regression_paths"]

_ROUND = 25  # examples per hypothesis round when a time budget drives the search


@dataclass
class FuzzResult:
    """The outcome of a fuzzing run.

    Attributes
    ----------
    status : str
        ``"parity"`` (no mismatch found) or ``"mismatch"``.
    examples, vectors : int
        Batches tried and vectors run through every backend (shrinking included).
    seconds : float
        Wall time.
    comparison : Comparison or None
        The minimal failing case's comparison (with traces when the backends give them).
    inputs : dict or None
        Its raw inputs, input name -> ``(N, *shape)``.
    model : Model or None
        The model it fails on (the shrunk model with random models).
    saved : list of Path
        Files written.
    replayed : int
        Regression vectors replayed before the search.
    """

    status: str
    examples: int = 0
    vectors: int = 0
    seconds: float = 0.0
    comparison: Any = None
    inputs: dict[str, np.ndarray] | None = None
    model: Any = None
    saved: list[Path] = field(default_factory=list)
    replayed: int = 0


class _Found(Exception):
    """Raised inside the hypothesis test when the backends disagree (hypothesis then shrinks)."""


def regression_paths(save: str | os.PathLike[str]) -> tuple[Path, Path, Path]:
    """(vector file, its report.json, its model file) for a ``--save FILE``."""
    path = Path(save)
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return path, path.with_name(f"{stem}.report.json"), path.with_name(f"{stem}.model.h5")


def _check_budget(examples: int | None, time_budget: float | None) -> None:
    if examples is not None and (isinstance(examples, bool) or not isinstance(examples, int) or examples < 1):
        raise InvalidArgument(f"examples must be a positive integer, not examples={examples!r}")
    if time_budget is not None and not time_budget > 0:
        raise InvalidArgument(
            f"time_budget must be a positive number of seconds, not time_budget={time_budget!r}"
        )


def _run(
    backends: Sequence[Any], model: Any, raw: Mapping[str, np.ndarray], *, trace: bool, seed: int | None
) -> tuple[Any, list[Any]]:
    from .compare import compare_runs

    results = [b.run(model, raw, trace=trace) for b in backends]
    comparison = compare_runs(results, model, inputs=dict(raw), vector_source="fuzz", seed=seed)
    return comparison, results


def _search(
    strategy: Any, check: Callable[[Any], bool], *, examples: int | None, time_budget: float | None, seed: int
) -> tuple[Any, int]:
    """Run hypothesis on ``strategy`` until ``check(case)`` is True; return (minimal case or None,
    examples)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed
    from hypothesis.reporting import with_reporter

    failures: list[Any] = []
    count = [0]
    t0 = time.monotonic()
    round_no = 0
    while True:
        remaining = None if examples is None else examples - count[0]
        if remaining is not None and remaining <= 0:
            return None, count[0]
        # without a time budget, one round of all the examples; with one, short rounds until it is spent
        n = remaining if time_budget is None else min(_ROUND, remaining or _ROUND)
        assert n is not None

        @settings(
            max_examples=n,
            database=None,
            deadline=None,
            derandomize=False,
            report_multiple_bugs=False,
            phases=(Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck),
        )
        @hseed(seed * 1_000_003 + round_no)
        @given(strategy)
        def test(case: Any) -> None:
            count[0] += 1
            if check(case):
                failures.append(case)
                raise _Found

        try:
            with with_reporter(lambda _text: None):  # hypothesis would print "Falsifying example: ..."
                test()
        except _Found:
            return failures[-1], count[0]  # the last failing call is the shrunk example hypothesis replays
        round_no += 1
        if time_budget is None or time.monotonic() - t0 >= time_budget:
            return None, count[0]


def _one_vector(batch: dict[str, np.ndarray], check: Callable[[Any], bool]) -> dict[str, np.ndarray]:
    """The first single vector of ``batch`` that fails on its own, else the batch.

    hypothesis' shortlex shrinking sometimes keeps a harmless vector in front of the failing one (deleting it
    would not shorten the choice sequence it compares); a mismatch of one vector is what a reader wants to
    see.
    """
    n = int(next(iter(batch.values())).shape[0])
    if n > 1:
        for i in range(n):
            single = {name: arr[i : i + 1] for name, arr in batch.items()}
            if check(single):
                return single
    return batch


def _load_regressions(path: Path, model: Any) -> dict[str, np.ndarray] | None:
    from .vectors import read_inputs

    if not path.exists():
        return None
    return read_inputs(path, model)


def _concat(a: Mapping[str, np.ndarray] | None, b: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    if not a:
        return dict(b)
    return {name: np.concatenate([np.asarray(a[name]), np.asarray(b[name])]) for name in b}


def _save(
    save: str | os.PathLike[str],
    model: Any,
    comparison: Any,
    results: Sequence[Any],
    inputs: Mapping[str, np.ndarray],
    seed: int,
    *,
    with_model: bool,
) -> list[Path]:
    from .report import write_json
    from .vectors import VectorSet, write_vectors

    vec_path, report_path, model_path = regression_paths(save)
    vec_path.parent.mkdir(parents=True, exist_ok=True)
    vs = VectorSet(model_sha256=model.sha256(), seed=seed)
    for tensor in model.inputs:
        vs.add_input(tensor.name, np.asarray(inputs[tensor.name]), tensor.type)
    for result in results:
        for name, raw in result.outputs.items():
            vs.add_output(result.backend, name, raw, model.output_types[name])
    write_vectors(vec_path, vs)
    write_json(comparison, report_path)
    paths = [vec_path, report_path]
    if with_model:
        model.save(model_path)
        paths.append(model_path)
    return paths


def replay(model: Any, backends: Sequence[Any], path: str | os.PathLike[str], *, seed: int = 0) -> Any:
    """Run the regression vectors saved in ``path`` through ``backends``; return the Comparison."""
    raw = _load_regressions(Path(path), model)
    if raw is None:
        raise InvalidArgument(f"Regression file path={os.fspath(path)!r} does not exist")
    return _run(backends, model, raw, trace=True, seed=seed)[0]


def fuzz(
    model: Any,
    backends: Sequence[Any],
    *,
    examples: int | None = 100,
    time_budget: float | None = None,
    seed: int = 0,
    save: str | os.PathLike[str] | None = None,
    max_batch: int = 32,
) -> FuzzResult:
    """Search for input vectors on which ``backends`` (the first = expected) disagree on ``model``.

    Parameters
    ----------
    model
        The :class:`~fwparity.model.Model`.
    backends
        Backend objects (see :func:`fwparity.get_backend`); each is built once and run once per example.
    examples, time_budget
        Stop after ``examples`` batches, or after ``time_budget`` seconds (``examples=None``), or whichever
        comes first when both are given.
    seed
        Seed of the search: the same seed gives the same batches.
    save
        Regression vector file: replayed first if it exists, written when a mismatch is found.
    max_batch
        Largest batch of vectors per example (:func:`fwparity.strategies.input_vectors`).

    Returns
    -------
    FuzzResult
    """
    from .strategies import input_vectors

    _check_budget(examples, time_budget)
    if examples is None and time_budget is None:
        examples = 100
    if len(backends) < 2:
        raise InvalidArgument(f"fuzz needs at least two backends to compare, not {len(backends)}")
    t0 = time.perf_counter()
    previous = _load_regressions(Path(save), model) if save is not None else None
    replayed = 0
    if previous is not None:
        replayed = int(next(iter(previous.values())).shape[0])
        comparison, results = _run(backends, model, previous, trace=True, seed=seed)
        if comparison.status != "parity":
            return FuzzResult(
                "mismatch", 0, replayed, time.perf_counter() - t0, comparison, previous, model, [], replayed
            )
    vectors = [0]

    def check(batch: dict[str, np.ndarray]) -> bool:
        vectors[0] += int(next(iter(batch.values())).shape[0])
        comparison, _ = _run(backends, model, batch, trace=False, seed=seed)
        return bool(comparison.status != "parity")

    found, count = _search(
        input_vectors(model, max_size=max_batch), check, examples=examples, time_budget=time_budget, seed=seed
    )
    if found is None:
        return FuzzResult("parity", count, vectors[0], time.perf_counter() - t0, replayed=replayed)
    found = _one_vector(found, check)
    inputs = _concat(previous, found)
    comparison, results = _run(backends, model, inputs, trace=True, seed=seed)
    saved = (
        _save(save, model, comparison, results, inputs, seed, with_model=False) if save is not None else []
    )
    return FuzzResult(
        "mismatch", count, vectors[0], time.perf_counter() - t0, comparison, inputs, model, saved, replayed
    )


def fuzz_random_models(
    make_backends: Callable[[Any], Sequence[Any]],
    *,
    examples: int | None = 20,
    time_budget: float | None = None,
    seed: int = 0,
    save: str | os.PathLike[str] | None = None,
    kinds: Sequence[str] | None = None,
    max_layers: int = 3,
    max_batch: int = 16,
) -> FuzzResult:
    """Search for a model and input vectors on which the backends from ``make_backends(model)`` disagree.

    Every example draws a small model (:func:`fwparity.strategies.models`) and a batch for it; each new model
    costs a build (seconds for csim), so keep ``examples`` small. A failure shrinks to a minimal model *and* a
    minimal batch; both are saved (``save``), and a saved model with its vectors is replayed first.
    """
    from hypothesis import strategies as st

    from .model import load_model
    from .strategies import MODEL_KINDS, input_vectors, models

    _check_budget(examples, time_budget)
    if examples is None and time_budget is None:
        examples = 20
    t0 = time.perf_counter()
    replayed = 0
    if save is not None:
        vec_path, _, model_path = regression_paths(save)
        if vec_path.exists() and model_path.exists():
            old_model = load_model(model_path)
            previous = _load_regressions(vec_path, old_model)
            assert previous is not None
            replayed = int(next(iter(previous.values())).shape[0])
            comparison, _ = _run(make_backends(old_model), old_model, previous, trace=True, seed=seed)
            if comparison.status != "parity":
                return FuzzResult(
                    "mismatch",
                    0,
                    replayed,
                    time.perf_counter() - t0,
                    comparison,
                    previous,
                    old_model,
                    [],
                    replayed,
                )
    strategy = models(kinds=tuple(kinds or MODEL_KINDS), max_layers=max_layers).flatmap(
        lambda m: st.tuples(st.just(m), input_vectors(m, max_size=max_batch))
    )
    vectors = [0]

    def check(case: tuple[Any, dict[str, np.ndarray]]) -> bool:
        model, batch = case
        vectors[0] += int(next(iter(batch.values())).shape[0])
        comparison, _ = _run(make_backends(model), model, batch, trace=False, seed=seed)
        return bool(comparison.status != "parity")

    found, count = _search(strategy, check, examples=examples, time_budget=time_budget, seed=seed)
    if found is None:
        return FuzzResult("parity", count, vectors[0], time.perf_counter() - t0, replayed=replayed)
    model, inputs = found
    comparison, results = _run(make_backends(model), model, inputs, trace=True, seed=seed)
    saved = _save(save, model, comparison, results, inputs, seed, with_model=True) if save is not None else []
    return FuzzResult(
        "mismatch", count, vectors[0], time.perf_counter() - t0, comparison, inputs, model, saved, replayed
    )
