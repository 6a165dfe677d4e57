"""A backend named that cannot train a configuration is refused up front (issue 33, item 1): one
line naming what it does not train and the backends that would, exit 2 in the CLI, ValueError in
the API, before a store folder is made or anything trains.

The refusal is built from each backend's ``supports`` alone; these tests plant a ``supports``
where they need one, so that they hold whatever scope the kernels grow to.
"""
import pytest
import torch

import nslkit as nk
from nslkit.backends import loop, triton_loop
from nslkit.cli import main
from nslkit.train import BACKENDS, backend_supports, refusal, resolve_backend

from _support import needs_triton

CPU = torch.device("cpu")


@pytest.fixture
def adam_one_input_loop(monkeypatch):
    """The loop kernel's scope planted as Adam on one input (whatever it really is)."""
    monkeypatch.setattr(loop, "supports", lambda cfg: cfg.optimizer == "adam" and cfg.dim == 1)


@pytest.mark.parametrize("extra, what", [
    (["--target", "prod2"], "target 'prod2' (D = 2)"),
    (["--optimizer", "sgd"], "optimizer 'sgd'"),
    (["--optimizer", "sgd", "--momentum", "0.5", "--target", "prod3"], "optimizer 'sgd' and target 'prod3' (D = 3)"),
])
def test_the_cli_refuses_in_one_line_before_making_the_store(extra, what, adam_one_input_loop, tmp_path, capsys):
    store = tmp_path / "store"
    with pytest.raises(SystemExit) as e:
        main(["train", "--backend", "loop", *extra, "--widths", "2", "--seeds", "2", "--steps", "10",
              "--store", str(store)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith(f"nslkit train: error: backend 'loop' does not train {what}; use auto, eager")
    assert not store.exists()


def test_the_api_refuses_before_reading_or_training(adam_one_input_loop, tmp_path, monkeypatch):
    def no_training(*a, **k):
        raise AssertionError("trained")

    monkeypatch.setattr(loop, "train_loop", no_training)
    cfg = nk.TrainConfig(target="prod2", width=2, seeds=2, steps=10)
    with pytest.raises(ValueError, match=r"^backend 'loop' does not train target 'prod2' \(D = 2\); use auto, eager"):
        nk.sweep(cfg, [2, 3], store=tmp_path / "store", device="cpu", backend="loop", progress=False)
    assert not (tmp_path / "store").exists()
    with pytest.raises(ValueError, match="does not train target 'prod2'"):
        nk.train(cfg, device="cpu", backend="loop", progress=False)


def test_every_refusal_names_only_backends_that_would_do():
    cfgs = [nk.TrainConfig(seeds=2, **kw) for kw in ({}, {"target": "prod2"}, {"optimizer": "sgd"},
                                                    {"optimizer": "lbfgs"}, {"dtype": "float32"}, {"width": 5000},
                                                    {"activation": "relu", "target": "prod3"})]
    refused = 0
    for cfg in cfgs:
        for backend in BACKENDS:
            if backend in ("auto", "compiled") or not backend_supports(backend, cfg):
                continue
            # whatever a backend supports, a named one that runs here returns itself
            if backend == "loop" or backend == "eager":
                assert resolve_backend(backend, cfg, CPU, cfg.points) == backend
        for backend in ("loop", "triton", "triton_loop"):
            if backend_supports(backend, cfg):
                continue
            refused += 1
            line = refusal(backend, cfg, CPU)
            assert "\n" not in line and line.startswith(f"backend {backend!r} does not train ")
            offered = line.split("; use ")[1].replace(" or ", ", ").split(", ")
            assert offered[0] == "auto" and "eager" in offered
            assert all(backend_supports(b, cfg) for b in offered) and backend not in offered
    assert refused  # the scopes are narrower than eager's somewhere


@needs_triton
def test_triton_loop_names_the_width_it_cannot_train():
    cfg = nk.TrainConfig(width=triton_loop.MAX_WIDTH + 1, seeds=2, steps=10)
    with pytest.raises(ValueError, match=rf"^backend 'triton_loop' does not train width {cfg.width}; use auto, eager"):
        resolve_backend("triton_loop", cfg, CPU, cfg.points)
    with pytest.raises(ValueError, match=rf"does not train width {cfg.width}"):  # any width of a sweep
        nk.train_widths(cfg.replace(width=2), [2, cfg.width], "cpu", backend="triton_loop", progress=False)


def test_compiling_shows_no_deprecation_warning_of_torchs_own():
    # torch 2.13's Inductor imports torch/utils/mkldnn.py, whose torch.jit.script_method warns on import;
    # nslkit.backends.compiled imports Inductor with that one warning silenced (a fresh process: imports happen once)
    import subprocess
    import sys

    code = "from nslkit.backends.compiled import compile_works; assert compile_works('cpu')"
    p = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    assert "script_method" not in p.stderr, p.stderr
