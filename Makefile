# Two commands do all the set-up: `make quickstart` and `make test`.
# Both create .venv when it is missing and install the pinned, tested set (constraints.txt) once.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# uv does not read pip's configuration: hand it the mirrors that pip is configured with, if any.
PIP_EXTRA := $(shell $(PYTHON) -m pip config get global.extra-index-url 2>/dev/null)
PIP_LINKS := $(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null)
UV_ARGS := $(foreach u,$(PIP_EXTRA),--extra-index-url $(u)) $(foreach u,$(PIP_LINKS),--find-links $(u))
UV_VERSION := 0.13.9
# CI has 2 cores: one pytest worker per core.
PYTEST_WORKERS ?= 2

.PHONY: install quickstart test test-fast docs export clean-nbs lock bench clean bench-gpu

install: $(STAMP)

$(STAMP): constraints.txt pyproject.toml
	@echo "installing the pinned packages (constraints.txt) into $(VENV): a few minutes the first time (the last minute compiles bytecode, silently); nothing on later runs"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --python $(BIN)/python --compile-bytecode $(UV_ARGS) -c constraints.txt -e '.[dev]'
	touch $(STAMP)

quickstart: $(STAMP)
	$(BIN)/simplepose-quickstart --out _quickstart

# make test: every notebook executed as JupyterLab's Run All executes it (tests/test_notebooks.py; each one's wall time
# and the checks skipped for absent optional data are reported just before the final line), every command over the
# generated bad-input corpus (tests/test_contract.py, tools/badinputs.py), the docs site and its links, export and
# README in sync. SIMPLEPOSE_DATA=<folder holding coco-mini> (or ../shared/data beside the clone) adds the real-data checks.
# The suite is itself a busy machine (one worker per core): each test's torch runs on one thread, and threads that a
# test starts beyond that (a thread-count probe, OpenVINO's pool) wait asleep (OMP_WAIT_POLICY=PASSIVE) instead of
# spinning on the core the other worker needs. The benchmarks that compare wait policies set their own (bench/contention.py).
test: $(STAMP)
	OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist load --maxschedchunk 1 --durations=25 tests

# make docs: runs a copy of the notebooks, then renders _docs/ (DOCS_ARGS=--no-exec: pages without outputs).
docs: $(STAMP)
	bash tools/docs.sh $(DOCS_ARGS)

export: $(STAMP)
	$(BIN)/nbdev-export && $(BIN)/nbdev-clean && $(BIN)/python tools/readme.py

lock: $(STAMP)
	{ head -2 constraints.txt; $(BIN)/uv pip freeze --python $(BIN)/python | grep -v -e '^uv==' -e '^-e ' -e '^simplepose'; } > constraints.txt.tmp && mv constraints.txt.tmp constraints.txt && touch $(STAMP)

bench: $(STAMP)
	for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f; done

# make bench-gpu: the GPU figures, one line each, in at most 8 minutes on one GPU (bench/gpu.py; make test runs its
# CPU rehearsal, bench/gpu.py --dry).
bench-gpu: $(STAMP)
	$(BIN)/python bench/gpu.py

clean:
	rm -rf _quickstart _quickstart_bench _docs _proc _site _nbs_exec
