"""``python -m nslkit reproduce`` and ``status``: the plan of every run the book reads, its dry run,
a kill and a resume, a failing stage, and the GPU session's syntax."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nslkit.paper.scales import C11_SEEDS, C11_WIDTHS

import nslkit as nk
from nslkit.paper import reproduce as rp
from nslkit.store import Store

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args, env=None, **kw):
    return subprocess.Popen([sys.executable, "-m", "nslkit", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}, **kw)


def test_every_scale_plans_every_training_stage():
    for scale in rp.SCALES:
        runs = rp.plan(scale)
        assert {r.stage for r in runs} == set(rp.TRAINING_STAGES), scale
        assert {len(r.cfg.seeds) for r in runs if r.stage == "main" and "C11" not in r.name} == \
            {nk.SCALES[scale]["seeds"]}
    c11 = [r for r in rp.plan("paper") if "C11" in r.name]
    assert [(len(r.cfg.seeds), r.widths) for r in c11] == [(C11_SEEDS, C11_WIDTHS)]
    assert not any("C11" in r.name for s in ("smoke", "cpu") for r in rp.plan(s))
    gpu = [r for r in rp.plan("paper") if r.gpu_only]
    assert gpu and all(r.stage == "products" and len(r.cfg.seeds) == 1000 for r in gpu)
    assert not any(r.gpu_only for s in ("smoke", "cpu") for r in rp.plan(s))
    with pytest.raises(ValueError, match="valid scales"):
        rp.plan("huge")


def test_status_on_main_lacks_only_what_is_gpu_only():
    # the committed results: at paper scale nothing is missing but the declared GPU-only runs
    s = rp.status("paper")
    lacking = {(r["run"], r["width"]) for r in s["runs"] if r["stored"] < r["needed"]}
    gpu = {(r["run"], r["width"]) for r in s["runs"] if r["gpu_only"]}
    assert gpu <= lacking
    # chapter 12's α(T) and optimiser-map runs train across sessions on a CPU (resumable, chunk by
    # chunk): they may still lack seeds; nothing else may
    assert all(run.startswith(("budget: ", "map: ")) for run, _ in lacking - gpu), sorted(lacking - gpu)
    assert all(r["devices"] for r in s["runs"] if r["stored"]), "every stored run says what made it"
    assert {"robustness_summary_full", "minima_summary_full"} <= set(s["derived"])
    assert any(name.startswith("findings/C1-") for name in s["derived"]), "the ledger's findings are kept"


def test_dry_run_estimates_and_trains_nothing(tmp_path):
    p = _cli("reproduce", "--scale", "cpu", "--dry-run", "--only", "main", "wide", "products", "--store",
             str(tmp_path / "r"))
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert err == "", err  # no warning (torch.jit's deprecation came from compiling a calibration run)
    lines = out.splitlines()
    assert lines[0].startswith("main: 2,600 networks to train") and " on 1 CPU thread" in lines[0], out  # 2 × 13 × 100
    assert lines[1].startswith("wide: 1 network to train"), out
    assert lines[2].startswith("products: 3,600 networks to train, 3.20e+12 element-steps, about "), out
    assert lines[3].startswith("(priced from the wall times of "), out
    assert not (tmp_path / "r").exists()


def test_a_dry_run_trains_nothing_and_says_the_same_twice(tmp_path, monkeypatch):
    import torch

    import nslkit.train

    def boom(*a, **k):
        raise AssertionError("a dry run trained or compiled")

    for module, name in ((rp, "sweep"), (rp, "train"), (nslkit.train, "train"), (nslkit.train, "train_widths"),
                         (torch, "compile")):
        monkeypatch.setattr(module, name, boom, raising=False)
    runs = []
    for _ in range(2):
        lines = []
        assert rp.reproduce("paper", Store(tmp_path / "r"), ["main", "products"], "cpu", dry_run=True,
                            echo=lines.append, threads=2) == 0
        runs.append(lines)
    assert runs[0] == runs[1]
    main, products = runs[0][:2]
    # 2 activations × 13 widths × 1000, and C11's 5000 seeds at N = 1, 2, 4 (3 × 5000 networks, 1.75e11 more)
    assert main.startswith("main: 41,000 networks to train, 2.32e+12 element-steps, about ") and "2 CPU threads" in main
    # the GPU-only products get a time too, on the GPU the committed results were measured on
    assert "36,000 networks declared GPU-only, 3.20e+13 element-steps, about " in products
    assert products.endswith("on one NVIDIA H200"), products
    assert not (tmp_path / "r").exists()


def test_a_killed_stage_resumes_where_it_stopped(tmp_path):
    store = tmp_path / "r"
    args = ("reproduce", "--scale", "smoke", "--only", "main", "--store", str(store), "--quiet")
    p = _cli(*args, start_new_session=True)
    t0 = time.time()
    while len(list(store.glob("*.npz"))) < 3 and p.poll() is None and time.time() - t0 < 300:
        time.sleep(0.02)
    os.killpg(p.pid, signal.SIGKILL)
    p.communicate()
    done = len(list(store.glob("*.npz")))
    assert 3 <= done < 26, "killed mid-stage"  # 2 activations × 13 widths, one chunk each
    again = _cli(*args)
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    trained = int(out.split("trained ")[1].split(" networks")[0].replace(",", ""))
    assert trained == 8 * (26 - done), out  # only what the kill lost
    for act in ("silu", "leaky_relu"):
        nk.study.main_sweep("smoke", act, store=store, train=False)  # all there now
    st = json.loads(_cli("status", "--scale", "smoke", "--store", str(store), "--json").communicate(timeout=120)[0])
    main = [r for r in st["runs"] if r["stage"] == "main"]
    assert len(main) == 26 and all(r["stored"] == r["needed"] == 8 for r in main)
    assert any(r["stored"] < r["needed"] for r in st["runs"] if r["stage"] == "unary")


def test_a_failing_stage_says_which_and_why_and_stops(tmp_path, monkeypatch):
    def broken(cfg, *a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(rp, "sweep", broken)
    lines = []
    rc = rp.reproduce("smoke", Store(tmp_path), ["wide", "unary"], "cpu", echo=lines.append)
    assert rc == 1 and len(lines) == 1  # the first stage fails, the second never starts
    assert lines[0].startswith("wide: FAILED") and "RuntimeError: disk full" in lines[0]


def test_unknown_stages_are_refused(tmp_path):
    p = _cli("reproduce", "--only", "mian", "--store", str(tmp_path))
    _, err = p.communicate(timeout=120)
    assert p.returncode == 2 and "valid stages" in err
    with pytest.raises(ValueError, match="valid stages"):
        rp.reproduce("smoke", Store(tmp_path), ["mian"], "cpu")


def test_gpu_session_script_parses():
    p = subprocess.run(["bash", "-n", str(ROOT / "scripts" / "gpu_session.sh")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_wall_times_keeps_every_finished_block_in_the_summary(tmp_path):
    from nslkit.provenance import WallTimes

    times = WallTimes(tmp_path / "t.json", scale="smoke")
    with times("first"):
        pass
    assert json.loads((tmp_path / "t.json").read_text()) == {"scale": "smoke", "wall_s": {"first": 0.0}}
    with pytest.raises(KeyboardInterrupt):
        with times("second"):
            raise KeyboardInterrupt  # a killed stage leaves the times of those that finished
    assert list(json.loads((tmp_path / "t.json").read_text())["wall_s"]) == ["first"]
