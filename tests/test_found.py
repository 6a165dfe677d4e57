"""minima.found, chapter 11's driver of the minimum finder: a derived result per width, keyed on the
runs and on the finder's code, read back without recomputing, with every field the chapter reads."""
import json

import numpy as np

from nslkit.analysis import controls
from nslkit.config import TrainConfig
from nslkit.paper import minima
from nslkit.results import Results


def _results(width=3, seeds=3):
    """A stored-run look-alike (no training): networks near a planted minimum, to be fitted to y = x²."""
    cfg = TrainConfig(target="x2", activation="silu", width=width, seeds=seeds, steps=10)
    pm = controls.planted_minimum(width, seed=1)
    theta = pm.theta * (1 + 1e-3 * np.random.default_rng(0).normal(size=(seeds, pm.theta.size)))
    N = width
    w, b, v, c = theta[:, :N, None], theta[:, N:2 * N], theta[:, 2 * N:3 * N], theta[:, 3 * N]
    return Results(cfg, np.zeros(seeds), np.zeros(seeds), w, b, v, c, None, None)


def test_found_is_kept_per_width_and_read_back(tmp_path):
    res = _results()
    got = minima.found("t_found", {3: res}, networks=2, max_iter=40, sample=1, steps=1, store=tmp_path)
    rec = got[3]
    assert len(rec["after"]) == 2 and rec["record"] == [0, 10, 30]
    assert set(rec["status"]) <= {"converged", "stalled", "cap"} and set(rec["method"]) <= {"lm", "gn"}
    assert np.all(np.array(rec["after"]) <= np.array(rec["before"]))
    assert np.array(rec["trace"]).shape == (2, 3) and np.array(rec["w_min"]).shape == (2, 3)
    assert np.array(rec["theta_after"]).shape == (2, 10) and len(rec["extended"]["verdict"]) == 1
    stored = json.loads((tmp_path / "derived" / "t_found_N3.json").read_text())
    assert stored["code"]["files"] == sorted(minima.FINDER_CODE)
    # read back without computing; another budget is another key, not the stale result
    again = minima.found("t_found", {3: res}, 2, max_iter=40, sample=1, steps=1, store=tmp_path, train=False)
    assert json.dumps(again, sort_keys=True) == json.dumps(got, sort_keys=True)  # NaN curvature: compare as text
    assert minima.found("t_found", {3: res}, 2, max_iter=41, sample=1, steps=1, store=tmp_path, train=False) == {}
