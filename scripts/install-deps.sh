#!/usr/bin/env bash
# Installs the system libraries Zoo builds against, when they are missing.
# Debian/Ubuntu: apt-get (through sudo when not root). Elsewhere: names what to install.
set -euo pipefail

# oneDNN is the convolution backend that ZooTensor times against its own im2col per shape.
# GDCM decodes DICOM (every compressed transfer syntax); nifti_clib gives NIfTI geometry.
# R's pROC and Hmisc are the references of the statistics tests (DeLong, NRI, IDI).
packages=(pkg-config libopenblas-dev libdnnl-dev libhdf5-dev libpng-dev libjpeg-dev zlib1g-dev libgdcm-dev libnifti2-dev python3-venv
    r-base-core r-cran-proc r-cran-hmisc)
# --tests: also what only the tests use: Chromium renders the HTML reports as a reader sees them.
# Open MPI (launcher and headers): the tests build zoo with the MPI trait and start it under mpirun.
if [ "${1:-}" = "--tests" ]; then packages+=(chromium openmpi-bin libopenmpi-dev iproute2); fi

if command -v dpkg-query >/dev/null 2>&1; then
    missing=()
    for package in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "Installing system libraries: ${missing[*]}"
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
else
    for module in openblas hdf5 libpng libjpeg; do
        if ! pkg-config --exists "$module" 2>/dev/null; then
            echo "Zoo needs OpenBLAS, HDF5 (serial), libpng and libjpeg-turbo with their headers and" >&2
            echo "pkg-config files, and oneDNN's headers; '$module' is missing. Install them with your package manager" >&2
            echo "(Debian/Ubuntu names: ${packages[*]})." >&2
            exit 1
        fi
    done
    for header in "oneapi/dnnl/dnnl.h:oneDNN:libdnnl-dev" "gdcm-3.0/gdcmImageReader.h:GDCM 3.0:libgdcm-dev" "nifti/znzlib.h:nifti_clib:libnifti2-dev"; do
        IFS=: read -r path name debian <<<"$header"
        if ! echo "#include <$path>" | c++ -E -x c++ - >/dev/null 2>&1; then
            echo "Zoo needs $name's headers ($path; Debian/Ubuntu: $debian)." >&2
            exit 1
        fi
    done
fi
