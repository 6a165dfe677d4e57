"""The command line: JSON output, and one clear line with exit code 2 for every bad input."""
import json
import subprocess
import sys

import pytest
import torch

from nslkit import TrainConfig
from nslkit.cli import main


def _cli(*args, env_dir=None):
    env = None
    if env_dir is not None:
        import os

        env = {**os.environ, "NSLKIT_RESULTS": str(env_dir)}
    return subprocess.run([sys.executable, "-m", "nslkit", *args], capture_output=True, text=True, timeout=300, env=env)


BAD = [
    (["train", "--target", "x9"], "x9", "x2"),
    (["train", "--activation", "gelu"], "gelu", "silu"),
    (["train", "--widths", "0"], "'0'", "positive integer"),
    (["train", "--widths", "-3"], "'-3'", "positive integer"),
    (["train", "--widths", "ten"], "'ten'", "positive integer"),
    (["train", "--seeds", "0"], "'0'", "positive integer"),
    (["train", "--seeds", "x"], "'x'", "positive integer"),
    (["train", "--steps", "0"], "'0'", "positive integer"),
    (["train", "--steps", "1.5"], "'1.5'", "positive integer"),
    (["train", "--dtype", "float16"], "float16", "float64"),
    (["train", "--domain", "1", "1"], "(1.0, 1.0)", "LO < HI"),
    (["train", "--domain", "2", "-2"], "(2.0, -2.0)", "LO < HI"),
    (["train", "--domain", "a", "1"], "'a'", "not a number"),
    (["train", "--device", "tpu"], "tpu", "cuda"),
    (["bench", "--width", "0"], "'0'", "positive integer"),
    (["bench", "--activation", "tanh"], "tanh", "leaky_relu"),
]


@pytest.mark.parametrize("args, bad, valid", BAD)
def test_bad_input_exits_2_with_one_line(args, bad, valid, capsys):
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert bad in err and valid in err and "Traceback" not in err


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda_is_a_clear_error(capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "--device", "cuda"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "cuda" in err and "not available" in err and len(err.strip().splitlines()) == 1


def test_bad_input_through_the_real_entry_point():
    p = _cli("train", "--target", "nope")
    assert p.returncode == 2 and "Traceback" not in p.stderr and "nope" in p.stderr


def test_train_json(tmp_path):
    p = _cli("train", "--widths", "2", "3", "--seed-list", "4", "1", "--steps", "50", "--test-points", "20", "--json",
             env_dir=tmp_path)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert set(out) == {"config", "train_mse", "test_mse", "chunks_trained"} and out["chunks_trained"] == 2
    assert out["config"]["widths"] == [2, 3] and out["config"]["seeds"] == [4, 1] and "width" not in out["config"]
    assert set(out["train_mse"]) == {"2", "3"} and all(len(v) == 2 for v in out["test_mse"].values())
    assert "chunk" in p.stderr  # the progress bar (it counts chunks) goes to stderr
    assert len(list(tmp_path.glob("*.npz"))) == 2
    again = _cli("train", "--widths", "3", "--seed-list", "4", "1", "--steps", "50", "--test-points", "20", "--json",
                 "--quiet", env_dir=tmp_path)
    assert json.loads(again.stdout)["train_mse"]["3"] == out["train_mse"]["3"]  # loaded from the store
    assert json.loads(again.stdout)["chunks_trained"] == 0
    assert again.stderr == ""


def test_bench_json():
    p = _cli("bench", "--seeds", "8", "--width", "3", "--points", "50", "--steps", "20", "--naive-networks", "2",
             "--naive-steps", "5", "--backend", "eager", "--min-time", "0", "--json")
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    assert r["config"]["seeds"] == 8 and r["config"]["steps_timed"] == [20, 40]
    assert {row["steps_timed"] for row in r["rows"] if row["trainer"] != "naive"} == {20}  # --min-time 0
    assert [(row["trainer"], row["dtype"]) for row in r["rows"]] == [
        ("naive", "float64"), ("eager", "float64"), ("naive", "float32"), ("eager", "float32")]
    for row in r["rows"]:
        rl = r["roofline"][row["dtype"]]
        assert row["network_steps_per_s"] > 0
        assert row["neuron_point_steps_per_s"] == pytest.approx(row["network_steps_per_s"] * 3 * 50)
        assert row["roofline_fraction"] == pytest.approx(row["neuron_point_steps_per_s"] / rl["neuron_point_steps_per_s"])
        naive = next(n for n in r["rows"] if n["trainer"] == "naive" and n["dtype"] == row["dtype"])
        assert row["vs_naive"] == pytest.approx(row["network_steps_per_s"] / naive["network_steps_per_s"])
    assert r["roofline"]["float64"]["flops_per_neuron_point_step"] == 43  # SiLU, D = 1: see nslkit.backends.roofline


def test_bench_times_long_enough_to_beat_the_noise():
    from nslkit.backends.bench import bench

    cfg = TrainConfig(seeds=4, width=2, points=20)
    r = bench(cfg, steps=5, naive_networks=1, naive_steps=5, device="cpu", backends=["eager"], dtypes=["float64"],
              min_time=0.05)
    row = next(row for row in r["rows"] if row["trainer"] == "eager")
    assert row["steps_timed"] in (20, 80, 320, 1280)  # 5 × 4^k: a few ms of eager steps are not enough


def test_bench_table_one_dtype():
    p = _cli("bench", "--seeds", "4", "--width", "2", "--points", "20", "--steps", "10", "--naive-networks", "1",
             "--naive-steps", "5", "--backend", "eager", "--dtype", "float32")
    assert p.returncode == 0, p.stderr
    rows = [line for line in p.stdout.splitlines() if line.startswith("| ") and "trainer" not in line]
    assert [row.split(" | ")[:2] for row in rows] == [["| naive", "float32"], ["| eager", "float32"]]
    assert "roofline float32" in p.stdout and "float64" not in p.stdout