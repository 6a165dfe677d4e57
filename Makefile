# Two commands set everything up on a fresh machine with Python 3.11:
#   make book   build the book (book/_build/html/index.html)
#   make test   run every test: pytest on all cores (unit tests, each notebook at smoke scale), the
#               examples in nslkit's docstrings (pytest --doctest-modules: tiny configs, nothing
#               saved), the analysis tests again under another BLAS kernel, then the book build with
#               warnings as errors (it executes every notebook at its default scale and fails if one fails),
#               then the tests of the built book (offline reading; the browser test needs Debian's
#               chromium: apt-get install chromium, and is skipped without it)
# Both create the virtual environment .venv on first use. For development:
#   make test-all   make test, plus the notebooks under nbval and the whole BLAS and thread matrix

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# CI and these machines pin the CPU wheel; elsewhere override, e.g. make TORCH=torch test
TORCH  ?= torch==2.13.0
# Triton runs the GPU kernel's tests in its CPU interpreter; CUDA builds of torch bring their own
# (then: make TORCH=torch TRITON= test)
TRITON ?= triton==3.9.0
STAMP  := $(VENV)/.installed

.PHONY: book test test-all test-blas bench clean

# The analysis modules, whose results must not depend on the CPU's BLAS kernels (issue 23)
NUMERIC_TESTS := tests/test_disentangle.py tests/test_ensembles.py tests/test_fits.py tests/test_peaks.py \
                 tests/test_symmetry.py tests/test_algorithms.py tests/test_protocol.py tests/test_polish.py \
                 tests/test_approximation.py

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)" $(if $(TRITON),"$(TRITON)")
	$(BIN)/python -m pip install --quiet -e ".[book,test]"
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build book -W

test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist worksteal --durations=20
	# the >>> examples of the docstrings (the API reference of the book shows them), on one thread each
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q --doctest-modules nslkit
	# the analysis tests under OpenBLAS's Prescott kernels (SSE3, no FMA): other rounding than this CPU's
	OPENBLAS_CORETYPE=Prescott $(BIN)/python -m pytest -n auto --dist worksteal -q $(NUMERIC_TESTS)
	$(BIN)/jupyter-book build book -W
	$(BIN)/python -m pytest tests/test_book_offline.py

# The whole suite under three OpenBLAS kernels, each with 1 and 2 threads (one pytest process, so
# that the thread count is the one given)
test-blas: $(STAMP)
	set -e; for core in Haswell Sandybridge Prescott; do for threads in 1 2; do \
	    echo "== OPENBLAS_CORETYPE=$$core OMP_NUM_THREADS=$$threads"; \
	    OPENBLAS_CORETYPE=$$core OMP_NUM_THREADS=$$threads $(BIN)/python -m pytest -q tests; \
	done; done

test-all: test test-blas
	$(BIN)/python -m pytest -n auto notebooks

bench: $(STAMP)
	$(BIN)/python -m nslkit bench

clean:
	rm -rf book/_build
