# The two commands of the README: `make demo` and `make test`.
# Each creates .venv (Python >= 3.11) with everything it needs; nothing is installed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test venv benchmarks clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name python3 >/dev/null
	touch $(STAMP)

venv: $(STAMP)

## Run the whole demo study (demo municipality -> report) into output/demo
demo: $(STAMP)
	$(BIN)/shnro demo --out output/demo

## Run the test suite (R reference values, notebooks, demo recovery)
test: $(STAMP)
	$(BIN)/python -m pytest -q

## Time our code against R and Python peers (prints ratios); not part of the tests
benchmarks: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) output .pytest_cache
