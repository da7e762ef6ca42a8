import Foundation
import ZooCore
import ZooTensor

/// A table of a model's layers as Keras's `model.summary(show_trainable=True)` prints it:
/// layer and class, output shape, parameter count, trainable, and for a functional model with
/// branches the inputs of each layer (`Connected to`, `conv1_bn[0][0]`); then the totals.
public struct ModelSummary: CustomStringConvertible {
    public struct Row {
        public let name: String
        public let className: String
        /// The output shape without the batch axis (nil extents unknown), or nil if the layer
        /// did not run.
        public let outputShape: [Int?]?
        public let parameters: Int
        /// "Y", "N", or "-" for a layer without weights.
        public let trainable: String
        /// The tensors the layer was called on, as `layer[node][output]` (Keras's form).
        public let connectedTo: [String]
    }

    public let modelName: String
    public let rows: [Row]
    /// Whether the `Connected to` column is shown: Keras leaves it out of a model where every
    /// layer is called once on one input (a chain).
    public let showsConnections: Bool
    public let total: Int
    public let trainable: Int
    public let nonTrainable: Int

    /// The summary of a functional model from its graph (shapes as the layers computed them, no
    /// pass run); a model that writes its own forward pass is run once on a zero batch of one
    /// `inputShape` (batch axis excluded), in inference mode and without gradients.
    public init(_ model: Model, inputShape: [Int]? = nil) throws {
        modelName = model.name
        (total, trainable, nonTrainable) = model.parameterCounts
        if let graph = model.graph {
            let nodesOf = Dictionary(grouping: graph.nodes) { ObjectIdentifier($0.operation) }
            func reference(_ tensor: SymbolicTensor) -> String {
                let index = nodesOf[ObjectIdentifier(tensor.node.operation)]?.firstIndex { $0 === tensor.node } ?? 0
                return "\(tensor.node.operation.name)[\(index)][\(tensor.outputIndex)]"
            }
            rows = model.children.map { child in
                let nodes = nodesOf[ObjectIdentifier(child)] ?? []
                return ModelSummary.row(
                    child, outputShape: nodes.first?.outputShapes.first, connectedTo: nodes.flatMap { $0.inputs.map(reference) })
            }
            showsConnections = graph.nodes.contains { $0.inputs.count > 1 } || nodesOf.values.contains { $0.count > 1 }
            return
        }
        guard let inputShape else {
            throw ModelError("summary of '\(model.name)': the model has no functional graph; give the input shape to run it once")
        }
        let wasTraining = model.isTraining
        model.setTraining(false)
        defer { model.setTraining(wasTraining) }
        let trace = try ShapeTrace.trace {
            _ = try withoutGrad { try model(Tensor(zeros: [1] + inputShape)) }
        }
        var shapes = [ObjectIdentifier: [Int?]]()
        for (layer, shape) in trace.outputs where shapes[ObjectIdentifier(layer)] == nil {
            shapes[ObjectIdentifier(layer)] = shape.dropFirst().map { $0 }
        }
        rows = model.layers.map { ModelSummary.row($0, outputShape: shapes[ObjectIdentifier($0)], connectedTo: []) }
        showsConnections = false
    }

    /// One row: a layer, or a nested model counted as one (Keras's `Functional` row).
    static func row(_ module: Module, outputShape: [Int?]?, connectedTo: [String]) -> Row {
        let parameters = module.namedParameters.map(\.parameter)
        let hasWeights = parameters.contains { $0.kind == .weight }
        let className = (module as? Layer)?.kerasClassName ?? "Functional"
        let trainable = !hasWeights ? "-" : (parameters.contains { $0.kind == .weight && $0.isTrainable } ? "Y" : "N")
        return Row(
            name: module.name, className: className, outputShape: outputShape,
            parameters: parameters.reduce(0) { $0 + $1.count }, trainable: trainable, connectedTo: connectedTo)
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
        // Keras's columns: Connected to (for a graph with branches) before Trainable.
        var header = ["Layer (type)", "Output Shape", "Param #"]
        if showsConnections { header.append("Connected to") }
        header.append("Trainable")
        let cells = rows.map { row -> [String] in
            var cell = ["\(row.name) (\(row.className))", row.outputShape.map(SymbolicTensor.describe) ?? "?", ModelSummary.grouped(row.parameters)]
            if showsConnections { cell.append(row.connectedTo.isEmpty ? "-" : row.connectedTo.joined(separator: ", ")) }
            cell.append(row.trainable)
            return cell
        }
        let widths = header.indices.map { column in ([header] + cells).map { $0[column].count }.max() ?? 0 }
        func line(_ values: [String]) -> String {
            values.enumerated().map { $1.padding(toLength: widths[$0] + 2, withPad: " ", startingAt: 0) }
                .joined().trimmingTrailingSpaces()
        }
        let rule = String(repeating: "-", count: widths.reduce(0, +) + 2 * widths.count)
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
