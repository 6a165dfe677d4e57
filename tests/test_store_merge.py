"""The store's merge of a chunk written in parts, seeds out of order (issue 35): every seed's
numbers stay attached to that seed, whatever order the seeds come in and however the chunk was
split. Planted results (each array a known function of its seed), no training."""
import json
import tempfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nslkit import Results, Store, TrainConfig

CFG = TrainConfig(width=3, seeds=(0,), steps=10, lr_step=5, test_points=20)
STEPS = np.array([0, 4, 9])


def planted(seeds, offset: float = 0.0, cfg: TrainConfig = CFG, provenance=None) -> Results:
    """Results of ``seeds`` (in the order given) whose every number is a function of the seed."""
    s = np.asarray(seeds, dtype=float)
    S, N = s.size, cfg.width
    grid = np.arange(N, dtype=float)
    return Results(cfg.replace(seeds=tuple(seeds)), train_mse=1 + s + offset, test_mse=1000 + s + offset,
                   w=(s[:, None] + grid / 10)[:, :, None] + offset, b=-s[:, None] - grid / 10 + offset,
                   v=2 * s[:, None] + grid + offset, c=3 * s + offset,
                   curve_steps=STEPS, curve_loss=s[:, None] * 10 + STEPS + offset,
                   provenance=provenance or {"device": "planted", "wall_s": 1.0})


def check_attached(res: Results, offsets: dict[int, float] | None = None):
    """Every row of ``res`` holds the numbers of the seed its config names at that row."""
    expect = planted(res.seeds)
    for i, seed in enumerate(res.seeds):
        o = (offsets or {}).get(seed, 0.0)
        assert res.train_mse[i] == expect.train_mse[i] + o and res.test_mse[i] == expect.test_mse[i] + o, seed
        for k in ("w", "b", "v", "c", "curve_loss"):
            if getattr(res, k) is not None:
                np.testing.assert_array_equal(getattr(res, k)[i], getattr(expect, k)[i] + o, err_msg=f"{k} of {seed}")


def test_a_chunk_written_in_two_parts_out_of_order(tmp_path):
    st_ = Store(tmp_path, chunk_size=10)
    (first,) = st_.save(planted((7, 2, 9)))
    (second,) = st_.save(planted((5, 0, 8, 3)))
    assert first == second  # one chunk, s0-9, merged
    with np.load(first) as z:
        np.testing.assert_array_equal(z["seeds"], [0, 2, 3, 5, 7, 8, 9])  # ascending in the file
        np.testing.assert_array_equal(z["train_mse"], 1 + z["seeds"])
        np.testing.assert_array_equal(z["c"], 3 * z["seeds"])
        np.testing.assert_array_equal(z["curve_loss"][:, 0], 10 * z["seeds"])
        assert json.loads(str(z["config_json"]))["seeds"] == [0, 2, 3, 5, 7, 8, 9]
        runs = json.loads(str(z["provenance_json"]))
    assert [r["seeds"] for r in runs] == ["2 7 9", "0 3 5 8"]
    back = st_.load(CFG.replace(seeds=(9, 0, 5, 2, 7, 3, 8)))
    assert back.seeds == (9, 0, 5, 2, 7, 3, 8)
    check_attached(back)
    np.testing.assert_array_equal(back.curve_steps, STEPS)


def test_a_seed_already_stored_keeps_its_numbers(tmp_path):
    st_ = Store(tmp_path, chunk_size=10)
    st_.save(planted((4, 1)))
    st_.save(planted((6, 4, 0), offset=0.5))  # seed 4 again, with other numbers: the stored ones stay
    back = st_.load(CFG.replace(seeds=(0, 1, 4, 6)))
    check_attached(back, {0: 0.5, 6: 0.5})
    # a part that brings no new seed changes nothing, not even the provenance
    (path,) = st_.save(planted((1, 4), offset=9.0, provenance={"device": "again"}))
    with np.load(path) as z:
        assert len(json.loads(str(z["provenance_json"]))) == 2
    check_attached(st_.load(CFG.replace(seeds=(4, 1, 6, 0))), {0: 0.5, 6: 0.5})


def test_parts_across_chunks(tmp_path):
    st_ = Store(tmp_path, chunk_size=4)
    st_.save(planted((9, 1, 6)))
    st_.save(planted((2, 8, 5, 0, 10)))
    assert sorted(p.name.split("_s")[-1] for p in st_.files(CFG)) == ["0-3.npz", "4-7.npz", "8-11.npz"]
    seeds = (10, 5, 0, 9, 2, 6, 8, 1)
    check_attached(st_.load(CFG.replace(seeds=seeds)))
    assert st_.index(CFG)[6].name.endswith("_s4-7.npz")


@pytest.mark.parametrize("first, second, kept", [("all", "losses", "losses"), ("losses", "all", "losses"),
                                                 ("all", "all", "all")])
def test_a_merge_keeps_what_both_parts_kept(tmp_path, first, second, kept):
    st_ = Store(tmp_path, chunk_size=10)
    st_.save(planted((3, 1)), keep=first)
    (path,) = st_.save(planted((2, 0)), keep=second)
    with np.load(path) as z:
        assert str(z["kept"]) == kept and ("w" in z.files) == (kept == "all")
    back = st_.load(CFG.replace(seeds=(2, 3, 0, 1)))
    assert back.provenance["kept"] == kept
    check_attached(back)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(st.permutations(range(12)), st.integers(1, 11), st.sampled_from([3, 4, 5, 12]))
def test_any_split_and_order_keeps_each_seed_attached(order, cut, chunk):
    with tempfile.TemporaryDirectory() as root:
        st_ = Store(root, chunk_size=chunk)
        st_.save(planted(tuple(order[:cut])))
        st_.save(planted(tuple(order[cut:])))
        check_attached(st_.load(CFG.replace(seeds=tuple(reversed(order)))))


# ---- the rest of the store without training: errors, names, provenance -----------------------------

def test_store_error_names_its_chunk(tmp_path):
    from pathlib import Path

    from nslkit import StoreError

    assert StoreError("m").path is None and StoreError("m").chunk is None and str(StoreError("m")) == "m"
    assert StoreError("m", Path("x2_silu.npz")).chunk is None
    e = StoreError("m", Path("x2_silu_N3_0123456789abcdef_s100-199.npz"))
    assert e.chunk == (100, 199) and e.path == Path("x2_silu_N3_0123456789abcdef_s100-199.npz")


def test_default_results_dir(monkeypatch, tmp_path):
    import nslkit.store as store_mod
    from pathlib import Path

    monkeypatch.delenv("NSLKIT_RESULTS", raising=False)
    repo = Path(store_mod.__file__).resolve().parent.parent
    assert store_mod.default_results_dir() == repo / "results" and (repo / "pyproject.toml").exists()
    assert Store().root == repo / "results"
    monkeypatch.setenv("NSLKIT_RESULTS", str(tmp_path / "elsewhere"))
    assert store_mod.default_results_dir() == tmp_path / "elsewhere"
    monkeypatch.setenv("NSLKIT_RESULTS", "")
    assert store_mod.default_results_dir() == repo / "results"
    # installed without its repository: the user's cache
    monkeypatch.setattr(store_mod, "__file__", str(tmp_path / "site" / "nslkit" / "store.py"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert store_mod.default_results_dir() == tmp_path / "home" / ".cache" / "nslkit" / "results"


def test_repr_and_runs(tmp_path):
    st_ = Store(tmp_path, chunk_size=4)
    assert repr(st_) == f"Store({str(tmp_path)!r})"
    assert st_.runs(CFG) == []
    st_.save(planted((1, 5), provenance={"device": "a", "wall_s": 2.0}))
    st_.save(planted((2,), provenance={"device": "b", "wall_s": 3.0}))
    runs = st_.runs(CFG)
    assert sorted((r["device"], str(r["seeds"])) for r in runs) == [("a", "[1, 1]"), ("a", "[5, 5]"), ("b", "[2, 2]")]
    path = st_.chunk_path(CFG, (4, 7))
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["provenance_json"] = np.array("{not json")
    np.savez(path, **arrays)
    from nslkit import StoreError
    with pytest.raises(StoreError, match="has no readable provenance") as err:
        st_.runs(CFG)
    assert err.value.path == path and err.value.chunk == (4, 7)


def test_missing_seeds_and_the_hint_for_old_files(tmp_path):
    st_ = Store(tmp_path / "store")
    with pytest.raises(FileNotFoundError, match=r"^1 of the 1 seeds of x2/silu N=3 are not in .*store$"):
        st_.load(CFG)
    st_.save(planted((0, 1)))
    assert st_.missing(CFG.replace(seeds=(3, 1, 2))) == (3, 2)
    (tmp_path / "store" / "x2_silu_N3_old.npz").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match=r"^2 of the 3 seeds of x2/silu N=3 are not in .*store \(1 files of "
                                                r"format version 1 lie there: `python -m nslkit migrate --store "
                                                r".*store` converts them\)$"):
        st_.load(CFG.replace(seeds=(3, 1, 2)))


def test_chunks_that_sample_different_curves_are_refused(tmp_path):
    from nslkit import StoreError

    st_ = Store(tmp_path, chunk_size=2)
    st_.save(planted((0, 1)))
    other = planted((2, 3))
    other.curve_steps = np.array([0, 5, 9])
    st_.save(other)
    with pytest.raises(StoreError, match="^the chunks of x2/silu N=3 sample different loss curves$"):
        st_.load(CFG.replace(seeds=(0, 1, 2, 3)))


def test_migrate_refuses_an_unreadable_file(tmp_path):
    from nslkit import StoreError
    from nslkit.store import migrate

    old = tmp_path / "old"
    old.mkdir()
    np.savez(old / "x2_silu_N3_aaaa.npz", seeds=np.arange(2), config_json=np.array("{not json"))
    with pytest.raises(StoreError, match="has no readable config or provenance") as err:
        migrate(old, Store(tmp_path / "new"))
    assert err.value.path == old / "x2_silu_N3_aaaa.npz"


def test_the_provenance_of_assembled_chunks(tmp_path):
    st_ = Store(tmp_path, chunk_size=2)
    # one run's record reaches its chunks in any key order: one run, its wall time counted once
    st_.save(planted((0, 1), provenance={"device": "a", "torch": "2", "wall_s": 1.00049}))
    st_.save(planted((2, 3), provenance={"wall_s": 1.00049, "torch": "2", "device": "a"}))
    st_.save(planted((4,), provenance={"device": "b", "torch": "2", "wall_s": 2.0}))
    p = st_.load(CFG.replace(seeds=(0, 1, 2, 3, 4))).provenance
    assert p["wall_s"] == 3.0 and p["torch"] == "2" and "device" not in p and "seeds" not in p
    assert p["kept"] == "all" and [r["seeds"] for r in p["runs"]] == [[0, 1], [2, 3], [4, 4]]
    one = st_.load(CFG.replace(seeds=(0,))).provenance
    assert one["wall_s"] == 1.0 and one["device"] == "a" and "seeds" not in one  # rounded to 3 decimals
    st2 = Store(tmp_path / "no_wall")
    st2.save(planted((0,), provenance={"device": "a", "wall_s": None}))
    p = st2.load(CFG).provenance
    assert "wall_s" not in p and p["device"] == "a"


def _v1(folder, seeds, name, provenance, version=1):
    res = planted(seeds)
    arrays = {"config_json": np.array(json.dumps({**res.config.to_dict(), "format_version": version})),
              "provenance_json": np.array(json.dumps(provenance)), "seeds": np.asarray(seeds),
              **{k: getattr(res, k) for k in ("train_mse", "test_mse", "w", "b", "v", "c", "curve_steps", "curve_loss")}}
    np.savez(folder / f"x2_silu_N3_{name}.npz", **arrays)
    return folder / f"x2_silu_N3_{name}.npz"


def test_migrate_keeps_what_the_old_file_kept(tmp_path):
    from nslkit import StoreError
    from nslkit.store import migrate

    old = tmp_path / "old"
    old.mkdir()
    _v1(old, (0, 1, 2), "aaaa", {"device": "a", "kept": "losses", "wall_s": 1.0})
    _v1(old, (5,), "bbbb", {"device": "b"})
    st_ = Store(tmp_path / "new", chunk_size=4)
    report = migrate(old, st_)
    assert report == {"files": 2, "chunks": 2, "duplicates": {}}
    slim = st_.load(CFG.replace(seeds=(2, 0)))
    assert slim.w is None and slim.provenance["kept"] == "losses"
    check_attached(slim)
    full = st_.load(CFG.replace(seeds=(5,)))
    assert full.w is not None and full.provenance["kept"] == "all"
    check_attached(full)
    runs = st_.runs(CFG)
    assert sorted(r["migrated_from"] for r in runs) == ["x2_silu_N3_aaaa.npz", "x2_silu_N3_bbbb.npz"]
    assert sorted((r["migrated_from"], r["run_seeds"]) for r in runs) == [("x2_silu_N3_aaaa.npz", [0, 2]),
                                                                         ("x2_silu_N3_bbbb.npz", [5, 5])]
    assert all("kept" not in r for r in runs)
    newer = tmp_path / "newer"
    newer.mkdir()
    path = _v1(newer, (0,), "cccc", {"device": "a"}, version=2)
    with pytest.raises(StoreError, match=r"is not of format version 1 \(it says 2\)$") as err:
        migrate(newer, Store(tmp_path / "x"))
    assert err.value.path == path


def _rewrite(path, **changes):
    """Rewrite a chunk file with some arrays changed (None: left out)."""
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    for k, v in changes.items():
        if v is None:
            arrays.pop(k)
        else:
            arrays[k] = v
    np.savez(path, **arrays)


@pytest.mark.parametrize("name", ["train_mse", "test_mse", "w", "b", "v", "c", "curve_loss"])
def test_an_array_of_the_wrong_shape_is_refused(tmp_path, name):
    from nslkit import StoreError

    st_ = Store(tmp_path)
    (path,) = st_.save(planted((0, 1, 2)))
    with np.load(path) as z:
        bad = z[name][:2]
    _rewrite(path, **{name: bad})
    with pytest.raises(StoreError, match=rf"has arrays of the wrong shape or unsorted seeds: \['{name}'\]$") as err:
        st_.load(CFG.replace(seeds=(0, 1, 2)))
    assert err.value.path == path


def test_unsorted_seeds_a_missing_array_and_unreadable_records_are_refused(tmp_path):
    from nslkit import StoreError

    st_ = Store(tmp_path)
    cfg = CFG.replace(seeds=(0, 1, 2))
    (path,) = st_.save(planted((0, 1, 2)))
    good = {}
    with np.load(path) as z:
        good = {k: z[k] for k in z.files}
    cases = [({"seeds": np.array([1, 0, 2]),
               "config_json": np.array(json.dumps(CFG.replace(seeds=(1, 0, 2)).to_dict(), sort_keys=True))},
              r"has arrays of the wrong shape or unsorted seeds: seeds$"),
             ({"v": None, "c": None}, r"lacks v, c$"),
             ({"kept": None}, r"says neither what it kept \(all, losses\) nor which runs made it$"),
             ({"provenance_json": np.array(json.dumps({"device": "a"}))},
              r"says neither what it kept \(all, losses\) nor which runs made it$"),
             ({"provenance_json": np.array("{")}, r"has no readable config or provenance \(JSONDecodeError"),
             ({"config_json": np.array(json.dumps(CFG.replace(seeds=(0, 1, 2), steps=11).to_dict()))},
              r"holds another config or format version than asked for \(stale or a key collision\)$"),
             ({"w": np.array([None, 1], dtype=object)}, r"is truncated or corrupted")]
    for changes, message in cases:
        np.savez(path, **good)
        if "w" in changes and changes["w"].dtype == object:
            np.savez(path, **{**good, **changes}, allow_pickle=True)
        else:
            _rewrite(path, **changes)
        with pytest.raises(StoreError, match=message) as err:
            st_.load(cfg)
        assert err.value.path == path and err.value.chunk == (0, 99), message


def test_files_are_written_for_everyone_to_read(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        (path,) = Store(tmp_path).save(planted((0, 1)))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_failed_write_leaves_the_chunk_as_it_was_and_no_temporary_file(tmp_path, monkeypatch):
    st_ = Store(tmp_path)
    (path,) = st_.save(planted((0, 1)))
    before = path.read_bytes()
    seen = []

    def full_disk(f, **arrays):
        seen.extend(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp"))
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", full_disk)
    with pytest.raises(OSError, match="^disk full$"):
        st_.save(planted((2, 3)))
    # the temporary file lay beside the chunk, named after it, and is gone
    assert len(seen) == 1 and seen[0].startswith(path.name) and seen[0].endswith(".tmp")
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == [".nslkit.lock", path.name]


def test_names_folders_and_bad_arguments(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(ValueError, match=f"^the results store {str(tmp_path / 'f')!r} is a file, not a folder$"):
        Store(tmp_path / "f")
    with pytest.raises(ValueError, match="^chunk_size must be a positive integer, got 0$"):
        Store(tmp_path, chunk_size=0)
    st_ = Store(tmp_path / "a" / "b")  # made on the first write, parents too
    assert st_.prefix(CFG) == f"x2_silu_N3_{CFG.experiment_key()[:16]}"
    (path,) = st_.save(planted((0, 1)))
    assert path.parent == tmp_path / "a" / "b"
    with np.load(path) as z:  # the records as canonical JSON, keys sorted
        for k in ("config_json", "provenance_json"):
            assert str(z[k]) == json.dumps(json.loads(str(z[k])), sort_keys=True)
    slim = Store(tmp_path / "slim")
    slim.save(planted((0, 1)), keep="losses")
    with pytest.raises(ValueError, match=r"^these results lack w, b, v, c, curve_steps, curve_loss; "
                                         r"save them with keep='losses'$"):
        st_.save(slim.load(CFG.replace(seeds=(0, 1))))


def test_skip_leaves_out_a_file_and_only_that_file(tmp_path):
    st_ = Store(tmp_path, chunk_size=2)
    first, second, third = (st_.save(planted(s))[0] for s in ((0, 1), (2, 3), (4, 5)))
    assert sorted(st_.index(CFG, skip=[first])) == [2, 3, 4, 5]
    assert st_.missing(CFG.replace(seeds=(5, 1, 2)), skip=[second]) == (2,)
    with pytest.raises(FileNotFoundError, match="^2 of the 3 seeds"):
        st_.load(CFG.replace(seeds=(2, 3, 4)), skip=[second])
    check_attached(st_.load(CFG.replace(seeds=(4, 0)), skip=[second]))


def test_a_loaded_result_saved_again_keeps_one_record_per_run(tmp_path):
    a = Store(tmp_path / "a")
    a.save(planted((0, 1), provenance={"device": "x", "wall_s": 1.0}))
    back = a.load(CFG.replace(seeds=(0, 1)))
    assert "runs" in back.provenance and "kept" in back.provenance
    b = Store(tmp_path / "b")
    b.save(back)
    (run,) = b.runs(CFG)
    assert "runs" not in run and "kept" not in run and run["device"] == "x" and run["seeds"] == [0, 1]
