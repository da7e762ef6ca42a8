import Foundation
import ZooExplain
import ZooPlots
import ZooMetrics

/// Decision curves in the reports (Vickers and Elkin, 2006): the net benefit of each model
/// over the threshold probabilities, beside treating everyone and no one, as a figure and as a
/// table at the thresholds clinicians usually discuss.
enum DecisionCurves {
    /// The thresholds of the tables.
    static let tableThresholds = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5]

    /// The curves of every model whose set has both classes (and of treating all).
    static func curves(_ sets: [(name: String, predictions: Predictions)]) -> [(name: String, curve: DecisionCurve)] {
        // A set with one class has no decision curve worth drawing: left out.
        sets.compactMap { set in
            set.predictions.binaryScores.flatMap { scores in
                guard scores.positiveCount > 0, scores.positiveCount < scores.count else { return nil }
                return (try? DecisionCurve(scores)).map { (set.name, $0) }
            }
        }
    }

    /// The figure: each model, treat all and treat none; net benefits below -0.05 are cut off
    /// (treating everyone falls steeply at high thresholds).
    static func figure(_ curves: [(name: String, curve: DecisionCurve)], title: String) -> Figure? {
        guard let first = curves.first?.curve else { return nil }
        func series(_ name: String, _ x: [Double], _ y: [Double]) -> LineSeries? {
            let kept = zip(x, y).filter { $0.1 >= -0.05 }
            return kept.isEmpty ? nil : try? LineSeries(name: name, x: kept.map(\.0), y: kept.map(\.1))
        }
        let lines = curves.compactMap { series($0.name, $0.curve.thresholds, $0.curve.model) }
            + [series("treat all", first.thresholds, first.treatAll), series("treat none", first.thresholds, first.treatNone)].compactMap { $0 }
        return try? Plots.lineChart(lines, xLabel: "threshold probability", yLabel: "net benefit", title: title)
    }

    /// The table: net benefit per model at `tableThresholds`, then treat all and treat none.
    static func table(_ curves: [(name: String, curve: DecisionCurve)]) -> (header: [String], rows: [[String]])? {
        guard let first = curves.first?.curve else { return nil }
        func row(_ name: String, _ values: [Double], _ thresholds: [Double]) -> [String] {
            [name] + tableThresholds.map { t in
                thresholds.firstIndex { abs($0 - t) < 1e-9 }.map { String(format: "%.3f", values[$0]) } ?? "-"
            }
        }
        let rows = curves.map { row($0.name, $0.curve.model, $0.curve.thresholds) }
            + [row("treat all", first.treatAll, first.thresholds), row("treat none", first.treatNone, first.thresholds)]
        return (["net benefit at"] + tableThresholds.map { String(format: "%.2f", $0) }, rows)
    }
}
