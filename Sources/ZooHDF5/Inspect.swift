import Foundation

/// A weight file's detected format, its layers and every weight's location, shape and
/// dtype, as text (what `zoo inspect` prints).
public func inspectWeightFile(_ url: URL) throws -> String {
    let source = try WeightSource.read(url, readValues: false)
    var lines = ["\(url.lastPathComponent): \(source.format)"]
    let total = source.weights.reduce(0) { $0 + $1.shape.reduce(1, *) }
    lines.append("\(source.layers.count) layers, \(source.weights.count) weights, \(total) values")
    var byLayer = [String: [SourceWeight]]()
    for weight in source.weights { byLayer[weight.layer, default: []].append(weight) }
    let order = source.layers + byLayer.keys.filter { !source.layers.contains($0) }.sorted()
    for layer in order {
        let weights = byLayer[layer] ?? []
        lines.append("  \(layer)" + (weights.isEmpty ? " (no weights)" : ""))
        for weight in weights {
            lines.append("    \(weight.key): \(weight.location) \(weight.shape) \(weight.dataType)")
        }
    }
    return lines.joined(separator: "\n")
}
