#!/usr/bin/env bash
# Rebuild docs/digits-report.png: the digits example's grid (two optimizers, three seeds) into a
# temporary database, `runner report` with its metrics, then headless Chromium takes the screenshot.
#
#   pip install -e examples/digits && bash docs/digits_screenshot.sh   (needs chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export RUNNER_DB="sqlite:///$work/experiments.db"

runner run -q --model digits_mlp --optimizer adam,rmsprop --seed 0-2 --batch-size 64 --eval-every 100 \
    --sweep digits-grid --jobs 2
runner report -o "$work/report.html" --sweep digits-grid --metric val_accuracy,val_loss --best val_accuracy \
    --title "digits: adam against rmsprop, three seeds"
chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --hide-scrollbars --user-data-dir="$work/profile" \
    --virtual-time-budget=10000 --window-size=1400,2200 --screenshot="$PWD/docs/digits-report.png" \
    "file://$work/report.html" 2>/dev/null
echo "Wrote docs/digits-report.png"
