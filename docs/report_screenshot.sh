#!/usr/bin/env bash
# Rebuild docs/report.png: real `runner run` commands into a temporary database, `runner report`,
# then the same headless Chromium the browser test uses takes the screenshot.
#
#   bash docs/report_screenshot.sh            (needs chromium: apt-get install chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export RUNNER_DB="sqlite:///$work/experiments.db"

# The seven tutorial models with their own optimizers, as one grid.
runner run -q --model numpy,tensor,autograd,myrelu,sequential,module,dynamic --steps 500 --jobs 2 --sweep tutorial || true
# A seed group: the same settings, three seeds.
runner run -q --model sequential --optimizer adam --lr 1e-4 --seed 0-2 --steps 500 --jobs 2 --sweep adam-seeds || true
# One that diverges, marked rather than dropped.
runner run -q --model numpy --lr 5e-6 --steps 500 --name "numpy lr too high" || true

runner report -o "$work/report.html" --title "runner report: seven models and a seed group"
chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --hide-scrollbars --user-data-dir="$work/profile" \
    --virtual-time-budget=10000 --window-size=1400,1800 --screenshot="$PWD/docs/report.png" \
    "file://$work/report.html" 2>/dev/null
echo "Wrote docs/report.png"
