# Two commands do all set-up on a fresh machine (see README.md):
#   make book   - create .venv from the pinned set, build the HTML book strictly
#   make test   - the same environment, the book, then the whole test suite
SHELL := /bin/bash
PYTHON_SYS ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
JB := $(VENV)/bin/jupyter-book
STAMP := $(VENV)/.installed
export OPENBLAS_NUM_THREADS ?= 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# Strict: every Sphinx warning, nitpicky broken reference or failing cell fails the build.
JB_FLAGS := --warningiserror --nitpick --keep-going
PYTEST_ARGS ?=

.PHONY: book test env vendor students chapter serve clean release lock help

help:
	@echo "make book    build the HTML book into _build/html (creates .venv on first use)"
	@echo "make test    build the book and run the whole test suite"
	@echo "make chapter CH=chapters/03_backprop.md   quick strict build of one chapter (or several)"
	@echo "make serve   serve the built book on http://127.0.0.1:8000"
	@echo "make students regenerate exercises_student/ from exercises/ (nbgrader)"
	@echo "make release release every assignment into the course directory (autograder)"
	@echo "make clean   remove builds, caches and vendored JavaScript (keeps .venv)"

$(STAMP): pyproject.toml requirements/constraints.txt
	@test -x $(PY) || $(PYTHON_SYS) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements/constraints.txt -e ".[dev]"
	@touch $(STAMP)

env: $(STAMP)

_vendor/.vendored.json: package.json tools/vendor_js.py | $(STAMP)
	$(PY) tools/vendor_js.py

vendor: _vendor/.vendored.json

students: $(STAMP)
	$(PY) tools/student_versions.py

book: $(STAMP) vendor students
	$(JB) build . $(JB_FLAGS)
	@echo "The book is at $(CURDIR)/_build/html/index.html"

chapter: $(STAMP) vendor
	@test -n "$(CH)" || { echo "usage: make chapter CH=chapters/03_backprop.md"; exit 2; }
	$(PY) tools/build_chapter.py $(CH)

test: book
	$(PY) -m pytest $(PYTEST_ARGS)

serve: book
	$(PY) -m http.server --bind 127.0.0.1 --directory _build/html 8000

release: $(STAMP)
	@for a in exercises/ex*/; do $(VENV)/bin/autograder release $$(basename $$a) || exit 1; done

lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable > requirements/constraints.txt

clean:
	rm -rf _build _vendor .pytest_cache .hypothesis
