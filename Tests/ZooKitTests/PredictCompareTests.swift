import Foundation
import XCTest
import ZooCore
import ZooData
import ZooMetrics
import ZooTensor

@testable import ZooKit

/// `zoo predict` on new files and `zoo compare` on CSVs from any source.
final class PredictCompareTests: FolderTestCase {
    func testPredictGoesThroughTheRunsPipelineAndModel() throws {
        let config = try ExperimentConfig.load(
            ExperimentConfigsTests.root.appendingPathComponent("zoo/lidc/lidc.yaml"),
            overrides: ["data.phantom.count=30", "data.phantom.size=40", "model.input_shape=[32, 32, 1]", "train.epochs=1", "train.batch_size=10"])
        let result = try ExperimentRunner(config: config, runsRoot: directory, progress: Progress(interactive: false, write: { _ in })).run(name: "tiny")
        let restored = try RestoredRun(result.run.url)
        let manifest = try DatasetExport.write(restored.dataset, to: directory.appendingPathComponent("export"), indices: [0, 1, 2])
        let csv = try restored.predictFiles([manifest])
        let rows = CSV.parse(csv)
        // The manifest has labels: the CSV carries them and feeds zoo compare as it is.
        XCTAssertEqual(rows[0].fields, ["id", "label", "predicted", "p_benign", "p_malignant"])
        XCTAssertEqual(rows.count, 4)
        let truth = try [0, 1, 2].map { try XCTUnwrap(restored.dataset.info(at: $0).label) }
        XCTAssertEqual(rows.dropFirst().map { Int($0.fields[1]) }, truth)
        let predictions = try write("predictions.csv", csv)
        let comparison = try? PredictionComparison(files: [predictions, predictions], names: ["a", "b"])
        XCTAssertTrue(comparison != nil || Set(truth).count == 1, "zoo compare reads zoo predict's CSV")
        // The first file by hand: decode, the evaluation pipeline, the model, softmax.
        let file = URL(fileURLWithPath: rows[1].fields[0])
        var random = RandomGenerator(seed: config.seed)
        let sample = try restored.pipeline.eval.apply(
            Sample(image: try ImageFile.read(file, channels: .gray).image, info: SampleInfo(id: "x")), random: &random)
        let x = try Tensor(shape: [1] + sample.image.shape, scalars: sample.image.values)
        let expected = try withoutGrad { try restored.model(x).softmax() }.scalars
        XCTAssertEqual(Double(rows[1].fields[4])!, Double(expected[1]), accuracy: 1e-5)
        // A folder gives the same images, without labels.
        let folder = CSV.parse(try restored.predictFiles([directory.appendingPathComponent("export/images")]))
        XCTAssertEqual(folder.count, 4)
        XCTAssertEqual(folder[0].fields, ["id", "predicted", "p_benign", "p_malignant"])
        XCTAssertThrowsError(try restored.predictFiles([directory.appendingPathComponent("missing.png")])) {
            XCTAssertTrue("\($0)".contains("missing.png"), "\($0)")
        }
    }

    func testCompareMatchesByIdAndMeasuresAgainstTheFirst() throws {
        let labels = [1, 0, 1, 1, 0, 0, 1, 0, 0, 1]
        let alone = [0.6, 0.4, 0.5, 0.7, 0.5, 0.2, 0.3, 0.6, 0.1, 0.8]
        let helped = [0.7, 0.3, 0.6, 0.8, 0.4, 0.2, 0.5, 0.4, 0.1, 0.9]
        func csv(_ scores: [Double], order: [Int]) -> String {
            "id,label,score\n" + order.map { "case\($0),\(labels[$0]),\(scores[$0])" }.joined(separator: "\n") + "\n"
        }
        let a = try write("alone.csv", csv(alone, order: Array(0..<10)))
        // Another order and one extra case: rows are matched by id.
        let b = try write("helped.csv", csv(helped, order: Array((0..<10).reversed())) + "extra,1,0.5\n")
        let comparison = try PredictionComparison(files: [a, b], cutoffs: [0.5])
        XCTAssertEqual(comparison.ids.count, 10)
        XCTAssertEqual(comparison.dropped, [0, 1])
        let outcomes = labels.map { $0 == 1 }
        let nri = try ReclassificationStatistics.continuousNRI(old: alone, new: helped, outcomes: outcomes)
        let idi = try ReclassificationStatistics.idi(old: alone, new: helped, outcomes: outcomes)
        let auc = try DeLong.confidenceInterval(try BinaryScores(scores: helped, labels: outcomes))
        let markdown = comparison.document.markdown
        XCTAssertTrue(markdown.contains(Report.withP(nri.nri, nri.p)), markdown)
        XCTAssertTrue(markdown.contains(Report.withP(idi.idi, idi.p)), markdown)
        XCTAssertTrue(markdown.contains(String(format: "| helped | %.3f (%.3f-%.3f) |", auc.auc, auc.lower, auc.upper)), markdown)

        let disagreeing = try write("bad.csv", "id,label,score\ncase0,0,0.5\n")
        XCTAssertThrowsError(try PredictionComparison(files: [a, disagreeing])) { XCTAssertTrue("\($0)".contains("'case0'"), "\($0)") }
        let noLabel = try write("nolabel.csv", "id,score\ncase0,0.5\n")
        XCTAssertThrowsError(try PredictionComparison(files: [a, noLabel])) { XCTAssertTrue("\($0)".contains("no column 'label'"), "\($0)") }
        let text = try write("text.csv", "id,label,score\ncase0,1,high\n")
        XCTAssertThrowsError(try PredictionComparison(files: [a, text])) { XCTAssertTrue("\($0)".contains("line 2"), "\($0)") }
    }

    /// Issue 13.9: one class is an error, cut-offs must ascend, tiny p-values print as
    /// <0.0001, and --format json has every number at full precision.
    func testCompareRefusesOneClassAndDescendingCutoffsAndWritesEveryNumber() throws {
        let one = try write("one.csv", "id,label,score\na,1,0.2\nb,1,0.7\n")
        let other = try write("other.csv", "id,label,score\na,1,0.4\nb,1,0.6\n")
        XCTAssertThrowsError(try PredictionComparison(files: [one, other])) { error in
            XCTAssertTrue("\(error)".contains("all 2 matched cases are positive"), "\(error)")
        }
        let n = 60
        let labels = (0..<n).map { $0 % 2 }
        let strong = labels.enumerated().map { Double($1) * 0.6 + Double($0) / Double(n) * 0.39 }
        let weak = (0..<n).map { Double(($0 * 37) % n) / Double(n) }
        func csv(_ name: String, _ scores: [Double]) throws -> URL {
            try write(name, "id,label,score\n" + (0..<n).map { "c\($0),\(labels[$0]),\(scores[$0])" }.joined(separator: "\n") + "\n")
        }
        let (a, b) = (try csv("weak.csv", weak), try csv("strong.csv", strong))
        XCTAssertThrowsError(try PredictionComparison(files: [a, b], cutoffs: [0.5, 0.2])) { error in
            XCTAssertTrue("\(error)".contains("--cutoffs must ascend") && "\(error)".contains("0.5 is followed by 0.2"), "\(error)")
        }
        let comparison = try PredictionComparison(files: [a, b], names: ["weak", "strong"])
        let outcomes = labels.map { $0 == 1 }
        let test = try DeLong.pairedTest(scores1: weak, scores2: strong, labels: outcomes)
        XCTAssertLessThan(test.p, 0.0001)
        let markdown = comparison.document.markdown
        XCTAssertTrue(markdown.contains("<0.0001"), markdown)
        XCTAssertFalse(markdown.contains("0.0000"), markdown)
        // Full precision: each number as Swift prints a Double (shortest round trip), within the
        // last bit that Foundation's JSON parser may drop.
        let text = try ComparisonNumbers(comparison).json
        XCTAssertTrue(text.contains("\(test.p)"), text)
        func same(_ value: Any?, _ expected: Double?, line: UInt = #line) {
            guard let value = value as? Double, let expected else { return XCTFail("missing \(String(describing: expected))", line: line) }
            XCTAssertEqual(value, expected, accuracy: abs(expected) * 1e-15, line: line)
        }
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let pair = try XCTUnwrap((json["delong"] as? [[String: Any]])?.first)
        same(pair["p"], test.p)
        same(pair["z"], test.statistic)
        same(pair["covariance"], test.covariance)
        same(pair["variance1"], test.variance1)
        let interval = try DeLong.confidenceInterval(try BinaryScores(scores: strong, labels: outcomes))
        let source = try XCTUnwrap((json["sources"] as? [[String: Any]])?.last)
        same(source["auc"], interval.auc)
        same(source["auc_variance"], interval.variance)
        same(source["ci_lower"], interval.lower)
        let nri = try ReclassificationStatistics.continuousNRI(old: weak, new: strong, outcomes: outcomes)
        let reclassification = try XCTUnwrap((json["reclassification"] as? [[String: Any]])?.first)
        same((reclassification["nri"] as? [String: Any])?["standard_error"], nri.standardError)
        same((reclassification["nri"] as? [String: Any])?["value"], nri.nri)
        XCTAssertNotNil((reclassification["idi"] as? [String: Any])?["p"] as? Double)
    }
}
