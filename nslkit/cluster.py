"""Sweeps spread over a Dask cluster (``dask.distributed``): the unit of work is one chunk.

:func:`client_for` makes the client: a ``LocalCluster`` of K single-threaded worker processes
on this machine (``--workers K``), or a connection to a running scheduler (``--scheduler
ADDRESS``, e.g. one started on SLURM or PBS with dask-jobqueue). :func:`train_chunks` submits
one task per missing (width, chunk); each worker trains its chunk and writes it into the store,
which every worker must see. Dask retries a task whose worker dies; a chunk written twice is
merged into one file, so nothing is lost or duplicated.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Sequence

import torch

from .config import TrainConfig
from .results import diverged
from .store import Store
from .train import train

__all__ = ["client_for", "cluster", "train_chunks", "train_chunk", "MALLOC_TRIM", "CONNECT_TIMEOUT"]

#: The Dask setting that LocalCluster workers are started without (see :func:`client_for`); a
#: cluster started elsewhere (``--scheduler``) should set it to null in its Dask config too.
MALLOC_TRIM = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
#: Seconds to wait for a scheduler (``--scheduler-timeout``) before giving up; Dask's own default is 30.
CONNECT_TIMEOUT = 10.0


def client_for(workers: int | None = None, scheduler: str | None = None, timeout: float = CONNECT_TIMEOUT):
    """A ``dask.distributed.Client``. Close it (``with client_for(2) as c:``).

    Args:
        workers: single-threaded worker processes of a new ``LocalCluster``.
        scheduler: the address of a running scheduler, in place of ``workers``.
        timeout: seconds to wait for ``scheduler`` before giving up (OSError); default
            :data:`CONNECT_TIMEOUT`.

    Raises:
        ValueError: for both or neither of ``workers`` and ``scheduler``, a ``workers`` that is
            not a positive integer, or a ``timeout`` that is not a positive number.
    """
    from distributed import Client, LocalCluster

    if (workers is None) == (scheduler is None):
        raise ValueError("give either workers (a LocalCluster) or scheduler (an address), not both or neither")
    if scheduler is not None:
        if not (isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0):
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        return Client(scheduler, timeout=timeout)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    import dask

    # Worker processes are not daemons, so that torch.compile may start its compiler processes.
    # Dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536, which turns off glibc's dynamic
    # mmap threshold: every tensor of a training step is then mapped, faulted in and unmapped
    # again, and a chunk trains 3x slower (prod3, N = 40, 80 seeds: 136 against 43 ms per step).
    with dask.config.set({"distributed.worker.daemon": False, MALLOC_TRIM: None}):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
    return Client(cluster)


@contextlib.contextmanager
def cluster(workers: int | None = None, scheduler: str | None = None,
            timeout: float = CONNECT_TIMEOUT) -> Iterator[Any]:
    """``with cluster(workers, scheduler) as client:`` a client of :func:`client_for`, or None
    (train in process) when neither is given; on exit the client and a LocalCluster it started
    are closed.

    Args:
        workers, scheduler, timeout: as for :func:`client_for`.
    """
    if workers is None and scheduler is None:
        yield None
        return
    client = client_for(workers=workers, scheduler=scheduler, timeout=timeout)
    try:
        yield client
    finally:
        client.close()
        if workers is not None:
            client.cluster.close()


def train_chunk(cfg: TrainConfig, root: str, chunk_size: int, device: str, backend: str, keep: str) -> dict:
    """A worker's task: train one chunk, save it; its counts.

    Args:
        cfg: the chunk's experiment, width and seeds.
        root, chunk_size: the store's folder and chunk size.
        device, backend: as for :func:`nslkit.train.train`.
        keep: as for :meth:`nslkit.store.Store.save`.
    """
    from distributed import get_worker

    try:
        torch.set_num_threads(max(1, int(get_worker().state.nthreads)))
    except (ValueError, AttributeError):
        pass  # not on a worker (tests call it directly): keep torch's threads
    res = train(cfg, device, progress=False, backend=backend)
    Store(root, chunk_size).save(res, keep)
    return {"width": cfg.width, "diverged": diverged(res), "trained": len(cfg.seeds)}


def train_chunks(client: Any, st: Store, cfg: TrainConfig, todo: Sequence[tuple[int, tuple[int, ...]]],
                 device, backend: str, keep: str, bar) -> dict[int, tuple[int, int]]:
    """Train chunks on a Dask client's workers, longest first.

    Args:
        client: the Dask client.
        st: the store its workers share.
        cfg: the experiment.
        todo: (width, seeds) chunks.
        device, backend, keep: as for :func:`train_chunk`.
        bar: a progress bar, advanced by cfg.steps per finished chunk.

    Returns:
        ``{width: (diverged, trained)}``.
    """
    from distributed import as_completed

    device = "auto" if device is None else str(device)
    # Submitted longest first as well as prioritised so: the scheduler hands the first tasks to idle
    # workers as they arrive, before priorities order a queue. The longest chunks then start first
    # (a shorter makespan), and a run cut short keeps its narrow widths' finished chunks either way.
    # The cost counts steps and points too, so that sweeps queued on one cluster side by side
    # (scripts' --together) interleave by length: a 500,000-step chunk goes before a 50,000-step one.
    def cost(chunk):  # neurons × seeds × points × steps: the chunk's work
        return chunk[0] * len(chunk[1]) * cfg.points * cfg.steps

    todo = sorted(todo, key=cost, reverse=True)
    futures = [client.submit(train_chunk, cfg.replace(width=w, seeds=seeds), str(st.root.resolve()), st.chunk_size,
                             device, backend, keep, pure=False, priority=cost((w, seeds)))
               for w, seeds in todo]
    counts: dict[int, list[int]] = {}
    for fut in as_completed(futures):
        r = fut.result()
        c = counts.setdefault(r["width"], [0, 0])
        c[0] += r["diverged"]
        c[1] += r["trained"]
        bar.update(cfg.steps)
    return {w: tuple(c) for w, c in counts.items()}
