"""Every notebook: the conventions, and a papermill run at smoke scale.

nbval (``pytest --nbval-lax``, configured in pyproject.toml) separately executes each notebook
at its default scale, which reads the committed results.
"""
from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_conventions(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    assert "scale" in tagged[0].source
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert not any("def " in c.source for c in nb.cells if c.cell_type == "code"), "library code belongs in nslkit"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_at_smoke_scale(path, tmp_path, monkeypatch):
    monkeypatch.setenv("NSLKIT_RESULTS", str(tmp_path / "results"))  # never write into the repository
    out = tmp_path / path.name
    # 60 s per cell at most; the smoke scale trains in seconds
    papermill.execute_notebook(str(path), str(out), parameters={"scale": "smoke"}, cwd=str(path.parent),
                               kernel_name="python3", execution_timeout=60, progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "checks passed at 8 seeds × 500 steps" in text
    assert list((tmp_path / "results").glob("*.npz")), "smoke runs went to the temporary store"
