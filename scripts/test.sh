#!/usr/bin/env bash
# The test command: installs what is missing (system libraries; the pinned Keras and PyTorch
# references and their fixtures, once per machine), then builds and runs every test in release
# mode (the numerical tests are heavy; -enable-testing lets them reach internal kernels).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests
scripts/reference-env.sh
# With the MPI trait: the tests run zoo under mpirun (docs/CLUSTER.md).
swift build -c release -Xswiftc -enable-testing --build-tests --traits MPI
# The HDF5 tests leave Zoo's exported weights and checkpoints here; Keras then loads them.
export ZOO_EXPORT_DIR="$(mktemp -d)"
# A one-node SLURM on 127.0.0.1 for the cluster tests, in a private folder, stopped on exit by
# the process ids it recorded. When it cannot be installed or started, the reason is written
# where those tests read it, and they skip printing it.
cluster="$(mktemp -d)"
export ZOO_SLURM_UNAVAILABLE="$cluster/UNAVAILABLE"
# The tests' convolution choices go to a plan file of their own, not the machine's.
export ZOO_CONV_PLANS="$cluster/convolution-plans.json"
trap 'scripts/slurm-local.sh stop "$cluster/slurm" >/dev/null 2>&1 || true; rm -rf "$ZOO_EXPORT_DIR" "$cluster"' EXIT
if scripts/slurm-local.sh install 2>"$ZOO_SLURM_UNAVAILABLE" && started="$(scripts/slurm-local.sh start "$cluster/slurm" 2>>"$ZOO_SLURM_UNAVAILABLE")"; then
    eval "$started"
else
    sed -i '1i SLURM could not be installed or started (scripts/slurm-local.sh):' "$ZOO_SLURM_UNAVAILABLE"
    cat "$ZOO_SLURM_UNAVAILABLE" >&2
fi
swift test -c release -Xswiftc -enable-testing --traits MPI --skip-build --disable-swift-testing "$@"
# A short, reproducible run of every fuzz target (docs/RELIABILITY.md); any crash fails the
# test command.
scripts/fuzz.sh --ci
scripts/keras-checks.sh "$ZOO_EXPORT_DIR"
# Zoo as a versioned dependency of another package.
scripts/consumer-check.sh
# Adding an architecture is one command: scaffold, build, list and train on a copy.
scripts/scaffold-check.sh
# ZooKit's DocC archive, warnings as errors.
scripts/docs-check.sh
