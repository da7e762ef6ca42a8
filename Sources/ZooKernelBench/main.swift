// zoo-kernel-bench: times the engine's kernels on the shapes of ResNet50, a 3D U-Net and
// MobileNet, and SGEMM as the ceiling. bench/compare_kernels.py runs it beside PyTorch.
import Foundation
import ZooTensor

struct Workload {
    let name: String
    /// Multiply-adds of the forward pass, times two.
    let forwardFlops: Double
    let inputShape: [Int]
    let weightShape: [Int]
    let run: (Tensor, Tensor) throws -> Tensor
}

func convolutionFlops(batch: Int, output: [Int], kernel: [Int], inChannels: Int, outChannels: Int) -> Double {
    2 * Double(batch) * Double(output.reduce(1, *)) * Double(kernel.reduce(1, *)) * Double(inChannels * outChannels)
}

func workloads() -> [Workload] {
    var list = [Workload]()
    for (size, channels) in [(56, 64), (28, 128), (14, 256), (7, 512)] {
        list.append(Workload(
            name: "conv3x3_\(size)x\(size)x\(channels)_b8", 
            forwardFlops: convolutionFlops(batch: 8, output: [size, size], kernel: [3, 3], inChannels: channels, outChannels: channels),
            inputShape: [8, size, size, channels], weightShape: [3, 3, channels, channels]
        ) { try conv2d($0, kernel: $1, padding: .same) })
    }
    for (size, channels) in [(56, 64), (28, 128), (14, 256), (7, 512)] {
        list.append(Workload(
            name: "conv1x1_\(size)x\(size)x\(channels)to\(channels * 4)_b8",
            forwardFlops: convolutionFlops(batch: 8, output: [size, size], kernel: [1, 1], inChannels: channels, outChannels: channels * 4),
            inputShape: [8, size, size, channels], weightShape: [1, 1, channels, channels * 4]
        ) { try conv2d($0, kernel: $1) })
    }
    list.append(Workload(
        name: "conv3d3x3x3_64^3x16to32_b1",
        forwardFlops: convolutionFlops(batch: 1, output: [64, 64, 64], kernel: [3, 3, 3], inChannels: 16, outChannels: 32),
        inputShape: [1, 64, 64, 64, 16], weightShape: [3, 3, 3, 16, 32]
    ) { try conv3d($0, kernel: $1, padding: .same) })
    list.append(Workload(
        name: "depthwise3x3_112x112x32_b8",
        forwardFlops: convolutionFlops(batch: 8, output: [112, 112], kernel: [3, 3], inChannels: 32, outChannels: 1),
        inputShape: [8, 112, 112, 32], weightShape: [3, 3, 32, 1]
    ) { try depthwiseConv2d($0, kernel: $1, padding: .same) })
    return list
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func timeSgemm(size: Int, repeats: Int) throws -> Double {
    var random = RandomGenerator(seed: 1)
    let a = Tensor.randomUniform([size, size], using: &random)
    let b = Tensor.randomUniform([size, size], using: &random)
    _ = try withoutGrad { try Tensor.matmul(a, b) }
    return median(try (0..<repeats).map { _ in try seconds { _ = try withoutGrad { try Tensor.matmul(a, b) } } })
}

var repeats = 5
var asJSON = false
var filter: String?
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--repeats": repeats = Int(arguments.next() ?? "") ?? repeats
    case "--json": asJSON = true
    case "--filter": filter = arguments.next()
    case "--help", "-h":
        print("usage: zoo-kernel-bench [--repeats N] [--json] [--filter SUBSTRING]")
        exit(0)
    default:
        FileHandle.standardError.write("zoo-kernel-bench: unknown argument \(argument)\n".data(using: .utf8)!)
        exit(2)
    }
}

var rows = [[String: Any]]()
// The machine's SGEMM rate, the ceiling the percentages are taken of: the 2048 square (the
// 1024 one is kept for the older tables).
var ceiling = 0.0
for size in [1024, 2048] {
    let sgemmSeconds = try timeSgemm(size: size, repeats: repeats)
    ceiling = 2 * pow(Double(size), 3) / sgemmSeconds / 1e9
    rows.append(["name": "sgemm_\(size)", "forward_s": sgemmSeconds, "forward_gflops": ceiling])
}
var random = RandomGenerator(seed: 2)
for workload in workloads() where filter.map({ workload.name.contains($0) }) ?? true {
    let decidedBefore = ConvolutionAlgorithm.choices.count
    let x = Tensor.randomUniform(workload.inputShape, low: -1, high: 1, using: &random)
    let w = Tensor.randomUniform(workload.weightShape, low: -0.1, high: 0.1, using: &random)
    _ = try withoutGrad { try workload.run(x, w) }
    let forward = median(try (0..<repeats).map { _ in try seconds { _ = try withoutGrad { try workload.run(x, w) } } })
    x.requiresGrad = true
    w.requiresGrad = true
    var seed: Tensor?
    let trainStep = median(try (0..<(repeats + 1)).map { _ in
        x.grad = nil
        w.grad = nil
        return try seconds {
            let y = try workload.run(x, w)
            if seed == nil { seed = Tensor(repeating: 1, shape: y.shape) }
            try y.backward(seed)
        }
    }.dropFirst().map { $0 })
    x.requiresGrad = false
    w.requiresGrad = false
    // The kernel each pass of this shape took (forward, then the data and kernel gradients).
    let kernels = ConvolutionAlgorithm.choices.dropFirst(decidedBefore).map { choice in
        choice.algorithm == .onednn ? choice.onednnImplementation : choice.algorithm.rawValue
    }
    rows.append([
        "kernels": kernels.joined(separator: " / "),
        "name": workload.name, "forward_s": forward, "forward_backward_s": trainStep,
        "forward_gflops": workload.forwardFlops / forward / 1e9,
        "forward_backward_gflops": 3 * workload.forwardFlops / trainStep / 1e9,
    ])
}

if asJSON {
    let document: [String: Any] = [
        "framework": "zoo", "threads": Parallel.threadCount, "blas_kernel": BLAS.coreName,
        "blas_selection": BLAS.kernelSelection, "onednn_version": ConvolutionAlgorithm.onednnVersion,
        "convolution_setting": ConvolutionAlgorithm.setting, "results": rows,
    ]
    let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
    print(String(data: data, encoding: .utf8)!)
} else {
    print("OpenBLAS kernel \(BLAS.coreName) (\(BLAS.kernelSelection)), \(Parallel.threadCount) threads")
    print("convolutions: \(ConvolutionAlgorithm.setting); oneDNN \(ConvolutionAlgorithm.onednnVersion)")
    print("workload".padding(toLength: 34, withPad: " ", startingAt: 0) + "   fwd ms  fwd GF/s  %sgemm  fwd+bwd ms  GF/s  kernels (fwd / bwd data / bwd weights)")
    for row in rows {
        let name = (row["name"] as! String).padding(toLength: 34, withPad: " ", startingAt: 0)
        let forward = row["forward_s"] as! Double
        let gflops = row["forward_gflops"] as! Double
        var line = name + String(format: " %8.2f %9.1f %6.0f%%", forward * 1000, gflops, 100 * gflops / ceiling)
        if let train = row["forward_backward_s"] as? Double, let trainFlops = row["forward_backward_gflops"] as? Double {
            line += String(format: " %11.2f %6.1f", train * 1000, trainFlops)
        }
        if let kernels = row["kernels"] as? String { line += "  " + kernels }
        print(line)
    }
}
