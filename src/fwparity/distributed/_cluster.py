"""Finding dask and a cluster to run on: a LocalCluster over this machine's cores, or a running scheduler.

dask is an extra (``pip install 'fwparity[dask]'``), imported only here and only when a run asks for it, so
``import fwparity`` and the pytest plugin stay free of it and a missing install is one clear message.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import InvalidArgument, ToolNotFound

__all__ = ["DASK_EXTRA", "LOCAL", "WORKER_ENV", "connect", "require_dask"]

#: What to install when dask is missing.
DASK_EXTRA = "pip install 'fwparity[dask]'"

#: The address that means "start a LocalCluster on this machine" (what ``--dask`` alone passes).
LOCAL = "local"

#: One BLAS/OpenMP thread per worker process: a worker is one core's worth of work, and a BLAS pool inside
#: each worker would fight the other workers for the same cores (the reference's dense kernels call BLAS).
WORKER_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}


def require_dask(what: str = "--dask") -> None:
    """Raise :class:`~fwparity.errors.ToolNotFound` naming the extra when dask.distributed is not installed.

    Examples
    --------
    >>> import sys
    >>> from fwparity.errors import ToolNotFound
    >>> saved = sys.modules.get("distributed")
    >>> sys.modules["distributed"] = None  # what an environment without the extra looks like
    >>> try:
    ...     require_dask()
    ... except ToolNotFound as exc:
    ...     print(exc)
    ... finally:
    ...     if saved is None:
    ...         del sys.modules["distributed"]
    ...     else:
    ...         sys.modules["distributed"] = saved
    --dask needs dask.distributed, which is not installed; install it with pip install 'fwparity[dask]'
    """
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        raise ToolNotFound(
            f"{what} needs dask.distributed, which is not installed; install it with {DASK_EXTRA}"
        ) from None


@contextmanager
def connect(address: Any = None, *, n_workers: int | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: on a new LocalCluster (``address`` None or ``"local"``), on the scheduler
    at ``address`` (``"tcp://host:8786"``, or a scheduler file ending in ``.json``), or ``address`` itself
    when it is already a Client (left open).

    The LocalCluster has ``n_workers`` (default: one per core) single-threaded worker *processes*: the
    reference is numpy and the csim runner drives C++ in a child process, so threads would share one GIL
    and processes do not; every worker gets :data:`WORKER_ENV`. It is closed when the block ends.
    """
    require_dask()
    from distributed import Client, LocalCluster

    if isinstance(address, Client):
        if n_workers is not None:
            raise InvalidArgument(f"n_workers={n_workers!r} applies to a local cluster, not to a given Client")
        yield address
        return
    if n_workers is not None and (not isinstance(n_workers, int) or n_workers < 1):
        raise InvalidArgument(f"n_workers must be a positive integer, not n_workers={n_workers!r}")
    if address is None or address == LOCAL:
        with (
            LocalCluster(
                n_workers=n_workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # a free port: never the default 8787 another cluster may hold
                env=dict(WORKER_ENV),
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    if not isinstance(address, str):
        raise InvalidArgument(f"address must be a scheduler address or a Client, not address={address!r}")
    if n_workers is not None:
        raise InvalidArgument(
            f"n_workers={n_workers!r} applies to a local cluster; the cluster at {address!r} has its own"
        )
    import dask

    # dask's own setting (DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT), so a site can shorten or lengthen it
    timeout = dask.config.get("distributed.comm.timeouts.connect")
    try:
        if address.endswith(".json"):
            client = Client(scheduler_file=address, timeout=timeout)
        else:
            client = Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InvalidArgument(f"--dask {address!r}: cannot reach a dask scheduler there ({exc})") from None
    with client:
        yield client
