"""The command line on the chunked store: resume after kill -9, reuse of stored seeds, --workers,
and one clear line for an unusable --store, diverged networks and a corrupt file."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from nslkit import Store, TrainConfig
from nslkit.cli import main

SMALL = ["--target", "x2", "--widths", "3", "--steps", "400", "--lr-step", "100", "--test-points", "50",
         "--backend", "eager"]


def _cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "nslkit", *args], capture_output=True, text=True, timeout=timeout)


def _losses(p):
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    return out, np.array(out["train_mse"]["3"])


def test_store_on_a_file_is_one_line(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    for store in (str(f), str(f / "below")):
        with pytest.raises(SystemExit) as e:
            main(["train", "--store", store, *SMALL])
        assert e.value.code == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and str(f) in err and "Traceback" not in err, err


def test_fewer_seeds_after_more_train_nothing(tmp_path):
    out, ten = _losses(_cli("train", *SMALL, "--seeds", "10", "--chunk-size", "4", "--store", str(tmp_path), "--json"))
    assert out["chunks_trained"] == 3
    out, three = _losses(_cli("train", *SMALL, "--seeds", "3", "--chunk-size", "4", "--store", str(tmp_path), "--json"))
    assert out["chunks_trained"] == 0 and np.array_equal(three, ten[:3])


def test_diverged_networks_are_one_warning_line(tmp_path):
    p = _cli("train", *SMALL, "--seeds", "4", "--lr", "1000", "--store", str(tmp_path))
    assert p.returncode == 0, p.stderr
    warns = [line for line in p.stderr.splitlines() if "warning" in line]
    assert warns == [w for w in warns if w.startswith("nslkit: warning: 4 of 4 newly trained x2/silu networks ended "
                                                        "at Var(y) (within 0.1%) or above, or not finite (N=3: 4)")]
    assert len(warns) == 1
    assert "warnings.warn" not in p.stderr and ".py:" not in p.stderr


def test_a_corrupt_file_is_one_warning_line_naming_it(tmp_path):
    _, first = _losses(_cli("train", *SMALL, "--seeds", "4", "--store", str(tmp_path), "--json"))
    (path,) = Store(tmp_path).files(TrainConfig(width=3, steps=400, lr_step=100, test_points=50))
    path.write_bytes(path.read_bytes()[:200])
    out, again = _losses(_cli("train", *SMALL, "--seeds", "4", "--store", str(tmp_path), "--json"))
    p = _cli("train", *SMALL, "--seeds", "4", "--store", str(tmp_path))  # sound again: no warning
    assert "warning" not in p.stderr
    assert np.array_equal(first, again)


def test_json_counts_a_corrupt_chunk_trained_again(tmp_path):
    out, _ = _losses(_cli("train", *SMALL, "--seeds", "4", "--chunk-size", "2", "--store", str(tmp_path), "--json"))
    assert out["chunks_trained"] == 2
    path = Store(tmp_path).files(TrainConfig(width=3, steps=400, lr_step=100, test_points=50))[0]
    path.write_bytes(path.read_bytes()[:200])
    out, _ = _losses(_cli("train", *SMALL, "--seeds", "4", "--chunk-size", "2", "--store", str(tmp_path), "--json"))
    assert out["chunks_trained"] == 1  # the corrupt one, trained again; the sound one loaded
    out, _ = _losses(_cli("train", *SMALL, "--seeds", "4", "--chunk-size", "2", "--no-store", "--json"))
    assert out["chunks_trained"] is None


def test_a_corrupt_file_warning_says_what_is_done(tmp_path):
    _cli("train", *SMALL, "--seeds", "4", "--store", str(tmp_path))
    (path,) = Store(tmp_path).files(TrainConfig(width=3, steps=400, lr_step=100, test_points=50))
    path.write_bytes(path.read_bytes()[:200])
    p = _cli("train", *SMALL, "--seeds", "4", "--store", str(tmp_path))
    lines = [line for line in p.stderr.splitlines() if path.name in line]
    assert len(lines) == 1 and lines[0].startswith(f"nslkit: warning: {path} is truncated or corrupted")
    assert "training its 4 seeds of N=3 again and replacing the file" in lines[0]
    assert ".py:" not in p.stderr


@pytest.mark.slow
def test_killed_run_resumes_and_trains_only_the_missing_chunks(tmp_path):
    args = ["train", *SMALL, "--steps", "3000", "--lr-step", "600", "--seeds", "12", "--chunk-size", "2",
            "--store", str(tmp_path / "killed"), "--json", "--quiet"]
    proc = subprocess.Popen([sys.executable, "-m", "nslkit", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    cfg = TrainConfig(width=3, seeds=12, steps=3000, lr_step=600, test_points=50)
    st = Store(tmp_path / "killed", chunk_size=2)
    deadline = time.time() + 240
    while len(st.files(cfg)) < 2:
        assert proc.poll() is None and time.time() < deadline, proc.stderr.read().decode()
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = {p.name: p.stat().st_mtime_ns for p in st.files(cfg)}
    assert 2 <= len(done) < 6
    out, resumed = _losses(_cli(*args))
    assert out["chunks_trained"] == 6 - len(done)
    assert all(p.stat().st_mtime_ns == done[p.name] for p in st.files(cfg) if p.name in done)  # not trained again
    _, whole = _losses(_cli(*[a if a != str(tmp_path / "killed") else str(tmp_path / "whole") for a in args]))
    assert np.array_equal(resumed, whole)


@pytest.mark.slow
def test_two_workers_give_identical_losses(tmp_path):
    _, here = _losses(_cli("train", *SMALL, "--seeds", "6", "--chunk-size", "2", "--store", str(tmp_path / "a"),
                           "--json"))
    _, there = _losses(_cli("train", *SMALL, "--seeds", "6", "--chunk-size", "2", "--store", str(tmp_path / "b"),
                            "--json", "--workers", "2"))
    assert np.array_equal(here, there)


def test_an_unreachable_scheduler_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:  # --scheduler-timeout, not Dask's 30 s default
        main(["train", "--store", str(tmp_path), "--scheduler", "tcp://127.0.0.1:9", "--scheduler-timeout", "1", *SMALL])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "cannot reach the Dask scheduler" in err, err
    assert "within 1 s (--scheduler-timeout)" in err, err
    assert not list(tmp_path.glob("*.npz"))  # nothing trained in process instead
