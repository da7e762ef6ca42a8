import Foundation
import ZooCore
import ZooTensor

/// A table of a model's layers like Keras's `model.summary()`: layer and class, output shape,
/// parameter count, trainable, and the totals.
public struct ModelSummary: CustomStringConvertible {
    public struct Row {
        public let name: String
        public let className: String
        /// The output shape with the batch axis shown as `None`, or nil if the layer did not run.
        public let outputShape: [Int]?
        public let parameters: Int
        /// "Y", "N", or "-" for a layer without weights.
        public let trainable: String
    }

    public let modelName: String
    public let rows: [Row]
    public let total: Int
    public let trainable: Int
    public let nonTrainable: Int

    /// Runs `model` once on a zero batch of one `inputShape` (batch axis excluded), in
    /// inference mode and without recording gradients, to learn every layer's output shape.
    public init(_ model: Model, inputShape: [Int]) throws {
        let wasTraining = model.isTraining
        model.setTraining(false)
        defer { model.setTraining(wasTraining) }
        let trace = try ShapeTrace.trace {
            _ = try withoutGrad { try model(Tensor(zeros: [1] + inputShape)) }
        }
        var shapes = [ObjectIdentifier: [Int]]()
        for (layer, shape) in trace.outputs where shapes[ObjectIdentifier(layer)] == nil {
            shapes[ObjectIdentifier(layer)] = shape
        }
        modelName = model.name
        rows = model.layers.map { layer in
            let count = layer.parameters.reduce(0) { $0 + $1.count }
            let hasWeights = layer.parameters.contains { $0.kind == .weight }
            return Row(
                name: layer.name, className: layer.kerasClassName, outputShape: shapes[ObjectIdentifier(layer)],
                parameters: count, trainable: hasWeights ? (layer.isFrozen ? "N" : "Y") : "-")
        }
        (total, trainable, nonTrainable) = model.parameterCounts
    }

    /// `25,636,712`.
    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var result = ""
        for (i, digit) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return result
    }

    /// `97.80 MB` for float32 parameters, in powers of 1024 as Keras prints them.
    static func memory(_ parameters: Int) -> String {
        var size = Double(parameters * 4)
        var units = ["B", "KB", "MB", "GB", "TB"][...]
        while size / 1024 >= 1, units.count > 1 {
            size /= 1024
            units = units.dropFirst()
        }
        return String(format: "%.2f %@", size, units.first!)
    }

    public var description: String {
        let header = ["Layer (type)", "Output Shape", "Param #", "Trainable"]
        let cells = rows.map { row -> [String] in
            let shape = row.outputShape.map { "(None, " + $0.dropFirst().map(String.init).joined(separator: ", ") + ")" } ?? "?"
            return ["\(row.name) (\(row.className))", shape, ModelSummary.grouped(row.parameters), row.trainable]
        }
        let widths = (0..<4).map { column in ([header] + cells).map { $0[column].count }.max() ?? 0 }
        func line(_ values: [String]) -> String {
            values.enumerated().map { $1.padding(toLength: widths[$0] + 2, withPad: " ", startingAt: 0) }
                .joined().trimmingTrailingSpaces()
        }
        let rule = String(repeating: "-", count: widths.reduce(0, +) + 8)
        var text = ["Model: \"\(modelName)\"", rule, line(header), rule]
        text += cells.map(line)
        text += [
            rule,
            " Total params: \(ModelSummary.grouped(total)) (\(ModelSummary.memory(total)))",
            " Trainable params: \(ModelSummary.grouped(trainable)) (\(ModelSummary.memory(trainable)))",
            " Non-trainable params: \(ModelSummary.grouped(nonTrainable)) (\(ModelSummary.memory(nonTrainable)))",
        ]
        return text.joined(separator: "\n")
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}
