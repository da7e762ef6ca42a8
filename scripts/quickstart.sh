#!/usr/bin/env bash
# The main job. Until the experiment runner lands this trains the engine demo (a small CNN on
# generated discs and rings, nothing but ZooTensor) and times the kernels.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product engine-demo
swift build -c release --product zoo-kernel-bench
.build/release/engine-demo
.build/release/zoo-kernel-bench --repeats 3
