# The two commands of the README: `make demo` and `make test`.
# Both create (or update) the project-local virtual environment .venv/ first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast release execute-source venv hub system-packages sandbox-check clean bench

## The project's own packages byte-compiled: an editable install leaves them as
## source, and where PYTHONDONTWRITEBYTECODE is set every kernel compiles them anew.
venv: $(STAMP) system-packages
	$(BIN)/python -m compileall -q helpers course

## Debian packages listed in system-packages.txt (installed where missing).
system-packages:
	scripts/install-system-packages

## course.formgrader: the formgrader's pages as the course needs them (an
## editable install does not install its jupyter-config file; a wheel does).
##
## rfc3987-syntax (pulled in by jupyter-events' jsonschema[format-nongpl]) builds
## dozens of Earley parsers when it is imported, and jsonschema imports it with
## nbformat: 3.8 s of CPU in every nbgrader, nbval and Jupyter server process on
## this project's machine, more than nbgrader's own imports (jsonschema #1428,
## opendatahub-io/notebooks #3532). It checks only the "iri" formats, which no
## Jupyter or nbformat schema uses; without it jsonschema skips those formats.
## tests/integration/test_environment.py checks that this venv goes without it.
$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip uninstall --quiet --yes rfc3987-syntax
	cp course/formgrader/jupyter-config/course-formgrader.json $(VENV)/etc/jupyter/jupyter_server_config.d/
	touch $(STAMP)

## JupyterHub's proxy, configurable-http-proxy, from npm as hub/package-lock.json pins
## it: for the course's hub (hub/jupyterhub_config.py) and its test (tests/e2e/test_hub.py).
HUB_PROXY := hub/node_modules/.bin/configurable-http-proxy
hub: $(HUB_PROXY)

$(HUB_PROXY): hub/package.json hub/package-lock.json | system-packages
	npm ci --prefix hub --no-audit --no-fund --loglevel=error
	touch $(HUB_PROXY)

## The instructor's whole pipeline on the demo class.
demo: venv
	$(BIN)/course demo

## Every test: the unit and pipeline tests, and nbval on every source notebook
## (stored outputs compared, except cells tagged nbval-ignore-output); the 25 slowest
## tests are listed at the end, so that a CI log shows where the time goes.
## TEST_WORKERS: xdist workers. The tests also wait (on kernels stopped at their time
## limit, browsers, servers): with two workers the cores were idle 9 % of a run, with
## three 1.4 % and the run 6-9 % shorter (README, "Tests and CI").
TEST_WORKERS ?= 3
test: venv hub
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder tests source --nbval --nbval-current-env \
		--nbval-sanitize-with nbval-sanitize.cfg --durations=25

## The inner loop: the unit tests of helpers/ and course/, which start no kernel,
## no sandbox and no nbgrader run (tests/helpers, tests/course).
test-fast: venv
	$(BIN)/python -m pytest -n 2 tests/helpers tests/course

## Benchmarks, each side by side in one run, printing ratios (BENCHMARKS.md).
## SEED: the seed document the notebook benchmark builds its reference from.
SEED ?= ../shared/seed/weight-initialization-notes.md
bench: venv
	$(BIN)/python benchmarks/bench_training.py
	$(BIN)/python benchmarks/bench_notebook.py --seed $(SEED)
	$(BIN)/python benchmarks/bench_grading.py
	$(BIN)/python benchmarks/bench_cluster.py
	$(BIN)/python benchmarks/bench_kernels.py
	$(BIN)/python benchmarks/bench_explorer.py

## Regenerate release/ from source/ (commit both together).
release: venv
	$(BIN)/course release

## Run the source notebooks top to bottom and store their outputs (nbval compares
## them); no execution timestamps, which would only churn source/ and release/.
execute-source: venv
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.record_timing=False --ExecutePreprocessor.store_widget_state=False \
		source/initialization/*.ipynb

## Say whether the grading sandbox (bubblewrap) can run on this machine.
sandbox-check: venv
	$(BIN)/course sandbox-check

clean:
	rm -rf $(VENV) hub/node_modules .pytest_cache gradebook.db feedback grades.csv autograded/*/
