#!/usr/bin/env bash
# Builds Zoo's libFuzzer targets (Fuzz/, their own package and scratch folder .build-fuzz) and
# runs each for N seconds from its seed corpus (Fuzz/corpus/<target>), printing executions and
# findings per target. Exits non-zero when any target finds a crash, a trap, a sanitizer
# report, an out-of-memory or a timeout; the inputs that caused them are kept in
# .build-fuzz/findings/<target>/ (docs/RELIABILITY.md says how to replay one).
#
#   scripts/fuzz.sh [--seconds N] [target...]     targets: png jpeg nifti csv hdf5 keras-archive config
#   scripts/fuzz.sh --ci                          what the test command runs: a fixed number of
#                                                 inputs per target from the committed seeds with
#                                                 seed 1 (nearly the same inputs every run)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=10
ci=0
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --ci) ci=1; shift ;;
        -h|--help) sed -n 2,11p "$0"; exit 0 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=(png jpeg nifti csv hdf5 keras-archive config)

scratch="$PWD/.build-fuzz"
mkdir -p "$scratch"
echo "fuzz: building the targets (debug, libFuzzer + AddressSanitizer) in .build-fuzz"
# Debug keeps Swift's bounds and overflow checks, so an out-of-range index is a finding; lld
# because gold cannot link AddressSanitizer's runtime with debug information.
if ! (cd Fuzz && nice -n 10 swift build --scratch-path "$scratch" --sanitize address \
        -Xswiftc -sanitize=fuzzer -Xcc -fsanitize=fuzzer-no-link -Xswiftc -use-ld=lld) > "$scratch/build.log" 2>&1; then
    cat "$scratch/build.log"
    echo "fuzz: the build failed" >&2
    exit 1
fi
bin="$(cd Fuzz && swift build --scratch-path "$scratch" --show-bin-path)"

# The Swift runtime's own crash reporter would run inside AddressSanitizer's report; libFuzzer
# and the sanitizer say what failed. Leak checking is off: Swift's runtime caches look like leaks.
export SWIFT_BACKTRACE=enable=no
# Swift seeds its hashing per process, which changes the order (and the coverage) of every
# dictionary walk; fixed, a --ci run explores the same inputs each time.
export SWIFT_DETERMINISTIC_HASHING=1
# A failed malloc returns NULL, as glibc's does, instead of aborting the process.
export ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:${ASAN_OPTIONS:-}"

failed=0
printf '%-15s %12s %10s %s\n' target executions findings "corpus"
for target in "${targets[@]}"; do
    [ -x "$bin/fuzz-$target" ] || { echo "fuzz: no target '$target'" >&2; exit 2; }
    work="$scratch/corpus/$target"
    findings="$scratch/findings/$target"
    # --ci: each target's budget in inputs (a few seconds each on 2 cores), from a fresh copy of
    # the committed seeds, so the same inputs run every time.
    budget=(-max_total_time="$seconds")
    if [ "$ci" -eq 1 ]; then
        work="$scratch/ci-corpus/$target"
        rm -rf "$work"
        case "$target" in
            hdf5) runs=1000 ;; keras-archive) runs=1500 ;; config) runs=10000 ;; *) runs=50000 ;;
        esac
        budget=(-runs="$runs" -seed=1)
    fi
    mkdir -p "$work" "$findings"
    cp -n Fuzz/corpus/"$target"/* "$work"/ 2>/dev/null || true
    log="$scratch/$target.log"
    # -rss_limit_mb and -malloc_limit_mb: a header that makes a reader ask for more than 2 GB
    # is a finding (an out-of-memory), not a slow machine. Except single mallocs inside
    # libhdf5 (the hdf5 and .keras targets): HDF5 1.10 allocates the size a damaged object
    # header claims before it checks it, and fails and frees it at once; what counts there is
    # memory actually used (the RSS limit), and Zoo's own arrays are filled, so they count.
    malloc_limit=2048
    case "$target" in hdf5|keras-archive) malloc_limit=1048576 ;; esac
    status=0
    nice -n 10 "$bin/fuzz-$target" "$work" "${budget[@]}" -timeout=20 -rss_limit_mb=2048 \
        -malloc_limit_mb="$malloc_limit" -print_final_stats=1 -artifact_prefix="$findings/" > "$log" 2>&1 || status=$?
    executions="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    found="$(grep -c 'Test unit written to' "$log" || true)"
    if [ "$status" -ne 0 ]; then
        failed=1
        [ "$found" -gt 0 ] || found=1
    fi
    printf '%-15s %12s %10s %s\n' "$target" "${executions:-?}" "$found" "$(ls "$work" | wc -l) inputs"
    if [ "$status" -ne 0 ]; then
        grep -E 'ERROR|Fatal error|SUMMARY|Test unit written' "$log" | head -8 | sed 's/^/    /'
    fi
done
if [ "$failed" -ne 0 ]; then
    echo "fuzz: findings above; inputs in .build-fuzz/findings/<target>/, logs in .build-fuzz/<target>.log" >&2
    exit 1
fi
