# radgraph: two commands for a new user.
#   make demo  - set up .venv, build the graph from the bundled data/, answer the headline question and
#                print a differential for the example case.
#   make test  - set up .venv with the test extras and run the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STORE ?= oxigraph:var/store
export RADGRAPH_STORE ?= $(STORE)

.PHONY: demo test test-slow setup setup-dev browser-deps lint typecheck eval bench bench-extraction clean

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

# Headless Chromium and its driver for the end-to-end page test (Debian packages; CI runs as root).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	      || echo "warning: could not install chromium; browser tests will be skipped"; \
	  else echo "note: chromium/chromedriver not installed; browser tests will be skipped"; fi; \
	fi

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(VENV)/bin/radgraph build data/cases
	$(VENV)/bin/radgraph query diagnoses-presenting-with --param finding="paravertebral mass" --param laterality=bilateral
	$(VENV)/bin/radgraph ddx --text "$$(cat data/cases/seed-emh-thalassemia.txt)" --top 5

test: $(VENV)/.installed-dev browser-deps
	$(PY) -m pytest -q src/radgraph tests notebooks --nbmake --nbmake-timeout=600

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/mypy

clean:
	rm -rf var build dist .pytest_cache

# Opt-in long checks: kill -9 during builds, and 10,000 generated texts through the pipeline.
test-slow: $(VENV)/.installed-dev
	$(PY) -m pytest -q tests/test_atomicity.py -m slow
	RADGRAPH_HYPOTHESIS_EXAMPLES=10000 $(PY) -m pytest -q tests/test_robustness.py -k property --hypothesis-show-statistics

# Measurements (need ../shared/corpora/medpix-2.0 for the MedPix parts).
eval: $(VENV)/.installed
	$(VENV)/bin/radgraph eval extraction
	$(VENV)/bin/radgraph eval ddx

# The scale benchmark (minutes; prints a table and writes bench/results/). See bench/README.md.
bench: $(VENV)/.installed-dev
	$(PY) bench/run.py --sizes 1000 10000 --workers 2

# Extraction throughput on one core, per stage (about a minute; add --corpus FILE for MedPix).
bench-extraction: $(VENV)/.installed
	$(PY) bench/extraction.py
