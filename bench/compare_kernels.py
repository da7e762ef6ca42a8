"""Runs zoo-kernel-bench and the PyTorch reference alternately and prints Zoo's time / PyTorch's.

    python3 bench/compare_kernels.py [--rounds 3] [--repeats 5] [--threads N] [--zoo PATH]

Builds zoo-kernel-bench in release mode, installs the pinned references (bench/requirements.txt)
into a virtual environment under ~/.cache/zoo (once per machine), then alternates the two
programs `--rounds` times so that both see the same machine load, and reports per shape the
median over rounds. Prints a Markdown table for docs/PERFORMANCE.md.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

from _machine import cpu_model
from _venv import ROOT, reference_python


def run_json(command, env):
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--filter", default=None)
    parser.add_argument("--zoo", default=None, help="a built zoo-kernel-bench (default: swift build -c release)")
    args = parser.parse_args()

    zoo = args.zoo
    if zoo is None:
        subprocess.run(["swift", "build", "-c", "release", "--product", "zoo-kernel-bench"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        zoo = str(ROOT / ".build" / "release" / "zoo-kernel-bench")
    python = reference_python()
    env = dict(os.environ, ZOO_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    extra = ["--filter", args.filter] if args.filter else []

    zoo_runs, torch_runs = [], []
    for round_index in range(args.rounds):
        print(f"round {round_index + 1}/{args.rounds}", file=sys.stderr)
        zoo_runs.append(run_json([zoo, "--json", "--repeats", str(args.repeats)] + extra, env))
        torch_runs.append(run_json([python, str(ROOT / "bench" / "torch_kernels.py"), "--repeats", str(args.repeats),
                                    "--threads", str(args.threads)] + extra, env))

    def medians(runs, key):
        names = [row["name"] for row in runs[0]["results"]]
        return {name: statistics.median(row[key] for run in runs for row in run["results"]
                                        if row["name"] == name and key in row) for name in names}

    zoo_forward, torch_forward = medians(zoo_runs, "forward_s"), medians(torch_runs, "forward_s")
    zoo_gflops = medians(zoo_runs, "forward_gflops")
    zoo_train = medians([{"results": [r for r in run["results"] if "forward_backward_s" in r]} for run in zoo_runs],
                        "forward_backward_s")
    torch_train = medians([{"results": [r for r in run["results"] if "forward_backward_s" in r]} for run in torch_runs],
                          "forward_backward_s")
    ceiling = zoo_gflops["sgemm_2048"]

    print(f"Machine: {cpu_model()}, {args.threads} threads; OpenBLAS kernel {zoo_runs[0]['blas_kernel']} "
          f"({zoo_runs[0]['blas_selection']}), oneDNN {zoo_runs[0].get('onednn_version', '?')} "
          f"({zoo_runs[0].get('convolution_setting', '?')}); reference {torch_runs[0]['framework']}; "
          f"medians of {args.rounds} alternating rounds of {args.repeats} repeats.\n")
    print("| shape | Zoo fwd ms | GFLOP/s | % of sgemm 2048 | PyTorch fwd ms | fwd ratio | Zoo fwd+bwd ms "
          "| PyTorch fwd+bwd ms | fwd+bwd ratio | Zoo kernels (fwd / bwd data / bwd weights), first round |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    kernels = {r["name"]: r.get("kernels", "") for r in zoo_runs[0]["results"]}
    for name, forward in zoo_forward.items():
        row = f"| {name} | {forward * 1e3:.2f} | {zoo_gflops[name]:.1f} | {100 * zoo_gflops[name] / ceiling:.0f}% "
        row += f"| {torch_forward[name] * 1e3:.2f} | {forward / torch_forward[name]:.2f} "
        if name in zoo_train:
            row += f"| {zoo_train[name] * 1e3:.2f} | {torch_train[name] * 1e3:.2f} | {zoo_train[name] / torch_train[name]:.2f} |"
        else:
            row += "| - | - | - |"
        print(row + f" {kernels.get(name, '') or '-'} |")


if __name__ == "__main__":
    main()
