"""Findings stored as JSON and read back (nslkit.paper.records) without losing a bit."""
import dataclasses
import json
import math

import numpy as np
import pytest

from nslkit.analysis.fits import power_law_fit
from nslkit.paper import records
from nslkit.paper.findings import Criterion, Finding


def test_a_finding_with_arrays_dataclasses_and_odd_keys_reads_back_exactly():
    fit = power_law_fit([10, 20, 40], [np.array([1e-3, 2e-3]), np.array([5e-4, 6e-4]), np.array([2e-4, 3e-4])],
                        n_boot=50)
    f = Finding("C1", "α = 1", (Criterion("α ≈ 1", None, "after", "why", "more seeds"),), "2 seeds",
                {"alpha": fit.alpha, "ci": (1.0, 2.0), "by_width": {10: 0.1, 20: np.float32(0.25)}, "nan": math.nan,
                 "inf": -math.inf, "flag": np.bool_(True), "count": np.int64(3)},
                {"fit": fit, "arr": np.arange(6, dtype=np.int32).reshape(2, 3), "pairs": {(1, 2): "a"}})
    g = records.decode(json.loads(json.dumps(records.encode(f))))
    assert g.verdict == f.verdict == "inconclusive" and g.criteria == f.criteria
    assert g.numbers["ci"] == (1.0, 2.0) and g.numbers["by_width"][10] == 0.1
    assert type(g.numbers["by_width"][20]) is np.float32 and g.numbers["by_width"][20] == np.float32(0.25)
    assert math.isnan(g.numbers["nan"]) and g.numbers["inf"] == -math.inf
    assert g.numbers["flag"] is True and g.numbers["count"] == 3
    assert isinstance(g.detail["fit"], type(fit)) and g.detail["fit"].alpha == fit.alpha
    assert np.array_equal(g.detail["fit"].median_ci, fit.median_ci)
    assert g.detail["arr"].dtype == np.int32 and g.detail["arr"].shape == (2, 3)
    assert g.detail["pairs"] == {(1, 2): "a"}


def test_only_nslkit_dataclasses_and_plain_data_are_stored_or_rebuilt():
    @dataclasses.dataclass
    class Local:
        x: int = 1

    with pytest.raises(TypeError, match="only nslkit's dataclasses"):
        records.encode(Local())
    with pytest.raises(TypeError, match="cannot store"):
        records.encode(object())
    with pytest.raises(TypeError, match="dtype"):
        records.encode(np.array(["a"]))
    bad = {"__nslkit__": "dataclass", "class": "os:PathLike", "fields": {}}
    with pytest.raises(ValueError, match="only nslkit's dataclasses"):
        records.decode(bad)
    with pytest.raises(ValueError, match="not a stored record"):
        records.decode({"a": 1})
