#!/usr/bin/env bash
# Build the docs site from the notebooks into _docs/ (`make docs`); all of it in ignored folders.
# A copy of nbs/ is executed first (the committed notebooks have no outputs), every cell as Run All does.
# With Quarto (the GitHub deploy workflow) nbdev renders it; without it (Quarto cannot be installed offline)
# smalldocs renders nbdev's processed notebooks. Options go to tools/docs_build.py (e.g. --no-exec).
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-.venv/bin/python}" tools/docs_build.py "$@"
