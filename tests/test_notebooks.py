"""Every notebook: the conventions, and a papermill run at smoke scale.

nbval (``make test`` passes ``notebooks`` to pytest; ``--nbval-lax`` is in pyproject.toml)
executes each notebook at its default scale, which reads the committed results, and the book
build reuses those executions (notebooks/conftest.py).
"""
from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
#: The longest code line a chapter may show: the book's code column holds about 80 characters
#: before it scrolls sideways.
MAX_CODE_LINE = 80


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
    long = [(i, line) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for line in c.source.splitlines() if len(line) > MAX_CODE_LINE]
    assert not long, f"code lines over {MAX_CODE_LINE} characters (cell index, line): {long[:3]}"


#: Smoke runs that would take a minute in one cell on CI's 2 cores train fewer widths: the products
#: train on 1000 points, ten times the unary targets' 100.
SMOKE_PARAMETERS = {"06_multiplication": {"widths": [1, 2, 4, 10, 20, 30]}}
#: What a chapter must not show: a value it has not got is a dash, not NaN (chapter 9's row of the paper)
ABSENT = {"09_distillation": (" nan", "NaN")}
#: The scale each smoke run reports (the robustness chapter's variants run shorter than "smoke").
SMOKE_LABELS = {"10_robustness": "4 seeds × 300 steps", "11_minima": "4 seeds × 300 steps"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_at_smoke_scale(path, tmp_path, monkeypatch):
    monkeypatch.setenv("NSLKIT_RESULTS", str(tmp_path / "results"))  # never write into the repository
    # 120 s per cell at most (twice what an idle CI machine needs); smoke trains in seconds
    text = _run(path, tmp_path, scale="smoke", **SMOKE_PARAMETERS.get(path.stem, {}))
    assert f"checks passed at {SMOKE_LABELS.get(path.stem, '8 seeds × 500 steps')}" in text
    for absent in ABSENT.get(path.stem, ()):
        assert absent not in text, f"{absent!r} shown"
    assert list((tmp_path / "results").glob("*.npz")), "smoke runs went to the temporary store"


def _run(path: Path, tmp_path, **parameters):
    out = tmp_path / path.name
    papermill.execute_notebook(str(path), str(out), parameters=parameters, cwd=str(path.parent),
                               kernel_name="python3", execution_timeout=120, progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    # printed text, and the plain-text form of what cells display (tables among it)
    return "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "")
                   for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


CLT = next(p for p in NOTEBOOKS if p.stem == "03_clt")


@pytest.mark.parametrize("width", [1, 7])
def test_clt_notebook_takes_any_positive_width(width, tmp_path, monkeypatch):
    # width 7 is odd (compared with 3 + 4), width 1 has no halves; both train what is missing
    monkeypatch.setenv("NSLKIT_RESULTS", str(tmp_path / "results"))
    text = _run(CLT, tmp_path, scale="smoke", width=width)
    assert ("N = 7: median ratio" in text) if width == 7 else ("width 1 has no two halves" in text)
    assert list((tmp_path / "results").glob(f"x2_silu_N{width}_*.npz"))


def test_clt_notebook_rejects_a_bad_width(tmp_path, monkeypatch):
    monkeypatch.setenv("NSLKIT_RESULTS", str(tmp_path / "results"))
    with pytest.raises(papermill.PapermillExecutionError, match="width must be a positive integer"):
        _run(CLT, tmp_path, scale="smoke", width=0)


def _notebook(stem: str) -> Path:
    return next(p for p in NOTEBOOKS if p.stem == stem)


@pytest.mark.parametrize("stem, parameters, message", [
    ("05_unary_functions", {"targets": ["sin", "prod2"]}, "not unary targets of Appendix A"),
    ("06_multiplication", {"targets": ["x2"]}, "not products of Appendix A"),
    ("08_disentangling", {"widths": [10, 7]}, "widths must be even integers"),
])
def test_appendix_notebooks_reject_bad_parameters(stem, parameters, message, tmp_path, monkeypatch):
    monkeypatch.setenv("NSLKIT_RESULTS", str(tmp_path / "results"))
    with pytest.raises(papermill.PapermillExecutionError, match=message):
        _run(_notebook(stem), tmp_path, scale="smoke", **parameters)
    assert not (tmp_path / "results").exists() or not list((tmp_path / "results").glob("*.npz"))


def test_unary_notebook_takes_a_subset_of_targets(tmp_path, monkeypatch):
    monkeypatch.setenv("NSLKIT_RESULTS", str(tmp_path / "results"))
    text = _run(_notebook("05_unary_functions"), tmp_path, scale="smoke", targets=["x3", "tanh"])
    assert "2 targets × widths" in text and "checks passed at 8 seeds × 500 steps" in text
    assert {p.name.split("_")[0] for p in (tmp_path / "results").glob("*.npz")} == {"x3", "tanh"}
