import ArgumentParser
import Foundation
import ZooCore
import ZooKit

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training and inference speed, throughput and peak memory on synthetic input.",
        discussion: """
            Workloads: \(Workload.names.joined(separator: ", ")). Each runs in its own process (so its peak memory is its own) and reports the median seconds per step after warm-up steps, images per second, GFLOP/s of the counted arithmetic, peak resident memory, the BLAS kernel and the thread count. --scaling prints time per step of ResNet50 training against batch size and input size and of the 3D U-Net against volume size. bench/compare_workloads.py runs the same workloads in PyTorch and Keras, alternating with Zoo, and prints the ratios.

            Examples:
              zoo bench
              zoo bench --workload w2_resnet18_train --workload w5_unet3d_train --threads 2
              zoo bench --workload w4_resnet50_train --batch 8 --size 112 --json
              zoo bench --scaling
              zoo bench --workload w6_densenet121_infer --batch 16 --model-file densenet121.keras   (an imported Keras model on the same workload)
              mpirun -np 2 zoo bench --allreduce   (a build with --traits MPI; docs/SCALING.md)
            """)

    @Option(help: "A workload (repeatable; default: all).")
    var workload: [String] = []

    @Option(help: "Timed steps (epochs for the loader).")
    var repeats: Int = 5

    @Option(help: "Untimed steps first.")
    var warmup: Int = 2

    @Option(help: "Threads (default: ZOO_NUM_THREADS, else every core).")
    var threads: Int?

    @Option(help: "Another batch size.")
    var batch: Int?

    @Option(help: "Another spatial size (every spatial axis).")
    var size: Int?

    @Option(help: ArgumentHelp("A Keras model file (.keras or full-model .h5) to run instead of the workload's catalog architecture.", valueName: "file"))
    var modelFile: String?

    @Flag(help: "One JSON line per workload instead of the table.")
    var json = false

    @Flag(help: "The scaling tables (ResNet50 training by batch and input size, 3D U-Net by volume).")
    var scaling = false

    @Flag(help: "Time an in-place all-reduce of gradient-sized buffers over the processes mpirun started (a build with --traits MPI).")
    var allreduce = false

    func validate() throws {
        for name in workload where !Workload.names.contains(name) {
            throw ValidationError("unknown workload '\(name)'\(NameSuggestions.didYouMean(name, in: Workload.names)); the workloads are \(Workload.names.joined(separator: ", "))")
        }
        guard repeats > 0, warmup >= 0 else { throw ValidationError("--repeats must be positive and --warmup not negative") }
    }

    func run() throws {
        if let threads { setenv("ZOO_NUM_THREADS", String(threads), 1) }
        if scaling { return try printScaling() }
        if allreduce {
            let communicator = try Communicators.make()
            guard communicator.size > 1 else {
                throw ValidationError("--allreduce needs several processes: mpirun -np 2 zoo bench --allreduce (a zoo built with --traits MPI)")
            }
            let rows = try AllReduceBench.run(communicator, repeats: repeats)
            guard communicator.rank == 0 else { return }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(rows), as: UTF8.self))
            } else {
                print(AllReduceBench.table(rows, communicator: communicator))
            }
            return
        }
        let workloads = try (workload.isEmpty ? Workload.names : workload).map { try Workload.named($0).with(batch: batch, size: size).with(modelFile: modelFile) }
        if workloads.count == 1 {
            let result = try Bench.run(workloads[0], repeats: repeats, warmup: warmup)
            print(json ? result.json : table([result]))
            return
        }
        var results = [BenchResult]()
        for workload in workloads {
            let result = try inChildProcess(workload.name, batch: batch, size: size)
            if json { print(result.json) } else { FileHandle.standardError.write("\(workload.name): \(String(format: "%.3f", result.medianSeconds)) s/step\n".data(using: .utf8)!) }
            results.append(result)
        }
        if !json { print(table(results)) }
    }

    /// The workload measured by `zoo bench --workload NAME --json` in a new process.
    func inChildProcess(_ name: String, batch: Int?, size: Int?) throws -> BenchResult {
        guard let executable = Bundle.main.executableURL else { throw ValidationError("cannot find the zoo executable to start") }
        let process = Process()
        process.executableURL = executable
        var arguments = ["bench", "--workload", name, "--json", "--repeats", String(repeats), "--warmup", String(warmup)]
        if let batch { arguments += ["--batch", String(batch)] }
        if let size { arguments += ["--size", String(size)] }
        if let modelFile { arguments += ["--model-file", modelFile] }
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let line = String(data: data, encoding: .utf8)?.split(separator: "\n").last else {
            throw ValidationError("workload \(name) failed (status \(process.terminationStatus))")
        }
        return try JSONDecoder().decode(BenchResult.self, from: Data(line.utf8))
    }

    func table(_ results: [BenchResult]) -> String {
        var lines = [
            "BLAS kernel \(results.first?.blasKernel ?? "?"), \(results.first?.threads ?? 0) threads", "",
            "| workload | batch | input | s/step | images/s | GFLOP/s | peak MB |", "|---|---:|---|---:|---:|---:|---:|",
        ]
        for r in results {
            lines.append(String(
                format: "| %@ | %d | %@ | %.4f | %.1f | %@ | %.0f |", r.workload, r.batch, r.input.map(String.init).joined(separator: "x"),
                r.medianSeconds, r.imagesPerSecond, r.gflops.map { String(format: "%.1f", $0) } ?? "-", r.peakRSSMB))
        }
        return lines.joined(separator: "\n")
    }

    func printScaling() throws {
        func rows(_ name: String, _ settings: [(batch: Int?, size: Int?)]) throws -> [BenchResult] {
            try settings.map { try inChildProcess(name, batch: $0.batch, size: $0.size) }
        }
        let byBatch = try rows("w4_resnet50_train", [1, 2, 4, 8, 16].map { ($0, nil) })
        let bySize = try rows("w4_resnet50_train", [112, 224, 320].map { (nil, $0) })
        let byVolume = try rows("w5_unet3d_train", [32, 64, 96].map { (nil, $0) })
        for (title, results) in [("ResNet50 training, 224x224, by batch size", byBatch), ("ResNet50 training, batch 4, by input size", bySize), ("3D U-Net training, batch 1, by volume size", byVolume)] {
            print("\n\(title)\n")
            print(table(results).split(separator: "\n").dropFirst().joined(separator: "\n"))
            let base = results[0]
            print("\nTime relative to the first row against work relative to it: "
                + results.map { String(format: "%.2fx time / %.2fx work", $0.medianSeconds / base.medianSeconds, Double($0.batch * $0.input.dropLast().reduce(1, *)) / Double(base.batch * base.input.dropLast().reduce(1, *))) }.joined(separator: "; "))
        }
    }
}
