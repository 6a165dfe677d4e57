"""The results store: chunks of seeds, assembled on request; keys, atomicity, concurrency, refusal
of bad files, and the converter from format version 1."""
import dataclasses
import json
import multiprocessing as mp
import os
import zipfile

import numpy as np
import pytest
import torch

import nslkit.config
from nslkit import Store, StoreError, TrainConfig, run, sweep, train
from nslkit import experiment as experiment_mod
from nslkit.experiment import DivergenceWarning, StoreWarning
from nslkit.data import training_data
from nslkit.population import Population, evaluate_mse
from nslkit.results import Results, diverged
from nslkit.store import migrate


@pytest.fixture
def trained(small_cfg):
    return train(small_cfg, "cpu", progress=False, backend="eager")


@pytest.fixture
def trained6(small_cfg):
    return train(small_cfg.replace(seeds=6), "cpu", progress=False, backend="eager")


def _same(a, b, names=("train_mse", "test_mse", "w", "b", "v", "c", "curve_loss")):
    for name in names:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_round_trip_in_chunks(tmp_path, trained6):
    trained = trained6
    st = Store(tmp_path, chunk_size=4)
    paths = st.save(trained)
    S = len(trained.seeds)
    assert len(paths) == -(-S // 4) == 2 and all(p.parent == tmp_path for p in paths)
    assert paths[0].name.endswith("_s0-3.npz") and paths[1].name.endswith("_s4-7.npz") and trained.config in st
    back = st.load(trained.config)
    assert back.config == trained.config
    _same(back, trained)
    assert np.array_equal(back.curve_steps, trained.curve_steps)
    assert back.provenance["kept"] == "all" and back.provenance["device"] == trained.provenance["device"]
    assert back.provenance["wall_s"] == pytest.approx(trained.provenance["wall_s"], abs=1e-3)  # one run, counted once
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*(p.name for p in paths), ".nslkit.lock"])


def test_any_seed_list_is_assembled_from_stored_chunks(tmp_path, trained6, small_cfg, monkeypatch):
    trained = trained6
    st = Store(tmp_path, chunk_size=3)
    st.save(trained)
    monkeypatch.setattr(experiment_mod, "train", _no_training)
    monkeypatch.setattr(experiment_mod, "train_widths", _no_training)
    seeds = trained.config.seeds
    pick = (seeds[4], seeds[0], seeds[5])  # any order, across chunks
    sub = run(small_cfg.replace(seeds=pick), store=st, device="cpu", progress=False)
    rows = [seeds.index(s) for s in pick]
    assert sub.seeds == pick and np.array_equal(sub.train_mse, trained.train_mse[rows])
    assert np.array_equal(sub.w, trained.w[rows])


def _no_training(*a, **k):
    raise AssertionError("trained although the results were stored")


def test_more_seeds_train_only_the_new_ones(tmp_path, small_cfg, monkeypatch):
    st = Store(tmp_path, chunk_size=4)
    first = run(small_cfg.replace(seeds=6), store=st, device="cpu", progress=False, backend="eager")
    trained_seeds = []
    real = experiment_mod.train

    def spy(cfg, *a, **k):
        trained_seeds.extend(cfg.seeds)
        return real(cfg, *a, **k)

    monkeypatch.setattr(experiment_mod, "train", spy)
    grown = run(small_cfg.replace(seeds=10), store=st, device="cpu", progress=False, backend="eager")
    assert trained_seeds == [6, 7, 8, 9]  # 6, 7 complete chunk 4-7; 8, 9 start chunk 8-11
    alone = train(small_cfg.replace(seeds=10), "cpu", progress=False, backend="eager")
    _same(grown, alone)  # a seed trains the same in any batch
    assert np.array_equal(grown.train_mse[:6], first.train_mse)
    assert len(st.files(small_cfg)) == 3


def test_keep_losses_only(tmp_path, trained):
    st = Store(tmp_path)
    (path,) = st.save(trained, keep="losses")
    with np.load(path) as z:
        assert sorted(z.files) == ["config_json", "kept", "provenance_json", "seeds", "test_mse", "train_mse"]
    back = st.load(trained.config)
    _same(back, trained, ("train_mse", "test_mse"))
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
    (path,) = Store(tmp_path).save(trained)
    with np.load(path, allow_pickle=False) as z:
        cfg = json.loads(str(z["config_json"]))
        assert cfg["width"] == trained.config.width and cfg["format_version"] == nslkit.config.FORMAT_VERSION == 2
        assert z["w"].shape == trained.w.shape and list(z["seeds"]) == list(trained.config.seeds)
        runs = json.loads(str(z["provenance_json"]))
        assert runs[0]["seeds"] == [0, len(trained.seeds) - 1] and "git_commit" in runs[0]


def _other_value(name, value):
    alternatives = {
        "target": "x3", "activation": "relu", "width": 5, "seeds": (0, 1, 3), "steps": 201, "lr": 0.02,
        "lr_decay": 0.3, "lr_step": 71, "domain": (-1.0, 1.0), "points": 64, "placement": "uniform",
        "data_seed": 1, "negative_slope": 0.02, "dtype": "float32", "test_points": 201, "curve_points": 50,
        "optimizer": "sgd", "momentum": 0.5, "curve_grid": "log",
    }
    assert alternatives[name] != value, name
    return alternatives[name]


def test_every_field_but_the_seeds_changes_the_experiment_key(small_cfg, tmp_path):
    st = Store(tmp_path)
    keys, prefixes = {small_cfg.experiment_key()}, {st.prefix(small_cfg)}
    for f in dataclasses.fields(TrainConfig):
        sgd = {"optimizer": "sgd"} if f.name == "momentum" else {}  # only SGD takes a momentum
        changed = small_cfg.replace(**sgd, **{f.name: _other_value(f.name, getattr(small_cfg, f.name))})
        if f.name == "seeds":
            assert changed.experiment_key() == small_cfg.experiment_key() and changed.key() != small_cfg.key()
            continue
        keys.add(changed.experiment_key())
        prefixes.add(st.prefix(changed))
    n = len(dataclasses.fields(TrainConfig))  # every field but the seeds, and the original
    assert len(keys) == n and len(prefixes) == n


def test_format_version_changes_the_key(small_cfg, monkeypatch):
    before = small_cfg.experiment_key(), small_cfg.key()
    monkeypatch.setattr(nslkit.config, "FORMAT_VERSION", nslkit.config.FORMAT_VERSION + 1)
    assert small_cfg.experiment_key() != before[0] and small_cfg.key() != before[1]


def test_missing_seeds(tmp_path, small_cfg, trained):
    with pytest.raises(FileNotFoundError):
        Store(tmp_path).load(small_cfg)
    Store(tmp_path).save(trained)
    with pytest.raises(FileNotFoundError, match="2 of the 3 seeds"):
        Store(tmp_path).load(small_cfg.replace(seeds=(0, 100, 101)))


def test_a_store_on_a_file_is_refused(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        Store(f)


def test_truncated_file_is_detected(tmp_path, trained):
    (path,) = Store(tmp_path).save(trained)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 30, 10):
        path.write_bytes(data[:cut])
        with pytest.raises(StoreError, match="truncated or corrupted") as e:
            Store(tmp_path).load(trained.config)
        assert e.value.path == path and e.value.chunk == (0, 99)


def test_corrupted_member_is_detected(tmp_path, trained):
    (path,) = Store(tmp_path).save(trained)
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
    (path,) = st.save(trained)
    other = trained.config.replace(steps=trained.config.steps + 1)
    os.replace(path, st.chunk_path(other, (0, 99)))  # a file under another config's name, as a hash collision would be
    with pytest.raises(StoreError, match="another config"):
        st.load(other)


def test_wrong_shapes_are_refused(tmp_path, trained):
    st = Store(tmp_path)
    (path,) = st.save(dataclasses.replace(trained, w=trained.w[:, :2]))
    assert path.exists()
    with pytest.raises(StoreError, match="wrong shape"):
        st.load(trained.config)


def test_run_loads_instead_of_training(tmp_path, small_cfg, monkeypatch):
    first = run(small_cfg, store=tmp_path, device="cpu", progress=False)
    monkeypatch.setattr(experiment_mod, "train", _no_training)
    monkeypatch.setattr(experiment_mod, "train_widths", _no_training)
    again = run(small_cfg, store=tmp_path, device="cpu", progress=False)
    assert np.array_equal(first.w, again.w)


def test_sweep_trains_only_missing_widths_and_recomputes_corrupt(tmp_path, small_cfg, monkeypatch):
    run(small_cfg.replace(width=2), store=tmp_path, device="cpu", progress=False)
    trained_widths = []
    real = experiment_mod.train

    def spy(cfg, *a, **k):
        trained_widths.append(cfg.width)
        return real(cfg, *a, **k)

    monkeypatch.setattr(experiment_mod, "train", spy)
    out = sweep(small_cfg, [2, 3], store=tmp_path, device="cpu", progress=False)
    assert trained_widths == [3] and set(out) == {2, 3}
    (path,) = Store(tmp_path).files(small_cfg.replace(width=3))
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(StoreError):
        sweep(small_cfg, [3], store=tmp_path, device="cpu", progress=False, on_corrupt="raise")
    with pytest.raises(StoreError):
        sweep(small_cfg, [3], store=tmp_path, device="cpu", progress=False, train=False)  # load-only never retrains
    with pytest.warns(StoreWarning, match=rf"{path.name} is truncated or corrupted .*; training its 3 seeds of N=3 again"):
        again = sweep(small_cfg, [3], store=tmp_path, device="cpu", progress=False)
    assert trained_widths == [3, 3]
    assert np.array_equal(again[3].w, out[3].w)
    Store(tmp_path).load(small_cfg.replace(width=3))  # replaced by a good file


def test_no_store_writes_nothing(tmp_path, small_cfg, monkeypatch):
    monkeypatch.setenv("NSLKIT_RESULTS", str(tmp_path / "env"))
    run(small_cfg, store=False, device="cpu", progress=False)
    assert not (tmp_path / "env").exists()
    run(small_cfg, device="cpu", progress=False)  # default store follows the environment variable
    assert Store().root == tmp_path / "env" and small_cfg in Store()


def test_diverged_networks_are_reported(tmp_path, small_cfg):
    with pytest.warns(DivergenceWarning, match=r"3 of 3 newly trained x2/silu networks ended at Var\(y\)"):
        run(small_cfg.replace(lr=1000.0), store=tmp_path, device="cpu", progress=False)


def _planted(cfg, train_mse):
    """Results of cfg whose final training losses are ``train_mse`` (the rest is zeros)."""
    S, N = len(train_mse), cfg.width
    z = np.zeros
    return Results(cfg.replace(seeds=S), np.asarray(train_mse, float), np.asarray(train_mse, float), z((S, N, 1)),
                   z((S, N)), z((S, N)), z(S), np.arange(2), z((S, 2)))


def test_networks_that_learnt_nothing_count_with_the_diverged(small_cfg, monkeypatch):
    x, y = training_data(small_cfg)
    var = float(y.var(unbiased=False))
    # the constant network at the mean of y (v = 0, c = mean): it learnt nothing, its MSE is Var(y) to rounding
    pop = Population(torch.zeros(1, 4, 1, dtype=torch.float64), torch.zeros(1, 4, dtype=torch.float64),
                     torch.zeros(1, 4, dtype=torch.float64), y.mean().reshape(1))
    constant = float(evaluate_mse(pop, x, y, "silu")[0])
    learnt_nothing = [constant, var, var * (1 - 1e-5), var * (1 + 1e-9), var * 1.5, np.nan, np.inf]
    learnt = [var * 0.5, 1e-6, var * (1 - 1e-2)]
    res = _planted(small_cfg, learnt_nothing + learnt)
    assert diverged(res) == len(learnt_nothing)
    # and the sweep's one warning line counts them
    monkeypatch.setattr(experiment_mod, "train_widths", lambda cfg, widths, *a: {w: res for w in widths})
    with pytest.warns(DivergenceWarning, match=r"^7 of 10 newly trained x2/silu networks .*\(N=4: 7\)"):
        sweep(small_cfg, [4], store=False, device="cpu", progress=False)


def _write_chunk(root, cfg_json, seeds_start):
    """A process that saves seeds [start, start + 3) of one chunk (for the concurrency test)."""
    cfg = TrainConfig.from_dict(json.loads(cfg_json)).replace(seeds=tuple(range(seeds_start, seeds_start + 3)))
    res = train(cfg, "cpu", progress=False, backend="eager")
    for _ in range(5):  # several writes each, to interleave them
        Store(root).save(res)


def test_two_concurrent_writers_of_one_chunk_leave_one_valid_file(tmp_path, small_cfg):
    ctx = mp.get_context("spawn")
    cfg_json = json.dumps(small_cfg.to_dict())
    procs = [ctx.Process(target=_write_chunk, args=(str(tmp_path), cfg_json, start)) for start in (0, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    st = Store(tmp_path)
    (path,) = st.files(small_cfg)
    both = st.load(small_cfg.replace(seeds=tuple(range(5))))
    _same(both, train(small_cfg.replace(seeds=5), "cpu", progress=False, backend="eager"))
    assert not list(tmp_path.glob("*.tmp"))


def _v1_file(folder, res, name_key="0123456789abcdef"):
    """A results file as format version 1 wrote it: one file per seed list, provenance a dict."""
    cfg = {**res.config.to_dict(), "format_version": 1}
    arrays = {"config_json": np.array(json.dumps(cfg, sort_keys=True)),
              "provenance_json": np.array(json.dumps({**res.provenance, "kept": "all"}, sort_keys=True)),
              "seeds": np.asarray(res.config.seeds), **{k: getattr(res, k) for k in
                                                       ("train_mse", "test_mse", "w", "b", "v", "c", "curve_steps",
                                                        "curve_loss")}}
    path = folder / f"{res.config.target}_{res.config.activation}_N{res.config.width}_{name_key}.npz"
    np.savez_compressed(path, **arrays)
    return path


def test_migrate_converts_version_1_files(tmp_path, small_cfg):
    big = train(small_cfg.replace(seeds=6), "cpu", progress=False, backend="eager")
    small = dataclasses.replace(big, config=big.config.replace(seeds=(0, 1)),
                                **{k: getattr(big, k)[:2] for k in ("train_mse", "test_mse", "w", "b", "v", "c",
                                                                   "curve_loss")})
    small.train_mse = small.train_mse * (1 + 1e-9)  # another backend's rounding
    old = tmp_path / "old"
    old.mkdir()
    small_path, big_path = _v1_file(old, small, "aaaaaaaaaaaaaaaa"), _v1_file(old, big, "bbbbbbbbbbbbbbbb")
    st = Store(tmp_path / "new", chunk_size=4)
    with pytest.raises(FileNotFoundError, match="2 files of format version 1 lie there"):
        Store(old).load(big.config)
    report = migrate(old, st)
    assert report["files"] == 2 and report["duplicates"][small_path.name][0] == 2
    assert report["duplicates"][small_path.name][1] == pytest.approx(1e-9, rel=1e-3)
    back = st.load(big.config)
    _same(back, big)  # the larger run's numbers are kept
    assert {r["migrated_from"] for r in back.provenance["runs"]} == {big_path.name}
    assert len(list(old.glob("*.npz"))) == 2
    migrate(old, st, remove=True)
    assert not list(old.glob("*.npz"))


def test_take_picks_networks_by_seed_in_the_order_asked(small_cfg):
    import nslkit as nk

    r = nk.train(small_cfg.replace(seeds=[5, 2, 9], steps=20), progress=False)
    t = r.take([9, 5])
    assert t.seeds == (9, 5) and t.config.experiment_key() == r.config.experiment_key()
    assert t.train_mse.tolist() == [r.train_mse[2], r.train_mse[0]]
    assert (t.w[0] == r.w[2]).all() and (t.curve_loss[1] == r.curve_loss[0]).all()
    with pytest.raises(ValueError, match=r"seeds \[3\] are not among"):
        r.take([3])
