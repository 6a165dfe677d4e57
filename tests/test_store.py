"""The results store: round trip, keys, atomicity, and refusal of bad files."""
import dataclasses
import json
import os
import zipfile

import numpy as np
import pytest

import nslkit.config
from nslkit import Store, StoreError, TrainConfig, run, sweep, train
from nslkit import experiment as experiment_mod


@pytest.fixture
def trained(small_cfg):
    return train(small_cfg, "cpu", progress=False)


def test_round_trip(tmp_path, trained):
    st = Store(tmp_path)
    path = st.save(trained)
    assert path.exists() and path.parent == tmp_path and trained.config in st
    back = st.load(trained.config)
    assert back.config == trained.config
    for name in ("train_mse", "test_mse", "w", "b", "v", "c", "curve_steps", "curve_loss"):
        assert np.array_equal(getattr(back, name), getattr(trained, name)), name
    assert back.provenance == {**trained.provenance, "kept": "all"}
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_keep_losses_only(tmp_path, trained):
    st = Store(tmp_path)
    path = st.save(trained, keep="losses")
    with np.load(path) as z:
        assert sorted(z.files) == ["config_json", "provenance_json", "seeds", "test_mse", "train_mse"]
    back = st.load(trained.config)
    assert np.array_equal(back.train_mse, trained.train_mse) and np.array_equal(back.test_mse, trained.test_mse)
    assert back.w is None and back.curve_loss is None and back.provenance["kept"] == "losses"
    with pytest.raises(ValueError, match="were not kept"):
        back.population()
    with pytest.raises(ValueError, match="keep='losses'"):
        st.save(back)  # nothing to save the parameters from
    st.save(back, keep="losses")  # a slim result saves slim
    with pytest.raises(ValueError, match="valid values: all, losses"):
        st.save(trained, keep="params")
    with np.load(path) as z:  # a slim file that lost one of its own arrays is refused
        arrays = {k: z[k] for k in z.files if k != "test_mse"}
    np.savez(path, **arrays)
    with pytest.raises(StoreError, match="lacks test_mse"):
        st.load(trained.config)


def test_file_is_readable_without_nslkit(tmp_path, trained):
    path = Store(tmp_path).save(trained)
    with np.load(path, allow_pickle=False) as z:
        cfg = json.loads(str(z["config_json"]))
        assert cfg["width"] == trained.config.width and cfg["format_version"] == nslkit.config.FORMAT_VERSION
        assert z["w"].shape == trained.w.shape and list(z["seeds"]) == list(trained.config.seeds)


def _other_value(name, value):
    alternatives = {
        "target": "x3", "activation": "relu", "width": 5, "seeds": (0, 1, 3), "steps": 201, "lr": 0.02,
        "lr_decay": 0.3, "lr_step": 71, "domain": (-1.0, 1.0), "points": 64, "placement": "uniform",
        "data_seed": 1, "negative_slope": 0.02, "dtype": "float32", "test_points": 201, "curve_points": 50,
    }
    assert alternatives[name] != value, name
    return alternatives[name]


def test_every_field_changes_the_key(small_cfg, tmp_path):
    st = Store(tmp_path)
    keys = {small_cfg.key()}
    paths = {st.path(small_cfg)}
    for f in dataclasses.fields(TrainConfig):
        changed = small_cfg.replace(**{f.name: _other_value(f.name, getattr(small_cfg, f.name))})
        keys.add(changed.key())
        paths.add(st.path(changed))
    n = len(dataclasses.fields(TrainConfig)) + 1
    assert len(keys) == n and len(paths) == n


def test_format_version_changes_the_key(small_cfg, monkeypatch):
    before = small_cfg.key()
    monkeypatch.setattr(nslkit.config, "FORMAT_VERSION", nslkit.config.FORMAT_VERSION + 1)
    assert small_cfg.key() != before


def test_missing_file(tmp_path, small_cfg):
    with pytest.raises(FileNotFoundError):
        Store(tmp_path).load(small_cfg)


def test_truncated_file_is_detected(tmp_path, trained):
    path = Store(tmp_path).save(trained)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 30, 10):
        path.write_bytes(data[:cut])
        with pytest.raises(StoreError, match="truncated or corrupted"):
            Store(tmp_path).load(trained.config)


def test_corrupted_member_is_detected(tmp_path, trained):
    path = Store(tmp_path).save(trained)
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("w.npy")
    data = bytearray(path.read_bytes())
    # flip a byte inside the compressed data of w.npy (after its 30-byte local header and name)
    pos = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    data[pos] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError):
        Store(tmp_path).load(trained.config)


def test_stale_or_mismatched_file_is_refused(tmp_path, trained):
    st = Store(tmp_path)
    path = st.save(trained)
    other = trained.config.replace(steps=trained.config.steps + 1)
    os.replace(path, st.path(other))  # a file under another config's name, as a hash collision would be
    with pytest.raises(StoreError, match="another config"):
        st.load(other)


def test_wrong_shapes_are_refused(tmp_path, trained):
    st = Store(tmp_path)
    path = st.save(dataclasses.replace(trained, w=trained.w[:, :2]))
    assert path.exists()
    with pytest.raises(StoreError, match="wrong shape"):
        st.load(trained.config)


def test_run_loads_instead_of_training(tmp_path, small_cfg, monkeypatch):
    first = run(small_cfg, store=tmp_path, device="cpu", progress=False)

    def no_training(*a, **k):
        raise AssertionError("trained although the results were stored")

    monkeypatch.setattr(experiment_mod, "train_widths", no_training)
    again = run(small_cfg, store=tmp_path, device="cpu", progress=False)
    assert np.array_equal(first.w, again.w)


def test_sweep_trains_only_missing_widths_and_recomputes_corrupt(tmp_path, small_cfg, monkeypatch):
    run(small_cfg.replace(width=2), store=tmp_path, device="cpu", progress=False)
    trained_widths = []
    real = experiment_mod.train_widths

    def spy(cfg, widths, *a, **k):
        trained_widths.extend(widths)
        return real(cfg, widths, *a, **k)

    monkeypatch.setattr(experiment_mod, "train_widths", spy)
    out = sweep(small_cfg, [2, 3], store=tmp_path, device="cpu", progress=False)
    assert trained_widths == [3] and set(out) == {2, 3}
    path = Store(tmp_path).path(small_cfg.replace(width=3))
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(StoreError):
        sweep(small_cfg, [3], store=tmp_path, device="cpu", progress=False, on_corrupt="raise")
    with pytest.warns(UserWarning, match="training again"):
        again = sweep(small_cfg, [3], store=tmp_path, device="cpu", progress=False)
    assert trained_widths == [3, 3]
    assert np.array_equal(again[3].w, out[3].w)
    Store(tmp_path).load(small_cfg.replace(width=3))  # overwritten with a good file


def test_no_store_writes_nothing(tmp_path, small_cfg, monkeypatch):
    monkeypatch.setenv("NSLKIT_RESULTS", str(tmp_path / "env"))
    run(small_cfg, store=False, device="cpu", progress=False)
    assert not (tmp_path / "env").exists()
    run(small_cfg, device="cpu", progress=False)  # default store follows the environment variable
    assert Store().root == tmp_path / "env" and small_cfg in Store()
