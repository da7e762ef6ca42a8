#!/usr/bin/env bash
# Loader throughput, Zoo against PyTorch, on the same PNG folder with the same augmentation
# (RGB, random horizontal flip, bilinear resize to 224 x 224), batch size and workers.
#
#   bench/compare_loader.sh [images] [workers] [batch] [epochs] [rounds]
#
# Zoo's side is the opt-in test testLoaderThroughput (release build, ZOO_BENCH=1); it writes
# the folder (chest CT phantoms exported as 8-bit PNG, 256 x 256) on first use. PyTorch's side
# is bench/torch_loader.py in the reference environment (scripts/reference-env.sh; torch and
# pillow from Tests/Fixtures/requirements.txt). The two alternate `rounds` times so that both
# see the same machine load; each round takes the best of `epochs` epochs. Prints every round,
# then the medians and Zoo / PyTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
images="${1:-1024}" workers="${2:-2}" batch="${3:-32}" epochs="${4:-3}" rounds="${5:-5}"
python="${ZOO_CACHE:-$HOME/.cache/zoo}/ref-venv/bin/python"
export ZOO_BENCH=1 ZOO_BENCH_IMAGES="$images" ZOO_BENCH_WORKERS="$workers" ZOO_BENCH_BATCH="$batch" ZOO_BENCH_EPOCHS="$epochs"
export ZOO_BENCH_DIR="${ZOO_BENCH_DIR:-${TMPDIR:-/tmp}/zoo-loader-bench-$images}"

build_log=$(mktemp)
swift build -c release -Xswiftc -enable-testing --build-tests >"$build_log" 2>&1 || { cat "$build_log"; exit 1; }
rm -f "$build_log"
zoo_rates=() torch_rates=()
for round in $(seq "$rounds"); do
    zoo=$(swift test -c release -Xswiftc -enable-testing --skip-build --disable-swift-testing \
        --filter LoaderBenchmarkTests/testLoaderThroughput 2>&1 | grep '^zoo loader:')
    torch=$("$python" bench/torch_loader.py "$ZOO_BENCH_DIR/images" --batch "$batch" --workers "$workers" --epochs "$epochs")
    echo "round $round: $zoo"
    echo "round $round: $torch"
    zoo_rates+=("$(echo "$zoo" | awk '{print $3}')")
    torch_rates+=("$(echo "$torch" | awk '{print $3}')")
done
python3 - "${zoo_rates[*]}" "${torch_rates[*]}" <<'PY'
import statistics, sys
zoo = [float(x) for x in sys.argv[1].split()]
torch = [float(x) for x in sys.argv[2].split()]
z, t = statistics.median(zoo), statistics.median(torch)
print("median: Zoo %.1f images/s, PyTorch %.1f images/s, Zoo / PyTorch %.2f" % (z, t, z / t))
PY
