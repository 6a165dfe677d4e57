"""Derived results: returned from the store while their key matches, recomputed when it does not."""
import json

import pytest

from nslkit import Store
from nslkit.paper.derived import derived, derived_key, derived_result, legacy_source


def test_a_derived_result_is_kept_and_recomputed_when_its_key_changes(tmp_path, small_cfg):
    calls = []

    def compute():
        calls.append(1)
        return {"x": len(calls)}

    key = derived_key("thing", ["input a"], ["paper/derived.py"])
    assert derived("thing", key, compute, tmp_path) == {"x": 1}
    assert derived("thing", key, compute, tmp_path) == {"x": 1} and len(calls) == 1  # read back
    stored = json.loads((tmp_path / "derived" / "thing.json").read_text())
    assert stored["key"] == key and "git_commit" in stored["provenance"]
    other = derived_key("thing", ["input b"], ["paper/derived.py"])  # another input: never the stale one
    assert other != key and derived("thing", other, compute, Store(tmp_path)) == {"x": 2}
    assert derived("thing", other, compute, tmp_path, recompute=True) == {"x": 3}
    assert derived_key("thing", ["input a"], ["paper/derived.py", "paper/ledger.py"]) != key  # code is in the key


def test_stored_power_is_c14_power_kept_beside_the_runs(tmp_path, monkeypatch):
    from nslkit.paper import appendices, ledger
    from nslkit.paper.study import target_sweep

    sweep = target_sweep("smoke", "prod2", [1, 2], store=tmp_path, seeds=4, steps=20)
    direct = appendices.c14_power(sweep, trials=5)
    kept = ledger.stored_power(sweep, store=tmp_path, trials=5)
    assert kept == direct  # the same numbers, with integer widths and seed counts back
    assert list((tmp_path / "derived").glob("c14_power_prod2_silu_4.json"))
    monkeypatch.setattr(ledger, "c14_power", lambda *a, **k: pytest.fail("recomputed"))
    assert ledger.stored_power(sweep, store=tmp_path, trials=5) == direct  # read back, not recomputed
    with pytest.raises(AssertionError):  # other options: another key
        monkeypatch.setattr(ledger, "c14_power", lambda *a, **k: (_ for _ in ()).throw(AssertionError()))
        ledger.stored_power(sweep, store=tmp_path, trials=6)


def test_robust_to_names_the_variants_that_keep_and_change_a_verdict():
    from nslkit.paper.robustness import robust_to

    cells = {"paper's protocol": {"C1": "reproduced", "C3": "reproduced"},
             "float32": {"C1": "reproduced", "C7": "reproduced"}, "polished": {"C1": "not reproduced"},
             "active neurons only": {"C5": "partly reproduced"},
             "polished to a minimum": {"C1": "not reproduced"},  # chapter 10's LM polish: superseded, left out
             # paired: judged against the paper's protocol on the cell's own 50 seeds, not the ledger's verdict
             "Adam lr 0.03": {"C1": "inconclusive", "C1 paper": "inconclusive", "seeds": 50},
             "no decay": {"C1": "not reproduced", "C1 paper": "inconclusive", "seeds": 50}}
    out = robust_to({"C1": "reproduced", "C5": "partly reproduced", "C7": "not reproduced", "C3": "reproduced"}, cells)
    assert out == {"C1": "robust to float32 (unpaired), Adam lr 0.03 (50 seeds, paired); changes under polished "
                         "(unpaired: not reproduced against reproduced), no decay (50 seeds, paired: not reproduced "
                         "against inconclusive)",
                   "C5": "robust to active neurons only (unpaired)",
                   "C7": "changes under float32 (unpaired: reproduced against not reproduced)"}  # C3: the ledger's own


def test_compute_none_only_reads(tmp_path):
    store = Store(tmp_path)
    assert derived("r", "k1", None, store) is None  # not stored: nothing computed, nothing written
    assert not (tmp_path / "derived" / "r.json").exists()
    assert derived("r", "k1", lambda: [1, 2], store) == [1, 2]
    assert derived("r", "k1", None, store) == [1, 2]  # stored under this key
    assert derived("r", "k2", None, store) is None  # stale: not returned


def test_a_key_can_read_one_function_of_a_file(tmp_path, monkeypatch):
    from nslkit.paper import derived as d

    (tmp_path / "mod.py").write_text("def f(x):\n    return x + 1\n\n\ndef g(x):\n    return x\n")
    monkeypatch.setattr(d, "_PKG", tmp_path)
    key = d.derived_key("r", ["in"], ["mod.py:f"])
    assert d.source("mod.py:f") == b"def f(x):\n    return x + 1"
    (tmp_path / "mod.py").write_text("def f(x):\n    return x + 1\n\n\ndef g(x):\n    return 2 * x\n")
    assert d.derived_key("r", ["in"], ["mod.py:f"]) == key  # g changed: f's results still stand
    assert d.derived_key("r", ["in"], ["mod.py"]) != d.derived_key("r", ["in"], ["mod.py:f"])
    (tmp_path / "mod.py").write_text("def f(x):\n    return x + 2\n\n\ndef g(x):\n    return 2 * x\n")
    assert d.derived_key("r", ["in"], ["mod.py:f"]) != key  # f changed
    with pytest.raises(ValueError, match="no top-level function or class 'h'"):
        d.derived_key("r", ["in"], ["mod.py:h"])


def test_a_derived_file_says_whether_its_code_changed(tmp_path, monkeypatch):
    from nslkit.paper import derived as d

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "mod.py").write_text("def f():\n    return 1\n")
    monkeypatch.setattr(d, "_PKG", pkg)
    store = Store(tmp_path / "store")
    assert d.derived_result("r", ["in"], lambda: [1], ["mod.py:f"], store) == [1]
    assert d.stored_derived(store)["r"]["status"] == "current"
    (pkg / "mod.py").write_text("def f():\n    return 2\n")
    assert d.stored_derived(store)["r"]["status"] == "stale"
    # a file made before files were recorded: "unknown", until a caller with the same key reads it
    key = d.derived_key("old", ["in"], ["mod.py"])
    assert d.derived("old", key, lambda: [3], store) == [3]
    assert d.stored_derived(store)["old"]["status"] == "unknown"
    assert d.derived_result("old", ["in"], lambda: pytest.fail("recomputed"), ["mod.py"], store) == [3]
    assert d.stored_derived(store)["old"]["status"] == "current"


def test_documentation_comments_and_layout_change_no_key(tmp_path, monkeypatch):
    from nslkit.paper import derived as d

    (tmp_path / "mod.py").write_text('"""Module."""\ndef f(x):\n    """Add one."""\n    return x + 1  # one\n')
    monkeypatch.setattr(d, "_PKG", tmp_path)
    key, key_f = d.derived_key("r", ["in"], ["mod.py"]), d.derived_key("r", ["in"], ["mod.py:f"])
    (tmp_path / "mod.py").write_text('"""Another text."""\n\n\ndef f(x):\n    """Adds one to x."""\n'
                                     '    # a comment\n    return (x + 1)\n')
    assert d.derived_key("r", ["in"], ["mod.py"]) == key
    assert d.derived_key("r", ["in"], ["mod.py:f"]) == key_f
    (tmp_path / "mod.py").write_text('def f(x):\n    """Adds one."""\n    return x + 1.0\n')
    assert d.derived_key("r", ["in"], ["mod.py:f"]) != key_f  # the code changed


def test_code_closure_follows_relative_imports_only(tmp_path, monkeypatch):
    from nslkit.paper import derived as d

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "__init__.py").write_text("from .b import g\n")
    (tmp_path / "a.py").write_text("import numpy\nfrom .sub import b\nfrom . import c\n")
    (tmp_path / "sub" / "b.py").write_text("from ..d import h\n")
    (tmp_path / "c.py").write_text("")
    (tmp_path / "d.py").write_text("import os\n")
    (tmp_path / "e.py").write_text("from .a import x\n")  # imports a: not in a's closure
    monkeypatch.setattr(d, "_PKG", tmp_path)
    assert d.code_closure("a.py") == ["a.py", "c.py", "d.py", "sub/b.py"]
    assert d.code_closure("e.py") == ["a.py", "c.py", "d.py", "e.py", "sub/b.py"]


def test_a_record_made_under_the_legacy_key_is_kept_and_rekeyed(tmp_path):
    st = Store(tmp_path)
    code = ["activations.py"]
    old = derived_key("r", ["x"], code, legacy_source)
    (tmp_path / "derived").mkdir(parents=True)
    (tmp_path / "derived" / "r.json").write_text(json.dumps({"key": old, "data": [1, 2]}))
    assert derived_result("r", ["x"], None, code, st) == [1, 2]  # read, not computed
    rec = json.loads((tmp_path / "derived" / "r.json").read_text())
    assert rec["key"] == derived_key("r", ["x"], code) != old and rec["rekeyed"]["from"] == old
    assert derived_result("r", ["y"], None, code, st) is None  # other inputs: not this record


def test_every_committed_derived_result_is_current():
    # a record whose code changed would be recomputed (minutes to hours) the first time a chapter
    # or the ledger reads it: on main, every committed one is current
    from pathlib import Path

    from nslkit.paper import derived as d

    committed = Path(__file__).resolve().parent.parent / "results"
    status = d.stored_derived(Store(committed))
    assert status, "no derived results committed"
    assert not {name: s["status"] for name, s in status.items() if s["status"] != "current"}
