// zoo-model-bench: forward time of catalog models at batch 1 and their default input, in
// inference mode. bench/compare_models.py runs it beside Keras and PyTorch.
import Foundation
import ModelZoo
import ZooCore
import ZooNN
import ZooTensor

var repeats = 5
var pattern = "*"
var asJSON = false
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--repeats": repeats = Int(arguments.next() ?? "") ?? repeats
    case "--models": pattern = arguments.next() ?? pattern
    case "--json": asJSON = true
    case "--help", "-h":
        print("usage: zoo-model-bench [--models GLOB] [--repeats N] [--json]")
        exit(0)
    default:
        FileHandle.standardError.write("zoo-model-bench: unknown argument \(argument)\n".data(using: .utf8)!)
        exit(2)
    }
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

var rows = [[String: Any]]()
for variant in ModelZoo.list(matching: pattern) where variant.task == .classification {
    let model = try BuildContext.run(seed: 1) { try variant.make(ArchitectureOptions(classes: variant.defaultClasses)) }
    model.setTraining(false)
    var random = RandomGenerator(seed: 2)
    let x = Tensor.randomUniform([1] + variant.defaultInput, low: -1, high: 1, using: &random)
    _ = try withoutGrad { try model(x) }
    let times = try (0..<repeats).map { _ in try seconds { _ = try withoutGrad { try model(x) } } }.sorted()
    let median = times[times.count / 2]
    rows.append(["name": variant.name, "input": variant.defaultInput, "forward_s": median])
    if !asJSON {
        print(variant.name.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%9.1f ms", median * 1000))
    }
}
if asJSON {
    let document: [String: Any] = [
        "framework": "zoo", "threads": Parallel.threadCount, "blas_kernel": BLAS.coreName, "results": rows,
    ]
    print(String(data: try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]), encoding: .utf8)!)
}
