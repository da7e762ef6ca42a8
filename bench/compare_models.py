"""Runs zoo-model-bench and bench/reference_models.py alternately; prints Zoo / reference.

    python3 bench/compare_models.py [--rounds 3] [--repeats 5] [--models resnet50,vgg16]

Forward pass at batch 1 and each model's default input, inference mode, the same thread count
for every framework. Uses the reference environment of the tests (scripts/reference-env.sh).
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
VENV = pathlib.Path(os.environ.get("ZOO_CACHE", pathlib.Path.home() / ".cache" / "zoo")) / "ref-venv"


def last_json(command, env):
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--models", default=None)
    args = parser.parse_args()
    subprocess.run([str(ROOT / "scripts" / "reference-env.sh")], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["swift", "build", "-c", "release", "--product", "zoo-model-bench"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    env = dict(os.environ, ZOO_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    zoo_cmd = [str(ROOT / ".build" / "release" / "zoo-model-bench"), "--json", "--repeats", str(args.repeats)]
    ref_cmd = [str(VENV / "bin" / "python"), str(ROOT / "bench" / "reference_models.py"),
               "--repeats", str(args.repeats), "--threads", str(args.threads)]
    if args.models:
        ref_cmd += ["--models", args.models]
    zoo_times, ref_times, frameworks = {}, {}, {}
    for round_index in range(args.rounds):
        print(f"round {round_index + 1}/{args.rounds}", file=sys.stderr)
        for name in (args.models.split(",") if args.models else ["*"]):
            for row in last_json(zoo_cmd + ["--models", name], env)["results"]:
                zoo_times.setdefault(row["name"], []).append(row["forward_s"])
        for row in last_json(ref_cmd, env)["results"]:
            ref_times.setdefault(row["name"], []).append(row["forward_s"])
            frameworks[row["name"]] = row["framework"]
    print(f"{args.threads} threads; medians of {args.rounds} alternating rounds of {args.repeats} repeats.\n")
    print("| model | input | Zoo ms | reference | reference ms | ratio |")
    print("|---|---|---:|---|---:|---:|")
    for name, times in zoo_times.items():
        zoo = statistics.median(times)
        if name in ref_times:
            ref = statistics.median(ref_times[name])
            print(f"| {name} | default | {zoo * 1e3:.1f} | {frameworks[name]} | {ref * 1e3:.1f} | {zoo / ref:.2f} |")
        else:
            print(f"| {name} | default | {zoo * 1e3:.1f} | - | - | - |")


if __name__ == "__main__":
    main()
