#!/usr/bin/env bash
# Install qdev from this clone and do its main job on a fresh machine that has only Python 3.11+
# and git: create a demo library repo and run `qdev check` in it.
#
#   bash scripts/try-qdev.sh [DEMO_FOLDER]        (default /tmp/qdev-demo)
#
# uv comes from PyPI (pip install --user); qdev is installed as a uv tool, so the `qdev`
# command lands in uv's tool bin folder (usually ~/.local/bin).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
demo="${1:-/tmp/qdev-demo}"

python3 -m pip install --user --quiet uv
python3 -m uv tool install --quiet --reinstall --compile-bytecode "$here"
qdev="$(python3 -m uv tool dir --bin)/qdev"

"$qdev" --version
"$qdev" init "$demo" --kind library --yes
cd "$demo"
"$qdev" check
