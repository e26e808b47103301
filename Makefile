# radgraph: two commands for a new user.
#   make demo  - set up .venv, build the graph from the bundled data/, answer the headline question and
#                print a differential for the example case.
#   make test  - set up .venv with the test extras and run the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STORE ?= oxigraph:var/store
export RADGRAPH_STORE ?= $(STORE)

.PHONY: demo test setup setup-dev lint typecheck eval bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(VENV)/.installed $@

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(VENV)/bin/radgraph build
	$(VENV)/bin/radgraph query diagnoses-presenting-with --param finding="paravertebral mass" --param laterality=bilateral
	$(VENV)/bin/radgraph ddx --text "$$(cat data/cases/seed-emh-thalassemia.txt)" --top 5

test: $(VENV)/.installed-dev
	$(PY) -m pytest -q

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/mypy

clean:
	rm -rf var build dist .pytest_cache
