# The course's commands. Students need two: `make lab` and `make test`.
# Instructors also use `make release`, `make grade SUBMISSIONS=<dir> OUT=<dir>`,
# `make student-edition DEST=<dir>`, `make formgrader` and `make hub`.

SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The first Python between 3.11 and 3.13 found on PATH (override: make test PYTHON=python3.12).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null \
	&& { echo $$p; break; }; done)
LESSONS := $(notdir $(wildcard solutions/[0-9]*))
LAB_FLAGS ?= --ServerApp.root_dir=lessons
# JupyterLab's nbgrader tools per role (jupyter-config/): students get Validate and the
# assignment list (as on Binder), instructors also the formgrader and create-assignment.
STUDENT_CONFIG := $(CURDIR)/jupyter-config/student
INSTRUCTOR_CONFIG := $(CURDIR)/jupyter-config/instructor
FORMGRADER_FLAGS ?=
# make student-edition DEST=../cnn-course-student [GIT=1]
DEST ?=
GIT ?=
GRADEBOOK := .nbgrader/gradebook.db
SUBMISSIONS ?= submitted
OUT ?= grades
# make grade ROSTER=roster.csv WORKERS=4 GRADE_ARGS="--timeout 900 --sandbox process"
# make grade SCHEDULER=tcp://HOST:8786 (a Dask cluster: docs/grading-on-a-cluster.md)
ROSTER ?=
WORKERS ?=
SCHEDULER ?=
GRADE_ARGS ?=
PYTEST_ARGS ?=
# nbgrader calls `alembic` by name: the venv's tools come first on PATH.
export PATH := $(abspath $(BIN)):$(PATH)
export MPLBACKEND ?= Agg

.PHONY: help install lab test lint format release grade bench clean test-cluster \
	student-edition gradebook formgrader return-feedback hub test-hub test-lowest test-jax

help:
	@echo "make lab      set up (first time) and open JupyterLab on the lessons"
	@echo "make test     set up (first time) and run every test: lint, helpers, notebooks, grading"
	@echo "make test-cluster  grading on a local Dask cluster, a worker killed mid-run (minutes)"
	@echo "make release  regenerate lessons/ (student versions) from solutions/"
	@echo "make grade SUBMISSIONS=<dir> OUT=<dir> [ROSTER=<csv>] [WORKERS=<n>] [GRADE_ARGS=...]"
	@echo "             autograde a class (nbgrader's submitted/ layout or a flat LMS download)"
	@echo "             [SCHEDULER=tcp://HOST:PORT]: on a Dask cluster (docs/grading-on-a-cluster.md)"
	@echo "make bench    time and measure every lesson at both profiles (bench/)"
	@echo "make student-edition DEST=<dir> [GIT=1]"
	@echo "             write what students get (lessons, helpers, Binder; no solutions) into <dir>"
	@echo "make gradebook   make nbgrader's gradebook know every lesson (once per clone)"
	@echo "make formgrader  open JupyterLab at the course root with nbgrader's instructor tools"
	@echo "make return-feedback OUT=<dir>  return make grade's feedback through nbgrader's exchange"
	@echo "make hub      run the course on a local JupyterHub (hub/jupyterhub_config.py)"
	@echo "make test-hub the end-to-end class on JupyterHub (hub/test_hub.py)"
	@echo "make test-lowest  the helpers' tests and two lessons on the lowest versions pyproject.toml allows"
	@echo "make test-jax the notebooks and the grading round trip on the JAX backend"

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.11, 3.12 or 3.13 is needed (TensorFlow and nbgrader 0.9 need >= 3.11); none was found on PATH." >&2; exit 1; fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[test]'
	@touch $@

install: $(STAMP)

# Jupyter refuses to run as root (containers, CI) without --allow-root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	JUPYTER_CONFIG_PATH=$(STUDENT_CONFIG) $(BIN)/jupyter lab $(LAB_FLAGS) $(ROOT_FLAG)

# The instructor's view: the whole course (solutions/, lessons/, submitted/...), so that
# every formgrader link resolves, with nbgrader's formgrader and create-assignment on.
formgrader: $(STAMP) $(GRADEBOOK)
	JUPYTER_CONFIG_PATH=$(INSTRUCTOR_CONFIG) $(BIN)/jupyter lab \
		--ServerApp.root_dir=$(CURDIR) $(FORMGRADER_FLAGS) $(ROOT_FLAG)

# nbgrader's gradebook (.nbgrader/gradebook.db) learns every lesson and its graded cells
# (generate_assignment into a scratch release folder: lessons/ is left alone).
gradebook: $(STAMP)
	@for lesson in $(LESSONS); do \
		$(BIN)/nbgrader generate_assignment $$lesson --force --log-level=WARN \
			--CourseDirectory.release_directory=.nbgrader/release || exit 1; \
	done
	@echo "The gradebook knows $(words $(LESSONS)) lessons: $(GRADEBOOK)"

$(GRADEBOOK):
	@$(MAKE) --no-print-directory gradebook

student-edition: $(STAMP)
	@if [ -z "$(DEST)" ]; then echo "usage: make student-edition DEST=<dir> [GIT=1]" >&2; exit 2; fi
	$(BIN)/python -m grading.edition $(DEST) $(if $(GIT),--git)

# A local JupyterHub for a class (hub/run.py); test-hub runs a class through it.
hub: $(STAMP)
	$(BIN)/python -m hub.run $(HUB_ARGS)

test-hub: $(STAMP)
	COURSE_OFFLINE=1 $(BIN)/python -m pytest hub/test_hub.py $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# tests/test_cluster.py runs a Dask cluster for minutes: `make test-cluster` (CI runs both).
# Test files run side by side on TEST_WORKERS processes (pytest-xdist), each file whole in
# one process (its fixtures made once): most tests wait on a kernel or a server.
TEST_WORKERS ?= 2
XDIST = -n $(TEST_WORKERS) --dist loadfile

test: lint
	COURSE_OFFLINE=1 $(BIN)/python -m pytest $(XDIST) --ignore=tests/test_cluster.py $(PYTEST_ARGS)

test-cluster: $(STAMP)
	COURSE_OFFLINE=1 $(BIN)/python -m pytest tests/test_cluster.py $(PYTEST_ARGS)

release: $(STAMP)
	@for lesson in $(LESSONS); do \
		$(BIN)/nbgrader generate_assignment $$lesson --force --log-level=WARN || exit 1; \
		echo "released lessons/$$lesson"; \
	done

grade: $(STAMP)
	$(BIN)/python -m grading.autograde $(SUBMISSIONS) $(OUT) \
		$(if $(ROSTER),--roster $(ROSTER)) $(if $(WORKERS),--workers $(WORKERS)) \
		$(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(GRADE_ARGS)

# After make grade SUBMISSIONS=submitted OUT=<dir>: its feedback back through nbgrader's
# exchange, for each student's Fetch Feedback (grading/handback.py).
return-feedback: $(STAMP)
	$(BIN)/python -m grading.handback $(OUT)

bench: $(STAMP)
	$(BIN)/python bench/bench_notebooks.py $(BENCH_ARGS)

clean:
	rm -rf .nbgrader .pytest_cache .ruff_cache

# ---------------------------------------------------------------- runtimes
# The helpers' own unit tests (no notebook, no grading): what test-lowest runs first.
HELPERS_TESTS ?= tests/test_architectures.py tests/test_checks.py tests/test_datasets.py \
	tests/test_plotting.py tests/test_pretrained.py tests/test_runtime.py
# Lessons run at the lowest versions: the first figures and widgets (01), a training (03).
LOWEST_LESSONS ?= 01-convolution 03-first-cnn-mnist
LOWEST_VENV ?= .venv-lowest
LOWEST_STAMP := $(LOWEST_VENV)/.installed

# The lowest version of every direct dependency that pyproject.toml allows (uv's
# lowest-direct resolution, uv itself from PyPI), JAX's extra included, in its own venv,
# made afresh whenever pyproject.toml changes (uv would keep what still satisfies it).
$(LOWEST_STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.11, 3.12 or 3.13 is needed." >&2; exit 1; fi
	rm -rf $(LOWEST_VENV)
	$(PYTHON) -m venv $(LOWEST_VENV)
	$(LOWEST_VENV)/bin/python -m pip install --quiet --upgrade uv
	$(LOWEST_VENV)/bin/uv pip install --quiet --python $(LOWEST_VENV)/bin/python \
		--resolution lowest-direct --editable '.[test]'
	@# JAX afterwards: resolved together, JAX's newest SciPy would lift NumPy off its bound.
	$(LOWEST_VENV)/bin/uv pip install --quiet --python $(LOWEST_VENV)/bin/python \
		--resolution lowest-direct --editable '.[test,jax]'
	@touch $@

# Bounds tested at the low end: the helpers' tests, and LOWEST_LESSONS under nbval, on
# TensorFlow and on JAX (make test covers the newest versions).
test-lowest: $(LOWEST_STAMP)
	@$(LOWEST_VENV)/bin/uv pip list --python $(LOWEST_VENV)/bin/python 2>/dev/null \
		| grep -iE '^(tensorflow|keras|jax|jaxlib|numpy|matplotlib|ipython|ipykernel|ipywidgets|scikit-learn|pillow|mlxtend) ' \
		| awk '{printf "%s %s  ", $$1, $$2} END {print ""}'
	PATH=$(abspath $(LOWEST_VENV))/bin:$$PATH COURSE_OFFLINE=1 $(LOWEST_VENV)/bin/python -m pytest \
		$(XDIST) $(HELPERS_TESTS) $(addprefix solutions/,$(LOWEST_LESSONS)) $(PYTEST_ARGS)
	PATH=$(abspath $(LOWEST_VENV))/bin:$$PATH COURSE_OFFLINE=1 KERAS_BACKEND=jax \
		$(LOWEST_VENV)/bin/python -m pytest tests/test_runtime.py \
		solutions/$(firstword $(LOWEST_LESSONS)) $(PYTEST_ARGS)

JAX_STAMP := $(VENV)/.installed-jax

$(JAX_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --editable '.[test,jax]'
	@touch $@

# JAX as a first-class backend: the runtime's tests (a silent set-up, JAX's tuning), every
# notebook under nbval and the grading round trip, with KERAS_BACKEND=jax.
test-jax: $(JAX_STAMP)
	COURSE_OFFLINE=1 KERAS_BACKEND=jax $(BIN)/python -m pytest $(XDIST) tests/test_runtime.py \
		solutions tests/test_grading.py $(PYTEST_ARGS)
