# The two commands of the README: `make demo` and `make test`.
# Each creates .venv (Python >= 3.11) with everything it needs; nothing is installed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test venv benchmarks notebooks clean

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

## Execute every stage notebook on the demo study into HTML (output/notebooks/)
notebooks: $(STAMP)
	mkdir -p output/notebooks
	cd notebooks && for nb in 0*.ipynb; do \
		../$(BIN)/jupyter nbconvert --to html --execute --ExecutePreprocessor.timeout=1200 \
			--ExecutePreprocessor.kernel_name=python3 --output-dir ../output/notebooks "$$nb" || exit 1; \
	done

## Time our code against R and Python peers (prints ratios); not part of the tests
benchmarks: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) output .pytest_cache
