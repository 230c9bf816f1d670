#!/usr/bin/env bash
# Build the docs site from the notebooks into _docs/.
# With Quarto (the GitHub deploy workflow): nbdev-docs. Without it (Quarto cannot be installed offline):
# nbdev-proc-nbs, then smalldocs renders the processed notebooks.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
if command -v quarto >/dev/null 2>&1; then
  $BIN/nbdev-docs
else
  rm -rf _proc _docs
  $BIN/nbdev-proc-nbs
  $BIN/smalldocs render -q _proc
  mv _proc/_docs _docs
fi
echo "docs: $(find _docs -name '*.html' | wc -l) pages in _docs"
