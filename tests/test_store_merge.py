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
