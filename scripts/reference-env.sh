#!/usr/bin/env bash
# Builds the reference environment of the parity tests: a virtual environment outside the
# repository with pinned Keras/TensorFlow and PyTorch (Tests/Fixtures/requirements.txt), then
# the fixtures the Swift tests compare against, under ~/.cache/zoo/fixtures. Once per machine;
# a changed requirements file rebuilds it. When the install is impossible (no network, no
# wheel for this platform) it records why in fixtures/UNAVAILABLE, and the tests that need the
# fixtures skip with that reason printed.
set -uo pipefail
cd "$(dirname "$0")/.."
cache="${ZOO_CACHE:-$HOME/.cache/zoo}"
venv="$cache/ref-venv"
fixtures="${ZOO_FIXTURES:-$cache/fixtures}"
mkdir -p "$fixtures"
rm -f "$fixtures/UNAVAILABLE"

# pROC and Hmisc (Debian packages, installed by install-deps.sh) for the statistics tests.
if command -v Rscript >/dev/null 2>&1; then
    ZOO_FIXTURES="$fixtures" Rscript Tests/Fixtures/proc_reference.R >/dev/null \
        || echo "R reference: Tests/Fixtures/proc_reference.R failed" | tee -a "$fixtures/UNAVAILABLE" >&2
    ZOO_FIXTURES="$fixtures" Rscript Tests/Fixtures/glm_reference.R >/dev/null \
        || echo "R reference: Tests/Fixtures/glm_reference.R failed" | tee -a "$fixtures/UNAVAILABLE" >&2
else
    echo "R reference unavailable: Rscript not installed (r-base-core, r-cran-proc)" | tee -a "$fixtures/UNAVAILABLE" >&2
fi

unavailable() {
    echo "Keras/PyTorch reference unavailable: $1" | tee -a "$fixtures/UNAVAILABLE" >&2
    exit 0
}

if ! cmp -s Tests/Fixtures/requirements.txt "$venv/requirements.txt" 2>/dev/null; then
    echo "Installing the reference frameworks (Tests/Fixtures/requirements.txt) into $venv"
    python3 -m venv "$venv" >/dev/null 2>&1 || unavailable "python3 -m venv failed (install python3-venv)"
    log="$cache/ref-venv-install.log"
    if ! "$venv/bin/pip" install -q -r Tests/Fixtures/requirements.txt >"$log" 2>&1; then
        unavailable "pip could not install Tests/Fixtures/requirements.txt (see $log: $(tail -n 1 "$log"))"
    fi
    cp Tests/Fixtures/requirements.txt "$venv/requirements.txt"
    rm -rf "$fixtures/keras_applications" "$fixtures/keras_weight_files" "$fixtures/gradcam" "$fixtures/summary" "$fixtures/pillow" "$fixtures/keras_predict" "$fixtures/keras_model_files" \
        "$fixtures/keras_training_parity" "$fixtures/keras_versions" "$fixtures/clinical" "$fixtures/lidc"
    rm -rf "$fixtures/parity"
fi

export PYTHONWARNINGS=ignore TF_CPP_MIN_LOG_LEVEL=3
# Each script writes its folder of fixtures (and leaves a complete one alone), in this order:
# keras_predict reads the model keras_weight_files writes; keras_versions installs Keras
# 3.0-3.12 and tf-keras (without dependencies) under $cache/keras-versions; clinical_reference
# copies pydicom's and nibabel's real test files with their pydicom/nibabel readings, and
# lidc_fixture writes a small LIDC-IDRI case (series and XML) with its expected nodules.
for entry in keras_applications:keras_applications keras_weight_files:keras_weight_files \
    gradcam_reference:gradcam reader_reference:readers summary_reference:summary \
    pillow_reference:pillow keras_predict_reference:keras_predict keras_model_files:keras_model_files \
    keras_training_parity:keras_training_parity keras_versions:keras_versions \
    clinical_reference:clinical lidc_fixture:lidc; do
    script="Tests/Fixtures/${entry%%:*}.py"
    ZOO_CACHE="$cache" "$venv/bin/python" "$script" "$fixtures/${entry#*:}" || unavailable "$script failed"
done
# Parity tier (ZooHDF5Tests.ParityTests, ModelImportTests): every Keras classification variant
# and torchvision ResNet18/34 (through tools/torch_to_zoo.py) with random weights, ~2.4 GB.
"$venv/bin/python" Tests/Fixtures/parity_fixtures.py "$fixtures/parity" \
    || unavailable "Tests/Fixtures/parity_fixtures.py failed"
