# Task runner. README's two commands are `make book` and `make test`; both
# create .venv and install the pinned requirements on first use.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(shell find chapters -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort)

.PHONY: help install browser book test unit notebooks robustness diagrams format zh editions clean

help:
	@echo "make book       install, execute every notebook, build the website in _build/html"
	@echo "                and its Chinese edition in _build/html/zh (tools/i18n.py)"
	@echo "make test       install, then unit tests + every notebook re-run and checked by its claims + site build with -W"
	@echo "                + every page opened in headless Chromium (installed with apt-get if missing)"
	@echo "make unit       install, then the unit tests only (no notebook, site, browser or slow test): the fast loop"
	@echo "make notebooks  re-execute every notebook in place (after editing one)"
	@echo "make robustness re-run the notebooks that make calls with other seeds (SSLBOOK_SEED_OFFSET=4500,"
	@echo "                about 20 minutes) and rewrite appendix/robustness.md, \"Do the calls hold?\""
	@echo "make diagrams   redraw the diagrams in chapters/figures/ and, in Chinese, i18n/zh/figures/ (tools/diagrams.py)"
	@echo "make format     apply ruff's fixes (sorted and unused imports) and its formatter to sslbook/, tests/ and tools/"
	@echo "make zh         rewrite zh/, the Chinese book, from the English one and i18n/zh/"
	@echo "make editions   rewrite editions/, the notebooks for Colab and Jupyter, from chapters/ and zh/"
	@echo "make clean      remove _build"

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

install: $(STAMP)

# The English book, executed; then the Chinese edition, written to zh/ from the
# translation store (tools/i18n.py) and built from the English notebooks' stored
# outputs into _build/html/zh, where every page's language switch points.
book: $(STAMP)
	SSLBOOK_PROGRESS=0 $(BIN)/jupyter-book build .
	$(BIN)/python tools/i18n.py build
	$(BIN)/jupyter-book build zh --path-output _build/zh
	rm -rf _build/html/zh && cp -r _build/zh/_build/html _build/html/zh
	@echo "Book built: open $(CURDIR)/_build/html/index.html (中文版: $(CURDIR)/_build/html/zh/index.html)"

# Chromium for tests/test_browser.py (apt-get, when missing and possible).
browser:
	@sh tools/install_browser.sh

test: $(STAMP) browser
	$(BIN)/python -m pytest

# The fast loop after changing a helper: tests/ and the package's examples, without the book,
# the browser and the slow tests (several processes, training runs).
unit: $(STAMP)
	$(BIN)/python -m pytest sslbook tests -m "not book and not browser and not slow"

# ruff's fixes (sorted imports, unused imports) and its formatter, at 79 columns, over the
# package, the tests and the tools; tests/test_lint.py fails where something is left to fix by hand.
format: $(STAMP)
	$(BIN)/ruff check --fix sslbook tests tools
	$(BIN)/ruff format sslbook tests tools

# The five diagrams of the book, drawn by code; tests/test_diagrams.py checks they are current.
diagrams: $(STAMP)
	$(BIN)/python tools/diagrams.py

# The Chinese edition's sources, zh/, from the English pages and the translation
# store i18n/zh/ (`python tools/i18n.py extract` adds entries for new English text).
zh: $(STAMP)
	$(BIN)/python tools/i18n.py build

# The notebook editions for Colab and Jupyter: plain Markdown, every number pasted
# (tools/editions.py); the launch buttons open them. Run after `make zh`.
editions: $(STAMP)
	$(BIN)/python tools/editions.py build

notebooks: $(STAMP)
	$(BIN)/python tools/nbtools.py execute $(NOTEBOOKS)

# Not part of `make test`, for time: every notebook that glues a call, re-executed in a
# temporary copy with a disjoint set of seeds, and each call compared with the stored one.
robustness: $(STAMP)
	$(BIN)/python tools/robustness.py run --offset 4500

clean:
	rm -rf _build
