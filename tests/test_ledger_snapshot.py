"""The ledger on the committed results, measured again from the raw runs, against a snapshot.

Every claim's verdict, headline and numbers are recomputed here with the current code (into a
temporary store: nothing is written into results/) and compared with
``tests/snapshots/ledger.json``: numbers to a relative 1e-6, and the rounding-sensitive ones
(:data:`nslkit.paper.rounding.SENSITIVE`) within the range the BLAS settings gave; a number below
1e-18 (a cancellation to zero) to within 1e-18, widened by
that range's own width (at least 0.1%) for a machine whose kernels none of them matched. A refactoring that
moves any number fails here. After a deliberate change (new runs, a corrected criterion), write
a new snapshot with ``NSLKIT_UPDATE_SNAPSHOT=1 pytest tests/test_ledger_snapshot.py`` and say
in the commit what moved and why.
"""
import json
import math
import os
import shutil
from pathlib import Path

import pytest

from nslkit.paper import ledger, rounding

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "results"
SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "ledger.json"
REL = 1e-6
# below this a number is rounding, not measurement (C10's optimum, 1.8e-21, is a cancellation to
# zero whose digits move with the BLAS): compared to within it, absolutely
ABS = 1e-18


def _mirror(tmp_path: Path) -> Path:
    """A store with the committed runs (linked, read-only use) and the C14 peak-finder power
    (minutes of sampling, keyed on its own inputs and code), but none of the findings."""
    store = tmp_path / "store"
    store.mkdir()
    for p in RESULTS.glob("*.npz"):
        (store / p.name).symlink_to(p)
    (store / "derived").mkdir()
    for p in (RESULTS / "derived").glob("c14_power_*.json"):
        shutil.copy(p, store / "derived" / p.name)
    return store


def _record(findings) -> dict:
    return {f.claim: {"verdict": f.verdict, "headline": f.headline,
                      "numbers": rounding.flatten({k: v for k, v in f.numbers.items() if k != "spread"}),
                      "spread": f.numbers.get("spread", {})} for f in findings}


@pytest.mark.slow
def test_the_ledger_measured_again_matches_its_snapshot(tmp_path):
    if os.environ.get("NSLKIT_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(_record(ledger.ledger()), indent=1, ensure_ascii=False) + "\n")
    want = json.loads(SNAPSHOT.read_text())
    got = _record(ledger.ledger(store=_mirror(tmp_path), rounding_spread=False))
    assert sorted(got) == sorted(want)
    problems = []
    for cid, w in want.items():
        g = got[cid]
        if g["verdict"] != w["verdict"]:
            problems.append(f"{cid}: verdict {g['verdict']!r}, snapshot {w['verdict']!r}")
        sensitive = cid in rounding.SENSITIVE
        if not sensitive and g["headline"] != w["headline"]:
            problems.append(f"{cid}: headline {g['headline']!r}, snapshot {w['headline']!r}")
        for path, value in w["numbers"].items():
            if path not in g["numbers"]:
                problems.append(f"{cid}: {path} missing")
                continue
            new = g["numbers"][path]
            if sensitive and path.endswith("minima"):
                # a minimum that only some BLAS settings find may come and go
                sometimes = set(w["spread"].get(f"{path}.sometimes", []))
                if ({round(m, 2) for m in new} ^ {round(m, 2) for m in value}) - sometimes:
                    problems.append(f"{cid}: {path} {new}, snapshot {value} (sometimes {sorted(sometimes)})")
            elif sensitive and path in w["spread"]:
                lo, hi = w["spread"][path]
                pad = max(hi - lo, 1e-3 * max(abs(lo), abs(hi)))
                if not (lo - pad <= new <= hi + pad or (math.isinf(new) and math.isinf(hi))):
                    problems.append(f"{cid}: {path} = {new!r}, outside the BLAS spread [{lo!r}, {hi!r}]")
            elif isinstance(value, list):
                if new != value:
                    problems.append(f"{cid}: {path} = {new}, snapshot {value}")
            elif not (new == value or (math.isnan(new) and math.isnan(value))
                      or abs(new - value) <= max(REL * max(abs(new), abs(value)), ABS)):
                problems.append(f"{cid}: {path} = {new!r}, snapshot {value!r}")
    assert not problems, "\n".join(problems)
