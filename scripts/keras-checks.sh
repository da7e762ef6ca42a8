#!/usr/bin/env bash
# Keras's side of the HDF5 round trip: keras.Model.load_weights must accept every weights file
# and checkpoint that the Swift tests exported into DIR, and predict what Keras predicted.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$1"
python="${ZOO_CACHE:-$HOME/.cache/zoo}/ref-venv/bin/python"
unavailable="${ZOO_FIXTURES:-$HOME/.cache/zoo/fixtures}/UNAVAILABLE"
if [ ! -d "${ZOO_FIXTURES:-$HOME/.cache/zoo/fixtures}/keras_weight_files" ] || [ ! -x "$python" ]; then
    echo "SKIPPED: Keras export checks: $(cat "$unavailable" 2>/dev/null || echo "no reference environment")"
    exit 0
fi
shopt -s nullglob
checked=0
for file in "$dir"/*.zoo-export.h5 "$dir"/*.zoo-checkpoint.h5; do
    kind=$(basename "$file"); kind=${kind%%.*}
    PYTHONWARNINGS=ignore TF_CPP_MIN_LOG_LEVEL=3 "$python" Tests/Fixtures/keras_weight_files.py check-export "$file" "$kind"
    checked=$((checked + 1))
done
if [ "$checked" -eq 0 ]; then
    echo "Keras export checks: the HDF5 tests exported nothing to check (were they skipped?)" >&2
    exit 1
fi
echo "Keras export checks: Keras loaded all $checked exported files and predicted as Zoo does"
# Whole models: keras.saving.load_model must read every .keras archive and full-model .h5 that
# Tests/ZooKerasTests exported and predict what Zoo predicted.
PYTHONWARNINGS=ignore TF_CPP_MIN_LOG_LEVEL=3 "$python" Tests/Fixtures/keras_model_check.py "$dir"
