#!/usr/bin/env bash
# Look at the built docs as a person would: serve _docs/ on 127.0.0.1 and take headless-Chromium screenshots.
#   tools/docs-screenshot.sh OUT_DIR [PAGE ...]     (default pages: index.html and core.html)
# Needs Debian's chromium (`apt-get install -y chromium`) and a built site (`make docs`). Prints the PNG paths.
# DOCS=path/to/_docs overrides the site folder; SIZE=1280,6000 takes a taller picture.
set -euo pipefail
out=$(realpath -m "${1:?usage: tools/docs-screenshot.sh OUT_DIR [PAGE ...]}"); shift
cd "$(dirname "$0")/.."
docs=$(realpath "${DOCS:-_docs}")
test -f "$docs/index.html" || { echo "no site in $docs: run make docs first" >&2; exit 1; }
chrome=$(command -v chromium || command -v chromium-browser || true)
test -n "$chrome" || { echo "chromium not found: apt-get install -y chromium" >&2; exit 1; }
pages=("$@")
if [ ${#pages[@]} -eq 0 ]; then
  pages=(index.html)
  [ -f "$docs/core.html" ] && pages+=(core.html)  # pages are named as nbdev names them: 00_core.ipynb -> core.html
fi
mkdir -p "$out"
PY=${PYTHON:-.venv/bin/python}
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PY" -m http.server "$port" --bind 127.0.0.1 --directory "$docs" >/dev/null 2>&1 &
server=$!
profile=$(mktemp -d)
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$profile"' EXIT
for _ in $(seq 50); do "$PY" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/')" 2>/dev/null && break; sleep 0.1; done
for page in "${pages[@]}"; do
  png="$out/$(printf '%s' "${page/.html/}" | tr -c 'A-Za-z0-9_.-' '_').png"
  # root in a container: no sandbox; no background networking (the network is closed here)
  "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$profile" \
    --window-size="${SIZE:-1280,1600}" --virtual-time-budget=3000 --screenshot="$png" "http://127.0.0.1:$port/$page" >/dev/null 2>&1
  test -s "$png" || { echo "no screenshot of $page" >&2; exit 1; }
  echo "$png"
done
