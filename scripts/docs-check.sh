#!/usr/bin/env bash
# ZooKit's API documentation: the DocC catalog (Sources/ZooKit/ZooKit.docc) builds into an
# archive with warnings as errors, so an article that links a renamed or removed symbol fails
# the test command instead of rotting. Run by scripts/test.sh (swift-docc-plugin builds the
# symbol graphs in a debug build of ZooKit and its dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
archive="$out/ZooKit.doccarchive"
echo "== ZooKit's DocC archive builds, warnings as errors"
swift package --allow-writing-to-directory "$out" generate-documentation --target ZooKit \
    --warnings-as-errors --output-path "$archive" 2>&1 | grep -v "^\[[0-9]*/[0-9]*\]" | tail -20
# Every article and the public entry points are pages of the archive.
for page in zookit zookit/runastudy zookit/importakerasmodel zookit/addanarchitecture zookit/experiment zookit/sweep zookit/report; do
    [ -f "$archive/data/documentation/$page.json" ] || { echo "docs-check: $page is not in the archive" >&2; exit 1; }
done
echo "docs-check: the archive holds the overview, the three articles and Experiment, Sweep and Report"
