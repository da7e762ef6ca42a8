#!/usr/bin/env bash
# The main job: a sweep of three backbones on the built-in phantom data (zoo/quickstart.yaml),
# ending in the comparison table the papers print. Runs go to runs/quickstart/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product zoo
.build/release/zoo sweep zoo/quickstart.yaml "$@"
