// A study in Swift, without a config file: one protocol, three backbones, an external centre.
// The same keys as the YAML configs (docs/CONFIG.md), checked with the same errors.
//
//     swift run -c release sweep-from-swift [RUNS_FOLDER] [EPOCHS]
import Foundation
import ZooCore
import ZooKit

let arguments = CommandLine.arguments.dropFirst()
let runs = URL(fileURLWithPath: arguments.first ?? "runs")
let epochs = arguments.dropFirst().first.flatMap { Int($0) } ?? 6

// The protocol: phantom lung nodules (benign or malignant), a stratified split with a
// validation part on which the threshold is chosen, Adam and class-balanced cross-entropy.
let config = try ExperimentConfig([
    "experiment": "sweep-from-swift",
    "seed": 7,
    "data": [
        "source": "phantom",
        "phantom": ["kind": "lidc_nodules", "count": 160, "size": 96],
        "split": ["method": "stratified", "train": 0.6, "validation": 0.2, "test": 0.2],
        "transforms": ["train": [["name": "random_flip", "horizontal": true, "vertical": true]]],
    ],
    "model": ["name": "small_cnn", "input_shape": [48, 48, 1], "batch_norm_momentum": 0.9],
    "train": [
        "optimizer": ["name": "adam", "lr": 1e-3], "batch_size": 16, "epochs": ConfigValue(epochs),
        "loss": "cross_entropy", "class_weights": "balanced",
    ],
    "eval": ["threshold": "youden"],
])

// One model: trained, then evaluated on another centre's nodules (the phantom under another
// seed: other patients) at the threshold chosen on this centre's validation part.
let experiment = Experiment(config: config, runsRoot: runs)
let result = try experiment.train()
let otherCentre = try TestSetConfig(name: "centre_b", ["source": "phantom", "phantom": ["kind": "lidc_nodules", "count": 60, "size": 96, "seed": 99]])
let external = try experiment.evaluate(on: .testSet(otherCentre))
func auc(_ side: EvaluationMetrics.Side) -> String { side.auc.map { String(format: "%.3f", $0.auc) } ?? "n/a" }
print("small_cnn: test AUC \(auc(result.metrics.test)), centre_b AUC \(auc(external)), threshold \(result.metrics.threshold.map { "\($0.value)" } ?? "n/a")")

// The sweep: the same protocol for each backbone; a trial's own settings beside its name.
let report = try Sweep(config: config, architectures: [
    "small_cnn",
    ["name": "mobilenetv2", "set": ["data.preprocessing": "tf"]],
]).run(runsRoot: runs)
print(report.markdown)
print("report: \(runs.appendingPathComponent("sweep-from-swift").appendingPathComponent("report.md").path)")
