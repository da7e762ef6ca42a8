import ZooTensor

/// Records the output shape of every layer called while a trace is active, for summaries.
public final class ShapeTrace {
    private static let current = ThreadLocal<ShapeTrace>()
    /// Each called layer's output shape, by the layer's identity, in call order.
    public private(set) var outputs: [(layer: Layer, shape: [Int])] = []

    /// Whether a trace records this thread's layer calls.
    public static var isActive: Bool { current.value != nil }

    static func record(layer: Layer, output: Tensor) {
        current.value?.outputs.append((layer, output.shape))
    }

    /// Runs `body` and returns the layers it called with their output shapes.
    public static func trace(_ body: () throws -> Void) rethrows -> ShapeTrace {
        let trace = ShapeTrace()
        try current.with(trace) { try body() }
        return trace
    }
}
