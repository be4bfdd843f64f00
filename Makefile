# The two commands of the README: `make demo` and `make test`.
# Both create (or update) the project-local virtual environment .venv/ first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test release venv system-deps clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## The instructor's whole pipeline on the demo class.
demo: venv
	$(BIN)/course demo

## Every test.
test: venv
	$(BIN)/python -m pytest

## Regenerate release/ from source/ (commit both together).
release: venv
	$(BIN)/course release

clean:
	rm -rf $(VENV) .pytest_cache gradebook.db feedback grades.csv autograded/*/
