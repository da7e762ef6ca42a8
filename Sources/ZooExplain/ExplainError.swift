/// A mistake in a Grad-CAM request or an overlay, stated plainly (plots have `PlotError`).
public enum ExplainError: Error, Equatable, CustomStringConvertible {
    /// No layer has this name; `nearest` are the closest names the model does have.
    case unknownLayer(name: String, model: String, nearest: [String])
    /// The name fits several layers (a unit prefix, or a name repeated in nested models).
    case ambiguousLayer(name: String, candidates: [String])
    /// The layer exists but the forward pass never called it.
    case layerNotCalled(name: String)
    /// The layer's output is not a feature map of the input's rank (batch, spatial..., channels).
    case notAFeatureMap(layer: String, shape: [Int], expectedRank: Int)
    /// A class index outside the model's outputs.
    case classOutOfRange(index: Int, classes: Int)
    /// An input, a map or a plot series of the wrong shape.
    case invalidInput(what: String, reason: String)
    /// Parallel arrays of different lengths.
    case lengthMismatch(what: String, expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .unknownLayer(let name, let model, let nearest):
            let hint = nearest.isEmpty ? "" : "; nearest names: \(nearest.joined(separator: ", "))"
            return "Grad-CAM: model '\(model)' has no layer '\(name)'\(hint)"
        case .ambiguousLayer(let name, let candidates):
            return "Grad-CAM: '\(name)' names several layers (\(candidates.joined(separator: ", "))); give one of them"
        case .layerNotCalled(let name):
            return "Grad-CAM: layer '\(name)' was not called by the forward pass"
        case .notAFeatureMap(let layer, let shape, let rank):
            return "Grad-CAM: layer '\(layer)' outputs \(shape), not a feature map of rank \(rank) (batch, spatial..., channels)"
        case .classOutOfRange(let index, let classes):
            return "Grad-CAM: class index \(index) is out of range; the model has \(classes) output(s), 0..<\(classes)"
        case .invalidInput(let what, let reason):
            return "\(what): \(reason)"
        case .lengthMismatch(let what, let expected, let actual):
            return "\(what): lengths differ, \(expected) and \(actual)"
        }
    }
}
