# Two commands set everything up on a fresh machine with Python 3.11:
#   make book   build the book (book/_build/html/index.html)
#   make test   run every test: pytest (unit tests, notebooks), then the book build with warnings as
#               errors, then the tests of the built book (offline reading; the browser test needs
#               Debian's chromium: apt-get install chromium, and is skipped without it)
# Both create the virtual environment .venv on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# CI and these machines pin the CPU wheel; elsewhere override, e.g. make TORCH=torch test
TORCH  ?= torch==2.13.0
# Triton runs the GPU kernel's tests in its CPU interpreter; CUDA builds of torch bring their own
# (then: make TORCH=torch TRITON= test)
TRITON ?= triton==3.9.0
STAMP  := $(VENV)/.installed

.PHONY: book test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)" $(if $(TRITON),"$(TRITON)")
	$(BIN)/python -m pip install --quiet -e ".[book,test]"
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build book -W

test: $(STAMP)
	$(BIN)/python -m pytest
	$(BIN)/jupyter-book build book -W
	$(BIN)/python -m pytest tests/test_book_offline.py

bench: $(STAMP)
	$(BIN)/python -m nslkit bench

clean:
	rm -rf book/_build
