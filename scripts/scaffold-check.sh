#!/usr/bin/env bash
# Adding an architecture is one command: on a copy of this checkout,
# `swift package new-architecture Scaffolded` writes the family, its test, its config and its
# Package.swift lines; the copy then builds (release), `zoo list` names the new variant, its test
# target compiles, and `zoo train zoo/scaffolded.yaml` trains as written. Run by
# scripts/test.sh (a release build of the copy: several minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
copy="$(mktemp -d)"
trap 'rm -rf "$copy"' EXIT
# What git tracks, plus new files it does not ignore: the checkout without its build folders.
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
    [ -f "$file" ] && install -D -m "$(stat -c %a "$file")" "$file" "$copy/$file"
done
cd "$copy"
swift package --allow-writing-to-package-directory new-architecture Scaffolded
grep -q '"ZooScaffolded"' Package.swift || { echo "scaffold-check: Package.swift does not name ZooScaffolded" >&2; exit 1; }
swift build -c release -Xswiftc -enable-testing --product zoo >"$copy/build.log" 2>&1 || { tail -40 "$copy/build.log"; echo "scaffold-check: the scaffolded package does not build" >&2; exit 1; }
bin="$(swift build -c release -Xswiftc -enable-testing --show-bin-path)"
"$bin/zoo" list | grep -q '^scaffolded ' || { "$bin/zoo" list; echo "scaffold-check: zoo list does not name scaffolded" >&2; exit 1; }
swift build -c release -Xswiftc -enable-testing --target ZooScaffoldedTests >"$copy/build.log" 2>&1 || { tail -40 "$copy/build.log"; echo "scaffold-check: the scaffolded test does not compile" >&2; exit 1; }
"$bin/zoo" train zoo/scaffolded.yaml --runs "$copy/runs" >"$copy/train.log" 2>&1 || { tail -40 "$copy/train.log"; echo "scaffold-check: zoo/scaffolded.yaml does not train as written" >&2; exit 1; }
ls "$copy"/runs/scaffolded/*/metrics.json >/dev/null 2>&1 || { tail -20 "$copy/train.log"; echo "scaffold-check: the run wrote no metrics" >&2; exit 1; }
echo "scaffold-check: new-architecture Scaffolded builds, is listed by zoo list and trains its config"
