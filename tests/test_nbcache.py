"""nbval's executions are the book's (issue 33, item 10): notebooks/conftest.py keeps each
notebook's cells on one xdist worker and writes a notebook whose every cell passed into the
jupyter-cache the book build reads (execute_notebooks: cache), so make test executes each
notebook at its default scale once, not once under nbval and again in the book build."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _notebook(path: Path, *sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter")] + [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return nb


def test_nbval_fills_the_books_cache_with_the_notebooks_that_passed(tmp_path):
    pytest.importorskip("jupyter_cache")
    from jupyter_cache import get_cache

    shutil.copy(ROOT / "notebooks" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    # cells that need the cells before them: they pass only when one worker runs them all, in order
    good = _notebook(tmp_path / "good.ipynb", "x = 6 * 7", "print('x is', x)", "x / 2")
    other = _notebook(tmp_path / "other.ipynb", "y = [1, 2]", "y.append(3)\nlen(y)")
    bad = _notebook(tmp_path / "bad.ipynb", "z = 1", "assert z == 2, 'a failing claim'", "print('never')")
    cache = tmp_path / "_build" / ".jupyter_cache"
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax", "-n", "2",
                        "--dist", "load", "--nb-cache", str(cache), "."],
                       cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert p.returncode == 1, p.stdout + p.stderr  # the bad notebook fails the run
    assert re.search(r"\b1 failed, 7 passed", p.stdout), p.stdout  # nbval runs on after a failed cell
    jc = get_cache(str(cache))
    assert len(jc.list_cache_records()) == 2
    with pytest.raises(KeyError):
        jc.match_cache_notebook(bad)  # a failing notebook is never cached: the book executes it and fails
    # what myst-nb does with execute_notebooks: cache: the source notebook, its code cells from the cache
    _, merged = jc.merge_match_into_notebook(good)
    code = [c for c in merged.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, 2, 3]
    assert code[1].outputs[0].text == "x is 42\n"
    assert code[2].outputs[0].data["text/plain"] == "21.0" and code[2].outputs[0].execution_count == 3
    assert merged.cells[0].source == "# A chapter"
    _, merged = jc.merge_match_into_notebook(other)
    assert merged.cells[2].outputs[0].data["text/plain"] == "3"


def test_make_test_executes_each_notebook_once_and_the_book_reuses_it():
    make = (ROOT / "Makefile").read_text()
    test = make.split("\ntest: ")[1].split("\n\n")[0]
    lines = [line.strip() for line in test.splitlines() if line.startswith("\t")]
    wipe = next(i for i, line in enumerate(lines) if line.startswith("rm -rf $(NB_CACHE)"))
    run = next(i for i, line in enumerate(lines) if "pytest -n auto" in line and " notebooks " in line + " ")
    book = next(i for i, line in enumerate(lines) if "jupyter-book build book" in line)
    assert wipe < run < book, "the cache is emptied, then filled by nbval, then read by the book build"
    assert "--dist load " in lines[run] and "--nb-cache $(NB_CACHE)" in lines[run]
    assert "--all" in lines[book]  # every page read again: none keeps outputs from an earlier build
    assert re.search(r"^NB_CACHE\s*:=\s*book/_build/\.jupyter_cache$", make, re.M)
    config = (ROOT / "_config.yml").read_text()
    assert re.search(r"^\s*execute_notebooks: cache\b", config, re.M)
    assert re.search(r"^\s*allow_errors: false\b", config, re.M)
    book_target = make.split("\nbook: ")[1].split("\n\n")[0]
    assert "rm -rf $(NB_CACHE)" in book_target  # make book executes everything afresh


def test_reproduce_builds_the_book_from_a_fresh_cache(tmp_path, monkeypatch):
    from nslkit.paper import reproduce as rp
    from nslkit.store import Store

    cache = ROOT / "book" / "_build" / ".jupyter_cache"
    seen = {}

    def run(args, **kw):
        seen["args"], seen["cache_left"] = args, cache.exists()
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(rp.subprocess, "run", run)
    monkeypatch.setattr(rp.shutil, "rmtree", lambda path, ignore_errors=False: seen.setdefault("removed", path))
    rp._book(Store(tmp_path))
    assert Path(seen["removed"]) == cache  # executions for another store must not be reused
    assert seen["args"][1:] == ["build", "book", "-W", "--all"]


def test_the_book_build_takes_nbvals_execution_instead_of_running_the_notebook(tmp_path):
    """A one-chapter book with the project's execution settings: after nbval has run its notebook,
    the build shows nbval's outputs and does not execute it again."""
    pytest.importorskip("jupyter_cache")
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    book = tmp_path / "book"
    book.mkdir()
    (book / "_config.yml").write_text(yaml.safe_dump({
        "title": "t", "only_build_toc_files": True, "execute": config["execute"],
        "sphinx": {"config": {k: v for k, v in config["sphinx"]["config"].items() if k.startswith("nb_")}}}))
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: chapter\n")
    (book / "intro.md").write_text("# Intro\n")
    log = tmp_path / "executions.log"
    _notebook(book / "chapter.ipynb", f"with open({str(log)!r}, 'a') as f:\n    f.write('run\\n')",
              "print('the answer is', 6 * 7)")
    shutil.copy(ROOT / "notebooks" / "conftest.py", book / "conftest.py")
    (book / "pytest.ini").write_text("[pytest]\n")
    cache = book / "_build" / ".jupyter_cache"  # where the build looks by default
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                        "--nb-cache", str(cache), "chapter.ipynb"], cwd=book, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert log.read_text() == "run\n"
    jb = Path(sys.executable).parent / "jupyter-book"
    p = subprocess.run([str(jb), "build", str(book), "-W", "--all"], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert log.read_text() == "run\n", "the book build executed the notebook again"
    assert "the answer is 42" in (book / "_build" / "html" / "chapter.html").read_text()
