# The two commands of the README: `make course` and `make test`. Each installs what it needs
# into a local virtual environment (.venv) first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
COURSE_LANG ?= ko
STAMP := $(VENV)/.installed
# JupyterLab refuses to run as root unless told to (containers and CI machines often are root).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: course test lint bench clean

$(STAMP): extension/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e 'extension[course,test]'
	touch $(STAMP)

course: $(STAMP)
	LAYERLAB_ENGINE=sim $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 $(ALLOW_ROOT) \
		--notebook-dir=. notebooks/$(COURSE_LANG)/01-images-and-containers.ipynb

test: $(STAMP)
	$(BIN)/ruff check extension tests
	$(BIN)/lint-imports extension/pyproject.toml
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check extension tests
	$(BIN)/ruff format --check extension tests
	$(BIN)/lint-imports extension/pyproject.toml

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache
