"""The book's named experiments: what they train, what they only load."""
import numpy as np
import pytest

import nslkit as nk


def test_main_sweep_trains_once_then_loads(tmp_path):
    first = nk.study.main_sweep("smoke", "silu", [1, 3], store=tmp_path, seeds=2, steps=20)
    assert sorted(first) == [1, 3] and len(list(tmp_path.glob("*.npz"))) == 2
    again = nk.study.main_sweep("smoke", "silu", [1, 3], store=tmp_path, seeds=2, steps=20, train=False)
    np.testing.assert_array_equal(again[3].train_mse, first[3].train_mse)
    assert again[3].config.domain == (-2.0, 2.0) and again[3].config.target == "x2"


def test_load_only_raises_for_missing_widths_and_writes_nothing(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"widths \[4\]"):
        nk.study.main_sweep("smoke", "silu", [4], store=tmp_path, train=False)
    assert not list(tmp_path.iterdir())


def test_load_only_never_retrains_a_corrupt_file(tmp_path):
    nk.study.main_sweep("smoke", "silu", [1], store=tmp_path, seeds=2, steps=20)
    path = next(tmp_path.glob("*.npz"))
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(nk.StoreError):
        nk.study.main_sweep("smoke", "silu", [1], store=tmp_path, seeds=2, steps=20, train=False)


def test_protocol_fields_change_the_experiment(tmp_path):
    a = nk.study.main_sweep("smoke", "silu", [1], store=tmp_path, seeds=2, steps=20)[1]
    b = nk.study.main_sweep("smoke", "silu", [1], store=tmp_path, seeds=2, steps=20, domain=(-1, 1))[1]
    assert b.config.domain == (-1.0, 1.0) and a.config.key() != b.config.key()


def test_wide_network_is_one_seed(tmp_path):
    res = nk.study.wide_network("smoke", store=tmp_path, steps=5, width=50)
    assert res.w.shape == (1, 50, 1) and res.config.seeds == (0,)


def test_first_stored_prefers_the_first_scale_it_finds(tmp_path):
    nk.study.main_sweep("smoke", "silu", [1], store=tmp_path)
    load = lambda s: nk.study.main_sweep(s, "silu", [1], store=tmp_path, train=False)  # noqa: E731
    scale, res = nk.study.first_stored(load, ("paper", "cpu", "smoke"))
    assert scale == "smoke" and 1 in res
    assert nk.study.first_stored(load, ("paper",)) == (None, None)


def test_unknown_scale_is_an_error():
    with pytest.raises(ValueError, match="unknown scale 'huge'"):
        nk.study.main_sweep("huge")


def test_target_sweep_for_x2_is_the_main_sweep(tmp_path):
    main = nk.study.main_sweep("smoke", "silu", [2], store=tmp_path, seeds=2, steps=20)
    same = nk.study.target_sweep("smoke", "x2", [2], store=tmp_path, seeds=2, steps=20, train=False)
    assert same[2].config.key() == main[2].config.key()
    prod = nk.study.target_sweep("smoke", "prod3", [2], store=tmp_path, seeds=2, steps=20)[2]
    # what comes back is what the store holds, whether trained now or loaded later
    assert prod.w is None and prod.config.points == 1000 and prod.config.placement == "uniform"
    # what the store keeps: the main sweep everything, another target its losses alone
    assert same[2].w is not None and same[2].provenance["kept"] == "all"
    again = nk.study.target_sweep("smoke", "prod3", [2], store=tmp_path, seeds=2, steps=20, train=False)[2]
    assert again.w is None and np.array_equal(again.train_mse, prod.train_mse)
    assert again.provenance["kept"] == "losses"


def test_target_sweep_rejects_an_unknown_target(tmp_path):
    with pytest.raises(ValueError, match="unknown target 'x5'"):
        nk.study.target_sweep("smoke", "x5", [2], store=tmp_path)


def test_disentangle_networks_takes_wide_widths_apart(tmp_path):
    nets = nk.study.disentangle_networks("smoke", [4, 60], store=tmp_path, seeds=2, steps=5)
    assert list(nets) == [4, 60]
    assert len(nets[4].c) == 2 and len(nets[60].c) == nk.study.DISENTANGLE_WIDE_SEEDS
    with pytest.raises(FileNotFoundError):
        nk.study.disentangle_networks("smoke", [4, 70], store=tmp_path, seeds=2, steps=5, train=False)


def test_cpu_small_scale_is_twenty_seeds():
    cfg = nk.scale_config("cpu-small", target="prod2")
    assert len(cfg.seeds) == 20 and cfg.steps == 50_000 and cfg.lr_step == 10_000
