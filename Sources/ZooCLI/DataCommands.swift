import ArgumentParser
import Foundation
import ZooData
import ZooKit

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Work with the data a config describes.",
        subcommands: [Export.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a config's dataset (or one part of its split) to files and a CSV manifest.",
            discussion: """
                Images become 8-bit PNG in one folder per class (masks 0/255 PNG), volumes .nii.gz; manifest.csv (path,label,mask,patient_id,id) reads back with data.source csv. Phantom data exported this way is a template for arranging real data.

                Examples:
                  zoo data export zoo/lidc/lidc.yaml --output lidc-phantom/
                  zoo data export zoo/ct_tumour/ct_tumour.yaml --part test --output ct-test/ --set data.phantom.count=12
                """)

        @Argument(help: "The experiment config (YAML).")
        var config: String

        @Option(help: "The folder to write.")
        var output: String

        @Option(help: "A part of the config's split (train, validation, test); default: every sample.")
        var part: String?

        @Option(name: .customLong("set"), help: ArgumentHelp("Override a config key (repeatable).", valueName: "key=value"))
        var overrides: [String] = []

        func run() throws {
            let config = try ExperimentConfig.load(URL(fileURLWithPath: self.config), overrides: overrides)
            let dataset = try DataSources.make(config.data, seed: config.seed, base: config.baseDirectory)
            var indices: [Int]? = nil
            if let part {
                let split = try ExperimentRunner(config: config, runsRoot: URL(fileURLWithPath: "runs")).split(dataset)
                indices = try split.indices(part, in: dataset)
            }
            let manifest = try DatasetExport.write(dataset, to: URL(fileURLWithPath: output, isDirectory: true), indices: indices)
            print("wrote \(indices?.count ?? dataset.count) samples; manifest \(manifest.path)")
        }
    }
}
