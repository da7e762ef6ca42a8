import ArgumentParser
import Foundation
import ModelZoo
import ZooHDF5
import ZooKit

@main
struct Zoo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zoo",
        abstract: "Train, compare and evaluate medical-imaging CNNs from YAML experiment configs.",
        discussion: """
            Experiments live under zoo/ (one folder per study); each runs as it is on built-in phantom
            data, and on your own data by changing its data: section. Runs are written to runs/.

            Examples:
              zoo list --models "resnet*"
              zoo train zoo/lidc/lidc.yaml --set train.epochs=5
              zoo sweep zoo/quickstart.yaml
              zoo inspect weights.h5
            """,
        subcommands: [List.self, Train.self, Sweep.self, Inspect.self])
}

/// Options every training command shares.
struct ExperimentOptions: ParsableArguments {
    @Argument(help: "The experiment config (YAML).")
    var config: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a config key, e.g. --set train.optimizer.lr=3e-4 (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: "Where run directories go.")
    var runs: String = "runs"

    var configURL: URL { URL(fileURLWithPath: config) }
    var runsURL: URL { URL(fileURLWithPath: runs) }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the architectures of the catalog with their parameter counts.",
        discussion: "Example: zoo list --models \"densenet*\"")

    @Option(help: "A glob over catalog names (* and ?).")
    var models: String = "*"

    func run() throws {
        print(ModelZoo.table(matching: models))
    }
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train one model as a config describes, then evaluate it on the test split.",
        discussion: """
            Writes runs/<experiment>/<run>/: config.json, split.json, checkpoints (best, last), log.csv,
            predictions.csv, metrics.json. Ctrl-C saves the last checkpoint; --resume continues it.
            Example: zoo train zoo/lidc/lidc.yaml --set train.epochs=5 --set data.phantom.count=200
            """)

    @OptionGroup var experiment: ExperimentOptions

    @Option(help: "Continue an interrupted run directory from its last checkpoint.")
    var resume: String?

    @Option(help: "Name of the run directory (default: architecture and time).")
    var name: String?

    func run() throws {
        let config = try ExperimentConfig.load(experiment.configURL, overrides: experiment.overrides)
        let runner = ExperimentRunner(config: config, runsRoot: experiment.runsURL)
        let result = try runner.run(name: name, resume: try resume.map { try RunDirectory.existing(URL(fileURLWithPath: $0)) })
        print(try SweepReport(experiment: config.experiment, results: [result]).markdown)
        print("run: \(result.run.url.path)")
    }
}

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one protocol over the architectures of the config's sweep: section and compare them.",
        discussion: """
            Prints the comparison table (AUC with 95% CI, threshold metrics on train and test, pairwise
            DeLong p-values, training and inference time) and writes it to runs/<experiment>/comparison.md.
            Example: zoo sweep zoo/quickstart.yaml
            """)

    @OptionGroup var experiment: ExperimentOptions

    func run() throws {
        let sweep = try SweepRunner(configURL: experiment.configURL, overrides: experiment.overrides, runsRoot: experiment.runsURL)
        print(try sweep.run().markdown)
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a weight file's format, layers, and every weight's path, shape and dtype.",
        discussion: "Example: zoo inspect runs/lidc/small_cnn/checkpoints/best.h5")

    @Argument(help: "A Keras .h5 / .weights.h5 / .keras file or a Zoo checkpoint.")
    var file: String

    func run() throws {
        print(try inspectWeightFile(URL(fileURLWithPath: file)))
    }
}
