import Foundation
import ModelZoo
import ZooCore
import ZooData
import ZooHDF5
import ZooKeras
import ZooNN
import ZooTensor

/// One workload measured: median seconds per step over the repeats (after warm-up steps),
/// throughput, arithmetic rate, and the process's peak resident memory.
public struct BenchResult: Codable, Sendable {
    public var workload: String
    public var framework = "zoo"
    public var batch: Int
    public var input: [Int]
    public var medianSeconds: Double
    public var seconds: [Double]
    public var imagesPerSecond: Double
    /// GFLOP per second of the counted arithmetic (nil for the loader).
    public var gflops: Double?
    public var peakRSSMB: Double
    public var threads: Int
    public var blasKernel: String
    /// How many convolution passes (a shape's forward, data or kernel gradient) each kernel
    /// took: `zoo` (Zoo's own), or `onednn <implementation>` (e.g. `onednn brgconv:avx512_core`).
    public var convolutionKernels: [String: Int]
    public var onednnVersion: String

    enum CodingKeys: String, CodingKey {
        case workload, framework, batch, input, seconds, threads
        case medianSeconds = "median_seconds", imagesPerSecond = "images_per_second", gflops
        case peakRSSMB = "peak_rss_mb", blasKernel = "blas_kernel"
        case convolutionKernels = "convolution_kernels", onednnVersion = "onednn_version"
    }

    /// One JSON line (what bench/compare_workloads.py reads).
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Plain numbers and strings, non-finite ones written as strings: encoding cannot fail.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }
}

/// Runs `zoo bench` workloads in this process.
public enum Bench {
    /// Peak resident memory of this process so far, in MB (Linux reports kilobytes).
    public static var peakRSSMB: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    public static func run(_ workload: Workload, repeats: Int = 5, warmup: Int = 2) throws -> BenchResult {
        guard repeats > 0 else { throw RunError("repeats must be positive") }
        let (times, flops) = workload.kind == .loader
            ? (try loader(workload, epochs: repeats), nil)
            : try model(workload, repeats: repeats, warmup: warmup)
        let median = times.sorted()[times.count / 2]
        return BenchResult(
            workload: workload.name, batch: workload.batch, input: workload.input, medianSeconds: median, seconds: times,
            imagesPerSecond: Double(workload.batch) / median, gflops: flops.map { $0 / median / 1e9 }, peakRSSMB: peakRSSMB,
            threads: Parallel.threadCount, blasKernel: BLAS.coreName, convolutionKernels: convolutionKernels,
            onednnVersion: ConvolutionAlgorithm.onednnVersion)
    }

    /// The kernels this process's convolution shapes were given (see `BenchResult.convolutionKernels`).
    static var convolutionKernels: [String: Int] {
        ConvolutionAlgorithm.choices.reduce(into: [:]) { counts, choice in
            let name = choice.algorithm == .onednn ? "onednn \(choice.onednnImplementation)" : choice.algorithm.rawValue
            counts[name, default: 0] += 1
        }
    }

    /// Training steps (forward, softmax cross-entropy, backward, Adam) or inference passes.
    static func model(_ w: Workload, repeats: Int, warmup: Int) throws -> ([Double], Double) {
        let variant = try ModelZoo.variant(w.architecture!)
        let model = try w.modelFile.map { try KerasModelImport.load(URL(fileURLWithPath: $0)).model }
            ?? BuildContext.run(seed: 1) {
                try variant.make(ArchitectureOptions(classes: w.classes, inputShape: w.input, classifierActivation: .linear))
            }
        var random = RandomGenerator(seed: 2)
        let x = Tensor.randomUniform([w.batch] + w.input, low: -1, high: 1, using: &random)
        let forwardFLOPs = ForwardFLOPs.count(try ShapeTrace.trace { _ = try withoutGrad { try model(x) } })
        var step: () throws -> Void
        if w.kind == .inference {
            model.setTraining(false)
            step = { _ = try withoutGrad { try model(x) } }
        } else {
            model.setTraining(true)
            let targets: Tensor
            if variant.task == .segmentation {
                let voxels = w.input.dropLast().reduce(1, *)
                targets = try Tensor(shape: [w.batch] + w.input.dropLast() + [1], scalars: (0..<(w.batch * voxels)).map { _ in Float(random.nextInt(below: w.classes)) })
            } else {
                targets = try Tensor(shape: [w.batch], scalars: (0..<w.batch).map { _ in Float(random.nextInt(below: w.classes)) })
            }
            let loss = try SoftmaxCrossEntropy()
            let optimizer = try Adam(learningRate: 1e-3, convention: .pytorch)
            step = {
                model.zeroGradients()
                try loss(try model(x), targets).backward(retainGraph: false)
                try optimizer.step(model.trainableParameters)
            }
        }
        for _ in 0..<warmup { try step() }
        let times = try (0..<repeats).map { _ in try seconds(step) }
        return (times, w.kind == .inference ? forwardFLOPs : 3 * forwardFLOPs)
    }

    /// Seconds per batch of a shuffled epoch over 256 gray 128x128 PNG files in two class
    /// folders, read as RGB (ImageFolder's default), flipped at random and resized to 112x112,
    /// two worker threads; one epoch per repeat. The images are bench/reference_workloads.py's:
    /// pixel (x, y) of image i is (x^2 + y^2 + 37 i) mod 256, images 0-127 in class0.
    static func loader(_ w: Workload, epochs: Int) throws -> [Double] {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-bench-loader-rings")
        let complete = root.appendingPathComponent(".complete")
        if !FileManager.default.fileExists(atPath: complete.path) {
            for index in 0..<256 {
                let folder = root.appendingPathComponent("class\(index * 2 / 256)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                var pixels = [Float](repeating: 0, count: 128 * 128)
                for y in 0..<128 { for x in 0..<128 { pixels[y * 128 + x] = Float((x * x + y * y + 37 * index) % 256) } }
                try PNG.write(ImageArray(shape: [128, 128, 1], values: pixels), to: folder.appendingPathComponent(String(format: "%04d.png", index)))
            }
            _ = FileManager.default.createFile(atPath: complete.path, contents: nil)
        }
        let dataset = try FolderDataset(root: root, channels: .rgb)
        let transform = Compose([
            try Transform.named("random_flip", ["horizontal": true]),
            try Transform.named("resize", ["size": .list(w.input.dropLast().map { ConfigValue($0) })]),
        ])
        let loader = try DataLoader(dataset: dataset, transform: transform, options: .init(batchSize: w.batch, shuffle: true, workers: 2), seed: 4)
        func epoch(_ number: Int) throws -> Double {
            try seconds {
                let batches = loader.epoch(number)
                while try batches.next() != nil {}
            } / Double(loader.batchCount)
        }
        return try (0..<epochs).map(epoch)
    }
}
