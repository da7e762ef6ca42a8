import Foundation
import ZooMetrics

/// The data-to-pixel mapping of one plot panel.
public struct PlotFrame: Sendable, Equatable {
    /// The panel's rectangle in pixels (origin top left).
    public let left: Double
    public let top: Double
    public let width: Double
    public let height: Double
    /// The data ranges shown on each axis.
    public let xRange: ClosedRange<Double>
    public let yRange: ClosedRange<Double>

    /// The pixel column of data value `value`.
    public func x(_ value: Double) -> Double {
        left + (value - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * width
    }

    /// The pixel row of data value `value` (up is larger).
    public func y(_ value: Double) -> Double {
        top + height - (value - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * height
    }

    public var right: Double { left + width }
    public var bottom: Double { top + height }
}

/// One ROC curve of a figure: a model's name, its operating points and its AUC.
public struct ROCSeries: Sendable {
    public let name: String
    public let falsePositiveRates: [Double]
    public let truePositiveRates: [Double]
    public let auc: Double
    /// A confidence band of sensitivities (drawn dashed), when given.
    public var band: ROCBand?
    /// The operating point of the chosen threshold (marked with its label), when given.
    public var operatingPoint: (falsePositiveRate: Double, truePositiveRate: Double, label: String)?

    /// Points and AUC from ZooMetrics' ROC curve.
    public init(name: String, curve: ROCCurve) {
        self.name = name
        falsePositiveRates = curve.points.map(\.falsePositiveRate)
        truePositiveRates = curve.points.map(\.truePositiveRate)
        auc = curve.auc
    }

    /// Points given directly (rates in [0, 1], equally many of each).
    public init(name: String, falsePositiveRates: [Double], truePositiveRates: [Double], auc: Double) throws {
        guard falsePositiveRates.count == truePositiveRates.count else {
            throw PlotError.lengthMismatch(
                what: "ROC series '\(name)' false and true positive rates", expected: falsePositiveRates.count,
                actual: truePositiveRates.count)
        }
        guard !falsePositiveRates.isEmpty else {
            throw PlotError.invalidInput(what: "ROC series '\(name)'", reason: "has no points")
        }
        guard (falsePositiveRates + truePositiveRates + [auc]).allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
            throw PlotError.invalidInput(what: "ROC series '\(name)'", reason: "rates and AUC must lie in [0, 1]")
        }
        self.name = name
        self.falsePositiveRates = falsePositiveRates
        self.truePositiveRates = truePositiveRates
        self.auc = auc
    }
}

/// A line of a line chart.
public struct LineSeries: Sendable {
    public let name: String
    public let x: [Double]
    public let y: [Double]

    public init(name: String, x: [Double], y: [Double]) throws {
        guard x.count == y.count else {
            throw PlotError.lengthMismatch(what: "series '\(name)' x and y", expected: x.count, actual: y.count)
        }
        guard !x.isEmpty else { throw PlotError.invalidInput(what: "series '\(name)'", reason: "has no points") }
        guard (x + y).allSatisfy(\.isFinite) else {
            throw PlotError.invalidInput(what: "series '\(name)'", reason: "holds a value that is not finite")
        }
        self.name = name
        self.x = x
        self.y = y
    }
}

/// Per-epoch training history (epoch 1 first); the validation and accuracy series are optional
/// but, when given, as long as `loss`.
public struct TrainingHistory: Sendable {
    public var loss: [Double]
    public var validationLoss: [Double]?
    public var accuracy: [Double]?
    public var validationAccuracy: [Double]?
    /// An epoch to mark on both panels (1-based) with its label: the checkpoint a report evaluates.
    public var markedEpoch: (epoch: Int, label: String)?

    public init(loss: [Double], validationLoss: [Double]? = nil, accuracy: [Double]? = nil, validationAccuracy: [Double]? = nil) {
        self.loss = loss
        self.validationLoss = validationLoss
        self.accuracy = accuracy
        self.validationAccuracy = validationAccuracy
    }
}

/// The figures a report on a classification or segmentation study shows, as `Figure`s (SVG
/// first, PNG by the built-in rasterizer).
public enum Plots {
    /// Series colours (matplotlib's tab10).
    public static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ]
    static let ink = "#222222"
    static let grid = "#dddddd"

    // MARK: ROC

    /// ROC curves of several models on one set of axes, AUCs in the legend (lower right), the
    /// chance diagonal dashed.
    public static func rocCurves(_ series: [ROCSeries], title: String = "ROC curves") throws -> Figure {
        guard !series.isEmpty else { throw PlotError.invalidInput(what: "ROC figure", reason: "needs at least one curve") }
        let (blank, frame) = unitSquare(
            xLabel: "1 - specificity (false positive rate)", yLabel: "Sensitivity (true positive rate)", title: title, diagonal: "chance")
        var figure = blank
        for (i, s) in series.enumerated() {
            let color = palette[i % palette.count]
            let points = zip(s.falsePositiveRates, s.truePositiveRates).map { (frame.x($0), frame.y($1)) }
            figure.add(.polyline(points: points, stroke: color, width: 2, dash: false, role: "curve"))
            // The band's level and method go in the figure's caption: the legend stays short.
            let legend = "\(s.name) (AUC = \(fixed(s.auc, 3)))"
            if let band = s.band {
                for bound in [band.lower, band.upper] {
                    let edge = zip(band.specificities, bound).map { (frame.x(1 - $0), frame.y($1)) }
                    figure.add(.polyline(points: edge, stroke: color, width: 1, dash: true, role: "band"))
                }
            }
            if let point = s.operatingPoint {
                let (x, y) = (frame.x(point.falsePositiveRate), frame.y(point.truePositiveRate))
                figure.add(.circle(x: x, y: y, radius: 5, fill: color, stroke: ink, role: "operating-point"))
                figure.add(.text(x: x + 8, y: y + 14, string: point.label, size: 11, anchor: "start", vertical: false, fill: ink, role: "operating-point-label"))
            }
            legendEntry(&figure, frame, index: i, count: series.count, color: color, text: legend)
        }
        return figure
    }

    /// A figure with one panel whose axes both run from 0 to 1 (ROC, precision-recall,
    /// calibration), with the dashed diagonal of that `diagonal` role when given.
    static func unitSquare(xLabel: String, yLabel: String, title: String, diagonal: String? = nil) -> (Figure, PlotFrame) {
        var figure = Figure(width: 520, height: 480)
        let frame = PlotFrame(left: 70, top: 50, width: 400, height: 360, xRange: 0...1, yRange: 0...1)
        drawAxes(&figure, frame, xLabel: xLabel, yLabel: yLabel, title: title)
        if let diagonal {
            figure.add(.polyline(points: [(frame.x(0), frame.y(0)), (frame.x(1), frame.y(1))], stroke: "#888888", width: 1, dash: true, role: diagonal))
        }
        return (figure, frame)
    }

    // MARK: Precision-recall and calibration

    /// Precision-recall curves, average precision in the legend, each model's prevalence (the
    /// precision of calling every case positive) dashed.
    public static func precisionRecall(_ curves: [(name: String, curve: PrecisionRecallCurve)], title: String = "Precision-recall") throws -> Figure {
        guard !curves.isEmpty else { throw PlotError.invalidInput(what: "precision-recall figure", reason: "needs at least one curve") }
        let (blank, frame) = unitSquare(xLabel: "Recall (sensitivity)", yLabel: "Precision (positive predictive value)", title: title)
        var figure = blank
        for (i, entry) in curves.enumerated() {
            let color = palette[i % palette.count]
            let curve = entry.curve
            figure.add(.polyline(points: [(frame.x(0), frame.y(curve.prevalence)), (frame.x(1), frame.y(curve.prevalence))], stroke: color, width: 1, dash: true, role: "prevalence"))
            // Starts at recall 0 with the first point's precision, as scikit-learn draws it.
            let points = [(frame.x(0), frame.y(curve.precision.first ?? 1))] + zip(curve.recall, curve.precision).map { (frame.x($0), frame.y($1)) }
            figure.add(.polyline(points: points, stroke: color, width: 2, dash: false, role: "curve"))
            legendEntry(&figure, frame, index: i, count: curves.count, color: color, text: "\(entry.name) (AP = \(fixed(curve.averagePrecision, 3)))")
        }
        return figure
    }

    /// Reliability diagrams: each bin's mean predicted probability against its share of
    /// positives (a dot per bin, sized by its cases), the diagonal of perfect calibration dashed,
    /// the Brier score in the legend.
    public static func calibration(_ series: [(name: String, calibration: Calibration)], title: String = "Calibration") throws -> Figure {
        guard !series.isEmpty else { throw PlotError.invalidInput(what: "calibration figure", reason: "needs at least one model") }
        let (blank, frame) = unitSquare(xLabel: "Mean predicted probability", yLabel: "Observed share of positives", title: title, diagonal: "perfect")
        var figure = blank
        for (i, entry) in series.enumerated() {
            let color = palette[i % palette.count]
            let bins = entry.calibration.bins
            let total = Double(bins.map(\.count).reduce(0, +))
            figure.add(.polyline(points: bins.map { (frame.x($0.meanPredicted), frame.y($0.observedRate)) }, stroke: color, width: 2, dash: false, role: "curve"))
            for bin in bins {
                let radius = 3 + 6 * (Double(bin.count) / Swift.max(total, 1)).squareRoot()
                figure.add(.circle(x: frame.x(bin.meanPredicted), y: frame.y(bin.observedRate), radius: radius, fill: color, stroke: nil, role: "bin"))
            }
            legendEntry(&figure, frame, index: i, count: series.count, color: color, text: "\(entry.name) (Brier = \(fixed(entry.calibration.brierScore, 3)))")
        }
        return figure
    }

    /// ROC curves from ZooMetrics' curves, named.
    public static func rocCurves(_ curves: [(name: String, curve: ROCCurve)], title: String = "ROC curves") throws -> Figure {
        try rocCurves(curves.map { ROCSeries(name: $0.name, curve: $0.curve) }, title: title)
    }

    // MARK: Confusion matrix

    /// A confusion matrix: rows the true classes, columns the predicted ones, each cell its
    /// count and its share of the row, shaded by that share.
    public static func confusionMatrix(_ counts: [[Int]], classNames: [String], title: String = "Confusion matrix") throws -> Figure {
        let k = counts.count
        guard k >= 2, counts.allSatisfy({ $0.count == k }) else {
            throw PlotError.invalidInput(what: "confusion matrix", reason: "counts must be a square matrix of at least 2 x 2, got \(counts.map(\.count))")
        }
        guard classNames.count == k else {
            throw PlotError.lengthMismatch(what: "confusion matrix class names and rows", expected: k, actual: classNames.count)
        }
        guard counts.joined().allSatisfy({ $0 >= 0 }) else {
            throw PlotError.invalidInput(what: "confusion matrix", reason: "counts must not be negative")
        }
        let cell = 80.0
        let (left, top) = (130.0, 60.0)
        var figure = Figure(width: max(Int(left + cell * Double(k) + 30), 380), height: Int(top + cell * Double(k) + 70))
        figure.panels.append(PlotFrame(left: left, top: top, width: cell * Double(k), height: cell * Double(k), xRange: 0...Double(k), yRange: 0...Double(k)))
        figure.add(.text(x: Double(figure.width) / 2, y: 30, string: title, size: 16, anchor: "middle", vertical: false, fill: ink, role: "title"))
        for (row, values) in counts.enumerated() {
            let total = values.reduce(0, +)
            for (column, count) in values.enumerated() {
                let share = total > 0 ? Double(count) / Double(total) : 0
                let (x, y) = (left + Double(column) * cell, top + Double(row) * cell)
                figure.add(.rect(x: x, y: y, width: cell, height: cell, fill: blues(share), stroke: "#ffffff", role: "cell"))
                let textColor = share > 0.5 ? "#ffffff" : ink
                figure.add(.text(x: x + cell / 2, y: y + cell / 2, string: "\(count)", size: 18, anchor: "middle", vertical: false, fill: textColor, role: "count"))
                figure.add(.text(x: x + cell / 2, y: y + cell / 2 + 20, string: "\(fixed(100 * share, 1))%", size: 11, anchor: "middle", vertical: false, fill: textColor, role: "percent"))
            }
        }
        for (i, name) in classNames.enumerated() {
            figure.add(.text(x: left - 8, y: top + (Double(i) + 0.5) * cell + 4, string: name, size: 12, anchor: "end", vertical: false, fill: ink, role: "class-label"))
            figure.add(.text(x: left + (Double(i) + 0.5) * cell, y: top + Double(k) * cell + 18, string: name, size: 12, anchor: "middle", vertical: false, fill: ink, role: "class-label"))
        }
        figure.add(.text(x: left + cell * Double(k) / 2, y: top + cell * Double(k) + 48, string: "Predicted class", size: 13, anchor: "middle", vertical: false, fill: ink, role: "axis-label"))
        figure.add(.text(x: 22, y: top + cell * Double(k) / 2, string: "True class", size: 13, anchor: "middle", vertical: true, fill: ink, role: "axis-label"))
        return figure
    }

    /// A binary confusion matrix from ZooMetrics (rows and columns: negative, positive).
    public static func confusionMatrix(
        _ matrix: ConfusionMatrix, classNames: [String] = ["negative", "positive"], title: String = "Confusion matrix"
    ) throws -> Figure {
        try confusionMatrix(
            [[matrix.trueNegatives, matrix.falsePositives], [matrix.falseNegatives, matrix.truePositives]],
            classNames: classNames, title: title)
    }

    // MARK: Training curves

    /// Training and validation loss (left) and accuracy (right, when given) per epoch.
    public static func trainingCurves(_ history: TrainingHistory, title: String = "Training") throws -> Figure {
        let epochs = history.loss.count
        guard epochs > 0 else { throw PlotError.invalidInput(what: "training curves", reason: "the loss history is empty") }
        let named: [(String, [Double]?)] = [
            ("validation loss", history.validationLoss), ("accuracy", history.accuracy), ("validation accuracy", history.validationAccuracy),
        ]
        for (name, values) in named {
            if let values, values.count != epochs {
                throw PlotError.lengthMismatch(what: "training curves: loss and \(name) per epoch", expected: epochs, actual: values.count)
            }
        }
        let x = (1...epochs).map(Double.init)
        var lossSeries = [try LineSeries(name: "training", x: x, y: history.loss)]
        if let v = history.validationLoss { lossSeries.append(try LineSeries(name: "validation", x: x, y: v)) }
        var accuracySeries = [LineSeries]()
        if let a = history.accuracy { accuracySeries.append(try LineSeries(name: "training", x: x, y: a)) }
        if let v = history.validationAccuracy { accuracySeries.append(try LineSeries(name: "validation", x: x, y: v)) }

        let panelWidth = 420.0
        // Room below the axes for the legend, which stays off the data.
        var figure = Figure(width: Int(panelWidth) * (accuracySeries.isEmpty ? 1 : 2), height: 420)
        let mark = history.markedEpoch.flatMap { (1...epochs).contains($0.epoch) ? $0 : nil }
        try linePanel(&figure, lossSeries, left: 70, xLabel: "Epoch", yLabel: "Loss", title: "\(title): loss", epochs: true, mark: mark)
        if !accuracySeries.isEmpty {
            try linePanel(
                &figure, accuracySeries, left: 70 + panelWidth, xLabel: "Epoch", yLabel: "Accuracy", title: "\(title): accuracy", epochs: true, mark: mark)
        }
        return figure
    }

    /// A line chart of any series.
    public static func lineChart(_ series: [LineSeries], xLabel: String, yLabel: String, title: String) throws -> Figure {
        var figure = Figure(width: 480, height: 400)
        try linePanel(&figure, series, left: 70, xLabel: xLabel, yLabel: yLabel, title: title)
        return figure
    }

    /// `epochs`: whole-number ticks on the x axis and the legend below the panel; `mark`: a
    /// dashed vertical line at that x with its label.
    static func linePanel(
        _ figure: inout Figure, _ series: [LineSeries], left: Double, xLabel: String, yLabel: String, title: String, epochs: Bool = false,
        mark: (epoch: Int, label: String)? = nil
    ) throws {
        guard !series.isEmpty else { throw PlotError.invalidInput(what: "line chart", reason: "needs at least one series") }
        let xs = series.flatMap(\.x)
        let ys = series.flatMap(\.y)
        let frame = PlotFrame(
            left: left, top: 50, width: 320, height: 280, xRange: paddedRange(xs.min()!, xs.max()!, pad: 0),
            yRange: paddedRange(ys.min()!, ys.max()!, pad: 0.05))
        drawAxes(&figure, frame, xLabel: xLabel, yLabel: yLabel, title: title, wholeX: epochs)
        if let mark {
            let x = frame.x(Double(mark.epoch))
            figure.add(.polyline(points: [(x, frame.top), (x, frame.bottom)], stroke: "#888888", width: 1, dash: true, role: "mark"))
            figure.add(.text(x: x + 4, y: frame.top + 14, string: mark.label, size: 11, anchor: "start", vertical: false, fill: ink, role: "mark-label"))
        }
        for (i, s) in series.enumerated() {
            let color = palette[i % palette.count]
            figure.add(.polyline(points: zip(s.x, s.y).map { (frame.x($0), frame.y($1)) }, stroke: color, width: 2, dash: false, role: "series"))
            if epochs {
                // Below the axis label, side by side: never over a curve.
                let x = frame.left + 130 * Double(i), y = frame.bottom + 62
                figure.add(.polyline(points: [(x, y - 4), (x + 24, y - 4)], stroke: color, width: 3, dash: false, role: "legend-key"))
                figure.add(.text(x: x + 30, y: y, string: s.name, size: 12, anchor: "start", vertical: false, fill: ink, role: "legend"))
            } else {
                legendEntry(&figure, frame, index: i, count: series.count, color: color, text: s.name, top: true)
            }
        }
    }

    // MARK: Volume scatter

    /// Model-predicted against reference volumes, one point per case, the identity line
    /// dashed, Pearson's r in the corner; both axes share one range so the identity is the
    /// diagonal.
    public static func volumeScatter(
        model: [Double], reference: [Double], unit: String = "mL", title: String = "Predicted vs reference volume"
    ) throws -> Figure {
        guard model.count == reference.count else {
            throw PlotError.lengthMismatch(what: "volume scatter: model and reference volumes", expected: reference.count, actual: model.count)
        }
        guard model.count >= 2 else { throw PlotError.invalidInput(what: "volume scatter", reason: "needs at least two cases, got \(model.count)") }
        guard (model + reference).allSatisfy(\.isFinite) else {
            throw PlotError.invalidInput(what: "volume scatter", reason: "holds a volume that is not finite")
        }
        let r = try Agreement.pearson(model, reference)
        let all = model + reference
        let range = paddedRange(Swift.min(0, all.min()!), all.max()!, pad: 0.05)
        var figure = Figure(width: 480, height: 460)
        let frame = PlotFrame(left: 70, top: 50, width: 360, height: 340, xRange: range, yRange: range)
        drawAxes(&figure, frame, xLabel: "Reference volume (\(unit))", yLabel: "Model volume (\(unit))", title: title)
        figure.add(.polyline(
            points: [(frame.x(range.lowerBound), frame.y(range.lowerBound)), (frame.x(range.upperBound), frame.y(range.upperBound))],
            stroke: "#888888", width: 1, dash: true, role: "identity"))
        for (m, ref) in zip(model, reference) {
            figure.add(.circle(x: frame.x(ref), y: frame.y(m), radius: 4, fill: palette[0], stroke: "#ffffff", role: "point"))
        }
        figure.add(.text(
            x: frame.left + 10, y: frame.top + 18, string: "Pearson r = \(fixed(r, 3)), n = \(model.count)", size: 13,
            anchor: "start", vertical: false, fill: ink, role: "statistic"))
        return figure
    }

    // MARK: Pieces

    /// Frame, grid, ticks, tick labels, axis labels and title of a panel; records the frame.
    /// `wholeX`: only whole numbers on the x axis (epochs).
    static func drawAxes(_ figure: inout Figure, _ frame: PlotFrame, xLabel: String, yLabel: String, title: String, wholeX: Bool = false) {
        figure.panels.append(frame)
        var xTicks = niceTicks(frame.xRange)
        if wholeX {
            xTicks = xTicks.filter { $0 == $0.rounded() }
            if xTicks.count < 2 { xTicks = (Int(frame.xRange.lowerBound.rounded(.up))...Int(frame.xRange.upperBound.rounded(.down))).map(Double.init) }
        }
        for value in xTicks {
            let x = frame.x(value)
            figure.add(.polyline(points: [(x, frame.top), (x, frame.bottom)], stroke: grid, width: 1, dash: false, role: "grid"))
            figure.add(.text(x: x, y: frame.bottom + 16, string: tickLabel(value), size: 11, anchor: "middle", vertical: false, fill: ink, role: "tick"))
        }
        for value in niceTicks(frame.yRange) {
            let y = frame.y(value)
            figure.add(.polyline(points: [(frame.left, y), (frame.right, y)], stroke: grid, width: 1, dash: false, role: "grid"))
            figure.add(.text(x: frame.left - 6, y: y + 4, string: tickLabel(value), size: 11, anchor: "end", vertical: false, fill: ink, role: "tick"))
        }
        figure.add(.rect(x: frame.left, y: frame.top, width: frame.width, height: frame.height, fill: "none", stroke: ink, role: "frame"))
        figure.add(.text(x: frame.left + frame.width / 2, y: frame.bottom + 40, string: xLabel, size: 13, anchor: "middle", vertical: false, fill: ink, role: "axis-label"))
        figure.add(.text(x: frame.left - 48, y: frame.top + frame.height / 2, string: yLabel, size: 13, anchor: "middle", vertical: true, fill: ink, role: "axis-label"))
        figure.add(.text(x: frame.left + frame.width / 2, y: frame.top - 18, string: title, size: 16, anchor: "middle", vertical: false, fill: ink, role: "title"))
    }

    /// A legend line: a short coloured key and its text, stacked from the panel's lower right
    /// (or upper right) corner.
    static func legendEntry(_ figure: inout Figure, _ frame: PlotFrame, index: Int, count: Int, color: String, text: String, top: Bool = false) {
        let y = top ? frame.top + 18 + 18 * Double(index) : frame.bottom - 14 - 18 * Double(count - 1 - index)
        let x = frame.left + frame.width * 0.42
        figure.add(.polyline(points: [(x, y - 4), (x + 24, y - 4)], stroke: color, width: 3, dash: false, role: "legend-key"))
        figure.add(.text(x: x + 30, y: y, string: text, size: 12, anchor: "start", vertical: false, fill: ink, role: "legend"))
    }

    /// Tick values: 1, 2 or 5 times a power of ten, about five of them, inside the range.
    static func niceTicks(_ range: ClosedRange<Double>, target: Int = 5) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0 else { return [range.lowerBound] }
        let raw = span / Double(target)
        let magnitude = pow10(floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var ticks = [Double]()
        var value = (range.lowerBound / step).rounded(.up) * step
        while value <= range.upperBound + step * 1e-9 {
            ticks.append(abs(value) < step * 1e-9 ? 0 : value)
            value += step
        }
        return ticks
    }

    static func paddedRange(_ low: Double, _ high: Double, pad: Double) -> ClosedRange<Double> {
        guard high > low else { return (low - 0.5)...(high + 0.5) }
        let margin = (high - low) * pad
        return (low - margin)...(high + margin)
    }

    static func tickLabel(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e6 { return String(Int(value)) }
        var text = fixed(value, 3)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    /// Sequential blues from white (0) to dark blue (1).
    static func blues(_ share: Double) -> String {
        let t = Float(Swift.min(Swift.max(share, 0), 1))
        let (low, high): ((Float, Float, Float), (Float, Float, Float)) = ((0.97, 0.98, 1.0), (0.03, 0.19, 0.42))
        return rgbHex(low.0 + (high.0 - low.0) * t, low.1 + (high.1 - low.1) * t, low.2 + (high.2 - low.2) * t)
    }
}

/// `value` with `digits` decimals, as C's printf rounds it.
func fixed(_ value: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", value)
}

func pow10(_ exponent: Double) -> Double { Foundation.pow(10, exponent) }
