"""The cost model of ``reproduce --dry-run`` (nslkit.paper.costs): planted measurements give back
the model that made them, and a store's runs are read as measurements."""
import json

import numpy as np
import pytest

import nslkit as nk
from nslkit.paper import costs
from nslkit.paper.costs import Sample


def _run(work, chunks, device="cpu: Test CPU, 1 thread", backend="compiled", a=2.0, rate=1e8, **kw):
    """A stored run that took exactly chunks·a + work / (rate·threads) seconds."""
    s = Sample(device, backend, kw.get("dtype", "float64"), kw.get("activation", "silu"), kw.get("multi", False),
               work, chunks, 1.0)
    return Sample(**{**s.__dict__, "seconds": chunks * a + work / (rate * s.threads)})


def test_planted_runs_give_back_their_model():
    cfg = nk.TrainConfig(width=10, steps=1000)  # 100 points; 1e6 element-steps a network
    b = costs.planned_backend(cfg, 50, "cpu")  # whichever "auto" picks for 50 networks or more
    measured = [_run(1e10, 10, backend=b), _run(5e9, 3, backend=b), _run(2e9, 7, device="cpu: Test CPU, 2 threads",
                                                                        backend=b), _run(1e11, 1, backend=b)]
    for seeds, threads in ((50, 1), (300, 1), (300, 2)):
        c = costs.cost(cfg, seeds, "cpu", threads, measured)
        want = -(-seeds // 100) * 2.0 + seeds * 1e6 / (1e8 * threads)
        assert c.seconds == pytest.approx(want, rel=1e-9) and c.low == pytest.approx(c.seconds, rel=1e-9)
        assert c.high == pytest.approx(c.seconds, rel=1e-9)  # an exact model: no spread


def test_the_range_is_the_spread_of_the_runs_about_the_model():
    cfg = nk.TrainConfig(width=10, steps=1000)
    one = _run(1e10, 10, backend=costs.planned_backend(cfg, 100, "cpu"))
    slow = [Sample(**{**one.__dict__, "seconds": one.seconds * f}) for f in (0.5, 1, 1, 1, 2)]
    c = costs.cost(cfg, 100, "cpu", 1, slow)
    assert c.low < c.seconds < c.high and c.high / c.low > 2


def test_bench_rows_alone_price_by_their_rates_per_thread():
    cfg = nk.TrainConfig(width=10, steps=1000)
    b = costs.planned_backend(cfg, 100, "cpu")
    rows = [Sample("cpu: Test CPU, 2 threads", b, "float64", "silu", False, r, 0, 1.0) for r in (1e9, 2e9, 4e9)]
    c = costs.cost(cfg, 1000, "cpu", 1, rows)  # 1e9 element-steps at 5e8, 1e9, 2e9 per thread
    assert (c.seconds, c.low, c.high) == pytest.approx((1.0, 0.5, 2.0))
    assert costs.cost(cfg, 1000, "cuda: Test GPU", 1, rows) is None  # nothing measured there


def test_the_likest_measurements_price_a_run():
    cfg = nk.TrainConfig(target="prod2", width=10, steps=1000, seeds=100)
    b = costs.planned_backend(cfg, 100, "cpu")
    measured = [_run(1e10, 10, rate=1e8, backend=b), _run(1e10, 10, rate=1e7, multi=True, backend=b)]
    c = costs.cost(cfg, 100, "cpu", 1, measured)  # the several-input run, not the faster one-input one
    assert c.seconds == pytest.approx(2.0 + 100 * 10 * 1000 * 1000 / 1e7)


def test_a_stores_runs_and_the_bench_are_read(tmp_path):
    cfg = nk.TrainConfig(width=3, seeds=5, steps=20, lr_step=10, test_points=20)
    res = nk.train(cfg, "cpu", progress=False, backend="eager")
    nk.Store(tmp_path / "s", chunk_size=2).save(res)  # one run, three chunk files
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "b.json").write_text(json.dumps(
        {"config": {"target": "x2", "activation": "relu"}, "device": "cuda: Test GPU",
         "rows": [{"trainer": "triton", "dtype": "float32", "neuron_point_steps_per_s": 3e10}]}))
    (tmp_path / "bench" / "other.json").write_text(json.dumps({"what": "not a bench table"}))
    run, row = costs.samples([nk.Store(tmp_path / "s"), nk.Store(tmp_path / "s")], [tmp_path / "bench"])
    assert (run.work, run.chunks, run.seconds) == (5 * 3 * 100 * 20, 3, res.provenance["wall_s"])
    assert (run.backend, run.kind, run.multi) == ("eager", "cpu", False)
    assert (row.kind, row.backend, row.work, row.chunks) == ("cuda: Test GPU", "triton", 3e10, 0)
    assert costs.gpu_name([run, row]) == "cuda: Test GPU"


def test_the_committed_runs_price_the_main_sweep_near_its_measured_time():
    # the SiLU main sweep at paper scale, retrained by the loop kernel on 2 threads of the CI CPU in 934 s
    # (README; results/bench/loop_main_sweep_check.json), is priced from the bench's loop rates
    from nslkit.paper import reproduce as rp

    root = rp.repository()
    measured = costs.samples([nk.Store(root / "results")], [root / "results" / "bench"])
    run = next(r for r in rp.plan("paper") if r.stage == "main" and r.cfg.activation == "silu")
    total = sum((costs.cost(run.cfg.replace(width=w), 1000, "cpu", 2, measured) for w in run.widths[1:]),
                costs.cost(run.cfg.replace(width=run.widths[0]), 1000, "cpu", 2, measured))
    assert total.low < 934 < total.high and 0.5 < total.seconds / 934 < 2
    assert np.isfinite([total.low, total.high]).all()
