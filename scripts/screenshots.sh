#!/usr/bin/env bash
# The README's pictures, as a reader sees them: runs the quickstart sweep (with Grad-CAM at the
# default layer) into a temporary folder and has headless Chromium photograph its report.html
# and one Grad-CAM figure, into docs/images/. Needs chromium (scripts/install-deps.sh --tests).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="$(mktemp -d)"
trap 'rm -rf "$runs"' EXIT
swift build -c release --product zoo
.build/release/zoo sweep zoo/quickstart.yaml --runs "$runs" --set 'eval.gradcam=[last]' >/dev/null
shoot() {  # shoot FILE WIDTH HEIGHT OUTPUT
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$runs/chromium" \
        --window-size="$2,$3" --screenshot="$4" "file://$1" 2>/dev/null
    echo "wrote $4"
}
shoot "$runs/quickstart/report.html" 1100 1500 docs/images/quickstart-report.png
figure="$(ls "$runs"/quickstart/resnet18/gradcam/*.svg | head -n 1)"
shoot "$figure" 880 380 docs/images/gradcam-figure.png
