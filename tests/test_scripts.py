"""The prepared runs in scripts/: paper_runs.py at smoke scale, and the GPU session's syntax."""
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import nslkit as nk

ROOT = Path(__file__).resolve().parent.parent


def test_paper_runs_trains_a_stage_into_the_store(tmp_path):
    summary = tmp_path / "runs.json"
    env = {**os.environ, "NSLKIT_RESULTS": str(tmp_path / "results"), "OMP_NUM_THREADS": "1"}
    p = subprocess.run([sys.executable, str(ROOT / "scripts" / "paper_runs.py"), "--scale", "smoke", "--stages", "main",
                        "--device", "cpu", "--summary", str(summary)], capture_output=True, text=True, env=env,
                       timeout=600)
    assert p.returncode == 0, p.stderr
    out = json.loads(summary.read_text())
    assert out["scale"] == "smoke" and out["wall_s"]["main"] > 0 and out["device"].startswith("cpu")
    for activation in ("silu", "leaky_relu"):  # both activations, every width, loadable without training
        nk.study.main_sweep("smoke", activation, store=tmp_path / "results", train=False)
    assert len(list((tmp_path / "results").glob("*.npz"))) == 2 * len(nk.study.SWEEP_WIDTHS)


def test_gpu_session_script_parses():
    p = subprocess.run(["bash", "-n", str(ROOT / "scripts" / "gpu_session.sh")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_wall_times_keeps_every_finished_block_in_the_summary(tmp_path, capsys):
    from nslkit.provenance import WallTimes

    times = WallTimes(tmp_path / "t.json", scale="smoke")
    with times("first"):
        pass
    assert json.loads((tmp_path / "t.json").read_text()) == {"scale": "smoke", "wall_s": {"first": 0.0}}
    try:
        with times("second"):
            raise KeyboardInterrupt  # a killed stage leaves the times of those that finished
    except KeyboardInterrupt:
        pass
    assert list(json.loads((tmp_path / "t.json").read_text())["wall_s"]) == ["first"]
    assert "first: 0.0 s" in capsys.readouterr().err


def test_run_all_together_runs_the_jobs_at_once(tmp_path):
    from nslkit.provenance import WallTimes

    meet = threading.Barrier(2, timeout=5)  # passes only when both jobs wait at it at the same time
    times = WallTimes(tmp_path / "t.json")
    times.run_all({"a": meet.wait, "b": meet.wait}, together=True)
    assert sorted(json.loads((tmp_path / "t.json").read_text())["wall_s"]) == ["a", "b"]
    one_by_one = threading.Barrier(2, timeout=0.5)
    with pytest.raises(threading.BrokenBarrierError):  # one after another: the first job waits alone
        WallTimes().run_all({"a": one_by_one.wait, "b": one_by_one.wait})


def test_run_all_together_raises_a_failure_after_the_others_finish(tmp_path):
    from nslkit.provenance import WallTimes

    def fails():
        raise RuntimeError("chunk lost")

    times = WallTimes(tmp_path / "t.json")
    with pytest.raises(RuntimeError, match="chunk lost"):
        times.run_all({"fails": fails, "slow": lambda: time.sleep(0.3)}, together=True)
    assert list(json.loads((tmp_path / "t.json").read_text())["wall_s"]) == ["slow"]  # the other ran to its end


def test_together_without_workers_is_refused():
    for script in ("paper_runs.py", "robustness_runs.py"):
        p = subprocess.run([sys.executable, str(ROOT / "scripts" / script), "--together"], capture_output=True, text=True,
                           timeout=120)
        assert p.returncode == 2 and "--together needs --workers" in p.stderr, (script, p.stderr)
