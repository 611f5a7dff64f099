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

.PHONY: book test env vendor students notebooks chapter serve clean release lock help pdf texlive

help:
	@echo "make book    build the HTML book into _build/html (creates .venv on first use)"
	@echo "make test    build the book and run the whole test suite"
	@echo "make chapter CH=chapters/03_backprop.md   quick strict build of one chapter (or several)"
	@echo "make serve   serve the built book on http://127.0.0.1:8000"
	@echo "make students regenerate exercises_student/ from exercises/ (nbgrader)"
	@echo "make notebooks regenerate notebooks/ (one .ipynb per chapter, for Colab and Binder)"
	@echo "make pdf     build the whole book as a PDF into _build/latex/book.pdf (installs texlive)"
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

notebooks: $(STAMP)
	$(PY) tools/chapter_notebooks.py

book: $(STAMP) vendor students notebooks
	$(JB) build . $(JB_FLAGS)
	@echo "The book is at $(CURDIR)/_build/html/index.html"

chapter: $(STAMP) vendor
	@test -n "$(CH)" || { echo "usage: make chapter CH=chapters/03_backprop.md"; exit 2; }
	$(PY) tools/build_chapter.py $(CH)

# Debian's TeX Live packages the PDF needs (xelatex, latexmk, fonts) and pdftotext for its test.
# `make pdf` installs the missing ones with apt-get (as root, or through sudo); CI does the same.
TEX_PACKAGES := latexmk texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \
	texlive-xetex texlive-plain-generic lmodern fonts-freefont-otf poppler-utils

texlive:
	@if command -v dpkg >/dev/null 2>&1; then \
	  missing=$$(for p in $(TEX_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	  if [ -n "$$missing" ]; then \
	    echo "make pdf: installing" $$missing; \
	    if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	    $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq \
	      --no-install-recommends $$missing; \
	  fi; \
	elif ! command -v xelatex >/dev/null 2>&1 || ! command -v latexmk >/dev/null 2>&1; then \
	  echo "make pdf needs xelatex and latexmk (a TeX Live installation)"; exit 1; \
	fi

# The PDF is its own target (`make book` stays fast); it reuses the book's execution cache.
pdf: $(STAMP) vendor students texlive
	$(JB) build . --builder pdflatex $(JB_FLAGS)
	@echo "The PDF is at $(CURDIR)/_build/latex/book.pdf"

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
