# The two commands of the README: `make run` and `make test`.
# Both create the virtual environment on first use (or when pyproject.toml changes).
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/travesia run --out out/chile-peru-2025

# ruff and mypy are pinned in the dev extra; either one failing fails `make test`.
lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy src/travesia

test: lint
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/engine.py

clean:
	rm -rf $(VENV) out .pytest_cache

# Flee 3.1 (PyPI) in a virtual environment of its own, for benchmarks/vs_flee.py --flee-python.
FLEE_VENV ?= .venv-flee

.PHONY: flee-env
flee-env: $(FLEE_VENV)/.installed

$(FLEE_VENV)/.installed:
	python3 -m venv $(FLEE_VENV)
	$(FLEE_VENV)/bin/python -m pip install -q --upgrade pip
	$(FLEE_VENV)/bin/python -m pip install -q flee==3.1 pyyaml
	touch $@
