"""Runs `zoo bench`, PyTorch and Keras alternately on the workloads of issue 9; prints ratios.

    python3 bench/compare_workloads.py [--rounds 3] [--repeats 5] [--threads N]
        [--workloads a,b,...] [--zoo PATH] [--output-json FILE]

Builds `zoo` in release mode unless --zoo names an executable, installs the pinned references
(bench/requirements.txt, through bench/_venv.py), then for every round and every workload runs
`zoo bench --workload NAME --json`, bench/reference_workloads.py for torch, then for keras,
each in its own process, so that all three see the same machine load. Per workload and
framework it takes the median over rounds of the median step time and of the peak RSS, and
prints a Markdown table for docs/PERFORMANCE.md: ratios are Zoo's time over the reference's
(below 1: Zoo is faster). A run that fails is reported on stderr and its cell reads
"unavailable"; the other runs go on.

Each round also times OpenBLAS's SGEMM 2048 (`zoo-kernel-bench`, beside `zoo`), and a last
table gives each inference workload's rate in each framework (the arithmetic Zoo counts for the
model over the step time) as a share of the SGEMM rate of the same round, median over rounds.
"""
import argparse
import datetime
import json
import os
import pathlib
import statistics
import subprocess
import sys

from _machine import cpu_model
from _venv import ROOT, reference_python
from reference_workloads import WORKLOADS

FRAMEWORKS = ["zoo", "torch", "keras"]


def zoo_commit():
    """The commit Zoo was built from (its version, until it has releases)."""
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def run(label, command, env):
    """The JSON line a benchmark printed, or {"unavailable": why} when it failed."""
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}, no output"])[-1]
        print(f"  {label} failed (exit status {done.returncode}):\n{done.stderr.strip()}", file=sys.stderr)
        return {"unavailable": why}
    return json.loads(lines[-1])


def summarize(runs):
    """Median over rounds of each framework's median time and peak RSS; None if never measured."""
    measured = [r for r in runs if r.get("median_seconds") is not None]
    if not measured:
        return {"seconds": None, "peak_rss_mb": None,
                "unavailable": next((r["unavailable"] for r in runs if "unavailable" in r), "no run")}
    return {"seconds": statistics.median(r["median_seconds"] for r in measured),
            "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in measured)}


def cell(value, fmt):
    return "unavailable" if value is None else fmt.format(value)


def ratio(zoo, reference):
    return None if zoo is None or reference is None else zoo / reference


def table(summary, header):
    lines = [header, "",
             "| workload | Zoo s/step | PyTorch | Keras | Zoo/PyTorch | Zoo/Keras | Zoo/best | Zoo peak MB "
             "| PyTorch MB | Keras MB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, s in summary.items():
        z, t, k = (s[f]["seconds"] for f in FRAMEWORKS)
        references = [v for v in (t, k) if v is not None]
        best = ratio(z, min(references)) if references else None
        lines.append("| " + " | ".join([name, cell(z, "{:.4f}"), cell(t, "{:.4f}"), cell(k, "{:.4f}"),
                                        cell(ratio(z, t), "{:.2f}"), cell(ratio(z, k), "{:.2f}"), cell(best, "{:.2f}")]
                                       + [cell(s[f]["peak_rss_mb"], "{:.0f}") for f in FRAMEWORKS]) + " |")
    notes = [f"- {name}, {f}: {s[f]['unavailable']}" for name, s in summary.items() for f in FRAMEWORKS
             if "unavailable" in s[f]]
    return "\n".join(lines + (["", "Unavailable:"] + notes if notes else []))


def kernel_table(runs):
    """Which kernel took each of Zoo's convolution passes (shape x forward/data/kernel gradient),
    counted over the workload's first run: the per-shape choice between im2col and oneDNN."""
    lines = ["| workload | Zoo's convolution passes by kernel |", "|---|---|"]
    for name, by_framework in runs.items():
        kernels = next((r["convolution_kernels"] for r in by_framework["zoo"] if "convolution_kernels" in r), None)
        text = ", ".join(f"{kernel} {count}" for kernel, count in sorted(kernels.items(), key=lambda kv: -kv[1])) \
            if kernels else "unavailable"
        lines.append(f"| {name} | {text} |")
    return "\n".join(lines)


def sgemm_gflops(zoo, env):
    """OpenBLAS's SGEMM 2048 rate through `zoo-kernel-bench` (built beside `zoo`), or None."""
    bench = pathlib.Path(zoo).with_name("zoo-kernel-bench")
    if not bench.exists():
        print(f"  {bench} not found: no SGEMM rate in this run", file=sys.stderr)
        return None
    result = run("sgemm_2048", [str(bench), "--repeats", "5", "--json", "--filter", "sgemm_2048"], env)
    return next((r["forward_gflops"] for r in result.get("results", []) if r["name"] == "sgemm_2048"), None)


def rate_table(runs, sgemm_rounds):
    """Inference workloads against the machine's SGEMM rate: each framework's step time turned
    into a rate by the arithmetic Zoo counts for the model, over the SGEMM rate of the same
    round (a shared machine's speed moves between rounds), median over rounds."""
    measured = [g for g in sgemm_rounds if g is not None]
    lines = ["SGEMM 2048 (OpenBLAS) per round: " + (", ".join(f"{g:.0f}" for g in measured) or "unavailable")
             + " GFLOP/s", "",
             "| inference workload | GFLOP per step | Zoo GFLOP/s | Zoo % of SGEMM | PyTorch % | Keras % |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, by_framework in runs.items():
        counted = [r["gflops"] * r["median_seconds"] for r in by_framework["zoo"] if r.get("gflops")]
        if "infer" not in name or not counted:
            continue
        work = statistics.median(counted)

        def share(framework):
            shares = [100 * work / r["median_seconds"] / g for r, g in zip(by_framework[framework], sgemm_rounds)
                      if r.get("median_seconds") and g]
            return statistics.median(shares) if shares else None

        zoo_rates = [work / r["median_seconds"] for r in by_framework["zoo"] if r.get("median_seconds")]
        lines.append(f"| {name} | {work:.1f} | {statistics.median(zoo_rates):.0f} | "
                     + " | ".join(cell(share(f), "{:.0f}%") for f in FRAMEWORKS) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--zoo", default=None, help="a built zoo executable (default: swift build -c release)")
    parser.add_argument("--output-json", default=None, help="also write every run and the medians here")
    args = parser.parse_args()
    names = args.workloads.split(",")
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workloads {', '.join(unknown)}; valid: {', '.join(WORKLOADS)}")

    zoo = args.zoo
    if zoo is None:
        for product in ("zoo", "zoo-kernel-bench"):
            subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL)
        zoo = str(ROOT / ".build" / "release" / "zoo")
    python = reference_python()
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), ZOO_NUM_THREADS=str(args.threads))
    common = ["--repeats", str(args.repeats), "--threads", str(args.threads)]
    script = str(ROOT / "bench" / "reference_workloads.py")
    commands = {"zoo": lambda name: [zoo, "bench", "--workload", name, *common, "--json"]}
    for framework in ("torch", "keras"):
        commands[framework] = lambda name, f=framework: [python, script, "--framework", f, "--workload", name, *common]

    load_before = os.getloadavg()[0]
    runs = {name: {f: [] for f in FRAMEWORKS} for name in names}
    sgemm_rounds = []
    for round_index in range(args.rounds):
        print(f"round {round_index + 1}/{args.rounds}: SGEMM 2048", file=sys.stderr)
        sgemm_rounds.append(sgemm_gflops(zoo, env))
        for name in names:
            print(f"round {round_index + 1}/{args.rounds}: {name}", file=sys.stderr)
            for framework in FRAMEWORKS:
                runs[name][framework].append(run(f"{framework} {name}", commands[framework](name), env))

    summary = {name: {f: summarize(runs[name][f]) for f in FRAMEWORKS} for name in names}

    def first(framework, key):
        """A field of the first run of `framework` that has it (versions, the BLAS kernel)."""
        return next((r[key] for name in names for r in runs[name][framework] if r.get(key)), "unavailable")

    header = (f"{datetime.date.today().isoformat()}, {cpu_model()}, {args.threads} threads; OpenBLAS kernel "
              f"{first('zoo', 'blas_kernel')}, oneDNN {first('zoo', 'onednn_version')}; zoo at commit {zoo_commit()}, torch {first('torch', 'version')}, "
              f"keras {first('keras', 'version')}; medians of {args.rounds} alternating rounds of "
              f"{args.repeats} steps (after 2 warm-up steps); times in seconds per step; load average "
              f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after.")
    print(table(summary, header))
    print()
    print(kernel_table(runs))
    print()
    print(rate_table(runs, sgemm_rounds))
    if args.output_json:
        with open(args.output_json, "w") as f:
            json.dump({"header": header, "threads": args.threads, "rounds": args.rounds, "repeats": args.repeats,
                       "summary": summary, "runs": runs, "sgemm_2048_gflops": sgemm_rounds}, f, indent=1)


if __name__ == "__main__":
    main()
