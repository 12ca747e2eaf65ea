# The two commands of the README: `make demo` and `make test`.
# Each creates .venv when missing and installs geo_env (editable) with its test and fonts extras.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.geo_env-installed

.PHONY: demo test check-python clean sample bench stress docs

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "geo_env needs Python >= 3.10; set PYTHON=python3.x")'

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,fonts]'
	@touch $@

demo: $(STAMP)
	$(BIN)/geo-env demo --out maps/demo

test: $(STAMP)
	$(BIN)/ruff check geo_env tests tools benchmarks docs
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The documentation site (site/): the design, the methods and the API reference from the
# docstrings (mkdocs-material + mkdocstrings), built strictly: a broken link or reference fails.
DOCS_STAMP := $(VENV)/.geo_env-docs-installed
$(DOCS_STAMP): pyproject.toml | $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[docs]'
	@touch $@

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# Rebuild the committed sample district in data/sample/ (deterministic).
sample: $(STAMP)
	$(BIN)/python tools/make_sample.py data/sample

bench: $(STAMP)
	@rc=0; for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || rc=1; done; exit $$rc

# The reliability yardstick: every bad input and fault of benchmarks/_mutations.py (built
# from data/sample/), judged against what geo_env must do; counts per outcome class.
stress: $(STAMP)
	$(BIN)/python benchmarks/stress_mutations.py $(STRESS_ARGS)

clean:
	rm -rf $(VENV) build site *.egg-info .pytest_cache
	find maps -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
