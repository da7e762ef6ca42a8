import ArgumentParser
import Foundation
import ZooKit

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare scores from prediction CSVs of any source: AUCs, DeLong matrix, NRI and IDI.",
        discussion: """
            Each CSV has an id column, a 0/1 label column and a score column (by default a column named score, else the last column, which is the positive class of a Zoo predictions.csv). Rows are matched by id; labels must agree. The first file is the reference: NRI (category-free, and categorical with --cutoffs) and IDI measure each other source against it, for instance radiologists' scores without and then with the model. IDI and categorical NRI need scores that are probabilities.

            Examples:
              zoo compare runs/lung_ultrasound/resnet18/predictions.csv runs/lung_ultrasound/resnet50/predictions.csv
              zoo compare readers-alone.csv readers-with-model.csv --score probability --cutoffs 0.2 --cutoffs 0.5 --output compare/
              zoo compare a.csv b.csv --names model,radiologist --format json > numbers.json
            """)

    @Argument(help: "Two or more CSV files.")
    var files: [String]

    @Option(help: "Names for the sources, in file order (repeatable or comma-separated; default: file names).")
    var names: [String] = []

    @Option(help: "text (the tables) or json (every number at full precision).")
    var format: OutputFormat = .text

    @Option(help: "The score column (default: score, else the last column).")
    var score: String?

    @Option(help: "The label column.")
    var label: String = "label"

    @Option(help: "The id column.")
    var id: String = "id"

    @Option(help: "Risk cut-offs for a categorical NRI (repeatable, ascending).")
    var cutoffs: [Double] = []

    @Option(help: "A folder for report.md, report.html and roc.svg.")
    var output: String?

    func run() throws {
        let comparison = try PredictionComparison(
            files: files.map { URL(fileURLWithPath: $0) }, names: names.isEmpty ? nil : names.flatMap { $0.split(separator: ",").map(String.init) },
            score: score, label: label, id: id, cutoffs: cutoffs)
        switch format {
        case .text: print(comparison.document.markdown)
        case .json: print(try ComparisonNumbers(comparison).json, terminator: "")
        }
        if let output { try comparison.write(to: URL(fileURLWithPath: output, isDirectory: true)) }
    }
}

/// How a command prints its results.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
