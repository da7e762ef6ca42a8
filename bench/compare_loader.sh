#!/usr/bin/env bash
# Loader throughput, Zoo against PyTorch, on the same PNG folder with the same augmentation
# (RGB, random horizontal flip, bilinear resize to 224 x 224), batch size and workers.
#
#   bench/compare_loader.sh [images] [workers] [batch] [epochs]
#
# Zoo's side is the opt-in test testLoaderThroughput (release build, ZOO_BENCH=1); it writes
# the folder (chest CT phantoms exported as 8-bit PNG, 256 x 256) on first use. PyTorch's side
# is bench/torch_loader.py in the reference environment (scripts/reference-env.sh; torch and
# pillow from Tests/Fixtures/requirements.txt). Prints both rates and Zoo / PyTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
images="${1:-1024}" workers="${2:-2}" batch="${3:-32}" epochs="${4:-3}"
python="${ZOO_CACHE:-$HOME/.cache/zoo}/ref-venv/bin/python"
export ZOO_BENCH=1 ZOO_BENCH_IMAGES="$images" ZOO_BENCH_WORKERS="$workers" ZOO_BENCH_BATCH="$batch" ZOO_BENCH_EPOCHS="$epochs"
export ZOO_BENCH_DIR="${ZOO_BENCH_DIR:-${TMPDIR:-/tmp}/zoo-loader-bench-$images}"

swift build -c release -Xswiftc -enable-testing --build-tests >/dev/null
zoo=$(swift test -c release -Xswiftc -enable-testing --skip-build --disable-swift-testing \
    --filter LoaderBenchmarkTests/testLoaderThroughput 2>&1 | grep '^zoo loader:')
torch=$("$python" bench/torch_loader.py "$ZOO_BENCH_DIR/images" --batch "$batch" --workers "$workers" --epochs "$epochs")
echo "$zoo"
echo "$torch"
zoo_rate=$(echo "$zoo" | awk '{print $3}') torch_rate=$(echo "$torch" | awk '{print $3}')
awk -v z="$zoo_rate" -v t="$torch_rate" 'BEGIN { printf "Zoo / PyTorch: %.2f\n", z / t }'
