"""The command line's small promises (issue 33, item 6): a store that is not there, contradicting
options, unknown stages, the scheduler's connection timeout, and counts in the singular."""
import subprocess
from pathlib import Path

import pytest

import nslkit.cluster
from nslkit.cli import _parser, main
from nslkit.provenance import device_name

ROOT = Path(__file__).resolve().parent.parent


def _exit2(args, capsys) -> str:
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_status_of_a_store_that_is_not_there_is_one_line(tmp_path, capsys):
    err = _exit2(["status", "--store", str(tmp_path / "nonexistent")], capsys)
    assert err.startswith("nslkit status: error: there is no results store at") and "nonexistent" in err
    assert not (tmp_path / "nonexistent").exists()


def test_no_store_and_a_store_are_refused_together(tmp_path, capsys):
    err = _exit2(["train", "--no-store", "--store", str(tmp_path / "x"), "--widths", "2", "--seeds", "2"], capsys)
    assert "--no-store" in err and "--store" in err and "not allowed" in err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("only, named", [(["nonexistent"], "unknown stage 'nonexistent'; "),
                                         (["main", "mian", "boook"], "unknown stages 'mian', 'boook'; ")])
def test_unknown_stages_are_named_beside_the_valid_ones(only, named, tmp_path, capsys):
    err = _exit2(["reproduce", "--dry-run", "--store", str(tmp_path), "--only", *only], capsys)
    assert named + "valid stages: main, wide, disentangle, unary, products, robustness, minima, notebooks, book" in err


def test_the_scheduler_timeout_reaches_the_client(monkeypatch):
    import distributed

    seen = {}

    class Client:
        def __init__(self, address, **kwargs):
            seen.update(kwargs, address=address)

    monkeypatch.setattr(distributed, "Client", Client)
    nslkit.cluster.client_for(scheduler="tcp://somewhere:8786", timeout=3.5)
    assert seen == {"address": "tcp://somewhere:8786", "timeout": 3.5}
    assert _parser().parse_args(["train"]).scheduler_timeout == nslkit.cluster.CONNECT_TIMEOUT == 10
    assert _parser().parse_args(["reproduce", "--scheduler-timeout", "2"]).scheduler_timeout == 2
    with pytest.raises(ValueError, match="positive number of seconds"):
        nslkit.cluster.client_for(scheduler="tcp://somewhere:8786", timeout=0)


@pytest.mark.parametrize("bad", ["0", "-1", "soon", "inf"])
def test_a_bad_scheduler_timeout_is_one_line(bad, capsys):
    err = _exit2(["train", "--scheduler-timeout", bad], capsys)
    assert repr(bad) in err and "positive number of seconds" in err


def test_one_is_singular(monkeypatch, capsys):
    import torch

    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    assert device_name(torch.device("cpu")).endswith(", 1 thread")
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
    assert device_name(torch.device("cpu")).endswith(", 2 threads")
    assert main(["train", "--no-store", "--widths", "2", "--seeds", "1", "--steps", "1", "--lr-step", "1",
                 "--test-points", "2", "--quiet", "--backend", "eager"]) == 0
    assert "[1 seed x 1 step, float64]" in capsys.readouterr().out


def test_build_folders_are_ignored():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    p = subprocess.run(["git", "check-ignore", "-q", "build/lib/nslkit/cli.py"], cwd=ROOT)
    assert p.returncode == 0, "build/ (setuptools' build folder) is not in .gitignore"
