# The two commands of the README: `make course` and `make test`. Each installs what it needs
# into a local virtual environment (.venv) first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
COURSE_LANG ?= ko
STAMP := $(VENV)/.installed
# `make course` installs what the course needs only (JupyterLab and LayerLab); the tests' tooling
# (Playwright, Hypothesis, ruff, ...) comes with `make test`.
COURSE_STAMP := $(VENV)/.installed-course
# JupyterLab refuses to run as root unless told to (containers and CI machines often are root).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

# The oldest Python the project admits, as a system ships it: Debian 12's python3 (3.11.2).
SYSTEM_PYTHON ?= /usr/bin/python3
SYSTEM_VENV := .venv-system

.PHONY: course test test-system-python fuzz lint messages bench clean

$(COURSE_STAMP): extension/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e 'extension[course]'
	touch $(COURSE_STAMP)

$(STAMP): $(COURSE_STAMP)
	$(BIN)/python -m pip install --quiet -e 'extension[course,test]'
	touch $(STAMP)

# The committed notebooks are trusted first, so that their graphs open as pictures (JupyterLab
# shows an untrusted notebook's SVG as its text form until the cell runs again).
course: $(COURSE_STAMP)
	$(BIN)/jupyter trust notebooks/ko/*.ipynb notebooks/en/*.ipynb notebooks/demo/*.ipynb \
		>/dev/null
	LAYERLAB_ENGINE=sim $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 $(ALLOW_ROOT) \
		--notebook-dir=. notebooks/$(COURSE_LANG)/01-images-and-containers.ipynb

test: $(STAMP)
	$(BIN)/ruff check extension tests
	$(BIN)/lint-imports extension/pyproject.toml
	$(BIN)/python -m pytest

# The suite's simulator part on the system's own Python (no real engine, no notebooks: their
# saved outputs name the interpreter's version).
test-system-python:
	test -x $(SYSTEM_VENV)/bin/python || $(SYSTEM_PYTHON) -m venv $(SYSTEM_VENV)
	$(SYSTEM_VENV)/bin/python -m pip install --quiet -e 'extension[test]'
	env -u DOCKER_HOST -u LAYERLAB_REQUIRE_REAL -u LAYERLAB_LIVE_DIFFERENTIAL \
		-u LAYERLAB_REAL_26_HOST -u LAYERLAB_REQUIRE_REAL_26 \
		$(SYSTEM_VENV)/bin/python -m pytest -p no:cacheprovider tests/engine tests/cli \
		tests/scenarios tests/grading tests/fuzz tests/test_magic.py tests/test_safety.py \
		tests/test_forkserver.py

# The long fuzz run: 2,500 generated states of up to 25 steps (about 75,000 generated commands,
# each followed by checks), seeded from the clock unless LAYERLAB_FUZZ_SEED is set (the seed is
# printed first, to replay a run); `make test` runs a bounded budget of the same harness.
fuzz: $(STAMP)
	seed=$${LAYERLAB_FUZZ_SEED:-$$(date +%s)}; echo "fuzz seed: $$seed"; \
	LAYERLAB_FUZZ_EXAMPLES=$${LAYERLAB_FUZZ_EXAMPLES:-2500} $(BIN)/python -m pytest \
		-p no:cacheprovider -s --hypothesis-seed=$$seed tests/fuzz/test_fuzz.py -k 'Machine or summary'

lint: $(STAMP)
	$(BIN)/ruff check extension tests
	$(BIN)/ruff format --check extension tests
	$(BIN)/lint-imports extension/pyproject.toml

# LayerLab's own messages: take the code's (what it passes to tr/ntr) into the Korean catalog;
# a new message arrives untranslated, and tests/test_i18n.py fails until it has its Korean.
messages: $(STAMP)
	cd extension/src && ../../$(BIN)/pybabel extract --no-location --omit-header \
		-k tr -k ntr:1,2 -k N_ -o ../../.messages.pot layerlab
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete --omit-header --width=100 \
		-i .messages.pot -d extension/src/layerlab/i18n/locale -D layerlab -l ko
	rm -f .messages.pot

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(SYSTEM_VENV) .pytest_cache
