#!/usr/bin/env bash
# The test command: installs what is missing (system libraries; the pinned Keras and PyTorch
# references and their fixtures, once per machine), then builds and runs every test in release
# mode (the numerical tests are heavy; -enable-testing lets them reach internal kernels).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests
scripts/reference-env.sh
swift build -c release -Xswiftc -enable-testing --build-tests
# The HDF5 tests leave Zoo's exported weights and checkpoints here; Keras then loads them.
export ZOO_EXPORT_DIR="$(mktemp -d)"
trap 'rm -rf "$ZOO_EXPORT_DIR"' EXIT
swift test -c release -Xswiftc -enable-testing --skip-build --disable-swift-testing "$@"
# A short, reproducible run of every fuzz target (docs/RELIABILITY.md); any crash fails the
# test command.
scripts/fuzz.sh --ci
scripts/keras-checks.sh "$ZOO_EXPORT_DIR"
# Zoo as a versioned dependency of another package.
scripts/consumer-check.sh
