"""fwparity.distributed: emulate and validate on a real dask LocalCluster give what one process gives.

The oracle is the single-process pipeline (``emulate_file``, ``run_validation``), itself proven against the
compiled headers and hls4ml elsewhere; here every dataset of the assembled file and the whole report JSON
(less the ``seconds`` timings) must be equal to it, with chunks that do not line up with the single-process
ones, with mismatches in every chunk, and after a worker process is killed in the middle of a run.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from fwparity import _toolchain, cli
from fwparity._backend import get_backend
from fwparity._example import example_inputs, example_model
from fwparity._pipeline import emulate_file, open_inputs, run_validation
from fwparity.errors import InvalidArgument
from fwparity.model import Layer, Model, Tensor
from fwparity.vectors import VectorSet, read_vectors, write_vectors
from tests.dask_helpers import TamperedReference

N_EVENTS = 12_345


def _require_dask() -> None:
    if importlib.util.find_spec("distributed") is not None:
        return
    what = "dask.distributed (pip install 'fwparity[dask]')"
    if _toolchain.tools_required():
        pytest.fail(f"FWPARITY_REQUIRE_TOOLS is set but this test needs {what}", pytrace=False)
    pytest.skip(f"needs {what}; set FWPARITY_REQUIRE_TOOLS=1 to fail instead")


def _local_cluster() -> Any:
    import logging

    from distributed import LocalCluster

    from fwparity.distributed import WORKER_ENV

    return LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # a free port: never the default 8787 another cluster may hold
        env=dict(WORKER_ENV),
        silence_logs=logging.ERROR,
    )


@pytest.fixture(scope="module")
def cluster() -> Any:
    """One two-worker LocalCluster shared by the tests that do not kill its workers (start-up costs ~5 s)."""
    _require_dask()
    with _local_cluster() as c:
        yield c.scheduler_address


@pytest.fixture(scope="module")
def model() -> Model:
    return example_model()


def _write_jets(path: Path, n: int, *, seed: int = 3) -> Path:
    x = example_inputs(n, seed=seed)
    x[5, 2], x[17, 0], x[n - 1, 15] = np.nan, np.inf, -np.inf  # counted and warned about, in any chunk
    with h5py.File(path, "w") as f:
        f.attrs["fwparity_schema"] = 1
        f.attrs["seed"] = seed
        f.create_dataset("inputs/jets", data=x, chunks=(1024, 16))
    return path


@pytest.fixture(scope="module")
def jets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_jets(tmp_path_factory.mktemp("jets") / "jets.h5", N_EVENTS)


def _assert_same_file(actual: Path, expected: Path) -> None:
    a, e = read_vectors(actual), read_vectors(expected)
    assert (a.model_sha256, a.seed) == (e.model_sha256, e.seed)
    for group in ("inputs", "outputs", "trace"):
        assert getattr(a, group).keys() == getattr(e, group).keys(), group
    for name, arr in e.inputs.items():
        assert a.input_types[name] == e.input_types[name]
        np.testing.assert_array_equal(a.inputs[name], arr, err_msg=f"inputs/{name}")
        assert a.inputs[name].dtype == arr.dtype
    for group, types in (("outputs", "output_types"), ("trace", "trace_types")):
        for backend, arrays in getattr(e, group).items():
            assert getattr(a, group)[backend].keys() == arrays.keys()
            for name, arr in arrays.items():
                assert getattr(a, types)[backend][name] == getattr(e, types)[backend][name]
                np.testing.assert_array_equal(
                    getattr(a, group)[backend][name], arr, err_msg=f"{group}/{name}"
                )


def _leftovers(directory: Path, *keep: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p not in keep)


# -- emulate -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trace", "chunk_size"),
    [
        # 64 int64 per event in trace/fc1: 1 MiB HDF5 chunks hold 2048 rows, so each 5000-event part is four
        # 1250-row HDF5 chunks and the last part ends in a partial one.
        pytest.param(True, 5000, id="trace-multi-hdf5-chunks"),
        pytest.param(False, 3000, id="outputs-only"),
    ],
)
def test_emulate_equals_single_process(
    cluster: str, model: Model, jets: Path, tmp_path: Path, trace: bool, chunk_size: int
) -> None:
    from fwparity.distributed import emulate_dask

    n, source = emulate_file(model, jets, tmp_path / "single.h5", trace=trace)
    n_dask, source_dask = emulate_dask(
        model, jets, tmp_path / "dask.h5", address=cluster, trace=trace, chunk_size=chunk_size
    )
    assert (n_dask, n) == (N_EVENTS, N_EVENTS)
    assert source_dask.nonfinite == source.nonfinite == {"nan": 1, "inf": 2}
    _assert_same_file(tmp_path / "dask.h5", tmp_path / "single.h5")
    with h5py.File(tmp_path / "dask.h5") as f:  # the parts' 1 MiB chunking was kept, not re-chunked
        chunks = f["trace/reference/fc1"].chunks if trace else f["outputs/reference/softmax"].chunks
    assert chunks == ((1250, 64) if trace else (3000, 5))
    assert _leftovers(tmp_path) == ["dask.h5", "single.h5"]  # part files and their directory are gone


def test_emulate_wide_types_and_dat_input(cluster: str, tmp_path: Path) -> None:
    """ap_fixed<70,20> is stored as uint64 words (an extra axis); a .dat input travels with the tasks."""
    from fwparity.distributed import emulate_dask

    wide = Model(
        "wide",
        [Tensor("x", (3,), "ap_fixed<70,20>")],
        [Layer("r", "relu", ["x"], (3,), {"result": "ap_fixed<70,12,AP_TRN,AP_SAT>"})],
        ["r"],
    )
    rng = np.random.default_rng(0)
    raw = np.array(
        [[int(v) << 40 for v in row] for row in rng.integers(-(1 << 28), 1 << 28, (257, 3))], object
    )
    vs = VectorSet(seed=9)
    vs.add_input("x", raw, "ap_fixed<70,20>")
    write_vectors(tmp_path / "wide.h5", vs)
    emulate_file(wide, tmp_path / "wide.h5", tmp_path / "single.h5", trace=True)
    emulate_dask(
        wide, tmp_path / "wide.h5", tmp_path / "dask.h5", address=cluster, trace=True, chunk_size=100
    )
    _assert_same_file(tmp_path / "dask.h5", tmp_path / "single.h5")
    out = read_vectors(tmp_path / "dask.h5").outputs["reference"]["r"]
    assert out.dtype == object and int(np.max(out)) == (1 << 69) - 1  # saturated: the wide path was taken

    model = example_model()
    dat = tmp_path / "jets.dat"
    dat.write_text("".join(" ".join(f"{v:.6f}" for v in row) + "\n" for row in example_inputs(2100)))
    emulate_file(model, dat, tmp_path / "single_dat.h5")
    emulate_dask(model, dat, tmp_path / "dask_dat.h5", address=cluster, chunk_size=1000)
    _assert_same_file(tmp_path / "dask_dat.h5", tmp_path / "single_dat.h5")


# -- validate ------------------------------------------------------------------------------------------------


def _without_timing(report: dict[str, Any]) -> dict[str, Any]:
    report = copy.deepcopy(report)
    for pair in report["comparisons"]:
        pair.pop("seconds")
    return report


def _backends(pairs: int) -> list[Any]:
    # One raw weight of fc2 changed by 2 in its int part: mismatches in most events of every chunk; one of the
    # output layer changed by 1/128: mismatches in a few events.
    tampered = [TamperedReference("fc2", (3, 7), 1 << 11), TamperedReference("output", (5, 2), 1 << 3)]
    return [get_backend("reference"), *tampered[:pairs]]


@pytest.mark.parametrize(
    ("where", "pairs"),
    [
        pytest.param("hdf5", 1, id="workers-read-hdf5-slices"),
        pytest.param("random", 1, id="random-vectors-sent-with-tasks"),
        pytest.param("random", 2, id="two-pairs"),
    ],
)
def test_validate_equals_single_process(
    cluster: str, model: Model, jets: Path, where: str, pairs: int
) -> None:
    from fwparity.distributed import run_validation_dask, validate_dask

    kwargs: dict[str, Any] = {"vectors": jets} if where == "hdf5" else {"random": 3000, "seed": 11}
    # One chunk: the plain compare_runs of the whole vector set, the definition of the right answer.
    single = run_validation(
        model, open_inputs(model, **kwargs), _backends(pairs), chunk_size=N_EVENTS, max_listed=7
    )
    source = open_inputs(model, **kwargs)
    spread = run_validation_dask(
        model,
        source,
        _backends(pairs),
        vectors=kwargs.get("vectors"),
        address=cluster,
        chunk_size=1000,
        max_listed=7,
    )
    expected = _without_timing(single.to_json())
    # Not a vacuous equality: mismatches in many chunks, the listed ones truncated, a first divergent layer.
    pair = expected["comparisons"][0]
    assert expected["status"] == "mismatch" and pair["first_divergent_layer"] == "fc2"
    assert pair["mismatched_vectors"] > 300 and len(pair["mismatches"]) == 7
    assert _without_timing(spread.to_json()) == expected
    if where == "hdf5":
        assert source.nonfinite == {"nan": 1, "inf": 2}  # counted by the workers, summed here
        # the library entry point with backend objects, and another chunking
        via = validate_dask(
            model, jets, against=_backends(pairs), address=cluster, chunk_size=1500, max_listed=7
        )
        assert _without_timing(via.to_json()) == expected


@pytest.mark.requires_gxx
def test_cli_validate_csim_equals_single_process(cluster: str, tmp_path: Path, capsys: Any) -> None:
    """``fwparity validate --dask ADDRESS`` with real csim: the same report.json, one csim runner a worker."""
    from distributed import Client

    model_file = tmp_path / "jet.fwp.h5"
    example_model().save(model_file)
    vectors = _write_jets(tmp_path / "jets.h5", 3000)
    common = ["validate", str(model_file), "--vectors", str(vectors), "--against", "reference,csim"]
    assert cli.main([*common, "--report-dir", str(tmp_path / "single")]) == 0
    assert (
        cli.main([*common, "--report-dir", str(tmp_path / "dask"), "--dask", cluster, "--chunk-size", "700"])
        == 0
    )
    capsys.readouterr()
    single, spread = (json.loads((tmp_path / d / "report.json").read_text()) for d in ("single", "dask"))
    assert spread["status"] == "parity" and spread["vectors"]["count"] == 3000
    assert spread["comparisons"][0]["layers"], "csim traced every layer"
    assert _without_timing(spread) == _without_timing(single)

    def runners() -> int:
        module = sys.modules.get("fwparity.csim._backend")
        return 0 if module is None else len(module._POOL)

    with Client(cluster) as client:
        per_worker = client.run(runners)
    assert sorted(per_worker.values())[-1] == 1 and set(per_worker.values()) <= {0, 1}, per_worker


# -- failures ------------------------------------------------------------------------------------------------


def test_worker_killed_mid_run_loses_and_duplicates_nothing(model: Model, tmp_path: Path) -> None:
    """SIGKILL a worker while it runs a chunk: dask reruns its tasks elsewhere, the file is still exact."""
    _require_dask()
    from distributed import Client

    from fwparity.distributed import emulate_dask

    jets = _write_jets(tmp_path / "jets.h5", 30_000)
    emulate_file(model, jets, tmp_path / "single.h5", trace=True)
    killed: dict[str, Any] = {}
    finished = threading.Event()

    def kill_one_busy_worker(client: Any, pids: dict[str, int]) -> None:
        deadline = time.monotonic() + 60
        while not finished.is_set() and time.monotonic() < deadline:
            busy = {w: keys for w, keys in client.processing().items() if keys}
            # Wait until a few chunks are done, so the kill lands in the middle of the run.
            started = [int(str(k).rsplit("-", 1)[1]) for keys in busy.values() for k in keys]
            if busy and min(started) >= 4:
                worker, keys = next(iter(busy.items()))
                killed.update(pid=pids[worker], keys=[str(k) for k in keys])
                os.kill(pids[worker], signal.SIGKILL)
                return
            time.sleep(0.005)

    with _local_cluster() as c, Client(c) as client:
        pids = client.run(os.getpid)
        killer = threading.Thread(target=kill_one_busy_worker, args=(client, pids))
        killer.start()
        try:
            n, _ = emulate_dask(
                model, jets, tmp_path / "dask.h5", address=c.scheduler_address, trace=True, chunk_size=1000
            )
        finally:
            finished.set()
            killer.join()
        assert killed, "no worker was killed while the run lasted"
        client.wait_for_workers(2, timeout=60)
        assert killed["pid"] not in client.run(os.getpid).values()  # the nanny started a new process
    assert n == 30_000
    _assert_same_file(tmp_path / "dask.h5", tmp_path / "single.h5")
    assert _leftovers(tmp_path, jets) == ["dask.h5", "single.h5"]


@pytest.mark.parametrize(
    "command",
    [
        pytest.param("emulate", id="emulate"),
        # validate looks for g++ (the default --against has csim) before it reaches the dask branch
        pytest.param("validate", id="validate", marks=pytest.mark.requires_gxx),
    ],
)
def test_missing_dask_names_the_extra(
    command: str, jets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    model_file = tmp_path / "jet.fwp.h5"
    example_model().save(model_file)
    for name in ("dask", "distributed"):
        monkeypatch.setitem(sys.modules, name, None)  # how an environment without the extra imports
    if command == "emulate":
        argv = ["emulate", str(model_file), str(jets), "-o", str(tmp_path / "out.h5"), "--dask"]
    else:
        argv = [
            "validate",
            str(model_file),
            "--vectors",
            str(jets),
            "--report-dir",
            str(tmp_path / "r"),
            "--dask",
        ]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err == (
        f"fwparity {command}: --dask needs dask.distributed, which is not installed; "
        "install it with pip install 'fwparity[dask]'\n"
    )
    assert _leftovers(tmp_path) == ["jet.fwp.h5"]


def test_cli_emulate_dask_alone_starts_a_local_cluster(jets: Path, tmp_path: Path, capsys: Any) -> None:
    _require_dask()
    model_file = tmp_path / "jet.fwp.h5"
    example_model().save(model_file)
    out = tmp_path / "out.h5"
    assert (
        cli.main(["emulate", str(model_file), str(jets), "-o", str(out), "--chunk-size", "4000", "--dask"])
        == 0
    )
    captured = capsys.readouterr()
    assert captured.out == f"wrote {out}: {N_EVENTS} events through model 'jet_mlp'\n"
    assert "1 NaN and 2 infinite input value(s)" in captured.err
    emulate_file(example_model(), jets, tmp_path / "single.h5")
    _assert_same_file(out, tmp_path / "single.h5")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"chunk_size": 0}, r"^--chunk-size must be a positive integer, not 0$", id="chunk-size"),
        pytest.param(
            {"n_workers": 0}, r"^n_workers must be a positive integer, not n_workers=0$", id="n-workers"
        ),
        pytest.param(
            {"address": 42},
            r"^address must be a scheduler address or a Client, not address=42$",
            id="address-type",
        ),
        pytest.param(
            {"address": "tcp://127.0.0.1:1", "n_workers": 2},
            r"^n_workers=2 applies to a local cluster; the cluster at 'tcp://127.0.0.1:1' has its own$",
            id="n-workers-remote",
        ),
        pytest.param(
            {"address": "tcp://127.0.0.1:1"},
            r"^--dask 'tcp://127\.0\.0\.1:1': cannot reach a dask scheduler there \(Timed out trying to "
            r"connect to tcp://127\.0\.0\.1:1 after 1 s\)$",
            id="unreachable",
        ),
    ],
)
def test_bad_arguments_write_nothing(
    kwargs: dict[str, Any], message: str, model: Model, jets: Path, tmp_path: Path
) -> None:
    _require_dask()
    import dask

    from fwparity.distributed import emulate_dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(InvalidArgument, match=message):
            emulate_dask(model, jets, tmp_path / "out.h5", **kwargs)
    assert _leftovers(tmp_path) == []


def test_a_path_the_workers_cannot_see_is_named() -> None:
    from fwparity.distributed._run import _check_visible

    class Client:  # what client.run(os.path.exists, path) answers on a cluster without the shared disk
        def run(self, fn: Any, path: str) -> dict[str, bool]:
            return {"tcp://10.0.0.7:4000": fn(path), "tcp://10.0.0.8:4000": False}

    with pytest.raises(
        InvalidArgument,
        match=r"^dask worker\(s\) tcp://10\.0\.0\.8:4000 cannot see '/'; put the vectors and the output on a "
        r"filesystem that every worker mounts under the same path$",
    ):
        _check_visible(Client(), ["/"])


def test_h5_rows_divide_the_task_chunk() -> None:
    from fwparity.distributed._parts import h5_rows

    for chunk in (1, 7, 1000, 4096, 10_000, 65_536, 100_000, 999_983):
        for row_bytes in (8, 40, 128, 512, 4096, 1 << 21):
            rows = h5_rows(chunk, row_bytes)
            assert chunk % rows == 0 and (rows == 1 or rows * row_bytes <= 1 << 20), (chunk, row_bytes, rows)
            # the largest such divisor: the next larger divisor would exceed 1 MiB
            bigger = [d for d in range(rows + 1, min(chunk, 1 << 20) + 1) if chunk % d == 0][:1]
            assert not bigger or bigger[0] * row_bytes > 1 << 20, (chunk, row_bytes, rows)


def test_one_core_gives_one_thread_or_process_through_public_options() -> None:
    """Each dask worker is one core: the reference runs one thread, csim one C++ process, options kept."""
    from fwparity._backend import ReferenceBackend
    from fwparity.csim import CsimBackend
    from fwparity.distributed._tasks import one_core

    ref = one_core(ReferenceBackend(count_overflows=False))
    assert type(ref) is ReferenceBackend and ref.workers == 1 and ref.count_overflows is False
    csim = one_core(CsimBackend(project="prj", workers=2, batch_size=64))
    assert csim.options == {"project": Path("prj"), "workers": 1, "timeout": 600.0, "batch_size": 64, "flags": None}
    inline = CsimBackend(workers=0)
    assert one_core(inline) is inline  # 0 (in this process) is already one core
