"""Sweeps on a Dask cluster: bit for bit what training in process gives, and a worker killed
mid-sweep is retried with nothing lost or duplicated."""
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from nslkit import Store, sweep

pytest.importorskip("distributed")

from nslkit.cluster import client_for, cluster, train_chunk  # noqa: E402

pytestmark = pytest.mark.slow


def _same(a, b):
    for name in ("train_mse", "test_mse", "w", "b", "v", "c", "curve_loss"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


@pytest.fixture(scope="module")
def client():
    with cluster(workers=2) as c:
        yield c


def test_two_workers_give_in_process_results_bit_for_bit(tmp_path, client, small_cfg):
    cfg = small_cfg.replace(seeds=8)
    here = sweep(cfg, [2, 3], store=tmp_path / "here", device="cpu", progress=False, chunk_size=2)
    there = sweep(cfg, [2, 3], store=tmp_path / "there", device="cpu", progress=False, chunk_size=2, client=client)
    for w in (2, 3):
        _same(here[w], there[w])
        assert len(Store(tmp_path / "there").files(cfg.replace(width=w))) == 4
    assert {r["device"] for r in there[2].provenance["runs"]} == {here[2].provenance["device"].replace(
        here[2].provenance["device"].rsplit(", ", 1)[1], "1 thread")}  # a worker trains on one thread


def test_a_worker_killed_mid_sweep_is_retried(tmp_path, small_cfg):
    cfg = small_cfg.replace(seeds=8, steps=6000, lr_step=2000)  # chunks of a few seconds, to kill one mid-way
    with cluster(workers=2) as client, ThreadPoolExecutor(1) as pool:
        job = pool.submit(sweep, cfg, [3], store=tmp_path / "dask", device="cpu", progress=False, chunk_size=2,
                          client=client, backend="eager")
        deadline = time.time() + 120
        while not any(client.processing().values()):
            assert time.time() < deadline and not job.done(), "no chunk started"
            time.sleep(0.05)
        busy = next(addr for addr, tasks in client.processing().items() if tasks)
        os.kill(client.run(os.getpid, workers=[busy])[busy], signal.SIGKILL)
        out = job.result(timeout=300)[3]
    here = sweep(cfg, [3], store=tmp_path / "here", device="cpu", progress=False, backend="eager", chunk_size=2)[3]
    _same(out, here)
    st = Store(tmp_path / "dask")
    files = st.files(cfg.replace(width=3))
    assert len(files) == 4 and sum(len(np.load(f)["seeds"]) for f in files) == 8  # nothing lost or written twice


def test_a_task_runs_outside_a_worker_too(tmp_path, small_cfg):
    r = train_chunk(small_cfg, str(tmp_path), 100, "cpu", "eager", "losses")
    assert r == {"width": small_cfg.width, "diverged": 0, "trained": 3}
    assert Store(tmp_path).load(small_cfg).w is None


def test_distributed_training_needs_a_store(small_cfg, client):
    with pytest.raises(ValueError, match="needs a store"):
        sweep(small_cfg, [2], store=False, client=client)


def test_client_for_wants_one_of_workers_or_scheduler():
    for kwargs in ({}, {"workers": 2, "scheduler": "tcp://x:1"}):
        with pytest.raises(ValueError, match="either workers"):
            client_for(**kwargs)
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        client_for(workers=0)


def test_cluster_trains_in_process_without_workers_and_closes_what_it_started():
    with cluster() as none:
        assert none is None
    with cluster(workers=1) as c:
        assert len(c.scheduler_info()["workers"]) == 1
        local = c.cluster
    assert c.status == "closed" and local.status.name == "closed"


def test_local_workers_keep_glibc_malloc_defaults(client):
    # Dask's MALLOC_TRIM_THRESHOLD_ would make every step's tensors mmap'd and faulted in: 3x slower
    assert set(client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_")).values()) == {None}


def test_chunks_start_widest_first(tmp_path, small_cfg):
    # one worker trains one chunk at a time: the files' write times give the order they ran in
    with cluster(workers=1) as one:
        sweep(small_cfg, [4, 5, 8], store=tmp_path, device="cpu", progress=False, client=one, backend="eager")
    st = Store(tmp_path)
    written = {w: st.files(small_cfg.replace(width=w))[0].stat().st_mtime_ns for w in (4, 5, 8)}
    assert sorted(written, key=written.get) == [8, 5, 4]
