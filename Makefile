# The course's commands. Students need two: `make lab` and `make test`.
# Instructors also use `make release` and `make grade SUBMISSIONS=<dir> OUT=<dir>`.

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
SUBMISSIONS ?= submitted
OUT ?= grades
# make grade ROSTER=roster.csv WORKERS=4 GRADE_ARGS="--timeout 900 --sandbox process"
ROSTER ?=
WORKERS ?=
GRADE_ARGS ?=
PYTEST_ARGS ?=
# nbgrader calls `alembic` by name: the venv's tools come first on PATH.
export PATH := $(abspath $(BIN)):$(PATH)
export MPLBACKEND ?= Agg

.PHONY: help install lab test lint format release grade bench clean

help:
	@echo "make lab      set up (first time) and open JupyterLab on the lessons"
	@echo "make test     set up (first time) and run every test: lint, helpers, notebooks, grading"
	@echo "make release  regenerate lessons/ (student versions) from solutions/"
	@echo "make grade SUBMISSIONS=<dir> OUT=<dir> [ROSTER=<csv>] [WORKERS=<n>] [GRADE_ARGS=...]"
	@echo "             autograde a class (nbgrader's submitted/ layout or a flat LMS download)"
	@echo "make bench    time and measure every lesson at both profiles (bench/)"

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
	$(BIN)/jupyter lab $(LAB_FLAGS) $(ROOT_FLAG)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	COURSE_OFFLINE=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

release: $(STAMP)
	@for lesson in $(LESSONS); do \
		$(BIN)/nbgrader generate_assignment $$lesson --force --log-level=WARN || exit 1; \
		echo "released lessons/$$lesson"; \
	done

grade: $(STAMP)
	$(BIN)/python -m grading.autograde $(SUBMISSIONS) $(OUT) \
		$(if $(ROSTER),--roster $(ROSTER)) $(if $(WORKERS),--workers $(WORKERS)) $(GRADE_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/bench_notebooks.py $(BENCH_ARGS)

clean:
	rm -rf .nbgrader .pytest_cache .ruff_cache
